import { addDays, etDate, etTime, MarketCalendar, type DateStr } from '../../analytics/calendar.js';
import type { EngineConfig } from '../../engine/config/schema.js';
import { fourteenDte } from './strategies/fourteenDte.js';
import { moc } from './strategies/moc.js';
import { oneDte } from './strategies/oneDte.js';
import { signalId } from './strategies/signalId.js';
import { STRATEGY, STRATEGY_LABEL, type Inputs, type Proposal, type Snapshot, type StrategyInput, type UnusualContract } from './strategies/types.js';
import { windowsOn, type Window } from './strategies/windows.js';
import { zeroDte } from './strategies/zeroDte.js';
import type { ContractChoice } from './contractChoice.js';

export type { Snapshot };

export interface EmittedSignal {
  strategy: number;
  name: string;
  symbol: string;
  signalId: number;
  /** Window slot (cooldown-long spans from the window's start) the id was derived from. */
  slot: number;
  date: DateStr;
  direction: 1 | -1;
  confidence: number;
  price: number;
  target: number;
  stop: number;
  /** Session time (engine clock). */
  nowMs: number;
  expiresMs: number;
  inputs: Inputs;
  /** An option strategy's contract (or why none), set by SignalsCore after the strategies ran. */
  contract?: ContractChoice;
}

interface Day {
  date: DateStr;
  startMs: number;
  endMs: number;
  openMs: number;
  closeMs: number;
  windows: Record<number, Window | null>;
}

const ORDER = [STRATEGY.zeroDte, STRATEGY.oneDte, STRATEGY.fourteenDte, STRATEGY.moc] as const;
/** Each strategy number's section of `signals:` in the configuration. */
const SECTION = { [STRATEGY.zeroDte]: 'zeroDte', [STRATEGY.oneDte]: 'oneDte', [STRATEGY.fourteenDte]: 'fourteenDte', [STRATEGY.moc]: 'moc' } as const;
type StrategyNo = keyof typeof SECTION;
/** What onSnapshot returns when nothing fires (almost always): no array allocated per snapshot. */
const NONE: readonly EmittedSignal[] = Object.freeze([]);

/**
 * Runs the strategies for one actor: the strategy modules are pure; this holds what they need across
 * snapshots and applies the rules every strategy shares: enabled, inside its window (New York, per the
 * calendar), cooldown per symbol, minimum confidence, expiry, and the deterministic signal id of the
 * (strategy, symbol, session date, slot) — a restart that re-derives a signal in the same slot gets the
 * same id. No I/O; session time and wall time are given by the caller.
 */
export class SignalEngine {
  private day: Day | null = null;
  private readonly openSpot: number[];
  private readonly lastEmit: Map<number, number[]> = new Map();
  private readonly expiryToday: boolean[];
  private readonly expiryNext: boolean[];
  private readonly unusual: ({ contracts: UnusualContract[]; wallMs: number } | null)[];
  private readonly sentiment: ({ score: number; wallMs: number } | null)[];
  readonly counters = { evaluated: 0, emitted: 0, belowConfidence: 0 };
  private readonly zeroDteCfg: Parameters<typeof zeroDte>[1];

  constructor(
    private readonly cfg: EngineConfig,
    readonly symbols: readonly string[],
    private readonly epoch: number,
    private readonly cal = new MarketCalendar(),
  ) {
    const n = symbols.length;
    this.openSpot = new Array(n).fill(NaN);
    this.expiryToday = new Array(n).fill(false);
    this.expiryNext = new Array(n).fill(false);
    this.unusual = new Array(n).fill(null);
    this.sentiment = new Array(n).fill(null);
    for (const s of ORDER) this.lastEmit.set(s, new Array(n).fill(-Infinity));
    this.zeroDteCfg = { ...cfg.signals.zeroDte, toxicThreshold: cfg.analytics.vpin.toxicThreshold };
  }

  /** Operators' runtime switches by configuration section (signals:strategies), over the configuration. */
  private readonly switches = new Map<string, boolean>();

  setSwitch(section: string, enabled: boolean): void {
    this.switches.set(section, enabled);
  }

  enabled(strategy: number): boolean {
    const key = SECTION[strategy as StrategyNo];
    return key !== undefined && (this.switches.get(key) ?? this.cfg.signals[key].enabled);
  }

  /** Windows of the session date at `nowMs` (null entries: no window that day). */
  windowsAt(nowMs: number): Record<number, Window | null> {
    return this.dayAt(nowMs).windows;
  }

