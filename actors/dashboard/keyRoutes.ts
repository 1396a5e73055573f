/**
 * Which page topic a published key belongs to. Per-symbol keys carry the symbol in a Redis Cluster hash
 * tag (`market:{SPY}:book`); the braces are optional here so a key written without them still lands.
 */
const SYMBOL_KEY = /^([a-z_]+):\{?([A-Z][A-Z0-9.]{0,9})\}?(?::(.+))?$/;

export interface SymbolKey {
  ns: string;
  symbol: string;
  rest: string;
}

export function parseSymbolKey(key: string): SymbolKey | undefined {
  const m = SYMBOL_KEY.exec(key);
  return m ? { ns: m[1], symbol: m[2], rest: m[3] ?? '' } : undefined;
}

/** Panel topics of one symbol, and the global ones. */
export const SYMBOL_PANELS = ['book', 'price', 'vpin', 'gex', 'flow'] as const;
export type SymbolPanel = (typeof SYMBOL_PANELS)[number];
export const GLOBAL_TOPICS = ['watch', 'signals', 'trading', 'health'] as const;
export type GlobalTopic = (typeof GLOBAL_TOPICS)[number];

export const symbolTopic = (panel: SymbolPanel, symbol: string): string => `${panel}:${symbol}`;

/** The topic a key feeds, or undefined when no panel shows it. `isSymbol` says whether SYM is configured. */
export function topicForKey(key: string, isSymbol: (s: string) => boolean): string | undefined {
  const k = parseSymbolKey(key);
  if (k && isSymbol(k.symbol)) {
    switch (k.ns) {
      case 'market':
        if (k.rest === 'book') return symbolTopic('book', k.symbol);
        if (k.rest === 'sweep' || k.rest === 'unusual_volume' || k.rest === 'imbalance') return symbolTopic('flow', k.symbol);
        return symbolTopic('price', k.symbol);
      case 'analytics':
        if (k.rest === 'vpin') return symbolTopic('vpin', k.symbol);
        if (k.rest === 'gex' || k.rest === 'dex') return symbolTopic('gex', k.symbol);
        return symbolTopic('flow', k.symbol);
      case 'options':
        return k.rest === 'unusual' ? symbolTopic('flow', k.symbol) : symbolTopic('gex', k.symbol);
      case 'signals':
        return 'signals';
      default:
        return undefined;
    }
  }
  if (key === 'positions' || key.startsWith('positions:') || key.startsWith('orders:') || key.startsWith('performance:')
    || key.startsWith('cb:') || key.startsWith('risk:') || key.startsWith('pnl') || key.startsWith('account')) {
    return 'trading';
  }
  if (key.startsWith('engine:') || key.startsWith('module:heartbeat:') || key.startsWith('monitoring:') || key.endsWith(':connected')
    || key.startsWith('ibkr:')) {
    return 'health';
  }
  return undefined;
}
