import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { archiveJournal } from '../../actors/execution/JournalArchive.js';
import { newOrderRecord } from '../../actors/execution/OrderBookkeeping.js';
import { OrderJournal } from '../../actors/execution/OrderJournal.js';
import { Portfolio } from '../../actors/execution/Portfolio.js';
import { mulberry32 } from '../helpers/prng.js';
import { TestRedis } from '../helpers/redis.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-12-07T15:00:00Z');

/** What a replay yields: open orders, positions and realised P&L per symbol. */
async function summary(j: OrderJournal) {
  const l = await j.load(NOW);
  const pf = new Portfolio(0);
  pf.replay(l.fills);
  const open = [...l.orders.values()].filter((o) => !['filled', 'cancelled', 'rejected', 'expired'].includes(o.state)).map((o) => `${o.order.clientOrderId}:${o.filledQty}`).sort();
  const pos = Object.fromEntries([...pf.positions.values()].map((p) => [p.symbol, { qty: p.qty, avg: +p.avgPrice.toFixed(9), realized: +p.realizedPnl.toFixed(6) }]));
  return { open, pos, realized: +pf.realizedPnl.toFixed(6), entries: l.entries, orders: l.orders.size };
}

describe('journal retention: archive closed history, replay the same state', () => {
  let redis: TestRedis;
  let r: Redis;
  beforeAll(async () => {
    redis = await TestRedis.start();
    r = redis.client();
    await r.connect();
  });
  afterAll(async () => {
    r?.disconnect();
    await redis?.stop();
  });

  it('20 days of random trading, 5 retained: same open orders, positions and realised P&L; a second archive changes nothing', async () => {
    const rnd = mulberry32(7);
    const j = new OrderJournal(r, 'test:journal');
    await r.del('test:journal');
    let exec = 0;
    for (let d = 20; d >= 0; d--) {
      for (let k = 0; k < 30; k++) {
        const ts = NOW - d * DAY + k * 60_000;
        const sym = ['SPY', 'QQQ', 'IWM'][Math.floor(rnd() * 3)];
        const qty = 1 + Math.floor(rnd() * 50);
        const rec = newOrderRecord({ clientOrderId: `AT-${d}-${k}`, symbol: sym, side: rnd() < 0.5 ? 'buy' : 'sell', qty, type: 'market', tif: 'day' }, ts, 1, false);
        await j.appendIntent(rec);
        const px = 100 + rnd() * 10;
        const end = rnd();
        if (d === 0 && end < 0.3) continue; // today's: some still open
        if (end < 0.1) await j.appendEvent(rec.order.clientOrderId, { kind: 'rejected', clientOrderId: rec.order.clientOrderId, reason: 'no', ts });
        else {
          const part = end < 0.3 ? Math.max(1, Math.floor(qty / 2)) : qty;
          await j.appendEvent(rec.order.clientOrderId, { kind: part === qty ? 'fill' : 'partial_fill', clientOrderId: rec.order.clientOrderId, execId: `E${++exec}`, price: px, qty: part, cumQty: part, leavesQty: qty - part, ts });
          if (part < qty) await j.appendEvent(rec.order.clientOrderId, { kind: 'canceled', clientOrderId: rec.order.clientOrderId, filledQty: part, ts });
        }
      }
    }
    const before = await summary(j);
    const rep = await archiveJournal(r, 'test:journal', NOW, 5);
    expect(rep.archived).toBeGreaterThan(0);
    expect(rep.carried).toBeGreaterThan(0);
    const after = await summary(j);
    expect(after.open).toEqual(before.open);
    expect(after.pos).toEqual(before.pos);
    expect(after.realized).toBeCloseTo(before.realized, 6);
    expect(after.entries).toBeLessThan(before.entries / 2);
    expect(await r.xlen(rep.archiveKey!)).toBe(before.entries); // the old journal whole, under its archive key
    const again = await archiveJournal(r, 'test:journal', NOW, 5);
    expect(again.archived).toBe(rep.carried); // only the carries fold into themselves
    expect(await summary(j)).toMatchObject({ open: before.open, pos: before.pos });
  });

  it('an order still open in the past stops the prefix: nothing after it is archived', async () => {
    const j = new OrderJournal(r, 'test:j2');
    await r.del('test:j2');
    const old = NOW - 10 * DAY;
    const a = newOrderRecord({ clientOrderId: 'A', symbol: 'SPY', side: 'buy', qty: 5, type: 'limit', limitPrice: 1, tif: 'gtc' }, old, 0, false);
    await j.appendIntent(a); // never filled, still working
    const b = newOrderRecord({ clientOrderId: 'B', symbol: 'SPY', side: 'buy', qty: 5, type: 'market', tif: 'day' }, old + 1, 0, false);
    await j.appendIntent(b);
    await j.appendEvent('B', { kind: 'fill', clientOrderId: 'B', execId: 'x', price: 10, qty: 5, cumQty: 5, leavesQty: 0, ts: old + 2 });
    const rep = await archiveJournal(r, 'test:j2', NOW, 5);
    expect(rep.archived).toBe(0);
    expect((await summary(j)).open).toEqual(['A:0']);
  });
});
