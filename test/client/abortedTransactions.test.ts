/**
 * The read_committed filter (src/client/abortedTransactions.ts): aborted transactions' records and
 * every control batch are dropped; committed and non-transactional records are kept, in order.
 */
import { describe, expect, test } from 'vitest';
import { filterAbortedTransactions } from '../../src/client/abortedTransactions.js';
import { endTransactionMarkerRecord } from '../../src/log/controlRecord.js';
import { NO_SEQUENCE, type RecordBatch } from '../../src/log/recordBatch.js';

function data(baseOffset: number, producerId: number, values: string[], isTransactional = true): RecordBatch {
  return {
    baseOffset,
    lastOffsetDelta: values.length - 1,
    partitionLeaderEpoch: 0,
    producerId,
    producerEpoch: 0,
    baseSequence: 0,
    isTransactional,
    isControl: false,
    maxTimestampMs: 0,
    records: values.map((value) => ({ key: null, value, timestampMs: 0 })),
  };
}

function marker(baseOffset: number, producerId: number, result: 'COMMIT' | 'ABORT'): RecordBatch {
  return { ...data(baseOffset, producerId, ['m']), baseSequence: NO_SEQUENCE, isControl: true, records: [endTransactionMarkerRecord(result, 0, 0)] };
}

const values = (records: ReturnType<typeof filterAbortedTransactions>) => records.map((consumed) => `${consumed.offset}:${consumed.record.value}`);

describe('filterAbortedTransactions (read_committed)', () => {
  test('drops the aborted transaction and every marker, keeps the committed one and plain records', () => {
    const batches = [data(0, 1, ['a0', 'a1']), data(2, 2, ['c0']), data(3, -1, ['plain'], false), marker(4, 1, 'ABORT'), marker(5, 2, 'COMMIT')];
    expect(values(filterAbortedTransactions(batches, [{ producerId: 1, firstOffset: 0 }], 0))).toEqual(['2:c0', '3:plain']);
  });

  test('an abort ends at its marker: the same producer’s next transaction is kept', () => {
    const batches = [data(0, 1, ['x']), marker(1, 1, 'ABORT'), data(2, 1, ['y']), marker(3, 1, 'COMMIT')];
    expect(values(filterAbortedTransactions(batches, [{ producerId: 1, firstOffset: 0 }], 0))).toEqual(['2:y']);
  });

  test('without the aborted-transaction list, an aborted record would be read: the list is what protects (G1a)', () => {
    const batches = [data(0, 1, ['x']), marker(1, 1, 'ABORT')];
    expect(values(filterAbortedTransactions(batches, [], 0))).toEqual(['0:x']);
    expect(values(filterAbortedTransactions(batches, [{ producerId: 1, firstOffset: 0 }], 0))).toEqual([]);
  });

  test('records below the fetch offset in the first batch are skipped', () => {
    expect(values(filterAbortedTransactions([data(0, 3, ['a', 'b', 'c'])], [], 2))).toEqual(['2:c']);
  });
});
