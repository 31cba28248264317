/**
 * The transaction coordinator, as one broker part (Kafka's TransactionCoordinator with its
 * TransactionStateManager, over the same CoordinatorRuntime as the group coordinator).
 *
 * - Which broker coordinates a transactional id: the leader of `__transaction_state` partition
 *   `abs(transactionalId.hashCode()) % partitions`. The topic is created on the first
 *   FindCoordinator (KeyType TRANSACTION) that finds it missing, with
 *   transaction.state.log.num.partitions, .replication.factor, .min.isr and .segment.bytes.
 * - Loading: this part is the metadata publisher's leadership listener for `__transaction_state`;
 *   an election loads the partition's transactional ids at that leader epoch (the coordinator
 *   epoch), resending the markers of every prepared transaction; a resignation drops them and
 *   stops their markers.
 * - InitProducerId with a transactional id, AddPartitionsToTxn (clients, and partition leaders
 *   verifying or, under transaction version 2, adding a partition: KIP-890), AddOffsetsToTxn and
 *   EndTxn run on the shard of the id's partition (transactionCoordinatorShard.ts) and are answered
 *   once what they wrote is committed. A prepared transaction's markers go out through the
 *   TransactionMarkerChannelManager; once all are written, the transaction is completed.
 * - Every transaction.abort.timed.out.transaction.cleanup.interval.ms, transactions open longer
 *   than their transaction.timeout.ms are fenced and aborted.
 * - InitProducerId without a transactional id is the producer-id manager's (idempotence alone).
 *
 * Timers: `txn.coordinator.load/<partition>`, `txn.abort-timed-out` (periodic, once a partition is
 * led), `txn.create-transaction-state-topic`, `txn.complete-retry/<transactional id>` (a completion
 * write tried again), and the marker manager's.
 *
 * Left out: TxnOffsetCommit (the group coordinator's pending transactional offsets, KIP-447),
 * transactional id expiration, DescribeTransactions and ListTransactions.
 */
import type { Host, NodeId } from '../host.js';
import { liveBrokers } from '../metadata/image.js';
import type {
  AddOffsetsToTxnRequest,
  AddPartitionsToTxnRequest,
  AddPartitionsToTxnResponse,
  CreateTopicsResponse,
  EndTxnRequest,
  FindCoordinatorRequest,
  FindCoordinatorResponse,
  InitProducerIdRequest,
  KafkaResponse,
  WriteTxnMarkersResponse,
} from '../protocol/apis.js';
import type { KafkaErrorCode } from '../protocol/errors.js';
import { InternalTopicCreator } from './autoTopicCreationManager.js';
import type { PartitionLeadershipListener } from './brokerMetadataPublisher.js';
import { kafkaAbs, javaStringHashCode } from './groupCoordinator.js';
import { CoordinatorRuntime, runtimeHostForTopic, type TopicMetadata } from './groupCoordinatorRuntime.js';
import type { KRaftMetadataCache } from './metadataCache.js';
import type { RPCProducerIdManager } from './producerIdManager.js';
import type { ReplicaManager } from './replicaManager.js';
import type { Timers } from './timers.js';
import type { TransactionCoordinatorConfig } from './transactionCoordinatorConfig.js';
import { type ProducerIdAnswer, TransactionCoordinatorShard } from './transactionCoordinatorShard.js';
import { TransactionMarkerChannelManager } from './transactionMarkerChannelManager.js';
import { partitionKey, type TransactionMetadata } from './transactionMetadata.js';
import { TRANSACTION_LOG_RECORDS, TRANSACTION_STATE_TOPIC_NAME, type TransactionLogRecord } from './transactionStateRecords.js';

const CREATE_TRANSACTION_STATE_TOPIC_TIMER = 'txn.create-transaction-state-topic';
const ABORT_TIMED_OUT_TIMER = 'txn.abort-timed-out';
/** The pause before a failed completion write is tried again (Kafka retries on its marker thread's next round). */
const COMPLETE_RETRY_BACKOFF_MS = 100;

export interface TransactionCoordinatorContext {
  nextCorrelationId(): number;
  activeController(): NodeId | null;
  /** The `__consumer_offsets` partition of a group (AddOffsetsToTxn adds it to the transaction). */
  offsetsPartitionFor(groupId: string): { topic: string; partition: number };
}

/** The `__transaction_state` partition of a transactional id (Kafka's TransactionStateManager.partitionFor). */
export function partitionForTransactionalId(transactionalId: string, numPartitions: number): number {
  return kafkaAbs(javaStringHashCode(transactionalId)) % numPartitions;
}

export class TransactionCoordinator implements PartitionLeadershipListener {
  readonly runtime: CoordinatorRuntime<TransactionCoordinatorShard, TransactionLogRecord>;
  private readonly markers: TransactionMarkerChannelManager;
  private readonly topicCreator: InternalTopicCreator;
  private abortTimerStarted = false;

