import { describe, expect, test } from 'vitest';
import { sentimentLabel, summariseSentiment } from '../../actors/options/sentiment.js';
import { unusualActivity } from '../../actors/options/unusualActivity.js';
import type { OptionContract } from '../../actors/options/types.js';
import { buildNewsFeed } from '../../sim/alpha-vantage/newsModel.js';

function article(entries: { ticker: string; relevance_score: unknown; ticker_sentiment_score: unknown }[]): object {
  return { title: 't', overall_sentiment_score: 0, ticker_sentiment: entries.map((e) => ({ ...e, ticker_sentiment_label: 'Neutral' })) };
}

describe('sentimentLabel uses the API bands, edges included', () => {
  test.each([
    [-1, 'Bearish'],
    [-0.35, 'Bearish'],
    [-0.349999, 'Somewhat-Bearish'],
    [-0.15, 'Somewhat-Bearish'],
    [-0.149999, 'Neutral'],
    [0, 'Neutral'],
    [0.149999, 'Neutral'],
    [0.15, 'Somewhat-Bullish'],
    [0.349999, 'Somewhat-Bullish'],
    [0.35, 'Bullish'],
    [1, 'Bullish'],
  ])('%d → %s', (x, label) => expect(sentimentLabel(x)).toBe(label));
});

describe('summariseSentiment', () => {
  test('plain and relevance-weighted means over the articles that score the ticker', () => {
    const feed = {
      items: '4',
      feed: [
        article([{ ticker: 'SPY', relevance_score: '0.9', ticker_sentiment_score: '0.40' }]),
        article([{ ticker: 'SPY', relevance_score: '0.1', ticker_sentiment_score: '-0.40' }, { ticker: 'QQQ', relevance_score: '1', ticker_sentiment_score: '-0.9' }]),
        article([{ ticker: 'QQQ', relevance_score: '1', ticker_sentiment_score: '0.9' }]),
        article([{ ticker: 'spy', relevance_score: '0.0', ticker_sentiment_score: '0.15' }]),
      ],
    };
    const s = summariseSentiment(feed, 'SPY');
    expect(s.articles).toBe(3);
    expect(s.score).toBeCloseTo((0.4 - 0.4 + 0.15) / 3, 12);
    expect(s.label).toBe('Neutral');
    expect(s.relevanceWeighted).toBeCloseTo((0.9 * 0.4 - 0.1 * 0.4) / 1.0, 12);
    expect(s.relevanceWeightedLabel).toBe('Somewhat-Bullish');
    expect(s.skipped).toBe(0);
  });

  test('unparseable entries are skipped and counted; no articles gives nulls; junk input is harmless', () => {
    const s = summariseSentiment([article([{ ticker: 'SPY', relevance_score: 'x', ticker_sentiment_score: '0.5' }]), null, 7, { ticker_sentiment: 'no' }], 'SPY');
    expect(s).toMatchObject({ articles: 0, skipped: 1, score: null, label: null, relevanceWeighted: null, relevanceWeightedLabel: null });
    expect(summariseSentiment(undefined, 'SPY').articles).toBe(0);
  });

  test('a band-edge mean gets the edge’s label', () => {
    const s = summariseSentiment([article([{ ticker: 'AAPL', relevance_score: '1', ticker_sentiment_score: '-0.350000' }])], 'AAPL');
    expect(s.label).toBe('Bearish');
  });

  test('on a simulated feed, the summary matches a direct computation', () => {
    const body = buildNewsFeed({ tickers: ['NVDA'], nowMs: Date.UTC(2025, 2, 12, 18), seed: 5, limit: 1000, sort: 'LATEST' }) as { feed: any[] };
    const entries = body.feed.map((a) => a.ticker_sentiment.find((t: any) => t.ticker === 'NVDA'));
    const mean = entries.reduce((s, e) => s + Number(e.ticker_sentiment_score), 0) / entries.length;
    const s = summariseSentiment(body, 'NVDA');
    expect(s.articles).toBe(body.feed.length);
    expect(s.score).toBeCloseTo(mean, 12);
  });
});

describe('unusualActivity', () => {
  const c = (id: string, volume: number, openInterest: number): OptionContract => ({ contractId: id, volume, openInterest }) as OptionContract;

  test('volume/OI strictly above 2, highest ratio first; zero OI excluded; ties by volume then id', () => {
    const out = unusualActivity([c('A', 200, 100), c('B', 201, 100), c('C', 900, 100), c('D', 50, 0), c('E', 30, 10), c('F', 60, 20), c('G', 30, 10)]);
    expect(out.map((u) => u.contract.contractId)).toEqual(['C', 'F', 'E', 'G', 'B']);
    expect(out[0]!.ratio).toBe(9);
    expect(out.at(-1)!.ratio).toBeCloseTo(2.01, 12);
  });

  test('the threshold is configurable', () => {
    expect(unusualActivity([c('A', 150, 100)], 1).map((u) => u.ratio)).toEqual([1.5]);
  });
});
