/**
 * The broker contract, one set of scenarios for every adapter (paper, IBKR against the TWS simulator,
 * Alpaca against the Alpaca simulator), run with acknowledgement and fill latency switched on: what the
 * execution core may rely on whatever the venue. A venue supplies a factory (tests/brokers/contract.test.ts).
 *
 * Races are made deterministic by ordering, not by timing: with LATENCY.fillMs well below LATENCY.ackMs, a
 * cancel sent when `new` is seen reaches the venue after the first fill step; and a venue processes
 * cancels in the order they were sent, so a later cancel's `canceled` event proves the earlier one was
 * handled (a barrier).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Broker, BrokerEvent, BrokerOrder, BrokerStats } from '../../actors/execution/brokers/types.js';
import { fillsOf, kinds, waitFor } from './helpers.js';

export const LATENCY = { ackMs: 150, fillMs: 20, fillSlices: 3 };

export interface ContractVenue {
  /** A connected broker on this venue (`account`: the configured execution.account). */
  broker(opts?: { account?: string }): Promise<{ b: Broker; events: BrokerEvent[] }>;
  /** Orders the venue itself holds under a client order id (the venue's count, not the adapter's). */
  venueOrders(clientOrderId: string): Promise<number>;
  symbol: string;
  /** A buy limit price that never fills. */
  restingBuyPrice: number;
  /** Orders the venue refuses, and the venue's reason text the `rejected` event must carry. */
  rejects: { order: BrokerOrder; reason: RegExp }[];
  /**
   * Accounts: `filter` — a broker configured with `other` does not see `ours`'s positions; `refuse` — it
   * refuses to connect. Absent: the venue has one implicit account (paper).
   */
  account?: { ours: string; other: string; mode: 'filter' | 'refuse' };
  stop(): Promise<void>;
}

export type ContractVenueFactory = (latency: typeof LATENCY) => Promise<ContractVenue>;

const TERMINAL = ['fill', 'canceled', 'rejected', 'expired'];

function ended(events: BrokerEvent[], coid: string): boolean {
  return kinds(events, coid).some((k) => TERMINAL.includes(k));
}

