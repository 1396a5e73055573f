/**
 * The simulated NEWS_SENTIMENT feed. Each ticker has a stream of articles (zero to two an hour over the
 * last three days), keyed on (seed, ticker, hour) so the same request gives the same feed. An article
 * names its own ticker and up to two widely held ones, so multi-ticker queries (which Alpha Vantage
 * answers with articles mentioning every ticker) can match. Scores sit on the API's band edges now and
 * then, so clients' label rules are exercised at the boundaries.
 */

import { gaussian, hash32, keyedRandom } from './random.js';

export const SENTIMENT_SCORE_DEFINITION =
  'x <= -0.35: Bearish; -0.35 < x <= -0.15: Somewhat-Bearish; -0.15 < x < 0.15: Neutral; 0.15 <= x < 0.35: Somewhat_Bullish; x >= 0.35: Bullish';
export const RELEVANCE_SCORE_DEFINITION = '0 < x <= 1, with a higher score indicating higher relevance.';

export type SentimentLabel = 'Bearish' | 'Somewhat-Bearish' | 'Neutral' | 'Somewhat-Bullish' | 'Bullish';

/** The API's bands, edges included exactly as its definition string states. */
export function labelFor(x: number): SentimentLabel {
  if (x <= -0.35) return 'Bearish';
  if (x <= -0.15) return 'Somewhat-Bearish';
  if (x < 0.15) return 'Neutral';
  if (x < 0.35) return 'Somewhat-Bullish';
  return 'Bullish';
}

export type NewsSort = 'LATEST' | 'EARLIEST' | 'RELEVANCE';

export interface NewsQuery {
  tickers: string[];
  nowMs: number;
  seed: number;
  limit: number;
  sort: NewsSort;
}

interface TickerSentiment {
  ticker: string;
  relevance_score: string;
  ticker_sentiment_score: string;
  ticker_sentiment_label: SentimentLabel;
}

export interface NewsArticle {
  title: string;
  url: string;
  time_published: string;
  authors: string[];
  summary: string;
  banner_image: string;
  source: string;
  category_within_source: string;
  source_domain: string;
  topics: { topic: string; relevance_score: string }[];
  overall_sentiment_score: number;
  overall_sentiment_label: SentimentLabel;
  ticker_sentiment: TickerSentiment[];
}

const HOUR_MS = 3_600_000;
const LOOKBACK_HOURS = 72;
const CO_MENTIONS = ['SPY', 'QQQ', 'AAPL', 'MSFT', 'NVDA', 'IWM', 'AMZN'];
const SOURCES: [string, string][] = [
  ['Benzinga', 'www.benzinga.com'],
  ['Reuters', 'www.reuters.com'],
  ['Motley Fool', 'www.fool.com'],
  ['Zacks Commentary', 'www.zacks.com'],
  ['MarketWatch', 'www.marketwatch.com'],
];
const TOPICS = ['Financial Markets', 'Earnings', 'Technology', 'Economy - Monetary', 'Economy - Macro', 'Retail & Wholesale'];
const EDGES = [-0.35, -0.15, 0.15, 0.35];
const HEADLINES = {
  up: ['rallies as buyers return', 'extends gains on strong demand', 'beats expectations, options traders pile in'],
  flat: ['trades sideways ahead of data', 'holds range as volumes thin', 'steady after mixed signals'],
  down: ['slides as risk appetite fades', 'falls on downgrade', 'drops as put buying accelerates'],
};

function fmtTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
}

function clampScore(x: number): number {
  return Math.max(-0.95, Math.min(0.95, x));
}

/** A ticker's mood for a day, shared by its articles, so summaries are not pure noise. */
function dailyBias(seed: number, ticker: string, day: number): number {
  return 0.25 * gaussian(keyedRandom(seed, `bias|${ticker}|${day}`));
}

function score(seed: number, ticker: string, key: string, day: number): number {
  const rand = keyedRandom(seed, `score|${ticker}|${key}`);
  if (rand() < 0.05) return EDGES[Math.floor(rand() * EDGES.length)]!;
  return clampScore(dailyBias(seed, ticker, day) + 0.2 * gaussian(rand));
}

