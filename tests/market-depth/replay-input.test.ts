/**
 * A replay of a missing, empty or malformed file is one clear line and exit status 2 before the engine
 * starts (no Redis is needed to see it: the check runs before Redis is resolved).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeSyntheticLobsterDay } from '../../bench/lobsterDay.js';
import { cli } from '../helpers/engine.js';

const dir = mkdtempSync(join(tmpdir(), 'replay-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, body: string | Buffer): string => {
  const p = join(dir, name);
  writeFileSync(p, body);
  return p;
};
// Nothing listens here: if a check let the engine through, it would fail on Redis (status 3), not 2.
const env = { REDIS_URL: 'redis://127.0.0.1:1', ALPHATRADER_LOGGING_PRETTY: 'never' };

async function refused(args: string[], message: RegExp): Promise<void> {
  const r = await cli(args, env);
  expect(r.code, r.stderr).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(message);
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
}

describe('replay inputs are checked before the engine starts', () => {
  const day = writeSyntheticLobsterDay(dir, { messages: 400, levels: 10, seed: 2 });

  it('a recording that is missing, empty, not a recording, or corrupt', async () => {
    await refused(['replay', join(dir, 'missing.atrec')], /^alphatrader: recording .*missing\.atrec: no such file$/);
    await refused(['replay', file('empty.atrec', '')], /^alphatrader: recording .*empty\.atrec: the file is empty$/);
    await refused(['replay', day.messageFile], /not an AlphaTrader recording .*replay --lobster/);
    await refused(['replay', file('bad.atrec', 'ATREC1\n\x05\x00\x00\x00{"sym')], /bad\.atrec: corrupt header$/);
    const frame = Buffer.alloc(19);
    frame.writeUInt8(99, 0);
    const header = Buffer.from('{"symbols":["SPY"],"startedAtMs":0,"source":"tws"}');
    const pre = Buffer.alloc(11);
    pre.write('ATREC1\n', 0, 'latin1');
    pre.writeUInt32LE(header.length, 7);
    await refused(['replay', file('kind.atrec', Buffer.concat([pre, header, frame]))], /unknown frame kind 99/);
  });

  it('a LOBSTER pair with a missing, empty or malformed file', async () => {
    await refused(['replay', '--lobster', join(dir, 'X_2024-03-15_1_2_message_10.csv'), day.orderbookFile], /LOBSTER message file .*: no such file$/);
    await refused(['replay', '--lobster', day.messageFile, file('E_2024-03-15_1_2_orderbook_10.csv', '')], /LOBSTER orderbook file .*: the file is empty$/);
    const rows = (await import('node:fs')).readFileSync(day.messageFile, 'utf8').split('\n');
    rows[300] = rows[300]!.replace(/,(-?1),/, ',x,');
    const bad = file('B_2024-03-15_34200000_57600000_message_10.csv', rows.join('\n'));
    await refused(['replay', '--lobster', bad, day.orderbookFile], /^alphatrader: LOBSTER .*B_2024.*: line 301, column \d: /);
    await refused(['replay', '--lobster', day.messageFile, day.orderbookFile, '--levels', '5'], /10 levels, but the replayed symbol's book has 5 rows \(pass --levels 10\)/);
  });
});
