/**
 * The transactional producer's state (the transactional half of Kafka's TransactionManager): the
 * transaction's life as the application drives it (initTransactions, beginTransaction, send,
 * commitTransaction, abortTransaction), the partitions in the transaction, and the one request to
 * the transaction coordinator that may be in flight.
 *
 * The transition table (Kafka's TransactionManager.State.isTransitionValid); any other transition
 * throws:
 *
 * | to                     | from                                                      |
 * |------------------------|-----------------------------------------------------------|
 * | INITIALIZING           | UNINITIALIZED, ABORTABLE_ERROR (after an abort, to bump)  |
 * | READY                  | INITIALIZING, COMMITTING_TRANSACTION, ABORTING_TRANSACTION |
 * | IN_TRANSACTION         | READY                                                     |
 * | COMMITTING_TRANSACTION | IN_TRANSACTION                                            |
 * | ABORTING_TRANSACTION   | IN_TRANSACTION, ABORTABLE_ERROR                           |
 * | ABORTABLE_ERROR        | IN_TRANSACTION, COMMITTING_TRANSACTION, ABORTABLE_ERROR   |
 * | FATAL_ERROR            | any                                                       |
 *
 * What the application must do for each class of error (Kafka's javadoc of KafkaProducer):
 * - fatal (PRODUCER_FENCED, INVALID_PRODUCER_EPOCH from the coordinator, INVALID_TXN_STATE,
 *   INVALID_PRODUCER_ID_MAPPING, TRANSACTIONAL_ID_AUTHORIZATION_FAILED, UNSUPPORTED_VERSION): close
 *   the producer; another instance owns the transactional id now, or the state is beyond repair.
 * - abortable (a send that failed for good: a timeout, INVALID_PRODUCER_EPOCH on produce (KIP-588),
 *   OUT_OF_ORDER_SEQUENCE_NUMBER, a verification refused...): abortTransaction, then begin again.
 * - retriable (COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS,
 *   CONCURRENT_TRANSACTIONS, a lost connection): the producer retries by itself; the application
 *   sees them only if the operation's own timeout (max.block.ms) runs out, and may call it again.
 *
 * sendOffsetsToTransaction (KIP-98, KIP-447) runs inside IN_TRANSACTION: AddOffsetsToTxn to the
 * transaction coordinator, FindCoordinator for the group, then TxnOffsetCommit to the group's
 * coordinator with the consumer's group metadata; EndTxn(commit) goes only after it.
 *
 * Invariants: at most one coordinator request in flight; partitions are added (transaction version
 * 1) before any batch of them is drained; EndTxn is sent only once every batch is done (answered,
 * failed or expired: a batch expired in flight may still reach its partition after the EndTxn).
 */
import type { NodeId } from '../host.js';
import type { TransactionVersion } from '../protocol/apis.js';
import { type KafkaErrorCode, isRetriable } from '../protocol/errors.js';
import { compareStrings } from '../util/compare.js';

export type TransactionalState =
  | 'UNINITIALIZED'
  | 'INITIALIZING'
  | 'READY'
  | 'IN_TRANSACTION'
  | 'COMMITTING_TRANSACTION'
  | 'ABORTING_TRANSACTION'
  | 'ABORTABLE_ERROR'
  | 'FATAL_ERROR';

const VALID_PREVIOUS: Readonly<Record<TransactionalState, readonly TransactionalState[]>> = {
  UNINITIALIZED: [],
  INITIALIZING: ['UNINITIALIZED', 'ABORTABLE_ERROR', 'READY'],
  READY: ['INITIALIZING', 'COMMITTING_TRANSACTION', 'ABORTING_TRANSACTION'],
  IN_TRANSACTION: ['READY'],
  COMMITTING_TRANSACTION: ['IN_TRANSACTION'],
  ABORTING_TRANSACTION: ['IN_TRANSACTION', 'ABORTABLE_ERROR'],
  ABORTABLE_ERROR: ['IN_TRANSACTION', 'COMMITTING_TRANSACTION', 'ABORTABLE_ERROR'],
  FATAL_ERROR: ['UNINITIALIZED', 'INITIALIZING', 'READY', 'IN_TRANSACTION', 'COMMITTING_TRANSACTION', 'ABORTING_TRANSACTION', 'ABORTABLE_ERROR', 'FATAL_ERROR'],
};

