/**
 * `npm run bench -- hostile [--port N] [--warm S] [--attack S] [--after S]`: the whole engine (a child
 * process, `alphatrader start`) with `venues.tws.port` pointing at a hostile fake gateway
 * (sim/tws/HostileGateway.ts) that streams well-formed data and, during the attack phase, sends every second
 * a 1 MB error message, a 1 MB market-maker field and a trade of size 1e300, plus a 10 MB frame every 7 s.
 * Reported: the engine's RSS (steady = median of the warm phase's last half, during = max, after = median
 * of the last phase), actor restarts and liveness from engine:status, and how often market:{SPY}:book
 * refreshed (count and longest gap per phase). Nothing is asserted: the figures are printed.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { loadConfig } from '../engine/config/loadConfig.js';
import { HostileGateway } from '../sim/tws/HostileGateway.js';
import { freePort } from './freePort.js';

function opt(args: string[], name: string, dflt: number): number {
  const i = args.indexOf(name);
  if (i < 0) return dflt;
  const v = Number(args[i + 1]);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} needs a positive number`);
  return v;
}

function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : NaN;
  } catch {
    return NaN;
  }
}

const median = (xs: number[]) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
};

interface Phase { name: string; rss: number[]; refreshes: number; maxGapMs: number; lastChangeMs: number }

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const warm = opt(args, '--warm', 20);
  const attack = opt(args, '--attack', 20);
  // --control: the same run with the attacks left out, for the engine's own RSS drift.
  const control = args.includes('--control');
  const after = opt(args, '--after', 20);
  const redisPort = opt(args, '--port', 0) || (await freePort());
  const { config } = loadConfig({ env: {} });
  let maxLogLine = 0;
  const gw = new HostileGateway({ symbols: config.symbols, tickMs: 20 });
  const gwPort = await gw.listen();
  // The engine starts its embedded redis-server with this password; the bench reads keys with it.
  const password = randomBytes(18).toString('base64url');
  const child = spawn(process.execPath, ['bin/alphatrader.js', 'start', '--duration', String(warm + attack + after + 15)], {
    env: { ...process.env, REDIS_URL: `redis://127.0.0.1:${redisPort}`, ALPHATRADER_REDIS_PASSWORD: password, ALPHATRADER_VENUES_TWS_PORT: String(gwPort), ALPHATRADER_LOGGING_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let logBytes = 0;
  const onLog = (d: Buffer) => {
    logBytes += d.length;
    for (const line of d.toString().split('\n')) maxLogLine = Math.max(maxLogLine, line.length);
  };
  child.stdout.on('data', onLog);
  child.stderr.on('data', onLog);
  const redis = new Redis({ port: redisPort, host: '127.0.0.1', password, lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => 200 });
  redis.on('error', () => {});
  const phases: Phase[] = ['warm', 'attack', 'after'].map((name) => ({ name, rss: [], refreshes: 0, maxGapMs: 0, lastChangeMs: 0 }));
  let lastBookTs: unknown;
  const t0 = Date.now();
  const phaseAt = (ms: number) => (ms < warm * 1000 ? 0 : ms < (warm + attack) * 1000 ? 1 : 2);
  let status: Record<string, unknown> | undefined;
  let ibkr: Record<string, unknown> | undefined;
  try {
    await redis.connect().catch(() => {});
    let lastAttackSec = -1;
    while (Date.now() - t0 < (warm + attack + after) * 1000) {
      await new Promise((r) => setTimeout(r, 250));
      const el = Date.now() - t0;
      const ph = phases[phaseAt(el)];
      ph.rss.push(rssMb(child.pid!));
      if (ph.name === 'attack' && !control) {
        const sec = Math.floor((el - warm * 1000) / 1000);
        if (sec !== lastAttackSec) {
          lastAttackSec = sec;
          gw.attack('bigError');
          gw.attack('bigMarketMaker');
          gw.attack('hugeTrade');
          if (sec % 7 === 3) gw.attack('bigFrame');
        }
      }
      try {
        const raw = await redis.get('market:{SPY}:book');
        const ts = raw ? (JSON.parse(raw) as { ts?: unknown }).ts : undefined;
        const now = Date.now();
        if (ts !== undefined && ts !== lastBookTs) {
          lastBookTs = ts;
          ph.refreshes++;
          if (ph.lastChangeMs) ph.maxGapMs = Math.max(ph.maxGapMs, now - ph.lastChangeMs);
          ph.lastChangeMs = now;
        } else if (ph.lastChangeMs) {
          ph.maxGapMs = Math.max(ph.maxGapMs, now - ph.lastChangeMs);
        }
        if (!ph.lastChangeMs && ts !== undefined) ph.lastChangeMs = now;
      } catch {
        /* redis not up yet */
      }
    }
    const st = await redis.get('engine:status').catch(() => null);
    status = st ? (JSON.parse(st) as Record<string, unknown>) : undefined;
    const ib = await redis.get('monitoring:ibkr:metrics').catch(() => null);
    ibkr = ib ? (JSON.parse(ib) as Record<string, unknown>) : undefined;
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    redis.disconnect();
    await gw.close();
  }
  const warmRss = phases[0].rss;
  const steady = median(warmRss.slice(Math.floor(warmRss.length / 2)));
  const actors = (status?.actors as { name: string; alive: boolean; restarts: number }[] | undefined) ?? [];
  return {
    command: `npm run bench -- hostile${control ? ' --control' : ''} --warm ${warm} --attack ${attack} --after ${after}`,
    rssMb: { steady, duringMax: Math.max(...phases[1].rss.filter(Number.isFinite)), after: median(phases[2].rss) },
    spyBook: Object.fromEntries(phases.map((p) => [p.name, { refreshes: p.refreshes, maxGapMs: p.maxGapMs }])),
    actors: actors.map((a) => ({ name: a.name, alive: a.alive, restarts: a.restarts })),
    twsGuard: ibkr?.guard,
    twsReconnects: ibkr?.reconnects,
    gatewayConnections: gw.connections,
    control,
    rssSeriesMb: phases.flatMap((p) => p.rss.filter((_, i) => i % 20 === 0)),
    engineLogBytes: logBytes,
    longestLogLine: maxLogLine,
  };
}

export function format(r: Record<string, unknown>): string {
  const rss = r.rssMb as { steady: number; duringMax: number; after: number };
  const book = r.spyBook as Record<string, { refreshes: number; maxGapMs: number }>;
  const actors = r.actors as { name: string; alive: boolean; restarts: number }[];
  return [
    `hostile gateway: ${r.command}${r.control ? ' --control (no attacks sent)' : ''}`,
    `engine RSS MB every 5 s: ${(r.rssSeriesMb as number[]).join(' ')}`,
    `engine RSS MB: steady ${rss.steady}, during attack max ${rss.duringMax} (+${rss.duringMax - rss.steady}), after ${rss.after}`,
    ...Object.entries(book).map(([p, b]) => `market:{SPY}:book ${p.padEnd(6)}: ${b.refreshes} refreshes seen (polled every 250 ms), longest gap ${b.maxGapMs} ms`),
    `actors: ${actors.map((a) => `${a.name}${a.alive ? '' : ' (DEAD)'} r${a.restarts}`).join(', ') || 'engine:status missing'}`,
    `TWS reconnects ${r.twsReconnects}, gateway connections ${r.gatewayConnections}; guard ${JSON.stringify(r.twsGuard)}`,
    `engine log: ${r.engineLogBytes} bytes, longest line ${r.longestLogLine} chars`,
  ].join('\n');
}
