import { describe, expect, it } from 'vitest';
import { etTime } from '../../analytics/calendar.js';
import { clockFor, SimulatedSessionClock, WallClock } from '../../engine/clock/index.js';
import { loadConfig } from '../../engine/config/loadConfig.js';

const iso = (ms: number) => new Date(ms).toISOString();

describe('SimulatedSessionClock', () => {
  it('starts at 09:30 New York of the start day when its session is not over', () => {
    const start = etTime('2026-12-02', '08:10'); // Wednesday, before the open
    const c = new SimulatedSessionClock({ engineStartMs: start, wallNow: () => start });
    expect(c.firstDay).toBe('2026-12-02');
    expect(iso(c.nowMs())).toBe(iso(etTime('2026-12-02', '09:30')));
  });

  it('picks the next trading day after the close, over weekends and holidays', () => {
    const after = etTime('2026-12-02', '17:00');
    expect(new SimulatedSessionClock({ engineStartMs: after }).firstDay).toBe('2026-12-03');
    const saturday = etTime('2026-12-05', '11:00');
    expect(new SimulatedSessionClock({ engineStartMs: saturday }).firstDay).toBe('2026-12-07');
    const thanksgiving = etTime('2026-11-26', '10:00');
    expect(new SimulatedSessionClock({ engineStartMs: thanksgiving }).firstDay).toBe('2026-11-27');
  });

  it('accelerates: speed 120 turns one wall minute into two session hours', () => {
    const start = etTime('2026-12-02', '12:00');
    let wall = start;
    const c = new SimulatedSessionClock({ engineStartMs: start, speed: 120, wallNow: () => wall });
    wall += 60_000;
    expect(iso(c.nowMs())).toBe(iso(etTime('2026-12-02', '11:30')));
    wall += 500;
    expect(c.nowMs() - etTime('2026-12-02', '11:30')).toBe(60_000);
  });

  it('a configured start time and, at the close, the next session\'s open', () => {
    const start = etTime('2026-12-02', '07:00');
    let wall = start;
    const c = new SimulatedSessionClock({ engineStartMs: start, start: '15:00', speed: 60, wallNow: () => wall });
    expect(iso(c.nowMs())).toBe(iso(etTime('2026-12-02', '15:00')));
    wall += 59_000; // 59 session minutes
    expect(iso(c.nowMs())).toBe(iso(etTime('2026-12-02', '15:59')));
    wall += 2_000; // one minute past the 16:00 close → the next morning's 09:31
    expect(iso(c.nowMs())).toBe(iso(etTime('2026-12-03', '09:31')));
  });

  it('an early-close day ends at 13:00 and the weekend is skipped', () => {
    const start = etTime('2026-11-27', '06:00'); // Friday after Thanksgiving, closes 13:00
    let wall = start;
    const c = new SimulatedSessionClock({ engineStartMs: start, speed: 100, wallNow: () => wall });
    wall += (3.5 * 3_600_000) / 100 - 100; // 10 session seconds before the early close
    expect(iso(c.nowMs())).toBe(iso(etTime('2026-11-27', '13:00') - 10_000));
    wall += 200; // 10 s past it
    expect(iso(c.nowMs())).toBe(iso(etTime('2026-11-30', '09:30') + 10_000));
  });

  it('two instances from the same start instant tell the same time, whenever each was made', () => {
    const start = etTime('2026-12-02', '10:00');
    let wall = start + 1234;
    const a = new SimulatedSessionClock({ engineStartMs: start, speed: 120, wallNow: () => wall });
    a.nowMs();
    wall += 250_000; // b is made much later (a restarted worker), a has already rolled over a close
    const b = new SimulatedSessionClock({ engineStartMs: start, speed: 120, wallNow: () => wall });
    for (let i = 0; i < 5; i++) {
      expect(b.nowMs()).toBe(a.nowMs());
      wall += 97_531;
    }
    expect(a.epoch).toBe(start);
    expect(b.epoch).toBe(start);
  });

  it('a wall clock stepping back does not break it', () => {
    const start = etTime('2026-12-02', '10:00');
    let wall = start + 300_000;
    const c = new SimulatedSessionClock({ engineStartMs: start, speed: 120, wallNow: () => wall });
    const later = c.nowMs();
    wall -= 200_000;
    const earlier = c.nowMs();
    expect(earlier).toBeLessThan(later);
    expect(earlier).toBe(new SimulatedSessionClock({ engineStartMs: start, speed: 120 }).at(wall));
  });

  it('rejects a non-positive speed', () => {
    expect(() => new SimulatedSessionClock({ engineStartMs: 0, speed: 0 })).toThrow(/positive/);
  });
});

describe('clockFor', () => {
  const { config } = loadConfig({ env: {} });

  it('simulated venues: the configured simulated session (default 09:30, speed 120)', () => {
    expect(config.engine.clock).toEqual({ start: '09:30', speed: 120 });
    const start = etTime('2026-12-02', '12:00');
    const c = clockFor(config, start, () => start);
    expect(c.simulated).toBe(true);
    expect(c.speed).toBe(120);
    expect(iso(c.nowMs())).toBe(iso(etTime('2026-12-02', '09:30')));
  });

  it('live venues: the wall clock, epoch 0', () => {
    const c = clockFor({ ...config, engine: { ...config.engine, mode: 'live' } }, 5, () => 42);
    expect(c).toBeInstanceOf(WallClock);
    expect(c.nowMs()).toBe(42);
    expect(c.epoch).toBe(0);
    expect(c.simulated).toBe(false);
  });

  it('bad clock configuration: clear messages', () => {
    expect(() => loadConfig({ env: { ALPHATRADER_ENGINE_CLOCK_START: '9:30' } })).toThrow(/engine\.clock\.start: must be a New York time 'HH:MM'/);
    expect(() => loadConfig({ env: { ALPHATRADER_ENGINE_CLOCK_START: '16:10' } })).toThrow(/engine\.clock\.start: must be before the 16:00 close/);
    expect(() => loadConfig({ env: { ALPHATRADER_ENGINE_CLOCK_SPEED: '0' } })).toThrow(/engine\.clock\.speed: must be a positive factor/);
  });
});
