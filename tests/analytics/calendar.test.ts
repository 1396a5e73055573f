import { describe, expect, it } from 'vitest';
import {
  addDays,
  easterSunday,
  etDate,
  etTime,
  isEarlyClose,
  isTradingDay,
  MarketCalendar,
  mocCutoff,
  nextExpiries,
  NYSE,
  NYSE_TABLE,
  nyseRuleSchedule,
  sessionOpenClose,
  yearFraction,
} from '../../analytics/calendar.js';

const iso = (ms: number | null | undefined): string | null => (ms == null ? null : new Date(ms).toISOString());

describe('NYSE calendar table', () => {
  it('has the holidays and early closes of protocols §D', () => {
    expect(NYSE_TABLE[2025]!.holidays).toEqual([
      '2025-01-01', '2025-01-09', '2025-01-20', '2025-02-17', '2025-04-18', '2025-05-26',
      '2025-06-19', '2025-07-04', '2025-09-01', '2025-11-27', '2025-12-25',
    ]);
    expect(NYSE_TABLE[2025]!.earlyCloses).toEqual(['2025-07-03', '2025-11-28', '2025-12-24']);
    expect(NYSE_TABLE[2026]!.earlyCloses).toEqual(['2026-11-27', '2026-12-24']);
    expect(isTradingDay('2025-01-09')).toBe(false);
    expect(isTradingDay('2026-07-03')).toBe(false);
    expect(isTradingDay('2025-12-26')).toBe(true);
    expect(isTradingDay('2025-12-27')).toBe(false); // Saturday
  });

  it('standing rules reproduce the table (except the ad-hoc 2025-01-09 closure)', () => {
    for (const y of [2025, 2026, 2027]) {
      const rules = nyseRuleSchedule(y);
      const table = NYSE_TABLE[y]!;
      expect(rules.holidays, `${y}`).toEqual(table.holidays.filter((d) => d !== '2025-01-09'));
      expect(rules.earlyCloses, `${y}`).toEqual(table.earlyCloses);
    }
  });

  it('standing rules match known schedules of other years', () => {
    expect(nyseRuleSchedule(2024)).toEqual({
      holidays: ['2024-01-01', '2024-01-15', '2024-02-19', '2024-03-29', '2024-05-27', '2024-06-19', '2024-07-04', '2024-09-02', '2024-11-28', '2024-12-25'],
      earlyCloses: ['2024-07-03', '2024-11-29', '2024-12-24'],
    });
    // 2022: New Year's Day on a Saturday is not observed; Christmas on Sunday → Monday.
    const s2022 = nyseRuleSchedule(2022);
    expect(s2022.holidays[0]).toBe('2022-01-17');
    expect(s2022.holidays).toContain('2022-12-26');
    expect(s2022.holidays).toContain('2022-06-20');
    expect(easterSunday(2024)).toBe('2024-03-31');
    expect(easterSunday(2027)).toBe('2027-03-28');
    expect(easterSunday(2028)).toBe('2028-04-16');
  });

  it('2025 has 250 trading days; extra closures are honoured', () => {
    expect(NYSE.tradingDaysBetween('2025-01-01', '2025-12-31').length).toBe(250);
    const cal = new MarketCalendar({ extraClosures: ['2026-03-11'], extraEarlyCloses: ['2026-03-12'] });
    expect(cal.isTradingDay('2026-03-11')).toBe(false);
    expect(cal.isEarlyClose('2026-03-12')).toBe(true);
    expect(NYSE.isTabulated(2027)).toBe(true);
    expect(NYSE.isTabulated(2028)).toBe(false);
  });
});

describe('sessions in America/New_York', () => {
  it('follows DST', () => {
    expect(iso(sessionOpenClose('2025-03-07')!.openMs)).toBe('2025-03-07T14:30:00.000Z'); // EST
    expect(iso(sessionOpenClose('2025-03-10')!.openMs)).toBe('2025-03-10T13:30:00.000Z'); // EDT
    expect(iso(sessionOpenClose('2025-10-31')!.closeMs)).toBe('2025-10-31T20:00:00.000Z');
    expect(iso(sessionOpenClose('2025-11-03')!.closeMs)).toBe('2025-11-03T21:00:00.000Z');
    expect(sessionOpenClose('2025-11-27')).toBeNull();
    expect(etDate(Date.parse('2025-06-03T03:59:00Z'))).toBe('2025-06-02');
    expect(etDate(Date.parse('2025-06-03T04:00:00Z'))).toBe('2025-06-03');
    expect(NYSE.isOpenAt(Date.parse('2025-06-02T13:30:00Z'))).toBe(true);
    expect(NYSE.isOpenAt(Date.parse('2025-06-02T20:00:00Z'))).toBe(false);
  });

  it('early closes at 13:00 and MOC cutoffs 3 h earlier', () => {
    const s = sessionOpenClose('2025-11-28')!;
    expect(s.earlyClose).toBe(true);
    expect(iso(s.closeMs)).toBe('2025-11-28T18:00:00.000Z');
    expect(isEarlyClose('2025-07-03')).toBe(true);
    expect(isEarlyClose('2025-07-02')).toBe(false);
    expect(iso(mocCutoff('2025-11-28'))).toBe('2025-11-28T17:50:00.000Z'); // 12:50 EST
    expect(iso(mocCutoff('2025-07-03'))).toBe('2025-07-03T16:50:00.000Z'); // 12:50 EDT
    expect(iso(mocCutoff('2025-07-02'))).toBe('2025-07-02T19:50:00.000Z'); // 15:50 EDT
    expect(iso(mocCutoff('2025-07-02', '15:55'))).toBe('2025-07-02T19:55:00.000Z');
    expect(mocCutoff('2025-07-04')).toBeNull();
  });

  it('rejects malformed dates', () => {
    expect(() => isTradingDay('2025-02-30')).toThrow(RangeError);
    expect(() => isTradingDay('20250101')).toThrow(RangeError);
    expect(() => etTime('2025-01-02', '25:00')).toThrow(RangeError);
  });
});

