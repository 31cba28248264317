/**
 * One transactional id's state at its coordinator (Kafka's TransactionMetadata and
 * TransactionState): the producer id and epoch it owns, the partitions of its ongoing transaction,
 * and where that transaction stands.
 *
 * The transition table (Kafka's TransactionState.validPreviousStates, checked pair by pair against
 * kafka-transaction-coordinator 4.1.1 in test/conformance/transactionStates.test.ts); any other
 * transition is a bug in the coordinator and throws:
 *
 * | to                 | from                                        | why                                         |
 * |--------------------|---------------------------------------------|---------------------------------------------|
 * | Empty              | Empty, CompleteCommit, CompleteAbort        | InitProducerId (a new epoch, no transaction) |
 * | Ongoing            | Ongoing, Empty, CompleteCommit, CompleteAbort | partitions added (AddPartitionsToTxn, AddOffsetsToTxn, an implicit add) |
 * | PrepareCommit      | Ongoing                                     | EndTxn(commit): the decision is durable once written |
 * | PrepareAbort       | Ongoing, PrepareEpochFence, Empty, CompleteCommit, CompleteAbort | EndTxn(abort), a timeout, or a fenced producer; from Empty or Complete*, transaction version 2's abort with an epoch bump (KAFKA-14563) |
 * | CompleteCommit     | PrepareCommit                               | every partition has its COMMIT marker        |
 * | CompleteAbort      | PrepareAbort                                | every partition has its ABORT marker         |
 * | PrepareEpochFence  | Ongoing                                     | a new InitProducerId or a timeout fences the producer before aborting |
 * | Dead               | Empty, CompleteCommit, CompleteAbort        | transactional.id.expiration.ms (not modelled) |
 *
 * PrepareEpochFence is in-memory only: Kafka writes the bumped epoch with PrepareAbort, and a
 * coordinator that fails in between reloads the transaction as Ongoing and fences it again.
 *
 * Invariants: partitions are non-empty only in Ongoing, PrepareCommit and PrepareAbort (and the
 * fence between); the epoch never goes down for one producer id.
 *
 * Left out: epoch exhaustion (a new producer id once the epoch reaches Short.MAX_VALUE - 1; runs
 * never get there) and transactional id expiration.
 */
import type { TransactionVersion } from '../protocol/apis.js';
import { compareStrings } from '../util/compare.js';

export type TransactionState = 'Empty' | 'Ongoing' | 'PrepareCommit' | 'PrepareAbort' | 'CompleteCommit' | 'CompleteAbort' | 'PrepareEpochFence' | 'Dead';

const VALID_PREVIOUS_STATES: Readonly<Record<TransactionState, readonly TransactionState[]>> = {
  Empty: ['Empty', 'CompleteCommit', 'CompleteAbort'],
  Ongoing: ['Ongoing', 'Empty', 'CompleteCommit', 'CompleteAbort'],
  PrepareCommit: ['Ongoing'],
  PrepareAbort: ['Ongoing', 'PrepareEpochFence', 'Empty', 'CompleteCommit', 'CompleteAbort'],
  CompleteCommit: ['PrepareCommit'],
  CompleteAbort: ['PrepareAbort'],
  PrepareEpochFence: ['Ongoing'],
  Dead: ['Empty', 'CompleteCommit', 'CompleteAbort'],
};

export function isValidTransition(from: TransactionState, to: TransactionState): boolean {
  return VALID_PREVIOUS_STATES[to].includes(from);
}

/** What `__transaction_state` stores for a transactional id (Kafka's TransactionLogValue). */
export interface TransactionMetadata {
  readonly transactionalId: string;
  readonly producerId: number;
  /** The epoch before the last bump, so a retried EndTxn of transaction version 2 is recognised; -1 if none. */
  readonly lastProducerEpoch: number;
  readonly producerEpoch: number;
  readonly transactionTimeoutMs: number;
  readonly state: TransactionState;
  /** `topic-partition` keys, sorted. */
  readonly partitions: readonly string[];
  /** When the ongoing transaction began (its first partition was added), or -1. */
  readonly txnStartTimestampMs: number;
  readonly txnLastUpdateTimestampMs: number;
  /** The protocol the transaction runs under (KIP-890). */
  readonly clientTransactionVersion: TransactionVersion;
}

/** The state after a transition, checked against the table. */
export function transitionTo(metadata: TransactionMetadata, state: TransactionState, changes: Partial<Omit<TransactionMetadata, 'state' | 'transactionalId'>>): TransactionMetadata {
  if (!isValidTransition(metadata.state, state)) {
    throw new Error(`transactional id ${metadata.transactionalId}: illegal transition ${metadata.state} → ${state}`);
  }
  const next: TransactionMetadata = { ...metadata, ...changes, state };
  if (next.producerEpoch < metadata.producerEpoch && next.producerId === metadata.producerId) {
    throw new Error(`transactional id ${metadata.transactionalId}: epoch ${next.producerEpoch} below ${metadata.producerEpoch}`);
  }
  return next;
}

/** The partitions in a transaction's key form. */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

/** Splits a partition key back (topic names may contain '-': the index is after the last one). */
export function parsePartitionKey(key: string): { topic: string; partition: number } {
  const dash = key.lastIndexOf('-');
  return { topic: key.slice(0, dash), partition: Number(key.slice(dash + 1)) };
}

export function isCompleteOrEmpty(state: TransactionState): boolean {
  return state === 'Empty' || state === 'CompleteCommit' || state === 'CompleteAbort';
}

export function sortedUnion(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])].sort(compareStrings);
}
