/**
 * GET /v2/options/contracts and /v2/options/contracts/{symbol_or_id} (options-trading.md §3.5) over the
 * shared OptionMarket's listed chains: the query filters, the default window (active contracts expiring
 * before the coming weekend when no expiration filter is given), `limit` (default 100, max 10000) and an
 * opaque `next_page_token`.
 */
import { addDays, etDate, weekday } from '../../analytics/calendar.js';
import type { SimContract } from '../alpha-vantage/chainModel.js';
import type { OptionMarket } from '../options/OptionMarket.js';
import { assetIdFor } from './format.js';
import { optionOf } from './optionChecks.js';
import { contractJson } from './shapes.js';

export interface ContractsReply {
  status: number;
  body: unknown;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const invalid = (message: string): ContractsReply => ({ status: 422, body: { code: 40010001, message } });

/** The Friday of the current week (Saturday and Sunday look at the next one). */
export function comingFriday(today: string): string {
  const wd = weekday(today); // 0 = Sunday
  return addDays(today, wd === 6 ? 6 : 5 - wd);
}

export class OptionContracts {
  constructor(
    private readonly market: OptionMarket,
    private readonly underlyings: readonly string[],
  ) {}

  list(q: URLSearchParams): ContractsReply {
    const symbols = (q.get('underlying_symbols') ?? '').split(',').map((s) => s.trim().toUpperCase()).filter(Boolean);
    const status = q.get('status') ?? 'active';
    if (status !== 'active' && status !== 'inactive') return invalid('invalid status');
    const dates: Record<string, string | null> = {};
    for (const k of ['expiration_date', 'expiration_date_gte', 'expiration_date_lte']) {
      const v = q.get(k);
      if (v !== null && !DATE.test(v)) return invalid(`invalid ${k}`);
      dates[k] = v;
    }
    const type = q.get('type');
    if (type !== null && type !== 'call' && type !== 'put') return invalid('invalid type');
    const style = q.get('style');
    if (style !== null && style !== 'american' && style !== 'european') return invalid('invalid style');
    const bound = (k: string): number | undefined | null => {
      const v = q.get(k);
      if (v === null) return undefined;
      const n = Number(v);
      return v.trim() !== '' && Number.isFinite(n) ? n : null;
    };
    const kLo = bound('strike_price_gte');
    const kHi = bound('strike_price_lte');
    if (kLo === null) return invalid('invalid strike_price_gte');
    if (kHi === null) return invalid('invalid strike_price_lte');
    const limitRaw = q.get('limit');
    const limit = limitRaw === null ? 100 : Number(limitRaw);
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) return invalid('invalid limit');
    let offset = 0;
    const token = q.get('page_token');
    if (token) {
      offset = Number(Buffer.from(token, 'base64url').toString('utf8'));
      if (!Number.isInteger(offset) || offset < 0) return invalid('invalid page_token');
    }
    const root = q.get('root_symbol')?.toUpperCase() ?? null;
    const deliverables = q.get('show_deliverables') === 'true';

    let lte = dates.expiration_date_lte;
    if (!dates.expiration_date && !dates.expiration_date_gte && !lte) lte = comingFriday(etDate(this.market.nowMs()));
    // Every contract the market lists is active (expired ones are no longer listed); `european`: none (SPY, QQQ, IWM are American).
    const all: SimContract[] = status === 'inactive' || style === 'european' ? [] : (symbols.length ? symbols : this.underlyings).flatMap((s) => this.market.contracts({ symbol: s }));
    const picked = all
      .filter((c) =>
        (!root || c.symbol === root) &&
        (!type || c.type === type) &&
        (!dates.expiration_date || c.expiration === dates.expiration_date) &&
        (!dates.expiration_date_gte || c.expiration >= dates.expiration_date_gte) &&
        (!lte || c.expiration <= lte) &&
        (kLo === undefined || c.strike >= kLo - 1e-9) &&
        (kHi === undefined || c.strike <= kHi + 1e-9))
      .sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : a.contractID < b.contractID ? -1 : a.contractID > b.contractID ? 1 : 0));
    const page = picked.slice(offset, offset + limit);
    const next = offset + limit < picked.length ? Buffer.from(String(offset + limit), 'utf8').toString('base64url') : null;
    return { status: 200, body: { option_contracts: page.map((c) => contractJson(c, deliverables)), next_page_token: next } };
  }

  /** One contract by OCC symbol or by its id (the listed contracts of the known underlyings are searched). */
  one(symbolOrId: string): ContractsReply {
    const key = symbolOrId.trim().toUpperCase();
    const opt = optionOf(key);
    let c: SimContract | undefined;
    if (opt) c = this.market.quote(opt.underlying, opt.expiry, opt.right === 'C' ? 'call' : 'put', opt.strike);
    else {
      const id = symbolOrId.trim().toLowerCase();
      for (const u of this.underlyings) {
        c = this.market.contracts({ symbol: u }).find((x) => assetIdFor(x.contractID, 'us_option') === id);
        if (c) break;
      }
    }
    return c ? { status: 200, body: contractJson(c, true) } : { status: 404, body: { code: 40410000, message: `option contract not found for ${symbolOrId}` } };
  }
}
