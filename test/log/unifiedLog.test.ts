import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { DEFAULT_LOG_CONFIG, type LogConfig } from '../../src/log/config.js';
import { type RecordBatch, type SimpleRecord, encodeBatch, nextOffset } from '../../src/log/recordBatch.js';
import { PendingFlushes } from '../../src/log/pendingFlushes.js';
import { segmentFileName } from '../../src/log/segment.js';
import { type LeaderAppendResult, UnifiedLog, isLogError } from '../../src/log/unifiedLog.js';
import { TestDisk } from '../support/testDisk.js';

const DIR = 'topic-0';

function config(overrides: Partial<LogConfig> = {}): LogConfig {
  return { ...DEFAULT_LOG_CONFIG, ...overrides };
}

function records(count: number, timestampMs = 1000, tag = 'v'): SimpleRecord[] {
  return Array.from({ length: count }, (_, i) => ({ key: null, value: `${tag}${i}`, timestampMs }));
}

/** Completes every queued fsync and routes it to the log, which must own each one. */
function completeFsyncs(disk: TestDisk, log: UnifiedLog): void {
  for (const completion of disk.completeAll()) expect(log.onFsyncComplete(completion), `op ${completion.opId} ${completion.file}`).toBe(true);
}

function ok(result: LeaderAppendResult): { firstOffset: number; lastOffset: number; duplicate: boolean } {
  if (isLogError(result)) throw new Error(`append failed: ${result.error}`);
  return result;
}

function allBatches(log: UnifiedLog): RecordBatch[] {
  const read = log.read(log.logStartOffset, Number.MAX_SAFE_INTEGER, log.logEndOffset);
  expect(read.error).toBeUndefined();
  return read.batches;
}

/** `diskSeed` decides the disk's own draws (how a power loss tears an unsynced write). */
function setup(overrides: Partial<LogConfig> = {}, diskSeed = 1): { disk: TestDisk; log: UnifiedLog } {
  const disk = new TestDisk(diskSeed);
  return { disk, log: UnifiedLog.load(disk, DIR, config(overrides), 0) };
}

