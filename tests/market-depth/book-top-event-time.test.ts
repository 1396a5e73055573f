/**
 * A book top carries the time of the newest event it reflects. TWS stamps tick-by-tick trades in whole
 * seconds and depth by arrival, so a trade read after a depth update must not make the top older (the
 * dashboard would show fresh content as up to a second old); a reset starts the symbol's time afresh.
 */
import { describe, expect, it } from 'vitest';
import { msgEventNs, msgType } from '../../engine/codec/Header.js';
import { MessageType } from '../../engine/codec/MessageType.js';
import { makeKeeper } from '../helpers/bookkeeper.js';

function lastTopMs(reader: ReturnType<typeof makeKeeper>['reader']): number | undefined {
  let ms: number | undefined;
  reader.poll((dv, off) => {
    if (msgType(dv, off) === MessageType.BookTop) ms = msgEventNs(dv, off) / 1e6;
  }, 1 << 16);
  return ms;
}

describe('BookKeeper book top event time', () => {
  it('is the newest event time in the batch, not the last message read', () => {
    const { keeper, reader } = makeKeeper();
    keeper.depth(0, 1_700_000_000_750, 0, 0, 1, 100, 10, '', 1);
    keeper.depth(0, 1_700_000_000_750, 0, 0, 0, 100.02, 10, '', 1);
    keeper.trade(0, 1_700_000_000_000, 100.01, 5, 1, 2); // TWS: whole seconds
    keeper.endOfBatch();
    expect(lastTopMs(reader)).toBeCloseTo(1_700_000_000_750, 0);
    keeper.depth(0, 1_700_000_000_900, 0, 1, 1, 100.005, 12, '', 3);
    keeper.endOfBatch();
    expect(lastTopMs(reader)).toBeCloseTo(1_700_000_000_900, 0);
  });

  it('starts again after a reset (a venue whose clock is behind is not held at the old time)', () => {
    const { keeper, reader } = makeKeeper();
    keeper.depth(0, 2_000, 0, 0, 1, 100, 10, '', 1);
    keeper.depth(0, 2_000, 0, 0, 0, 100.02, 10, '', 1);
    keeper.endOfBatch();
    expect(lastTopMs(reader)).toBeCloseTo(2_000, 0);
    keeper.reset(0);
    keeper.depth(0, 1_000, 0, 0, 1, 99, 10, '', 2);
    keeper.depth(0, 1_000, 0, 0, 0, 99.02, 10, '', 2);
    keeper.endOfBatch();
    expect(lastTopMs(reader)).toBeCloseTo(1_000, 0);
  });
});
