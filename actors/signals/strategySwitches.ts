/**
 * Runtime strategy switches: operators enable or disable a strategy (dashboard, CLI), execution persists the
 * switch map as JSON under this key (no TTL) and publishes it under the same key; the signals actor applies it over
 * the configuration's `enabled`, and `signals:windows` and `alphatrader status` show it.
 */
export const STRATEGIES_KEY = 'signals:strategies';

/** Operator-facing strategy names → their configuration section. */
export const STRATEGY_KEYS = { '0DTE': 'zeroDte', '1DTE': 'oneDte', '14DTE': 'fourteenDte', MOC: 'moc' } as const;
export type StrategyName = keyof typeof STRATEGY_KEYS;
