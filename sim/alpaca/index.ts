export { AlpacaSimulator } from './AlpacaSimulator.js';
export type { AlpacaFaultKind, AlpacaFaultOptions, AlpacaSimulatorOptions, AlpacaSimulatorStats } from './AlpacaSimulator.js';
export type { QuoteFn, SimQuote } from './AlpacaExchange.js';
export { startModelQuotes, type ModelQuotes } from './modelQuotes.js';
export { runAlpacaSim, parseAlpacaSimArgs } from './main.js';
