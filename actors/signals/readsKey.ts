import { OptionMarket } from '../../analytics/optionMarket.js';
import { isColdInputKey } from './coldInputs.js';
import { STRATEGIES_KEY } from './strategySwitches.js';

/**
 * Whether the signals actor reads a published key (SignalsCore.applyKey applies only these): the strategy
 * switches, option chains and greeks, unusual activity and sentiment. The supervisor mirrors it nothing else:
 * every mirrored message is decoded on the hot thread, and book snapshots, positions and monitoring keys
 * were ~90 % of them (decision 128).
 */
export function signalsReadsKey(key: string): boolean {
  return key === STRATEGIES_KEY || OptionMarket.readsKey(key) || isColdInputKey(key);
}
