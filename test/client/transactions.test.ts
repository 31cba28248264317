/**
 * The transactional producer's state (src/client/transactions.ts): the transition table, what it
 * asks the coordinator for and when, and Kafka's classes of errors.
 */
import { describe, expect, test } from 'vitest';
import { ProducerBatch } from '../../src/client/producerBatch.js';
import { TransactionManager } from '../../src/client/transactionManager.js';
import { classifyBatchError, classifyCoordinatorError, TransactionalProducerState } from '../../src/client/transactions.js';

function ready(version: 1 | 2 = 1): TransactionalProducerState {
  const state = new TransactionalProducerState('tx', 60_000);
  state.coordinator = 'b1';
  state.transactionVersion = version;
  state.transitionTo('INITIALIZING');
  state.transitionTo('READY');
  return state;
}

describe('TransactionalProducerState', () => {
  test('finds the coordinator first, then initializes', () => {
    const state = new TransactionalProducerState('tx', 60_000);
    state.transitionTo('INITIALIZING');
    expect(state.nextCoordinatorRequest(true, -1, -1)).toEqual({ kind: 'FindCoordinator' });
    state.coordinator = 'b2';
    expect(state.nextCoordinatorRequest(true, -1, -1)).toEqual({ kind: 'InitProducerId', producerId: -1, producerEpoch: -1 });
  });

  test('transaction version 1: partitions are added before their batches go out, EndTxn only once every batch is done', () => {
    const state = ready(1);
    state.transitionTo('IN_TRANSACTION');
    state.maybeAddPartition('orders-1');
    expect(state.isSendToPartitionAllowed('orders-1')).toBe(false);
    expect(state.nextCoordinatorRequest(false, 7, 0)).toEqual({ kind: 'AddPartitionsToTxn', partitions: ['orders-1'] });
    state.partitionsInTransaction.add('orders-1');
    state.newPartitionsInTransaction.clear();
    expect(state.isSendToPartitionAllowed('orders-1')).toBe(true);
    state.transitionTo('COMMITTING_TRANSACTION');
    expect(state.nextCoordinatorRequest(false, 7, 0)).toBeNull();
    expect(state.nextCoordinatorRequest(true, 7, 0)).toEqual({ kind: 'EndTxn', committed: true });
    expect(state.hasCoordinatorTransaction()).toBe(true);
  });

  test('transaction version 2: no AddPartitionsToTxn; the transaction exists at the coordinator once something was sent', () => {
    const state = ready(2);
    state.transitionTo('IN_TRANSACTION');
    state.maybeAddPartition('orders-0');
    expect(state.isSendToPartitionAllowed('orders-0')).toBe(true);
    expect(state.nextCoordinatorRequest(true, 7, 0)).toBeNull();
    expect(state.hasCoordinatorTransaction()).toBe(false);
    state.sentInTransaction = true;
    expect(state.hasCoordinatorTransaction()).toBe(true);
  });

  test('an abortable error only allows an abort; a fatal one nothing; READY forgets the transaction', () => {
    const state = ready();
    state.transitionTo('IN_TRANSACTION');
    state.failTransaction('TIMEOUT', 'abortable');
    expect(state.state).toBe('ABORTABLE_ERROR');
    expect(() => state.transitionTo('COMMITTING_TRANSACTION')).toThrow(/illegal transition ABORTABLE_ERROR → COMMITTING_TRANSACTION/);
    state.transitionTo('ABORTING_TRANSACTION');
    state.transitionTo('READY');
    expect(state.lastError).toBeNull();
    state.transitionTo('IN_TRANSACTION');
    state.failTransaction('PRODUCER_FENCED', 'fatal');
    expect(state.state).toBe('FATAL_ERROR');
    expect(() => state.transitionTo('READY')).toThrow(/illegal transition/);
  });

  test('Kafka’s classes of errors', () => {
    expect(classifyCoordinatorError('CONCURRENT_TRANSACTIONS')).toBe('retriable');
    expect(classifyCoordinatorError('NOT_COORDINATOR')).toBe('retriable');
    expect(classifyCoordinatorError('PRODUCER_FENCED')).toBe('fatal');
    expect(classifyCoordinatorError('INVALID_PRODUCER_EPOCH')).toBe('fatal');
    expect(classifyBatchError('INVALID_PRODUCER_EPOCH')).toBe('abortable');
    expect(classifyBatchError('TIMEOUT')).toBe('abortable');
    expect(classifyBatchError('PRODUCER_FENCED')).toBe('fatal');
  });
});

describe('the client-side epoch bump of a transaction version 1 producer (KIP-360)', () => {
  test('owed after an abortable error, sent with the current id and epoch, and asked again if it fails', () => {
    const manager = new TransactionManager();
    manager.nextInitProducerId(() => false);
    manager.handleInitProducerIdSuccess(7, 0, () => false);
    expect(manager.isEpochBumpPending()).toBe(false);
    manager.requestTransactionEpochBump();
    expect(manager.isEpochBumpPending()).toBe(true);
    expect(manager.nextInitProducerId(() => false)).toEqual({ producerId: 7, producerEpoch: 0 });
    // The coordinator is still completing the abort: the bump is still owed, though it names no partition.
    manager.handleInitProducerIdFailure('CONCURRENT_TRANSACTIONS');
    expect(manager.state).toBe('READY');
    expect(manager.isEpochBumpPending()).toBe(true);
    expect(manager.nextInitProducerId(() => false)).toEqual({ producerId: 7, producerEpoch: 0 });
    manager.handleInitProducerIdSuccess(7, 1, () => false);
    manager.onTransactionEpochBump(7, 1);
    expect(manager.isEpochBumpPending()).toBe(false);
    expect(manager.producerIdAndEpoch).toEqual({ producerId: 7, epoch: 1 });
  });
});

describe('OUT_OF_ORDER_SEQUENCE_NUMBER on the next expected batch (Kafka\'s canRetry)', () => {
  // kafka-transactions-swarm seed 1100: the retried first batch of a partition met a later batch
  // the broker had taken as the producer's first there; the transactional producer asked for an
  // idempotent epoch bump and retried, and its commit waited for the batch for good.
  function gap(transactional: boolean): { retried: boolean; bumpPending: boolean } {
    const manager = new TransactionManager();
    if (transactional) manager.sendToPartitionAllowed = () => true;
    manager.nextInitProducerId(() => false);
    manager.handleInitProducerIdSuccess(7, 0, () => false);
    const batch = new ProducerBatch('events', 0, 0);
    batch.tryAppend({ key: null, value: 'v', timestampMs: 0 }, () => undefined, 16_384);
    manager.onDrain(batch);
    return { retried: manager.canRetry('OUT_OF_ORDER_SEQUENCE_NUMBER', batch), bumpPending: manager.isEpochBumpPending() };
  }

  test('the idempotent producer bumps its epoch and retries', () => {
    expect(gap(false)).toEqual({ retried: true, bumpPending: true });
  });

  test('a transactional producer does not retry: the batch fails and the transaction must abort', () => {
    expect(gap(true)).toEqual({ retried: false, bumpPending: false });
  });
});