  constructor(
    private readonly host: Host<unknown>,
    private readonly timers: Timers,
    private readonly config: TransactionCoordinatorConfig,
    replicaManager: ReplicaManager,
    private readonly metadataCache: KRaftMetadataCache,
    private readonly producerIdManager: RPCProducerIdManager,
    private readonly context: TransactionCoordinatorContext,
  ) {
    this.runtime = new CoordinatorRuntime<TransactionCoordinatorShard, TransactionLogRecord>(
      runtimeHostForTopic(
        TRANSACTION_STATE_TOPIC_NAME,
        { timers, random: host.random, nowMs: () => host.nowMs(), trace: (event) => host.trace(event), topics: () => this.topics() },
        replicaManager,
      ),
      // Kafka's transaction.state.log writes wait up to the request's own timeout; the default request.timeout.ms.
      30_000,
      (shardContext) =>
        new TransactionCoordinatorShard(shardContext, {
          transactionVersion: config.transactionVersion,
          onLoadedPrepared: (metadata) => this.sendMarkers(shardContext.partitionIndex, metadata, shardContext.coordinatorEpoch()),
        }),
      TRANSACTION_LOG_RECORDS,
    );
    replicaManager.addHighWatermarkListener(TRANSACTION_STATE_TOPIC_NAME, (index, highWatermark) => this.runtime.onHighWatermarkUpdated(index, highWatermark));
    this.markers = new TransactionMarkerChannelManager(host, timers, { nextCorrelationId: () => context.nextCorrelationId(), leaderOf: (topic, partition) => this.leaderOf(topic, partition) });
    this.topicCreator = new InternalTopicCreator(host, timers, context, () => ({
      topic: {
        name: TRANSACTION_STATE_TOPIC_NAME,
        numPartitions: config.transactionStateLogNumPartitions,
        replicationFactor: config.transactionStateLogReplicationFactor,
        configs: { 'segment.bytes': String(config.transactionStateLogSegmentBytes), 'min.insync.replicas': String(config.transactionStateLogMinIsr) },
      },
      timerTag: CREATE_TRANSACTION_STATE_TOPIC_TIMER,
      trace: { type: 'txn.create-transaction-state-topic', numPartitions: config.transactionStateLogNumPartitions, replicationFactor: config.transactionStateLogReplicationFactor },
    }));
  }

  // ---- Leadership (PartitionLeadershipListener) ----

  onElection(partitionIndex: number, partitionLeaderEpoch: number): void {
    this.runtime.scheduleLoadOperation(partitionIndex, partitionLeaderEpoch);
    if (!this.abortTimerStarted) {
      this.abortTimerStarted = true;
      this.timers.schedulePeriodic(ABORT_TIMED_OUT_TIMER, this.config.transactionAbortTimedOutTransactionCleanupIntervalMs, () => this.abortTimedOutTransactions());
    }
  }

  onResignation(partitionIndex: number, partitionLeaderEpoch: number | null): void {
    this.runtime.scheduleUnloadOperation(partitionIndex, partitionLeaderEpoch);
    this.markers.removeMarkersForTxnTopicPartition(partitionIndex);
  }

  // ---- Where transactional ids live ----

  private numPartitions(): number {
    return this.metadataCache.currentImage.topics.get(TRANSACTION_STATE_TOPIC_NAME)?.partitions.length ?? this.config.transactionStateLogNumPartitions;
  }

  partitionFor(transactionalId: string): number {
    return partitionForTransactionalId(transactionalId, this.numPartitions());
  }

  /** The live leader of the transactional id's partition (for a partition leader verifying a transaction), or null. */
  coordinatorFor(transactionalId: string): NodeId | null {
    const found = this.findCoordinator(transactionalId, false);
    return typeof found === 'string' ? null : found.nodeId;
  }

  private topics(): ReadonlyMap<string, TopicMetadata> {
    const topics = new Map<string, TopicMetadata>();
    for (const [name, topic] of this.metadataCache.currentImage.topics) topics.set(name, { topicId: topic.topicId, numPartitions: topic.partitions.length });
    return topics;
  }

  private leaderOf(topic: string, partition: number): NodeId | null | 'deleted' {
    const image = this.metadataCache.currentImage;
    const registration = image.topics.get(topic)?.partitions[partition];
    if (registration === undefined) return 'deleted';
    const leader = registration.leader;
    return leader !== null && liveBrokers(image).includes(leader) ? leader : null;
  }

  // ---- FindCoordinator (KeyType TRANSACTION) ----

