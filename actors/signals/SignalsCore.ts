import { msgEventNs, msgSymbol } from '../../engine/codec/Header.js';
import { AnalyticsSnapshot } from '../../engine/codec/Messages.js';
import type { Clock } from '../../engine/clock/index.js';
import type { EngineConfig } from '../../engine/config/schema.js';
import { NYSE } from '../../analytics/calendar.js';
import { OptionMarket, type ChainColumns } from '../../analytics/optionMarket.js';
import { parseColdInput } from './coldInputs.js';
import { chooseContract, OPTION_STRATEGIES, type ChoiceRules } from './contractChoice.js';
import { SignalEngine, type EmittedSignal, type Snapshot } from './SignalEngine.js';
import { STRATEGIES_KEY, STRATEGY_KEYS } from './strategySwitches.js';
import { CHAIN_COLUMNS_TOPIC } from '../../engine/supervisor/ColdMirror.js';
import type { ReplayRecord } from '../market-depth/Recording.js';

/** What one cold key did to the strategies. */
export type KeyOutcome = { applied: boolean; bad?: { key: string; why: string } };

/**
 * The signals actor's core, without I/O: AnalyticsSnapshots in, signals out, on the session time of each
 * snapshot's event (`clock.at(event time)`, not the wall at processing), so a replay of the same snapshots
 * emits the same signals; cold keys (unusual activity, sentiment, strategy switches) applied with the
 * wall time they are aged from. The actor and the deterministic replay pipeline run this same class.
 */
export class SignalsCore {
  readonly engine: SignalEngine;
  /** analytics snapshots processed: the position a consumed cold input is stamped with */
  consumed = 0;
  /** event time (epoch ms) of the last snapshot: the "now" cold inputs are aged against */
  lastEventMs = 0;
  private readonly snap: Snapshot = { spot: NaN, vpin: NaN, vpinCdf: NaN, imbalance: NaN, microprice: NaN, netGex: NaN, zeroGamma: NaN, callWall: NaN, putWall: NaN };
  /** Chains and live option quotes the contract selection reads. */
  readonly options: OptionMarket;
  private readonly choiceRules: ChoiceRules;
  private readonly optionOrders: boolean;
  /** Contract selection outcomes: chosen (by where the quote came from) and none (by reason). */
  readonly contractCounters = { chosen: 0, chosenLive: 0, chosenChain: 0, none: {} as Record<string, number> };
  /** The latest chosen contract per symbol and strategy: the candidates whose live quotes signals asks for. */
  readonly candidates = new Map<string, string>();

  constructor(cfg: EngineConfig, private readonly symbols: readonly string[], readonly clock: Clock) {
    this.engine = new SignalEngine(cfg, symbols, clock.epoch);
    const oo = cfg.execution.optionOrders;
    this.optionOrders = oo.enabled;
    this.options = new OptionMarket({ chainFallback: oo.chainFallback, maxQuoteAgeMs: 10_000 });
    this.choiceRules = { ...cfg.signals.contracts };
  }

  onSnapshot(view: DataView, off: number): readonly EmittedSignal[] {
    this.consumed++;
    const snap = this.snap;
    snap.spot = AnalyticsSnapshot.spot(view, off);
    snap.vpin = AnalyticsSnapshot.vpin(view, off);
    snap.vpinCdf = AnalyticsSnapshot.vpinCdf(view, off);
    snap.imbalance = AnalyticsSnapshot.imbalance(view, off);
    snap.microprice = AnalyticsSnapshot.microprice(view, off);
    snap.netGex = AnalyticsSnapshot.netGex(view, off);
    snap.zeroGamma = AnalyticsSnapshot.zeroGamma(view, off);
    snap.callWall = AnalyticsSnapshot.callWall(view, off);
    snap.putWall = AnalyticsSnapshot.putWall(view, off);
    const eventMs = msgEventNs(view, off) / 1e6;
    if (eventMs > this.lastEventMs) this.lastEventMs = eventMs;
    const out = this.engine.onSnapshot(msgSymbol(view, off), snap, this.clock.at(this.lastEventMs), this.lastEventMs);
    // indexed: a for-of allocated an iterator per snapshot on the hot thread, signal or not
    if (this.optionOrders) for (let i = 0; i < out.length; i++) this.choose(out[i]!);
    return out;
  }

  /** The contract of an option strategy's signal (or the counted reason there is none). */
  private choose(s: EmittedSignal): void {
    const strategy = OPTION_STRATEGIES[s.strategy];
    if (!strategy) return;
    const c = chooseContract(this.options, NYSE, this.choiceRules, s.symbol, strategy, s.direction, s.nowMs, this.lastEventMs);
    s.contract = c;
    const k = this.contractCounters;
    if (c.ok) {
      k.chosen++;
      if (c.quote === 'live') k.chosenLive++;
      else k.chosenChain++;
      this.candidates.set(`${s.symbol}:${strategy}`, c.occ);
    } else k.none[c.reason] = (k.none[c.reason] ?? 0) + 1;
  }

  /** Live option quotes (topic option-quotes), on the same event-time basis as the chains. */
  applyOptionQuotes(quotes: unknown): number {
    return this.options.applyQuotes(quotes, this.lastEventMs || Date.now());
  }

  /** A chain or greeks key the supervisor parsed into columns (decision 148), aged from `wallMs`. */
  applyChainColumns(cols: unknown, wallMs: number): KeyOutcome {
    return this.options.applyColumns(cols as ChainColumns, wallMs)
      ? { applied: true }
      : { applied: false, bad: { key: CHAIN_COLUMNS_TOPIC, why: 'columns that do not hold together' } };
  }

  /**
   * A cold input a recorded run consumed (a key, live option quotes, chain columns), applied as it was then:
   * the actor's replay and the backtest pipeline read recordings through this one place.
   */
  applyRecorded(r: ReplayRecord): KeyOutcome {
    if (r.k === 'option-quotes') return { applied: this.applyOptionQuotes(r.d) > 0 };
    const d = r.d as { key: string; value: unknown; cols: unknown; wallMs: number };
    if (r.k === CHAIN_COLUMNS_TOPIC) return this.applyChainColumns(d.cols, d.wallMs);
    return r.k === 'key' ? this.applyKey(d.key, d.value, d.wallMs) : { applied: false };
  }

  /** A key another actor published (mirrored by the supervisor), aged from `wallMs`. */
  applyKey(key: string, value: unknown, wallMs: number): KeyOutcome {
    if (key === STRATEGIES_KEY) {
      for (const [name, section] of Object.entries(STRATEGY_KEYS)) {
        const v = (value as Record<string, unknown> | null)?.[name];
        if (typeof v === 'boolean') this.engine.setSwitch(section, v);
      }
      return { applied: true };
    }
    const chain = this.options.applyKey(key, value, wallMs);
    if (chain === 'applied') return { applied: true };
    if (chain !== 'ignored') return { applied: false, bad: { key, why: chain.bad } };
    const c = parseColdInput(key, value);
    if (!c) return { applied: false };
    if (c.kind === 'bad') return { applied: false, bad: { key: c.key, why: c.why } };
    const id = this.symbols.indexOf(c.symbol);
    if (id < 0) return { applied: false };
    if (c.kind === 'unusual') this.engine.setUnusual(id, c.contracts, wallMs);
    else if (c.score !== null) this.engine.setSentiment(id, c.score, wallMs);
    return { applied: true };
  }
}
