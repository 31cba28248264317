import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  RECORD_BATCH_OVERHEAD,
  type RecordBatch,
  decodeBatchAt,
  decodeBatches,
  encodeBatch,
  incrementSequence,
  lastOffset,
  lastSequence,
  nextOffset,
  recordCount,
} from '../../src/log/recordBatch.js';
import { concatBytes } from '../../src/util/bytes.js';

function batch(overrides: Partial<RecordBatch> = {}): RecordBatch {
  const records = overrides.records ?? [{ key: 'k', value: 'v', timestampMs: 1000 }];
  return {
    baseOffset: 0,
    lastOffsetDelta: records.length - 1,
    partitionLeaderEpoch: 3,
    producerId: 7,
    producerEpoch: 1,
    baseSequence: 0,
    isTransactional: false,
    isControl: false,
    maxTimestampMs: Math.max(...records.map((r) => r.timestampMs)),
    records,
    ...overrides,
  };
}

const recordArb = fc.record({
  key: fc.option(fc.string({ maxLength: 12 }), { nil: null }),
  value: fc.option(fc.string({ maxLength: 40 }), { nil: null }),
  timestampMs: fc.integer({ min: 0, max: 2 ** 45 }),
});

/** A log of contiguous batches starting at `start`. */
const logArb = fc
  .tuple(
    fc.integer({ min: 0, max: 1_000_000 }),
    fc.array(
      fc.record({
        records: fc.array(recordArb, { minLength: 1, maxLength: 5 }),
        partitionLeaderEpoch: fc.integer({ min: -1, max: 1000 }),
        producerId: fc.integer({ min: -1, max: 2 ** 40 }),
        producerEpoch: fc.integer({ min: -1, max: 32767 }),
        baseSequence: fc.integer({ min: -1, max: 0x7fff_ffff }),
        isTransactional: fc.boolean(),
        isControl: fc.boolean(),
      }),
      { minLength: 1, maxLength: 6 },
    ),
  )
  .map(([start, specs]) => {
    let offset = start;
    return specs.map((spec) => {
      const b: RecordBatch = {
        ...spec,
        baseOffset: offset,
        lastOffsetDelta: spec.records.length - 1,
        maxTimestampMs: Math.max(...spec.records.map((r) => r.timestampMs)),
      };
      offset = nextOffset(b);
      return b;
    });
  });

describe('record batch helpers', () => {
  test('offsets and counts follow lastOffsetDelta', () => {
    const b = batch({ baseOffset: 10, records: [1, 2, 3].map((i) => ({ key: null, value: `${i}`, timestampMs: i })) });
    expect(lastOffset(b)).toBe(12);
    expect(nextOffset(b)).toBe(13);
    expect(recordCount(b)).toBe(3);
    expect(lastSequence(b)).toBe(2);
    expect(lastSequence(batch({ baseSequence: -1 }))).toBe(-1);
  });

  test('sequences wrap from Int32 max to 0 (DefaultRecordBatch.incrementSequence)', () => {
    expect(incrementSequence(0x7fff_fffe, 1)).toBe(0x7fff_ffff);
    expect(incrementSequence(0x7fff_ffff, 1)).toBe(0);
    expect(incrementSequence(0x7fff_fffe, 3)).toBe(1);
    expect(lastSequence(batch({ baseSequence: 0x7fff_ffff, records: [1, 2].map(() => ({ key: null, value: null, timestampMs: 0 })) }))).toBe(0);
  });

  test('the header is Kafka’s 61 bytes, and batchLength counts the bytes after itself', () => {
    const encoded = encodeBatch(batch({ records: [{ key: null, value: null, timestampMs: 5 }] }));
    // One record: attributes 1 + timestampDelta 8 + offsetDelta 4 + key 4 + value 4 + headers 4.
    expect(encoded.length).toBe(RECORD_BATCH_OVERHEAD + 25);
    expect(new DataView(encoded.buffer).getInt32(8)).toBe(encoded.length - 12);
    expect(encoded[16]).toBe(2);
  });

  test('an empty or inconsistent batch is a bug in the caller, not data', () => {
    expect(() => encodeBatch(batch({ records: [] }))).toThrow(/at least one record/);
    expect(() => encodeBatch(batch({ lastOffsetDelta: 3 }))).toThrow(/lastOffsetDelta/);
  });
});

