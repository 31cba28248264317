/**
 * ReplicaManager: this broker's partition replicas and the requests that read and write them.
 *
 * - Partitions follow the metadata image (`applyImage`): each registration that names this broker
 *   makes its Partition a leader or a follower; followers fetch from their leaders through the
 *   ReplicaFetcherManager. It reports which partitions this broker began or stopped leading, for
 *   the metadata publisher to pass on.
 * - Produce (appendRecords): the leader appends; acks=all waits in the purgatory until the high
 *   watermark covers the write (DelayedProduce), or its timeout. Internal topics refuse clients
 *   (INVALID_TOPIC_EXCEPTION); a coordinator writes its own with appendRecordsAsCoordinator, the
 *   same acks=all path answered by callback.
 * - Fetch (fetchMessages): followers and consumers read from the leader, which sends the batches
 *   as stored, undecoded; a fetch with fewer than its minBytes to return waits in the purgatory up
 *   to its max wait (DelayedFetch): a consumer's fetch.min.bytes and fetch.max.wait.ms. Whether a
 *   held fetch can complete is decided from offsets and positions, and the log is read once, when
 *   it does (DelayedFetch.tryComplete and onComplete). A consumer reads below the high watermark
 *   whatever its isolation.level: without transactions the last stable offset is the high
 *   watermark, so read_committed reads the same (transactions will make them differ).
 * - ListOffsets (fetchOffsetForTimestamp): earliest, latest, by time and the largest timestamp, from
 *   the leader unless the caller is a debugging tool; OFFSET_NOT_AVAILABLE while a new leader's high
 *   watermark lags its epoch (KIP-207).
 * - OffsetsForLeaderEpoch (lastOffsetForLeaderEpoch): where an epoch ends in the leader's log
 *   (KIP-101, KIP-279, KIP-320). This broker's own fetchers do not send it: they truncate by the
 *   diverging epoch in Fetch responses (Kafka 2.7+); a consumer validating its position does.
 * - Transactions: a transactional producer's first batch on a partition is verified with its
 *   coordinator first (KIP-890, AddPartitionsToTxnManager) — under transaction version 1 only if
 *   transaction.partition.verification.enable; WriteTxnMarkers appends the coordinator's markers
 *   with acks=all.
 * - ISR expiration: every replica.lag.time.max.ms / 2, each led partition drops its lagging
 *   followers (through the AlterPartitionManager).
 *
 * Whenever a partition changes (an append, a new high watermark, an ISR or role change), the
 * delayed operations watching it are checked again (Kafka's tryCompleteDelayedRequests).
 *
 * Timers: `broker.isr-expiration` (periodic), `broker.delayed/<id>` (a delayed operation's timeout);
 * the fetchers' own (replicaFetcher.ts).
 *
 * Left out: partitions moving off this broker (reassignment), stray replicas, follower fetching
 * for consumers (KIP-392), fetch sessions (KIP-227), and per-partition maxBytes (the request's maxBytes bounds each partition's read).
 */
import type { Host, NodeId, TrafficClass } from '../host.js';
import { EMPTY_RECORDS, NO_PRODUCER_ID, type SimpleRecord } from '../log/recordBatch.js';
import type { PartitionRegistration } from '../metadata/types.js';
import {
  CONSUMER_REPLICA_ID,
  DEBUGGING_REPLICA_ID,
  type FetchRequest,
  type FetchResponse,
  type FetchResponsePartition,
  type ListOffsetsRequest,
  type ListOffsetsResponsePartition,
  NO_TIMESTAMP,
  type OffsetsForLeaderEpochRequest,
  type ProducePartitionResponse,
  type ProduceRequest,
  type TopicPartition,
  type WriteTxnMarkersRequest,
} from '../protocol/apis.js';
import type { TransactionToVerify } from './addPartitionsToTxnManager.js';
import type { KafkaErrorCode } from '../protocol/errors.js';
import type { AlterPartitionManager } from './alterPartitionManager.js';
import type { BrokerConfig } from './config.js';
import type { LogManager } from './logManager.js';
import type { KRaftMetadataCache } from './metadataCache.js';
import { Partition, type PartitionSettings } from './partition.js';
import { type DelayedFetch, type DelayedProduce, type DelayedProducePartition, Purgatory } from './purgatory.js';
import { ReplicaFetcherManager } from './replicaFetcher.js';
import type { TimerHandle, Timers } from './timers.js';
import { verifiesTransactionPartitions } from './transactionCoordinatorConfig.js';

