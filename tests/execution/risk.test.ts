import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../engine/config/loadConfig.js';
import { Portfolio } from '../../actors/execution/Portfolio.js';
import { RiskEngine, type OrderCheck } from '../../actors/execution/risk/RiskEngine.js';
import { CircuitBreaker } from '../../actors/execution/risk/CircuitBreaker.js';

const base = loadConfig({ env: {} }).config.risk;
const cfg = { ...base, maxNotionalPerOrder: 50_000, maxPositionPerSymbol: 100_000, maxOpenPositions: 2, maxCorrelation: 0.8, dailyLossLimit: 1000, maxDrawdown: 2000, varLimit: 10_000, maxOrdersPerSecond: 3, requireMarketHours: true, startingEquity: 1_000_000 };
const order = (o: Partial<OrderCheck> = {}): OrderCheck => ({ symbol: 'SPY', side: 1, qty: 10, price: 100, reduceOnly: false, nowMs: 0, marketOpen: true, dailyVol: 0.01, ...o });
const setup = () => {
  const pf = new Portfolio(cfg.startingEquity);
  return { pf, risk: new RiskEngine(cfg, pf) };
};
let t = 0;
const next = (o: Partial<OrderCheck> = {}) => order({ nowMs: (t += 1000), ...o }); // spaced out: never rate-limited

