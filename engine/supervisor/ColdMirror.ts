import { signalsReadsKey } from '../../actors/signals/readsKey.js';
import { chainColumns, OptionMarket } from '../../analytics/optionMarket.js';
import { packCold, unpackCold, type ColdEnvelope, type PublishRequest } from '../runtime/ColdMessage.js';

/** The topic of a chain or greeks key parsed into columns for the signals actor (`signalsCopy`). */
export const CHAIN_COLUMNS_TOPIC = 'chain-columns';

/**
 * Whether an actor of this kind gets a copy of a publish (a message to the publisher): the dashboard and
 * execution all of them (the dashboard shows the key space, execution reads book snapshots and chains);
 * signals, which runs on the hot thread and decodes every copy there, only a publish with a key it reads.
 * A publish without its keys on the envelope (`ColdEnvelope.keys`) goes to all three.
 */
export function mirrorsPublish(kind: string, keys: readonly string[] | undefined): boolean {
  if (kind === 'dashboard' || kind === 'execution') return true;
  if (kind !== 'signals') return false;
  return keys === undefined || keys.some(signalsReadsKey);
}

/**
 * The signals actor's copy of a publish. A chain or greeks key (`options:{SYM}:chain|greeks`, one per publish
 * as the options actor sends them) is parsed into columns here, on the supervisor's thread: decoded on the hot
 * thread its ~3,600 rows cost 0.3–1.5 ms per key, up to 10 ms, while ticks waited in the socket; a few typed
 * arrays decode in tens of µs (decision 148). Anything else, or a key that does not parse (signals counts
 * it as it always did), goes as it came.
 */
export function signalsCopy(m: ColdEnvelope): ColdEnvelope {
  if (m.topic !== 'publish' || m.keys?.length !== 1 || !OptionMarket.readsKey(m.keys[0]!)) return m;
  let req: PublishRequest;
  try {
    req = unpackCold(m.data) as PublishRequest;
  } catch {
    return m; // undecodable here: the actor counts it as it would have
  }
  const cols = typeof req?.key === 'string' ? chainColumns(req.key, req.value) : 'ignored';
  if (typeof cols !== 'object' || !('kind' in cols)) return m;
  return { t: 'cold', from: m.from, to: m.to, topic: CHAIN_COLUMNS_TOPIC, data: packCold(cols) };
}
