import cron, { type ScheduledTask } from 'node-cron';
import { EARLY_CLOSE, EARLY_CLOSE_SHIFT_MS } from '../../analytics/calendar.js';
import type { Clock } from '../../engine/clock/index.js';
import type { EngineConfig } from '../../engine/config/schema.js';
import { STRATEGY_LABEL } from './strategies/types.js';
import type { Window } from './strategies/windows.js';

export type WindowState = Record<string, { open: boolean; from: number | null; to: number | null }>;

/** 'HH:MM' that many minutes earlier (not before midnight). */
const minus = (t: string, minutes: number): string => {
  const [h, m] = t.split(':').map(Number);
  const min = Math.max(0, h * 60 + m - minutes);
  return `${String(Math.floor(min / 60)).padStart(2, '0')}:${String(min % 60).padStart(2, '0')}`;
};
/** The same boundary on an early-close day (windows.ts: at or after 13:00, 3 h earlier). */
export const shiftEarly = (t: string): string => minus(t, EARLY_CLOSE_SHIFT_MS / 60_000);

/** Every New York minute at which some window opens or closes (regular days and early-close days). */
export function windowEdges(c: EngineConfig['signals']): string[] {
  const edges = new Set<string>();
  const add = (t: string) => {
    edges.add(t);
    if (t >= EARLY_CLOSE) edges.add(shiftEarly(t));
  };
  for (const s of [c.zeroDte, c.oneDte, c.fourteenDte]) {
    add(s.from);
    add(s.to);
  }
  add(c.moc.cutoff);
  add(minus(c.moc.cutoff, c.moc.windowMinutes));
  edges.add(minus(shiftEarly(c.moc.cutoff), c.moc.windowMinutes));
  return [...edges].sort();
}

/**
 * Reports strategy windows opening and closing. The gate itself is the pure window check on every
 * snapshot (exact on any clock); this only announces the edges. On the wall clock (live venues) node-cron
 * fires at each edge minute in America/New_York on weekdays (the calendar then decides holidays and early
 * closes); on a simulated, accelerated clock cron's wall-clock schedule means nothing, so the state is
 * re-checked once a wall second instead.
 */
export class WindowSchedule {
  private tasks: ScheduledTask[] = [];
  private timer: NodeJS.Timeout | undefined;
  private last = '';

  constructor(
    private readonly cfg: EngineConfig['signals'],
    private readonly clock: Clock,
    private readonly windowsAt: (nowMs: number) => Record<number, Window | null>,
    private readonly enabled: (strategy: number) => boolean,
    private readonly onChange: (state: WindowState, nowMs: number) => void,
  ) {}

  start(): void {
    if (this.clock.simulated) {
      this.timer = setInterval(() => this.refresh(), 1000);
    } else {
      for (const t of windowEdges(this.cfg)) {
        const [h, m] = t.split(':').map(Number);
        this.tasks.push(cron.schedule(`${m} ${h} * * 1-5`, () => this.refresh(), { timezone: 'America/New_York', name: `signals-window-${t}`, noOverlap: true }));
      }
    }
    this.refresh();
  }

  /** The windows at the current session time; onChange when any strategy's open state changed. */
  state(nowMs = this.clock.nowMs()): WindowState {
    const w = this.windowsAt(nowMs);
    const out: WindowState = {};
    for (const [id, label] of Object.entries(STRATEGY_LABEL)) {
      const win = w[Number(id)];
      const open = this.enabled(Number(id)) && !!win && nowMs >= win.fromMs && nowMs < win.toMs;
      out[label] = { open, from: win?.fromMs ?? null, to: win?.toMs ?? null };
    }
    return out;
  }

  refresh(): void {
    const now = this.clock.nowMs();
    const s = this.state(now);
    const key = Object.entries(s).map(([k, v]) => `${k}:${v.open}`).join(',');
    if (key !== this.last) {
      this.last = key;
      this.onChange(s, now);
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    for (const t of this.tasks) await t.destroy();
    this.tasks = [];
  }
}
