/**
 * sendOffsetsToTransaction's part of the transactional producer's state (src/client/transactions.ts):
 * AddOffsetsToTxn, then FindCoordinator for the group, then TxnOffsetCommit, and EndTxn only after
 * them; Kafka's classes of TxnOffsetCommit errors (KIP-447's fencing is abortable, a fenced producer
 * fatal, a moved coordinator retriable).
 */
import { describe, expect, test } from 'vitest';
import { classifyTxnOffsetCommitError, TransactionalProducerState } from '../../src/client/transactions.js';

const GROUP = { groupId: 'g', generationId: 3, memberId: 'm', groupInstanceId: null };

function inTransaction(): TransactionalProducerState {
  const state = new TransactionalProducerState('tx', 60_000);
  state.coordinator = 'b1';
  state.transactionVersion = 2;
  state.transitionTo('INITIALIZING');
  state.transitionTo('READY');
  state.transitionTo('IN_TRANSACTION');
  return state;
}

describe('sendOffsetsToTransaction', () => {
  test('AddOffsetsToTxn, then the group coordinator, then TxnOffsetCommit; EndTxn waits for them', () => {
    const state = inTransaction();
    state.pendingOffsets = { offsets: [{ topic: 'in', partition: 0, offset: 5, leaderEpoch: 1 }], groupMetadata: GROUP, added: false, groupCoordinator: null };
    expect(state.nextCoordinatorRequest(true, 7, 0)).toEqual({ kind: 'AddOffsetsToTxn', groupId: 'g' });
    state.pendingOffsets.added = true;
    state.offsetsAddedInTransaction = true;
    expect(state.nextCoordinatorRequest(true, 7, 0)).toEqual({ kind: 'FindGroupCoordinator', groupId: 'g' });
    state.pendingOffsets.groupCoordinator = 'b3';
    state.transitionTo('COMMITTING_TRANSACTION');
    // The application called commit before the offsets were in: EndTxn still waits.
    expect(state.nextCoordinatorRequest(true, 7, 0)).toEqual({ kind: 'TxnOffsetCommit' });
    state.pendingOffsets = null;
    expect(state.nextCoordinatorRequest(true, 7, 0)).toEqual({ kind: 'EndTxn', committed: true });
    // Offsets alone make a transaction the coordinator knows (transaction version 2 sent no batch).
    expect(state.hasCoordinatorTransaction()).toBe(true);
  });

  test('offsets not yet committed are dropped when the transaction can no longer commit', () => {
    const state = inTransaction();
    state.pendingOffsets = { offsets: [], groupMetadata: GROUP, added: true, groupCoordinator: 'b3' };
    state.failTransaction('ILLEGAL_GENERATION', 'abortable');
    expect(state.pendingOffsets).toBeNull();
    expect(state.nextCoordinatorRequest(true, 7, 0)).toBeNull();
  });

  test("Kafka's error classes for TxnOffsetCommit", () => {
    for (const fenced of ['ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'FENCED_INSTANCE_ID', 'STALE_MEMBER_EPOCH'] as const) expect(classifyTxnOffsetCommitError(fenced)).toBe('abortable');
    for (const moved of ['NOT_COORDINATOR', 'COORDINATOR_NOT_AVAILABLE', 'COORDINATOR_LOAD_IN_PROGRESS', 'REQUEST_TIMED_OUT'] as const) expect(classifyTxnOffsetCommitError(moved)).toBe('retriable');
    expect(classifyTxnOffsetCommitError('INVALID_PRODUCER_EPOCH')).toBe('fatal');
    expect(classifyTxnOffsetCommitError('PRODUCER_FENCED')).toBe('fatal');
    expect(classifyTxnOffsetCommitError('INVALID_GROUP_ID')).toBe('fatal');
  });
});