function articlesFor(seed: number, primary: string, nowMs: number): NewsArticle[] {
  const out: NewsArticle[] = [];
  const nowHour = Math.floor(nowMs / HOUR_MS);
  for (let h = nowHour - LOOKBACK_HOURS + 1; h <= nowHour; h++) {
    const rand = keyedRandom(seed, `news|${primary}|${h}`);
    const n = Math.floor(rand() * 2.4);
    for (let i = 0; i < n; i++) {
      const publishedMs = h * HOUR_MS + Math.floor(rand() * HOUR_MS);
      if (publishedMs > nowMs) continue;
      const key = `${h}|${i}`;
      const day = Math.floor(publishedMs / 86_400_000);
      const others = CO_MENTIONS.filter((t) => t !== primary && rand() < 0.2).slice(0, 2);
      const tickers = [primary, ...others];
      const ts: TickerSentiment[] = tickers.map((t, j) => {
        const s = score(seed, t, `${primary}|${key}`, day);
        const rel = j === 0 ? 0.5 + 0.5 * rand() : 0.05 + 0.4 * rand();
        return {
          ticker: t,
          relevance_score: rel.toFixed(6),
          ticker_sentiment_score: s.toFixed(6),
          ticker_sentiment_label: labelFor(Number(s.toFixed(6))),
        };
      });
      const overall = Number(clampScore(Number(ts[0]!.ticker_sentiment_score) * 0.8 + 0.05 * gaussian(rand)).toFixed(6));
      const mood = overall >= 0.15 ? 'up' : overall <= -0.15 ? 'down' : 'flat';
      const [source, domain] = SOURCES[hash32(seed, key + primary) % SOURCES.length]!;
      const headline = HEADLINES[mood][Math.floor(rand() * 3)]!;
      out.push({
        title: `${primary} ${headline}`,
        url: `https://${domain}/sim/${primary.toLowerCase().replace(':', '-')}/${h}-${i}`,
        time_published: fmtTime(publishedMs),
        authors: [`Sim Reporter ${1 + (hash32(seed, key) % 9)}`],
        summary: `${primary} ${headline}. Simulated article for testing; figures are synthetic.`,
        banner_image: `https://${domain}/img/${h}-${i}.jpg`,
        source,
        category_within_source: 'Markets',
        source_domain: domain,
        topics: [TOPICS[hash32(seed, key) % TOPICS.length]!, 'Financial Markets']
          .filter((t, j, a) => a.indexOf(t) === j)
          .map((topic) => ({ topic, relevance_score: (0.3 + 0.7 * rand()).toFixed(6) })),
        overall_sentiment_score: overall,
        overall_sentiment_label: labelFor(overall),
        ticker_sentiment: ts,
      });
    }
  }
  return out;
}

/** Articles mentioning every requested ticker (all tickers' streams merged, duplicates dropped), sorted and limited. */
export function buildNewsFeed(q: NewsQuery): Record<string, unknown> {
  const byUrl = new Map<string, NewsArticle>();
  const streams = q.tickers.length > 0 ? q.tickers : CO_MENTIONS;
  for (const t of streams) for (const a of articlesFor(q.seed, t, q.nowMs)) byUrl.set(a.url, a);
  let feed = [...byUrl.values()].filter((a) => q.tickers.every((t) => a.ticker_sentiment.some((s) => s.ticker === t)));
  const relevance = (a: NewsArticle): number =>
    Math.max(0, ...a.ticker_sentiment.filter((s) => q.tickers.includes(s.ticker)).map((s) => Number(s.relevance_score)));
  if (q.sort === 'LATEST') feed.sort((a, b) => (a.time_published < b.time_published ? 1 : a.time_published > b.time_published ? -1 : 0));
  else if (q.sort === 'EARLIEST') feed.sort((a, b) => (a.time_published < b.time_published ? -1 : a.time_published > b.time_published ? 1 : 0));
  else feed.sort((a, b) => relevance(b) - relevance(a));
  feed = feed.slice(0, q.limit);
  return {
    items: String(feed.length),
    sentiment_score_definition: SENTIMENT_SCORE_DEFINITION,
    relevance_score_definition: RELEVANCE_SCORE_DEFINITION,
    feed,
  };
}
