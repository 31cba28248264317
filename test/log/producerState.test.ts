import { describe, expect, test } from 'vitest';
import { NUM_BATCHES_TO_RETAIN, ProducerStateManager } from '../../src/log/producerState.js';
import type { RecordBatch } from '../../src/log/recordBatch.js';

function batch(baseOffset: number, producerEpoch: number, baseSequence: number, count = 1, producerId = 42): RecordBatch {
  const records = Array.from({ length: count }, (_, i) => ({ key: null, value: `v${baseSequence + i}`, timestampMs: 0 }));
  return {
    baseOffset,
    lastOffsetDelta: count - 1,
    partitionLeaderEpoch: 0,
    producerId,
    producerEpoch,
    baseSequence,
    isTransactional: false,
    isControl: false,
    maxTimestampMs: 0,
    records,
  };
}

/** Appends batches of 2 records with sequences 0,2,4,... at offsets 0,2,4,... */
function withBatches(count: number, producerEpoch = 0): ProducerStateManager {
  const state = new ProducerStateManager();
  for (let i = 0; i < count; i++) {
    const b = batch(2 * i, producerEpoch, 2 * i, 2);
    expect(state.checkAndPrepare(b)).toEqual({ kind: 'ok' });
    state.update(b);
  }
  return state;
}

