/**
 * Time to expiry follows the engine's market clock: on a simulated session (ahead of the wall), a chain
 * listed for the session date prices its same-day contracts with the hours left in that session, not with the
 * wall clock's distance to it (which made "0DTE" gamma days long).
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { AlphaVantageClient } from '../../actors/options/AlphaVantageClient.js';
import { OptionsService } from '../../actors/options/OptionsService.js';
import type { OptionContract } from '../../actors/options/types.js';
import { AlphaVantageSimulator } from '../../sim/alpha-vantage/AlphaVantageSimulator.js';

const WALL = Date.UTC(2026, 11, 4, 23, 0); // Friday evening, New York
const SESSION = Date.UTC(2026, 11, 7, 15, 0); // Monday 10:00 New York: the simulated session
const CLOSE = Date.UTC(2026, 11, 7, 21, 0); // its 16:00 close
const YEAR_MS = 365 * 86_400_000;
const KEY = 'clock-key';
let sim: AlphaVantageSimulator;
let baseUrl: string;

beforeAll(async () => {
  sim = new AlphaVantageSimulator({ spot: () => 590, nowMs: () => WALL, marketNowMs: () => SESSION, validKeys: [KEY] });
  baseUrl = (await sim.start()).baseUrl;
});
afterAll(() => sim.stop());

test('same-day contracts of the session carry the session\'s hours to the close', async () => {
  const chains: { contracts: readonly OptionContract[] }[] = [];
  const client = new AlphaVantageClient({ baseUrl, apiKey: KEY, now: () => WALL, sleep: async () => {}, random: () => 0.5 });
  const service = new OptionsService({
    client, symbols: ['SPY'], publish: () => {}, onChain: (_s, contracts) => chains.push({ contracts }),
    chainPollMs: 5_000, sentimentPollMs: 0, now: () => WALL, marketNow: () => SESSION,
  });
  await service.tick(WALL);
  const contracts = chains[0]!.contracts;
  expect(contracts.length).toBeGreaterThan(0);
  const minT = Math.min(...contracts.map((c) => c.T));
  expect(minT).toBeCloseTo((CLOSE - SESSION) / YEAR_MS, 9); // 6 hours, not 3 days
});
