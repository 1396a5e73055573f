import { describe, expect, it } from 'vitest';
import { etTime } from '../../analytics/calendar.js';
import { loadConfig } from '../../engine/config/loadConfig.js';
import type { EngineConfig } from '../../engine/config/schema.js';
import { SignalEngine, type Snapshot } from '../../actors/signals/SignalEngine.js';
import { windowEdges } from '../../actors/signals/WindowSchedule.js';
import { STRATEGY } from '../../actors/signals/strategies/types.js';

const { config: defaults } = loadConfig({ env: {} });
const SYMS = ['SPY', 'AAPL'];
/** Only the named strategies enabled. */
const only = (...names: ('zeroDte' | 'oneDte' | 'fourteenDte' | 'moc')[]): EngineConfig => {
  const s = structuredClone(defaults.signals);
  for (const k of ['zeroDte', 'oneDte', 'fourteenDte', 'moc'] as const) s[k].enabled = names.includes(k);
  return { ...defaults, signals: s };
};
// short gamma, strong buying: 0DTE fires; pinned under the call wall with buying: MOC fires
const snap: Snapshot = { spot: 589, vpin: NaN, vpinCdf: NaN, imbalance: 0.5, microprice: 589.01, netGex: -1e9, zeroGamma: 600, callWall: 590, putWall: 580 };
const WALL = 1_000_000;

