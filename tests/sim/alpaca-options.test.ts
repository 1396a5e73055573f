/**
 * The Alpaca simulator's option side on the wire (plain fetch, as tests/brokers/alpaca-simulator.test.ts):
 * GET /v2/options/contracts and its filters, an option order by OCC symbol with position_intent filling into
 * a position in contracts with dollar fields × 100, the venue's error answers (options-trading.md §3.4: 422
 * 40010001 input, 403 40310000 position checks), and the expiry step at the expiry day's close (OPEXP for
 * OTM, OPEXC + OPTRD shares for a long ITM, OPASN + OPTRD for a short ITM).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlpacaSimulator } from '../../sim/alpaca/index.js';
import { OptionMarket } from '../../sim/options/OptionMarket.js';
import { KEY, SECRET } from '../brokers/helpers.js';

const EXPIRY = '2026-12-07'; // a Monday
let now = Date.UTC(2026, 11, 7, 16, 0); // 11:00 New York on the expiry day
let spot = 590;
const market = new OptionMarket({ seed: 42, rate: 0.045, dividendYield: () => 0.013, nowMs: () => now, spot: (s) => (s === 'SPY' ? spot : undefined) });
const shares: Record<string, { bid: number; ask: number }> = { SPY: { bid: 589.99, ask: 590.01 } };
const sim = new AlpacaSimulator({ keyId: KEY, secret: SECRET, quote: (s) => shares[s], nowMs: () => now, fillDelayMs: 1, pollMs: 5, options: market, startingCash: 1_000_000, rateLimitPerMin: 1_000_000 });
let base = '';
const AUTH = { 'APCA-API-KEY-ID': KEY, 'APCA-API-SECRET-KEY': SECRET };
let seq = 0;
const coid = (t: string) => `aopt-${t}-${++seq}`;

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(base + path, { method, headers: { ...AUTH, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}
const occ = (strike: number, right: 'C' | 'P' = 'C') => `SPY261207${right}${String(strike * 1000).padStart(8, '0')}`;
const orderBody = (symbol: string, o: Record<string, unknown> = {}) => ({ symbol, qty: '1', side: 'buy', type: 'market', time_in_force: 'day', position_intent: 'buy_to_open', client_order_id: coid('o'), ...o });
const order = async (id: string) => (await call('GET', `/v2/orders/${id}`)).body;

beforeAll(async () => {
  ({ baseUrl: base } = await sim.start());
});
afterAll(async () => {
  await sim.stop();
});

describe('Alpaca simulator: option contracts endpoint', () => {
  it('filters by underlying, expiration, type and strike; every row in the documented shape', async () => {
    const r = await call('GET', `/v2/options/contracts?underlying_symbols=SPY&expiration_date=${EXPIRY}&type=call&strike_price_gte=585&strike_price_lte=595&limit=1000`);
    expect(r.status).toBe(200);
    const rows = r.body.option_contracts as Record<string, unknown>[];
    const listed = market.contracts({ symbol: 'SPY', expiry: EXPIRY, type: 'call' }).filter((c) => c.strike >= 585 && c.strike <= 595);
    expect(rows.map((c) => c.symbol).sort()).toEqual(listed.map((c) => c.contractID).sort());
    expect(rows.length).toBeGreaterThan(1);
    expect(r.body.next_page_token).toBeNull();
    const atm = rows.find((c) => c.symbol === occ(590))!;
    expect(atm).toMatchObject({ status: 'active', tradable: true, expiration_date: EXPIRY, root_symbol: 'SPY', underlying_symbol: 'SPY', type: 'call', style: 'american', strike_price: '590', multiplier: '100', size: '100' });
    expect(atm.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(rows.every((c) => c.type === 'call' && c.expiration_date === EXPIRY && Number(c.strike_price) >= 585 && Number(c.strike_price) <= 595)).toBe(true);
    // puts only; another underlying lists nothing (no price); a page of 2 carries a token to the rest
    const puts = await call('GET', `/v2/options/contracts?underlying_symbols=SPY&expiration_date=${EXPIRY}&type=put&limit=1000`);
    expect(puts.body.option_contracts.length).toBeGreaterThan(0);
    expect(puts.body.option_contracts.every((c: { type: string; symbol: string }) => c.type === 'put' && /P\d{8}$/.test(c.symbol))).toBe(true);
    const p1 = await call('GET', `/v2/options/contracts?underlying_symbols=SPY&expiration_date=${EXPIRY}&type=call&strike_price_gte=585&strike_price_lte=595&limit=2`);
    expect(p1.body.option_contracts).toHaveLength(2);
    const p2 = await call('GET', `/v2/options/contracts?underlying_symbols=SPY&expiration_date=${EXPIRY}&type=call&strike_price_gte=585&strike_price_lte=595&limit=1000&page_token=${p1.body.next_page_token}`);
    expect([...p1.body.option_contracts, ...p2.body.option_contracts].map((c: { symbol: string }) => c.symbol)).toEqual(rows.map((c) => c.symbol));
    // a later expiry only through the expiration filters (the default window ends on the coming Friday)
    const later = await call('GET', '/v2/options/contracts?underlying_symbols=SPY&expiration_date_gte=2026-12-14&limit=10000');
    expect(later.body.option_contracts.every((c: { expiration_date: string }) => c.expiration_date >= '2026-12-14')).toBe(true);
    const dflt = await call('GET', '/v2/options/contracts?underlying_symbols=SPY&limit=10000');
    expect(dflt.body.option_contracts.every((c: { expiration_date: string }) => c.expiration_date <= '2026-12-11')).toBe(true);
  });

  it('one contract by symbol or id; 404 for one not listed; 422 for a bad filter', async () => {
    const one = await call('GET', `/v2/options/contracts/${occ(590)}`);
    expect(one.status).toBe(200);
    expect(one.body.symbol).toBe(occ(590));
    const byId = await call('GET', `/v2/options/contracts/${one.body.id}`);
    expect(byId.body.symbol).toBe(occ(590));
    expect((await call('GET', `/v2/options/contracts/SPY261207C00592500`)).status).toBe(404);
    const bad = await call('GET', '/v2/options/contracts?type=straddle');
    expect(bad).toMatchObject({ status: 422, body: { code: 40010001 } });
  });
});

describe('Alpaca simulator: option orders and positions', () => {
  it('a buy_to_open limit by OCC symbol fills at the ask in contracts; the position is in contracts with dollar fields × 100', async () => {
    const q = market.quote('SPY', EXPIRY, 'call', 590)!;
    const r = await call('POST', '/v2/orders', orderBody(occ(590), { qty: '2', type: 'limit', limit_price: String(q.ask) }));
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ symbol: occ(590), asset_class: 'us_option', order_class: 'simple', position_intent: 'buy_to_open', qty: '2', time_in_force: 'day' });
    let o: any;
    for (let i = 0; i < 400 && (o = await order(r.body.id)).status !== 'filled'; i++) await new Promise((res) => setTimeout(res, 5));
    expect(o).toMatchObject({ status: 'filled', filled_qty: '2', filled_avg_price: String(q.ask) });
    const p = await call('GET', `/v2/positions/${occ(590)}`);
    expect(p.status).toBe(200);
    const mark = (q.bid + q.ask) / 2;
    expect(p.body).toMatchObject({ symbol: occ(590), asset_class: 'us_option', qty: '2', side: 'long', avg_entry_price: String(q.ask), qty_available: '2' });
    expect(Number(p.body.market_value)).toBeCloseTo(2 * mark * 100, 2);
    expect(Number(p.body.cost_basis)).toBeCloseTo(2 * q.ask * 100, 2);
    expect(Number(p.body.current_price)).toBeCloseTo(mark, 4);
    const acts = await call('GET', '/v2/account/activities/FILL');
    expect(acts.body.some((a: { order_id: string; symbol: string }) => a.order_id === r.body.id && a.symbol === occ(590))).toBe(true);
  });

  it('the venue\'s answers: fractional qty, non-DAY tif, notional, stop type, unknown contract (422); sell_to_close without a position (403)', async () => {
    const cases: [Record<string, unknown>, number, number, RegExp][] = [
      [orderBody(occ(590), { qty: '1.5' }), 422, 40010001, /whole number of contracts/],
      [orderBody(occ(590), { time_in_force: 'gtc' }), 422, 40010001, /order_time_in_force provided not supported for options trading/],
      [orderBody(occ(590), { qty: undefined, notional: '100' }), 422, 40010001, /notional/],
      [orderBody(occ(590), { type: 'stop', stop_price: '1' }), 422, 40010001, /not supported for options trading/],
      [orderBody(occ(590), { position_intent: 'sell_to_open' }), 422, 40010001, /does not match side/],
      [orderBody('SPY261207C00592500'), 422, 40010001, /not found/],
      [orderBody(occ(600), { side: 'sell', position_intent: 'sell_to_close' }), 403, 40310000, /insufficient qty available for order \(requested: 1, available: 0\)/],
    ];
    for (const [body, status, code, msg] of cases) {
      const r = await call('POST', '/v2/orders', body);
      expect({ status: r.status, code: r.body.code }, JSON.stringify(body)).toEqual({ status, code });
      expect(r.body.message).toMatch(msg);
    }
    // a naked short call: the covered-call refusal with its extra keys
    const naked = await call('POST', '/v2/orders', orderBody(occ(600), { side: 'sell', position_intent: 'sell_to_open' }));
    expect(naked).toMatchObject({ status: 403, body: { code: 40310000, available_qty: '0', required_qty: '100', symbol: occ(600) } });
    expect(naked.body.message).toMatch(/insufficient underlying qty available for covered call/);
  });

  it('sell_to_close closes the long position; cash moves premium × 100', async () => {
    const q = market.quote('SPY', EXPIRY, 'call', 590)!;
    const cash0 = Number((await call('GET', '/v2/account')).body.cash);
    const r = await call('POST', '/v2/orders', orderBody(occ(590), { side: 'sell', qty: '2', position_intent: 'sell_to_close' }));
    expect(r.status).toBe(200);
    for (let i = 0; i < 400 && (await order(r.body.id)).status !== 'filled'; i++) await new Promise((res) => setTimeout(res, 5));
    expect((await call('GET', `/v2/positions/${occ(590)}`)).status).toBe(404);
    expect(Number((await call('GET', '/v2/account')).body.cash) - cash0).toBeCloseTo(2 * q.bid * 100, 2);
  });
});

describe('Alpaca simulator: option expiry at the close', () => {
  it('OTM → OPEXP; long ITM call → OPEXC + OPTRD 100 shares at the strike; short ITM put (cash-secured) → OPASN + OPTRD', async () => {
    const filled = async (body: Record<string, unknown>) => {
      const r = await call('POST', '/v2/orders', body);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      for (let i = 0; i < 400 && (await order(r.body.id)).status !== 'filled'; i++) await new Promise((res) => setTimeout(res, 5));
      expect((await order(r.body.id)).status).toBe('filled');
    };
    await filled(orderBody(occ(585)));
    await filled(orderBody(occ(600), { qty: '3' }));
    await filled(orderBody(occ(595, 'P'), { side: 'sell', position_intent: 'sell_to_open' }));
    const cash0 = Number((await call('GET', '/v2/account')).body.cash);
    // a resting order on an expiring contract expires with it
    const rest = await call('POST', '/v2/orders', orderBody(occ(580), { type: 'limit', limit_price: '0.01' }));
    expect(rest.status).toBe(200);

    spot = 591; // at the close: 585 C $6 ITM, 600 C OTM, 595 P $4 ITM (short: assigned)
    now = Date.UTC(2026, 11, 7, 21, 0, 1); // 16:00:01 New York
    const acts = await call('GET', '/v2/account/activities?activity_types=OPEXP,OPEXC,OPASN,OPTRD&direction=asc');
    expect(acts.status).toBe(200);
    const by = (t: string, s: string) => acts.body.find((a: { activity_type: string; symbol: string }) => a.activity_type === t && a.symbol === s);
    expect(by('OPEXP', occ(600))).toMatchObject({ qty: '-3', net_amount: '0', status: 'executed' });
    const exc = by('OPEXC', occ(585));
    expect(exc).toMatchObject({ qty: '-1', net_amount: '0' });
    const asn = by('OPASN', occ(595, 'P'));
    expect(asn).toMatchObject({ qty: '1', net_amount: '0' });
    const trades = acts.body.filter((a: { activity_type: string }) => a.activity_type === 'OPTRD');
    expect(trades.map((a: any) => [a.symbol, a.qty, a.price, a.net_amount, a.group_id]).sort()).toEqual([
      ['SPY', '100', '585', '-58500', exc.group_id],
      ['SPY', '100', '595', '-59500', asn.group_id],
    ].sort());
    for (const a of acts.body) expect(a.id).toMatch(/^\d{17}::[0-9a-f-]{36}$/);
    // the options are gone; 200 shares delivered; cash paid the strikes
    const pos = (await call('GET', '/v2/positions')).body as { symbol: string; qty: string; asset_class: string }[];
    expect(pos.filter((p) => p.asset_class === 'us_option')).toEqual([]);
    expect(pos.find((p) => p.symbol === 'SPY')).toMatchObject({ qty: '200', asset_class: 'us_equity' });
    expect(Number((await call('GET', '/v2/account')).body.cash) - cash0).toBeCloseTo(-(58_500 + 59_500), 2);
    expect((await order(rest.body.id)).status).toBe('expired');
    // the step runs once per contract: asking again writes nothing new
    expect((await call('GET', '/v2/account/activities?activity_types=OPEXP,OPEXC,OPASN,OPTRD')).body).toHaveLength(acts.body.length);
  });
});
