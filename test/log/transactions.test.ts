/**
 * Transactions in the log (KIP-98): the producer state's ongoing and completed transactions, the
 * first unstable and last stable offsets, and the aborted-transaction index of each segment, kept
 * on append, rebuilt on load and after a truncation, and searched across segments.
 */
import { describe, expect, test } from 'vitest';
import { DEFAULT_LOG_CONFIG, type LogConfig } from '../../src/log/config.js';
import { endTransactionMarkerRecord, readEndTransactionMarker } from '../../src/log/controlRecord.js';
import { ProducerStateManager } from '../../src/log/producerState.js';
import { NO_SEQUENCE, type RecordBatch, type SimpleRecord } from '../../src/log/recordBatch.js';
import { TransactionIndex } from '../../src/log/transactionIndex.js';
import { type LeaderAppendResult, UnifiedLog, isLogError } from '../../src/log/unifiedLog.js';
import { TestDisk } from '../support/testDisk.js';

const DIR = 'topic-0';

function records(count: number, tag: string): SimpleRecord[] {
  return Array.from({ length: count }, (_, i) => ({ key: null, value: `${tag}${i}`, timestampMs: 1000 }));
}

function ok(result: LeaderAppendResult): { firstOffset: number; lastOffset: number } {
  if (isLogError(result)) throw new Error(`append failed: ${result.error}`);
  return result;
}

function setup(overrides: Partial<LogConfig> = {}): { disk: TestDisk; log: UnifiedLog } {
  const disk = new TestDisk(1);
  return { disk, log: UnifiedLog.load(disk, DIR, { ...DEFAULT_LOG_CONFIG, ...overrides }, 0) };
}

/** A transactional batch of `count` records from the producer. */
function appendTxn(log: UnifiedLog, producerId: number, baseSequence: number, count = 2, producerEpoch = 0): { firstOffset: number; lastOffset: number } {
  return ok(log.appendAsLeader(records(count, `p${producerId}-`), 1, { producerId, producerEpoch, baseSequence }, 1000, { isTransactional: true }));
}

function appendMarker(log: UnifiedLog, producerId: number, result: 'COMMIT' | 'ABORT', coordinatorEpoch = 0, producerEpoch = 0): LeaderAppendResult {
  return log.appendAsLeader([endTransactionMarkerRecord(result, coordinatorEpoch, 1000)], 1, { producerId, producerEpoch, baseSequence: NO_SEQUENCE }, 1000, { isControl: true, isTransactional: true });
}

function markerBatch(baseOffset: number, producerId: number, result: 'COMMIT' | 'ABORT', coordinatorEpoch: number, producerEpoch = 0): RecordBatch {
  return {
    baseOffset,
    lastOffsetDelta: 0,
    partitionLeaderEpoch: 0,
    producerId,
    producerEpoch,
    baseSequence: NO_SEQUENCE,
    isTransactional: true,
    isControl: true,
    maxTimestampMs: 0,
    records: [endTransactionMarkerRecord(result, coordinatorEpoch, 0)],
  };
}

function dataBatch(baseOffset: number, producerId: number, baseSequence: number, isTransactional: boolean): RecordBatch {
  return { ...markerBatch(baseOffset, producerId, 'COMMIT', 0), baseSequence, isControl: false, isTransactional, records: records(1, 'v') };
}

describe('the end transaction marker (Kafka’s control record)', () => {
  test('reads back as the result and coordinator epoch it was written with', () => {
    expect(readEndTransactionMarker(endTransactionMarkerRecord('ABORT', 7, 0))).toEqual({ result: 'ABORT', coordinatorEpoch: 7 });
    expect(readEndTransactionMarker(endTransactionMarkerRecord('COMMIT', 0, 0))).toEqual({ result: 'COMMIT', coordinatorEpoch: 0 });
    expect(readEndTransactionMarker({ key: null, value: 'x', timestampMs: 0 })).toBeNull();
  });
});

