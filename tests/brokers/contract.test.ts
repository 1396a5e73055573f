/**
 * The broker contract (tests/brokers/contract.ts) for the three adapters with latency on: the paper broker
 * (its own latency knobs), IbkrBroker with the real @stoqey/ib client against the TWS simulator, and
 * AlpacaBroker with the real Alpaca client against the Alpaca simulator (both simulators' latency knobs).
 */
import { AlpacaBroker } from '../../actors/execution/brokers/AlpacaBroker.js';
import { IbkrBroker } from '../../actors/execution/brokers/IbkrBroker.js';
import { PaperBroker } from '../../actors/execution/brokers/PaperBroker.js';
import type { Broker, BrokerEvent } from '../../actors/execution/brokers/types.js';
import { AlpacaSimulator } from '../../sim/alpaca/index.js';
import { MarketModel } from '../../sim/market/MarketModel.js';
import { TwsSimulator } from '../../sim/tws/TwsSimulator.js';
import { brokerContract } from './contract.js';
import { KEY, SECRET } from './helpers.js';

const SEED = 4_242; // the TWS simulator's market model
console.log(`seed ${SEED}`);

async function connected<B extends Broker>(b: B): Promise<{ b: Broker; events: BrokerEvent[] }> {
  const events: BrokerEvent[] = [];
  b.onEvent((e) => events.push(e));
  try {
    await b.connect();
  } catch (err) {
    await b.close();
    throw err;
  }
  return { b, events };
}

brokerContract('paper', async (latency) => {
  const book = { bids: [[99.99, 1_000]] as [number, number][], asks: [[100.01, 1_000]] as [number, number][] };
  const brokers: PaperBroker[] = [];
  return {
    // One paper "venue" per test: the broker is its own venue, so every broker() call shares one instance.
    async broker() {
      if (brokers.length === 0) brokers.push(new PaperBroker({ book: (s) => (s === 'SPY' ? book : undefined), slippageBps: 0, pollMs: 5, ...latency }));
      return connected(brokers[0]);
    },
    // The paper broker is its own venue: what it holds under the id (its map allows one by construction).
    venueOrders: async (c) => ((await brokers[0]?.orderByClientId(c)) ? 1 : 0),
    symbol: 'SPY',
    restingBuyPrice: 90,
    rejects: [{ order: { clientOrderId: 'AT-paper-rej', symbol: 'ZZZ', side: 'buy', qty: 1, type: 'market', tif: 'day' }, reason: /^no market data for ZZZ$/ }],
    async stop() {},
  };
});

brokerContract('ibkr', async (latency) => {
  const model = new MarketModel({ seed: SEED, symbols: [{ symbol: 'SPY', basePrice: 500, numRows: 10, level2: true }], startMs: Date.UTC(2025, 0, 2, 14, 30), eventsPerSecond: 200 });
  const sim = new TwsSimulator({ model, port: 0, tickMs: 5, account: 'DU111111', ...latency });
  const { port } = await sim.start();
  sim.pauseFeed(true); // a still book: the resting price below never trades
  let clientId = 40;
  const bids = model.snapshot(0).bids;
  return {
    broker: (opts) => connected(new IbkrBroker({ host: '127.0.0.1', port, clientId: ++clientId, account: opts?.account, connectTimeoutMs: 5_000, requestTimeoutMs: 5_000, reconnect: false })),
    venueOrders: async (c) => [...sim.orders.orders.values()].filter((o) => o.orderRef === c).length,
    symbol: 'SPY',
    restingBuyPrice: Math.round((bids[bids.length - 1][0] - 20) * 100) / 100,
    rejects: [
      { order: { clientOrderId: 'AT-ib-rej-sym', symbol: 'ZZZZ', side: 'buy', qty: 1, type: 'market', tif: 'day' }, reason: /^200: No security definition has been found/ },
      { order: { clientOrderId: 'AT-ib-rej-moc', symbol: 'SPY', side: 'buy', qty: 1, type: 'moc', tif: 'day' }, reason: /^201: Order rejected - reason:order type 'MOC' is not supported/ },
    ],
    account: { ours: 'DU111111', other: 'DU222222', mode: 'filter' },
    stop: () => sim.stop(),
  };
});

brokerContract('alpaca', async (latency) => {
  const quotes: Record<string, { bid: number; ask: number }> = { SPY: { bid: 500, ask: 500.02 } };
  const sim = new AlpacaSimulator({ keyId: KEY, secret: SECRET, accountNumber: 'PA0CONTRACT1', quote: (s) => quotes[s], fillDelayMs: 2, pollMs: 5, maxChunk: 100, startingCash: 1_000_000, ...latency });
  const urls = await sim.start();
  return {
    broker: (opts) => connected(new AlpacaBroker({ keyId: KEY, secret: SECRET, ...urls, account: opts?.account, timeoutMs: 5_000, backoffBaseMs: 20, maxBackoffMs: 200, streamReconnectMs: 50 })),
    venueOrders: async (c) => sim.orders().filter((o) => o.client_order_id === c).length,
    symbol: 'SPY',
    restingBuyPrice: 400,
    rejects: [
      { order: { clientOrderId: 'AT-alp-rej-sym', symbol: 'ZZZZ', side: 'buy', qty: 1, type: 'market', tif: 'day' }, reason: /^422 .*asset "ZZZZ" not found/ },
      { order: { clientOrderId: 'AT-alp-rej-bp', symbol: 'SPY', side: 'buy', qty: 100_000, type: 'limit', limitPrice: 500, tif: 'day' }, reason: /^403 .*insufficient buying power/ },
    ],
    account: { ours: 'PA0CONTRACT1', other: 'PA0SOMEONEELSE', mode: 'refuse' },
    stop: () => sim.stop(),
  };
});
