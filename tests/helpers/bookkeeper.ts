import { loadConfig } from '../../engine/config/loadConfig.js';
import type { EngineConfig } from '../../engine/config/schema.js';
import { createLogger } from '../../engine/log/logger.js';
import { Doorbell, RingBuffer, RingProducer, RingReader } from '../../engine/ring/index.js';
import { MonoClock } from '../../engine/runtime/MonoClock.js';
import { OutputPort } from '../../engine/runtime/OutputPort.js';
import { BookKeeper } from '../../actors/market-depth/BookKeeper.js';

/** A BookKeeper writing to a real ring (one lossy reader, so it never blocks), as the actor runs it. */
export function makeKeeper(env: Record<string, string> = {}): { keeper: BookKeeper; config: EngineConfig; clock: MonoClock; reader: RingReader } {
  const { config } = loadConfig({ env: { ALPHATRADER_LOGGING_LEVEL: 'silent', ...env } });
  const ring = RingBuffer.create({ capacity: 1 << 16, slotSize: 128, readers: [{ mode: 'lossy' }] });
  const clock = MonoClock.start();
  const out = new OutputPort('market-data', new RingProducer(ring, Doorbell.createArray(1)), 0, clock);
  return { keeper: new BookKeeper(config, out, clock), config, clock, reader: new RingReader(ring, 0) };
}

export const silentLog = () => createLogger({ level: 'silent', pretty: 'never' });