  setUnusual(sym: number, contracts: UnusualContract[], wallMs: number): void {
    if (sym >= 0 && sym < this.symbols.length) this.unusual[sym] = { contracts, wallMs };
  }

  setSentiment(sym: number, score: number, wallMs: number): void {
    if (sym >= 0 && sym < this.symbols.length) this.sentiment[sym] = { score, wallMs };
  }

  /** One snapshot of symbol `sym` at session time `nowMs` (wall time `wallMs` ages the cold inputs). */
  onSnapshot(sym: number, s: Snapshot, nowMs: number, wallMs: number): readonly EmittedSignal[] {
    let out: EmittedSignal[] | undefined;
    if (sym < 0 || sym >= this.symbols.length) return NONE;
    const day = this.dayAt(nowMs);
    if (!(this.openSpot[sym] > 0) && nowMs >= day.openMs && nowMs < day.closeMs && s.spot > 0) this.openSpot[sym] = s.spot;
    let input: StrategyInput | null = null;
    for (const strategy of ORDER) {
      if (!this.enabled(strategy)) continue;
      const w = day.windows[strategy];
      if (!w || nowMs < w.fromMs || nowMs >= w.toMs) continue;
      const cooldown = this.cfg.signals[SECTION[strategy]].cooldownMs;
      const last = this.lastEmit.get(strategy)!;
      if (nowMs - last[sym] < cooldown) continue;
      input ??= this.input(sym, s, day, nowMs, wallMs);
      this.counters.evaluated++;
      const p = this.propose(strategy, input);
      if (!p) continue;
      if (!(p.confidence >= this.cfg.signals.minConfidence)) {
        this.counters.belowConfidence++;
        continue;
      }
      last[sym] = nowMs;
      const slot = Math.floor((nowMs - w.fromMs) / cooldown);
      const symbol = this.symbols[sym];
      const expiresMs = strategy === STRATEGY.moc ? w.toMs : Math.min(nowMs + this.cfg.signals[SECTION[strategy]].expiryMs, day.closeMs);
      this.counters.emitted++;
      (out ??= []).push({
        strategy, name: STRATEGY_LABEL[strategy], symbol, signalId: signalId(strategy, symbol, day.date, slot, this.epoch), slot,
        date: day.date, direction: p.direction, confidence: p.confidence, price: s.spot, target: p.target, stop: p.stop, nowMs, expiresMs,
        inputs: p.inputs,
      });
    }
    return out ?? NONE;
  }

  private propose(strategy: number, x: StrategyInput): Proposal | null {
    const c = this.cfg.signals;
    switch (strategy) {
      case STRATEGY.zeroDte: return zeroDte(x, this.zeroDteCfg);
      case STRATEGY.oneDte: return oneDte(x, c.oneDte);
      case STRATEGY.fourteenDte: return fourteenDte(x, c.fourteenDte);
      case STRATEGY.moc: return moc(x, c.moc);
      default: return null;
    }
  }

  private input(sym: number, s: Snapshot, day: Day, nowMs: number, wallMs: number): StrategyInput {
    const maxAge = this.cfg.signals.maxInputAgeMs;
    const u = this.unusual[sym];
    const se = this.sentiment[sym];
    return {
      symbol: this.symbols[sym], nowMs, date: day.date, ...s, sessionOpenSpot: this.openSpot[sym],
      expiryToday: this.expiryToday[sym], expiryNextSession: this.expiryNext[sym],
      unusual: u && wallMs - u.wallMs <= maxAge ? u.contracts : null,
      sentiment: se && wallMs - se.wallMs <= maxAge ? se.score : null,
    };
  }

  /** The session day at `nowMs`, recomputed (Intl, calendar) only when the New York date changes. */
  private dayAt(nowMs: number): Day {
    const d = this.day;
    if (d && nowMs >= d.startMs && nowMs < d.endMs) return d;
    const date = etDate(nowMs);
    const sess = this.cal.sessionOpenClose(date);
    const next = this.cal.nextTradingDay(date);
    for (let i = 0; i < this.symbols.length; i++) {
      this.expiryToday[i] = this.cal.isExpiryDate(this.symbols[i], date);
      this.expiryNext[i] = this.cal.isExpiryDate(this.symbols[i], next);
    }
    this.openSpot.fill(NaN);
    this.day = {
      date, startMs: etTime(date, '00:00'), endMs: etTime(addDays(date, 1), '00:00'),
      openMs: sess?.openMs ?? Infinity, closeMs: sess?.closeMs ?? -Infinity, windows: windowsOn(this.cal, date, this.cfg.signals),
    };
    return this.day;
  }
}
