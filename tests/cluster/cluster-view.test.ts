/** The pure core of `status --cluster`: owners from leases (else from what instances say they serve), ages, problems. */
import { describe, expect, it } from 'vitest';
import { clusterText, clusterView, type LeaseRead } from '../../cli/clusterStatus.js';
import type { InstanceRecord } from '../../engine/cluster/ClusterKeys.js';

const rec = (id: string, symbols: string[], execution: boolean): InstanceRecord => ({
  id, host: 'h', pid: 1, symbols, execution, startedAt: 0, heartbeatAt: 0, leaseTtlMs: 3000, ttlMs: 3000, ringLag: 4,
});
const none: LeaseRead = { holder: null, pttlMs: -2 };

describe('clusterView', () => {
  it('with leases: owners, the least recently renewed lease per instance, execution from its lease', () => {
    const v = clusterView(
      [rec('a', ['SPY', 'QQQ'], true), rec('b', ['IWM'], false)],
      new Map([['a', 2500], ['b', 2900]]),
      new Map([['SPY', { holder: 'a:3', pttlMs: 2000 }], ['QQQ', { holder: 'a:1', pttlMs: 2800 }], ['IWM', { holder: 'b:7', pttlMs: 2400 }]]),
      { holder: 'a:12', pttlMs: 2100 },
      ['SPY', 'QQQ', 'IWM'],
    );
    expect(v.instances.map((i) => [i.id, i.execution, i.leaseAgeMs, i.heartbeatAgeMs, i.ringLag])).toEqual([['a', true, 1000, 500, 4], ['b', false, 600, 100, 4]]);
    expect(v.symbols.SPY).toEqual({ owner: 'a', leaseAgeMs: 1000, servedBy: ['a'] });
    expect(v.execution).toEqual({ owner: 'a', leaseAgeMs: 900, token: 12 });
    expect(v.problems).toEqual([]);
    expect(clusterText(v)).toContain('a [execution]');
  });

  it('without leases (static split): owners from the records; double service, dark symbols and several execution runners are problems', () => {
    const v = clusterView([rec('a', ['SPY', 'QQQ'], true), rec('b', ['QQQ'], true)], new Map(), new Map(), none, ['SPY', 'QQQ', 'IWM']);
    expect(v.symbols.SPY!.owner).toBe('a');
    expect(v.symbols.QQQ!.owner).toBeNull();
    expect(v.instances.every((i) => i.leaseAgeMs === null)).toBe(true);
    expect(v.problems).toEqual(['IWM served by no instance', 'QQQ served by 2 instances: a, b', 'execution run by 2 instances without an execution lease: a, b']);
    expect(clusterView([rec('a', ['SPY'], false)], new Map(), new Map(), none, ['SPY']).problems).toEqual(['no execution owner']);
  });

  it('an instance id may contain dashes and dots; the token is after the last colon', () => {
    const v = clusterView([rec('host-1.x-99', ['SPY'], false)], new Map(), new Map([['SPY', { holder: 'host-1.x-99:5', pttlMs: 3000 }]]), { holder: 'host-1.x-99:8', pttlMs: 3000 }, ['SPY']);
    expect(v.symbols.SPY!.owner).toBe('host-1.x-99');
    expect(v.execution.owner).toBe('host-1.x-99');
    expect(v.instances[0]!.execution).toBe(true);
  });
});
