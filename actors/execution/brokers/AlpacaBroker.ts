/**
 * Alpaca through the real @alpacahq/alpaca-trade-api v4 client: REST v2 for orders and state, the
 * trade_updates stream for events. Works against the real paper API or the loopback simulator.
 *
 * No duplicate orders, by construction: every attempt to place an order carries the caller's
 * client_order_id, which Alpaca refuses to accept twice (422 "client_order_id must be unique").
 *   - 429: wait (Retry-After, else back-off) and send the same request again; nothing was created.
 *   - 422 duplicate: an earlier attempt landed; look the order up by client order id: success.
 *   - a timeout, a network error or a 5xx: the outcome is unknown, so look the order up before
 *     sending again; found = success, 404 = send again (still the same client order id).
 * The SDK's own retries and client-side rate limiter are off (`retry:false, rateLimit:false`): it
 * never retries POSTs anyway, and one place owns the policy.
 *
 * Events: `accepted` when the POST returns (stream events for an order whose POST is in flight are
 * held back until then, so each order reads accepted → new → fills); stream events map one to one;
 * every execution id is emitted once. After the stream reconnects, the orders in flight are re-read
 * over REST and whatever the stream missed (status changes, fills from the FILL activities) is emitted.
 */
import { Alpaca } from '@alpacahq/alpaca-trade-api';
import { backoffMs, sleep } from './backoff.js';
import { EventFanout } from './EventFanout.js';
import {
  BrokerError,
  newBrokerStats,
  requireCancelPrefix,
  silentLog,
  type Broker,
  type BrokerEvent,
  type BrokerFillEvent,
  type BrokerLog,
  type BrokerAccount,
  type BrokerOpenOrder,
  type BrokerOrder,
  type BrokerPosition,
  type BrokerStats,
} from './types.js';
import { optionOrderProblem, validateOrder } from './validateOrder.js';
import { OccError, parseOcc, type OptionInstrument } from '../../../analytics/instrument.js';

export const ALPACA_PAPER_URL = 'https://paper-api.alpaca.markets';

export interface AlpacaBrokerOptions {
  /** From the caller (which reads APCA_API_KEY_ID); never logged. */
  keyId: string;
  secret: string;
  /** REST origin, default the paper API. */
  baseUrl?: string;
  /** trade_updates WebSocket, default baseUrl with ws(s):// and /stream. */
  streamUrl?: string;
  /**
   * The account number the keys must belong to (GET /v2/account `account_number`, e.g. PA…): connect()
   * refuses another account. Unset: whatever account the keys open.
   */
  account?: string;
  /** Per-request timeout (default 10 s). */
  timeoutMs?: number;
  /** Attempts per operation before giving up as ambiguous (default 6). */
  maxAttempts?: number;
  backoffBaseMs?: number;
  maxBackoffMs?: number;
  /** First stream reconnect delay (default 250 ms; doubles up to 5 s). */
  streamReconnectMs?: number;
  /** How long connect() waits for the stream's authorization and listening acks (default 10 s). */
  connectTimeoutMs?: number;
  log?: BrokerLog;
  /** Time for events without a broker timestamp (default Date.now). */
  nowMs?: () => number;
  /** Injected randomness for back-off jitter (tests). */
  random?: () => number;
}

/** Wire shape of an Alpaca order as far as the adapter reads it (snake_case, decimals as strings). */
interface WireOrder {
  id: string;
  client_order_id: string;
  symbol: string;
  asset_class?: string;
  side: string;
  qty: string | null;
  notional: string | null;
  filled_qty: string | null;
  filled_avg_price: string | null;
  status: string;
  updated_at?: string | null;
}

interface Track {
  clientOrderId: string;
  brokerOrderId?: string;
  symbol?: string;
  side?: 'buy' | 'sell';
  qty: number;
  cumQty: number;
  /** Last lifecycle kind emitted (accepted/new/canceled/…); fills are tracked by execId. */
  stage: 'submitted' | 'accepted' | 'new' | 'done';
  inFlight: boolean;
  held: BrokerEvent[];
  execIds: Set<string>;
}

/**
 * The option instrument of an Alpaca order or position (`asset_class: us_option`, symbol the unpadded OCC
 * symbol; the root stands for the underlying, which Alpaca's order and position shapes do not carry), else
 * nothing: the shares of `symbol`.
 */
