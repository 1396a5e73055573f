/**
 * The operator-day alert rules that are decided outside the notifier: `vpin-toxic` (toxic VPIN while the
 * engine holds the symbol) is one alert per episode, and its end is quiet; the supervisor ends the episode
 * without telling anyone, so the next toxic spell is delivered again. (Pre-open failure and the end-of-day
 * summary are tested with the routines: tests/execution/session-routines.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { Episodes } from '../../engine/alerts/Episodes.js';
import { Notifier } from '../../engine/alerts/Notifier.js';
import { deliverActorAlert } from '../../engine/alerts/actorAlert.js';
import { vpinToxicAlert } from '../../actors/execution/session/vpinAlert.js';

describe('vpin-toxic rule', () => {
  it('fires once per episode, only with a position, and a new episode after the end', async () => {
    const posted: string[] = [];
    const n = new Notifier({
      channels: [{ kind: 'webhook', url: 'http://127.0.0.1:9/hook' }], engine: 'test', dedupeMs: 600_000, perMinute: 100, attempts: 1, backoffMs: 1, timeoutMs: 1000,
      log: { warn() {}, error() {} }, post: async (_u, body) => (posted.push(body), 200),
    });
    const deliver = (a: ReturnType<typeof vpinToxicAlert>) => deliverActorAlert(n, a, 'execution'); // as the supervisor does
    const ep = new Episodes();
    const toxic = { toxic: true, vpin: 0.41, cdf: 0.97 };
    expect(vpinToxicAlert(ep, 'SPY', toxic, 0)).toBeNull(); // flat: not our problem
    deliver(vpinToxicAlert(ep, 'SPY', toxic, 100));
    deliver(vpinToxicAlert(ep, 'SPY', toxic, 100)); // still toxic, still held: same episode
    deliver(vpinToxicAlert(ep, 'SPY', toxic, 50));
    const end = vpinToxicAlert(ep, 'SPY', toxic, 0); // position closed
    expect(end).toMatchObject({ quiet: true, endEpisode: 'vpin-toxic', key: 'SPY' });
    deliver(end);
    deliver(vpinToxicAlert(ep, 'SPY', { ...toxic, vpin: 0.45 }, -20)); // a new episode
    await n.drain();
    expect(posted).toHaveLength(2);
    expect(JSON.parse(posted[0]!)).toMatchObject({ rule: 'vpin-toxic', severity: 'warning', title: 'VPIN toxic on SPY with a position open' });
    expect(JSON.parse(posted[1]!).text).toMatch(/VPIN 0\.450 .* holds -20 SPY/);
  });
});