describe('ProducerStateManager transactions', () => {
  test('a transaction is unstable from its first batch until the high watermark passes its marker', () => {
    const state = new ProducerStateManager();
    state.update(dataBatch(3, 1, 0, true));
    state.update(dataBatch(4, 1, 1, true));
    expect(state.firstUnstableOffset()).toBe(3);
    expect(state.update(markerBatch(5, 1, 'COMMIT', 0))).toEqual({ producerId: 1, firstOffset: 3, lastOffset: 5, isAborted: false });
    expect(state.firstUnstableOffset()).toBe(3);
    state.onHighWatermarkUpdated(5);
    expect(state.firstUnstableOffset()).toBe(3);
    state.onHighWatermarkUpdated(6);
    expect(state.firstUnstableOffset()).toBeNull();
  });

  test('a non-transactional batch during a transaction is INVALID_TXN_STATE', () => {
    const state = new ProducerStateManager();
    state.update(dataBatch(0, 1, 0, true));
    expect(state.checkAndPrepare(dataBatch(1, 1, 1, false))).toEqual({ kind: 'rejected', error: 'INVALID_TXN_STATE' });
    expect(state.checkAndPrepare(dataBatch(1, 1, 1, true))).toEqual({ kind: 'ok' });
  });

  test('markers are fenced by producer epoch and by coordinator epoch', () => {
    const state = new ProducerStateManager();
    state.update(dataBatch(0, 1, 0, true));
    state.update(markerBatch(1, 1, 'ABORT', 4));
    expect(state.checkAndPrepare(markerBatch(2, 1, 'COMMIT', 3))).toEqual({ kind: 'rejected', error: 'TRANSACTION_COORDINATOR_FENCED' });
    expect(state.checkAndPrepare(markerBatch(2, 1, 'COMMIT', 5, 0))).toEqual({ kind: 'ok' });
    state.update(markerBatch(2, 1, 'ABORT', 5, 2));
    expect(state.checkAndPrepare(markerBatch(3, 1, 'ABORT', 5, 1))).toEqual({ kind: 'rejected', error: 'INVALID_PRODUCER_EPOCH' });
  });

  test('a marker for a producer with no transaction here completes nothing and holds no unstable offset, but moves its epochs (as Kafka)', () => {
    const state = new ProducerStateManager();
    expect(state.update(markerBatch(9, 5, 'ABORT', 3))).toBeNull();
    expect(state.firstUnstableOffset()).toBeNull();
    expect(state.lastEntry(5)?.coordinatorEpoch).toBe(3);
  });

  test('the last stable offset after a completion is the oldest other ongoing transaction, or just past the marker', () => {
    const state = new ProducerStateManager();
    state.update(dataBatch(0, 1, 0, true));
    state.update(dataBatch(1, 2, 0, true));
    const first = state.update(markerBatch(2, 1, 'ABORT', 0))!;
    expect(state.lastStableOffsetAfter(first)).toBe(1);
    const second = state.update(markerBatch(3, 2, 'ABORT', 0))!;
    expect(state.lastStableOffsetAfter(second)).toBe(4);
  });
});

describe('TransactionIndex', () => {
  test('collects the transactions aborted in a range, and stops at an entry whose LSO reaches the bound', () => {
    const index = new TransactionIndex();
    index.append({ producerId: 1, firstOffset: 0, lastOffset: 4, lastStableOffset: 5 });
    index.append({ producerId: 2, firstOffset: 6, lastOffset: 8, lastStableOffset: 9 });
    expect(index.collectAbortedTxns(5, 6)).toEqual({ abortedTransactions: [], isComplete: true });
    expect(index.collectAbortedTxns(5, 10)).toEqual({ abortedTransactions: [{ producerId: 2, firstOffset: 6, lastOffset: 8, lastStableOffset: 9 }], isComplete: false });
    expect(index.collectAbortedTxns(0, 5)).toEqual({ abortedTransactions: [{ producerId: 1, firstOffset: 0, lastOffset: 4, lastStableOffset: 5 }], isComplete: true });
    expect(index.collectAbortedTxns(3, 20).abortedTransactions.map((txn) => txn.producerId)).toEqual([1, 2]);
    index.truncateTo(8);
    expect(index.allAbortedTxns().map((txn) => txn.producerId)).toEqual([1]);
  });

  test('refuses an entry out of marker order', () => {
    const index = new TransactionIndex();
    index.append({ producerId: 1, firstOffset: 0, lastOffset: 4, lastStableOffset: 5 });
    expect(() => index.append({ producerId: 2, firstOffset: 0, lastOffset: 4, lastStableOffset: 5 })).toThrow(/not after/);
  });
});

