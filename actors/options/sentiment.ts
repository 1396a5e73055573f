/**
 * NEWS_SENTIMENT summaries. Labels use the API's own bands (its `sentiment_score_definition`):
 * x ≤ −0.35 Bearish; −0.35 < x ≤ −0.15 Somewhat-Bearish; −0.15 < x < 0.15 Neutral;
 * 0.15 ≤ x < 0.35 Somewhat-Bullish; x ≥ 0.35 Bullish.
 */

import { parseNumber } from './validateChain.js';

export type SentimentLabel = 'Bearish' | 'Somewhat-Bearish' | 'Neutral' | 'Somewhat-Bullish' | 'Bullish';

export function sentimentLabel(x: number): SentimentLabel {
  if (x <= -0.35) return 'Bearish';
  if (x <= -0.15) return 'Somewhat-Bearish';
  if (x < 0.15) return 'Neutral';
  if (x < 0.35) return 'Somewhat-Bullish';
  return 'Bullish';
}

export interface SentimentSummary {
  ticker: string;
  /** Plain mean of the ticker's per-article sentiment scores; null with no articles. */
  score: number | null;
  label: SentimentLabel | null;
  /** Mean weighted by each article's relevance to the ticker; null when no article has relevance > 0. */
  relevanceWeighted: number | null;
  relevanceWeightedLabel: SentimentLabel | null;
  /** Articles that scored the ticker. */
  articles: number;
  /** Ticker entries with an unparseable score or relevance, left out. */
  skipped: number;
}

/** Accepts the whole NEWS_SENTIMENT body or its `feed` array; ticker match is case-insensitive. */
export function summariseSentiment(feed: unknown, ticker: string): SentimentSummary {
  const items: unknown[] = Array.isArray(feed)
    ? feed
    : feed !== null && typeof feed === 'object' && Array.isArray((feed as { feed?: unknown }).feed)
      ? (feed as { feed: unknown[] }).feed
      : [];
  const want = ticker.toUpperCase();
  let n = 0;
  let sum = 0;
  let wSum = 0;
  let wScore = 0;
  let skipped = 0;
  for (const item of items) {
    if (item === null || typeof item !== 'object') continue;
    const list = (item as { ticker_sentiment?: unknown }).ticker_sentiment;
    if (!Array.isArray(list)) continue;
    const entry = list.find(
      (e): e is Record<string, unknown> =>
        e !== null && typeof e === 'object' && typeof (e as { ticker?: unknown }).ticker === 'string' && (e as { ticker: string }).ticker.toUpperCase() === want,
    );
    if (!entry) continue;
    const s = parseNumber(entry.ticker_sentiment_score);
    const rel = parseNumber(entry.relevance_score);
    if (s === undefined || rel === undefined || rel < 0) {
      skipped++;
      continue;
    }
    n++;
    sum += s;
    wSum += rel;
    wScore += rel * s;
  }
  const score = n > 0 ? sum / n : null;
  const relevanceWeighted = wSum > 0 ? wScore / wSum : null;
  return {
    ticker: want,
    score,
    label: score === null ? null : sentimentLabel(score),
    relevanceWeighted,
    relevanceWeightedLabel: relevanceWeighted === null ? null : sentimentLabel(relevanceWeighted),
    articles: n,
    skipped,
  };
}