export type TransactionErrorClass = 'fatal' | 'abortable' | 'retriable';

const FATAL_ERRORS: ReadonlySet<KafkaErrorCode> = new Set<KafkaErrorCode>(['PRODUCER_FENCED', 'INVALID_TXN_STATE', 'INVALID_PRODUCER_ID_MAPPING', 'UNSUPPORTED_VERSION', 'INVALID_TRANSACTION_TIMEOUT', 'TRANSACTION_COORDINATOR_FENCED']);
const RETRIABLE_COORDINATOR_ERRORS: ReadonlySet<KafkaErrorCode> = new Set<KafkaErrorCode>(['COORDINATOR_NOT_AVAILABLE', 'NOT_COORDINATOR', 'COORDINATOR_LOAD_IN_PROGRESS', 'CONCURRENT_TRANSACTIONS', 'NETWORK_EXCEPTION', 'REQUEST_TIMED_OUT']);

/** How the producer treats an error from the transaction coordinator. */
export function classifyCoordinatorError(error: KafkaErrorCode): TransactionErrorClass {
  if (RETRIABLE_COORDINATOR_ERRORS.has(error)) return 'retriable';
  // From the coordinator, an old epoch means another instance took over (KIP-588 maps it to fenced).
  if (FATAL_ERRORS.has(error) || error === 'INVALID_PRODUCER_EPOCH') return 'fatal';
  return isRetriable(error) ? 'retriable' : 'abortable';
}

/** How a batch that failed for good affects the transaction: fenced is fatal, anything else makes it abortable. */
export function classifyBatchError(error: KafkaErrorCode | 'TIMEOUT'): TransactionErrorClass {
  if (error === 'PRODUCER_FENCED' || error === 'TRANSACTION_COORDINATOR_FENCED') return 'fatal';
  return 'abortable';
}

/**
 * How the producer treats an error of TxnOffsetCommit (Kafka's TxnOffsetCommitHandler): a group
 * coordinator that moved or is loading is retried; a consumer fenced from its group (KIP-447:
 * UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, FENCED_INSTANCE_ID, and STALE_MEMBER_EPOCH from a KIP-848
 * group) makes the transaction abortable (CommitFailedException: the application aborts, and its
 * consumer rejoins); a fenced producer, or anything unexpected, is fatal.
 */
export function classifyTxnOffsetCommitError(error: KafkaErrorCode): TransactionErrorClass {
  if (RETRIABLE_COORDINATOR_ERRORS.has(error) || error === 'UNKNOWN_TOPIC_OR_PARTITION') return 'retriable';
  if (error === 'UNKNOWN_MEMBER_ID' || error === 'ILLEGAL_GENERATION' || error === 'FENCED_INSTANCE_ID' || error === 'STALE_MEMBER_EPOCH' || error === 'REBALANCE_IN_PROGRESS') return 'abortable';
  return 'fatal';
}

/**
 * KafkaConsumer.groupMetadata(): what sendOffsetsToTransaction hands the group coordinator so it
 * can refuse the offsets of a consumer that is no longer the partitions' owner (KIP-447).
 */
export interface ConsumerGroupMetadata {
  readonly groupId: string;
  /** The generation (classic) or member epoch (KIP-848); -1 outside a group. */
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
}

/** An offset to commit in the transaction: the next offset to consume, and the leader epoch of the last record consumed. */
export interface TransactionalOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly leaderEpoch: number | null;
}

/** sendOffsetsToTransaction in progress: AddOffsetsToTxn, then FindCoordinator for the group, then TxnOffsetCommit. */
export interface PendingTransactionalOffsets {
  readonly offsets: readonly TransactionalOffset[];
  readonly groupMetadata: ConsumerGroupMetadata;
  /** The transaction coordinator has the group's offsets partition in the transaction. */
  added: boolean;
  groupCoordinator: NodeId | null;
}