describe('time to expiry', () => {
  it('calendar basis: ms to 16:00 ET over 365 days, never negative', () => {
    const from = etTime('2025-06-02', '16:00');
    expect(yearFraction(from, '2025-06-09')).toBe(7 / 365);
    expect(yearFraction(etTime('2025-06-09', '09:30'), '2025-06-09')).toBeCloseTo(6.5 / 24 / 365, 17);
    expect(yearFraction(etTime('2025-06-09', '16:00'), '2025-06-09')).toBe(0);
    expect(yearFraction(etTime('2025-06-10', '10:00'), '2025-06-09')).toBe(0);
    // Across the November DST change the day is 25 h long.
    expect(yearFraction(etTime('2025-11-01', '16:00'), '2025-11-02')).toBeCloseTo(25 / 24 / 365, 17);
  });

  it('trading basis: remaining session time in trading days over 252', () => {
    // Mon–Wed full, Thanksgiving closed, Friday early close counts as a full day.
    expect(yearFraction(etTime('2025-11-24', '09:30'), '2025-11-28', { basis: 'trading' })).toBeCloseTo(4 / 252, 15);
    expect(yearFraction(etTime('2025-11-24', '12:45'), '2025-11-28', { basis: 'trading' })).toBeCloseTo(3.5 / 252, 15);
    expect(yearFraction(etTime('2025-11-22', '12:00'), '2025-11-28', { basis: 'trading' })).toBeCloseTo(4 / 252, 15);
    expect(yearFraction(etTime('2025-11-28', '12:00'), '2025-11-28', { basis: 'trading' })).toBeCloseTo(1 / 3.5 / 252, 15);
  });
});

describe('expiries', () => {
  it('SPY/QQQ/IWM expire every trading day, skipping holidays', () => {
    const wedEvening = etTime('2025-11-26', '17:00');
    expect(nextExpiries('SPY', wedEvening, 3)).toEqual(['2025-11-28', '2025-12-01', '2025-12-02']);
    expect(nextExpiries('qqq', etTime('2025-11-26', '15:59'), 1)).toEqual(['2025-11-26']);
    let count = 0;
    for (let d = '2025-01-01'; d <= '2025-12-31'; d = addDays(d, 1)) if (NYSE.isExpiryDate('IWM', d)) count++;
    expect(count).toBe(250);
    expect(NYSE.is0dte(etTime('2025-12-01', '10:00'), '2025-12-01')).toBe(true);
    expect(NYSE.is0dte(etTime('2025-12-01', '16:00'), '2025-12-01')).toBe(false);
  });

  it('other symbols expire weekly on Friday, the day before when Friday is a holiday', () => {
    expect(nextExpiries('AAPL', etTime('2026-03-30', '10:00'), 3)).toEqual(['2026-04-02', '2026-04-10', '2026-04-17']);
    expect(nextExpiries('AAPL', etTime('2025-06-20', '16:00'), 1)).toEqual(['2025-06-27']);
  });
});

describe('nextCloseMs (when DAY orders expire and the closing auction runs)', () => {
  it('the close of the session in progress, 13:00 on early-close days, else the next trading day', () => {
    expect(NYSE.nextCloseMs(etTime('2025-01-02', '10:00'))).toBe(etTime('2025-01-02', '16:00'));
    expect(NYSE.nextCloseMs(etTime('2025-01-02', '08:00'))).toBe(etTime('2025-01-02', '16:00')); // before the open
    expect(NYSE.nextCloseMs(etTime('2025-11-28', '12:59'))).toBe(etTime('2025-11-28', '13:00')); // after Thanksgiving
    expect(NYSE.nextCloseMs(etTime('2025-01-02', '16:00'))).toBe(etTime('2025-01-03', '16:00')); // at the close: the next one
    expect(NYSE.nextCloseMs(etTime('2025-12-24', '14:00'))).toBe(etTime('2025-12-26', '16:00')); // early close passed, Christmas shut
  });
});
