/**
 * `npm run bench -- brokers [--quick] [--orders N]`: what the simulated venues' latency knobs
 * (venues.simLatency) produce as seen through each adapter — paper, IbkrBroker (real @stoqey/ib) against
 * the TWS simulator, AlpacaBroker (real Alpaca client) against the Alpaca simulator — with the knobs off
 * and on (ackMs 100, fillMs 20, fillSlices 3): place() → `accepted`, `new` → first fill, and the gap
 * between fills of one order. Sequential market buys of 30 shares; medians and p99 of wall ms. Then as many
 * account() reads (IBKR: reqAccountSummary; Alpaca: GET /v2/account; paper: in memory), one at a time.
 */
import { AlpacaBroker } from '../actors/execution/brokers/AlpacaBroker.js';
import { IbkrBroker } from '../actors/execution/brokers/IbkrBroker.js';
import { PaperBroker } from '../actors/execution/brokers/PaperBroker.js';
import type { Broker, BrokerEvent } from '../actors/execution/brokers/types.js';
import { AlpacaSimulator } from '../sim/alpaca/index.js';
import { MarketModel } from '../sim/market/MarketModel.js';
import { TwsSimulator } from '../sim/tws/TwsSimulator.js';
import { pct } from './pingPong.js';

interface Latency {
  ackMs: number;
  fillMs: number;
  fillSlices: number;
}
const OFF: Latency = { ackMs: 0, fillMs: 0, fillSlices: 1 };
const ON: Latency = { ackMs: 100, fillMs: 20, fillSlices: 3 };

interface Stat {
  p50: number;
  p99: number;
  n: number;
}
interface Row {
  venue: string;
  knobs: Latency;
  ackMs: Stat;
  firstFillMs: Stat;
  fillGapMs: Stat;
  fillsPerOrder: number;
  accountMs: Stat;
}

function stat(xs: number[]): Stat {
  const s = Float64Array.from(xs).sort();
  return { p50: round(pct(s, 50)), p99: round(pct(s, 99)), n: xs.length };
}

const round = (x: number) => Math.round(x * 100) / 100;

async function venue(name: string, lat: Latency): Promise<{ b: Broker; stop: () => Promise<void> }> {
  if (name === 'paper') {
    const book = { bids: [[99.99, 1e9]] as [number, number][], asks: [[100.01, 1e9]] as [number, number][] };
    const b = new PaperBroker({ book: () => book, pollMs: 5, ...lat });
    return { b, stop: () => b.close() };
  }
  if (name === 'ibkr') {
    const model = new MarketModel({ seed: 7, symbols: [{ symbol: 'SPY', basePrice: 500, numRows: 10, level2: true }], startMs: Date.UTC(2025, 0, 2, 14, 30), eventsPerSecond: 200 });
    const sim = new TwsSimulator({ model, port: 0, tickMs: 5, ...lat });
    const { port } = await sim.start();
    sim.pauseFeed(true);
    const b = new IbkrBroker({ host: '127.0.0.1', port, clientId: 7, reconnect: false });
    return { b, stop: async () => { await b.close(); await sim.stop(); } };
  }
  const sim = new AlpacaSimulator({ keyId: 'PKBENCH', secret: 'bench', quote: () => ({ bid: 500, ask: 500.02 }), startingCash: 1e9, rateLimitPerMin: 1e6, ...lat });
  const urls = await sim.start();
  const b = new AlpacaBroker({ keyId: 'PKBENCH', secret: 'bench', ...urls });
  return { b, stop: async () => { await b.close(); await sim.stop(); } };
}

async function measure(name: string, lat: Latency, orders: number): Promise<Row> {
  const { b, stop } = await venue(name, lat);
  const seen = new Map<string, { kind: BrokerEvent['kind']; at: number }[]>();
  b.onEvent((e) => {
    const l = seen.get(e.clientOrderId) ?? [];
    l.push({ kind: e.kind, at: performance.now() });
    seen.set(e.clientOrderId, l);
  });
  await b.connect();
  const ack: number[] = [];
  const first: number[] = [];
  const gaps: number[] = [];
  let fills = 0;
  const accountMs: number[] = [];
  try {
    for (let i = 0; i < orders; i++) {
      const id = `AT-bench-${name}-${i}`;
      const t0 = performance.now();
      await b.place({ clientOrderId: id, symbol: 'SPY', side: 'buy', qty: 30, type: 'market', tif: 'day' });
      const deadline = Date.now() + 10_000;
      while (!(seen.get(id) ?? []).some((e) => e.kind === 'fill')) {
        if (Date.now() > deadline) throw new Error(`${name}: order ${id} did not fill within 10 s`);
        await new Promise((r) => setTimeout(r, 1));
      }
      const ev = seen.get(id) as { kind: string; at: number }[];
      const at = (k: string) => ev.find((e) => e.kind === k)?.at as number;
      const fillAts = ev.filter((e) => e.kind === 'fill' || e.kind === 'partial_fill').map((e) => e.at);
      ack.push(at('accepted') - t0);
      first.push(fillAts[0] - at('new'));
      for (let j = 1; j < fillAts.length; j++) gaps.push(fillAts[j] - fillAts[j - 1]);
      fills += fillAts.length;
    }
    for (let k = 0; k < orders; k++) {
      const t0 = performance.now();
      await b.account();
      accountMs.push(performance.now() - t0);
    }
  } finally {
    await stop();
  }
  return { venue: name, knobs: lat, ackMs: stat(ack), firstFillMs: stat(first), fillGapMs: stat(gaps), fillsPerOrder: round(fills / orders), accountMs: stat(accountMs) };
}

export async function run(args: string[]): Promise<{ orders: number; rows: Row[] }> {
  const i = args.indexOf('--orders');
  const orders = i >= 0 ? Number(args[i + 1]) : args.includes('--quick') ? 5 : 30;
  if (!Number.isInteger(orders) || orders < 1) {
    throw Object.assign(new Error(`--orders: expected a positive integer, got ${JSON.stringify(args[i + 1])}`), { name: 'UsageError' });
  }
  const rows: Row[] = [];
  for (const name of ['paper', 'ibkr', 'alpaca']) for (const lat of [OFF, ON]) rows.push(await measure(name, lat, orders));
  return { orders, rows };
}

export function format(r: Record<string, unknown>): string {
  const { orders, rows } = r as { orders: number; rows: Row[] };
  const s = (x: Stat) => (x.n ? `${x.p50} / ${x.p99}` : '-');
  const lines = [
    `simulated venue latency through the adapters, ${orders} market orders of 30 shares each (wall ms, p50 / p99)`,
    'venue   knobs (ack, fill, slices)  place→accepted   new→first fill   fill→next fill   fills/order  account read',
  ];
  for (const x of rows) {
    lines.push(
      `${x.venue.padEnd(7)} ${`${x.knobs.ackMs}, ${x.knobs.fillMs}, ${x.knobs.fillSlices}`.padEnd(26)} ${s(x.ackMs).padEnd(16)} ${s(x.firstFillMs).padEnd(16)} ${s(x.fillGapMs).padEnd(16)} ${String(x.fillsPerOrder).padEnd(12)} ${s(x.accountMs)}`,
    );
  }
  return lines.join('\n');
}