/** The outcome the application gets from initTransactions, sendOffsetsToTransaction, commitTransaction or abortTransaction. */
export type TransactionOutcome = { readonly ok: true } | { readonly ok: false; readonly error: KafkaErrorCode | 'TIMEOUT'; readonly errorClass: TransactionErrorClass };

/** A request the producer should send to the coordinator now. */
export type CoordinatorRequest =
  | { readonly kind: 'FindCoordinator' }
  | { readonly kind: 'InitProducerId'; readonly producerId: number; readonly producerEpoch: number }
  | { readonly kind: 'AddPartitionsToTxn'; readonly partitions: readonly string[] }
  | { readonly kind: 'EndTxn'; readonly committed: boolean }
  | { readonly kind: 'AddOffsetsToTxn'; readonly groupId: string }
  | { readonly kind: 'FindGroupCoordinator'; readonly groupId: string }
  | { readonly kind: 'TxnOffsetCommit' };

/** The requests of sendOffsetsToTransaction that go to the group's coordinator rather than the transaction's. */
export function isGroupCoordinatorRequest(kind: CoordinatorRequest['kind']): boolean {
  return kind === 'FindGroupCoordinator' || kind === 'TxnOffsetCommit';
}

export class TransactionalProducerState {
  private stateValue: TransactionalState = 'UNINITIALIZED';
  coordinator: NodeId | null = null;
  transactionVersion: TransactionVersion = 1;
  /** Partitions the coordinator has in the transaction. */
  readonly partitionsInTransaction = new Set<string>();
  /** Partitions with records in this transaction, not yet added. */
  readonly newPartitionsInTransaction = new Set<string>();
  /** Partitions in the AddPartitionsToTxn in flight. */
  readonly pendingPartitionsInTransaction = new Set<string>();
  /** Whether any batch of this transaction was sent (transaction version 2 adds partitions implicitly). */
  sentInTransaction = false;
  /** sendOffsetsToTransaction in progress, or null. */
  pendingOffsets: PendingTransactionalOffsets | null = null;
  /** Whether the coordinator added a group's offsets to this transaction (AddOffsetsToTxn). */
  offsetsAddedInTransaction = false;
  private lastErrorValue: { error: KafkaErrorCode | 'TIMEOUT'; errorClass: TransactionErrorClass } | null = null;
  /** The application's call waiting for its outcome, with its deadline (max.block.ms). */
  pendingResult: { readonly operation: 'init' | 'sendOffsets' | 'commit' | 'abort'; readonly deadlineMs: number; readonly callback: (outcome: TransactionOutcome) => void } | null = null;
  /** An epoch bump is owed once the abort completes (transaction version 1, after a sequence error). */
  bumpAfterAbort = false;

  constructor(
    readonly transactionalId: string,
    readonly transactionTimeoutMs: number,
  ) {}

  get state(): TransactionalState {
    return this.stateValue;
  }

  get lastError(): { error: KafkaErrorCode | 'TIMEOUT'; errorClass: TransactionErrorClass } | null {
    return this.lastErrorValue;
  }

  transitionTo(next: TransactionalState, error?: { error: KafkaErrorCode | 'TIMEOUT'; errorClass: TransactionErrorClass }): void {
    if (!VALID_PREVIOUS[next].includes(this.stateValue)) throw new Error(`transactional producer ${this.transactionalId}: illegal transition ${this.stateValue} → ${next}`);
    if (next === 'FATAL_ERROR' || next === 'ABORTABLE_ERROR') this.lastErrorValue = error ?? this.lastErrorValue;
    if (next === 'READY') {
      this.lastErrorValue = null;
      this.partitionsInTransaction.clear();
      this.newPartitionsInTransaction.clear();
      this.pendingPartitionsInTransaction.clear();
      this.sentInTransaction = false;
      this.offsetsAddedInTransaction = false;
    }
    // Offsets not yet committed when the transaction can no longer commit are dropped with it.
    if (next !== 'IN_TRANSACTION' && next !== 'COMMITTING_TRANSACTION') this.pendingOffsets = null;
    this.stateValue = next;
  }

