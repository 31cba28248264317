import { describe, expect, test } from 'vitest';
import { LeaderEpochCache, UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET } from '../../src/raft/leaderEpochCache.js';

// Cases follow Kafka's LeaderEpochFileCacheTest, with the log end offset passed explicitly.
describe('LeaderEpochCache.endOffsetFor', () => {
  const undefinedResult = { epoch: UNDEFINED_EPOCH, offset: UNDEFINED_EPOCH_OFFSET };

  test('returns the log end offset for the latest epoch', () => {
    const cache = new LeaderEpochCache();
    cache.assign(2, 6);
    expect(cache.endOffsetFor(2, 11)).toEqual({ epoch: 2, offset: 11 });
  });

  test('returns undefined for UNDEFINED_EPOCH and for an empty cache', () => {
    const cache = new LeaderEpochCache();
    expect(cache.endOffsetFor(UNDEFINED_EPOCH, 0)).toEqual(undefinedResult);
    expect(cache.endOffsetFor(0, 0)).toEqual(undefinedResult);
    cache.assign(2, 6);
    expect(cache.endOffsetFor(UNDEFINED_EPOCH, 11)).toEqual(undefinedResult);
  });

  test('returns the start of the next epoch for an earlier epoch', () => {
    const cache = new LeaderEpochCache();
    cache.assign(2, 6);
    cache.assign(3, 8);
    cache.assign(5, 11);
    expect(cache.endOffsetFor(2, 20)).toEqual({ epoch: 2, offset: 8 });
    expect(cache.endOffsetFor(3, 20)).toEqual({ epoch: 3, offset: 11 });
  });

  test('returns the floor epoch and the next start for an epoch that has no entries', () => {
    const cache = new LeaderEpochCache();
    cache.assign(2, 6);
    cache.assign(5, 11);
    expect(cache.endOffsetFor(4, 20)).toEqual({ epoch: 2, offset: 11 });
  });

  test('returns the requested epoch and the first start offset for an epoch below the first', () => {
    const cache = new LeaderEpochCache();
    cache.assign(5, 11);
    cache.assign(6, 15);
    expect(cache.endOffsetFor(4, 20)).toEqual({ epoch: 4, offset: 11 });
  });

  test('returns undefined for an epoch above every known epoch', () => {
    const cache = new LeaderEpochCache();
    cache.assign(2, 6);
    expect(cache.endOffsetFor(3, 11)).toEqual(undefinedResult);
  });
});

describe('LeaderEpochCache.assign', () => {
  test('ignores a repeated latest epoch at a later offset', () => {
    const cache = new LeaderEpochCache();
    expect(cache.assign(2, 6)).toBe(true);
    expect(cache.assign(2, 7)).toBe(false);
    expect(cache.epochEntries()).toEqual([{ epoch: 2, startOffset: 6 }]);
  });

  test('drops entries that conflict with a new, non-monotonic one', () => {
    const cache = new LeaderEpochCache();
    cache.assign(2, 6);
    cache.assign(3, 8);
    cache.assign(4, 10);
    cache.assign(3, 9);
    expect(cache.epochEntries()).toEqual([
      { epoch: 2, startOffset: 6 },
      { epoch: 3, startOffset: 9 },
    ]);
  });
});

describe('LeaderEpochCache truncation', () => {
  test('truncateFromEnd removes epochs starting at or after the offset', () => {
    const cache = new LeaderEpochCache();
    cache.assign(2, 6);
    cache.assign(3, 8);
    cache.assign(4, 10);
    cache.truncateFromEnd(8);
    expect(cache.epochEntries()).toEqual([{ epoch: 2, startOffset: 6 }]);
    expect(cache.latestEpoch()).toBe(2);
  });

  test('truncateFromStart keeps the epoch that contains the new start, moved to it', () => {
    const cache = new LeaderEpochCache();
    cache.assign(2, 6);
    cache.assign(3, 8);
    cache.assign(4, 10);
    cache.truncateFromStart(9);
    expect(cache.epochEntries()).toEqual([
      { epoch: 3, startOffset: 9 },
      { epoch: 4, startOffset: 10 },
    ]);
    cache.truncateFromStart(10);
    expect(cache.epochEntries()).toEqual([{ epoch: 4, startOffset: 10 }]);
  });
});
