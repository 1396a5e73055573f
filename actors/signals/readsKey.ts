import { OptionMarket } from '../../analytics/optionMarket.js';
import { isColdInputKey } from './coldInputs.js';
import { STRATEGIES_KEY } from './strategySwitches.js';

/**
 * Whether the signals actor reads a published key (SignalsCore.applyKey applies only these): the strategy
 * switches, option chains and greeks, unusual activity and sentiment. The supervisor mirrors it nothing else:
 * every mirrored message is decoded on the hot thread, and book snapshots, positions, status and monitoring
 * keys were most of them (~160 of ~190 in 15 s at 10k/s; decision 128).
 */
export function signalsReadsKey(key: string): boolean {
  return key === STRATEGIES_KEY || OptionMarket.readsKey(key) || isColdInputKey(key);
}
