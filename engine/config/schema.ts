import { z } from 'zod';

const ms = (min = 1) => z.number().int().min(min);
const pow2 = z.number().int().refine((n) => n >= 2 && (n & (n - 1)) === 0 && n <= 1 << 30, {
  message: 'must be a power of two between 2 and 2^30',
});

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "must be a New York time 'HH:MM' (24 h), e.g. '09:30'");
/** Window (New York), cooldown per symbol and expiry (session ms) shared by the signal strategies. */
const strategyBase = {
  enabled: z.boolean(),
  from: hhmm,
  to: hhmm,
  cooldownMs: ms(1),
  expiryMs: ms(1),
};

/** A ticker as every symbol list writes it (also the CLI's check of a SYMBOL argument). */
export const TICKER = /^[A-Z][A-Z0-9.]{0,9}$/;

export const SymbolSchema = z.strictObject({
  symbol: z.string().regex(TICKER, 'must be an upper-case ticker of 1-10 characters (A-Z, 0-9, .)'),
  level2: z.boolean(),
  basePrice: z.number().positive(),
  numRows: z.number().int().min(1).max(100),
});

export const ActorKinds = ['market-depth', 'options', 'analytics', 'signals', 'execution', 'publisher', 'dashboard'] as const;

export const ConfigSchema = z.strictObject({
  engine: z.strictObject({
    mode: z.enum(['simulated', 'live']),
    seed: z.number().int(),
    dataDir: z.string().min(1),
    shutdownTimeoutMs: ms(100).max(60_000),
    // The session clock of simulated venues (engine/clock); live venues always run on the wall clock.
    clock: z.strictObject({
      start: hhmm.refine((t) => t < '16:00', { message: 'must be before the 16:00 close (the simulated day starts then)' }),
      speed: z.number().positive('must be a positive factor (1 = real time)').max(10_000, 'must be at most 10000 (a day in ~2 s)'),
    }).default({ start: '09:30', speed: 120 }),
  }),
  symbols: z.array(SymbolSchema).min(1).max(1000),
  market: z.strictObject({
    source: z.enum(['sim', 'tws', 'replay']),
    record: z.string(), // '' = off; a file path records every inbound market event
    replay: z.strictObject({
      file: z.string(), // a recording (alphatrader record), or '' with the lobster files below
      speed: z.union([z.literal('max'), z.number().positive().max(1_000_000)]),
      lobsterMessage: z.string(),
      lobsterOrderbook: z.string(),
      lobsterSymbol: z.string(),
    }),
    eventsPerSecond: z.number().positive().max(1_000_000),
    barSeconds: z.number().int().min(1).max(3600),
    bookSnapshotMs: ms(10),
    staleAfterMs: ms(100),
    publishEvery: z.number().int().min(0).max(65_536).default(0), // TWS: a socket read's events per ring publish (and one at its end); 0 = once per read
    quality: z.strictObject({
      outlierSigmas: z.number().positive(), // a print beyond this many σ of recent print-to-print returns is quarantined
      minBandBps: z.number().min(0).max(10_000), // … but never for a move inside this band
      warmupPrints: z.number().int().min(1), // prints per symbol that only teach σ
      rebaseAfter: z.number().int().min(1).max(1000), // consecutive same-side outliers that make a new level real
      halfLifePrints: z.number().int().min(1),
      quarantineMaxLen: z.number().int().min(100).max(10_000_000), // quality:quarantine stream cap (XADD MAXLEN ~)
    }),
    tradesKept: z.number().int().min(1).max(100_000),
    barsKept: z.number().int().min(1).max(100_000),
    // live option quotes (topic option-subscriptions in, option-quotes out), within the venue's market-data lines
    optionQuotes: z.strictObject({
      lineLimit: z.number().int().min(0).max(100_000), // lines of the connection, the underlyings' streams included
      flushMs: ms(10), // conflated quotes go to execution and signals at most this often
      ownerPriority: z.array(z.string().min(1)), // whose contracts keep their lines first (held/working before candidates)
    }).default({ lineLimit: 100, flushMs: 250, ownerPriority: ['execution', 'signals'] }),
  }),
  venues: z.strictObject({
    tws: z.strictObject({
      host: z.string().min(1),
      port: z.number().int().min(0).max(65535),
      clientId: z.number().int().min(0),
      maxReqPerSec: z.number().int().min(1).max(50),
      handshakeTimeoutMs: ms(100), // socket open to nextValidId; past it the connection is dropped and retried
      resubscribeMinMs: ms(100), // 1101 storms: at most one cancel+resubscribe per this interval
      history: z.strictObject({
        sessions: z.number().int().min(0).max(10), // minute bars of this many sessions before the live feed (0: none)
        timeoutMs: ms(100), // the live subscriptions never wait longer than this for history
      }),
      frame: z.strictObject({
        maxFrameBytes: z.number().int().min(1024).max(0xffffff),
        maxFields: z.number().int().min(16).max(1_000_000),
        maxFieldBytes: z.number().int().min(64).max(0xffffff),
        desyncAfterBadFrames: z.number().int().min(1).max(1_000_000),
        stallMs: ms(100), // a frame left incomplete this long means the stream lost its framing
      }),
      limits: z.strictObject({
        maxSize: z.number().positive(),
        maxBarVolume: z.number().positive(),
        maxPrice: z.number().positive(),
        priceBand: z.number().positive(),
        rebaseAfter: z.number().int().min(1),
        maxMarketMakerChars: z.number().int().min(1).max(1024),
        maxTextChars: z.number().int().min(16).max(1_000_000),
      }),
    }),
    alphaVantage: z.strictObject({
      baseUrl: z.union([z.literal(''), z.url()]),
      plan: z.union([z.literal(75), z.literal(150), z.literal(300), z.literal(600), z.literal(1200)]),
      safetyMargin: z.number().int().min(0),
      pollMs: ms(1000),
      timeoutMs: ms(100), // per request, body included
      maxBodyBytes: z.number().int().min(1024), // the streamed read is aborted past it
      maxContracts: z.number().int().min(1), // a larger chain is refused whole
    }),
    // Where the embedded simulators run: a worker thread of their own, the supervisor's (main) thread, or
    // auto: main on a small host (the same rule as `worker: auto:…` placements), their own thread otherwise.
    simThread: z.enum(['auto', 'own', 'main']).default('auto'),
    // Simulated venues only (embedded TWS and Alpaca simulators, the paper broker); 0 = off. Wall ms.
    simLatency: z.strictObject({
      ackMs: z.number().int().min(0).max(60_000), // before an order is acknowledged
      fillMs: z.number().int().min(0).max(60_000), // before each fill step
      fillSlices: z.number().int().min(1).max(1000), // partial fills per order
    }),
  }),
  analytics: z.strictObject({
    publishMs: ms(50),
    poolThreads: z.number().int().min(1).max(64),
    vpin: z.strictObject({
      barSeconds: z.number().int().min(1).max(3600),
      n: z.number().int().min(2).max(10_000),
      sigmaWindow: z.number().int().min(2).max(10_000),
      toxicThreshold: z.number().gt(0).max(1),
      bucketsPerDay: z.number().int().min(1).max(100_000), // auto bucket volume = estimated daily volume / this
      bucketVolume: z.record(z.string(), z.number().int().positive()), // per-symbol override (e.g. from discovery)
      minHistory: z.number().int().min(1).max(100_000), // VPIN values before the CDF and the toxic flag are published
      maxTradeVolume: z.number().positive().max(1e15), // a trade above this size is refused and counted, never poured
    }),
    sweepLevels: z.number().int().min(2).max(50),
    sweepWindowMs: ms(1),
    unusualVolumeZ: z.number().positive(),
  }),
  options: z.strictObject({
    symbols: z.array(z.string()),
    rate: z.number().min(-0.1).max(1),
    dividendYield: z.number().min(0).max(1),
  }),
  execution: z.strictObject({
    broker: z.enum(['paper', 'ibkr', 'alpaca']),
    alpacaBaseUrl: z.string(), // '' = the embedded Alpaca simulator
    account: z.string(), // '' = any; IBKR: only this account's orders/positions/executions; Alpaca: the keys' account must be this one
    notionalPerSignal: z.number().positive(),
    staleOrderMs: ms(100),
    stopLossPct: z.number().gt(0).lt(1),
    takeProfitPct: z.number().gt(0).lt(10),
    trailingStopPct: z.number().gt(0).lt(1),
    scaleOutFraction: z.number().min(0).max(1),
    reconcileMs: ms(100),
    allowVolatileJournal: z.boolean().default(false), // true: start with a non-paper broker on a journal Redis without AOF
    journalSync: z.enum(['off', 'wait']).default('off'), // wait: each intent reaches the AOF (WAITAOF, or appendfsync always) before the order is sent
    // local: an order is sent once its intent is in a local write-ahead file (<dataDir>/journal), the stream follows
    // (decision 113); redis: once Redis acknowledged it. A cluster, and journalSync wait, always use redis.
    journalAhead: z.enum(['local', 'redis']).default('local'),
    // The last option signal's entry decided again this often, changing nothing, so the order path's code stays
    // optimised and in the caches between signals (decision 146); 0 = off.
    warmPathMs: z.number().int().min(0).max(60_000).default(10),
    journalRetentionDays: z.number().int().min(1).max(3650).default(5), // closed orders older than this are archived out of the replayed journal
    ackTimeoutMs: ms(100).default(10_000), // an order the broker does not know yet is not declared lost before this
    redisTimeoutMs: ms(50).default(2000), // execution's Redis commands fail after this (a stalled Redis refuses orders, never freezes them)
    accountPollMs: ms(500).max(3_600_000).default(10_000), // the broker account (equity, cash, buying power, margin) is read at start and this often
    // Preservation mode (no new entries, exits allowed) after this many consecutive broker errors, until that many consecutive successes.
    preservation: z.strictObject({
      errorsToEnter: z.number().int().min(1).max(1000),
      successesToLeave: z.number().int().min(1).max(1000),
      probeMs: ms(100).max(600_000), // while in preservation mode the account is read this often (the probe that ends it)
    }).default({ errorsToEnter: 3, successesToLeave: 2, probeMs: 2000 }),
    // The 0DTE/1DTE/14DTE strategies trade the option contract their signal chose (MOC stays on shares).
    optionOrders: z.strictObject({
      enabled: z.boolean(), // false: every signal trades the underlying's shares (the engine before issue 11)
      startFraction: z.number().min(0).max(1), // first limit: mid + this × (far side − mid)
      stepFraction: z.number().min(0).max(1), // each re-price moves it this much further towards the far side
      repriceMs: ms(100), // wall ms an unfilled option limit works before it is re-priced (cancel, then the next price)
      maxReprices: z.number().int().min(0).max(20),
      timeoutMs: ms(100), // wall ms after the first price: the order is cancelled, not re-priced
      chainFallback: z.boolean(), // no live quote for a contract: price, mark and risk it from the chain (counted)
      stopPct: z.number().gt(0).lt(1), // exits on the option's mark (premium): stop this far below entry …
      targetPct: z.number().gt(0).lt(20), // … first target this far above (scale-out) …
      trailPct: z.number().gt(0).lt(1), // … then trail the rest by this fraction of the best mark
    }).default({ enabled: true, startFraction: 1, stepFraction: 0.25, repriceMs: 2000, maxReprices: 3, timeoutMs: 15_000, chainFallback: true, stopPct: 0.35, targetPct: 0.5, trailPct: 0.25 }),
  }),
  risk: z.strictObject({
    maxNotionalPerOrder: z.number().positive(),
    maxPositionPerSymbol: z.number().positive(), // absolute notional
    maxOpenPositions: z.number().int().min(1),
    maxCorrelation: z.number().min(0).max(1), // no new entry correlated above this with an open position (discovery matrix)
    dailyLossLimit: z.number().positive(),
    maxDrawdown: z.number().positive(), // from the day's equity peak
    varLimit: z.number().positive(), // 1-day 99 % parametric VaR of the book after the order
    maxOrdersPerSecond: z.number().int().min(1),
    requireMarketHours: z.boolean(),
    rejectRateTrip: z.number().gt(0).max(1), // breaker trips when this share of the last 20 broker answers are rejects/errors
    staleDataTripMs: ms(100), // breaker trips when the books are older than this
    breakerQuietMs: ms(0), // breaker closes only after this quiet period and a manual approval
    startingEquity: z.number().positive(),
    buyingPowerReserve: z.number().min(0).max(1).default(0.05), // an entry may use the broker's buying power only up to (1 − this)
    accountMaxAgeMs: ms(1000).default(60_000), // entries are refused when the last good account read is older than this
    // Option entries (premium is dollars: per-share premium × multiplier × contracts); greeks are the book's, per position × multiplier.
    options: z.strictObject({
      maxPremiumPerTrade: z.number().positive(), // at confidence 1 (scaled by the signal's confidence)
      maxPremiumPerDay: z.number().positive(), // premium of the session's option entries, filled and working
      maxContractsPerOrder: z.number().int().min(1),
      maxContractsPerContract: z.number().int().min(1), // position in one contract, counting working orders
      maxContractsPerUnderlying: z.number().int().min(1), // all contracts of one underlying, counting working orders
      maxNetDelta: z.number().positive(), // |Σ delta × multiplier × contracts| + shares, in share equivalents
      maxNetGamma: z.number().positive(), // |Σ gamma × multiplier × contracts|, shares per $1 of the underlying
      maxNetVega: z.number().positive(), // |Σ vega × multiplier × contracts|, $ per vol point
      maxNetTheta: z.number().positive(), // |Σ theta × multiplier × contracts|, $ per calendar day
      cutoff: hhmm, // expiring option positions (every 0DTE one) are closed by this New York time (3 h earlier on early closes)
      holdToExpiry: z.boolean(), // true: expiring positions are not closed at the cutoff (held into the close)
    }).default({ maxPremiumPerTrade: 2500, maxPremiumPerDay: 25_000, maxContractsPerOrder: 50, maxContractsPerContract: 100, maxContractsPerUnderlying: 200, maxNetDelta: 20_000, maxNetGamma: 5000, maxNetVega: 20_000, maxNetTheta: 10_000, cutoff: '15:45', holdToExpiry: false }),
  }),
  // Strategies of the signals actor (actors/signals); times are New York, spans are session time (engine.clock).
  signals: z.strictObject({
    minConfidence: z.number().min(0).max(1), // below this nothing is emitted
    maxInputAgeMs: ms(1000), // cold inputs (unusual activity, sentiment) older than this (wall) count as unknown
    zeroDte: z.strictObject({
      ...strategyBase,
      minImbalance: z.number().min(0).max(1), // |book imbalance| needed to act
      imbalanceFull: z.number().gt(0).max(1), // |imbalance| at which the flow term is 1
      wallBandPct: z.number().gt(0).max(0.1), // 'at the wall': within this fraction of spot
      zeroGammaBandPct: z.number().gt(0).max(0.1), // distance from the flip at which the regime is certain
      vpinUnknownFactor: z.number().min(0).max(1), // confidence factor while VPIN warms up (0 = no trading then)
    }),
    oneDte: z.strictObject({
      ...strategyBase,
      minMovePct: z.number().min(0).max(0.5), // |move since the session's first spot| needed
      moveFullPct: z.number().gt(0).max(0.5), // move at which the move term is 1
    }),
    fourteenDte: z.strictObject({
      ...strategyBase,
      minDte: z.number().int().min(0).max(365), // unusual contracts expiring within [minDte, maxDte] calendar days
      maxDte: z.number().int().min(0).max(365),
      minFlowSkew: z.number().min(0).max(1), // |call − put| share of unusual volume needed
      sentimentFull: z.number().gt(0).max(1), // |sentiment score| at which the sentiment term is 1
      neutralBand: z.number().min(0).max(1), // |score| below this is neutral (neither confirms nor vetoes)
    }),
    // Which option contract a 0DTE/1DTE/14DTE signal trades (analytics/contractSelection.ts).
    contracts: z.strictObject({
      targetDelta: z.strictObject({ '0DTE': z.number().gt(0).lt(1), '1DTE': z.number().gt(0).lt(1), '14DTE': z.number().gt(0).lt(1) }),
      maxSpreadFraction: z.number().gt(0).max(2), // (ask − bid) / mid at most
      minOpenInterest: z.number().min(0),
      minQuoteSize: z.number().min(0), // contracts on each side
      maxChainAgeMs: ms(1000), // a chain older than this (wall) is not chosen from
    }).default({ targetDelta: { '0DTE': 0.3, '1DTE': 0.4, '14DTE': 0.5 }, maxSpreadFraction: 0.25, minOpenInterest: 100, minQuoteSize: 1, maxChainAgeMs: 60_000 }),
    moc: z.strictObject({
      enabled: z.boolean(),
      cutoff: hhmm, // exchange MOC entry cutoff (3 h earlier on early-close days)
      windowMinutes: z.number().int().min(1).max(390), // the window ends at the cutoff
      cooldownMs: ms(1),
      pinFullPct: z.number().gt(0).max(0.1), // distance to the pin at which the pin term is 1
      minScore: z.number().min(0).max(1),
    }),
  }).superRefine((s, c) => {
    for (const k of ['zeroDte', 'oneDte', 'fourteenDte'] as const) {
      if (s[k].from >= s[k].to) c.addIssue({ code: 'custom', path: [k, 'to'], message: `must be after from (${s[k].from})` });
    }
    if (s.fourteenDte.minDte > s.fourteenDte.maxDte) c.addIssue({ code: 'custom', path: ['fourteenDte', 'maxDte'], message: 'must be at least minDte' });
  }),
  // The operator's trading day (actors/execution/session): routines at New York times on the engine's
  // session clock; a time at or after 13:00 moves 3 h earlier on an early-close day.
  session: z.strictObject({
    preOpen: z.strictObject({
      at: hhmm, // the checklist's time; a (simulated) day that starts later runs it at its start
      retryMs: ms(100), // wall ms between re-runs while a blocking check fails
      blocking: z.array(z.enum(['redis', 'venues', 'broker', 'data', 'account', 'discovery', 'breaker'])), // failures that block new entries; the others warn
      maxDataAgeMs: ms(100), // a symbol's last valid book (wall) older than this is stale
      startGraceMs: ms(0), // after the engine's first checklist, venues and books still arriving are pending for this long, not a failure
      maxMemoryPct: z.number().gt(0).max(100), // Redis used_memory over maxmemory
      minBuyingPower: z.number().min(0), // when the broker account is read (account:* keys)
      maxDiscoveryAgeDays: z.number().positive(), // discovery:correlation older than this is stale
    }),
    close: z.strictObject({
      // strategy (as in STRATEGY_NAMES) → the New York time by which the positions it opened are closed
      flatten: z.partialRecord(z.enum(['manual', '0DTE', '1DTE', '14DTE', 'MOC']), hhmm),
    }),
    report: z.strictObject({
      graceMs: ms(0), // wall ms after the close before the report is built (closing-auction fills land)
      lotMethod: z.enum(['fifo', 'lifo']),
      feePerShare: z.number().min(0), // commission model (executions carry none): per share …
      feeMinPerOrder: z.number().min(0), // … at least this per order
      retentionDays: z.number().int().min(1).max(3650), // reports:daily:*, performance:daily, performance:equity
      dashboardSessions: z.number().int().min(1).max(250), // sessions on the dashboard's history chart
      pdtEquityFloor: z.number().min(0), // the pattern-day-trader rule applies under this equity …
      pdtDayTrades: z.number().int().min(1), // … at this many day trades in 5 trading days
    }),
  }).default({
    preOpen: { at: '09:00', retryMs: 2000, blocking: ['redis', 'venues', 'broker', 'data', 'account', 'breaker'], maxDataAgeMs: 10_000, startGraceMs: 30_000, maxMemoryPct: 90, minBuyingPower: 0, maxDiscoveryAgeDays: 7 },
    close: { flatten: { '0DTE': '15:55' } },
    report: { graceMs: 3000, lotMethod: 'fifo', feePerShare: 0.005, feeMinPerOrder: 1, retentionDays: 400, dashboardSessions: 10, pdtEquityFloor: 25_000, pdtDayTrades: 4 },
  }),
  // Alerts that reach a person (engine/alerts). URLs and tokens come only from the environment:
  // ALPHATRADER_ALERTS_WEBHOOK_URL (alone it turns on the generic JSON webhook), ALPHATRADER_ALERTS_SLACK_URL,
  // ALPHATRADER_ALERTS_DISCORD_URL, ALPHATRADER_ALERTS_TELEGRAM_TOKEN.
  alerts: z.strictObject({
    webhook: z.strictObject({ enabled: z.boolean() }),
    slack: z.strictObject({ enabled: z.boolean() }),
    discord: z.strictObject({ enabled: z.boolean() }),
    telegram: z.strictObject({ enabled: z.boolean(), chatId: z.string(), apiBase: z.string().regex(/^https?:\/\//, 'must be an http(s) URL') }),
    dedupeMs: ms(0), // one alert per rule and episode within this window
    perMinute: z.number().int().min(1).max(600), // per channel
    attempts: z.number().int().min(1).max(10),
    backoffMs: ms(1),
    timeoutMs: ms(100).max(60_000),
    brokerDisconnectedMs: ms(0).max(86_400_000).default(30_000), // the broker connection down this long is an alert (once per episode)
  }).default({
    webhook: { enabled: false }, slack: { enabled: false }, discord: { enabled: false },
    telegram: { enabled: false, chatId: '', apiBase: 'https://api.telegram.org' },
    dedupeMs: 600_000, perMinute: 20, attempts: 4, backoffMs: 500, timeoutMs: 5000, brokerDisconnectedMs: 30_000,
  }),
  // Data lifecycle (engine/redis/StreamRetention.ts): the streams the engine writes, trimmed by age and length
  // every `trimEveryMs` (and at start) by the publisher. The order journal keeps execution.journalRetentionDays.
  retention: z.strictObject({
    streams: z.record(
      z.string().regex(/^[A-Za-z0-9:_{}.-]+$/, 'must be a stream name'),
      z.strictObject({
        maxAgeDays: z.number().min(0).max(3650), // 0: no age limit
        maxLen: z.number().int().min(1).optional(), // the XADD cap (absent: the writer's own)
      }),
    ),
    journalArchiveDays: z.number().int().min(0).max(36_500), // orders:journal:archive:<ms> older than this are deleted; 0 keeps them
    trimEveryMs: ms(60_000).max(86_400_000),
  }).refine((r) => !('orders:journal' in r.streams), { message: 'orders:journal is not trimmed (execution.journalRetentionDays archives it with a carry-forward)', path: ['streams'] })
    .default({
      streams: {
        'signals:stream': { maxAgeDays: 30, maxLen: 10_000 },
        'audit:stream': { maxAgeDays: 365, maxLen: 100_000 },
        'orders:events': { maxAgeDays: 30, maxLen: 100_000 },
        'quality:quarantine': { maxAgeDays: 7 },
        'engine:commands': { maxAgeDays: 1, maxLen: 1000 },
      },
      journalArchiveDays: 0, trimEveryMs: 3_600_000,
    }),
  redis: z.strictObject({
    url: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL'),
    embedded: z.enum(['auto', 'never']),
    conf: z.string().min(1),
    flushMs: ms(1).max(10_000),
    listFlushMs: ms(1).max(60_000).default(50), // trade and bar lists (whole-list rewrites) at most this often
    flushGapMs: ms(0).max(1000).default(1), // a flush new data starts waits this long after the previous one (decisions 129, 133)
    maxPendingKeys: z.number().int().min(100),
  }),
  ttl: z.strictObject({
    book: ms(), trades: ms(), bars: ms(), ticker: ms(), quote: ms(), heartbeat: ms(), analytics: ms(),
    options: ms(), sentiment: ms(), monitoring: ms(),
  }),
  supervisor: z.strictObject({
    heartbeatMs: ms(10),
    heartbeatTimeoutMs: ms(100),
    startTimeoutMs: ms(100),
    healthCheckMs: ms(10),
    restart: z.strictObject({
      intensity: z.number().int().min(0),
      periodMs: ms(),
      backoffInitialMs: ms(0),
      backoffMaxMs: ms(0),
    }),
    // V8 heap limits of every engine thread (resourceLimits), MB; 0 leaves it to V8 (see engine/runtime/workerHeap.ts)
    workerHeap: z.strictObject({
      youngMb: z.number().int().min(0).max(1024),
      oldMb: z.number().int().min(0).max(65536).refine((n) => n === 0 || n >= 32, { message: 'must be 0 (V8 default) or at least 32' }),
    }).default({ youngMb: 6, oldMb: 512 }),
  }),
  logging: z.strictObject({
    level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']),
    pretty: z.enum(['auto', 'always', 'never']),
  }),
  dashboard: z.strictObject({
    host: z.string().min(1),
    port: z.number().int().min(0).max(65535),
    rateHz: z.number().min(1).max(60).default(10), // conflated frames per second to each browser
    maxBufferedBytes: z.number().int().min(16 * 1024).max(64 * 1024 * 1024).default(1024 * 1024), // above: skipped that tick
    maxBehindTicks: z.number().int().min(1).max(10_000).default(50), // skipped this many ticks in a row: dropped
    historySeconds: z.number().int().min(10).max(3600).default(300), // price/VPIN history a newly opened page receives
    metricsAuth: z.boolean().default(true), // /metrics needs the token unless false (/health and /ready never do)
  }),
  actors: z.array(z.strictObject({
    name: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'must be lower-case letters, digits and dashes'),
    kind: z.enum(ActorKinds),
    wait: z.enum(['async', 'spin-park', 'park', 'sleep']),
    // Placement: actors with the same worker share one thread ('auto:NAME': only on hosts with fewer cores
    // than spinning actors + 1); none: a thread of its own. See engine/runtime/Topology.ts placementOf.
    worker: z.string().regex(/^(auto:)?[a-z][a-z0-9-]{0,31}$/, "must be a group name (lower-case letters, digits, dashes), optionally prefixed 'auto:'").optional(),
    // Linux nice of the actor's thread (a shared thread takes its most urgent member's); unset = 0. A negative
    // value needs CAP_SYS_NICE. See engine/runtime/ThreadNice.ts and decision 118.
    nice: z.number().int().min(-20).max(19).optional(),
  })).min(1).max(64),
  rings: z.array(z.strictObject({
    name: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'must be lower-case letters, digits and dashes'),
    producer: z.string(),
    capacity: pow2,
    slotSize: z.number().int().min(128).max(4096).refine((n) => n % 8 === 0, { message: 'must be a multiple of 8' }),
    readers: z.array(z.strictObject({ actor: z.string(), mode: z.enum(['lossless', 'lossy']) })).min(1).max(8),
    // A lossless reader a whole ring behind: 'drop' the message (counted; a socket owner must never block),
    // or 'block' the producer up to timeoutMs, then drop (counted). Lossy readers never hold the producer.
    whenFull: z.strictObject({ policy: z.enum(['drop', 'block']), timeoutMs: z.number().int().min(0).max(10_000) }).optional(),
  })),
});

export type EngineConfig = z.infer<typeof ConfigSchema>;
export type SymbolConfig = z.infer<typeof SymbolSchema>;
export type ActorConfig = EngineConfig['actors'][number];
export type RingConfig = EngineConfig['rings'][number];
