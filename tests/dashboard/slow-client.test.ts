import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/redis.js';
import { FeedClient, startDashboard, type Harness } from './helpers.js';

/** A positions list of about `kb` KB that changes on every call, so each feed tick carries a fresh frame. */
function positions(seq: number, kb: number): unknown[] {
  return Array.from({ length: kb * 12 }, (_, i) => ({ symbol: `S${i}`, qty: seq + i, avgPx: 100 + i / 7, note: 'x'.repeat(40) }));
}

describe('dashboard back-pressure: a client that stops reading', () => {
  let h: Harness;
  let feeder: NodeJS.Timeout | undefined;
  afterAll(() => {
    clearInterval(feeder);
    h?.close();
  });

  it('is skipped, then dropped, while another client keeps receiving every frame', async () => {
    h = await startDashboard({ rateHz: 50, maxBufferedBytes: 256 * 1024, maxBehindTicks: 10 });
    let seq = 0;
    feeder = setInterval(() => h.model.onPublish('publish', { key: 'positions', value: positions(++seq, 40), ttlMs: 0 }), 10);

    const fast = FeedClient.connect(h.port);
    const slow = FeedClient.connect(h.port);
    await Promise.all([fast.opened, slow.opened]);
    fast.sub(['trading']);
    slow.sub(['trading']);
    await waitFor(() => slow.of('trading').length > 0 && fast.of('trading').length > 0, 10_000, 'both clients receive the trading topic');
    // The slow client stops reading its socket: the kernel buffers fill, then uWS's, then it is skipped.
    (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const fastAtPause = fast.of('trading').length;

    await waitFor(() => h.model.stats.slowDrops >= 1, 30_000, 'the slow client to be dropped');
    expect(h.model.stats.slowSkips).toBeGreaterThanOrEqual(10);
    expect(h.model.stats.clients).toBe(1);
    // While the slow one was stalled and skipped, the fast one kept receiving.
    expect(fast.of('trading').length).toBeGreaterThan(fastAtPause);
    expect(fast.closed).toBe(false);

    // After the drop: the fast client gets every frame the server publishes (all of them are 'trading').
    const framesBefore = h.model.stats.frames;
    const fastBefore = fast.of('trading').length;
    await waitFor(() => h.model.stats.frames >= framesBefore + 40, 20_000, '40 more frames');
    const published = h.model.stats.frames - framesBefore;
    await waitFor(() => fast.of('trading').length - fastBefore >= published - 2, 5000, 'the fast client to receive them');
    expect(fast.closed).toBe(false);
    expect(h.model.stats.slowDrops).toBe(1);
    fast.ws.close();
  });
});