/** A partition this broker began or stopped leading, as applying an image found it. */
export interface PartitionLeadershipChange {
  readonly kind: 'became-leader' | 'became-follower' | 'removed';
  readonly topic: string;
  readonly partitionIndex: number;
  /** The leader epoch of the registration that made the change. */
  readonly leaderEpoch: number;
}

/** The producer a coordinator's transactional write belongs to. */
export interface CoordinatorTransactionalWrite {
  readonly producerId: number;
  readonly producerEpoch: number;
}

/** A transaction marker as the coordinator of the partition it landed in replays it. */
export interface ReplayedTxnMarker {
  readonly producerId: number;
  readonly producerEpoch: number;
  /** true: COMMIT; false: ABORT. */
  readonly committed: boolean;
}

export type TxnMarkerListener = (partitionIndex: number, marker: ReplayedTxnMarker, offset: number) => void;

export interface ReplicaManagerContext {
  nextCorrelationId(): number;
  brokerEpoch(): number;
}

const ISR_EXPIRATION_TIMER = 'broker.isr-expiration';
/** How long a marker append may wait to replicate: Kafka uses the coordinator's request timeout. */
const MARKER_APPEND_TIMEOUT_MS = 30_000;

/** Kafka's Topic.isInternal: topics a client may not produce to. */
const INTERNAL_TOPICS: readonly string[] = ['__consumer_offsets', '__transaction_state'];

export class ReplicaManager {
  /** Keyed by `<topic>-<partition>`. Partitions are never dropped: one removed from this broker stays with role 'none'. */
  private readonly partitions = new Map<string, Partition>();
  private readonly fetchers: ReplicaFetcherManager;
  private readonly purgatory = new Purgatory<FetchRequest>();
  private readonly highWatermarkListeners = new Map<string, (partitionIndex: number, highWatermark: number) => void>();
  private readonly txnMarkerListeners = new Map<string, TxnMarkerListener>();
  private transactionVerifier: { verifyTransaction(transaction: TransactionToVerify, callback: (errors: ReadonlyMap<string, KafkaErrorCode>) => void): void } | null = null;

  constructor(
    private readonly host: Host<unknown>,
    private readonly timers: Timers,
    private readonly config: BrokerConfig,
    private readonly metadataCache: KRaftMetadataCache,
    private readonly logManager: LogManager,
    private readonly alterPartitionManager: AlterPartitionManager,
    context: ReplicaManagerContext,
  ) {
    this.fetchers = new ReplicaFetcherManager(
      {
        localBrokerId: host.nodeId,
        brokerEpoch: () => context.brokerEpoch(),
        nowMs: () => host.nowMs(),
        nextCorrelationId: () => context.nextCorrelationId(),
        send: (to, request) => host.send(to, request, 'replication'),
        disconnect: (peer) => host.disconnect(peer),
        timers,
        onFollowerProgress: (partition) => this.onPartitionChanged(partition),
      },
      config,
    );
  }

  startup(): void {
    this.timers.schedulePeriodic(ISR_EXPIRATION_TIMER, Math.floor(this.config.replicaLagTimeMaxMs / 2), () => this.maybeShrinkIsr());
  }

  getPartition(topic: string, partitionId: number): Partition | undefined {
    return this.partitions.get(`${topic}-${partitionId}`);
  }

  // ---- Metadata ----

  /**
   * Applies the metadata image to this broker's partitions: leadership, followership, ISR changes
   * (Kafka's applyDelta). Returns the partitions whose leadership changed here, in topic then
   * partition order.
   */
  applyImage(): PartitionLeadershipChange[] {
    const nowMs = this.host.nowMs();
    const changes: PartitionLeadershipChange[] = [];
    for (const registration of this.metadataCache.partitionsReplicatedOn(this.host.nodeId)) {
      const key = `${registration.topic}-${registration.partitionId}`;
      let partition = this.partitions.get(key);
      if (partition === undefined) {
        partition = this.createPartition(registration, nowMs);
        this.partitions.set(key, partition);
      }
      partition.updateSettings(this.partitionSettings(registration.topic));
      const change = partition.applyRegistration(registration);
      if (change === 'became-leader') this.fetchers.removePartition(key);
      if (change === 'became-follower' && registration.leader !== null) this.fetchers.addPartition(key, partition, registration.leader);
      if (change === 'became-follower' && registration.leader === null) this.fetchers.removePartition(key);
      if (change === 'removed') this.fetchers.removePartition(key);
      if (change !== 'unchanged') this.onPartitionChanged(partition);
      if (change === 'became-leader' || change === 'became-follower' || change === 'removed') {
        changes.push({ kind: change, topic: registration.topic, partitionIndex: registration.partitionId, leaderEpoch: registration.leaderEpoch });
      }
    }
    return changes;
  }

