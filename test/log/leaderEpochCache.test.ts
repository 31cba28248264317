import { describe, expect, test } from 'vitest';
import { CheckpointFile } from '../../src/log/checkpointFile.js';
import { LeaderEpochFileCache, UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET } from '../../src/log/leaderEpochCache.js';
import { TestDisk } from '../support/testDisk.js';

const UNDEFINED = { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };

function cacheWith(...entries: Array<[number, number]>): LeaderEpochFileCache {
  const cache = new LeaderEpochFileCache();
  for (const [epoch, offset] of entries) cache.assign(epoch, offset);
  return cache;
}

// Ported from Kafka's LeaderEpochFileCacheTest (storage/.../epoch/LeaderEpochFileCacheTest.java).
describe('LeaderEpochFileCache.endOffsetFor (KIP-101, KIP-279)', () => {
  test('shouldAddEpochAndMessageOffsetToCache / shouldReturnLogEndOffsetIfLatestEpochRequested', () => {
    const cache = cacheWith([2, 10]);
    expect(cache.latestEpoch()).toBe(2);
    expect(cache.epochEntries()).toEqual([{ epoch: 2, startOffset: 10 }]);
    expect(cache.endOffsetFor(2, 11)).toEqual({ epoch: 2, endOffset: 11 });
    cache.assign(2, 12);
    expect(cache.endOffsetFor(2, 14)).toEqual({ epoch: 2, endOffset: 14 });
  });

  test('shouldReturnUndefinedOffsetIfUndefinedEpochRequested, for an empty cache too', () => {
    expect(cacheWith([2, 11], [3, 12]).endOffsetFor(UNDEFINED_EPOCH, 0)).toEqual(UNDEFINED);
    expect(cacheWith().endOffsetFor(UNDEFINED_EPOCH, 73)).toEqual(UNDEFINED);
    expect(cacheWith().endOffsetFor(0, 0)).toEqual(UNDEFINED);
    expect(cacheWith().endOffsetFor(7, 0)).toEqual(UNDEFINED);
  });

  test('shouldReturnFirstEpochIfRequestedEpochLessThanFirstEpoch', () => {
    expect(cacheWith([5, 11], [6, 12], [7, 13]).endOffsetFor(4, 0)).toEqual({ epoch: 4, endOffset: 11 });
  });

  test('shouldTruncateIfMatchingEpochButEarlierStartingOffset', () => {
    const cache = cacheWith([5, 11], [6, 12], [7, 13]);
    cache.assign(7, 12);
    expect(cache.endOffsetFor(5, 0)).toEqual({ epoch: 5, endOffset: 12 });
    expect(cache.endOffsetFor(6, 0)).toEqual({ epoch: 5, endOffset: 12 });
  });

  test('shouldGetFirstOffsetOfSubsequentEpochWhenOffsetRequestedForPreviousEpoch', () => {
    const cache = cacheWith([1, 11], [1, 12], [2, 13], [2, 14], [3, 15], [3, 16]);
    expect(cache.endOffsetFor(2, 17)).toEqual({ epoch: 2, endOffset: 15 });
  });

  test('shouldReturnNextAvailableEpochIfThereIsNoExactEpochForTheOneRequested (KIP-279)', () => {
    const cache = cacheWith([0, 10], [2, 13], [4, 17]);
    expect(cache.endOffsetFor(1, 0)).toEqual({ epoch: 0, endOffset: 13 });
    expect(cache.endOffsetFor(2, 0)).toEqual({ epoch: 2, endOffset: 17 });
    expect(cache.endOffsetFor(3, 0)).toEqual({ epoch: 2, endOffset: 17 });
  });

  test('shouldReturnInvalidOffsetIfEpochIsRequestedWhichIsNotCurrentlyTracked', () => {
    expect(cacheWith([2, 100]).endOffsetFor(3, 100)).toEqual(UNDEFINED);
  });

  test('shouldEnforceMonotonicallyIncreasingEpochs', () => {
    const cache = cacheWith([1, 5], [2, 6], [1, 7]);
    expect(cache.latestEpoch()).toBe(1);
    expect(cache.endOffsetFor(1, 8)).toEqual({ epoch: 1, endOffset: 8 });
    expect(cache.endOffsetFor(2, 8)).toEqual(UNDEFINED);
    expect(cache.epochEntries()).toEqual([{ epoch: 1, startOffset: 7 }]);
  });

  test('shouldIncreaseAndTrackEpochsAsLeadersChangeManyTimes', () => {
    const cache = cacheWith([0, 0], [1, 0]);
    expect(cache.latestEpoch()).toBe(1);
    expect(cache.endOffsetFor(1, 0)).toEqual({ epoch: 1, endOffset: 0 });
    expect(cache.endOffsetFor(0, 0)).toEqual({ epoch: 0, endOffset: 0 });
    expect(cache.endOffsetFor(1, 5)).toEqual({ epoch: 1, endOffset: 5 });
    cache.assign(2, 5);
    expect(cache.endOffsetFor(2, 10)).toEqual({ epoch: 2, endOffset: 10 });
    expect(cache.endOffsetFor(1, 10)).toEqual({ epoch: 1, endOffset: 5 });
    expect(cache.endOffsetFor(0, 10)).toEqual({ epoch: 0, endOffset: 0 });
  });

  test('shouldIncreaseAndTrackEpochsAsFollowerReceivesManyMessages', () => {
    const cache = cacheWith([0, 0], [0, 1], [0, 2], [1, 3], [1, 4], [1, 5], [2, 6], [2, 7], [2, 8]);
    expect(cache.latestEpoch()).toBe(2);
    expect(cache.endOffsetFor(2, 9)).toEqual({ epoch: 2, endOffset: 9 });
    expect(cache.endOffsetFor(0, 9)).toEqual({ epoch: 0, endOffset: 3 });
    expect(cache.endOffsetFor(1, 9)).toEqual({ epoch: 1, endOffset: 6 });
  });
});

