import { signalsReadsKey } from '../../actors/signals/readsKey.js';

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
