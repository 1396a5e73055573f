export { TokenBucket, ALPHA_VANTAGE_PLANS, type AlphaVantagePlan, type TokenBucketOptions, type PlanOptions } from './TokenBucket.js';
export {
  AlphaVantageClient,
  defaultSleep,
  type AlphaVantageClientOptions,
  type AvResult,
  type ClientMetrics,
  type FailureKind,
  type FatalReport,
  type NewsSort,
  type OptionsLog,
  type RawNewsResponse,
  type RawOptionsResponse,
} from './AlphaVantageClient.js';
export { classifyResponse, type ResponseClass } from './classifyResponse.js';
export { validateChain, parseNumber, DEFAULT_RATE, type ValidatedChain, type ValidateOptions, type QuarantineReason, type QuarantinedContract, type ChainCounts } from './validateChain.js';
export { summariseSentiment, sentimentLabel, type SentimentLabel, type SentimentSummary } from './sentiment.js';
export { unusualActivity, type UnusualContract } from './unusualActivity.js';
export { OptionsService, type OptionsServiceOptions, type OptionsServiceMetrics, type OptionsDataSource, type OptionsTtls } from './OptionsService.js';
export { expiryInstantMs, yearFraction } from './expiryTime.js';
export type { OptionContract, ContractGreeks, OptionType } from './types.js';
