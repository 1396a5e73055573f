/** The installed command, not the module: `alphatrader lobster book` is what the user types. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/engine.js';
import { SAMPLE_MESSAGE, SAMPLE_ORDERBOOK, SAMPLE_PRESENT } from './helpers.js';

describe.skipIf(!SAMPLE_PRESENT)('alphatrader lobster (the command)', () => {
  it('`lobster book` prints the sample orderbook file line for line', async () => {
    const r = await cli(['lobster', 'book', SAMPLE_MESSAGE, SAMPLE_ORDERBOOK], {});
    expect(r.code, r.stderr).toBe(0);
    const want = readFileSync(SAMPLE_ORDERBOOK, 'utf8').split('\n').filter((l) => l.length > 0);
    const got = r.stdout.split('\n').filter((l) => l.length > 0);
    expect(got.length).toBe(want.length);
    for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) expect(`line ${i + 1}: ${got[i]}`).toBe(`line ${i + 1}: ${want[i]}`);
  });

  it('an unknown subcommand exits 2 with the usage', async () => {
    const r = await cli(['lobster', 'nonsense'], {});
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/usage: alphatrader lobster book/);
  });
});