export function brokerContract(name: string, start: ContractVenueFactory): void {
  describe(`broker contract with latency on (ack ${LATENCY.ackMs} ms, fill ${LATENCY.fillMs} ms × ${LATENCY.fillSlices} slices): ${name}`, () => {
    let venue: ContractVenue | undefined;
    const open: Broker[] = [];
    let seq = 0;
    const id = (tag: string) => `AT-${name}-${tag}-${++seq}`;

    async function setup(opts?: { account?: string }) {
      venue ??= await start(LATENCY);
      const r = await venue.broker(opts);
      open.push(r.b);
      return { v: venue, ...r };
    }

    function order(v: ContractVenue, clientOrderId: string, extra: Partial<BrokerOrder> = {}): BrokerOrder {
      return { clientOrderId, symbol: v.symbol, side: 'buy', qty: 30, type: 'market', tif: 'day', ...extra };
    }

    afterEach(async () => {
      for (const b of open.splice(0)) await b.close();
      await venue?.stop();
      venue = undefined;
    });

    it('place → accepted → new → partial fills → fill, in the shared event shape', async () => {
      const { v, b, events } = await setup();
      const c = id('life');
      await b.place(order(v, c));
      await waitFor(() => ended(events, c), `${c} to end`);
      const k = kinds(events, c);
      expect(k.slice(0, 2)).toEqual(['accepted', 'new']);
      expect(k.at(-1)).toBe('fill');
      const f = fillsOf(events, c);
      // fillSlices 3: at least three executions, the last one the only `fill`.
      expect(f.length).toBeGreaterThanOrEqual(LATENCY.fillSlices);
      expect(f.slice(0, -1).every((x) => x.kind === 'partial_fill')).toBe(true);
      expect(new Set(f.map((x) => x.execId)).size).toBe(f.length);
      let cum = 0;
      for (const x of f) {
        cum = Math.round((cum + x.qty) * 1e9) / 1e9;
        expect(x).toMatchObject({ clientOrderId: c, cumQty: cum, leavesQty: Math.round((30 - cum) * 1e9) / 1e9 });
        expect(x.price).toBeGreaterThan(0);
        expect(typeof x.execId).toBe('string');
        expect(x.brokerOrderId).toBeTruthy();
      }
      expect(cum).toBe(30);
      const pos = (await b.positions()).find((p) => p.symbol === v.symbol);
      expect(pos?.qty).toBe(30);
    });

    it('cancel before the acknowledgement, and of a working order: canceled, never filled', async () => {
      const { v, b, events } = await setup();
      const early = id('early');
      const placing = b.place(order(v, early, { type: 'limit', limitPrice: v.restingBuyPrice }));
      await b.cancel(early);
      await placing;
      await waitFor(() => ended(events, early), 'in-flight cancel');
      expect(kinds(events, early).at(-1)).toBe('canceled');

      const working = id('working');
      await b.place(order(v, working, { type: 'limit', limitPrice: v.restingBuyPrice }));
      await waitFor(() => kinds(events, working).includes('new'), 'working');
      await b.cancel(working);
      await waitFor(() => ended(events, working), 'working cancel');
      expect(kinds(events, working)).toEqual(['accepted', 'new', 'canceled']);
      expect(fillsOf(events, early).concat(fillsOf(events, working))).toEqual([]);
      expect((await b.openOrders()).map((o) => o.clientOrderId)).not.toContain(working);
    });

    it('a cancel that loses the race to a fill: the fill stands, no canceled event', async () => {
      const { v, b, events } = await setup();
      const c = id('race');
      await b.place(order(v, c, { qty: 1 }));
      await waitFor(() => kinds(events, c).includes('new'), 'new');
      await b.cancel(c); // reaches the venue ackMs later, after the fill step (fillMs)
      // Barrier: a later cancel's answer means the venue has handled the earlier one.
      const bar = id('barrier');
      await b.place(order(v, bar, { type: 'limit', limitPrice: v.restingBuyPrice, qty: 1 }));
      await waitFor(() => kinds(events, bar).includes('new'), 'barrier new');
      await b.cancel(bar);
      await waitFor(() => kinds(events, bar).includes('canceled') && ended(events, c), 'barrier canceled');
      expect(kinds(events, c)).toEqual(['accepted', 'new', 'fill']);
      const seen = await b.orderByClientId(c);
      expect(seen?.filledQty).toBe(1);
    });

    it('duplicate place() of one client id, also while unacknowledged, makes one order', async () => {
      const { v, b, events } = await setup();
      const c = id('dup');
      const o = order(v, c, { type: 'limit', limitPrice: v.restingBuyPrice, qty: 5 });
      await Promise.all([b.place(o), b.place({ ...o }), b.place({ ...o })]);
      await waitFor(() => kinds(events, c).includes('new'), 'new');
      await b.place({ ...o });
      expect(await v.venueOrders(c)).toBe(1);
      expect(kinds(events, c)).toEqual(['accepted', 'new']);
      await b.cancel(c);
      await waitFor(() => ended(events, c), 'canceled');
    });

    it("cancelAll('AT-') cancels ours one by one (also one in flight) and leaves a foreign order working", async () => {
      const { v, b, events } = await setup();
      const foreign = `MANUAL-${name}-${++seq}`;
      const ours = [id('all'), id('all')];
      for (const c of [foreign, ...ours]) await b.place(order(v, c, { type: 'limit', limitPrice: v.restingBuyPrice, qty: 2 }));
      await waitFor(() => [foreign, ...ours].every((c) => kinds(events, c).includes('new')), 'working');
      const inFlight = id('all-inflight');
      const placing = b.place(order(v, inFlight, { type: 'limit', limitPrice: v.restingBuyPrice, qty: 2 }));
      expect(await b.cancelAll('AT-')).toBe(3);
      await placing;
      await waitFor(() => [...ours, inFlight].every((c) => ended(events, c)), 'ours canceled');
      for (const c of [...ours, inFlight]) expect(kinds(events, c).at(-1)).toBe('canceled');
      const left = (await b.openOrders()).map((o) => o.clientOrderId);
      expect(left).toEqual([foreign]);
      expect(kinds(events, foreign)).toEqual(['accepted', 'new']);
      await expect(b.cancelAll('')).rejects.toMatchObject({ kind: 'input' });
      await b.cancel(foreign);
    });

    it('orderByClientId finds an order that is not acknowledged yet', async () => {
      const { v, b, events } = await setup();
      const c = id('unacked');
      const placing = b.place(order(v, c, { type: 'limit', limitPrice: v.restingBuyPrice, qty: 3 }));
      const seen = await b.orderByClientId(c);
      expect(seen).toMatchObject({ clientOrderId: c, symbol: v.symbol, side: 'buy', qty: 3, filledQty: 0 });
      await placing;
      await b.cancel(c);
      await waitFor(() => ended(events, c), 'canceled');
    });

    it("a venue's reject carries the venue's reason text", async () => {
      const { v, b, events } = await setup();
      for (const r of v.rejects) {
        await b.place(r.order);
        await waitFor(() => ended(events, r.order.clientOrderId), `${r.order.clientOrderId} rejected`);
        const e = events.find((x) => x.clientOrderId === r.order.clientOrderId && x.kind === 'rejected') as { reason?: string } | undefined;
        expect(e?.reason).toMatch(r.reason);
      }
    });

    it('positions are those of the configured account', async (ctx) => {
      venue ??= await start(LATENCY);
      const acct = venue.account;
      if (!acct) return ctx.skip(); // one implicit account (paper)
      const { v, b, events } = await setup({ account: acct.ours });
      const c = id('acct');
      await b.place(order(v, c, { qty: 1 }));
      await waitFor(() => ended(events, c), 'filled');
      expect((await b.positions()).find((p) => p.symbol === v.symbol)?.qty).toBe(1);
      if (acct.mode === 'refuse') {
        await expect(v.broker({ account: acct.other })).rejects.toMatchObject({ kind: 'auth', message: expect.stringContaining(acct.other) });
        return;
      }
      // The venue reports the position to every client; the adapter keeps only its account's.
      const other = await setup({ account: acct.other });
      expect(await other.b.positions()).toEqual([]);
      expect((other.b as Broker & { stats: BrokerStats }).stats.foreignAccount).toBeGreaterThan(0);
    });

    it('account(): equity, cash, buying power, options buying power and margin; a fill moves the cash by its cost', async () => {
      const { v, b, events } = await setup();
      const before = await b.account();
      for (const k of ['equity', 'cash', 'buyingPower', 'optionsBuyingPower', 'initialMargin', 'maintenanceMargin'] as const) expect(Number.isFinite(before[k]), k).toBe(true);
      expect(before.equity).toBeGreaterThan(0);
      expect(before.buyingPower).toBeGreaterThan(0);
      expect(before.currency).toBe('USD');
      const c = id('acct-cash');
      await b.place(order(v, c));
      await waitFor(() => kinds(events, c).includes('fill'), `${c} to fill`);
      const cost = fillsOf(events, c).reduce((a, f) => a + f.price * f.qty, 0);
      // the venue books its cash with the fills (a commission, where it charges one, a few dollars more)
      let after = await b.account();
      for (const deadline = Date.now() + 15_000; Math.abs(before.cash - after.cash - cost) > 5 && Date.now() < deadline; after = await b.account()) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(Math.abs(before.cash - after.cash - cost)).toBeLessThanOrEqual(5);
      // bought at about the mark: equity about unchanged, and the position now carries margin
      expect(Math.abs(after.equity - before.equity)).toBeLessThan(cost * 0.05);
      expect(after.initialMargin).toBeGreaterThan(before.initialMargin);
    });
  });
}