  handleFindCoordinator(from: NodeId, request: FindCoordinatorRequest): void {
    const coordinators = request.coordinatorKeys.map((key): FindCoordinatorResponse['coordinators'][number] => {
      const found = this.findCoordinator(key, true);
      return typeof found === 'string' ? { key, nodeId: -1, errorCode: found, errorMessage: null } : { key, nodeId: found.nodeId, errorCode: 'NONE', errorMessage: null };
    });
    this.send(from, { api: 'FindCoordinatorResponse', correlationId: request.correlationId, coordinators });
  }

  private findCoordinator(transactionalId: string, createTopic: boolean): { nodeId: NodeId } | KafkaErrorCode {
    const topic = this.metadataCache.currentImage.topics.get(TRANSACTION_STATE_TOPIC_NAME);
    if (topic === undefined) {
      if (createTopic) this.topicCreator.maybeCreate();
      return 'COORDINATOR_NOT_AVAILABLE';
    }
    const leader = this.leaderOf(TRANSACTION_STATE_TOPIC_NAME, partitionForTransactionalId(transactionalId, topic.partitions.length));
    return leader === null || leader === 'deleted' ? 'COORDINATOR_NOT_AVAILABLE' : { nodeId: leader };
  }

  handleCreateTopicsResponse(response: CreateTopicsResponse): void {
    this.topicCreator.handleCreateTopicsResponse(response);
  }

  // ---- InitProducerId ----

  handleInitProducerId(from: NodeId, request: InitProducerIdRequest & { transactionalId: string }): void {
    const reply = (answer: ProducerIdAnswer) =>
      this.send(from, { api: 'InitProducerIdResponse', correlationId: request.correlationId, errorCode: answer.error, producerId: answer.producerId, producerEpoch: answer.producerEpoch, transactionVersion: this.config.transactionVersion });
    const fail = (error: KafkaErrorCode) => reply({ error, producerId: -1, producerEpoch: -1, prepared: null });
    if (request.transactionalId === '') return fail('INVALID_REQUEST');
    if (request.transactionTimeoutMs <= 0 || request.transactionTimeoutMs > this.config.transactionMaxTimeoutMs) return fail('INVALID_TRANSACTION_TIMEOUT');
    const partition = this.partitionFor(request.transactionalId);
    this.runtime.scheduleWriteOperation(
      partition,
      (shard) => shard.initProducerId(request.transactionalId, request.transactionTimeoutMs, request.producerId, request.producerEpoch, () => this.producerIdManager.generateProducerId()),
      (outcome) => {
        if ('error' in outcome) return fail(outcome.error);
        this.maybeSendMarkers(partition, outcome.response.prepared);
        reply(outcome.response);
      },
    );
  }

  // ---- AddPartitionsToTxn, AddOffsetsToTxn ----

  handleAddPartitionsToTxn(from: NodeId, request: AddPartitionsToTxnRequest): void {
    type Result = AddPartitionsToTxnResponse['results'][number];
    const results: Array<Result | null> = request.transactions.map(() => null);
    const maybeReply = () => {
      if (results.every((result) => result !== null)) this.send(from, { api: 'AddPartitionsToTxnResponse', correlationId: request.correlationId, results: results as Result[] });
    };
    request.transactions.forEach((transaction, index) => {
      const keys = transaction.topics.flatMap((topic) => topic.partitions.map((partition) => partitionKey(topic.name, partition)));
      const answer = (errors: (key: string) => KafkaErrorCode) => {
        results[index] = {
          transactionalId: transaction.transactionalId,
          topicResults: transaction.topics.map((topic) => ({ name: topic.name, results: topic.partitions.map((partition) => ({ partitionIndex: partition, partitionErrorCode: errors(partitionKey(topic.name, partition)) })) })),
        };
        maybeReply();
      };
      const partition = this.partitionFor(transaction.transactionalId);
      if (transaction.verifyOnly) {
        // A write without records: it waits for every earlier write of the partition to commit.
        this.runtime.scheduleWriteOperation(
          partition,
          (shard) => ({ records: [], response: shard.verifyPartitions(transaction.transactionalId, transaction.producerId, transaction.producerEpoch, keys), replayRecords: true }),
          (outcome) => answer((key) => ('error' in outcome ? outcome.error : (outcome.response.get(key) ?? 'INVALID_TXN_STATE'))),
        );
        return;
      }
      this.runtime.scheduleWriteOperation(
        partition,
        (shard) => shard.addPartitions(transaction.transactionalId, transaction.producerId, transaction.producerEpoch, keys),
        (outcome) => answer(() => ('error' in outcome ? outcome.error : outcome.response)),
      );
    });
    maybeReply();
  }

  handleAddOffsetsToTxn(from: NodeId, request: AddOffsetsToTxnRequest): void {
    const offsets = this.context.offsetsPartitionFor(request.groupId);
    this.runtime.scheduleWriteOperation(
      this.partitionFor(request.transactionalId),
      (shard) => shard.addPartitions(request.transactionalId, request.producerId, request.producerEpoch, [partitionKey(offsets.topic, offsets.partition)]),
      (outcome) => this.send(from, { api: 'AddOffsetsToTxnResponse', correlationId: request.correlationId, errorCode: 'error' in outcome ? outcome.error : outcome.response }),
    );
  }

