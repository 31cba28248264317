/**
 * Kafka's producer (KafkaProducer with its Sender and the producer's side of NetworkClient) as a
 * state machine embedded in a node, like the raft client: the node forwards `handleStart`,
 * `handleMessage`, `handleTimer` (the producer's tags start with `producer.`) and
 * `handleDisconnect`, and calls `send`.
 *
 * What it models:
 * - send: the record waits for its topic's metadata (at most max.block.ms), is partitioned, and joins
 *   a batch; its callback fires exactly once: with its offset (baseOffset + its index in the batch)
 *   when the batch is acknowledged, or with an error when the batch fails for good — a non-retriable
 *   error, or delivery.timeout.ms after the batch was created (TIMEOUT, Kafka's TimeoutException).
 * - the sender loop (`runOnce`): request timeouts, expiry, the idempotent producer's InitProducerId
 *   and epoch bumps, metadata refreshes, then draining ready batches into Produce requests, at most
 *   max.in.flight.requests.per.connection unanswered requests per broker.
 * - responses: success; retriable errors go back to the accumulator after an exponential backoff;
 *   DUPLICATE_SEQUENCE_NUMBER counts as success (the broker already has the batch, but no longer
 *   knows its offset, so the offset is -1, as in Kafka); errors that mean stale metadata
 *   (NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_OR_PARTITION, LEADER_NOT_AVAILABLE, FENCED_LEADER_EPOCH,
 *   a lost connection, ...) also ask for a metadata refresh.
 * - a request unanswered for request.timeout.ms closes the connection (host.disconnect), which fails
 *   every request on it; their batches are retried. With acks=all such a batch may well be in the log
 *   already: without idempotence the retry writes it twice, which is why idempotence exists.
 * - acks=0: no response is expected; the callbacks fire when the request is sent, with offset -1.
 * - every request goes to a broker with host.send(..., 'client'); responses match by correlationId.
 *
 * Trace events (for narration; the embedding node records the client history):
 *   {type:'producer.batch', partition, baseSequence, attempt, broker} when a batch is sent;
 *   {type:'producer.epoch', producerId, producerEpoch} when InitProducerId succeeds.
 *
 * Transactions (with transactional.id, transactions.ts): initTransactions, beginTransaction, send,
 * commitTransaction and abortTransaction; the coordinator is found with FindCoordinator (KeyType
 * TRANSACTION), and InitProducerId, AddPartitionsToTxn (transaction version 1 only) and EndTxn go
 * to it, one at a time. Produce requests carry the transactional id and transactional batches.
 * Trace events: {type:'producer.txn', state, transactionalId, producerId, producerEpoch, error?}
 * whenever the transactional state changes.
 *
 * sendOffsetsToTransaction (the consume-transform-produce loop, KIP-98 and KIP-447): AddOffsetsToTxn
 * to the transaction coordinator, then FindCoordinator (KeyType GROUP) and TxnOffsetCommit with the
 * consumer's group metadata to the group's coordinator; commitTransaction's EndTxn waits for them.
 * Trace events: {type:'producer.txn-offsets', transactionalId, groupId, offsets, error?} when
 * TxnOffsetCommit is answered.
 *
 * Left out: flush()/close(), max.request.size, buffer.memory, compression, batch
 * splitting on MESSAGE_TOO_LARGE, KIP-951 leader hints, and ApiVersions.
 */

import type { Host, NodeId, TimerId } from '../host.js';
import type { SimpleRecord } from '../log/recordBatch.js';
import type {
  AddOffsetsToTxnResponse,
  AddPartitionsToTxnResponse,
  EndTxnResponse,
  FindCoordinatorResponse,
  InitProducerIdResponse,
  KafkaRequest,
  MetadataResponse,
  ProduceResponse,
  TxnOffsetCommitResponse,
} from '../protocol/apis.js';
import { type KafkaErrorCode, isRetriable } from '../protocol/errors.js';
import { RecordAccumulator } from './accumulator.js';
import type { ProducerConfig } from './config.js';
import { ClientMetadata } from './metadata.js';
import { BuiltInPartitioner } from './partitioner.js';
import { INVALID_OFFSET, type ProducerBatch, type SendCallback } from './producerBatch.js';
import { retryBackoffMs } from './retryBackoff.js';
import { TransactionManager } from './transactionManager.js';
import {
  classifyBatchError,
  classifyCoordinatorError,
  classifyTxnOffsetCommitError,
  type ConsumerGroupMetadata,
  type CoordinatorRequest,
  isGroupCoordinatorRequest,
  type TransactionalOffset,
  type TransactionalState,
  TransactionalProducerState,
  type TransactionOutcome,
} from './transactions.js';

export type { SendCallback, SendResult } from './producerBatch.js';

const WAKEUP_TIMER = 'producer.wakeup';
/** The partition reported for a record that failed before it was partitioned. */
export const UNKNOWN_PARTITION = -1;
/** Kafka's idempotent producer asks InitProducerId with Integer.MAX_VALUE as its transaction timeout. */
const IDEMPOTENT_TRANSACTION_TIMEOUT_MS = 0x7fff_ffff;

/** Errors that mean the producer's metadata is stale (Kafka's InvalidMetadataException and friends). */
const INVALID_METADATA_ERRORS: ReadonlySet<KafkaErrorCode> = new Set<KafkaErrorCode>([
  'NOT_LEADER_OR_FOLLOWER',
  'UNKNOWN_TOPIC_OR_PARTITION',
  'LEADER_NOT_AVAILABLE',
  'FENCED_LEADER_EPOCH',
  'UNKNOWN_LEADER_EPOCH',
  'KAFKA_STORAGE_ERROR',
  'NETWORK_EXCEPTION',
  'REQUEST_TIMED_OUT',
]);

/**
 * Errors a leader answers before it appends anything, so the attempt certainly left no record in a
 * log. Every other error (a lost response, REQUEST_TIMED_OUT or NOT_ENOUGH_REPLICAS_AFTER_APPEND from
 * acks=all, NOT_LEADER_OR_FOLLOWER from a leader deposed while it waited for its followers, ...) may
 * follow an append.
 */
const REJECTED_BEFORE_APPEND: ReadonlySet<KafkaErrorCode> = new Set<KafkaErrorCode>([
  'NOT_ENOUGH_REPLICAS',
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
  'INVALID_REQUIRED_ACKS',
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
  'INVALID_PRODUCER_EPOCH',
  'PRODUCER_FENCED',
  'UNKNOWN_PRODUCER_ID',
  'UNKNOWN_TOPIC_OR_PARTITION',
]);

export interface ProducerOptions {
  /** bootstrap.servers: brokers to ask for metadata until a MetadataResponse names the live ones. */
  readonly bootstrapBrokers: readonly NodeId[];
  readonly config: ProducerConfig;
}