describe('UnifiedLog.appendAsLeader', () => {
  test('assigns contiguous offsets, stamps the leader epoch and records each new epoch', () => {
    const { log } = setup();
    expect(log.logEndOffset).toBe(0);
    expect(ok(log.appendAsLeader(records(3), 1, null, 10))).toEqual({ firstOffset: 0, lastOffset: 2, duplicate: false });
    expect(ok(log.appendAsLeader(records(2), 1, null, 10))).toEqual({ firstOffset: 3, lastOffset: 4, duplicate: false });
    expect(ok(log.appendAsLeader(records(1), 4, null, 10)).firstOffset).toBe(5);
    expect(log.logEndOffset).toBe(6);
    expect(log.epochEntries()).toEqual([{ epoch: 1, startOffset: 0 }, { epoch: 4, startOffset: 5 }]);
    expect(log.latestEpoch()).toBe(4);
    expect(log.endOffsetForEpoch(1)).toEqual({ epoch: 1, endOffset: 5 });
    expect(log.endOffsetForEpoch(3)).toEqual({ epoch: 1, endOffset: 5 });
    expect(log.endOffsetForEpoch(4)).toEqual({ epoch: 4, endOffset: 6 });
    expect(allBatches(log).map((b) => [b.baseOffset, b.partitionLeaderEpoch, b.records.length])).toEqual([[0, 1, 3], [3, 1, 2], [5, 4, 1]]);
  });

  test('an epoch older than the log’s latest is a bug in the partition, not a protocol error', () => {
    const { log } = setup();
    log.appendAsLeader(records(1), 5, null, 0);
    expect(() => log.appendAsLeader(records(1), 4, null, 0)).toThrow(/below the log's latest/);
  });

  test('rejects empty, oversized and malformed batches without writing', () => {
    const { log } = setup({ maxMessageBytes: 200 });
    expect(log.appendAsLeader([], 0, null, 0)).toEqual({ error: 'INVALID_RECORD' });
    expect(log.appendAsLeader(records(20), 0, null, 0)).toEqual({ error: 'MESSAGE_TOO_LARGE' });
    expect(log.appendAsLeader(records(1), 0, { producerId: 1, producerEpoch: 0, baseSequence: -1 }, 0)).toEqual({ error: 'INVALID_RECORD' });
    const small = setup({ segmentBytes: 100 }).log;
    expect(small.appendAsLeader(records(5), 0, null, 0)).toEqual({ error: 'RECORD_LIST_TOO_LARGE' });
    expect(log.logEndOffset).toBe(0);
    expect(small.logEndOffset).toBe(0);
  });

  test('a full disk answers KAFKA_STORAGE_ERROR and leaves the log unchanged', () => {
    const { disk, log } = setup();
    log.appendAsLeader(records(2), 0, null, 0);
    disk.setFull(true);
    expect(log.appendAsLeader(records(2), 0, { producerId: 9, producerEpoch: 0, baseSequence: 0 }, 0)).toEqual({ error: 'KAFKA_STORAGE_ERROR' });
    expect(log.logEndOffset).toBe(2);
    expect(log.producerStateEntry(9)).toBeUndefined();
    disk.setFull(false);
    expect(ok(log.appendAsLeader(records(2), 0, { producerId: 9, producerEpoch: 0, baseSequence: 0 }, 0)).firstOffset).toBe(2);
  });

  test('LogAppendTime overwrites the producer’s timestamps with the append time', () => {
    const { log } = setup({ messageTimestampType: 'LogAppendTime' });
    log.appendAsLeader(records(2, 5), 0, null, 777);
    const [batch] = allBatches(log);
    expect(batch!.records.map((r) => r.timestampMs)).toEqual([777, 777]);
    expect(batch!.maxTimestampMs).toBe(777);
  });
});

describe('UnifiedLog idempotent producers', () => {
  const producer = (baseSequence: number, producerEpoch = 0) => ({ producerId: 42, producerEpoch, baseSequence });

  test('a retried batch answers with the first append’s offsets and is not written twice', () => {
    const { log } = setup();
    ok(log.appendAsLeader(records(2), 0, producer(0), 0));
    ok(log.appendAsLeader(records(3), 0, null, 0));
    ok(log.appendAsLeader(records(2), 0, producer(2), 0));
    expect(log.appendAsLeader(records(2), 0, producer(0), 0)).toEqual({ firstOffset: 0, lastOffset: 1, duplicate: true });
    expect(log.appendAsLeader(records(2), 0, producer(2), 0)).toEqual({ firstOffset: 5, lastOffset: 6, duplicate: true });
    expect(log.logEndOffset).toBe(7);
  });

  test('out-of-order and fenced batches are rejected as error codes', () => {
    const { log } = setup();
    ok(log.appendAsLeader(records(2), 0, producer(0, 3), 0));
    expect(log.appendAsLeader(records(1), 0, producer(5, 3), 0)).toEqual({ error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
    expect(log.appendAsLeader(records(1), 0, producer(2, 2), 0)).toEqual({ error: 'INVALID_PRODUCER_EPOCH' });
    expect(log.appendAsLeader(records(1), 0, producer(2, 4), 0)).toEqual({ error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
    expect(ok(log.appendAsLeader(records(1), 0, producer(0, 4), 0)).firstOffset).toBe(2);
    expect(log.logEndOffset).toBe(3);
  });

  test('producer state survives a restart: it is rebuilt by replaying the log', () => {
    const { disk, log } = setup();
    ok(log.appendAsLeader(records(2), 0, producer(0), 0));
    ok(log.appendAsLeader(records(2), 0, producer(2), 0));
    const restarted = UnifiedLog.load(disk, DIR, config(), 0);
    expect(restarted.producerStateEntries()).toEqual(log.producerStateEntries());
    expect(restarted.appendAsLeader(records(2), 0, producer(2), 0)).toEqual({ firstOffset: 2, lastOffset: 3, duplicate: true });
    expect(restarted.appendAsLeader(records(1), 0, producer(5), 0)).toEqual({ error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
  });
});

describe('UnifiedLog.read', () => {
  function threeBatches(): UnifiedLog {
    const { log } = setup();
    log.appendAsLeader(records(3), 0, null, 0);
    log.appendAsLeader(records(3), 0, null, 0);
    log.appendAsLeader(records(3), 0, null, 0);
    return log;
  }

  test('OFFSET_OUT_OF_RANGE below the log start offset or above the LEO; empty at the LEO', () => {
    const log = threeBatches();
    expect(log.read(10, 1 << 20, 9)).toEqual({ batches: [], error: 'OFFSET_OUT_OF_RANGE' });
    expect(log.read(9, 1 << 20, 9)).toEqual({ batches: [] });
    log.updateHighWatermark(9);
    log.deleteOldSegments(0);
    const truncated = setup().log;
    truncated.truncateFullyAndStartAt(5);
    expect(truncated.read(4, 1 << 20, 5)).toEqual({ batches: [], error: 'OFFSET_OUT_OF_RANGE' });
  });

  test('never returns a batch that reaches maxOffset (the high watermark for consumers)', () => {
    const log = threeBatches();
    expect(log.read(0, 1 << 20, 6).batches.map((b) => b.baseOffset)).toEqual([0, 3]);
    // A high watermark inside a batch excludes that whole batch.
    expect(log.read(0, 1 << 20, 5).batches.map((b) => b.baseOffset)).toEqual([0]);
    expect(log.read(3, 1 << 20, 3)).toEqual({ batches: [] });
    expect(log.read(0, 1 << 20, 100).batches).toHaveLength(3);
  });

  test('returns whole batches: from mid-batch, and at least one batch beyond maxBytes (KIP-74)', () => {
    const log = threeBatches();
    expect(log.read(4, 1 << 20, 9).batches.map((b) => b.baseOffset)).toEqual([3, 6]);
    expect(log.read(0, 1, 9).batches.map((b) => b.baseOffset)).toEqual([0]);
    const size = encodeBatch(allBatches(log)[0]!).length;
    expect(log.read(0, 2 * size, 9).batches).toHaveLength(2);
    expect(log.read(0, 2 * size - 1, 9).batches).toHaveLength(1);
  });

  test('reads across segments and uses the offset index to start near the offset', () => {
    const { log } = setup({ segmentBytes: 400, indexIntervalBytes: 50 });
    for (let i = 0; i < 20; i++) log.appendAsLeader(records(2), 0, null, 0);
    expect(log.segmentBaseOffsets().length).toBeGreaterThan(3);
    for (let start = 0; start < 40; start += 3) {
      const read = log.read(start, 1 << 20, 40);
      expect(read.batches[0]!.baseOffset).toBe(start - (start % 2));
      expect(read.batches.map((b) => b.baseOffset)).toEqual(Array.from({ length: 20 - Math.floor(start / 2) }, (_, i) => start - (start % 2) + 2 * i));
    }
  });
});

describe('UnifiedLog truncation', () => {
  test('truncateTo keeps the epoch cache, producer state, HW and recovery point consistent', () => {
    const { disk, log } = setup({ flushMessages: 1 });
    const producer = (baseSequence: number) => ({ producerId: 7, producerEpoch: 0, baseSequence });
    ok(log.appendAsLeader(records(2), 1, producer(0), 0));
    ok(log.appendAsLeader(records(2), 2, producer(2), 0));
    ok(log.appendAsLeader(records(2), 3, producer(4), 0));
    completeFsyncs(disk, log);
    log.updateHighWatermark(6);
    expect(log.recoveryPoint).toBe(6);
    expect(log.truncateTo(4)).toBe(true);
    expect(log.logEndOffset).toBe(4);
    expect(log.highWatermark).toBe(4);
    expect(log.recoveryPoint).toBe(4);
    expect(log.epochEntries()).toEqual([{ epoch: 1, startOffset: 0 }, { epoch: 2, startOffset: 2 }]);
    expect(log.producerStateEntry(7)!.batches.map((b) => b.lastSeq)).toEqual([1, 3]);
    // The truncated batch is no longer a duplicate: its sequence is next in line again.
    expect(ok(log.appendAsLeader(records(2), 5, producer(4), 0))).toEqual({ firstOffset: 4, lastOffset: 5, duplicate: false });
    expect(log.truncateTo(10)).toBe(false);
  });

  test('a batch straddling the truncation offset is removed whole', () => {
    const { log } = setup();
    log.appendAsLeader(records(3), 0, null, 0);
    log.appendAsLeader(records(3), 0, null, 0);
    log.truncateTo(4);
    expect(log.logEndOffset).toBe(3);
    expect(allBatches(log).map((b) => b.baseOffset)).toEqual([0]);
  });

  test('truncation across segments deletes the later segment files', () => {
    const { disk, log } = setup({ segmentBytes: 300 });
    for (let i = 0; i < 10; i++) log.appendAsLeader(records(2), 0, null, 0);
    const before = log.segmentBaseOffsets();
    expect(before.length).toBeGreaterThan(2);
    log.truncateTo(before[1]! + 1);
    expect(log.segmentBaseOffsets()).toEqual(before.slice(0, 2));
    expect(disk.exists(segmentFileName(DIR, before[2]!))).toBe(false);
    expect(log.logEndOffset).toBe(before[1]);
  });

  test('truncateFullyAndStartAt empties the log, and the new start survives a power loss once fsynced', () => {
    const { disk, log } = setup();
    log.appendAsLeader(records(3), 2, { producerId: 1, producerEpoch: 0, baseSequence: 0 }, 0);
    log.truncateFullyAndStartAt(100);
    expect([log.logStartOffset, log.logEndOffset, log.highWatermark, log.recoveryPoint]).toEqual([100, 100, 100, 100]);
    expect(log.epochEntries()).toEqual([]);
    expect(log.producerStateEntries()).toEqual([]);
    expect(disk.list().filter((n) => n.endsWith('.log'))).toEqual([segmentFileName(DIR, 100)]);
    completeFsyncs(disk, log);
    disk.powerLoss();
    const reloaded = UnifiedLog.load(disk, DIR, config(), 0);
    expect([reloaded.logStartOffset, reloaded.logEndOffset]).toEqual([100, 100]);
    expect(reloaded.epochEntries()).toEqual([]);
    expect(ok(reloaded.appendAsLeader(records(1), 3, null, 0)).firstOffset).toBe(100);
  });

  test('truncateTo at or below the log start offset truncates fully', () => {
    const { log } = setup();
    log.appendAsLeader(records(3), 0, null, 0);
    expect(log.truncateTo(0)).toBe(true);
    expect([log.logStartOffset, log.logEndOffset]).toEqual([0, 0]);
  });
});

describe('UnifiedLog.appendAsFollower', () => {
  function leaderBatches(): RecordBatch[] {
    const { log } = setup();
    log.appendAsLeader(records(2), 1, { producerId: 3, producerEpoch: 0, baseSequence: 0 }, 0);
    log.appendAsLeader(records(2), 4, { producerId: 3, producerEpoch: 0, baseSequence: 2 }, 0);
    return allBatches(log);
  }

  test('appends the leader’s batches as they are, with its epochs and producer state', () => {
    const { log } = setup();
    const batches = leaderBatches();
    expect(log.appendAsFollower(batches, 0)).toEqual({ firstOffset: 0, lastOffset: 3 });
    expect(allBatches(log)).toEqual(batches);
    expect(log.epochEntries()).toEqual([{ epoch: 1, startOffset: 0 }, { epoch: 4, startOffset: 2 }]);
    expect(log.producerStateEntry(3)!.batches.map((b) => b.firstOffset)).toEqual([0, 2]);
    expect(log.appendAsFollower([], 0)).toEqual({ firstOffset: 4, lastOffset: 3 });
  });

  test('batches that do not start at the LEO or are not contiguous are refused whole', () => {
    const { log } = setup();
    const [first, second] = leaderBatches();
    expect(log.appendAsFollower([second!], 0)).toEqual({ error: 'UNEXPECTED_APPEND_OFFSET' });
    expect(log.appendAsFollower([first!, first!], 0)).toEqual({ error: 'UNEXPECTED_APPEND_OFFSET' });
    expect(log.logEndOffset).toBe(0);
  });

  test('a follower’s diverging suffix is replaced after truncating at the epoch boundary (KIP-101)', () => {
    const { log } = setup();
    const [first] = leaderBatches();
    log.appendAsFollower([first!], 0);
    log.appendAsLeader(records(3), 2, null, 0); // written while this replica led in epoch 2
    const leaderEnd = { epoch: 1, endOffset: 2 }; // the new leader's answer for epoch 2 (KIP-279: largest ≤ 2)
    expect(log.endOffsetForEpoch(2)).toEqual({ epoch: 2, endOffset: 5 });
    log.truncateTo(leaderEnd.endOffset);
    expect(log.epochEntries()).toEqual([{ epoch: 1, startOffset: 0 }]);
    const [, second] = leaderBatches();
    expect(log.appendAsFollower([second!], 0)).toEqual({ firstOffset: 2, lastOffset: 3 });
    expect(log.epochEntries()).toEqual([{ epoch: 1, startOffset: 0 }, { epoch: 4, startOffset: 2 }]);
  });
});

describe('UnifiedLog segments and retention', () => {
  test('rolls at segment.bytes and fsyncs the sealed segment', () => {
    const { disk, log } = setup({ segmentBytes: 300 });
    for (let i = 0; i < 6; i++) log.appendAsLeader(records(2), 0, null, 0);
    const bases = log.segmentBaseOffsets();
    expect(bases.length).toBeGreaterThan(1);
    expect(bases[0]).toBe(0);
    expect(disk.fsyncCalls).toContain(segmentFileName(DIR, 0));
    expect(log.recoveryPoint).toBe(0);
    completeFsyncs(disk, log);
    expect(log.recoveryPoint).toBe(bases[bases.length - 1]);
  });

  test('rolls when segment.ms has passed between the first and the incoming batch’s timestamps', () => {
    const { log } = setup({ segmentMs: 1000 });
    log.appendAsLeader(records(1, 0), 0, null, 0);
    log.appendAsLeader(records(1, 1000), 0, null, 0);
    expect(log.segmentBaseOffsets()).toEqual([0]);
    log.appendAsLeader(records(1, 1001), 0, null, 0);
    expect(log.segmentBaseOffsets()).toEqual([0, 2]);
  });

  test('retention.ms deletes old segments below the high watermark, never the active one', () => {
    const { disk, log } = setup({ segmentMs: 10, retentionMs: 100 });
    for (let t = 0; t < 5; t++) log.appendAsLeader(records(2, t * 50), t, null, t * 50);
    expect(log.segmentBaseOffsets()).toEqual([0, 2, 4, 6, 8]);
    expect(log.deleteOldSegments(1000)).toBe(0); // high watermark still 0
    log.updateHighWatermark(5);
    expect(log.deleteOldSegments(1000)).toBe(2);
    expect(log.logStartOffset).toBe(4);
    expect(log.segmentBaseOffsets()).toEqual([4, 6, 8]);
    expect(disk.exists(segmentFileName(DIR, 0))).toBe(false);
    expect(log.epochEntries()[0]).toEqual({ epoch: 2, startOffset: 4 });
    expect(log.read(2, 1 << 20, 10).error).toBe('OFFSET_OUT_OF_RANGE');
    log.updateHighWatermark(10);
    expect(log.deleteOldSegments(1000)).toBe(2);
    expect(log.segmentBaseOffsets()).toEqual([8]);
    expect(log.deleteOldSegments(1000)).toBe(0);
  });

  test('retention.ms keeps segments younger than it', () => {
    const { log } = setup({ segmentMs: 10, retentionMs: 100 });
    for (let t = 0; t < 3; t++) log.appendAsLeader(records(1, t * 50), 0, null, t * 50);
    log.updateHighWatermark(3);
    expect(log.deleteOldSegments(140)).toBe(1); // the segment stamped 50 is 90 ms old: kept
    expect(log.logStartOffset).toBe(1);
    expect(log.deleteOldSegments(151)).toBe(1);
    expect(log.logStartOffset).toBe(2);
  });

  test('retention.bytes deletes the oldest segments while the log stays above it', () => {
    const { disk, log } = setup({ segmentBytes: 300, retentionBytes: 500, retentionMs: -1 });
    for (let i = 0; i < 10; i++) log.appendAsLeader(records(2), 0, null, 0);
    log.updateHighWatermark(log.logEndOffset);
    const before = log.sizeInBytes;
    expect(before).toBeGreaterThan(500);
    const deleted = log.deleteOldSegments(0);
    expect(deleted).toBeGreaterThan(0);
    // Kafka deletes a segment only while the rest still holds at least retention.bytes.
    const oldest = disk.content(segmentFileName(DIR, log.segmentBaseOffsets()[0]!)).length;
    expect(log.sizeInBytes).toBeGreaterThanOrEqual(500);
    expect(log.sizeInBytes - oldest).toBeLessThan(500);
    expect(log.logStartOffset).toBe(log.segmentBaseOffsets()[0]);
  });

  test('the log start offset survives a restart because it is the first segment’s base offset', () => {
    const { disk, log } = setup({ segmentBytes: 300, retentionBytes: 0 });
    for (let i = 0; i < 10; i++) log.appendAsLeader(records(2), 0, null, 0);
    log.updateHighWatermark(log.logEndOffset);
    log.deleteOldSegments(0);
    const reloaded = UnifiedLog.load(disk, DIR, config(), 0);
    expect(reloaded.logStartOffset).toBe(log.logStartOffset);
    expect(reloaded.logEndOffset).toBe(log.logEndOffset);
  });
});

describe('UnifiedLog flush policy', () => {
  test('the defaults never flush; the recovery point stays put', () => {
    const { disk, log } = setup();
    for (let i = 0; i < 5; i++) log.appendAsLeader(records(1), 0, null, i * 1_000_000);
    log.maybeFlush(10 ** 12);
    expect(disk.fsyncCalls.filter((name) => name.endsWith('.log'))).toEqual([]);
    expect(log.pendingFsyncCount).toBe(0);
    expect(log.recoveryPoint).toBe(0);
    expect(log.timeUntilFlushMs(0)).toBeNull();
  });

  test('flush.messages=1 fsyncs every append; the recovery point moves only on the completion', () => {
    const { disk, log } = setup({ flushMessages: 1 });
    log.appendAsLeader(records(3), 0, null, 0);
    expect(log.pendingFsyncCount).toBe(1); // plus the epoch checkpoint's own fsync
    expect(log.recoveryPoint).toBe(0);
    completeFsyncs(disk, log);
    expect(log.recoveryPoint).toBe(3);
    completeFsyncs(disk, log); // the fsync that makes the checkpoint's rename durable
    log.appendAsLeader(records(2), 0, null, 0);
    log.appendAsLeader(records(1), 0, null, 0);
    expect(disk.pendingFsyncs).toBe(2);
    expect(log.recoveryPoint).toBe(3);
    expect(log.onFsyncComplete(disk.completeNext())).toBe(true);
    expect(log.recoveryPoint).toBe(5);
    expect(log.onFsyncComplete(disk.completeNext())).toBe(true);
    expect(log.recoveryPoint).toBe(6);
    expect(log.onFsyncComplete({ opId: 12345, kind: 'fsync', file: 'other' })).toBe(false);
  });

  test('an fsync in flight across a truncation does not vouch for the data written after it', () => {
    const { disk, log } = setup({ flushMessages: 1 });
    log.appendAsLeader(records(1), 0, null, 0);
    completeFsyncs(disk, log);
    completeFsyncs(disk, log);
    expect(log.recoveryPoint).toBe(1);
    log.appendAsLeader(records(4), 0, null, 0); // its fsync will cover offsets up to 5
    log.truncateTo(3); // inside the batch: the whole batch goes
    expect(log.logEndOffset).toBe(1);
    log.appendAsLeader(records(1), 0, null, 0);
    expect(disk.pendingFsyncs).toBe(2);
    expect(log.onFsyncComplete(disk.completeNext())).toBe(true);
    expect(log.recoveryPoint).toBe(1);
    expect(log.onFsyncComplete(disk.completeNext())).toBe(true);
    expect(log.recoveryPoint).toBe(2);
  });

  test('flush.ms flushes from maybeFlush once due, and says when it will be', () => {
    const { disk, log } = setup({ flushMs: 100 });
    log.appendAsLeader(records(1), 0, null, 10);
    expect(log.pendingFsyncCount).toBe(0);
    expect(log.timeUntilFlushMs(10)).toBe(90);
    log.maybeFlush(99);
    expect(log.pendingFsyncCount).toBe(0);
    log.maybeFlush(100);
    expect(log.pendingFsyncCount).toBe(1);
    expect(log.timeUntilFlushMs(100)).toBeNull();
    completeFsyncs(disk, log);
    expect(log.recoveryPoint).toBe(1);
  });

  test('flush(upToOffset) lets the owner force durability', () => {
    const { disk, log } = setup();
    log.appendAsLeader(records(2), 0, null, 0);
    log.flush(log.logEndOffset);
    log.flush(log.logEndOffset);
    expect(log.pendingFsyncCount).toBe(1);
    completeFsyncs(disk, log);
    expect(log.recoveryPoint).toBe(2);
  });
});

describe('UnifiedLog flush continuations (act once durable)', () => {
  test('a continuation runs at the completion that brings the recovery point to the offset, not before', () => {
    const { disk, log } = setup();
    log.appendAsLeader(records(2), 0, null, 0);
    const seen: number[] = [];
    log.flush(log.logEndOffset, () => seen.push(log.recoveryPoint));
    expect(seen).toEqual([]);
    completeFsyncs(disk, log);
    expect(seen).toEqual([2]);
  });

  test('a flush already covered by an fsync in flight waits for it instead of issuing another', () => {
    const { disk, log } = setup();
    log.appendAsLeader(records(2), 0, null, 0);
    log.flush(log.logEndOffset);
    const seen: string[] = [];
    log.flush(log.logEndOffset, () => seen.push('durable'));
    expect(log.pendingFsyncCount).toBe(1);
    completeFsyncs(disk, log);
    expect(seen).toEqual(['durable']);
  });

  test('PendingFlushes refuses completions out of issue order, which would break its continuations', () => {
    const flushes = new PendingFlushes(0);
    flushes.track(1, 'a', 5);
    flushes.track(2, 'a', 9);
    expect(() => flushes.onComplete({ opId: 2, kind: 'fsync', file: 'a' })).toThrow(/before earlier ones/);
  });

  test('with nothing left to flush the continuation runs at once', () => {
    const { log } = setup();
    let ran = false;
    log.flush(log.logEndOffset, () => {
      ran = true;
    });
    expect(ran).toBe(true);
  });

  test('across a segment roll the continuation waits for the newest segment’s fsync', () => {
    const { disk, log } = setup({ segmentBytes: 300 });
    for (let i = 0; i < 6; i++) log.appendAsLeader(records(2), 0, null, 0);
    let at = -1;
    log.flush(log.logEndOffset, () => {
      at = log.recoveryPoint;
    });
    while (at < 0) log.onFsyncComplete(disk.completeNext());
    expect(at).toBe(log.logEndOffset);
    expect(log.pendingFsyncCount).toBe(0);
  });
});

describe('UnifiedLog: a log start offset inside a segment (the metadata log after a snapshot)', () => {
  function threeSegments() {
    const env = setup({ segmentBytes: 300 });
    for (let i = 0; i < 9; i++) env.log.appendAsLeader(records(2), i < 4 ? 1 : 2, null, 0);
    env.log.updateHighWatermark(env.log.logEndOffset);
    return env;
  }

  test('maybeIncrementLogStartOffset moves the start, trims the epoch cache, and deletes nothing', () => {
    const { log } = threeSegments();
    const bases = log.segmentBaseOffsets();
    const start = bases[1]! + 1;
    expect(log.maybeIncrementLogStartOffset(start)).toBe(true);
    expect(log.maybeIncrementLogStartOffset(start - 1)).toBe(false);
    expect(log.logStartOffset).toBe(start);
    expect(log.segmentBaseOffsets()).toEqual(bases);
    expect(log.epochEntries()[0]!.startOffset).toBe(start);
    expect(log.read(start - 1, 1 << 20, log.logEndOffset).error).toBe('OFFSET_OUT_OF_RANGE');
    expect(() => log.maybeIncrementLogStartOffset(log.logEndOffset + 1)).toThrow(/beyond the log end/);
  });

  test('deleteLogStartOffsetBreachedSegments deletes only segments wholly below the start', () => {
    const { disk, log } = threeSegments();
    const bases = log.segmentBaseOffsets();
    log.maybeIncrementLogStartOffset(bases[2]! - 1);
    expect(log.deleteLogStartOffsetBreachedSegments()).toBe(1);
    expect(log.segmentBaseOffsets()).toEqual(bases.slice(1));
    expect(disk.exists(segmentFileName(DIR, bases[0]!))).toBe(false);
    log.maybeIncrementLogStartOffset(bases[2]!);
    expect(log.deleteLogStartOffsetBreachedSegments()).toBe(1);
    expect(log.logStartOffset).toBe(bases[2]);
  });

  test('the high watermark is raised to the new start, never left below it', () => {
    const { log } = setup();
    log.appendAsLeader(records(4), 1, null, 0);
    expect(log.highWatermark).toBe(0);
    log.maybeIncrementLogStartOffset(3);
    expect(log.highWatermark).toBe(3);
  });

  test('epochForOffset names the epoch of the batch holding an offset', () => {
    const { log } = setup();
    log.appendAsLeader(records(3), 1, null, 0);
    log.appendAsLeader(records(2), 4, null, 0);
    expect([0, 2, 3, 4].map((offset) => log.epochForOffset(offset))).toEqual([1, 1, 4, 4]);
    expect(log.epochForOffset(5)).toBe(-1);
  });
});

describe('UnifiedLog control batches', () => {
  test('appendAsLeader writes a control batch when asked, and it reads back as one', () => {
    const { log } = setup();
    log.appendAsLeader(records(1), 3, null, 0, { isControl: true });
    log.appendAsLeader(records(1), 3, null, 0);
    expect(allBatches(log).map((batch) => batch.isControl)).toEqual([true, false]);
    expect(() => log.appendAsLeader(records(1), 3, { producerId: 1, producerEpoch: 0, baseSequence: 0 }, 0, { isControl: true })).toThrow(
      /carries no producer/,
    );
  });
});

describe('UnifiedLog recovery', () => {
  test('a power loss keeps what was fsynced; a torn tail is truncated on load', () => {
    const { disk, log } = setup({ flushMessages: 1 }, 2);
    log.appendAsLeader(records(2), 1, { producerId: 5, producerEpoch: 0, baseSequence: 0 }, 0);
    completeFsyncs(disk, log);
    log.appendAsLeader(records(2), 2, { producerId: 5, producerEpoch: 0, baseSequence: 2 }, 0);
    expect(log.recoveryPoint).toBe(2);
    // Disk seed 2 tears the unsynced batch: a prefix of it survives the power loss.
    const tornBytes = disk.powerLoss().get(segmentFileName(DIR, 0)) ?? 0;
    expect(tornBytes).toBeGreaterThan(0);
    const reloaded = UnifiedLog.load(disk, DIR, config(), 0);
    expect(reloaded.loadSummary).toMatchObject({ truncatedBytes: tornBytes, stop: 'torn', logEndOffset: 2 });
    expect(reloaded.loadSummary.truncatedAt).toEqual({ file: segmentFileName(DIR, 0), position: reloaded.sizeInBytes });
    expect(reloaded.logEndOffset).toBe(2);
    expect(reloaded.epochEntries()).toEqual([{ epoch: 1, startOffset: 0 }]);
    expect(reloaded.producerStateEntry(5)!.batches.map((b) => b.lastSeq)).toEqual([1]);
    expect(reloaded.recoveryPoint).toBe(0);
    expect(disk.content(segmentFileName(DIR, 0)).length).toBe(reloaded.sizeInBytes);
  });

  test('a flipped bit truncates its segment there and deletes every later segment (LogLoader)', () => {
    const { disk, log } = setup({ segmentBytes: 300 });
    for (let i = 0; i < 10; i++) log.appendAsLeader(records(2), 0, null, 0);
    const bases = log.segmentBaseOffsets();
    disk.flipBitAt(segmentFileName(DIR, bases[1]!), 200, 3);
    const reloaded = UnifiedLog.load(disk, DIR, config({ segmentBytes: 300 }), 0);
    expect(reloaded.loadSummary.stop).toBe('corrupt');
    expect(reloaded.segmentBaseOffsets()).toEqual(bases.slice(0, 2));
    expect(reloaded.loadSummary.deletedSegmentFiles).toEqual(bases.slice(2).map((b) => segmentFileName(DIR, b)));
    expect(reloaded.logEndOffset).toBeGreaterThanOrEqual(bases[1]!);
    expect(reloaded.logEndOffset).toBeLessThan(bases[2]!);
  });

  test('a process crash keeps the page cache: the reloaded log equals the old one', () => {
    const { disk, log } = setup({ segmentBytes: 300 });
    for (let i = 0; i < 8; i++) log.appendAsLeader(records(2), i % 3 === 0 ? i : Math.max(0, i - (i % 3)), null, 0);
    const reloaded = UnifiedLog.load(disk, DIR, config({ segmentBytes: 300 }), 0);
    expect(reloaded.loadSummary.truncatedBytes).toBe(0);
    expect(allBatches(reloaded)).toEqual(allBatches(log));
    expect(reloaded.epochEntries()).toEqual(log.epochEntries());
    expect(reloaded.segmentBaseOffsets()).toEqual(log.segmentBaseOffsets());
  });

  test('a corrupt epoch checkpoint is ignored and rewritten from the log', () => {
    const { disk, log } = setup();
    log.appendAsLeader(records(1), 3, null, 0);
    completeFsyncs(disk, log);
    disk.flipBitAt(`${DIR}/leader-epoch-checkpoint`, 4, 1);
    const reloaded = UnifiedLog.load(disk, DIR, config(), 0);
    expect(reloaded.loadSummary.epochCheckpoint).toBe('corrupt');
    expect(reloaded.epochEntries()).toEqual([{ epoch: 3, startOffset: 0 }]);
    expect(disk.exists(`${DIR}/leader-epoch-checkpoint.tmp`)).toBe(true);
  });

  test('an empty log remembers its latest epoch through the checkpoint', () => {
    const { disk, log } = setup({ segmentBytes: 200, retentionBytes: 0 });
    log.appendAsLeader(records(2), 4, null, 0);
    log.appendAsLeader(records(2), 4, null, 0);
    log.appendAsLeader(records(2), 6, null, 0);
    log.updateHighWatermark(log.logEndOffset);
    log.deleteOldSegments(0);
    completeFsyncs(disk, log);
    const reloaded = UnifiedLog.load(disk, DIR, config(), 0);
    expect(reloaded.latestEpoch()).toBe(log.latestEpoch());
    expect(reloaded.epochEntries()).toEqual(log.epochEntries());
  });

  test('property: after any power loss the log is a prefix of what was written, and keeps all below the recovery point', () => {
    const opArb = fc.oneof(
      fc.record({ kind: fc.constant('append' as const), count: fc.integer({ min: 1, max: 4 }), epochBump: fc.boolean() }),
      fc.record({ kind: fc.constant('complete' as const), count: fc.integer({ min: 0, max: 3 }) }),
      fc.record({ kind: fc.constant('flush' as const) }),
      // The OS's writeback makes unsynced batches durable too: they may survive beyond the recovery point.
      fc.record({ kind: fc.constant('writeback' as const) }),
    );
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 25 }), fc.nat(), fc.integer({ min: 1, max: 3 }), (ops, diskSeed, flushMessages) => {
        // The disk's seed decides whether the power loss tears the first unsynced write, and where.
        const disk = new TestDisk(diskSeed);
        const cfg = config({ segmentBytes: 400, flushMessages });
        const log = UnifiedLog.load(disk, DIR, cfg, 0);
        let epoch = 0;
        for (const op of ops) {
          if (op.kind === 'append') {
            if (op.epochBump) epoch++;
            ok(log.appendAsLeader(records(op.count, 0, `e${epoch}-`), epoch, null, 0));
          } else if (op.kind === 'complete') {
            for (let i = 0; i < op.count && disk.pendingFsyncs > 0; i++) expect(log.onFsyncComplete(disk.completeNext())).toBe(true);
          } else if (op.kind === 'flush') {
            log.flush(log.logEndOffset);
          } else {
            disk.flushPageCache();
          }
        }
        const written = allBatches(log);
        const recoveryPoint = log.recoveryPoint;
        disk.powerLoss();
        const reloaded = UnifiedLog.load(disk, DIR, cfg, 0);
        const survived = allBatches(reloaded);
        expect(survived).toEqual(written.slice(0, survived.length));
        expect(reloaded.logEndOffset).toBeGreaterThanOrEqual(recoveryPoint);
        expect(reloaded.logEndOffset).toBe(survived.length === 0 ? 0 : nextOffset(survived[survived.length - 1]!));
        // The epoch cache describes exactly the surviving batches.
        const expectedEpochs: Array<{ epoch: number; startOffset: number }> = [];
        for (const b of survived) {
          if (expectedEpochs[expectedEpochs.length - 1]?.epoch !== b.partitionLeaderEpoch) expectedEpochs.push({ epoch: b.partitionLeaderEpoch, startOffset: b.baseOffset });
        }
        expect(reloaded.epochEntries()).toEqual(expectedEpochs);
      }),
      { numRuns: 150 },
    );
  });
});