describe('risk rules, each on its edge', () => {
  it('max notional per order: equal passes, one cent more is refused', () => {
    const { risk } = setup();
    expect(risk.check(next({ qty: 500, price: 100 }), false, false).ok).toBe(true);
    const v = risk.check(next({ qty: 500, price: 100.0001 }), false, false);
    expect(v).toMatchObject({ ok: false, rule: 'max-notional' });
  });

  it('position cap per symbol counts the existing position', () => {
    const { risk, pf } = setup();
    pf.applyFill('SPY', 900, 100);
    expect(risk.check(next({ qty: 100 }), false, false).ok).toBe(true); // 100,000 exactly
    expect(risk.check(next({ qty: 101 }), false, false)).toMatchObject({ ok: false, rule: 'position-cap' });
  });

  it('max open positions: a new symbol beyond the cap is refused, adding to an open one is not', () => {
    const { risk, pf } = setup();
    pf.applyFill('SPY', 10, 100);
    pf.applyFill('QQQ', 10, 100);
    expect(risk.check(next({ symbol: 'IWM' }), false, false)).toMatchObject({ ok: false, rule: 'max-open-positions' });
    expect(risk.check(next({ symbol: 'SPY' }), false, false).ok).toBe(true);
  });

  it('correlation cap: same-direction exposure to a name correlated above the cap is refused', () => {
    const { risk, pf } = setup();
    pf.applyFill('SPY', 10, 100);
    risk.correlation = { QQQ: { SPY: 0.81 } };
    expect(risk.check(next({ symbol: 'QQQ', side: 1 }), false, false)).toMatchObject({ ok: false, rule: 'correlation' });
    expect(risk.check(next({ symbol: 'QQQ', side: -1 }), false, false).ok).toBe(true); // a hedge
    risk.correlation = { QQQ: { SPY: 0.8 } };
    expect(risk.check(next({ symbol: 'QQQ', side: 1 }), false, false).ok).toBe(true);
  });

  it('daily loss limit and max drawdown block entries but never exits', () => {
    const { risk, pf } = setup();
    pf.applyFill('SPY', 100, 100);
    pf.mark('SPY', 90.01); // −999
    expect(risk.check(next({ symbol: 'QQQ' }), false, false).ok).toBe(true);
    pf.mark('SPY', 90); // −1000: at the limit
    expect(risk.check(next({ symbol: 'QQQ' }), false, false)).toMatchObject({ ok: false, rule: 'daily-loss' });
    expect(risk.check(next({ symbol: 'SPY', side: -1, qty: 100, reduceOnly: true }), false, false).ok).toBe(true);
    const d = setup();
    d.pf.applyFill('SPY', 100, 100);
    d.pf.mark('SPY', 130);
    d.pf.snapshot(1); // peak +3000
    d.pf.mark('SPY', 110); // drawdown 2000, day P&L still +1000
    expect(d.risk.check(next({ symbol: 'QQQ' }), false, false)).toMatchObject({ ok: false, rule: 'max-drawdown' });
  });

  it('VaR limit: parametric 99 % one-day, refused just above the limit', () => {
    const { risk } = setup();
    // qty·price·σ·2.326 = 10,000 → qty = 10,000 / (100·0.01·2.326) ≈ 4299.2
    expect(risk.check(next({ qty: 429, price: 100, dailyVol: 0.1 }), false, false).ok).toBe(true); // VaR 9978
    expect(risk.check(next({ qty: 430, price: 100, dailyVol: 0.1 }), false, false)).toMatchObject({ ok: false, rule: 'var' }); // 10,001.8
  });

  it('order-rate limit: the (n+1)th order within one second is refused, exits included', () => {
    const { risk, pf } = setup();
    pf.applyFill('SPY', 10, 100);
    for (let i = 0; i < 3; i++) expect(risk.check(order({ nowMs: 5_000_000 + i }), false, false).ok).toBe(true);
    expect(risk.check(order({ nowMs: 5_000_500, side: -1, reduceOnly: true }), false, false)).toMatchObject({ ok: false, rule: 'order-rate' });
    expect(risk.check(order({ nowMs: 5_001_000 }), false, false).ok).toBe(true); // the window moved
  });

  it('market hours, halt and breaker block entries; exits pass', () => {
    const { risk, pf } = setup();
    pf.applyFill('SPY', 10, 100);
    expect(risk.check(next({ symbol: 'QQQ', marketOpen: false }), false, false)).toMatchObject({ ok: false, rule: 'market-hours' });
    expect(risk.check(next({ symbol: 'QQQ' }), true, false)).toMatchObject({ ok: false, rule: 'circuit-breaker' });
    expect(risk.check(next({ symbol: 'QQQ' }), false, true)).toMatchObject({ ok: false, rule: 'halted' });
    expect(risk.check(next({ side: -1, qty: 10, reduceOnly: true, marketOpen: false }), true, true).ok).toBe(true);
  });

  it('a reduce-only order that would not reduce is refused; bad sizes and prices are refused', () => {
    const { risk } = setup();
    expect(risk.check(next({ reduceOnly: true }), false, false)).toMatchObject({ ok: false, rule: 'reduce-only' });
    expect(risk.check(next({ qty: 0 }), false, false)).toMatchObject({ ok: false, rule: 'sanity' });
    expect(risk.check(next({ price: Number.NaN }), false, false)).toMatchObject({ ok: false, rule: 'sanity' });
    expect(risk.rejections.sanity).toBe(2);
  });
});

describe('circuit breaker', () => {
  it('trips, blocks, closes only after the quiet period AND an approval', () => {
    const changes: string[] = [];
    const b = new CircuitBreaker(60_000, 0.5, (s) => changes.push(s.state));
    b.trip('drawdown', 1000);
    expect(b.isOpen).toBe(true);
    b.tick(100_000); // quiet period over, no approval
    expect(b.isOpen).toBe(true);
    b.approve(30_000); // approved inside the quiet period: still tripped
    expect(b.isOpen).toBe(true);
    b.tick(60_999);
    expect(b.isOpen).toBe(true);
    b.tick(61_000);
    expect(b.isOpen).toBe(false);
    expect(changes).toEqual(['tripped', 'closed']);
  });

  it('a new trip cause restarts the quiet period and withdraws the approval', () => {
    const b = new CircuitBreaker(10_000, 0.5);
    b.trip('stale data', 0);
    b.approve(5000);
    b.trip('drawdown', 9000);
    b.tick(12_000);
    expect(b.isOpen).toBe(true); // approval withdrawn
    b.approve(12_000);
    expect(b.isOpen).toBe(true); // quiet until 19,000
    b.tick(19_000);
    expect(b.isOpen).toBe(false);
  });

  it('trips on the broker reject/error rate over the last answers', () => {
    const b = new CircuitBreaker(1000, 0.5);
    for (let i = 0; i < 3; i++) b.brokerAnswer(false, i);
    b.brokerAnswer(true, 4);
    b.brokerAnswer(true, 5); // 2 of 5
    expect(b.isOpen).toBe(false);
    b.brokerAnswer(true, 6); // 3 of 6
    expect(b.isOpen).toBe(true);
    expect(b.reason).toMatch(/reject\/error rate 50%/);
  });

  it('reset closes at once', () => {
    const b = new CircuitBreaker(1e9, 0.5);
    b.trip('manual', 0);
    b.reset(1);
    expect(b.isOpen).toBe(false);
  });
});