  /** Moves to ABORTABLE_ERROR (or FATAL_ERROR) unless already worse. */
  failTransaction(error: KafkaErrorCode | 'TIMEOUT', errorClass: TransactionErrorClass): void {
    if (this.stateValue === 'FATAL_ERROR') return;
    if (errorClass === 'fatal') return this.transitionTo('FATAL_ERROR', { error, errorClass });
    if (this.stateValue === 'IN_TRANSACTION' || this.stateValue === 'COMMITTING_TRANSACTION' || this.stateValue === 'ABORTABLE_ERROR') this.transitionTo('ABORTABLE_ERROR', { error, errorClass });
  }

  /** May a batch of partition `tp` be drained? Under transaction version 1 only once the coordinator has added it. */
  isSendToPartitionAllowed(tp: string): boolean {
    if (this.stateValue === 'FATAL_ERROR') return false;
    if (this.transactionVersion === 2) return true;
    return this.partitionsInTransaction.has(tp);
  }

  /** A record joined a batch of `tp` in this transaction. */
  maybeAddPartition(tp: string): void {
    if (this.transactionVersion === 2 || this.partitionsInTransaction.has(tp) || this.pendingPartitionsInTransaction.has(tp)) return;
    this.newPartitionsInTransaction.add(tp);
  }

  /**
   * The coordinator request due now, given whether every batch of the transaction has completed
   * (`allBatchesDone`); null when there is none.
   */
  nextCoordinatorRequest(allBatchesDone: boolean, producerId: number, producerEpoch: number): CoordinatorRequest | null {
    if (this.stateValue === 'UNINITIALIZED' || this.stateValue === 'FATAL_ERROR') return null;
    if (this.coordinator === null) return { kind: 'FindCoordinator' };
    switch (this.stateValue) {
      case 'INITIALIZING':
        return { kind: 'InitProducerId', producerId, producerEpoch };
      case 'IN_TRANSACTION':
        if (this.newPartitionsInTransaction.size > 0) return { kind: 'AddPartitionsToTxn', partitions: [...this.newPartitionsInTransaction].sort(compareStrings) };
        return this.offsetsRequest();
      case 'COMMITTING_TRANSACTION':
        if (this.newPartitionsInTransaction.size > 0) return { kind: 'AddPartitionsToTxn', partitions: [...this.newPartitionsInTransaction].sort(compareStrings) };
        // EndTxn goes after the offsets: Kafka queues it behind TxnOffsetCommit.
        if (this.pendingOffsets !== null) return this.offsetsRequest();
        return allBatchesDone ? { kind: 'EndTxn', committed: true } : null;
      case 'ABORTING_TRANSACTION':
        return allBatchesDone ? { kind: 'EndTxn', committed: false } : null;
      case 'READY':
      case 'ABORTABLE_ERROR':
        return null;
      default: {
        const unreachable: never = this.stateValue;
        throw new Error(`unknown state ${String(unreachable)}`);
      }
    }
  }

  /**
   * The next step of sendOffsetsToTransaction (Kafka's AddOffsetsToTxnHandler, then
   * TxnOffsetCommitHandler): the transaction coordinator adds the group's offsets partition to the
   * transaction (under both transaction versions here: ksim's TxnOffsetCommit does not add it
   * implicitly), then the group's coordinator is found and takes the offsets.
   */
  private offsetsRequest(): CoordinatorRequest | null {
    const pending = this.pendingOffsets;
    if (pending === null) return null;
    if (!pending.added) return { kind: 'AddOffsetsToTxn', groupId: pending.groupMetadata.groupId };
    if (pending.groupCoordinator === null) return { kind: 'FindGroupCoordinator', groupId: pending.groupMetadata.groupId };
    return { kind: 'TxnOffsetCommit' };
  }

  /** Does this transaction need an EndTxn at all? Not when the coordinator never heard of it. */
  hasCoordinatorTransaction(): boolean {
    if (this.offsetsAddedInTransaction) return true;
    return this.transactionVersion === 2 ? this.sentInTransaction : this.partitionsInTransaction.size > 0 || this.pendingPartitionsInTransaction.size > 0;
  }

  /** Completes the application's pending call. */
  completePending(outcome: TransactionOutcome): void {
    const pending = this.pendingResult;
    if (pending === null) return;
    this.pendingResult = null;
    pending.callback(outcome);
  }
}
