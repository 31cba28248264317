/**
 * UnifiedLog's lookups by timestamp, which ListOffsets uses: Kafka's fetchOffsetByTimestamp (the
 * first segment whose largest timestamp reaches the target, then the first record in it that does)
 * and the record with the largest timestamp (KIP-734). Timestamps here are not in offset order, as
 * a producer's CreateTime need not be.
 */
import { describe, expect, test } from 'vitest';
import { DEFAULT_LOG_CONFIG } from '../../src/log/config.js';
import { UnifiedLog } from '../../src/log/unifiedLog.js';
import { TestDisk } from '../support/testDisk.js';

/** A log whose segments hold one batch each (segment.bytes fits one small batch), one batch per list of times. */
function logOf(batches: number[][], leaderEpoch = 3): UnifiedLog {
  const log = UnifiedLog.load(new TestDisk(), 't-0', { ...DEFAULT_LOG_CONFIG, segmentBytes: 150 }, 0);
  for (const times of batches) log.appendAsLeader(times.map((timestampMs) => ({ key: null, value: `v${timestampMs}`, timestampMs })), leaderEpoch, null, 0);
  return log;
}

describe('UnifiedLog.offsetForTimestamp', () => {
  test('the first record whose timestamp reaches the target, searching from the first segment that reaches it', () => {
    const log = logOf([[100, 300], [200], [250]]);
    expect(log.segmentBaseOffsets()).toEqual([0, 2, 3]);
    // The first segment (largest 300) reaches 250; in it, 300 at offset 1 is the first record that does.
    expect(log.offsetForTimestamp(250)).toEqual({ timestampMs: 300, offset: 1, leaderEpoch: 3 });
    expect(log.offsetForTimestamp(100)).toEqual({ timestampMs: 100, offset: 0, leaderEpoch: 3 });
    expect(log.offsetForTimestamp(301)).toBeNull();
  });
});

describe('UnifiedLog.offsetOfMaxTimestamp (KIP-734)', () => {
  test('the first record holding the largest timestamp, in whichever segment holds it', () => {
    expect(logOf([[100, 150], [400, 400], [300]]).offsetOfMaxTimestamp()).toEqual({ timestampMs: 400, offset: 2, leaderEpoch: 3 });
    expect(logOf([]).offsetOfMaxTimestamp()).toBeNull();
  });
});