describe('SignalEngine: windows, enabled, cooldown, ids', () => {
  it('emits inside the window only (New York times on the calendar)', () => {
    const e = new SignalEngine(only('zeroDte'), SYMS, 0);
    const d = '2026-12-02';
    expect(e.onSnapshot(0, snap, etTime(d, '09:44') + 59_999, WALL)).toEqual([]);
    const [s] = e.onSnapshot(0, snap, etTime(d, '09:45'), WALL);
    expect(s).toMatchObject({ strategy: STRATEGY.zeroDte, name: '0DTE', symbol: 'SPY', direction: 1, slot: 0, date: d, price: 589 });
    expect(s.expiresMs).toBe(etTime(d, '09:45') + defaults.signals.zeroDte.expiryMs);
    const late = new SignalEngine(only('zeroDte'), SYMS, 0);
    expect(late.onSnapshot(0, snap, etTime(d, '15:30'), WALL)).toEqual([]); // the window's end is exclusive
    expect(late.onSnapshot(0, snap, etTime('2026-12-05', '11:00'), WALL)).toEqual([]); // Saturday
    expect(late.onSnapshot(0, snap, etTime('2026-11-26', '11:00'), WALL)).toEqual([]); // Thanksgiving
  });

  it('a disabled strategy emits nothing, whatever the inputs', () => {
    const e = new SignalEngine(only('moc'), SYMS, 0);
    for (let m = 0; m < 390; m += 5) expect(e.onSnapshot(0, snap, etTime('2026-12-02', '09:30') + m * 60_000, WALL).filter((s) => s.strategy !== STRATEGY.moc)).toEqual([]);
    const none = new SignalEngine(only(), SYMS, 0);
    for (let m = 0; m < 390; m += 5) expect(none.onSnapshot(0, snap, etTime('2026-12-02', '09:30') + m * 60_000, WALL)).toEqual([]);
  });

  it('cooldown per symbol; each emission in a new slot with a new id', () => {
    const e = new SignalEngine(only('zeroDte'), SYMS, 0);
    const t0 = etTime('2026-12-02', '10:00');
    const cd = defaults.signals.zeroDte.cooldownMs;
    const a = e.onSnapshot(0, snap, t0, WALL);
    expect(a.length).toBe(1);
    expect(e.onSnapshot(0, snap, t0 + cd - 1, WALL)).toEqual([]);
    const b = e.onSnapshot(0, snap, t0 + cd, WALL);
    expect(b.length).toBe(1);
    expect(b[0].slot).toBe(a[0].slot + 1);
    expect(b[0].signalId).not.toBe(a[0].signalId);
  });

  it('a restarted actor re-deriving a signal in the same slot gets the same id; another clock epoch does not', () => {
    const t = etTime('2026-12-02', '11:07');
    const first = new SignalEngine(only('zeroDte'), SYMS, 777).onSnapshot(0, snap, t, WALL)[0];
    const again = new SignalEngine(only('zeroDte'), SYMS, 777).onSnapshot(0, snap, t + 60_000, WALL)[0];
    expect(again.signalId).toBe(first.signalId);
    const otherRun = new SignalEngine(only('zeroDte'), SYMS, 778).onSnapshot(0, snap, t, WALL)[0];
    expect(otherRun.signalId).not.toBe(first.signalId);
  });

  it('0DTE only for symbols with an expiry today (AAPL: Fridays)', () => {
    const e = new SignalEngine(only('zeroDte'), SYMS, 0);
    expect(e.onSnapshot(1, snap, etTime('2026-12-02', '10:00'), WALL)).toEqual([]); // Wednesday
    expect(e.onSnapshot(1, snap, etTime('2026-12-04', '10:00'), WALL).length).toBe(1); // Friday
  });

  it('MOC: the window before the 15:50 cutoff; expiry at the cutoff', () => {
    const e = new SignalEngine(only('moc'), SYMS, 0);
    const d = '2026-12-02';
    expect(e.onSnapshot(0, snap, etTime(d, '15:29'), WALL)).toEqual([]);
    const [s] = e.onSnapshot(0, snap, etTime(d, '15:30'), WALL);
    expect(s.name).toBe('MOC');
    expect(s.expiresMs).toBe(etTime(d, '15:50'));
    expect(new SignalEngine(only('moc'), SYMS, 0).onSnapshot(0, snap, etTime(d, '15:50'), WALL)).toEqual([]);
  });

  it('early-close day: the MOC cutoff is 12:50, windows after 13:00 move 3 h earlier, nothing after the close', () => {
    const d = '2026-11-27';
    const m = new SignalEngine(only('moc'), SYMS, 0);
    expect(m.onSnapshot(0, snap, etTime(d, '12:29'), WALL)).toEqual([]);
    expect(m.onSnapshot(0, snap, etTime(d, '12:30'), WALL)[0].expiresMs).toBe(etTime(d, '12:50'));
    const m2 = new SignalEngine(only('moc'), SYMS, 0);
    expect(m2.onSnapshot(0, snap, etTime(d, '15:35'), WALL)).toEqual([]);
    const zc = only('zeroDte');
    zc.signals.zeroDte.expiryMs = 3_600_000;
    const z = new SignalEngine(zc, SYMS, 0);
    expect(z.windowsAt(etTime(d, '10:00'))[STRATEGY.zeroDte]).toEqual({ fromMs: etTime(d, '09:45'), toMs: etTime(d, '12:30') });
    expect(z.onSnapshot(0, snap, etTime(d, '12:30'), WALL)).toEqual([]);
    const [s] = z.onSnapshot(0, snap, etTime(d, '12:29'), WALL);
    expect(s.expiresMs).toBe(etTime(d, '13:00')); // an hour's expiry, cut at the close
    expect(windowEdges(defaults.signals)).toEqual(expect.arrayContaining(['09:45', '15:30', '12:30', '12:50', '15:50']));
  });

  it('1DTE measures the move from the session\'s first spot', () => {
    const e = new SignalEngine(only('oneDte'), SYMS, 0);
    const d = '2026-12-02';
    expect(e.onSnapshot(0, { ...snap, spot: 588 }, etTime(d, '09:31'), WALL)).toEqual([]); // outside the window: sets the open
    const [s] = e.onSnapshot(0, { ...snap, spot: 590 }, etTime(d, '14:30'), WALL);
    expect(s).toMatchObject({ name: '1DTE', direction: 1 });
    expect(s.inputs.sessionOpenSpot).toBe(588);
  });

  it('14DTE uses unusual activity and sentiment while they are fresh (wall age)', () => {
    const e = new SignalEngine(only('fourteenDte'), SYMS, 0);
    const t = etTime('2026-12-02', '11:00');
    e.setUnusual(0, [{ expiration: '2026-12-16', type: 'call', volume: 5000, ratio: 4 }], WALL);
    e.setSentiment(0, 0.4, WALL);
    const stale = WALL + defaults.signals.maxInputAgeMs + 1;
    expect(e.onSnapshot(0, snap, t, stale)).toEqual([]);
    const [s] = e.onSnapshot(0, snap, t, WALL + 10);
    expect(s).toMatchObject({ name: '14DTE', direction: 1, confidence: 1 });
  });

  it('below minConfidence: nothing (counted)', () => {
    const cfg = only('zeroDte');
    cfg.signals.minConfidence = 0.99;
    const e = new SignalEngine(cfg, SYMS, 0);
    expect(e.onSnapshot(0, snap, etTime('2026-12-02', '10:00'), WALL)).toEqual([]);
    expect(e.counters.belowConfidence).toBe(1);
  });
});
