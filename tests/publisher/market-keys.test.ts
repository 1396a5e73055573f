import { describe, expect, it } from 'vitest';
import { HeaderFields } from '../../engine/codec/Header.js';
import { Trade } from '../../engine/codec/Messages.js';
import { loadConfig } from '../../engine/config/loadConfig.js';
import { ConflatingWriter } from '../../engine/redis/ConflatingWriter.js';
import { MarketKeys } from '../../actors/publisher/MarketKeys.js';

/** What a flush hands the writer: the keys pending in it (ConflatingWriter keeps only the newest per key). */
function pendingKeys(w: ConflatingWriter): string[] {
  return [...(w as unknown as { pending: Map<string, unknown> }).pending.keys()].sort();
}

describe('MarketKeys flush cadence', () => {
  it('a flush without lists sends `last` and keeps the trade list dirty for the next list flush', () => {
    const cfg = loadConfig({ env: {} }).config;
    const keys = new MarketKeys(cfg);
    const dv = new DataView(new ArrayBuffer(128));
    const h = new HeaderFields();
    h.symbolId = 0;
    const sym = cfg.symbols[0].symbol;
    for (let i = 0; i < 3; i++) {
      h.eventNs = (1_700_000_000_000 + i) * 1e6;
      Trade.write(dv, 0, h, 100 + i, 10, 1, 0);
      keys.onMessage(dv, 0);
    }
    const fast = new ConflatingWriter(1000);
    keys.flushInto(fast, false);
    expect(pendingKeys(fast)).toEqual([`market:{${sym}}:last`]);
    const full = new ConflatingWriter(1000);
    keys.flushInto(full, true);
    // `last` already went out; the list did not, and goes now with all three trades, newest first
    expect(pendingKeys(full)).toEqual([`market:{${sym}}:trades`]);
    const trades = JSON.parse((full as unknown as { pending: Map<string, { value: string }> }).pending.get(`market:{${sym}}:trades`)!.value);
    expect(trades.map((t: number[]) => t[1])).toEqual([102, 101, 100]);
    const again = new ConflatingWriter(1000);
    keys.flushInto(again, true);
    expect(pendingKeys(again)).toEqual([]); // nothing changed since
  });
});