describe('ProducerStateManager (KIP-98)', () => {
  test('a duplicate of each of the last 5 batches answers with the original offsets (KAFKA-5494)', () => {
    const state = withBatches(7);
    for (let i = 2; i < 7; i++) {
      // The retry lands at another offset; the answer is where the first append put it.
      expect(state.checkAndPrepare(batch(100, 0, 2 * i, 2))).toEqual({
        kind: 'duplicate',
        error: 'DUPLICATE_SEQUENCE_NUMBER',
        firstOffset: 2 * i,
        lastOffset: 2 * i + 1,
      });
    }
    expect(state.lastEntry(42)!.batches).toHaveLength(NUM_BATCHES_TO_RETAIN);
  });

  test('a retry of a batch older than the last 5 is out of order, not a duplicate', () => {
    const state = withBatches(7);
    expect(state.checkAndPrepare(batch(100, 0, 2, 2))).toEqual({ kind: 'rejected', error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
  });

  test('a matching first sequence with a different range is not a duplicate', () => {
    const state = withBatches(3);
    expect(state.checkAndPrepare(batch(100, 0, 2, 1)).kind).toBe('rejected');
  });

  test('a gap or a repeat of a partial range is OUT_OF_ORDER_SEQUENCE_NUMBER; the next sequence is ok', () => {
    const state = withBatches(3);
    expect(state.checkAndPrepare(batch(6, 0, 7))).toEqual({ kind: 'rejected', error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
    expect(state.checkAndPrepare(batch(6, 0, 5))).toEqual({ kind: 'rejected', error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
    expect(state.checkAndPrepare(batch(6, 0, 6))).toEqual({ kind: 'ok' });
  });

  test('an older producer epoch is INVALID_PRODUCER_EPOCH (fenced), even for a former duplicate', () => {
    const state = withBatches(2, 3);
    expect(state.checkAndPrepare(batch(4, 2, 4))).toEqual({ kind: 'rejected', error: 'INVALID_PRODUCER_EPOCH' });
    expect(state.checkAndPrepare(batch(4, 2, 0, 2))).toEqual({ kind: 'rejected', error: 'INVALID_PRODUCER_EPOCH' });
  });

  test('without epoch fencing (ksim.legacy.no.producer.epoch.fencing) an older epoch is taken as a new one: from sequence 0 only', () => {
    const state = withBatches(2, 3);
    // The zombie's first batch at its old epoch passes where the check refuses it...
    expect(state.checkAndPrepare(batch(4, 2, 0, 2), 'client', true)).toEqual({ kind: 'rejected', error: 'INVALID_PRODUCER_EPOCH' });
    expect(state.checkAndPrepare(batch(4, 2, 0, 2), 'client', false)).toEqual({ kind: 'ok' });
    // ...but Kafka's sequence check stays: a batch whose epoch is not the current one starts at 0.
    expect(state.checkAndPrepare(batch(4, 2, 4), 'client', false)).toEqual({ kind: 'rejected', error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
    // The coordinator's own writes and the markers stay fenced.
    expect(state.checkAndPrepare(batch(4, 2, 0, 2), 'coordinator', false)).toEqual({ kind: 'rejected', error: 'INVALID_PRODUCER_EPOCH' });
    // Once written, the old epoch is the producer's again.
    state.update(batch(4, 2, 0, 2));
    expect(state.lastEntry(42)).toMatchObject({ producerEpoch: 2, batches: [{ firstSeq: 0, lastSeq: 1, firstOffset: 4, lastOffset: 5 }] });
  });

  test('an epoch bump must start at sequence 0, and starts a fresh history', () => {
    const state = withBatches(3);
    expect(state.checkAndPrepare(batch(6, 1, 6))).toEqual({ kind: 'rejected', error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
    const bumped = batch(6, 1, 0, 2);
    expect(state.checkAndPrepare(bumped)).toEqual({ kind: 'ok' });
    state.update(bumped);
    expect(state.lastEntry(42)).toMatchObject({ producerId: 42, producerEpoch: 1, batches: [{ firstSeq: 0, lastSeq: 1, firstOffset: 6, lastOffset: 7 }] });
    // The old epoch's sequence 0 is now fenced, the new epoch's is a duplicate.
    expect(state.checkAndPrepare(batch(9, 0, 6)).kind).toBe('rejected');
    expect(state.checkAndPrepare(batch(9, 1, 0, 2))).toMatchObject({ kind: 'duplicate', firstOffset: 6, lastOffset: 7 });
  });

  test('an unknown producer may start at any sequence (KIP-360: no UNKNOWN_PRODUCER_ID on produce)', () => {
    const state = new ProducerStateManager();
    expect(state.checkAndPrepare(batch(0, 0, 17))).toEqual({ kind: 'ok' });
    expect(state.checkAndPrepare(batch(0, 5, 99, 1, 43))).toEqual({ kind: 'ok' });
  });

  test('sequences continue across the Int32 wrap', () => {
    const state = new ProducerStateManager();
    state.update(batch(0, 0, 0x7fff_fffe, 2));
    expect(state.lastEntry(42)!.batches[0]!.lastSeq).toBe(0x7fff_ffff);
    expect(state.checkAndPrepare(batch(2, 0, 0))).toEqual({ kind: 'ok' });
    expect(state.checkAndPrepare(batch(2, 0, 1))).toMatchObject({ kind: 'rejected' });
  });

  test('batches without a producer id pass and leave no state', () => {
    const state = new ProducerStateManager();
    const plain = { ...batch(0, -1, -1), producerId: -1 };
    expect(state.checkAndPrepare(plain)).toEqual({ kind: 'ok' });
    state.update(plain);
    expect(state.producerCount).toBe(0);
  });

  test('replicated batches update state without checks, even with an older epoch', () => {
    const state = withBatches(1, 5);
    state.update(batch(2, 4, 0));
    expect(state.lastEntry(42)!.producerEpoch).toBe(4);
    expect(() => state.update(batch(2, 4, 1))).toThrow(/not after/);
  });

  test('retainEntriesBelow keeps only producers wholly below the offset', () => {
    const state = new ProducerStateManager();
    state.update(batch(0, 0, 0, 1, 1));
    state.update(batch(1, 0, 0, 1, 2));
    state.update(batch(5, 0, 1, 1, 1));
    state.update(batch(6, 0, 1, 1, 3));
    state.retainEntriesBelow(5);
    expect(state.entries().map((e) => e.producerId)).toEqual([2]);
  });
});
