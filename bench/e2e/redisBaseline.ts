import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { freePort } from '../freePort.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RedisComparison } from './report.js';


/**
 * What Redis itself sustains on this machine for the publisher's kind of write: `redis-benchmark` with 16
 * commands pipelined per round trip, `SET key value PX ttl` on random keys (the publisher sends one pipelined
 * batch of SET … PX per flush). Skipped with a note where redis-benchmark is not installed.
 */
export async function redisBaseline(requests: number): Promise<RedisComparison> {
  const has = spawnSync('redis-benchmark', ['--version'], { encoding: 'utf8' });
  if (has.error || has.status !== 0) return { tool: 'redis-benchmark', available: false, note: 'redis-benchmark not found (package redis-tools)' };
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'at-e2e-rb-'));
  const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  try {
    const args = ['-h', '127.0.0.1', '-p', String(port), '-P', '16', '-n', String(requests), '-r', '100000', '-c', '4', '--csv', 'SET', 'market:{SYM}:k__rand_int__', '{"bid":590.01,"ask":590.02,"ts":1733300000000}', 'PX', '2000'];
    let out = '';
    for (let i = 0; i < 50; i++) {
      const r = spawnSync('redis-benchmark', args, { encoding: 'utf8', timeout: 120_000 });
      out = r.stdout ?? '';
      if (r.status === 0 && /\d/.test(out)) break;
      await new Promise((res) => setTimeout(res, 100)); // the server may still be starting
    }
    // CSV: "test","rps",... then one row per command
    // The command (with its JSON value) may contain commas: the seven figures are the row's last fields.
    const row = out.trim().split('\n').find((l) => /^"SET/i.test(l));
    const f = row?.split(',') ?? [];
    const rps = f.length >= 8 ? Number(f[f.length - 7].replace(/"/g, '')) : NaN;
    return { tool: 'redis-benchmark', available: Number.isFinite(rps), command: `redis-benchmark -P 16 -c 4 -n ${requests} -r 100000 SET market:{SYM}:k__rand_int__ <json> PX 2000`, set_px_per_s: rps, note: Number.isFinite(rps) ? undefined : `could not parse: ${out.slice(0, 200)}` };
  } finally {
    server.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}