  private createPartition(registration: PartitionRegistration, nowMs: number): Partition {
    const log = this.logManager.getOrCreateLog(registration.topic, registration.partitionId, nowMs);
    return new Partition(registration.topic, registration.partitionId, this.host.nodeId, log, this.partitionSettings(registration.topic), {
      nowMs: () => this.host.nowMs(),
      trace: (event) => this.host.trace(event),
      sendAlterPartition: (partition, proposal) => this.alterPartitionManager.submit(partition, proposal, () => this.onPartitionChanged(partition)),
      onStorageError: (reason) => this.host.halt(`log directory failed (${reason}): shutting down, as a broker whose only log directory is offline does`),
      isReplicaIsrEligible: (brokerId, brokerEpoch) => this.metadataCache.isReplicaIsrEligible(brokerId, brokerEpoch),
    });
  }

  /** The partition's settings: its topic's resolved LogConfig (LogManager), and the broker's own. */
  private partitionSettings(topic: string): PartitionSettings {
    return {
      minInsyncReplicas: this.logManager.logConfig(topic).minInsyncReplicas,
      replicaLagTimeMaxMs: this.config.replicaLagTimeMaxMs,
      legacy: this.config.legacy,
    };
  }

  private sortedPartitions(): Partition[] {
    return [...this.partitions.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map((key) => this.partitions.get(key)!);
  }

  private maybeShrinkIsr(): void {
    const nowMs = this.host.nowMs();
    for (const partition of this.sortedPartitions()) {
      partition.maybeShrinkIsr(nowMs);
      this.onPartitionChanged(partition);
    }
  }

  // ---- Fetcher inputs ----

  handleFetchResponse(from: NodeId, response: FetchResponse): void {
    this.fetchers.handleResponse(from, response);
  }

  handleDisconnect(peer: NodeId): void {
    this.fetchers.handleDisconnect(peer);
  }

  // ---- Produce ----

  handleProduceRequest(from: NodeId, request: ProduceRequest): void {
    const toVerify = this.partitionsToVerify(request);
    if (toVerify === null) return this.appendForProduce(from, request, null);
    // KIP-890 part 1: the transaction's first batch on a partition waits for the coordinator.
    const { producerId, producerEpoch } = toVerify;
    const epochBump = this.config.transactionCoordinator.transactionVersion === 2;
    const guards = new Map(toVerify.partitions.map(({ topic, partition }) => [`${topic}-${partition}`, this.getPartition(topic, partition)!.startTransactionVerification(producerId, producerEpoch, epochBump)]));
    this.transactionVerifier!.verifyTransaction(toVerify, (errors) => {
      const verified = new Map<string, KafkaErrorCode>();
      for (const [key, guard] of guards) {
        const error = errors.get(key) ?? 'INVALID_TXN_STATE';
        const partition = this.partitions.get(key);
        // As Kafka's UnifiedLog: the guard matters only while no transaction of this producer and
        // epoch is open here — another produce verified at the same time may have opened it.
        const holds = partition !== undefined && (partition.verificationGuardHolds(producerId, guard) || !partition.needsTransactionVerification(producerId, producerEpoch));
        verified.set(key, error !== 'NONE' ? error : holds ? 'NONE' : 'INVALID_TXN_STATE');
      }
      this.appendForProduce(from, request, verified);
    });
  }

  /**
   * The transactional batches of a produce that need the coordinator's word before they are
   * appended (a producer with no transaction open on the partition), or null when none do — or
   * when verification is off (transaction version 1 with transaction.partition.verification.enable
   * false: the broker before KAFKA-14402, where a late batch opens a transaction its coordinator
   * never hears of).
   */
  private partitionsToVerify(request: ProduceRequest): TransactionToVerify | null {
    const transactionalId = request.transactionalId ?? null;
    if (transactionalId === null || this.transactionVerifier === null || !verifiesTransactionPartitions(this.config.transactionCoordinator)) return null;
    const partitions: TopicPartition[] = [];
    let producer: { producerId: number; producerEpoch: number } | null = null;
    for (const topicData of request.topicData) {
      for (const data of topicData.partitionData) {
        if (!data.records.isTransactional || INTERNAL_TOPICS.includes(topicData.name)) continue;
        const partition = this.getPartition(topicData.name, data.index);
        if (partition === undefined || partition.role !== 'leader' || !partition.needsTransactionVerification(data.records.producerId, data.records.producerEpoch)) continue;
        producer = { producerId: data.records.producerId, producerEpoch: data.records.producerEpoch };
        partitions.push({ topic: topicData.name, partition: data.index });
      }
    }
    if (producer === null) return null;
    return { transactionalId, ...producer, partitions };
  }

  /** Kafka's AddPartitionsToTxnManager, set by the broker once its transaction coordinator exists. */
  setTransactionVerifier(verifier: { verifyTransaction(transaction: TransactionToVerify, callback: (errors: ReadonlyMap<string, KafkaErrorCode>) => void): void }): void {
    this.transactionVerifier = verifier;
  }

  /** Appends a produce's batches (those `verified` refused are answered with its error) and answers, at once or once replicated. */
  private appendForProduce(from: NodeId, request: ProduceRequest, verified: ReadonlyMap<string, KafkaErrorCode> | null): void {
    const nowMs = this.host.nowMs();
    const acks = request.acks;
    const results: Array<{ topic: string; response: ProducePartitionResponse; requiredOffset: number }> = [];
    for (const topicData of request.topicData) {
      for (const data of topicData.partitionData) {
        const respond = (errorCode: KafkaErrorCode, baseOffset: number, requiredOffset: number) =>
          results.push({ topic: topicData.name, requiredOffset, response: { index: data.index, errorCode, baseOffset, logStartOffset: -1, errorMessage: null } });
        if (acks !== 0 && acks !== 1 && acks !== -1) {
          respond('INVALID_REQUIRED_ACKS', -1, -1);
          continue;
        }
        if (INTERNAL_TOPICS.includes(topicData.name)) {
          // Only the coordinators write their topics (appendRecordsAsCoordinator).
          respond('INVALID_TOPIC_EXCEPTION', -1, -1);
          continue;
        }
        const partition = this.getPartition(topicData.name, data.index);
        if (partition === undefined) {
          respond(this.notHostedError(topicData.name), -1, -1);
          continue;
        }
        const verification = verified?.get(`${topicData.name}-${data.index}`) ?? 'NONE';
        if (verification !== 'NONE') {
          respond(verification, -1, -1);
          continue;
        }
        const batch = data.records;
        const producer = batch.producerId === NO_PRODUCER_ID ? null : { producerId: batch.producerId, producerEpoch: batch.producerEpoch, baseSequence: batch.baseSequence };
        const result = partition.appendRecordsToLeader(batch.records, producer, acks, nowMs, batch.isTransactional);
        if ('error' in result) respond(result.error, -1, -1);
        else respond('NONE', result.firstOffset, result.lastOffset + 1);
        this.onPartitionChanged(partition);
      }
    }
    if (acks === 0) return;
    const delayed = acks === -1 ? results.filter((r) => r.response.errorCode === 'NONE') : [];
    if (delayed.length === 0) {
      this.sendProduceResponse(from, request.correlationId, results.map((r) => ({ topic: r.topic, response: r.response })));
      return;
    }
    this.delayProduce(
      results.map((r) => ({
        topic: r.topic,
        partition: r.response.index,
        requiredOffset: r.requiredOffset,
        baseOffset: r.response.baseOffset,
        error: r.response.errorCode === 'NONE' ? null : r.response.errorCode,
      })),
      request.timeoutMs,
      (partitions) => this.sendProduceResponse(from, request.correlationId, partitions.map(producePartitionResponse)),
    );
  }

  // ---- WriteTxnMarkers ----

  /**
   * Writes the transaction coordinator's markers (Kafka's handleWriteTxnMarkersRequest): each
   * partition's marker is appended by its leader with acks=all, and the answer waits until every
   * marker is replicated (or failed). Internal topics take markers too: `__consumer_offsets` gets
   * them for transactional offset commits.
   */
  handleWriteTxnMarkers(from: NodeId, request: WriteTxnMarkersRequest): void {
    const nowMs = this.host.nowMs();
    const entries: DelayedProducePartition[] = [];
    const producerOf = new Map<string, number>();
    for (const marker of request.markers) {
      for (const topic of marker.topics) {
        for (const partitionIndex of topic.partitions) {
          producerOf.set(`${topic.name}-${partitionIndex}`, marker.producerId);
          const partition = this.getPartition(topic.name, partitionIndex);
          const entry = { topic: topic.name, partition: partitionIndex, requiredOffset: -1, baseOffset: -1, error: null as KafkaErrorCode | null };
          if (partition === undefined) {
            entries.push({ ...entry, error: this.metadataCache.contains(topic.name) ? 'NOT_LEADER_OR_FOLLOWER' : 'UNKNOWN_TOPIC_OR_PARTITION' });
            continue;
          }
          const result = partition.appendTxnMarkerToLeader(
            { producerId: marker.producerId, producerEpoch: marker.producerEpoch, coordinatorEpoch: marker.coordinatorEpoch, result: marker.transactionResult ? 'COMMIT' : 'ABORT' },
            nowMs,
          );
          if ('error' in result) entries.push({ ...entry, error: result.error });
          else {
            entries.push({ ...entry, requiredOffset: result.lastOffset + 1, baseOffset: result.firstOffset });
            // The coordinator of an internal topic replays the marker at once, as it does its own
            // records (Kafka routes these markers through GroupCoordinator.completeTransaction).
            this.txnMarkerListeners.get(topic.name)?.(partitionIndex, { producerId: marker.producerId, producerEpoch: marker.producerEpoch, committed: marker.transactionResult }, result.firstOffset);
          }
          this.onPartitionChanged(partition);
        }
      }
    }
    this.delayProduce(entries, MARKER_APPEND_TIMEOUT_MS, (partitions) => {
      const byProducer = new Map<number, Map<string, Array<{ partitionIndex: number; errorCode: KafkaErrorCode }>>>();
      for (const entry of partitions) {
        const producerId = producerOf.get(`${entry.topic}-${entry.partition}`)!;
        const topics = byProducer.get(producerId) ?? new Map<string, Array<{ partitionIndex: number; errorCode: KafkaErrorCode }>>();
        topics.set(entry.topic, [...(topics.get(entry.topic) ?? []), { partitionIndex: entry.partition, errorCode: entry.error ?? 'REQUEST_TIMED_OUT' }]);
        byProducer.set(producerId, topics);
      }
      const markers = [...byProducer].map(([producerId, topics]) => ({ producerId, topics: [...topics].map(([name, results]) => ({ name, partitions: results })) }));
      this.host.send(from, { api: 'WriteTxnMarkersResponse', correlationId: request.correlationId, markers }, 'replication');
    });
  }

  /**
   * A coordinator's own write to its internal topic (Kafka's appendRecords with
   * internalTopicsAllowed and AppendOrigin.COORDINATOR, acks=-1): the leader's append is answered
   * at once (its last offset, or the error that stopped it); `onCommitted` hears later, from the
   * purgatory, whether the high watermark passed the records (NONE) or why not — which may be
   * before this returns, when the leader alone makes up a sufficient ISR.
   */
  appendRecordsAsCoordinator(
    topic: string,
    partitionIndex: number,
    records: readonly SimpleRecord[],
    timeoutMs: number,
    onCommitted: (error: KafkaErrorCode) => void,
    transactional: CoordinatorTransactionalWrite | null = null,
  ): { error: KafkaErrorCode } | { lastOffset: number } {
    const partition = this.getPartition(topic, partitionIndex);
    if (partition === undefined) return { error: 'NOT_LEADER_OR_FOLLOWER' };
    // A transactional write (TxnOffsetCommit) is a transactional batch of the producer, which its
    // transaction's marker later ends; the coordinator gives it no sequence (AppendOrigin.COORDINATOR).
    const producer = transactional === null ? null : { producerId: transactional.producerId, producerEpoch: transactional.producerEpoch, baseSequence: 0 };
    const result = partition.appendRecordsToLeader(records, producer, -1, this.host.nowMs(), transactional !== null, 'coordinator');
    if ('error' in result) return { error: result.error };
    this.onPartitionChanged(partition);
    const entry = { topic, partition: partitionIndex, requiredOffset: result.lastOffset + 1, baseOffset: result.firstOffset, error: null };
    this.delayProduce([entry], timeoutMs, (partitions) => onCommitted(partitions[0]!.error ?? 'REQUEST_TIMED_OUT'));
    return { lastOffset: result.lastOffset };
  }

  /** Holds an acks=all write in the purgatory until the high watermark covers it, or `timeoutMs`. */
  private delayProduce(partitions: DelayedProducePartition[], timeoutMs: number, onComplete: DelayedProduce['onComplete']): void {
    const id = this.purgatory.newId();
    const operation: DelayedProduce = { kind: 'produce', id, partitions, timer: this.scheduleExpiration(id, timeoutMs), onComplete };
    this.purgatory.add(operation, partitions.map((p) => `${p.topic}-${p.partition}`));
    this.tryCompleteProduce(operation);
  }

  private tryCompleteProduce(operation: DelayedProduce): void {
    for (const entry of operation.partitions) {
      if (entry.error !== null) continue;
      const partition = this.getPartition(entry.topic, entry.partition);
      const check = partition === undefined ? { done: true as const, error: 'NOT_LEADER_OR_FOLLOWER' as const } : partition.checkEnoughReplicasReachOffset(entry.requiredOffset);
      if (check.done) entry.error = check.error;
    }
    if (operation.partitions.some((entry) => entry.error === null)) return;
    this.completeProduce(operation);
  }

  private completeProduce(operation: DelayedProduce): void {
    if (this.purgatory.remove(operation.id) === undefined) return;
    this.timers.cancel(operation.timer);
    operation.onComplete(operation.partitions);
  }

  private sendProduceResponse(to: NodeId, correlationId: number, results: Array<{ topic: string; response: ProducePartitionResponse }>): void {
    const byTopic = new Map<string, ProducePartitionResponse[]>();
    for (const { topic, response } of results) byTopic.set(topic, [...(byTopic.get(topic) ?? []), response]);
    this.host.send(to, {
      api: 'ProduceResponse',
      correlationId,
      responses: [...byTopic.entries()].map(([name, partitionResponses]) => ({ name, partitionResponses })),
    }, 'client');
  }

  // ---- Fetch ----

  handleFetchRequest(from: NodeId, request: FetchRequest): void {
    const responses = this.readForFetch(request);
    // A follower's fetch reports its progress, which may have moved the high watermark: the
    // acks=all produces waiting on these partitions may be done.
    if (request.replicaId !== CONSUMER_REPLICA_ID) {
      for (const topic of request.topics) for (const data of topic.partitions) this.wakeProduces(`${topic.topic}-${data.partition}`);
    }
    if (request.maxWaitMs <= 0 || isFetchSatisfied(request, responses)) {
      this.sendFetchResponse(from, request, responses);
      return;
    }
    // Not enough to return yet: hold the fetch until fetch.min.bytes arrive or its max wait passes.
    const id = this.purgatory.newId();
    const keys = request.topics.flatMap((t) => t.partitions.map((p) => `${t.topic}-${p.partition}`));
    const operation: DelayedFetch<FetchRequest> = { kind: 'fetch', id, from, request, partitionKeys: keys, timer: this.scheduleExpiration(id, request.maxWaitMs) };
    this.purgatory.add(operation, keys);
  }

  /**
   * Reads a fetch's partitions. `racesHighWatermarkUpdates`: false for a held fetch completed by
   * the partition change that woke it, which Kafka reads on the same thread right after the change;
   * a fetch read on arrival or at expiry runs on its own thread, beside other requests' updates
   * (only the pre-KAFKA-9807 legacy switch cares).
   */
  private readForFetch(request: FetchRequest, racesHighWatermarkUpdates = true): FetchResponse['responses'] {
    const nowMs = this.host.nowMs();
    const isFollower = request.replicaId !== CONSUMER_REPLICA_ID;
    return request.topics.map((topic) => ({
      topic: topic.topic,
      partitions: topic.partitions.map((data): FetchResponsePartition => {
        const partition = this.getPartition(topic.topic, data.partition);
        if (partition === undefined) return unknownPartition(data.partition, this.notHostedError(topic.topic));
        return isFollower
          ? partition.fetchAsLeaderForFollower(request.replicaId as NodeId, request.replicaEpoch, data, request.maxBytes, nowMs)
          : partition.fetchAsLeaderForConsumer(data, request.maxBytes, request.isolationLevel, racesHighWatermarkUpdates);
      }),
    }));
  }

  private sendFetchResponse(to: NodeId, request: FetchRequest, responses: FetchResponse['responses']): void {
    const trafficClass: TrafficClass = request.replicaId === CONSUMER_REPLICA_ID ? 'client' : 'replication';
    this.host.send(to, { api: 'FetchResponse', correlationId: request.correlationId, errorCode: 'NONE', responses }, trafficClass);
  }

  // ---- Delayed operations ----

  /** A partition changed (append, HW, ISR, role): wake the operations waiting on it. */
  private onPartitionChanged(partition: Partition): void {
    const key = `${partition.topic}-${partition.partitionId}`;
    this.wakeProduces(key);
    for (const operation of this.purgatory.watching(key)) {
      if (operation.kind !== 'fetch' || !this.canCompleteFetch(operation.request)) continue;
      // Completed at most once: a callback run earlier in this loop may have completed it already.
      if (this.purgatory.remove(operation.id) === undefined) continue;
      // The log is read once, now that the fetch completes (Kafka's DelayedFetch.onComplete).
      this.timers.cancel(operation.timer);
      this.sendFetchResponse(operation.from, operation.request, this.readForFetch(operation.request, false));
      if (operation.request.replicaId !== CONSUMER_REPLICA_ID) this.wakeProduces(key);
    }
  }

  /**
   * Kafka's DelayedFetch.tryComplete, for a held fetch one of whose partitions changed: decided
   * from offsets and positions, without reading the log. A follower's fetch goes out at any change:
   * from this leader it is news of the partition (a new high watermark to follow, or records), and
   * a partition no longer led here answers it with an error. A consumer's goes out once its
   * partitions hold fetch.min.bytes it may read, or one of them has an error to report.
   */
  private canCompleteFetch(request: FetchRequest): boolean {
    if (request.replicaId !== CONSUMER_REPLICA_ID) return true;
    let bytesAvailable = 0;
    for (const topic of request.topics) {
      for (const data of topic.partitions) {
        const partition = this.getPartition(topic.topic, data.partition);
        const available = partition === undefined ? 'complete' : partition.consumerFetchBytesAvailable(data, request.maxBytes, request.isolationLevel);
        if (available === 'complete') return true;
        bytesAvailable += available;
      }
    }
    return bytesAvailable >= request.minBytes;
  }

  /**
   * The high watermark may have moved: complete the writes it now covers, and tell the partition's
   * high-watermark listener (a coordinator waiting for its records to commit).
   */
  private wakeProduces(key: string): void {
    for (const operation of this.purgatory.watching(key)) if (operation.kind === 'produce') this.tryCompleteProduce(operation);
    const partition = this.partitions.get(key);
    if (partition === undefined || partition.role !== 'leader') return;
    this.highWatermarkListeners.get(partition.topic)?.(partition.partitionId, partition.highWatermark);
  }

  /**
   * Kafka's PartitionListener.onHighWatermarkUpdated, for one topic's partitions led here: told
   * the high watermark whenever it may have moved (a listener ignores what it already knew).
   */
  addHighWatermarkListener(topic: string, listener: (partitionIndex: number, highWatermark: number) => void): void {
    this.highWatermarkListeners.set(topic, listener);
  }

  /** Tells the coordinator of an internal topic of each transaction marker written to one of its partitions, with the marker's offset. */
  addTxnMarkerListener(topic: string, listener: TxnMarkerListener): void {
    this.txnMarkerListeners.set(topic, listener);
  }

  private scheduleExpiration(id: number, delayMs: number): TimerHandle {
    return this.timers.schedule(`broker.delayed/${id}`, delayMs, () => this.expireDelayed(id));
  }

  private expireDelayed(id: number): void {
    const operation = this.purgatory.get(id);
    if (operation === undefined) return;
    if (operation.kind === 'produce') {
      for (const entry of operation.partitions) if (entry.error === null) entry.error = 'REQUEST_TIMED_OUT';
      this.completeProduce(operation);
      return;
    }
    this.purgatory.remove(id);
    this.sendFetchResponse(operation.from, operation.request, this.readForFetch(operation.request));
  }

  // ---- ListOffsets ----

  /**
   * Kafka's fetchOffset: each partition answered by its Partition (fetchOffsetForTimestamp). A
   * client (replica id -1) is held to its isolation level; a debugging tool (-2) may ask any replica.
   * A partition named twice is INVALID_REQUEST for both, as in Kafka.
   */
  handleListOffsetsRequest(from: NodeId, request: ListOffsetsRequest): void {
    const isClientRequest = request.replicaId === CONSUMER_REPLICA_ID;
    const fetchOnlyFromLeader = request.replicaId !== DEBUGGING_REPLICA_ID;
    const duplicates = duplicatePartitions(request.topics.flatMap((topic) => topic.partitions.map((data) => `${topic.name}-${data.partitionIndex}`)));
    const topics = request.topics.map((topic) => ({
      name: topic.name,
      partitions: topic.partitions.map((data): ListOffsetsResponsePartition => {
        const notServed = (errorCode: KafkaErrorCode) => ({ partitionIndex: data.partitionIndex, errorCode, timestamp: NO_TIMESTAMP, offset: -1, leaderEpoch: -1 });
        if (duplicates.has(`${topic.name}-${data.partitionIndex}`)) return notServed('INVALID_REQUEST');
        const partition = this.getPartition(topic.name, data.partitionIndex);
        if (partition === undefined) return notServed(this.notHostedError(topic.name));
        return partition.fetchOffsetForTimestamp(data.timestamp, isClientRequest ? request.isolationLevel : null, data.currentLeaderEpoch, fetchOnlyFromLeader);
      }),
    }));
    // A broker's id names a follower, which asks over the replication listener; -1 and -2 are clients.
    const trafficClass: TrafficClass = typeof request.replicaId === 'string' ? 'replication' : 'client';
    this.host.send(from, { api: 'ListOffsetsResponse', correlationId: request.correlationId, topics }, trafficClass);
  }

  // ---- OffsetsForLeaderEpoch ----

  /** Kafka's lastOffsetForLeaderEpoch: answered by the leader only, from its leader-epoch cache. */
  handleOffsetsForLeaderEpochRequest(from: NodeId, request: OffsetsForLeaderEpochRequest): void {
    const topics = request.topics.map((topic) => ({
      topic: topic.topic,
      partitions: topic.partitions.map((data) => {
        const partition = this.getPartition(topic.topic, data.partition);
        if (partition === undefined) return { errorCode: this.notHostedError(topic.topic), partition: data.partition, leaderEpoch: -1, endOffset: -1 };
        return partition.lastOffsetForLeaderEpoch(data.currentLeaderEpoch, data.leaderEpoch, true);
      }),
    }));
    const trafficClass: TrafficClass = request.replicaId === CONSUMER_REPLICA_ID ? 'client' : 'replication';
    this.host.send(from, { api: 'OffsetsForLeaderEpochResponse', correlationId: request.correlationId, topics }, trafficClass);
  }

  /** Kafka's answer for a partition this broker does not host: known topic or not. */
  private notHostedError(topic: string): KafkaErrorCode {
    return this.metadataCache.contains(topic) ? 'NOT_LEADER_OR_FOLLOWER' : 'UNKNOWN_TOPIC_OR_PARTITION';
  }
}

/** The keys that appear more than once. */
function duplicatePartitions(keys: readonly string[]): Set<string> {
  const seen = new Set<string>();
  const duplicates = new Set<string>();
  for (const key of keys) (seen.has(key) ? duplicates : seen).add(key);
  return duplicates;
}

/**
 * Kafka's condition for answering a fetch now (ReplicaManager.fetchMessages, DelayedFetch): at
 * least minBytes of records across its partitions, or an error or a divergence to report. A fetch
 * asking for 0 bytes is always satisfied.
 */
function isFetchSatisfied(request: FetchRequest, responses: FetchResponse['responses']): boolean {
  let bytes = 0;
  for (const topic of responses) {
    for (const partition of topic.partitions) {
      if (partition.errorCode !== 'NONE' || partition.divergingEpoch !== null) return true;
      bytes += partition.records.sizeInBytes;
    }
  }
  return bytes >= request.minBytes;
}

/** A delayed write's outcome as a produce response: no error by now means it timed out. */
function producePartitionResponse(entry: DelayedProducePartition): { topic: string; response: ProducePartitionResponse } {
  return {
    topic: entry.topic,
    response: {
      index: entry.partition,
      errorCode: entry.error ?? 'REQUEST_TIMED_OUT',
      baseOffset: entry.error === 'NONE' ? entry.baseOffset : -1,
      logStartOffset: -1,
      errorMessage: null,
    },
  };
}

function unknownPartition(partitionIndex: number, errorCode: KafkaErrorCode): FetchResponsePartition {
  return {
    partitionIndex,
    errorCode,
    highWatermark: -1,
    lastStableOffset: -1,
    logStartOffset: -1,
    divergingEpoch: null,
    currentLeader: { leaderId: null, leaderEpoch: -1 },
    records: EMPTY_RECORDS,
  };
}
