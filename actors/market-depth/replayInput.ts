/**
 * The replay inputs checked whole before the engine starts: a missing, empty or malformed recording or
 * LOBSTER pair is one clear line and exit status 2 at start-up, not a market-depth actor that crashes on
 * its first read and is restarted until the supervisor escalates.
 *
 * The check reads every frame/row once (the LOBSTER pair through the same readers the replay uses), so a
 * bad row in the middle of a day is found here too; for a LOBSTER day that costs one extra pass over the
 * files (a few seconds for millions of messages), which is the price of never half-replaying a bad file.
 */

import { closeSync, openSync, readSync, statSync } from 'node:fs';
import type { EngineConfig } from '../../engine/config/schema.js';
import { LobsterFormatError } from './lobster/errors.js';
import { LobsterPairReader } from './lobster/pair-reader.js';
import type { MarketSink } from './MarketSource.js';
import { MAGIC, MAGIC_V1, RecordingError, RecordingReader } from './Recording.js';

export class ReplayInputError extends Error {}

/** Throws ReplayInputError (one line) when the configured replay input cannot be replayed; no-op for live sources. */
export function checkReplayInput(config: EngineConfig): void {
  if (config.market.source !== 'replay') return;
  const rp = config.market.replay;
  if (rp.file) return checkRecording(rp.file);
  if (!rp.lobsterMessage || !rp.lobsterOrderbook) throw new ReplayInputError('market.replay: neither a recording file nor a LOBSTER message and orderbook file is set');
  const sym = rp.lobsterSymbol || config.symbols[0]!.symbol;
  const rows = config.symbols.find((s) => s.symbol === sym)?.numRows;
  checkLobster(rp.lobsterMessage, rp.lobsterOrderbook, rows);
}

function nonEmptyFile(file: string, what: string): void {
  let size: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new ReplayInputError(`${what} ${file}: not a regular file`);
    size = st.size;
  } catch (e) {
    if (e instanceof ReplayInputError) throw e;
    const code = (e as { code?: string }).code;
    throw new ReplayInputError(`${what} ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message}`);
  }
  if (size === 0) throw new ReplayInputError(`${what} ${file}: the file is empty`);
}

const discard: MarketSink = {
  depth() {}, trade() {}, cross() {}, halt() {}, quote() {}, bar() {}, reset() {}, connection() {}, endOfBatch() {},
};

function checkRecording(file: string): void {
  nonEmptyFile(file, 'recording');
  // The magic first, from a few bytes: a wrong file (say a LOBSTER CSV) is named as such without reading it all.
  const head = Buffer.alloc(MAGIC.length);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  if (head.toString('latin1') !== MAGIC && head.toString('latin1') !== MAGIC_V1) throw new ReplayInputError(`recording ${file}: not an AlphaTrader recording (it does not start with ${JSON.stringify(MAGIC.trim())}; for LOBSTER files use replay --lobster)`);
  try {
    const r = new RecordingReader(file);
    if (!Array.isArray(r.header.symbols)) throw new RecordingError(`${file}: corrupt header (no symbol list)`);
    let frames = 0;
    while (r.next(discard, 0, { record: () => {} })) frames++; // records decoded too: a corrupt one is found here
    if (frames === 0) throw new RecordingError(`${file}: no events recorded`);
  } catch (e) {
    if (e instanceof RecordingError || e instanceof RangeError) throw new ReplayInputError(`recording ${(e as Error).message.startsWith(file) ? '' : `${file}: `}${(e as Error).message}`);
    throw e;
  }
}

function checkLobster(messageFile: string, orderbookFile: string, bookRows: number | undefined): void {
  nonEmptyFile(messageFile, 'LOBSTER message file');
  nonEmptyFile(orderbookFile, 'LOBSTER orderbook file');
  let r: LobsterPairReader | undefined;
  try {
    r = new LobsterPairReader(messageFile, orderbookFile);
    if (r.date === null) throw new ReplayInputError(`LOBSTER message file ${messageFile}: no trading date in the file name (TICKER_YYYY-MM-DD_..._message_N.csv)`);
    if (bookRows !== undefined && r.levels > bookRows) {
      throw new ReplayInputError(`LOBSTER orderbook file ${orderbookFile}: ${r.levels} levels, but the replayed symbol's book has ${bookRows} rows (pass --levels ${r.levels})`);
    }
    while (r.next());
  } catch (e) {
    if (e instanceof LobsterFormatError || e instanceof RangeError) throw new ReplayInputError(`LOBSTER ${e.message}`);
    throw e;
  } finally {
    r?.close();
  }
}
