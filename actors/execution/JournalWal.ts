import { closeSync, fdatasync, fstatSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** One journal entry of the local write-ahead file: its sequence number and the stream fields. */
export interface WalEntry {
  lsn: number;
  fields: string[];
}

/**
 * The order journal's local write-ahead file (decision 113): one JSON line `[lsn, field, value, …]` per
 * entry, written with one `write(2)` before the broker is called. The kernel holds it from that moment, so
 * a crash of the engine loses nothing; `sync()` (every second) puts it on disk, which is the same promise
 * as the journal Redis's `appendfsync everysec`. The entries are shipped to the Redis stream right after
 * (JournalShipper); once all are there, the file is emptied.
 */
export class JournalWal {
  private fd: number;
  private bytes: number;
  private dirty = false;
  private syncing = false;

  constructor(readonly file: string) {
    mkdirSync(dirname(file), { recursive: true });
    this.fd = openSync(file, 'a'); // O_APPEND: after a truncate, writes start at 0 again
    this.bytes = fstatSync(this.fd).size;
  }

  get size(): number {
    return this.bytes;
  }

  /** Every whole entry in the file, in order; a torn or unreadable line (a crash mid-write) is skipped and counted. */
  read(): { entries: WalEntry[]; torn: number } {
    const text = readFileSync(this.file, 'utf8');
    const entries: WalEntry[] = [];
    let torn = 0;
    const lines = text.split('\n');
    // the part after the last newline is a line whose write did not complete
    if (lines[lines.length - 1] !== '') torn++;
    for (let i = 0; i < lines.length - 1; i++) {
      const e = parseLine(lines[i]!);
      if (e) entries.push(e);
      else torn++;
    }
    return { entries, torn };
  }

  /** One write of the whole line: the entry is in the kernel when this returns (throws on a full disk). */
  append(e: WalEntry): void {
    const b = Buffer.from(`${JSON.stringify([e.lsn, ...e.fields])}\n`);
    let off = 0;
    while (off < b.length) off += writeSync(this.fd, b, off);
    this.bytes += b.length;
    this.dirty = true;
  }

  /** Empties the file (every entry is in Redis). */
  truncate(): void {
    ftruncateSync(this.fd, 0);
    this.bytes = 0;
  }

  /** fdatasync when something was written since the last one (off the thread: libuv's pool). */
  sync(): Promise<void> {
    if (!this.dirty || this.syncing) return Promise.resolve();
    this.dirty = false;
    this.syncing = true;
    return new Promise((resolve) => fdatasync(this.fd, () => {
      this.syncing = false;
      resolve();
    }));
  }

  close(): void {
    closeSync(this.fd);
    this.fd = -1;
  }
}

function parseLine(line: string): WalEntry | null {
  try {
    const a = JSON.parse(line) as unknown;
    if (!Array.isArray(a) || a.length < 1 || !Number.isSafeInteger(a[0]) || (a[0] as number) < 1) return null;
    if (a.length % 2 !== 1 || !a.slice(1).every((x) => typeof x === 'string')) return null;
    return { lsn: a[0] as number, fields: a.slice(1) as string[] };
  } catch {
    return null;
  }
}