describe('UnifiedLog transactions', () => {
  test('the LSO is the high watermark without transactions, and the first unstable offset with one open', () => {
    const { log } = setup();
    ok(log.appendAsLeader(records(2, 'plain'), 1, null, 1000));
    log.updateHighWatermark(2);
    expect(log.lastStableOffset).toBe(2);
    appendTxn(log, 7, 0);
    log.updateHighWatermark(4);
    expect(log.lastStableOffset).toBe(2);
    ok(appendMarker(log, 7, 'COMMIT'));
    expect(log.lastStableOffset).toBe(2);
    log.updateHighWatermark(5);
    expect(log.lastStableOffset).toBe(5);
  });

  test('without producer epoch fencing a zombie opens a transaction after its abort, and the next epoch\'s commit commits it (ksim.legacy.no.producer.epoch.fencing)', () => {
    const zombie = (log: UnifiedLog, fencesOlderProducerEpochs: boolean): LeaderAppendResult =>
      log.appendAsLeader(records(2, 'zombie-'), 1, { producerId: 7, producerEpoch: 0, baseSequence: 0 }, 1000, { isTransactional: true, fencesOlderProducerEpochs });
    const fenced = setup().log;
    // The coordinator aborted the timed-out transaction with the epoch bumped to 1.
    ok(appendMarker(fenced, 7, 'ABORT', 0, 1));
    expect(zombie(fenced, true)).toEqual({ error: 'INVALID_PRODUCER_EPOCH' });
    const { log } = setup();
    ok(appendMarker(log, 7, 'ABORT', 0, 1));
    expect(ok(zombie(log, false))).toEqual({ firstOffset: 1, lastOffset: 2, duplicate: false });
    // The successor at epoch 2 writes inside the transaction the zombie opened, and commits it.
    appendTxn(log, 7, 0, 1, 2);
    ok(appendMarker(log, 7, 'COMMIT', 0, 2));
    log.updateHighWatermark(log.logEndOffset);
    expect(log.lastStableOffset).toBe(log.logEndOffset);
    expect(log.collectAbortedTransactions(0, log.logEndOffset)).toEqual([]);
  });

  test('a transactional batch needs a producer id', () => {
    const { log } = setup();
    expect(log.appendAsLeader(records(1, 'x'), 1, null, 1000, { isTransactional: true })).toEqual({ error: 'INVALID_RECORD' });
  });

  test('aborts are indexed in the segment of their marker and found from any segment before it', () => {
    // Small segments: each transaction spans segments.
    const { log } = setup({ segmentBytes: 200 });
    appendTxn(log, 1, 0, 3);
    appendTxn(log, 2, 0, 3);
    ok(appendMarker(log, 1, 'ABORT'));
    ok(log.appendAsLeader(records(3, 'plain'), 1, null, 1000));
    ok(appendMarker(log, 2, 'COMMIT'));
    log.updateHighWatermark(log.logEndOffset);
    expect(log.segmentBaseOffsets().length).toBeGreaterThan(2);
    expect(log.collectAbortedTransactions(0, log.logEndOffset)).toEqual([{ producerId: 1, firstOffset: 0 }]);
    expect(log.collectAbortedTransactions(7, log.logEndOffset)).toEqual([]);
  });

  test('the index and the open transactions are rebuilt on load and after a truncation', () => {
    const { disk, log } = setup({ segmentBytes: 200 });
    appendTxn(log, 1, 0, 3);
    ok(appendMarker(log, 1, 'ABORT'));
    appendTxn(log, 2, 0, 3);
    const secondMarker = ok(appendMarker(log, 2, 'ABORT')).firstOffset;
    const reloaded = UnifiedLog.load(disk, DIR, { ...DEFAULT_LOG_CONFIG, segmentBytes: 200 }, 0);
    reloaded.updateHighWatermark(reloaded.logEndOffset);
    expect(reloaded.collectAbortedTransactions(0, reloaded.logEndOffset)).toEqual([
      { producerId: 1, firstOffset: 0 },
      { producerId: 2, firstOffset: 4 },
    ]);
    // Truncating the second marker away reopens producer 2's transaction and drops its abort.
    reloaded.truncateTo(secondMarker);
    expect(reloaded.collectAbortedTransactions(0, reloaded.logEndOffset)).toEqual([{ producerId: 1, firstOffset: 0 }]);
    expect(reloaded.ongoingTransactions()).toEqual([[4, 2]]);
    expect(reloaded.lastStableOffset).toBe(4);
  });
});
