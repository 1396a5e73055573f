export { AlphaVantageSimulator, type AlphaVantageSimulatorOptions, type AlphaVantageSimulatorStats, type ForcedKind } from './AlphaVantageSimulator.js';
export { buildChain, toWire, type SimContract } from './chainModel.js';
export { buildNewsFeed, labelFor, SENTIMENT_SCORE_DEFINITION, RELEVANCE_SCORE_DEFINITION } from './newsModel.js';
export { walkingSpot } from './walkingSpot.js';
