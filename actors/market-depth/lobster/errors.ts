/**
 * A LOBSTER file that does not fit the format. The message names the file, the 1-based
 * line and the 1-based column (field), so a bad row in a multi-million-line file can be
 * found with `sed -n LINEp`.
 */
export class LobsterFormatError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    /** 1-based field number; 0 when the problem is the row as a whole (e.g. a missing row). */
    readonly column: number,
    readonly detail: string,
  ) {
    super(column > 0 ? `${file}: line ${line}, column ${column}: ${detail}` : `${file}: line ${line}: ${detail}`);
    this.name = 'LobsterFormatError';
  }
}
