/**
 * The cold path's codec (engine/runtime/ColdMessage.ts, decision 128): each thread packs and unpacks with its
 * own instance, so a message must decode alone, whatever its sender decoded or packed before it.
 */
import { Packr } from 'msgpackr';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { COLD_PACK_OPTIONS, packCold, unpackCold } from '../../engine/runtime/ColdMessage.js';

const publish = (i: number) => ({ key: `options:{SPY}:chain`, value: { symbol: 'SPY', count: 2, contracts: [{ id: `c${i}`, strike: 590 + i, bid: 1.2, oi: 10 }, { id: `p${i}`, strike: 580 - i, bid: 0.8, oi: 7 }] }, ttlMs: 60_000 });
const other = (i: number) => ({ foo: i, nested: { bar: [i, `x${i}`], when: new Date(1_700_000_000_000 + i) }, arr: new Float64Array([i, i / 2]) });

describe('cold messages (msgpack records)', () => {
  it('decode alone in another thread\'s decoder, after the sender packed and decoded other shapes', () => {
    for (let i = 0; i < 50; i++) {
      const seen = unpackCold(new Packr(COLD_PACK_OPTIONS).pack(other(i))); // what this thread decoded from another
      expect(seen).toEqual(other(i));
      const a = packCold(publish(i));
      const b = packCold(other(i + 100));
      const fresh = () => new Packr(COLD_PACK_OPTIONS); // the receiving thread's instance, which saw none of it
      expect(fresh().unpack(a)).toEqual(publish(i));
      expect(fresh().unpack(b)).toEqual(other(i + 100));
      expect(Object.getPrototypeOf((fresh().unpack(a) as { value: object }).value)).toBe(Object.prototype);
    }
  });

  it('packs repeated shapes as records (smaller than maps), and still reads maps', () => {
    const chain = { contracts: Array.from({ length: 500 }, (_, i) => ({ id: `c${i}`, expiration: '2026-12-07', strike: 500 + i, type: 'call', bid: 1, ask: 1.1, oi: i })) };
    const maps = new Packr({ useRecords: false, moreTypes: true }).pack(chain);
    expect(packCold(chain).length).toBeLessThan(maps.length * 0.7);
    expect(unpackCold(maps)).toEqual(chain); // an older recording's maps
  });
  it('packs a small message without records when asked (a signal\'s record): the same decoder reads it, as plain objects', () => {
    const record = (i: number) => ({
      strategy: '0DTE', strategyId: 1, symbol: 'SPY', direction: 'long', confidence: 0.7, price: 590 + i, inputs: { vpin: 0.4, netGex: -1.2e9 },
      signalId: i, sessionDate: '2026-12-07', contract: { ok: true, occ: 'SPY261207C00590000', strike: 590, delta: 0.48, quote: 'chain' },
    });
    for (let i = 0; i < 20; i++) {
      packCold(publish(i)); // the thread's records packer in use between them
      const plain = packCold(record(i), false);
      // no record definitions in it: the bytes are those of msgpack without the extension
      expect(Buffer.from(plain).equals(Buffer.from(new Packr({ ...COLD_PACK_OPTIONS, useRecords: false }).pack(record(i))))).toBe(true);
      const back = new Packr(COLD_PACK_OPTIONS).unpack(plain) as ReturnType<typeof record>;
      expect(back).toEqual(record(i));
      expect(Object.getPrototypeOf(back.contract)).toBe(Object.prototype);
    }
  });

  it('crosses a thread boundary as its own bytes, not as the buffer the packer reuses (a small one after a chain)', async () => {
    const { port1, port2 } = new MessageChannel();
    const got = (p: MessagePort) => new Promise<Uint8Array>((r) => p.once('message', r));
    try {
      const chain = { contracts: Array.from({ length: 3600 }, (_, i) => ({ id: `c${i}`, strike: 500 + i, bid: 1, ask: 1.1 })) };
      packCold(chain); // the packer's buffer grows past 100 KB
      for (const msg of [{ key: 'k', ttlMs: 1 }, other(1), chain]) {
        const sent = packCold(msg);
        const arrived = got(port2);
        port1.postMessage(sent);
        const b = await arrived;
        expect(b.buffer.byteLength).toBe(sent.byteLength); // what the clone copied and allocated: the message alone
        expect(unpackCold(b)).toEqual(msg);
      }
    } finally {
      port1.close();
    }
  });
});