describe('LeaderEpochFileCache.assign', () => {
  test('shouldNotOverwriteOffsetForALeaderEpochOnceItHasBeenAssigned', () => {
    const cache = cacheWith([2, 6]);
    expect(cache.assign(2, 10)).toBe(false);
    expect(cache.epochEntries()).toEqual([{ epoch: 2, startOffset: 6 }]);
  });

  test('shouldEnforceMonotonicallyIncreasingStartOffsets / shouldEnforceOffsetsIncreaseMonotonically', () => {
    expect(cacheWith([2, 9], [3, 9]).epochEntries()).toEqual([{ epoch: 3, startOffset: 9 }]);
    expect(cacheWith([2, 6], [3, 5]).epochEntries()).toEqual([{ epoch: 3, startOffset: 5 }]);
  });

  test('rejects negative epochs and offsets as a bug', () => {
    expect(() => cacheWith().assign(-1, 0)).toThrow();
    expect(() => cacheWith().assign(0, -1)).toThrow();
  });
});

describe('LeaderEpochFileCache truncation', () => {
  const three = (): LeaderEpochFileCache => cacheWith([2, 6], [3, 8], [4, 11]);

  test('truncateFromEnd drops the epochs starting at or after the offset', () => {
    const onBoundary = three();
    onBoundary.truncateFromEnd(8);
    expect(onBoundary.epochEntries()).toEqual([{ epoch: 2, startOffset: 6 }]);
    const between = three();
    between.truncateFromEnd(9);
    expect(between.latestEpoch()).toBe(3);
    expect(between.epochEntries()).toEqual([{ epoch: 2, startOffset: 6 }, { epoch: 3, startOffset: 8 }]);
  });

  test('truncateFromStart keeps the epoch containing the offset, moved to start there', () => {
    const cases: Array<[number, Array<[number, number]>]> = [
      [8, [[3, 8], [4, 11]]],
      [1, [[2, 6], [3, 8], [4, 11]]],
      [6, [[2, 6], [3, 8], [4, 11]]],
      [11, [[4, 11]]],
      [9, [[3, 9], [4, 11]]],
      [15, [[4, 15]]],
    ];
    for (const [offset, expected] of cases) {
      const cache = three();
      cache.truncateFromStart(offset);
      expect(cache.epochEntries(), `truncateFromStart(${offset})`).toEqual(expected.map(([epoch, startOffset]) => ({ epoch, startOffset })));
    }
  });

  test('UNDEFINED_EPOCH_OFFSET truncates nothing; an empty cache truncates without error', () => {
    const cache = three();
    cache.truncateFromStart(UNDEFINED_EPOCH_OFFSET);
    cache.truncateFromEnd(UNDEFINED_EPOCH_OFFSET);
    expect(cache.epochEntries()).toHaveLength(3);
    expect(() => cacheWith().truncateFromStart(7)).not.toThrow();
    expect(() => cacheWith().truncateFromEnd(7)).not.toThrow();
    cache.clear();
    expect(cache.epochEntries()).toEqual([]);
  });
});

