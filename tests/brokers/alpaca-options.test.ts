/**
 * Alpaca option trading through the real @alpacahq/alpaca-trade-api v4 client (AlpacaBroker) against the
 * loopback Alpaca simulator, whose option side prices from the shared OptionMarket (options-trading.md §3):
 * the contracts endpoint and its filters; a single-leg order by unpadded OCC symbol with `position_intent`
 * filled in whole contracts, reported back as the option instrument (positions in contracts, premium per
 * share, cash × 100); the adapter's and the venue's refusals; and the expiry at the close (ITM long call
 * exercised: OPEXC + OPTRD shares at the strike; OTM expired: OPEXP).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AlpacaBroker } from '../../actors/execution/brokers/AlpacaBroker.js';
import { BrokerError, type BrokerEvent, type BrokerOrder } from '../../actors/execution/brokers/types.js';
import { option } from '../../analytics/instrument.js';
import { OptionMarket } from '../../sim/options/OptionMarket.js';
import { AlpacaSimulator } from '../../sim/alpaca/index.js';
import { fillsOf, KEY, kinds, SECRET, waitFor } from './helpers.js';

const DAY = '2026-12-07'; // a Monday
let now = Date.parse(`${DAY}T16:00:00Z`); // 11:00 New York
let spot = 590;
const market = new OptionMarket({ seed: 44, rate: 0.045, dividendYield: () => 0.013, nowMs: () => now, spot: () => spot });
const sim = new AlpacaSimulator({
  keyId: KEY, secret: SECRET, quote: (s) => (s === 'SPY' ? { bid: spot - 0.01, ask: spot + 0.01 } : undefined),
  fillDelayMs: 2, pollMs: 10, startingCash: 1_000_000, nowMs: () => now, options: market,
});
let urls: { baseUrl: string; streamUrl: string };
const brokers: AlpacaBroker[] = [];

beforeAll(async () => {
  urls = await sim.start();
});
afterEach(async () => {
  for (const b of brokers.splice(0)) await b.close();
});
afterAll(async () => {
  await sim.stop();
});

async function broker(): Promise<{ b: AlpacaBroker; events: BrokerEvent[] }> {
  const b = new AlpacaBroker({ keyId: KEY, secret: SECRET, ...urls, timeoutMs: 2_000, backoffBaseMs: 20, maxBackoffMs: 200, streamReconnectMs: 50 });
  brokers.push(b);
  const events: BrokerEvent[] = [];
  b.onEvent((e) => events.push(e));
  await b.connect();
  return { b, events };
}

/** The REST API as any client sees it (for what the adapter never sends). */
async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${urls.baseUrl}${path}`, {
    method, headers: { 'APCA-API-KEY-ID': KEY, 'APCA-API-SECRET-KEY': SECRET, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const call = (strike: number) => option('SPY', DAY, 'C', strike);
const order = (coid: string, strike: number, o: Partial<BrokerOrder> = {}): BrokerOrder => {
  const i = call(strike);
  return { clientOrderId: coid, symbol: i.occ, instrument: i, side: 'buy', qty: 2, type: 'limit', tif: 'day', ...o };
};
const simOrder = (coid: string) => sim.orders().find((o) => o.client_order_id === coid)!;

describe('Alpaca option orders against the simulator', () => {
  it('GET /v2/options/contracts filters by underlying, expiry, type and strike; one contract by its OCC symbol', async () => {
    const r = await api('GET', `/v2/options/contracts?underlying_symbols=SPY&expiration_date=${DAY}&type=call&strike_price_gte=590&strike_price_lte=590`);
    expect(r.status).toBe(200);
    const list = r.body.option_contracts as Record<string, unknown>[];
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ symbol: 'SPY261207C00590000', underlying_symbol: 'SPY', root_symbol: 'SPY', type: 'call', style: 'american', strike_price: '590', multiplier: '100', expiration_date: DAY, tradable: true });
    const one = await api('GET', '/v2/options/contracts/SPY261207C00590000');
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ symbol: 'SPY261207C00590000', id: list[0]!.id });
    const puts = (await api('GET', `/v2/options/contracts?underlying_symbols=SPY&expiration_date=${DAY}&type=put`)).body.option_contracts as Record<string, unknown>[];
    expect(puts.length).toBeGreaterThan(1);
    expect(puts.every((c) => c.type === 'put' && c.expiration_date === DAY)).toBe(true);
    expect((await api('GET', '/v2/options/contracts/SPY261207C00592500')).status).toBe(404);
  });

  it('a limit buy by OCC symbol with buy_to_open fills in whole contracts; the position is the option instrument, premium per share, cash × 100; a sell closes it (sell_to_close)', async () => {
    const { b, events } = await broker();
    const q = market.quote('SPY', DAY, 'call', 590)!;
    const cashBefore = (await b.account()).cash;
    await b.place(order('alp-opt-1', 590, { limitPrice: q.ask, positionIntent: 'open' }));
    await waitFor(() => kinds(events, 'alp-opt-1').includes('fill'), 'option fill');
    const [f] = fillsOf(events, 'alp-opt-1');
    expect(f).toMatchObject({ price: q.ask, qty: 2, cumQty: 2, leavesQty: 0 });
    expect(simOrder('alp-opt-1')).toMatchObject({ symbol: 'SPY261207C00590000', asset_class: 'us_option', position_intent: 'buy_to_open', qty: '2', time_in_force: 'day' });
    const pos = (await b.positions()).find((p) => p.symbol === 'SPY261207C00590000')!;
    expect(pos).toMatchObject({ qty: 2, avgPrice: q.ask, instrument: { kind: 'option', underlying: 'SPY', expiry: DAY, right: 'C', strike: 590, multiplier: 100, occ: 'SPY261207C00590000' } });
    expect((await b.account()).cash - cashBefore).toBeCloseTo(-q.ask * 100 * 2, 6);

    const bid = market.quote('SPY', DAY, 'call', 590)!.bid;
    await b.place(order('alp-opt-2', 590, { side: 'sell', type: 'market', positionIntent: 'close' }));
    await waitFor(() => kinds(events, 'alp-opt-2').includes('fill'), 'closing fill');
    expect(fillsOf(events, 'alp-opt-2')[0]!.price).toBe(bid);
    expect(simOrder('alp-opt-2')).toMatchObject({ position_intent: 'sell_to_close', side: 'sell' });
    expect((await b.positions()).some((p) => p.symbol === 'SPY261207C00590000')).toBe(false);
  });

  it('a resting option order lists as the option instrument among open orders; cancel ends it', async () => {
    const { b, events } = await broker();
    const q = market.quote('SPY', DAY, 'call', 585)!;
    await b.place(order('alp-opt-rest', 585, { limitPrice: Math.max(0.01, Math.round(q.bid * 50) / 100) }));
    await waitFor(() => kinds(events, 'alp-opt-rest').includes('new'), 'working');
    expect((await b.openOrders()).find((o) => o.clientOrderId === 'alp-opt-rest')).toMatchObject({ symbol: 'SPY261207C00585000', instrument: { kind: 'option', strike: 585 }, qty: 2, filledQty: 0, side: 'buy' });
    expect(await b.orderByClientId('alp-opt-rest')).toMatchObject({ instrument: { occ: 'SPY261207C00585000' } });
    await b.cancel('alp-opt-rest');
    await waitFor(() => kinds(events, 'alp-opt-rest').includes('canceled'), 'canceled');
  });

  it('refusals: the adapter before sending (fractional, non-DAY, stop, MOC); the venue (fractional, gtc, stop, unlisted contract, closing nothing)', async () => {
    const { b } = await broker();
    for (const bad of [{ qty: 1.5 }, { tif: 'gtc' as const }, { type: 'stop' as const, stopPrice: 1 }, { type: 'moc' as const }]) {
      await expect(b.place(order(`alp-bad-${Object.keys(bad)[0]}`, 590, { limitPrice: 1, ...bad }))).rejects.toSatisfy((e: unknown) => e instanceof BrokerError && e.kind === 'input');
    }
    const post = (o: Record<string, unknown>) => api('POST', '/v2/orders', { symbol: 'SPY261207C00590000', qty: '1', side: 'buy', type: 'limit', limit_price: '1.00', time_in_force: 'day', position_intent: 'buy_to_open', ...o });
    expect(await post({ qty: '1.5', client_order_id: 'v-frac' })).toMatchObject({ status: 422, body: { code: 40010001 } });
    expect(await post({ time_in_force: 'gtc', client_order_id: 'v-gtc' })).toMatchObject({ status: 422, body: { code: 40010001 } });
    expect(await post({ type: 'stop', stop_price: '1.00', client_order_id: 'v-stop' })).toMatchObject({ status: 422, body: { code: 40010001 } });
    expect(await post({ symbol: 'SPY261207C00592500', client_order_id: 'v-unlisted' })).toMatchObject({ status: 422, body: { code: 40010001 } });
    const closing = await post({ side: 'sell', position_intent: 'sell_to_close', client_order_id: 'v-close-nothing' });
    expect(closing).toMatchObject({ status: 403, body: { code: 40310000 } });
    expect(String(closing.body.message)).toMatch(/insufficient qty/);
  });

  it('at the expiry day\'s close an ITM long call is exercised into shares at the strike (OPEXC + OPTRD) and an OTM one expires (OPEXP)', async () => {
    const { b, events } = await broker();
    await b.place(order('alp-itm', 585, { type: 'market', qty: 1 }));
    await b.place(order('alp-otm', 593, { type: 'market', qty: 3 }));
    await waitFor(() => kinds(events, 'alp-itm').includes('fill') && kinds(events, 'alp-otm').includes('fill'), 'both fills');
    const sharesBefore = (await b.positions()).find((p) => p.symbol === 'SPY')?.qty ?? 0;
    spot = 591; // the close: the 585 call is $6 in the money, the 593 call out of it
    now = Date.parse(`${DAY}T21:00:01Z`); // 16:00:01 New York
    sim.expireOptions();
    const acts = (await api('GET', '/v2/account/activities?activity_types=OPEXC,OPEXP,OPASN,OPTRD')).body as unknown as Record<string, unknown>[];
    expect(acts.map((a) => [a.activity_type, a.symbol, a.qty])).toEqual(expect.arrayContaining([
      ['OPEXC', 'SPY261207C00585000', '-1'],
      ['OPTRD', 'SPY', '100'],
      ['OPEXP', 'SPY261207C00593000', '-3'],
    ]));
    const optrd = acts.find((a) => a.activity_type === 'OPTRD')!;
    expect(optrd).toMatchObject({ price: '585', net_amount: '-58500' });
    expect(acts.find((a) => a.activity_type === 'OPEXC')!.group_id).toBe(optrd.group_id);
    const pos = await b.positions();
    expect(pos.filter((p) => p.instrument?.kind === 'option')).toEqual([]);
    expect(pos.find((p) => p.symbol === 'SPY')).toMatchObject({ qty: sharesBefore + 100 });
    expect(pos.find((p) => p.symbol === 'SPY')!.instrument).toBeUndefined();
  });
});
