/**
 * Alpha Vantage's error and throttle bodies (all sent with HTTP 200). Texts follow the public service's
 * wording closely enough that clients matching on phrases ("premium endpoint", "demo", "per day",
 * "sparingly") behave as they would against it.
 */

const DOCS = 'https://www.alphavantage.co/documentation/';
const PREMIUM = 'https://www.alphavantage.co/premium/';
const SUPPORT = 'https://www.alphavantage.co/support/#api-key';

export function invalidCall(fn: string): { 'Error Message': string } {
  return { 'Error Message': `Invalid API call. Please retry or visit the documentation (${DOCS}) for ${fn}.` };
}

export const INVALID_KEY = {
  'Error Message': `the parameter apikey is invalid or missing. Please claim your free API key on (${SUPPORT}). It should take less than 20 seconds.`,
};

export const INFORMATION_DAILY = {
  Information: `Thank you for using Alpha Vantage! Our standard API rate limit is 25 requests per day. Please subscribe to any of the premium plans at ${PREMIUM} to instantly remove all daily rate limits.`,
};

export const INFORMATION_BURST = {
  Information: `Thank you for using Alpha Vantage! Please consider spreading out your free API requests more sparingly (1 request per second). You may subscribe to any of the premium plans at ${PREMIUM} to lift the free key rate limit (25 requests per day), raise the per-minute rate limit, and enable all premium features.`,
};

export const INFORMATION_PREMIUM = {
  Information: `Thank you for using Alpha Vantage! This is a premium endpoint. You may subscribe to any of the premium plans at ${PREMIUM} to instantly unlock all premium endpoints`,
};

export const INFORMATION_DEMO = {
  Information: `The **demo** API key is for demo purposes only. Please claim your free API key at (${SUPPORT}) to explore our full API offerings. It takes fewer than 20 seconds.`,
};

export const NOTE = {
  Note: `Thank you for using Alpha Vantage! Our standard API call frequency is 5 calls per minute and 500 calls per day. Please visit ${PREMIUM} if you would like to target a higher API call frequency.`,
};