type OutstandingRequest =
  | { readonly kind: 'Metadata'; readonly broker: NodeId; readonly deadlineMs: number }
  | { readonly kind: 'Coordinator'; readonly broker: NodeId; readonly deadlineMs: number; readonly request: CoordinatorRequest }
  | { readonly kind: 'InitProducerId'; readonly broker: NodeId; readonly deadlineMs: number }
  | { readonly kind: 'Produce'; readonly broker: NodeId; readonly deadlineMs: number; readonly batches: readonly ProducerBatch[] };

const RESPONSE_KIND: Readonly<Record<string, OutstandingRequest['kind']>> = {
  MetadataResponse: 'Metadata',
  InitProducerIdResponse: 'InitProducerId',
  ProduceResponse: 'Produce',
  FindCoordinatorResponse: 'Coordinator',
  AddPartitionsToTxnResponse: 'Coordinator',
  AddOffsetsToTxnResponse: 'Coordinator',
  TxnOffsetCommitResponse: 'Coordinator',
  EndTxnResponse: 'Coordinator',
};

interface PendingRecord {
  readonly topic: string;
  readonly record: SimpleRecord;
  readonly callback: SendCallback;
  readonly deadlineMs: number;
}

export class Producer {
  readonly config: ProducerConfig;
  readonly metadata: ClientMetadata;
  readonly accumulator: RecordAccumulator;
  /** Null unless enable.idempotence. */
  readonly transactionManager: TransactionManager | null;
  /** Null unless transactional.id. */
  readonly transactional: TransactionalProducerState | null;
  private coordinatorAttempts = 0;
  private coordinatorNextAllowedMs = Number.NEGATIVE_INFINITY;
  private readonly partitioner: BuiltInPartitioner;
  private readonly outstanding = new Map<number, OutstandingRequest>();
  /** Correlation ids of requests given up on (timed out or disconnected): late answers are ours but ignored. */
  private readonly abandoned = new Set<number>();
  /** Records waiting for their topic's metadata, in send order. */
  private pending: PendingRecord[] = [];
  private correlationIdNext = 1;
  private started = false;
  private polling = false;
  private pollAgain = false;
  private wakeup: { readonly id: TimerId; readonly atMs: number } | null = null;
  private nextReadyCheckMs = Number.POSITIVE_INFINITY;
  private metadataAttempts = 0;
  private metadataNextAllowedMs = Number.NEGATIVE_INFINITY;
  private initAttempts = 0;
  private initNextAllowedMs = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly host: Host<unknown>,
    options: ProducerOptions,
  ) {
    this.config = options.config;
    this.metadata = new ClientMetadata(options.bootstrapBrokers);
    this.accumulator = new RecordAccumulator({
      batchSize: this.config.batchSize,
      lingerMs: this.config.lingerMs,
      deliveryTimeoutMs: this.config.deliveryTimeoutMs,
      guaranteeMessageOrder: this.config.maxInFlightRequestsPerConnection === 1,
    });
    this.transactionManager = this.config.enableIdempotence ? new TransactionManager() : null;
    if (this.config.enableIdempotence && this.config.acks !== -1) throw new Error('Producer: idempotence requires acks=all');
    const transactionalId = this.config.transactionalId;
    if (transactionalId !== null && this.transactionManager === null) throw new Error('Producer: a transactional.id requires idempotence');
    this.transactional = transactionalId === null ? null : new TransactionalProducerState(transactionalId, this.config.transactionTimeoutMs);
    if (this.transactional !== null && this.transactionManager !== null) {
      const transactional = this.transactional;
      this.transactionManager.sendToPartitionAllowed = (tp) => transactional.isSendToPartitionAllowed(tp);
    }
    this.partitioner = new BuiltInPartitioner(host.random, this.config.partitionerIgnoreKeys);
  }

  // ---------------------------------------------------------------------------------------------
  // Inputs from the owning node.

  handleStart(): void {
    if (this.started) throw new Error('Producer.handleStart: already started');
    this.started = true;
    this.poll();
  }

  /** Handles a response to one of this producer's requests and returns true; false for anything else. */
  handleMessage(from: NodeId, message: unknown): boolean {
    const response = asResponse(message);
    if (response === null) return false;
    const request = this.outstanding.get(response.correlationId);
    if (request === undefined || request.broker !== from || request.kind !== RESPONSE_KIND[response.api]) {
      return this.abandoned.has(response.correlationId);
    }
    this.outstanding.delete(response.correlationId);
    const nowMs = this.host.nowMs();
    switch (response.api) {
      case 'MetadataResponse':
        this.handleMetadataResponse(response, nowMs);
        break;
      case 'InitProducerIdResponse':
        this.handleInitProducerIdResponse(response, nowMs);
        break;
      case 'ProduceResponse':
        if (request.kind !== 'Produce') throw new Error('handleMessage: kind mismatch');
        this.handleProduceResponse(request.batches, response, nowMs);
        break;
      case 'FindCoordinatorResponse':
      case 'AddPartitionsToTxnResponse':
      case 'AddOffsetsToTxnResponse':
      case 'TxnOffsetCommitResponse':
      case 'EndTxnResponse':
        if (request.kind !== 'Coordinator') throw new Error('handleMessage: kind mismatch');
        this.handleCoordinatorResponse(request.request, response, nowMs);
        break;
    }
    this.poll();
    return true;
  }

  handleTimer(tag: string, id?: TimerId): boolean {
    if (!tag.startsWith('producer.')) return false;
    if (tag !== WAKEUP_TIMER || this.wakeup === null || (id !== undefined && id !== this.wakeup.id)) return true;
    this.wakeup = null;
    this.poll();
    return true;
  }

  handleDisconnect(peer: NodeId): void {
    if (!this.started) return;
    this.failRequestsTo(peer, 'NETWORK_EXCEPTION', this.host.nowMs());
    this.poll();
  }

  // ---------------------------------------------------------------------------------------------
  // The application API.

  /** KafkaProducer.send: the callback fires exactly once (see the header). */
  send(topic: string, key: string | null, value: string, callback: SendCallback): void {
    if (!this.started) throw new Error('Producer.send before handleStart');
    const nowMs = this.host.nowMs();
    const fatal = this.transactionManager?.lastError ?? null;
    if (fatal !== null) {
      callback({ partition: UNKNOWN_PARTITION, error: fatal, definite: true });
      return;
    }
    const transactional = this.transactional;
    if (transactional !== null && transactional.state !== 'IN_TRANSACTION') {
      // Kafka throws: outside a transaction (IllegalStateException), or the transaction's own error
      // once it must be aborted.
      callback({ partition: UNKNOWN_PARTITION, error: transactional.lastError?.error ?? 'INVALID_TXN_STATE', definite: true });
      return;
    }
    this.metadata.addTopic(topic);
    this.pending.push({ topic, record: { key, value, timestampMs: nowMs }, callback, deadlineMs: nowMs + this.config.maxBlockMs });
    this.poll();
  }

  /** Unanswered requests to a broker (what max.in.flight.requests.per.connection bounds). */
  inFlightRequestCount(broker: NodeId): number {
    let count = 0;
    for (const request of this.outstanding.values()) if (request.broker === broker) count++;
    return count;
  }

  // ---------------------------------------------------------------------------------------------
  // The transactional API (KafkaProducer's; each outcome arrives by callback, within max.block.ms).

  /** KafkaProducer.initTransactions: gets the producer id and epoch, fencing earlier instances. */
  initTransactions(callback: (outcome: TransactionOutcome) => void): void {
    const transactional = this.transactionalOrThrow('initTransactions');
    // Called again after a timeout, it waits for the same initialization (Kafka's pending result).
    if (transactional.state !== 'UNINITIALIZED' && transactional.state !== 'INITIALIZING') throw new Error(`initTransactions in ${transactional.state}`);
    if (transactional.state === 'UNINITIALIZED') this.transitionTransactional('INITIALIZING');
    transactional.pendingResult = { operation: 'init', deadlineMs: this.host.nowMs() + this.config.maxBlockMs, callback };
    this.poll();
  }

  /** KafkaProducer.beginTransaction: local only; the coordinator hears of it with the first partition. */
  beginTransaction(): void {
    const transactional = this.transactionalOrThrow('beginTransaction');
    if (transactional.state !== 'READY') throw new Error(`beginTransaction in ${transactional.state}`);
    this.transitionTransactional('IN_TRANSACTION');
  }

  /**
   * KafkaProducer.sendOffsetsToTransaction: commits the consumer's offsets as part of the
   * transaction, so they take effect exactly when its records do. `groupMetadata` is the
   * consumer's (KafkaConsumer.groupMetadata), so a consumer fenced from the group fails it
   * (abortable). The callback hears once TxnOffsetCommit is answered; commitTransaction should wait
   * for it (Kafka's call blocks).
   */
  sendOffsetsToTransaction(offsets: readonly TransactionalOffset[], groupMetadata: ConsumerGroupMetadata, callback: (outcome: TransactionOutcome) => void): void {
    const transactional = this.transactionalOrThrow('sendOffsetsToTransaction');
    if (transactional.state === 'ABORTABLE_ERROR' || transactional.state === 'FATAL_ERROR') {
      const last = transactional.lastError!;
      callback({ ok: false, error: last.error, errorClass: last.errorClass });
      return;
    }
    if (transactional.state !== 'IN_TRANSACTION') throw new Error(`sendOffsetsToTransaction in ${transactional.state}`);
    // Called again after a timeout, it waits for the same offsets (Kafka's pending result).
    if (transactional.pendingOffsets === null) transactional.pendingOffsets = { offsets, groupMetadata, added: false, groupCoordinator: null };
    transactional.pendingResult = { operation: 'sendOffsets', deadlineMs: this.host.nowMs() + this.config.maxBlockMs, callback };
    this.poll();
  }

  /** KafkaProducer.commitTransaction: sends what is queued, then EndTxn(commit) once every batch is done. */
  commitTransaction(callback: (outcome: TransactionOutcome) => void): void {
    const transactional = this.transactionalOrThrow('commitTransaction');
    if (transactional.state === 'ABORTABLE_ERROR' || transactional.state === 'FATAL_ERROR') {
      const last = transactional.lastError!;
      callback({ ok: false, error: last.error, errorClass: last.errorClass });
      return;
    }
    if (transactional.state !== 'IN_TRANSACTION' && transactional.state !== 'COMMITTING_TRANSACTION') throw new Error(`commitTransaction in ${transactional.state}`);
    if (transactional.state === 'IN_TRANSACTION') this.transitionTransactional('COMMITTING_TRANSACTION');
    transactional.pendingResult = { operation: 'commit', deadlineMs: this.host.nowMs() + this.config.maxBlockMs, callback };
    this.poll();
  }

  /** KafkaProducer.abortTransaction: drops what is not sent, waits for what is, then EndTxn(abort). */
  abortTransaction(callback: (outcome: TransactionOutcome) => void): void {
    const transactional = this.transactionalOrThrow('abortTransaction');
    if (transactional.state === 'FATAL_ERROR') {
      const last = transactional.lastError!;
      callback({ ok: false, error: last.error, errorClass: last.errorClass });
      return;
    }
    if (transactional.state !== 'IN_TRANSACTION' && transactional.state !== 'ABORTABLE_ERROR' && transactional.state !== 'ABORTING_TRANSACTION') throw new Error(`abortTransaction in ${transactional.state}`);
    if (transactional.state !== 'ABORTING_TRANSACTION') this.transitionTransactional('ABORTING_TRANSACTION');
    for (const entry of this.pending) entry.callback({ partition: UNKNOWN_PARTITION, error: 'TRANSACTION_ABORTED', definite: true });
    this.pending = [];
    for (const batch of this.accumulator.abortUndrainedBatches()) this.failBatch(batch, 'TRANSACTION_ABORTED', false);
    transactional.pendingResult = { operation: 'abort', deadlineMs: this.host.nowMs() + this.config.maxBlockMs, callback };
    this.poll();
  }

  private transactionalOrThrow(operation: string): TransactionalProducerState {
    if (this.transactional === null) throw new Error(`${operation}: the producer has no transactional.id`);
    if (!this.started) throw new Error(`${operation} before handleStart`);
    return this.transactional;
  }

  private transitionTransactional(next: TransactionalState, error?: { error: KafkaErrorCode | 'TIMEOUT'; errorClass: 'fatal' | 'abortable' | 'retriable' }): void {
    const transactional = this.transactional!;
    transactional.transitionTo(next, error);
    this.traceTransactional();
  }

  private traceTransactional(): void {
    const transactional = this.transactional!;
    const { producerId, epoch } = this.transactionManager!.producerIdAndEpoch;
    const error = transactional.lastError;
    this.host.trace({ type: 'producer.txn', state: transactional.state, transactionalId: transactional.transactionalId, producerId, producerEpoch: epoch, ...(error === null ? {} : { error: error.error, errorClass: error.errorClass }) });
  }

  // ---------------------------------------------------------------------------------------------
  // The sender loop.

  private poll(): void {
    if (this.polling) {
      // A callback called send(): finish this pass, then run another.
      this.pollAgain = true;
      return;
    }
    this.polling = true;
    try {
      do {
        this.pollAgain = false;
        this.runOnce(this.host.nowMs());
      } while (this.pollAgain);
    } finally {
      this.polling = false;
    }
    this.scheduleWakeup(this.host.nowMs());
  }

  private runOnce(nowMs: number): void {
    this.handleTimedOutRequests(nowMs);
    const transactionManager = this.transactionManager;
    if (transactionManager?.hasFatalError() || this.transactional?.state === 'FATAL_ERROR') {
      const error = transactionManager?.lastError ?? this.transactional?.lastError?.error ?? 'UNKNOWN_SERVER_ERROR';
      if (this.transactional !== null && this.transactional.state !== 'FATAL_ERROR') this.transitionTransactional('FATAL_ERROR', { error, errorClass: 'fatal' });
      this.transactional?.completePending({ ok: false, error, errorClass: 'fatal' });
      this.abortAll(error === 'TIMEOUT' ? 'UNKNOWN_SERVER_ERROR' : error);
      return;
    }
    this.expireBatches(nowMs);
    this.expirePending(nowMs);
    transactionManager?.maybeResolveSequences(this.hasUnansweredProduce);
    if (this.transactional !== null) this.runTransactional(nowMs);
    else this.maybeSendInitProducerId(nowMs);
    this.appendPending(nowMs);
    this.sendProducerData(nowMs);
    this.maybeSendMetadataRequest(nowMs);
  }

  private sendProducerData(nowMs: number): void {
    this.nextReadyCheckMs = Number.POSITIVE_INFINITY;
    const transactionManager = this.transactionManager;
    if (transactionManager !== null && !transactionManager.canSend()) return;
    const leaderFor = (topic: string, partition: number): NodeId | null => this.metadata.leaderFor(topic, partition);
    const result = this.accumulator.ready(leaderFor, nowMs);
    if (result.unknownLeaderTopics.length > 0) this.metadata.requestUpdate();
    this.nextReadyCheckMs = result.nextReadyCheckMs;
    for (const node of result.readyNodes) {
      while (this.inFlightRequestCount(node) < this.config.maxInFlightRequestsPerConnection) {
        const batches = this.accumulator.drain(node, leaderFor, transactionManager, nowMs);
        if (batches.length === 0) break;
        this.sendProduceRequest(node, batches, nowMs);
      }
    }
  }

  private sendProduceRequest(broker: NodeId, batches: readonly ProducerBatch[], nowMs: number): void {
    const correlationId = this.correlationIdNext++;
    const topicData: Array<{ name: string; partitionData: Array<{ index: number; records: ReturnType<ProducerBatch['toRecordBatch']> }> }> = [];
    for (const batch of batches) {
      if (batch.inRequest !== null || batch.isDone()) throw new Error(`sendProduceRequest: batch for ${batch.tpKey} is not sendable`);
      batch.attempts += 1;
      batch.lastAttemptMs = nowMs;
      this.host.trace({ type: 'producer.batch', partition: batch.partition, baseSequence: batch.baseSequence, attempt: batch.attempts, broker });
      let topic = topicData.find((entry) => entry.name === batch.topic);
      if (topic === undefined) {
        topic = { name: batch.topic, partitionData: [] };
        topicData.push(topic);
      }
      const records = batch.toRecordBatch();
      topic.partitionData.push({ index: batch.partition, records: this.transactional === null ? records : { ...records, isTransactional: true } });
    }
    const acks = this.config.acks;
    const transactionalId = this.transactional === null ? {} : { transactionalId: this.transactional.transactionalId };
    if (this.transactional !== null) this.transactional.sentInTransaction = true;
    this.host.send(broker, { api: 'Produce', correlationId, acks, timeoutMs: this.config.requestTimeoutMs, ...transactionalId, topicData } satisfies KafkaRequest, 'client');
    if (acks === 0) {
      // No response will come: the request is complete once sent (Kafka's NetworkClient does the same).
      for (const batch of batches) {
        batch.maybeWritten = true;
        this.accumulator.unmutePartition(batch.tpKey);
        batch.complete(INVALID_OFFSET);
      }
      return;
    }
    for (const batch of batches) batch.inRequest = correlationId;
    this.outstanding.set(correlationId, { kind: 'Produce', broker, deadlineMs: nowMs + this.config.requestTimeoutMs, batches });
  }

  // ---------------------------------------------------------------------------------------------
  // Produce responses and batch completion (Kafka's Sender.completeBatch).

  private handleProduceResponse(batches: readonly ProducerBatch[], response: ProduceResponse, nowMs: number): void {
    for (const batch of batches) batch.inRequest = null;
    for (const batch of batches) {
      const partitionResponse = response.responses
        .find((topic) => topic.name === batch.topic)
        ?.partitionResponses.find((partition) => partition.index === batch.partition);
      // A response without this partition is a broker bug; UNKNOWN_SERVER_ERROR is what Kafka's client makes of one.
      this.completeBatch(batch, partitionResponse?.errorCode ?? 'UNKNOWN_SERVER_ERROR', partitionResponse?.baseOffset ?? INVALID_OFFSET, nowMs);
    }
  }

  private completeBatch(batch: ProducerBatch, error: KafkaErrorCode, baseOffset: number, nowMs: number): void {
    this.accumulator.unmutePartition(batch.tpKey);
    const transactionManager = this.transactionManager;
    const landed = error === 'NONE' || error === 'DUPLICATE_SEQUENCE_NUMBER';
    if (batch.isDone()) {
      // Expired or aborted while in flight: only the sequence bookkeeping still learns from the answer.
      if (landed) transactionManager?.handleCompletedBatch(batch);
      return;
    }
    if (error === 'NONE') {
      transactionManager?.handleCompletedBatch(batch);
      batch.complete(baseOffset);
      return;
    }
    if (!REJECTED_BEFORE_APPEND.has(error)) batch.maybeWritten = true;
    if (INVALID_METADATA_ERRORS.has(error)) this.metadata.requestUpdate();
    if (this.canRetry(batch, error, nowMs)) {
      this.reenqueueBatch(batch, nowMs);
    } else if (error === 'DUPLICATE_SEQUENCE_NUMBER') {
      // The broker has this batch but no longer its offset: success with offset -1, as in Kafka.
      transactionManager?.handleCompletedBatch(batch);
      batch.complete(baseOffset);
    } else {
      // Sequences are adjusted only when the batch had retries left: once they are exhausted, Kafka
      // cannot know whether the broker accepted it, so it must not reuse its sequence.
      this.failBatch(batch, error, batch.attempts < this.config.retries);
    }
  }

  private canRetry(batch: ProducerBatch, error: KafkaErrorCode, nowMs: number): boolean {
    if (batch.hasReachedDeliveryTimeout(this.config.deliveryTimeoutMs, nowMs)) return false;
    if (batch.attempts >= this.config.retries || batch.isDone()) return false;
    return this.transactionManager === null ? isRetriable(error) : this.transactionManager.canRetry(error, batch);
  }

  private reenqueueBatch(batch: ProducerBatch, nowMs: number): void {
    const backoffMs = retryBackoffMs(batch.attempts - 1, this.config.retryBackoffMs, this.config.retryBackoffMaxMs, this.host.random);
    this.accumulator.reenqueue(batch, nowMs, backoffMs);
  }

  private failBatch(batch: ProducerBatch, error: KafkaErrorCode | 'TIMEOUT' | 'TRANSACTION_ABORTED', adjustSequenceNumbers: boolean): void {
    this.transactionManager?.handleFailedBatch(batch, error, adjustSequenceNumbers);
    const transactional = this.transactional;
    if (transactional !== null && error !== 'TRANSACTION_ABORTED') {
      const before = transactional.state;
      transactional.failTransaction(error, classifyBatchError(error));
      // Transaction version 1: the client bumps the epoch once the abort is done (Kafka's
      // needToTriggerEpochBumpFromClient, KIP-360); version 2's coordinator bumps it at every EndTxn.
      if (transactional.state === 'ABORTABLE_ERROR' && transactional.transactionVersion === 1 && (before === 'IN_TRANSACTION' || before === 'ABORTABLE_ERROR')) this.transactionManager?.requestTransactionEpochBump();
      if (transactional.state !== before) {
        this.traceTransactional();
        // A commit waiting for this batch fails: the application must abort.
        if (before === 'COMMITTING_TRANSACTION') transactional.completePending({ ok: false, error, errorClass: transactional.lastError!.errorClass });
      }
    }
    batch.completeExceptionally(error);
  }

  // ---------------------------------------------------------------------------------------------
  // Expiry, timeouts and fatal errors.

  /** Fails batches whose delivery.timeout.ms has passed, queued or in flight (Kafka's Sender does both). */
  private expireBatches(nowMs: number): void {
    const expired = this.accumulator.expiredBatches(nowMs);
    for (const request of this.outstanding.values()) {
      if (request.kind !== 'Produce') continue;
      for (const batch of request.batches) {
        if (batch.isDone() || !batch.hasReachedDeliveryTimeout(this.config.deliveryTimeoutMs, nowMs)) continue;
        batch.maybeWritten = true;
        expired.push(batch);
      }
    }
    for (const batch of expired) {
      this.failBatch(batch, 'TIMEOUT', false);
      // Sent at least once, it may be in the log: hold the partition until that is settled.
      if (this.transactionManager !== null && batch.attempts > 0 && batch.hasSequence()) this.transactionManager.markSequenceUnresolved(batch);
    }
  }

  /** Records still without metadata after max.block.ms fail, certainly unsent (Kafka throws from send). */
  private expirePending(nowMs: number): void {
    const expired = this.pending.filter((entry) => entry.deadlineMs <= nowMs);
    if (expired.length === 0) return;
    this.pending = this.pending.filter((entry) => entry.deadlineMs > nowMs);
    for (const entry of expired) entry.callback({ partition: UNKNOWN_PARTITION, error: 'TIMEOUT', definite: true });
  }

  private handleTimedOutRequests(nowMs: number): void {
    const brokers: NodeId[] = [];
    for (const request of this.outstanding.values()) {
      if (request.deadlineMs <= nowMs && !brokers.includes(request.broker)) brokers.push(request.broker);
    }
    for (const broker of brokers) {
      // Kafka closes the connection of a timed-out request; every request on it then fails.
      this.host.disconnect(broker);
      this.failRequestsTo(broker, 'REQUEST_TIMED_OUT', nowMs);
    }
  }

  private failRequestsTo(broker: NodeId, error: 'NETWORK_EXCEPTION' | 'REQUEST_TIMED_OUT', nowMs: number): void {
    const failed = [...this.outstanding.entries()].filter(([, request]) => request.broker === broker);
    if (failed.length === 0) return;
    this.metadata.requestUpdate();
    for (const [correlationId, request] of failed) {
      this.outstanding.delete(correlationId);
      this.abandoned.add(correlationId);
      switch (request.kind) {
        case 'Metadata':
          this.metadataNextAllowedMs = nowMs + this.nextMetadataBackoffMs();
          break;
        case 'InitProducerId':
          if (this.transactional !== null) this.coordinatorRequestFailed(request.kind, error, nowMs);
          else this.initFailed(error, nowMs);
          break;
        case 'Coordinator':
          this.coordinatorRequestFailed(request.request.kind, error, nowMs);
          break;
        case 'Produce':
          for (const batch of request.batches) {
            batch.inRequest = null;
            batch.maybeWritten = true;
          }
          for (const batch of request.batches) this.completeBatch(batch, error, INVALID_OFFSET, nowMs);
          break;
      }
    }
  }

  private abortAll(error: KafkaErrorCode): void {
    for (const entry of this.pending) entry.callback({ partition: UNKNOWN_PARTITION, error, definite: true });
    this.pending = [];
    for (const batch of this.accumulator.abortUndrainedBatches()) batch.completeExceptionally(error);
    for (const request of this.outstanding.values()) {
      if (request.kind !== 'Produce') continue;
      for (const batch of request.batches) {
        batch.maybeWritten = true;
        batch.completeExceptionally(error);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Metadata and producer ids.

  private appendPending(nowMs: number): void {
    const waiting: PendingRecord[] = [];
    for (const entry of this.pending) {
      const numPartitions = this.metadata.partitionCount(entry.topic);
      if (numPartitions === null) waiting.push(entry);
      else this.append(entry, numPartitions, nowMs);
    }
    this.pending = waiting;
  }

  private append(entry: PendingRecord, numPartitions: number, nowMs: number): void {
    const available = this.metadata.availablePartitions(entry.topic);
    const sticky = entry.record.key === null || this.config.partitionerIgnoreKeys;
    let partition = this.partitioner.partition(entry.topic, entry.record.key, numPartitions, available);
    const first = this.accumulator.append(entry.topic, partition, entry.record, entry.callback, nowMs, sticky);
    if (first.appended) {
      this.transactional?.maybeAddPartition(`${entry.topic}-${partition}`);
      return;
    }
    // The sticky partition's batch is closed: switch partitions, then start a batch there (KIP-480).
    this.partitioner.onNewBatch(entry.topic, numPartitions, available, partition);
    partition = this.partitioner.partition(entry.topic, entry.record.key, numPartitions, available);
    const second = this.accumulator.append(entry.topic, partition, entry.record, entry.callback, nowMs, false);
    if (!second.appended) throw new Error('append: the accumulator refused a record without abortOnNewBatch');
    this.transactional?.maybeAddPartition(`${entry.topic}-${partition}`);
  }

  private maybeSendMetadataRequest(nowMs: number): void {
    if (this.hasOutstanding('Metadata') || nowMs < this.metadataNextAllowedMs) return;
    if (!this.metadata.updateDue(nowMs, this.config.metadataMaxAgeMs)) return;
    const broker = this.host.random.pick(this.metadata.liveBrokers());
    const correlationId = this.correlationIdNext++;
    this.host.send(broker, { api: 'Metadata', correlationId, topics: this.metadata.wantedTopics() } satisfies KafkaRequest, 'client');
    this.outstanding.set(correlationId, { kind: 'Metadata', broker, deadlineMs: nowMs + this.config.requestTimeoutMs });
  }

  private handleMetadataResponse(response: MetadataResponse, nowMs: number): void {
    const incomplete = this.metadata.update(response, nowMs);
    if (!incomplete) this.metadataAttempts = 0;
    // Kafka spaces metadata requests by the retry backoff, so a leaderless partition is not polled in a tight loop.
    this.metadataNextAllowedMs = incomplete ? nowMs + this.nextMetadataBackoffMs() : nowMs;
  }

  private nextMetadataBackoffMs(): number {
    const backoffMs = retryBackoffMs(this.metadataAttempts, this.config.retryBackoffMs, this.config.retryBackoffMaxMs, this.host.random);
    this.metadataAttempts += 1;
    return backoffMs;
  }

  private maybeSendInitProducerId(nowMs: number): void {
    const transactionManager = this.transactionManager;
    if (transactionManager === null || this.hasOutstanding('InitProducerId') || nowMs < this.initNextAllowedMs) return;
    const args = transactionManager.nextInitProducerId(this.hasUnansweredProduce);
    if (args === null) return;
    const broker = this.host.random.pick(this.metadata.liveBrokers());
    const correlationId = this.correlationIdNext++;
    this.host.send(
      broker,
      {
        api: 'InitProducerId',
        correlationId,
        transactionalId: null,
        transactionTimeoutMs: IDEMPOTENT_TRANSACTION_TIMEOUT_MS,
        producerId: args.producerId,
        producerEpoch: args.producerEpoch,
      } satisfies KafkaRequest,
      'client',
    );
    this.outstanding.set(correlationId, { kind: 'InitProducerId', broker, deadlineMs: nowMs + this.config.requestTimeoutMs });
  }

  private handleInitProducerIdResponse(response: InitProducerIdResponse, nowMs: number): void {
    const transactionManager = this.transactionManager;
    if (transactionManager === null) throw new Error('InitProducerIdResponse without idempotence');
    if (this.transactional !== null) return this.handleTransactionalInitProducerIdResponse(response, nowMs);
    if (response.errorCode !== 'NONE') {
      this.initFailed(response.errorCode, nowMs);
      return;
    }
    this.initAttempts = 0;
    transactionManager.handleInitProducerIdSuccess(response.producerId, response.producerEpoch, this.hasUnansweredProduce);
    this.host.trace({ type: 'producer.epoch', producerId: response.producerId, producerEpoch: response.producerEpoch });
  }

  private initFailed(error: KafkaErrorCode, nowMs: number): void {
    this.transactionManager?.handleInitProducerIdFailure(error);
    if (INVALID_METADATA_ERRORS.has(error)) this.metadata.requestUpdate();
    this.initNextAllowedMs = nowMs + retryBackoffMs(this.initAttempts, this.config.retryBackoffMs, this.config.retryBackoffMaxMs, this.host.random);
    this.initAttempts += 1;
  }

  // ---------------------------------------------------------------------------------------------
  // The transaction coordinator (transactions.ts decides what is due; this sends and reads).

  private runTransactional(nowMs: number): void {
    const transactional = this.transactional!;
    const transactionManager = this.transactionManager!;
    const pending = transactional.pendingResult;
    if (pending !== null && pending.deadlineMs <= nowMs) {
      // Kafka's TimeoutException: the operation may be called again, and picks up where it was.
      transactional.completePending({ ok: false, error: 'TIMEOUT', errorClass: 'retriable' });
    }
    if (pending?.operation === 'sendOffsets' && transactional.state === 'ABORTABLE_ERROR') {
      // A send failed meanwhile: the offsets can no longer be committed; the application must abort.
      const last = transactional.lastError!;
      transactional.completePending({ ok: false, error: last.error, errorClass: last.errorClass });
    }
    if (transactional.state === 'ABORTING_TRANSACTION') {
      // A batch re-enqueued for a retry after the abort began is dropped too (Kafka's Sender does so while aborting).
      for (const batch of this.accumulator.abortUndrainedBatches()) this.failBatch(batch, 'TRANSACTION_ABORTED', false);
    }
    if (transactional.state === 'READY' && transactionManager.isEpochBumpPending() && transactionManager.state === 'READY') {
      // Transaction version 1 after a sequence error: the epoch is bumped before the next transaction (KIP-360).
      this.transitionTransactional('INITIALIZING');
    }
    if (this.hasOutstanding('InitProducerId') || this.hasOutstanding('Coordinator') || nowMs < this.coordinatorNextAllowedMs) return;
    const allBatchesDone = this.pending.length === 0 && !this.accumulator.hasUndrained() && !this.hasIncompleteBatchInFlight();
    const { producerId, epoch } = transactionManager.producerIdAndEpoch;
    let request = transactional.nextCoordinatorRequest(allBatchesDone, producerId, epoch);
    if (request?.kind === 'EndTxn' && !transactional.hasCoordinatorTransaction()) {
      // The coordinator never heard of this transaction: nothing to end.
      this.completeTransaction(transactional.state === 'COMMITTING_TRANSACTION');
      // An epoch bump owed after the abort goes out on the next pass: nothing else would wake the sender for it.
      if (transactional.state === 'INITIALIZING') this.pollAgain = true;
      request = null;
    }
    if (request === null) return;
    if (request.kind === 'InitProducerId') {
      const args = transactionManager.state === 'INITIALIZING' ? null : transactionManager.nextInitProducerId(this.hasUnansweredProduce);
      if (args === null && transactionManager.state !== 'UNINITIALIZED' && transactionManager.state !== 'INITIALIZING') return;
      request = { kind: 'InitProducerId', producerId: args?.producerId ?? -1, producerEpoch: args?.producerEpoch ?? -1 };
    }
    this.sendCoordinatorRequest(request, nowMs);
  }

  private sendCoordinatorRequest(request: CoordinatorRequest, nowMs: number): void {
    const transactional = this.transactional!;
    const correlationId = this.correlationIdNext++;
    const { producerId, epoch: producerEpoch } = this.transactionManager!.producerIdAndEpoch;
    const transactionalId = transactional.transactionalId;
    const deadlineMs = nowMs + this.config.requestTimeoutMs;
    if (request.kind === 'FindCoordinator') {
      const broker = this.host.random.pick(this.metadata.liveBrokers());
      this.host.send(broker, { api: 'FindCoordinator', correlationId, keyType: 1, coordinatorKeys: [transactionalId] } satisfies KafkaRequest, 'client');
      this.outstanding.set(correlationId, { kind: 'Coordinator', broker, deadlineMs, request });
      return;
    }
    if (request.kind === 'FindGroupCoordinator') {
      const broker = this.host.random.pick(this.metadata.liveBrokers());
      this.host.send(broker, { api: 'FindCoordinator', correlationId, keyType: 0, coordinatorKeys: [request.groupId] } satisfies KafkaRequest, 'client');
      this.outstanding.set(correlationId, { kind: 'Coordinator', broker, deadlineMs, request });
      return;
    }
    if (request.kind === 'TxnOffsetCommit') {
      const pending = transactional.pendingOffsets!;
      const groupCoordinator = pending.groupCoordinator!;
      this.host.send(groupCoordinator, txnOffsetCommitRequest(correlationId, transactionalId, producerId, producerEpoch, pending.offsets, pending.groupMetadata), 'client');
      this.outstanding.set(correlationId, { kind: 'Coordinator', broker: groupCoordinator, deadlineMs, request });
      return;
    }
    const coordinator = transactional.coordinator!;
    switch (request.kind) {
      case 'InitProducerId':
        this.host.send(coordinator, { api: 'InitProducerId', correlationId, transactionalId, transactionTimeoutMs: transactional.transactionTimeoutMs, producerId: request.producerId, producerEpoch: request.producerEpoch } satisfies KafkaRequest, 'client');
        this.outstanding.set(correlationId, { kind: 'InitProducerId', broker: coordinator, deadlineMs });
        return;
      case 'AddPartitionsToTxn': {
        const byTopic = new Map<string, number[]>();
        for (const tp of request.partitions) {
          const dash = tp.lastIndexOf('-');
          byTopic.set(tp.slice(0, dash), [...(byTopic.get(tp.slice(0, dash)) ?? []), Number(tp.slice(dash + 1))]);
          transactional.newPartitionsInTransaction.delete(tp);
          transactional.pendingPartitionsInTransaction.add(tp);
        }
        const topics = [...byTopic].map(([name, partitions]) => ({ name, partitions }));
        this.host.send(coordinator, { api: 'AddPartitionsToTxn', correlationId, transactions: [{ transactionalId, producerId, producerEpoch, verifyOnly: false, topics }] } satisfies KafkaRequest, 'client');
        break;
      }
      case 'EndTxn':
        this.host.send(coordinator, { api: 'EndTxn', correlationId, transactionalId, producerId, producerEpoch, committed: request.committed } satisfies KafkaRequest, 'client');
        break;
      case 'AddOffsetsToTxn':
        this.host.send(coordinator, { api: 'AddOffsetsToTxn', correlationId, transactionalId, producerId, producerEpoch, groupId: request.groupId } satisfies KafkaRequest, 'client');
        break;
    }
    this.outstanding.set(correlationId, { kind: 'Coordinator', broker: coordinator, deadlineMs, request });
  }

  private handleCoordinatorResponse(
    request: CoordinatorRequest,
    response: FindCoordinatorResponse | AddPartitionsToTxnResponse | AddOffsetsToTxnResponse | TxnOffsetCommitResponse | EndTxnResponse,
    nowMs: number,
  ): void {
    const transactional = this.transactional!;
    switch (response.api) {
      case 'FindCoordinatorResponse': {
        const found = response.coordinators[0];
        if (found === undefined || found.errorCode !== 'NONE') return this.coordinatorRequestFailed(request.kind, found?.errorCode ?? 'COORDINATOR_NOT_AVAILABLE', nowMs);
        if (request.kind === 'FindGroupCoordinator') {
          if (transactional.pendingOffsets !== null) transactional.pendingOffsets.groupCoordinator = found.nodeId as NodeId;
        } else {
          transactional.coordinator = found.nodeId as NodeId;
        }
        this.coordinatorAttempts = 0;
        return;
      }
      case 'AddOffsetsToTxnResponse': {
        if (response.errorCode !== 'NONE') return this.coordinatorRequestFailed(request.kind, response.errorCode, nowMs);
        this.coordinatorAttempts = 0;
        transactional.offsetsAddedInTransaction = true;
        if (transactional.pendingOffsets !== null) transactional.pendingOffsets.added = true;
        return;
      }
      case 'TxnOffsetCommitResponse': {
        const error = response.topics.flatMap((topic) => topic.partitions).find((partition) => partition.errorCode !== 'NONE')?.errorCode ?? 'NONE';
        const pending = transactional.pendingOffsets;
        this.host.trace({
          type: 'producer.txn-offsets',
          transactionalId: transactional.transactionalId,
          groupId: pending?.groupMetadata.groupId ?? null,
          offsets: (pending?.offsets ?? []).map((offset) => [offset.topic, offset.partition, offset.offset]),
          ...(error === 'NONE' ? {} : { error }),
        });
        if (error !== 'NONE') return this.coordinatorRequestFailed(request.kind, error, nowMs);
        this.coordinatorAttempts = 0;
        transactional.pendingOffsets = null;
        if (transactional.pendingResult?.operation === 'sendOffsets') transactional.completePending({ ok: true });
        return;
      }
      case 'AddPartitionsToTxnResponse': {
        const errors = response.results.flatMap((result) => result.topicResults.flatMap((topic) => topic.results.map((partition) => partition.partitionErrorCode)));
        const error = errors.find((code) => code !== 'NONE') ?? 'NONE';
        if (error !== 'NONE') return this.coordinatorRequestFailed(request.kind, error, nowMs);
        for (const tp of transactional.pendingPartitionsInTransaction) transactional.partitionsInTransaction.add(tp);
        transactional.pendingPartitionsInTransaction.clear();
        this.coordinatorAttempts = 0;
        return;
      }
      case 'EndTxnResponse': {
        if (response.errorCode !== 'NONE') return this.coordinatorRequestFailed(request.kind, response.errorCode, nowMs);
        this.coordinatorAttempts = 0;
        // Transaction version 2: the coordinator bumped the epoch; the next transaction uses it (KIP-890).
        if (transactional.transactionVersion === 2 && response.producerEpoch >= 0) this.transactionManager!.onTransactionEpochBump(response.producerId, response.producerEpoch);
        this.completeTransaction(request.kind === 'EndTxn' && request.committed);
        return;
      }
    }
  }

  /** A commit or abort is over: READY, or (transaction version 1, after a sequence error) an epoch bump first. */
  private completeTransaction(committed: boolean): void {
    const transactional = this.transactional!;
    this.transitionTransactional('READY');
    this.host.trace({ type: 'producer.txn-end', transactionalId: transactional.transactionalId, committed, producerEpoch: this.transactionManager!.producerIdAndEpoch.epoch });
    if (this.transactionManager!.isEpochBumpPending()) {
      this.transitionTransactional('INITIALIZING');
      return;
    }
    transactional.completePending({ ok: true });
  }

  private handleTransactionalInitProducerIdResponse(response: InitProducerIdResponse, nowMs: number): void {
    const transactional = this.transactional!;
    const transactionManager = this.transactionManager!;
    if (transactionManager.state !== 'INITIALIZING') {
      // A bump requested by the producer state: the idempotent manager asks; here it was not its turn.
      return this.coordinatorRequestFailed('InitProducerId', response.errorCode === 'NONE' ? 'CONCURRENT_TRANSACTIONS' : response.errorCode, nowMs);
    }
    if (response.errorCode !== 'NONE') return this.coordinatorRequestFailed('InitProducerId', response.errorCode, nowMs);
    this.coordinatorAttempts = 0;
    const bumped = transactionManager.producerIdAndEpoch.producerId === response.producerId;
    transactionManager.handleInitProducerIdSuccess(response.producerId, response.producerEpoch, this.hasUnansweredProduce);
    transactional.transactionVersion = response.transactionVersion ?? 1;
    // A bump after an aborted transaction: every partition starts again at sequence 0 (Kafka's resetSequenceNumbers).
    if (bumped) transactionManager.onTransactionEpochBump(response.producerId, response.producerEpoch);
    this.host.trace({ type: 'producer.epoch', producerId: response.producerId, producerEpoch: response.producerEpoch });
    this.transitionTransactional('READY');
    transactional.completePending({ ok: true });
  }

  /** A coordinator request failed: retry what is retriable (finding the coordinator again if need be), else fail the transaction. */
  private coordinatorRequestFailed(kind: CoordinatorRequest['kind'], error: KafkaErrorCode, nowMs: number): void {
    const transactional = this.transactional!;
    if (kind === 'InitProducerId' && this.transactionManager!.state === 'INITIALIZING') this.transactionManager!.handleInitProducerIdFailure(error);
    if (kind === 'AddPartitionsToTxn') {
      for (const tp of transactional.pendingPartitionsInTransaction) transactional.newPartitionsInTransaction.add(tp);
      transactional.pendingPartitionsInTransaction.clear();
    }
    const groupRequest = isGroupCoordinatorRequest(kind);
    const errorClass = kind === 'TxnOffsetCommit' ? classifyTxnOffsetCommitError(error) : classifyCoordinatorError(error);
    if (errorClass === 'retriable') {
      const coordinatorLost = error === 'NOT_COORDINATOR' || error === 'COORDINATOR_NOT_AVAILABLE' || error === 'NETWORK_EXCEPTION' || error === 'REQUEST_TIMED_OUT';
      // The group's coordinator is looked up again for the offsets; the transaction's for the rest.
      if (coordinatorLost && groupRequest && transactional.pendingOffsets !== null) transactional.pendingOffsets.groupCoordinator = null;
      else if (coordinatorLost && !groupRequest) transactional.coordinator = null;
      this.coordinatorNextAllowedMs = nowMs + retryBackoffMs(this.coordinatorAttempts, this.config.retryBackoffMs, this.config.retryBackoffMaxMs, this.host.random);
      this.coordinatorAttempts += 1;
      return;
    }
    if (errorClass === 'fatal') {
      this.transitionTransactional('FATAL_ERROR', { error, errorClass });
      transactional.completePending({ ok: false, error, errorClass });
      return;
    }
    // Abortable: the transaction cannot commit; the application must abort.
    if (transactional.state === 'ABORTING_TRANSACTION') {
      this.transitionTransactional('FATAL_ERROR', { error, errorClass: 'fatal' });
      transactional.completePending({ ok: false, error, errorClass: 'fatal' });
      return;
    }
    transactional.failTransaction(error, 'abortable');
    this.traceTransactional();
    transactional.completePending({ ok: false, error, errorClass });
  }

  /** Whether a batch of partition `tp` is in a request that has not been answered yet. */
  private readonly hasUnansweredProduce = (tp: string): boolean => {
    for (const request of this.outstanding.values()) {
      if (request.kind === 'Produce' && request.batches.some((batch) => batch.tpKey === tp)) return true;
    }
    return false;
  };

  /**
   * Whether a request in flight still carries a batch that is not done (Kafka's
   * RecordAccumulator.hasIncomplete, which EndTxn waits on). A batch that expired in flight
   * (delivery.timeout.ms) is done although its request is still out, so an abort may go before the
   * request is answered — and the broker may still receive it after the ABORT marker, the late
   * write KIP-890 part 1 (KAFKA-14402) verifies away.
   */
  private hasIncompleteBatchInFlight(): boolean {
    for (const request of this.outstanding.values()) {
      if (request.kind === 'Produce' && request.batches.some((batch) => !batch.isDone())) return true;
    }
    return false;
  }

  private hasOutstanding(kind: OutstandingRequest['kind']): boolean {
    for (const request of this.outstanding.values()) if (request.kind === kind) return true;
    return false;
  }

  // ---------------------------------------------------------------------------------------------
  // The wakeup timer: the earliest time at which runOnce has something to do without a new input.

  private scheduleWakeup(nowMs: number): void {
    const candidates: number[] = [this.nextReadyCheckMs, this.accumulator.nextExpiryMs()];
    for (const request of this.outstanding.values()) {
      candidates.push(request.deadlineMs);
      if (request.kind === 'Produce') {
        for (const batch of request.batches) if (!batch.isDone()) candidates.push(batch.createdMs + this.config.deliveryTimeoutMs);
      }
    }
    for (const entry of this.pending) candidates.push(entry.deadlineMs);
    if (!this.hasOutstanding('Metadata')) {
      candidates.push(this.metadata.updateDue(nowMs, this.config.metadataMaxAgeMs) ? this.metadataNextAllowedMs : this.metadata.nextRefreshMs(this.config.metadataMaxAgeMs));
    }
    const transactionManager = this.transactionManager;
    const initWanted = this.transactional === null && transactionManager !== null && (transactionManager.state !== 'READY' || transactionManager.isEpochBumpPending());
    if (initWanted && !this.hasOutstanding('InitProducerId')) candidates.push(this.initNextAllowedMs);
    if (this.transactional !== null) {
      if (!this.hasOutstanding('InitProducerId') && !this.hasOutstanding('Coordinator')) candidates.push(this.coordinatorNextAllowedMs);
      if (this.transactional.pendingResult !== null) candidates.push(this.transactional.pendingResult.deadlineMs);
    }
    // Times already past were handled by runOnce, or wait for an input (a response) rather than a timer.
    const next = Math.min(...candidates.filter((atMs) => atMs > nowMs));
    if (!Number.isFinite(next)) return;
    if (this.wakeup !== null && this.wakeup.atMs <= next && this.wakeup.atMs > nowMs) return;
    if (this.wakeup !== null) this.host.cancelTimer(this.wakeup.id);
    this.wakeup = { id: this.host.setTimer(next - nowMs, WAKEUP_TIMER), atMs: next };
  }
}

type ProducerResponse =
  | MetadataResponse
  | InitProducerIdResponse
  | ProduceResponse
  | FindCoordinatorResponse
  | AddPartitionsToTxnResponse
  | AddOffsetsToTxnResponse
  | TxnOffsetCommitResponse
  | EndTxnResponse;

function asResponse(message: unknown): ProducerResponse | null {
  if (typeof message !== 'object' || message === null) return null;
  const { api, correlationId } = message as { api?: unknown; correlationId?: unknown };
  if (typeof api !== 'string' || typeof correlationId !== 'number' || !Object.hasOwn(RESPONSE_KIND, api)) return null;
  return message as ProducerResponse;
}

/** TxnOffsetCommit v4 for the offsets of one group, by topic in the order given. */
function txnOffsetCommitRequest(
  correlationId: number,
  transactionalId: string,
  producerId: number,
  producerEpoch: number,
  offsets: readonly TransactionalOffset[],
  groupMetadata: ConsumerGroupMetadata,
): KafkaRequest {
  const byTopic = new Map<string, TransactionalOffset[]>();
  for (const offset of offsets) byTopic.set(offset.topic, [...(byTopic.get(offset.topic) ?? []), offset]);
  return {
    api: 'TxnOffsetCommit',
    correlationId,
    transactionalId,
    groupId: groupMetadata.groupId,
    producerId,
    producerEpoch,
    generationId: groupMetadata.generationId,
    memberId: groupMetadata.memberId,
    groupInstanceId: groupMetadata.groupInstanceId,
    topics: [...byTopic].map(([name, partitions]) => ({
      name,
      partitions: partitions.map((offset) => ({ partitionIndex: offset.partition, committedOffset: offset.offset, committedLeaderEpoch: offset.leaderEpoch ?? -1, committedMetadata: null })),
    })),
  };
}
