import { describe, expect, test } from 'vitest';
import { type RecordBatch, encodeBatch, storedBaseOffset } from '../../src/log/recordBatch.js';
import { LogSegment, parseSegmentBaseOffset, segmentFileName } from '../../src/log/segment.js';
import { TestDisk } from '../support/testDisk.js';

function batch(baseOffset: number, count: number, timestampMs = 100): RecordBatch {
  const records = Array.from({ length: count }, (_, i) => ({ key: `k${i}`, value: `value-${baseOffset + i}`, timestampMs: timestampMs + i }));
  return {
    baseOffset,
    lastOffsetDelta: count - 1,
    partitionLeaderEpoch: 0,
    producerId: -1,
    producerEpoch: -1,
    baseSequence: -1,
    isTransactional: false,
    isControl: false,
    maxTimestampMs: timestampMs + count - 1,
    records,
  };
}

function segmentWith(disk: TestDisk, baseOffset: number, counts: number[], indexIntervalBytes = 0): LogSegment {
  const created = LogSegment.create(disk, 'p-0', baseOffset, indexIntervalBytes, 5);
  if (!created.ok) throw new Error('create failed');
  let offset = baseOffset;
  for (const count of counts) {
    const b = batch(offset, count);
    expect(created.value.append(b, encodeBatch(b)).ok).toBe(true);
    offset += count;
  }
  return created.value;
}

describe('segment file names', () => {
  test('are 20-digit base offsets under the partition directory', () => {
    expect(segmentFileName('p-0', 42)).toBe('p-0/00000000000000000042.log');
    expect(parseSegmentBaseOffset('p-0', 'p-0/00000000000000000042.log')).toBe(42);
    expect(parseSegmentBaseOffset('p-0', 'p-1/00000000000000000042.log')).toBeNull();
    expect(parseSegmentBaseOffset('p-0', 'p-0/leader-epoch-checkpoint')).toBeNull();
    expect(parseSegmentBaseOffset('p-0', 'p-0/42.log')).toBeNull();
  });
});

describe('LogSegment', () => {
  test('tracks size, next offset and largest timestamp; indexes every batch with interval 0', () => {
    const disk = new TestDisk();
    const segment = segmentWith(disk, 10, [2, 3, 1]);
    expect(segment.nextOffset).toBe(16);
    expect(segment.size).toBe(disk.content(segment.file).length);
    expect(segment.largestTimestampMs).toBe(102);
    // Kafka skips the first batch (nothing appended before it), then indexes each batch's last offset.
    expect(segment.offsetIndex.entries().map((e) => e.offset)).toEqual([14, 15]);
  });

  test('refuses a batch that does not continue its offsets', () => {
    const disk = new TestDisk();
    const segment = segmentWith(disk, 0, [2]);
    const b = batch(5, 1);
    expect(() => segment.append(b, encodeBatch(b))).toThrow(/expected 2/);
  });

  test('read starts at the batch holding the offset and stops before maxOffset', () => {
    const disk = new TestDisk();
    const segment = segmentWith(disk, 0, [2, 2, 2, 2]);
    const read = segment.read(3, 1 << 20, 6, true);
    expect(read.batches.map((b) => storedBaseOffset(b))).toEqual([2, 4]);
    expect(read.stop).toBe('limit');
    expect(segment.read(0, 1 << 20, 100, true).stop).toBe('end');
  });

  test('recover truncates a torn tail and reports the dropped bytes', () => {
    const disk = new TestDisk();
    const segment = segmentWith(disk, 0, [2, 2]);
    const size = segment.size;
    const extra = encodeBatch(batch(4, 3));
    disk.append(segment.file, extra.subarray(0, 20));
    const reopened = LogSegment.open(disk, 'p-0', 0, 0, 0);
    const recovery = reopened.recover();
    expect(recovery).toMatchObject({ truncatedBytes: 20, stop: 'torn' });
    expect(recovery.batches.map((b) => b.baseOffset)).toEqual([0, 2]);
    expect(reopened.size).toBe(size);
    expect(disk.content(segment.file).length).toBe(size);
    expect(reopened.nextOffset).toBe(4);
  });

  test('recover drops a CRC-valid batch that does not continue the offsets', () => {
    const disk = new TestDisk();
    const segment = segmentWith(disk, 0, [2]);
    disk.append(segment.file, encodeBatch(batch(7, 1)));
    const recovery = LogSegment.open(disk, 'p-0', 0, 0, 0).recover();
    expect(recovery.stop).toBe('corrupt');
    expect(recovery.batches).toHaveLength(1);
  });

  test('truncateTo removes whole batches from the one holding the offset', () => {
    const disk = new TestDisk();
    const segment = segmentWith(disk, 0, [2, 2, 2]);
    const firstTwo = encodeBatch(batch(0, 2)).length + encodeBatch(batch(2, 2)).length;
    const third = encodeBatch(batch(4, 2)).length;
    expect(segment.truncateTo(5)).toBe(third);
    expect(segment.nextOffset).toBe(4);
    expect(segment.size).toBe(firstTwo);
    expect(segment.offsetIndex.entries().map((e) => e.offset)).toEqual([3]);
    expect(segment.truncateTo(100)).toBe(0);
    expect(segment.truncateTo(0)).toBe(firstTwo);
    expect(segment.isEmpty).toBe(true);
  });

  test('segment.ms is measured from the first batch’s timestamp, or from creation while empty', () => {
    const disk = new TestDisk();
    const empty = segmentWith(disk, 0, []);
    expect(empty.timeWaitedForRollMs(50, 0)).toBe(45);
    const withData = segmentWith(disk, 10, [1]);
    expect(withData.timeWaitedForRollMs(0, 1100)).toBe(1000);
  });
});