function instrumentOf(x: { symbol?: unknown; asset_class?: unknown; assetClass?: unknown }): { instrument?: OptionInstrument } {
  const cls = x.asset_class ?? x.assetClass;
  if (cls !== undefined && cls !== 'us_option') return {};
  try {
    return { instrument: parseOcc(String(x.symbol ?? '')) };
  } catch (e) {
    if (e instanceof OccError) return {};
    throw e;
  }
}

/** What Alpaca refuses in a single-leg option order (options-trading.md §3.2): market or limit, DAY only. */
export function alpacaOptionProblem(o: BrokerOrder): string | null {
  if (o.instrument?.kind !== 'option') return null;
  if (o.type !== 'market' && o.type !== 'limit') return `${o.type} orders are not valid for options on Alpaca (market or limit)`;
  if (o.tif !== 'day') return `time in force ${o.tif} is not valid for options on Alpaca (day only)`;
  return null;
}

function num(x: unknown): number {
  const v = typeof x === 'number' ? x : typeof x === 'string' ? Number(x) : NaN;
  return Number.isFinite(v) ? v : 0;
}

function errStatus(err: unknown): number | undefined {
  const s = (err as { status?: unknown })?.status;
  return typeof s === 'number' ? s : undefined;
}

function errText(err: unknown): string {
  const e = err as { status?: number; code?: unknown; message?: string; cause?: { message?: string } };
  const parts = [e?.status !== undefined ? String(e.status) : undefined, e?.code !== undefined ? String(e.code) : undefined].filter(Boolean);
  const msg = e?.message ?? String(err);
  const cause = e?.cause?.message ? ` (${e.cause.message})` : '';
  return `${parts.length ? `${parts.join(' ')}: ` : ''}${msg}${cause}`;
}

/** Transport-level failures whose effect on the server is unknown. */
function isAmbiguous(err: unknown): boolean {
  const status = errStatus(err);
  if (status === undefined) return true; // FetchError: timeout, reset, refused
  return status >= 500 || status === 408;
}

function isDuplicate(err: unknown): boolean {
  return errStatus(err) === 422 && /client_order_id must be unique/i.test((err as Error)?.message ?? '');
}

