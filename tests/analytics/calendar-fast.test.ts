import { describe, expect, it } from 'vitest';
import { etDate, etOffsetMs, etParts, etTime, MarketCalendar } from '../../analytics/calendar.js';
import { mulberry32 } from '../helpers/prng.js';

// The reference: Intl asked directly, per instant (what etParts did before decision 125).
const REF = new Intl.DateTimeFormat('en-US', { timeZone: 'America/New_York', hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
function refParts(ms: number): number[] {
  const o: Record<string, number> = {};
  for (const p of REF.formatToParts(new Date(ms))) if (p.type !== 'literal') o[p.type] = Number(p.value);
  return [o.year!, o.month!, o.day!, o.hour!, o.minute!, o.second!];
}
function refOffset(ms: number): number {
  const [y, mo, d, h, mi, se] = refParts(ms) as [number, number, number, number, number, number];
  return Date.UTC(y, mo - 1, d, h, mi, se) - (ms - (((ms % 1000) + 1000) % 1000));
}
const parts = (ms: number) => {
  const p = etParts(ms);
  return [p.year, p.month, p.day, p.hour, p.minute, p.second];
};

describe('etParts (an hour\'s offset kept, decision 125)', () => {
  it('equals Intl at random instants from 1880 to 2150 (seed 0xca1e)', () => {
    const seed = 0xca1e;
    const rnd = mulberry32(seed);
    const lo = Date.UTC(1880, 0, 1);
    const hi = Date.UTC(2150, 0, 1);
    for (let i = 0; i < 20_000; i++) {
      const ms = Math.floor(lo + rnd() * (hi - lo));
      expect(parts(ms), `seed ${seed}, ${new Date(ms).toISOString()}`).toEqual(refParts(ms));
    }
  });

  it('equals Intl on both sides of every DST switch 1960–2060, to the millisecond', () => {
    let switches = 0;
    const H = 3_600_000;
    // a switch day: the offset at 00:00 UTC differs from the day after's; its hour found by stepping through it
    for (let day = Date.UTC(1960, 0, 1); day < Date.UTC(2060, 0, 1); day += 24 * H) {
      if (refOffset(day) === refOffset(day + 24 * H)) continue;
      let t = day + H;
      while (refOffset(t) === refOffset(day)) t += H;
      switches++;
      for (const d of [-H - 1, -1001, -1000, -1, 0, 1, 999, 1000, H - 1]) {
        expect(parts(t + d), new Date(t + d).toISOString()).toEqual(refParts(t + d));
        expect(etOffsetMs(t + d)).toBe(refOffset(t + d));
      }
    }
    expect(switches).toBeGreaterThan(190); // two a year
  });

  it('keeps etDate and etTime on the reference across a switch (2026-03-08, 2026-11-01)', () => {
    expect(etDate(Date.UTC(2026, 2, 8, 4, 59, 59))).toBe('2026-03-07'); // 23:59:59 EST
    expect(etDate(Date.UTC(2026, 2, 8, 5, 0, 0))).toBe('2026-03-08');
    expect(new Date(etTime('2026-03-08', '09:30')).toISOString()).toBe('2026-03-08T13:30:00.000Z'); // EDT
    expect(new Date(etTime('2026-11-01', '09:30')).toISOString()).toBe('2026-11-01T14:30:00.000Z'); // EST
  });
});

describe('MarketCalendar.sessionOpenClose (kept per date)', () => {
  it('answers the same session again, frozen, and each calendar its own', () => {
    const plain = new MarketCalendar();
    const closed = new MarketCalendar({ extraClosures: ['2026-03-11'] });
    const a = plain.sessionOpenClose('2026-03-11');
    expect(a).toEqual({ date: '2026-03-11', openMs: Date.UTC(2026, 2, 11, 13, 30), closeMs: Date.UTC(2026, 2, 11, 20), earlyClose: false });
    expect(plain.sessionOpenClose('2026-03-11')).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
    expect(closed.sessionOpenClose('2026-03-11')).toBeNull();
    expect(closed.sessionOpenClose('2026-03-11')).toBeNull();
    expect(plain.sessionOpenClose('2026-11-27')?.closeMs).toBe(Date.UTC(2026, 10, 27, 18)); // early close 13:00 EST
  });
});