describe('leader-epoch-checkpoint', () => {
  test('persists between instances only once the temp file’s fsync completed and it was renamed', () => {
    const disk = new TestDisk();
    const { cache, checkpoint } = LeaderEpochFileCache.load(disk, 't-0');
    expect(checkpoint).toBe('missing');
    cache.assign(2, 6);
    expect(disk.exists('t-0/leader-epoch-checkpoint.tmp')).toBe(true);
    expect(disk.exists('t-0/leader-epoch-checkpoint')).toBe(false);
    expect(new CheckpointFile(disk, 't-0/leader-epoch-checkpoint').read()).toEqual({ kind: 'missing' });
    const [completion] = disk.completeAll();
    expect(cache.onFsyncComplete(completion!)).toBe(true);
    expect(disk.exists('t-0/leader-epoch-checkpoint.tmp')).toBe(false);
    const reloaded = LeaderEpochFileCache.load(disk, 't-0');
    expect(reloaded.checkpoint).toBe('ok');
    expect(reloaded.cache.epochEntries()).toEqual([{ epoch: 2, startOffset: 6 }]);
    expect(new TextDecoder().decode(disk.content('t-0/leader-epoch-checkpoint'))).toMatch(/^0\n1\n2 6\ncrc32c \d+\n$/);
  });

  test('a write requested while one is in flight is queued, and only the latest is written', () => {
    const disk = new TestDisk();
    const { cache } = LeaderEpochFileCache.load(disk, 't-0');
    cache.assign(1, 0);
    cache.assign(2, 5);
    cache.assign(3, 9);
    expect(disk.pendingFsyncs).toBe(1);
    expect(cache.onFsyncComplete(disk.completeNext())).toBe(true);
    expect(disk.pendingFsyncs).toBe(1);
    expect(cache.onFsyncComplete(disk.completeNext())).toBe(true);
    expect(cache.onFsyncComplete(disk.completeNext())).toBe(true);
    expect(disk.pendingFsyncs).toBe(0);
    expect(LeaderEpochFileCache.load(disk, 't-0').cache.epochEntries()).toEqual(cache.epochEntries());
    expect(cache.onFsyncComplete({ opId: 999, kind: 'fsync', file: 'x' })).toBe(false);
  });

  test('a power loss before the rename keeps the old checkpoint; a stale temp file is removed on load', () => {
    const disk = new TestDisk();
    const { cache } = LeaderEpochFileCache.load(disk, 't-0');
    cache.assign(1, 0);
    for (const c of disk.completeAll()) cache.onFsyncComplete(c);
    cache.assign(2, 5);
    disk.flushPageCache();
    disk.powerLoss();
    const reloaded = LeaderEpochFileCache.load(disk, 't-0');
    expect(reloaded.cache.epochEntries()).toEqual([{ epoch: 1, startOffset: 0 }]);
    expect(disk.exists('t-0/leader-epoch-checkpoint.tmp')).toBe(false);
  });

  test('a flipped bit makes the checkpoint unreadable instead of silently wrong', () => {
    const disk = new TestDisk();
    const file = new CheckpointFile(disk, 'cp');
    file.write(['0', '1', '3 10']);
    file.onFsyncComplete(disk.completeNext());
    expect(file.read()).toEqual({ kind: 'ok', lines: ['0', '1', '3 10'] });
    disk.flipBitAt('cp', 4, 0); // '3' → '2'
    expect(file.read()).toEqual({ kind: 'corrupt', reason: 'crc mismatch' });
  });

  test('a full disk queues the write until retry', () => {
    const disk = new TestDisk();
    const file = new CheckpointFile(disk, 'cp');
    disk.setFull(true);
    file.write(['0', '0']);
    expect(disk.pendingFsyncs).toBe(0);
    expect(file.isWriting).toBe(true);
    disk.setFull(false);
    file.retry();
    file.onFsyncComplete(disk.completeNext());
    expect(file.read()).toEqual({ kind: 'ok', lines: ['0', '0'] });
  });
});
