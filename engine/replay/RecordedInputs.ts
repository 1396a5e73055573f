import type { EngineConfig } from '../config/schema.js';
import { RecordingReader, type ReplayRecord } from '../../actors/market-depth/Recording.js';

/**
 * The cold inputs one actor consumed in a recorded run (chains, sentiment, strategy switches, books…),
 * each stamped with the actor's hot-path position when it consumed it: `p[0]` = hot messages it had
 * processed. A replay delivers each one just before the actor processes hot message `p[0] + 1`, so its
 * output is the recorded run's whatever the threads' timing (docs/decisions.md, "Replay = backtest").
 */
export class RecordedInputs {
  private i = 0;
  constructor(readonly records: readonly ReplayRecord[]) {}

  /** The inputs `actor` consumed, from the replayed recording; null when this run is not an ATREC2 replay. */
  static forActor(cfg: EngineConfig, actor: string): RecordedInputs | null {
    const file = cfg.market.source === 'replay' ? cfg.market.replay.file : '';
    if (!file) return null;
    const r = new RecordingReader(file);
    if (r.version < 2) return null;
    return new RecordedInputs(r.records().filter((x) => x.a === actor && !x.k.startsWith('out:')));
  }

  /** Applies, in order, every input consumed before the hot message after `position`. */
  due(position: number, apply: (r: ReplayRecord) => void): void {
    const rs = this.records;
    while (this.i < rs.length && rs[this.i]!.p[0]! <= position) apply(rs[this.i++]!);
  }

  /** The next input not yet applied (null when none is left). */
  peek(): ReplayRecord | null {
    return this.records[this.i] ?? null;
  }

  /** Consumes the input `peek()` returned. */
  take(): ReplayRecord | null {
    return this.records[this.i++] ?? null;
  }

  get pending(): number {
    return this.records.length - this.i;
  }
}

/**
 * The live side: an actor's consumed cold inputs and outputs, sent to market-depth (which owns the
 * recording file) when the run is recorded; a no-op otherwise.
 */
export class InputRecorder {
  constructor(private readonly actor: string, private readonly send: ((r: ReplayRecord) => void) | null) {}

  static of(cfg: EngineConfig, actor: string, send: (to: string, topic: string, payload: unknown) => void): InputRecorder {
    return new InputRecorder(actor, cfg.market.record ? (r) => send('market-depth', 'record', r) : null);
  }

  get on(): boolean {
    return this.send !== null;
  }

  record(kind: string, position: number[], data: unknown): void {
    this.send?.({ a: this.actor, k: kind, p: position, d: data });
  }
}