function retryAfterMs(err: unknown): number | undefined {
  const v = (err as { retryAfterMs?: unknown })?.retryAfterMs;
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function toStreamUrl(base: string): string {
  const u = new URL(base);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  u.pathname = '/stream';
  u.search = '';
  return u.toString();
}

export class AlpacaBroker implements Broker {
  readonly name = 'alpaca' as const;
  readonly stats: BrokerStats = newBrokerStats();
  private readonly alpaca: Alpaca;
  private readonly baseUrl: string;
  private readonly streamUrl: string;
  private readonly log: BrokerLog;
  private readonly now: () => number;
  private readonly rand: () => number;
  private readonly maxAttempts: number;
  private readonly backoffBase: number;
  private readonly backoffCap: number;
  private readonly fanout: EventFanout;
  private readonly tracks = new Map<string, Track>();
  private readonly byBrokerId = new Map<string, string>();
  private readonly inflight = new Map<string, Promise<void>>();
  private stream?: ReturnType<Alpaca['trading']['stream']>;
  private subscribedOnce = false;
  /** The trade stream is subscribed (false from a disconnect until the next subscription ack). */
  private streamUp = false;
  private catchingUp?: Promise<void>;
  private lastEventMs = 0;
  /** Bumped on every stream re-subscription: an order whose POST spanned one needs a catch-up. */
  private gapEpoch = 0;
  /** Aborted by close(): cuts back-off waits short; replaced on the next connect(). */
  private closing = new AbortController();

  constructor(private readonly opts: AlpacaBrokerOptions) {
    if (!opts.keyId || !opts.secret) throw new BrokerError('auth', 'AlpacaBroker: keyId and secret are required');
    this.baseUrl = (opts.baseUrl ?? ALPACA_PAPER_URL).replace(/\/+$/, '');
    this.streamUrl = opts.streamUrl ?? toStreamUrl(this.baseUrl);
    this.log = opts.log ?? silentLog;
    this.now = opts.nowMs ?? Date.now;
    this.rand = opts.random ?? Math.random;
    this.maxAttempts = opts.maxAttempts ?? 6;
    this.backoffBase = opts.backoffBaseMs ?? 100;
    this.backoffCap = opts.maxBackoffMs ?? 5_000;
    this.fanout = new EventFanout(this.stats, (err) => this.log.error({ err: String(err) }, 'alpaca broker: event listener threw'));
    const base = this.baseUrl;
    const rewrite = base !== ALPACA_PAPER_URL;
    this.alpaca = new Alpaca({
      keyId: opts.keyId,
      secret: opts.secret,
      paper: true,
      rateLimit: false,
      retry: false,
      timeoutMs: opts.timeoutMs ?? 10_000,
      // The v4 facade has no baseUrl: point it at the simulator (or any proxy) by rewriting the origin.
      middleware: rewrite
        ? [
            {
              pre: async ({ url, init }) => {
                const u = new URL(url);
                return { url: base + u.pathname + u.search, init };
              },
            },
          ]
        : [],
    });
  }

  onEvent(cb: (e: BrokerEvent) => void): void {
    this.fanout.add(cb);
  }

  async connect(): Promise<void> {
    if (this.closing.signal.aborted) this.closing = new AbortController();
    this.stream?.disconnect(); // a second connect() must not leave two streams delivering
    this.stream = undefined;
    this.subscribedOnce = false;
    // REST first: bad keys fail here with a clear error instead of a silent stream.
    const account = await this.rawAccount();
    const number = String(account?.account_number ?? account?.accountNumber ?? '');
    if (this.opts.account && number !== this.opts.account) {
      throw new BrokerError('auth', `Alpaca: the API keys belong to account ${number || '(none reported)'}, not the configured execution.account ${this.opts.account}: refusing to connect`);
    }
    const stream = this.alpaca.trading.stream({
      url: this.streamUrl,
      maxReconnectAttempts: -1,
      initialReconnectMs: this.opts.streamReconnectMs ?? 250,
      maxReconnectMs: 5_000,
    });
    this.stream = stream;
    stream.onTradeUpdate((u) => this.onTradeUpdate(u as unknown as Record<string, unknown>));
    stream.onError((msg: string) => {
      this.stats.errors++;
      this.log.warn({ error: msg }, 'alpaca trade stream error');
    });
    stream.onDisconnect(() => {
      this.streamUp = false;
      this.log.warn({}, 'alpaca trade stream disconnected');
    });
    const listening = new Promise<void>((resolve) => {
      stream.on('subscription', () => {
        this.streamUp = true;
        if (!this.subscribedOnce) {
          this.subscribedOnce = true;
          resolve();
          return;
        }
        // Re-subscribed after a drop: whatever happened meanwhile is only visible over REST.
        this.stats.reconnects++;
        this.gapEpoch++;
        this.log.info({}, 'alpaca trade stream re-subscribed: catching up over REST');
        void this.catchUp();
      });
    });
    stream.subscribeTradeUpdates();
    stream.connect();
    const timeoutMs = this.opts.connectTimeoutMs ?? 10_000;
    const auth = await stream.waitForAuthenticationResult(timeoutMs);
    if (!auth.authenticated) {
      stream.disconnect();
      throw new BrokerError('auth', `Alpaca trade stream not authorized (${auth.status})`);
    }
    let timer: NodeJS.Timeout | undefined;
    const ok = await Promise.race([listening.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeoutMs)))]);
    clearTimeout(timer);
    if (!ok) {
      stream.disconnect();
      throw new BrokerError('unavailable', 'Alpaca trade stream: no listening ack');
    }
    this.log.info({ baseUrl: this.baseUrl }, 'alpaca broker connected');
  }

  async close(): Promise<void> {
    this.closing.abort();
    this.streamUp = false;
    this.stream?.disconnect();
    this.stream = undefined;
  }

  isConnected(): boolean {
    return this.streamUp;
  }

  /** GET /v2/account, one request (the caller polls; a failure is its to count). */
  private async rawAccount(): Promise<Record<string, unknown>> {
    try {
      return (await this.alpaca.trading.account.getAccount()) as unknown as Record<string, unknown>;
    } catch (err) {
      const status = errStatus(err);
      if (status === 401 || status === 403) throw new BrokerError('auth', `Alpaca refused the credentials (${status})`, undefined, err);
      throw new BrokerError('unavailable', `Alpaca REST unreachable: ${errText(err)}`, undefined, err);
    }
  }

  async account(): Promise<BrokerAccount> {
    const a = await this.rawAccount();
    // The client maps the JSON to camelCase; a raw (snake_case) answer is read too.
    const f = (camel: string, snake: string): unknown => a[camel] ?? a[snake];
    const opt = f('optionsBuyingPower', 'options_buying_power');
    return {
      equity: num(f('equity', 'equity')), cash: num(f('cash', 'cash')), buyingPower: num(f('buyingPower', 'buying_power')),
      // An account without options approval reports no options buying power: premium is paid from cash then.
      optionsBuyingPower: opt !== undefined ? num(opt) : num(f('nonMarginableBuyingPower', 'non_marginable_buying_power')),
      initialMargin: num(f('initialMargin', 'initial_margin')), maintenanceMargin: num(f('maintenanceMargin', 'maintenance_margin')),
      currency: String(f('currency', 'currency') ?? 'USD'), accountId: String(f('accountNumber', 'account_number') ?? ''),
    };
  }

  // ------------------------------------------------------------------ orders

  place(o: BrokerOrder): Promise<void> {
    const bad = validateOrder(o) ?? optionOrderProblem(o) ?? alpacaOptionProblem(o);
    if (bad) {
      this.stats.badInput++;
      return Promise.reject(new BrokerError('input', `invalid order: ${bad}`, (o as Partial<BrokerOrder>)?.clientOrderId));
    }
    const existing = this.tracks.get(o.clientOrderId);
    if (existing && !existing.inFlight && existing.stage !== 'submitted') {
      this.stats.duplicatesAvoided++;
      return Promise.resolve();
    }
    const running = this.inflight.get(o.clientOrderId);
    if (running) {
      this.stats.duplicatesAvoided++;
      return running;
    }
    const p = this.submit(o).finally(() => this.inflight.delete(o.clientOrderId));
    this.inflight.set(o.clientOrderId, p);
    return p;
  }

  private request(o: BrokerOrder): Record<string, unknown> {
    const type = o.type === 'moc' ? 'market' : o.type === 'loc' ? 'limit' : o.type;
    const tif = o.type === 'moc' || o.type === 'loc' ? 'cls' : o.tif;
    const r: Record<string, unknown> = {
      symbol: o.symbol,
      qty: String(o.qty),
      side: o.side,
      type,
      timeInForce: tif,
      clientOrderId: o.clientOrderId,
    };
    if (o.limitPrice !== undefined) r.limitPrice = String(o.limitPrice);
    if (o.stopPrice !== undefined) r.stopPrice = String(o.stopPrice);
    // An option goes by its unpadded OCC symbol (the instrument key) with its intent, always sent (§3.2)
    if (o.instrument?.kind === 'option') r.positionIntent = `${o.side}_to_${o.positionIntent ?? (o.side === 'buy' ? 'open' : 'close')}`;
    return r;
  }

  private track(coid: string): Track {
    let t = this.tracks.get(coid);
    if (!t) {
      t = { clientOrderId: coid, qty: 0, cumQty: 0, stage: 'submitted', inFlight: false, held: [], execIds: new Set() };
      this.tracks.set(coid, t);
    }
    return t;
  }

  private async submit(o: BrokerOrder): Promise<void> {
    const t = this.track(o.clientOrderId);
    const epoch = this.gapEpoch;
    t.symbol = o.symbol;
    t.side = o.side;
    t.qty = o.qty;
    t.inFlight = true;
    const req = this.request(o);
    let lookupFirst = false;
    let sawAmbiguous = false;
    let lastErr: unknown;
    try {
      for (let attempt = 0; attempt < this.maxAttempts && !this.closing.signal.aborted; attempt++) {
        if (attempt > 0) this.stats.retries++;
        if (lookupFirst) {
          // The previous attempt may have landed: never send again before checking.
          const found = await this.lookup(o.clientOrderId);
          if (found === 'error') {
            await sleep(backoffMs(attempt, this.backoffBase, this.backoffCap, this.rand), this.closing.signal);
            continue;
          }
          if (found) {
            this.log.info({ clientOrderId: o.clientOrderId }, 'alpaca: order found after an ambiguous attempt');
            return this.accepted(t, found);
          }
          lookupFirst = false;
        }
        try {
          const res = (await this.alpaca.trading.orders.submit(req as never)) as unknown as Record<string, unknown>;
          this.stats.placed++;
          return this.accepted(t, this.wire(res));
        } catch (err) {
          lastErr = err;
          const status = errStatus(err);
          if (status === 429) {
            this.stats.rateLimited++;
            const wait = Math.min(this.backoffCap, retryAfterMs(err) ?? backoffMs(attempt, this.backoffBase, this.backoffCap, this.rand));
            this.log.warn({ clientOrderId: o.clientOrderId, waitMs: wait }, 'alpaca: 429 on place, retrying with the same client order id');
            await sleep(wait, this.closing.signal);
            continue;
          }
          if (isDuplicate(err)) {
            this.stats.duplicatesAvoided++;
            lookupFirst = true;
            this.log.info({ clientOrderId: o.clientOrderId }, 'alpaca: duplicate client order id: the first attempt landed');
            continue;
          }
          if (status === 401) throw new BrokerError('auth', 'Alpaca refused the credentials (401)', o.clientOrderId, err);
          if (isAmbiguous(err)) {
            if (status === undefined) this.stats.timeouts++;
            else this.stats.errors++;
            this.log.warn({ clientOrderId: o.clientOrderId, error: errText(err) }, 'alpaca: ambiguous failure on place: looking up before any retry');
            lookupFirst = true;
            sawAmbiguous = true;
            await sleep(backoffMs(attempt, this.backoffBase, this.backoffCap, this.rand), this.closing.signal);
            continue;
          }
          // 400/403/404/422: refused, nothing was created.
          this.stats.rejected++;
          this.log.warn({ clientOrderId: o.clientOrderId, error: errText(err) }, 'alpaca: order refused');
          t.inFlight = false;
          t.stage = 'done';
          this.emitNow({ kind: 'rejected', clientOrderId: o.clientOrderId, reason: errText(err), ts: this.now() });
          t.held.length = 0;
          return;
        }
      }
      if (lookupFirst) {
        const found = await this.lookup(o.clientOrderId);
        if (found && found !== 'error') return this.accepted(t, found);
      }
      throw new BrokerError(sawAmbiguous ? 'ambiguous' : 'unavailable', `Alpaca: order ${o.clientOrderId} not confirmed after ${this.maxAttempts} attempts: ${errText(lastErr)}`, o.clientOrderId, lastErr);
    } finally {
      if (t.inFlight) {
        t.inFlight = false;
        // Events that arrived for an order we could not confirm are still real: deliver them.
        this.flushHeld(t);
      }
      if (epoch !== this.gapEpoch && t.brokerOrderId && t.stage !== 'done') void this.catchUp();
    }
  }

  /** Order by client order id; null on 404; 'error' when the answer is unknown (retry later). */
  private async lookup(coid: string): Promise<WireOrder | null | 'error'> {
    try {
      const res = (await this.alpaca.trading.orders.getOrderByClientOrderId({ clientOrderId: coid })) as unknown as Record<string, unknown>;
      return this.wire(res);
    } catch (err) {
      if (errStatus(err) === 404) return null;
      if (errStatus(err) === 429) this.stats.rateLimited++;
      this.log.warn({ clientOrderId: coid, error: errText(err) }, 'alpaca: lookup by client order id failed');
      return 'error';
    }
  }

  /** The SDK returns camelCase plus the raw snake_case keys; read the raw ones. */
  private wire(o: Record<string, unknown>): WireOrder {
    return {
      id: String(o.id ?? ''),
      client_order_id: String(o.client_order_id ?? o.clientOrderId ?? ''),
      symbol: String(o.symbol ?? ''),
      asset_class: (o.asset_class as string | undefined) ?? (o.assetClass as string | undefined),
      side: String(o.side ?? ''),
      qty: (o.qty as string | null) ?? null,
      notional: (o.notional as string | null) ?? null,
      filled_qty: (o.filled_qty as string | null) ?? (o.filledQty as string | null) ?? null,
      filled_avg_price: (o.filled_avg_price as string | null) ?? null,
      status: String(o.status ?? ''),
      updated_at: (o.updated_at as string | null) ?? null,
    };
  }

  private accepted(t: Track, w: WireOrder): void {
    t.brokerOrderId = w.id;
    this.byBrokerId.set(w.id, t.clientOrderId);
    if (!t.qty) t.qty = num(w.qty);
    t.inFlight = false;
    if (t.stage === 'submitted') {
      t.stage = 'accepted';
      this.emitNow({ kind: 'accepted', clientOrderId: t.clientOrderId, brokerOrderId: w.id, ts: this.now() });
    }
    this.flushHeld(t);
  }

  private flushHeld(t: Track): void {
    const held = t.held.splice(0);
    for (const e of held) this.deliver(t, e);
  }

  async cancel(clientOrderId: string): Promise<void> {
    // Still being placed: its POST decides whether there is anything to cancel; cancel after it.
    const placing = this.inflight.get(clientOrderId);
    if (placing) await placing.catch(() => undefined);
    let id = this.tracks.get(clientOrderId)?.brokerOrderId;
    if (!id) {
      const found = await this.withRetry('lookup for cancel', () => this.alpaca.trading.orders.getOrderByClientOrderId({ clientOrderId }), true);
      if (!found) {
        this.log.warn({ clientOrderId }, 'alpaca: cancel of an unknown order ignored');
        return;
      }
      id = String((found as unknown as Record<string, unknown>).id);
    }
    const orderId = id;
    try {
      await this.withRetry('cancel', () => this.alpaca.trading.orders.deleteOrderByOrderID({ orderId }), false);
    } catch (err) {
      const s = errStatus(err);
      if (s === 422 || s === 404) {
        // Already filled, canceled or expired: nothing left to cancel.
        this.log.info({ clientOrderId, error: errText(err) }, 'alpaca: order not cancelable');
        return;
      }
      throw err;
    }
  }

  /**
   * One DELETE /v2/orders/{id} per open order of ours (and per order still being placed), never the bulk
   * DELETE /v2/orders: that would also cancel the operator's manual orders.
   */
  async cancelAll(prefix: string): Promise<number> {
    requireCancelPrefix(prefix);
    const ids = new Set<string>();
    for (const o of await this.openOrders()) if (o.clientOrderId.startsWith(prefix)) ids.add(o.clientOrderId);
    for (const coid of this.inflight.keys()) if (coid.startsWith(prefix)) ids.add(coid);
    for (const id of ids) await this.cancel(id);
    return ids.size;
  }

  async positions(): Promise<BrokerPosition[]> {
    const list = (await this.withRetry('positions', () => this.alpaca.trading.positions.getAllOpenPositions(), false)) as unknown as Record<string, unknown>[];
    return (list ?? []).map((p) => {
      let qty = num(p.qty);
      if (p.side === 'short' && qty > 0) qty = -qty;
      // an option's qty is in contracts and avg_entry_price is premium per share (options-trading.md §3.6)
      return { symbol: String(p.symbol), ...instrumentOf(p), qty, avgPrice: num(p.avg_entry_price ?? p.avgEntryPrice) };
    });
  }

  async openOrders(): Promise<BrokerOpenOrder[]> {
    const list = (await this.withRetry('open orders', () => this.alpaca.trading.orders.getAllOrders({ status: 'open', limit: 500, direction: 'asc' } as never), false)) as unknown as Record<string, unknown>[];
    return (list ?? []).map((o) => this.openOrder(this.wire(o)));
  }

  private openOrder(w: WireOrder): BrokerOpenOrder {
    return {
      clientOrderId: w.client_order_id,
      brokerOrderId: w.id,
      symbol: w.symbol,
      ...instrumentOf(w),
      side: w.side === 'sell' ? 'sell' : 'buy',
      qty: num(w.qty),
      filledQty: num(w.filled_qty),
      status: w.status,
    };
  }

  async orderByClientId(clientOrderId: string): Promise<BrokerOpenOrder | null> {
    const res = await this.withRetry('order by client id', () => this.alpaca.trading.orders.getOrderByClientOrderId({ clientOrderId }), true);
    if (res) return this.openOrder(this.wire(res as unknown as Record<string, unknown>));
    const t = this.tracks.get(clientOrderId);
    // Its POST is still on the way: pending, not unknown (Alpaca's name for an order not yet accepted).
    if (t?.inFlight) return { clientOrderId, brokerOrderId: '', symbol: t.symbol ?? '', side: t.side ?? 'buy', qty: t.qty, filledQty: 0, status: 'pending_new' };
    return null;
  }

  /**
   * Executions from the FILL account activities (paged). execId is the activity id's part after "::"
   * — in the simulator that equals the stream's execution_id; see the report for the real API.
   */
  async fills(sinceMs?: number): Promise<BrokerFillEvent[]> {
    const out: BrokerFillEvent[] = [];
    const seen = new Set<string>();
    let pageToken: string | undefined;
    for (let page = 0; page < 1000; page++) {
      const req: Record<string, unknown> = { activityType: 'FILL', direction: 'asc', pageSize: 100 };
      if (sinceMs !== undefined) req.after = new Date(sinceMs - 1);
      if (pageToken) req.pageToken = pageToken;
      const raw = await this.withRetry('fill activities', async () => {
        const r = await this.alpaca.trading.accountActivities.getAccountActivitiesByActivityTypeRaw(req as never);
        // The generated model drops trade fields (it parses FILL rows as non-trade activities): read raw JSON.
        return (await r.raw.json()) as Record<string, unknown>[];
      }, false);
      const rows = Array.isArray(raw) ? raw : [];
      for (const a of rows) {
        const f = await this.activityToFill(a);
        if (!f || seen.has(f.execId)) continue;
        seen.add(f.execId);
        out.push(f);
      }
      if (rows.length < 100) break;
      pageToken = String(rows[rows.length - 1].id);
    }
    return out;
  }

  private async activityToFill(a: Record<string, unknown>): Promise<BrokerFillEvent | null> {
    const id = String(a.id ?? '');
    const execId = id.includes('::') ? id.slice(id.indexOf('::') + 2) : id;
    const orderId = String(a.order_id ?? '');
    if (!execId || !orderId) {
      this.stats.unknownEvents++;
      return null;
    }
    let coid = this.byBrokerId.get(orderId);
    if (!coid) {
      const o = await this.withRetry('order by id', () => this.alpaca.trading.orders.getOrderByOrderID({ orderId }), true);
      if (!o) return null;
      coid = String((o as unknown as Record<string, unknown>).client_order_id);
      this.byBrokerId.set(orderId, coid);
    }
    const cumQty = num(a.cum_qty);
    const leavesQty = num(a.leaves_qty);
    const ts = Date.parse(String(a.transaction_time ?? ''));
    return {
      kind: a.type === 'partial_fill' ? 'partial_fill' : 'fill',
      clientOrderId: coid,
      brokerOrderId: orderId,
      execId,
      price: num(a.price),
      qty: num(a.qty),
      cumQty,
      leavesQty,
      ts: Number.isFinite(ts) ? ts : this.now(),
    };
  }

  /**
   * Idempotent reads and cancels: retried on 429 (honouring Retry-After) and on ambiguous failures.
   * `nullOn404`: a 404 answers null instead of throwing.
   */
  private async withRetry<T>(what: string, fn: () => Promise<T>, nullOn404: boolean): Promise<T | null> {
    let lastErr: unknown;
    for (let attempt = 0; attempt < this.maxAttempts && !this.closing.signal.aborted; attempt++) {
      if (attempt > 0) this.stats.retries++;
      try {
        return await fn();
      } catch (err) {
        lastErr = err;
        const status = errStatus(err);
        if (nullOn404 && status === 404) return null;
        if (status === 429) {
          this.stats.rateLimited++;
          await sleep(Math.min(this.backoffCap, retryAfterMs(err) ?? backoffMs(attempt, this.backoffBase, this.backoffCap, this.rand)), this.closing.signal);
          continue;
        }
        if (isAmbiguous(err)) {
          if (status === undefined) this.stats.timeouts++;
          else this.stats.errors++;
          await sleep(backoffMs(attempt, this.backoffBase, this.backoffCap, this.rand), this.closing.signal);
          continue;
        }
        if (status === 401) throw new BrokerError('auth', `Alpaca refused the credentials on ${what}`, undefined, err);
        throw err;
      }
    }
    this.stats.errors++;
    throw new BrokerError('unavailable', `Alpaca ${what} failed after ${this.maxAttempts} attempts: ${errText(lastErr)}`, undefined, lastErr);
  }

  // ------------------------------------------------------------------ stream

  private onTradeUpdate(u: Record<string, unknown>): void {
    try {
      const order = this.wire((u.order ?? {}) as Record<string, unknown>);
      const event = String(u.event ?? '');
      const coid = order.client_order_id;
      if (!coid) {
        this.stats.unknownEvents++;
        return;
      }
      const ts = u.timestamp instanceof Date && Number.isFinite(u.timestamp.getTime()) ? u.timestamp.getTime() : this.now();
      this.lastEventMs = Math.max(this.lastEventMs, ts);
      const t = this.track(coid);
      if (order.id) {
        t.brokerOrderId ??= order.id;
        this.byBrokerId.set(order.id, coid);
      }
      if (!t.qty) t.qty = num(order.qty);
      const base = { clientOrderId: coid, brokerOrderId: order.id || undefined, ts };
      let e: BrokerEvent | undefined;
      switch (event) {
        case 'new':
          e = { kind: 'new', ...base };
          break;
        case 'fill':
        case 'partial_fill': {
          const execId = String(u.execution_id ?? u.executionId ?? '');
          if (!execId) {
            this.stats.unknownEvents++;
            this.log.warn({ clientOrderId: coid, event }, 'alpaca: fill without execution_id ignored');
            return;
          }
          const cumQty = num(order.filled_qty);
          const total = num(order.qty) || t.qty;
          e = {
            kind: event,
            ...base,
            execId,
            price: num(u.price),
            qty: num(u.qty),
            cumQty,
            leavesQty: Math.max(0, Math.round((total - cumQty) * 1e9) / 1e9),
          };
          break;
        }
        case 'canceled':
        case 'expired':
        case 'rejected':
          // The stream's order carries no reason (Alpaca has none); refusals at POST carry the API's message.
          e = { kind: event, ...base, reason: event === 'rejected' ? 'rejected by Alpaca after acceptance (the trade update gives no reason)' : undefined };
          break;
        case 'done_for_day':
          e = { kind: 'expired', ...base, reason: 'done_for_day' };
          break;
        default:
          // pending_new, replaced, pending_cancel, …: not part of the BrokerEvent lifecycle.
          return;
      }
      if (t.inFlight) t.held.push(e);
      else this.deliver(t, e);
    } catch (err) {
      this.stats.unknownEvents++;
      this.log.error({ error: String(err) }, 'alpaca: malformed trade update');
    }
  }

  /** Emits with per-order de-duplication: one `new`, one terminal state, each execId once. */
  private deliver(t: Track, e: BrokerEvent): void {
    if (e.kind === 'fill' || e.kind === 'partial_fill') {
      if (t.execIds.has(e.execId)) return;
      t.execIds.add(e.execId);
      t.cumQty = Math.max(t.cumQty, e.cumQty);
      if (e.kind === 'fill') t.stage = 'done';
      else if (t.stage === 'submitted' || t.stage === 'accepted') t.stage = 'new';
      this.emitNow(e);
      return;
    }
    if (e.kind === 'new') {
      if (t.stage === 'new' || t.stage === 'done') return;
      t.stage = 'new';
    } else if (e.kind === 'accepted') {
      if (t.stage !== 'submitted') return;
      t.stage = 'accepted';
    } else {
      if (t.stage === 'done') return;
      t.stage = 'done';
    }
    this.emitNow(e);
  }

  private emitNow(e: BrokerEvent): void {
    this.fanout.emit(e);
  }

  /**
   * After a stream gap: re-read every unfinished order over REST and emit what the stream missed, in
   * lifecycle order: `new`, its fills (FILL activities, each execId once), then a terminal status.
   */
  private catchUp(): Promise<void> {
    if (this.catchingUp) return this.catchingUp;
    this.catchingUp = (async () => {
      try {
        const pending = [...this.tracks.values()].filter((t) => t.stage !== 'done' && t.brokerOrderId && !t.inFlight);
        if (pending.length === 0) return;
        const since = this.lastEventMs > 0 ? this.lastEventMs - 60_000 : undefined;
        const fills = await this.fills(since);
        fills.sort((a, b) => a.ts - b.ts || a.cumQty - b.cumQty);
        for (const t of pending) {
          const id = t.brokerOrderId as string;
          const res = await this.withRetry('order by id', () => this.alpaca.trading.orders.getOrderByOrderID({ orderId: id }), true);
          if (!res) continue;
          const w = this.wire(res as unknown as Record<string, unknown>);
          const base = { clientOrderId: t.clientOrderId, brokerOrderId: w.id, ts: this.now() };
          if (w.status !== 'accepted' && w.status !== 'pending_new') this.deliver(t, { kind: 'new', ...base });
          for (const f of fills) if (f.clientOrderId === t.clientOrderId) this.deliver(t, f);
          if (w.status === 'canceled' || w.status === 'expired' || w.status === 'rejected') this.deliver(t, { kind: w.status, ...base });
          if (w.status === 'filled' && t.cumQty < num(w.filled_qty)) {
            this.stats.errors++;
            this.log.warn({ clientOrderId: t.clientOrderId }, 'alpaca: filled order whose fills are not all in the activities yet');
          }
        }
      } catch (err) {
        this.stats.errors++;
        this.log.error({ error: errText(err) }, 'alpaca: catch-up after reconnect failed');
      } finally {
        this.catchingUp = undefined;
      }
    })();
    return this.catchingUp;
  }
}
