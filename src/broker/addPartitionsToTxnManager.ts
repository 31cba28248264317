/**
 * AddPartitionsToTxnManager (KIP-890 part 1): before a partition leader appends a transactional
 * producer's first batch of a transaction, it asks the transaction coordinator whether the
 * partition is in that producer's ongoing transaction (AddPartitionsToTxn with verifyOnly). Under
 * transaction version 2 (part 2) the same request adds the partition instead: the producer no
 * longer sends AddPartitionsToTxn itself.
 *
 * Why: without it, a produce delayed in the network could land after its transaction was aborted
 * and open a transaction no coordinator knows — a hanging transaction that holds the last stable
 * offset back forever (KAFKA-14402 and its siblings). With it, such a write is refused
 * (INVALID_TXN_STATE).
 *
 * Errors the producer must retry (no coordinator known, NOT_COORDINATOR, a load in progress, a
 * timeout, a lost connection) are answered NOT_ENOUGH_REPLICAS, as Kafka's manager maps them for
 * the produce path; a fenced producer hears INVALID_PRODUCER_EPOCH, as a partition would answer.
 *
 * Timer: `broker.verify-txn-timeout/<correlationId>`.
 * Left out: batching verifications of several producers into one request per coordinator.
 */
import type { Host, NodeId } from '../host.js';
import type { AddPartitionsToTxnResponse, TopicPartition } from '../protocol/apis.js';
import type { KafkaErrorCode } from '../protocol/errors.js';
import type { TimerHandle, Timers } from './timers.js';

const VERIFY_REQUEST_TIMEOUT_MS = 30_000;

export interface TransactionToVerify {
  readonly transactionalId: string;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly partitions: readonly TopicPartition[];
}

export interface AddPartitionsToTxnContext {
  nextCorrelationId(): number;
  /** The live coordinator of the transactional id, or null. */
  coordinatorFor(transactionalId: string): NodeId | null;
  /** transaction.version: 2 adds the partitions, 1 only verifies them. */
  transactionVersion(): 1 | 2;
}

interface Pending {
  readonly destination: NodeId;
  readonly transaction: TransactionToVerify;
  readonly timer: TimerHandle;
  readonly callback: (errors: ReadonlyMap<string, KafkaErrorCode>) => void;
}

const RETRIABLE_AS_NOT_ENOUGH_REPLICAS: readonly KafkaErrorCode[] = ['NOT_COORDINATOR', 'COORDINATOR_NOT_AVAILABLE', 'COORDINATOR_LOAD_IN_PROGRESS', 'CONCURRENT_TRANSACTIONS', 'REQUEST_TIMED_OUT', 'NETWORK_EXCEPTION'];

/** What the producer hears for a partition whose verification answered `error`. */
export function verificationErrorForProduce(error: KafkaErrorCode): KafkaErrorCode {
  if (RETRIABLE_AS_NOT_ENOUGH_REPLICAS.includes(error)) return 'NOT_ENOUGH_REPLICAS';
  if (error === 'PRODUCER_FENCED') return 'INVALID_PRODUCER_EPOCH';
  if (error === 'INVALID_PRODUCER_ID_MAPPING') return 'INVALID_TXN_STATE';
  return error;
}

export class AddPartitionsToTxnManager {
  private readonly pending = new Map<number, Pending>();

  constructor(
    private readonly host: Host<unknown>,
    private readonly timers: Timers,
    private readonly context: AddPartitionsToTxnContext,
  ) {}

  /** Verifies (or, under transaction version 2, adds) the partitions; `callback` hears each partition's answer by `topic-partition`. */
  verifyTransaction(transaction: TransactionToVerify, callback: (errors: ReadonlyMap<string, KafkaErrorCode>) => void): void {
    const coordinator = this.context.coordinatorFor(transaction.transactionalId);
    if (coordinator === null) return callback(allPartitions(transaction, 'NOT_ENOUGH_REPLICAS'));
    const correlationId = this.context.nextCorrelationId();
    const timer = this.timers.schedule(`broker.verify-txn-timeout/${correlationId}`, VERIFY_REQUEST_TIMEOUT_MS, () => this.fail(correlationId));
    this.pending.set(correlationId, { destination: coordinator, transaction, timer, callback });
    const byTopic = new Map<string, number[]>();
    for (const { topic, partition } of transaction.partitions) byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
    this.host.send(
      coordinator,
      {
        api: 'AddPartitionsToTxn',
        correlationId,
        transactions: [
          {
            transactionalId: transaction.transactionalId,
            producerId: transaction.producerId,
            producerEpoch: transaction.producerEpoch,
            verifyOnly: this.context.transactionVersion() === 1,
            topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
          },
        ],
      },
      'client',
    );
  }

  handleAddPartitionsToTxnResponse(response: AddPartitionsToTxnResponse): void {
    const pending = this.pending.get(response.correlationId);
    if (pending === undefined) return;
    this.pending.delete(response.correlationId);
    this.timers.cancel(pending.timer);
    const errors = new Map<string, KafkaErrorCode>();
    for (const result of response.results) {
      for (const topic of result.topicResults) for (const partition of topic.results) errors.set(`${topic.name}-${partition.partitionIndex}`, verificationErrorForProduce(partition.partitionErrorCode));
    }
    pending.callback(errors);
  }

  handleDisconnect(peer: NodeId): void {
    for (const [correlationId, pending] of [...this.pending]) if (pending.destination === peer) this.fail(correlationId);
  }

  private fail(correlationId: number): void {
    const pending = this.pending.get(correlationId);
    if (pending === undefined) return;
    this.pending.delete(correlationId);
    this.timers.cancel(pending.timer);
    pending.callback(allPartitions(pending.transaction, 'NOT_ENOUGH_REPLICAS'));
  }
}

function allPartitions(transaction: TransactionToVerify, error: KafkaErrorCode): Map<string, KafkaErrorCode> {
  return new Map(transaction.partitions.map(({ topic, partition }) => [`${topic}-${partition}`, error]));
}
