import { describe, expect, it } from 'vitest';
import { Trade } from '../../engine/codec/Messages.js';
import { createLogger } from '../../engine/log/logger.js';
import { ActorContext, type RuntimeInfo } from '../../engine/runtime/ActorContext.js';
import { ActorRunner } from '../../engine/runtime/ActorRunner.js';
import { ActorState, HEALTH_FIELDS } from '../../engine/runtime/HealthTable.js';
import { buildTopology } from '../../engine/runtime/Topology.js';
import { waitFor } from '../helpers/redis.js';
import { supervisorTestConfig } from '../helpers/supervisor.js';

/** market-depth's context and analytics' (its reader on market-data), analytics with the given wait. */
function producerAndConsumer(wait: string): { config: ReturnType<typeof supervisorTestConfig>; producer: ActorContext; consumer: ActorContext } {
  const config = supervisorTestConfig();
  const topology = buildTopology(config, 64);
  const at = (name: string) => topology.actors.findIndex((a) => a.name === name);
  const log = createLogger({ level: 'silent', pretty: 'never' });
  const origin = process.hrtime.bigint();
  const producer = new ActorContext(config, topology, at('market-depth'), origin, {} as RuntimeInfo, log);
  const consumer = new ActorContext(config, topology, at('analytics'), origin, {} as RuntimeInfo, log);
  topology.actors[consumer.index].wait = wait;
  return { config, producer, consumer };
}

/**
 * Co-located actors share one event loop, so a producer's burst (one socket read's worth of callbacks) runs
 * before its consumer's loop gets a turn. Wired as worker-main wires a group, the consumer runs inline on
 * every publish: a burst of three rings' worth loses nothing. Unwired, the same burst overflows the ring.
 */
async function burst(wired: boolean): Promise<{ got: number; sent: number; dropped: number }> {
  const { config, producer, consumer } = producerAndConsumer('inline'); // as worker-main sets a member fed only by its group
  let got = 0;
  const runner = new ActorRunner(consumer, () => ({ onMessage: () => void got++ }));
  const done = runner.run();
  await waitFor(() => consumer.health.get(consumer.index, HEALTH_FIELDS.state) === ActorState.Running, 5000, 'the consumer running');
  const port = producer.output('market-data');
  if (wired) port.addDownstream(() => runner.pump());
  const capacity = config.rings.find((r) => r.name === 'market-data')!.capacity;
  const sent = 3 * capacity;
  for (let i = 0; i < sent; i++) {
    const off = port.claim();
    if (off >= 0) Trade.write(port.view, off, port.stamp(0, i, i, i), 100 + (i % 7), 1, 1, 0);
    if ((i & 255) === 255) port.publish(); // one socket read's batch
  }
  port.publish();
  const seen = got; // before the consumer's own loop has had a turn
  runner.requestStop(Date.now() + 1000);
  await done;
  return { got: seen, sent, dropped: port.dropped };
}

describe('co-located actors run inline (ActorRunner.pump)', () => {
  it('a burst of three rings in one turn reaches the consumer whole', async () => {
    const r = await burst(true);
    expect(r.dropped).toBe(0);
    expect(r.got).toBe(r.sent);
  });

  it('unwired, the same burst overflows the ring (what the wiring prevents)', async () => {
    const r = await burst(false);
    expect(r.dropped).toBeGreaterThan(0);
    expect(r.got).toBe(0);
  });
});

/**
 * An event-loop actor (wait 'async': spin a while, then park on the event loop) whose handler starts a promise
 * chain, as execution's order path does after its broker call (the order event, the next queued job). The
 * runner yields to the loop after a batch with work, so the chain ends before the reader's next poll; it used
 * to wait for every empty poll of the spin (200) and the park.
 */
describe('an event-loop actor lets a batch\'s promise chains run before it spins', () => {
  it('the chain a handler started has ended by the next poll', async () => {
    const { producer, consumer } = producerAndConsumer('async');
    let polls = 0;
    const reader = consumer.inputs[0]!.reader;
    const poll = reader.poll.bind(reader);
    reader.poll = (h, max) => {
      polls++;
      return poll(h, max);
    };
    const seen: { handled: number; chainEnded: number }[] = [];
    const runner = new ActorRunner(consumer, () => ({
      onMessage: () => {
        const s = { handled: polls, chainEnded: -1 };
        seen.push(s);
        void Promise.resolve().then(() => 1).then(() => 2).then(() => 3).then(() => void (s.chainEnded = polls));
      },
    }));
    const done = runner.run();
    await waitFor(() => consumer.health.get(consumer.index, HEALTH_FIELDS.state) === ActorState.Running, 5000, 'the consumer running');
    const port = producer.output('market-data');
    for (let i = 0; i < 3; i++) {
      const off = port.claim();
      Trade.write(port.view, off, port.stamp(0, i, i, i), 100, 1, 1, 0);
      port.publish();
      await waitFor(() => seen[i]?.chainEnded !== undefined && seen[i]!.chainEnded >= 0, 5000, `message ${i}'s chain`);
    }
    runner.requestStop(Date.now() + 1000);
    await done;
    // each chain ended before the poll after the one that delivered its message (without the yield: 200 polls later)
    expect(seen.map((s) => s.chainEnded - s.handled)).toEqual([0, 0, 0]);
  });
});