describe('decodeBatches', () => {
  test('round-trips every field, nulls and unicode included', () => {
    const b = batch({
      baseOffset: 2 ** 40,
      partitionLeaderEpoch: -1,
      producerId: -1,
      producerEpoch: -1,
      baseSequence: -1,
      isTransactional: true,
      isControl: true,
      records: [
        { key: null, value: 'ü→😀', timestampMs: 5 },
        { key: '', value: null, timestampMs: 3 },
      ],
    });
    const decoded = decodeBatches(encodeBatch(b));
    expect(decoded).toEqual({ batches: [b], positions: [0], validBytes: encodeBatch(b).length, stop: 'end' });
  });

  test('property: a log of batches round-trips', () => {
    fc.assert(
      fc.property(logArb, (batches) => {
        const encoded = batches.map(encodeBatch);
        const decoded = decodeBatches(concatBytes(encoded));
        expect(decoded.stop).toBe('end');
        expect(decoded.batches).toEqual(batches);
        expect(decoded.validBytes).toBe(encoded.reduce((n, e) => n + e.length, 0));
      }),
    );
  });

  test('property: any truncation decodes to a clean prefix of whole batches, reported as torn', () => {
    fc.assert(
      fc.property(logArb, fc.nat(), (batches, cutSeed) => {
        const encoded = batches.map(encodeBatch);
        const bytes = concatBytes(encoded);
        const cut = cutSeed % (bytes.length + 1);
        const decoded = decodeBatches(bytes.subarray(0, cut));
        let ends = 0;
        let whole = 0;
        while (whole < encoded.length && ends + encoded[whole]!.length <= cut) ends += encoded[whole++]!.length;
        expect(decoded.batches).toEqual(batches.slice(0, whole));
        expect(decoded.validBytes).toBe(ends);
        expect(decoded.stop).toBe(cut === ends ? 'end' : 'torn');
      }),
    );
  });

  test('property: a single flipped bit is never accepted as a different valid batch', () => {
    fc.assert(
      fc.property(logArb, fc.nat(), fc.integer({ min: 0, max: 7 }), (batches, byteSeed, bit) => {
        const encoded = batches.map(encodeBatch);
        const bytes = concatBytes(encoded);
        const at = byteSeed % bytes.length;
        bytes[at]! ^= 1 << bit;
        const decoded = decodeBatches(bytes);
        let hit = 0;
        let start = 0;
        while (start + encoded[hit]!.length <= at) start += encoded[hit++]!.length;
        // Everything before the damaged batch survives; the damaged batch and all after it do not.
        expect(decoded.batches).toEqual(batches.slice(0, hit));
        expect(decoded.validBytes).toBe(start);
        expect(decoded.stop).not.toBe('end');
      }),
      { numRuns: 300 },
    );
  });

  test('a flipped bit in the leader epoch or base offset is caught (Kafka’s CRC leaves them out)', () => {
    const b = batch();
    for (const at of [3, 13]) {
      const bytes = encodeBatch(b);
      bytes[at]! ^= 1;
      expect(decodeBatchAt(bytes, 0)).toEqual({ kind: 'corrupt' });
    }
  });

  test('decoding from a start position reports bytes relative to it', () => {
    const first = encodeBatch(batch());
    const second = encodeBatch(batch({ baseOffset: 1 }));
    const decoded = decodeBatches(concatBytes([first, second]), first.length);
    expect(decoded.positions).toEqual([first.length]);
    expect(decoded.validBytes).toBe(second.length);
    expect(decoded.batches.map((b) => b.baseOffset)).toEqual([1]);
  });
});
