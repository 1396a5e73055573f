/**
 * BrokerHealth (preservation mode and the disconnected episode): every edge, then a model-based run with
 * fast-check against a reference written from the rules' wording (fixed, printed seed).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BrokerHealth, type BrokerHealthEvent } from '../../actors/execution/BrokerHealth.js';

const SEED = 0x0b40e1;
console.log(`broker-health model seed ${SEED}`);

const kinds = (e: BrokerHealthEvent[]) => e.map((x) => x.kind);

describe('preservation mode on its edges', () => {
  it('N − 1 consecutive errors do not enter it, the N-th does, once', () => {
    const h = new BrokerHealth({ errorsToEnter: 3, successesToLeave: 2, disconnectAlertMs: 30_000 });
    expect(kinds(h.failure(1, 'a'))).toEqual([]);
    expect(kinds(h.failure(2, 'b'))).toEqual([]);
    expect(h.preservation).toBe(false);
    const e = h.failure(3, 'TWS did not answer');
    expect(kinds(e)).toEqual(['preservation-enter']);
    expect(e[0]).toMatchObject({ errors: 3, reason: '3 consecutive broker errors (last: TWS did not answer)' });
    expect(h.preservation).toBe(true);
    expect(h.refusal).toMatch(/^preservation mode since .*: 3 consecutive broker errors/);
    expect(kinds(h.failure(4, 'c'))).toEqual([]); // already in it: no second enter
  });

  it('a success between errors restarts the count', () => {
    const h = new BrokerHealth({ errorsToEnter: 2, successesToLeave: 1, disconnectAlertMs: 0 });
    h.failure(1, 'x');
    h.success(2);
    expect(kinds(h.failure(3, 'x'))).toEqual([]);
    expect(kinds(h.failure(4, 'x'))).toEqual(['preservation-enter']);
  });

  it('M − 1 successes stay in it, the M-th leaves; an error in between restarts the count', () => {
    const h = new BrokerHealth({ errorsToEnter: 1, successesToLeave: 3, disconnectAlertMs: 0 });
    h.failure(10, 'x');
    h.success(11);
    h.success(12);
    h.failure(13, 'again');
    h.success(14);
    h.success(15);
    expect(h.preservation).toBe(true);
    const e = h.success(16);
    expect(kinds(e)).toEqual(['preservation-leave']);
    expect(e[0]).toMatchObject({ successes: 3, sinceMs: 6 });
    expect(h.preservation).toBe(false);
    expect(h.refusal).toBeNull();
  });
});

describe('the disconnected episode', () => {
  it('a connection down for less than the threshold is no news; at the threshold one alert, then one reconnect', () => {
    const h = new BrokerHealth({ errorsToEnter: 3, successesToLeave: 2, disconnectAlertMs: 30_000 });
    expect(kinds(h.observe(0, false))).toEqual([]);
    expect(kinds(h.observe(29_999, false))).toEqual([]);
    expect(kinds(h.observe(30_000, true))).toEqual([]); // back before the threshold: nothing to say
    expect(kinds(h.observe(40_000, false))).toEqual([]);
    const d = h.observe(70_000, false);
    expect(kinds(d)).toEqual(['disconnected']);
    expect(d[0]).toMatchObject({ downSince: 40_000, reason: 'connection down' });
    expect(kinds(h.observe(80_000, false))).toEqual([]); // once per episode
    expect(h.observe(90_000, true)).toEqual([{ kind: 'reconnected', at: 90_000, downMs: 50_000 }]);
    expect(kinds(h.observe(91_000, true))).toEqual([]);
  });

  it('an adapter that reports a connection: a successful call does not end the episode, only the connection does', () => {
    const h = new BrokerHealth({ errorsToEnter: 3, successesToLeave: 2, disconnectAlertMs: 1000 });
    h.observe(0, false);
    h.success(500); // e.g. Alpaca REST answers while its trade stream is down
    expect(kinds(h.observe(1000, false))).toEqual(['disconnected']);
    expect(kinds(h.observe(2000, true))).toEqual(['reconnected']);
  });

  it('an adapter without a connection (paper): failing calls are the episode, from the first failure; a success ends it', () => {
    const h = new BrokerHealth({ errorsToEnter: 9, successesToLeave: 1, disconnectAlertMs: 5000 });
    h.failure(100, 'boom');
    expect(kinds(h.observe(1000, undefined))).toEqual([]);
    const d = h.observe(5100, undefined);
    expect(d).toEqual([{ kind: 'disconnected', at: 5100, downSince: 100, reason: 'boom' }]);
    expect(h.success(6000)).toEqual([{ kind: 'reconnected', at: 6000, downMs: 5900 }]);
  });

  it('refuses nonsense options', () => {
    expect(() => new BrokerHealth({ errorsToEnter: 0, successesToLeave: 1, disconnectAlertMs: 0 })).toThrow(/errorsToEnter/);
    expect(() => new BrokerHealth({ errorsToEnter: 1, successesToLeave: 1.5, disconnectAlertMs: 0 })).toThrow(/successesToLeave/);
  });
});

type Step = { op: 'ok' } | { op: 'err' } | { op: 'conn'; up: boolean | undefined } | { op: 'wait'; ms: number };

describe('model: BrokerHealth agrees with the rules as written', () => {
  it('any sequence of successes, failures, connection samples and time', () => {
    const step: fc.Arbitrary<Step> = fc.oneof(
      fc.constant<Step>({ op: 'ok' }),
      fc.constant<Step>({ op: 'err' }),
      fc.record({ op: fc.constant('conn' as const), up: fc.constantFrom(true, false, undefined) }),
      fc.record({ op: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 20_000 }) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 30_000 }), fc.array(step, { maxLength: 200 }), (N, M, T, steps) => {
        const h = new BrokerHealth({ errorsToEnter: N, successesToLeave: M, disconnectAlertMs: T });
        // the reference
        let now = 0;
        let errs = 0;
        let oks = 0;
        let pres = false;
        let down: number | null = null;
        let reported = false;
        let lastErrAt: number | null = null;
        let known = false;
        let enters = 0;
        let leaves = 0;
        let discs = 0;
        let recs = 0;
        const seen: Record<string, number> = { 'preservation-enter': 0, 'preservation-leave': 0, disconnected: 0, reconnected: 0 };
        const endDown = () => {
          if (down !== null && reported) recs++;
          down = null;
          reported = false;
        };
        for (const s of steps) {
          let ev: BrokerHealthEvent[] = [];
          if (s.op === 'wait') {
            now += s.ms;
            continue;
          }
          if (s.op === 'ok') {
            ev = h.success(now);
            errs = 0;
            oks++;
            if (pres && oks >= M) {
              pres = false;
              leaves++;
            }
            if (!known) endDown();
          } else if (s.op === 'err') {
            ev = h.failure(now, 'e');
            oks = 0;
            errs++;
            lastErrAt = now;
            if (!pres && errs >= N) {
              pres = true;
              enters++;
            }
          } else {
            ev = h.observe(now, s.up);
            known = s.up !== undefined;
            const isDown = s.up === false || (s.up === undefined && errs > 0);
            if (!isDown) endDown();
            else {
              down ??= s.up === undefined && lastErrAt !== null ? Math.min(now, lastErrAt) : now;
              if (!reported && now - down >= T) {
                reported = true;
                discs++;
              }
            }
          }
          // every transition the reference saw on this step, and no other
          for (const e of ev) seen[e.kind]++;
          expect(seen).toEqual({ 'preservation-enter': enters, 'preservation-leave': leaves, disconnected: discs, reconnected: recs });
          expect(h.preservation).toBe(pres);
          const snap = h.snapshot();
          expect(snap.consecutiveErrors).toBe(errs);
          expect(snap.consecutiveSuccesses).toBe(oks);
          expect(snap.downSince).toBe(down);
          expect(snap.disconnectReported).toBe(reported);
          expect(snap.entered).toBe(enters);
          if (pres) expect(h.refusal).not.toBeNull();
        }
        return enters >= leaves && enters - leaves === (pres ? 1 : 0) && discs >= recs && discs - recs === (reported ? 1 : 0);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });
});