  // ---- EndTxn ----

  handleEndTxn(from: NodeId, request: EndTxnRequest): void {
    const reply = (errorCode: KafkaErrorCode, producerId = -1, producerEpoch = -1) =>
      this.send(from, { api: 'EndTxnResponse', correlationId: request.correlationId, errorCode, producerId, producerEpoch });
    const partition = this.partitionFor(request.transactionalId);
    this.runtime.scheduleWriteOperation(
      partition,
      (shard) => shard.endTransaction(request.transactionalId, request.producerId, request.producerEpoch, request.committed),
      (outcome) => {
        if ('error' in outcome) return reply(outcome.error);
        // The decision is durable: the client hears it now; the markers follow (Kafka answers before they are written).
        this.maybeSendMarkers(partition, outcome.response.prepared);
        reply(outcome.response.error, outcome.response.producerId, outcome.response.producerEpoch);
      },
    );
  }

  // ---- Markers and completion ----

  private maybeSendMarkers(partition: number, prepared: TransactionMetadata | null): void {
    if (prepared === null) return;
    const shard = this.runtime.shard(partition);
    const current = shard?.metadata(prepared.transactionalId);
    // Only while still prepared at this epoch: a later write may already have moved it on.
    if (current === undefined || current.state !== prepared.state || current.producerEpoch !== prepared.producerEpoch) return;
    const coordinatorEpoch = this.runtime.coordinatorEpoch(partition);
    if (coordinatorEpoch === null) return;
    this.sendMarkers(partition, current, coordinatorEpoch);
  }

  private sendMarkers(partition: number, metadata: TransactionMetadata, coordinatorEpoch: number): void {
    this.markers.addTxnMarkersToSend(metadata, coordinatorEpoch, partition, () => this.completeTransaction(partition, metadata, coordinatorEpoch));
  }

  /**
   * Writes CompleteCommit or CompleteAbort once every marker is written (Kafka's
   * TransactionMarkerChannelManager.tryAppendToLog). A write that failed for want of replicas or
   * a timeout (COORDINATOR_NOT_AVAILABLE) is tried again while this coordinator still loads the
   * partition at the same epoch and the transaction is still prepared, as Kafka retries such log
   * appends; otherwise (NOT_COORDINATOR) the next coordinator finds it prepared and ends it.
   * Without the retry the transaction stayed prepared for good, and every later request of its
   * producer was CONCURRENT_TRANSACTIONS (found by kafka-eos-pipeline-swarm seed 48).
   */
  private completeTransaction(partition: number, metadata: TransactionMetadata, coordinatorEpoch: number): void {
    this.runtime.scheduleWriteOperation(partition, (shard) => shard.completeTransaction(metadata.transactionalId, metadata.producerId, metadata.producerEpoch), (outcome) => {
      if (!('error' in outcome)) return;
      this.host.trace({ type: 'txn.complete-failed', transactionalId: metadata.transactionalId, errorCode: outcome.error });
      if (outcome.error !== 'COORDINATOR_NOT_AVAILABLE') return;
      this.timers.schedule(`txn.complete-retry/${metadata.transactionalId}`, COMPLETE_RETRY_BACKOFF_MS, () => {
        const current = this.runtime.shard(partition)?.metadata(metadata.transactionalId);
        const stillPrepared = current !== undefined && current.state === metadata.state && current.producerEpoch === metadata.producerEpoch;
        if (stillPrepared && this.runtime.coordinatorEpoch(partition) === coordinatorEpoch) this.completeTransaction(partition, metadata, coordinatorEpoch);
      });
    });
  }

  handleWriteTxnMarkersResponse(response: WriteTxnMarkersResponse): void {
    this.markers.handleWriteTxnMarkersResponse(response);
  }

  // ---- Timeouts ----

  private abortTimedOutTransactions(): void {
    for (let partition = 0; partition < this.numPartitions(); partition++) {
      if (this.runtime.partitionState(partition) !== 'active') continue;
      this.runtime.scheduleWriteOperation(partition, (shard) => shard.abortTimedOutTransactions(), (outcome) => {
        if ('error' in outcome) return;
        for (const prepared of outcome.response) this.maybeSendMarkers(partition, prepared);
      });
    }
  }

  // ---- Inputs from the network ----

  handleDisconnect(peer: NodeId): void {
    this.topicCreator.handleDisconnect(peer);
    this.markers.handleDisconnect(peer);
  }

  private send(to: NodeId, response: KafkaResponse): void {
    this.host.send(to, response, 'client');
  }
}