describe('buying power and preservation mode (the broker account in risk)', () => {
  const withAccount = (bp: number, obp = bp, ts = 0) => {
    const s = setup();
    s.risk.account = { buyingPower: bp, optionsBuyingPower: obp, ts };
    return s;
  };

  it('an entry may use the buying power less the reserve: equal passes, one cent more is refused', () => {
    // reserve 5 %: 10,000 of buying power leaves 9,500
    const { risk } = withAccount(10_000, 0, (t += 1000) + 10_000);
    expect(cfg.buyingPowerReserve).toBe(0.05);
    expect(risk.check(order({ nowMs: t + 1000, qty: 95, price: 100 }), false, false).ok).toBe(true);
    const v = risk.check(order({ nowMs: t + 2000, qty: 95, price: 100.0001 }), false, false);
    expect(v).toMatchObject({ ok: false, rule: 'buying-power' });
    expect((v as { reason: string }).reason).toMatch(/order cost 9500 > buying power 10000 less the 5 % reserve \(9500\)/);
  });

  it('an option bought is its premium × 100 against the options buying power', () => {
    const now = (t += 1000);
    const { risk } = withAccount(1e9, 9_500 / 0.95, now);
    expect(risk.check(order({ symbol: 'SPY261218C00600000', nowMs: now, qty: 19, price: 5 }), false, false).ok).toBe(true); // 9,500
    expect(risk.check(order({ symbol: 'SPY261218C00600000', nowMs: now + 1, qty: 20, price: 5 }), false, false)).toMatchObject({ ok: false, rule: 'buying-power' });
  });

  it('no account read yet, or figures older than accountMaxAgeMs: entries refused; the rule is off when no account is tracked', () => {
    const { risk } = setup();
    expect(risk.check(next(), false, false).ok).toBe(true); // undefined: not tracked
    risk.account = null;
    expect(risk.check(next(), false, false)).toMatchObject({ ok: false, rule: 'buying-power', reason: 'no broker account read yet: buying power unknown' });
    const now = (t += 1000);
    risk.account = { buyingPower: 1e9, optionsBuyingPower: 1e9, ts: now - cfg.accountMaxAgeMs };
    expect(risk.check(order({ nowMs: now }), false, false).ok).toBe(true); // exactly the max age
    risk.account = { buyingPower: 1e9, optionsBuyingPower: 1e9, ts: now - cfg.accountMaxAgeMs - 1 };
    expect(risk.check(order({ nowMs: now + 1 }), false, false)).toMatchObject({ ok: false, rule: 'buying-power' });
  });

  it('preservation mode refuses entries and lets exits through', () => {
    const { risk, pf } = withAccount(1e9, 1e9, 0);
    pf.applyFill('SPY', 10, 100);
    risk.preservation = 'preservation mode since x: 3 consecutive broker errors (last: timeout)';
    expect(risk.check(order({ nowMs: 1, symbol: 'QQQ' }), false, false)).toMatchObject({ ok: false, rule: 'preservation' });
    expect(risk.check(order({ nowMs: 2, side: -1, qty: 10, reduceOnly: true }), false, false).ok).toBe(true);
    risk.preservation = null;
    expect(risk.check(order({ nowMs: 3, symbol: 'QQQ' }), false, false).ok).toBe(true);
  });
});
