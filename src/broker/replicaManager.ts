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
 * - Fetch (fetchMessages): followers and consumers read from the leader; a fetch with fewer than
 *   its minBytes to return waits in the purgatory up to its max wait (DelayedFetch): a consumer's
 *   fetch.min.bytes and fetch.max.wait.ms. A consumer reads below the high watermark whatever its
 *   isolation.level: without transactions the last stable offset is the high watermark, so
 *   read_committed reads the same (transactions will make them differ).
 * - ListOffsets: the log start offset, or the high watermark once it is current (KIP-207).
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
import { batchSizeInBytes, NO_PRODUCER_ID, type SimpleRecord } from '../log/recordBatch.js';
import type { PartitionRegistration } from '../metadata/types.js';
import {
  CONSUMER_REPLICA_ID,
  EARLIEST_TIMESTAMP,
  type FetchRequest,
  type FetchResponse,
  type FetchResponsePartition,
  type ListOffsetsRequest,
  type OffsetsForLeaderEpochRequest,
  type ProducePartitionResponse,
  type ProduceRequest,
} from '../protocol/apis.js';
import type { KafkaErrorCode } from '../protocol/errors.js';
import type { AlterPartitionManager } from './alterPartitionManager.js';
import type { BrokerConfig } from './config.js';
import type { LogManager } from './logManager.js';
import type { KRaftMetadataCache } from './metadataCache.js';
import { Partition, type PartitionSettings } from './partition.js';
import { type DelayedFetch, type DelayedProduce, type DelayedProducePartition, Purgatory } from './purgatory.js';
import { ReplicaFetcherManager } from './replicaFetcher.js';
import type { TimerHandle, Timers } from './timers.js';

/** A partition this broker began or stopped leading, as applying an image found it. */
export interface PartitionLeadershipChange {
  readonly kind: 'became-leader' | 'became-follower' | 'removed';
  readonly topic: string;
  readonly partitionIndex: number;
  /** The leader epoch of the registration that made the change. */
  readonly leaderEpoch: number;
}

export interface ReplicaManagerContext {
  nextCorrelationId(): number;
  brokerEpoch(): number;
}

const ISR_EXPIRATION_TIMER = 'broker.isr-expiration';

/** Kafka's Topic.isInternal: topics a client may not produce to. */
const INTERNAL_TOPICS: readonly string[] = ['__consumer_offsets', '__transaction_state'];

export class ReplicaManager {
  /** Keyed by `<topic>-<partition>`. Partitions are never dropped: one removed from this broker stays with role 'none'. */
  private readonly partitions = new Map<string, Partition>();
  private readonly fetchers: ReplicaFetcherManager;
  private readonly purgatory = new Purgatory<FetchRequest>();
  private readonly highWatermarkListeners = new Map<string, (partitionIndex: number, highWatermark: number) => void>();

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
          respond(this.metadataCache.contains(topicData.name) ? 'NOT_LEADER_OR_FOLLOWER' : 'UNKNOWN_TOPIC_OR_PARTITION', -1, -1);
          continue;
        }
        const batch = data.records;
        const producer = batch.producerId === NO_PRODUCER_ID ? null : { producerId: batch.producerId, producerEpoch: batch.producerEpoch, baseSequence: batch.baseSequence };
        const result = partition.appendRecordsToLeader(batch.records, producer, acks, nowMs);
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

  /**
   * A coordinator's own write to its internal topic (Kafka's appendRecords with
   * internalTopicsAllowed and AppendOrigin.COORDINATOR, acks=-1): the leader's append is answered
   * at once (its last offset, or the error that stopped it); `onCommitted` hears later, from the
   * purgatory, whether the high watermark passed the records (NONE) or why not — which may be
   * before this returns, when the leader alone makes up a sufficient ISR.
   */
  appendRecordsAsCoordinator(topic: string, partitionIndex: number, records: readonly SimpleRecord[], timeoutMs: number, onCommitted: (error: KafkaErrorCode) => void): { error: KafkaErrorCode } | { lastOffset: number } {
    const partition = this.getPartition(topic, partitionIndex);
    if (partition === undefined) return { error: 'NOT_LEADER_OR_FOLLOWER' };
    const result = partition.appendRecordsToLeader(records, null, -1, this.host.nowMs());
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

  private readForFetch(request: FetchRequest): FetchResponse['responses'] {
    const nowMs = this.host.nowMs();
    const isFollower = request.replicaId !== CONSUMER_REPLICA_ID;
    return request.topics.map((topic) => ({
      topic: topic.topic,
      partitions: topic.partitions.map((data): FetchResponsePartition => {
        const partition = this.getPartition(topic.topic, data.partition);
        if (partition === undefined) return unknownPartition(data.partition, this.metadataCache.contains(topic.topic));
        return isFollower
          ? partition.fetchAsLeaderForFollower(request.replicaId as NodeId, request.replicaEpoch, data, request.maxBytes, nowMs)
          : partition.fetchAsLeaderForConsumer(data, request.maxBytes);
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
      if (operation.kind !== 'fetch') continue;
      // A held fetch goes out once there is something to say: fetch.min.bytes of data, an error, a
      // divergence — or, to a follower of this leader, news of the partition (a new high
      // watermark to follow).
      const responses = this.readForFetch(operation.request);
      const ready = isFetchSatisfied(operation.request, responses);
      const newsForFollower = partition.role === 'leader' && operation.request.replicaId !== CONSUMER_REPLICA_ID;
      if (!ready && !newsForFollower) continue;
      this.purgatory.remove(operation.id);
      this.timers.cancel(operation.timer);
      this.sendFetchResponse(operation.from, operation.request, responses);
      if (operation.request.replicaId !== CONSUMER_REPLICA_ID) this.wakeProduces(key);
    }
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

  handleListOffsetsRequest(from: NodeId, request: ListOffsetsRequest): void {
    this.host.send(from, {
      api: 'ListOffsetsResponse',
      correlationId: request.correlationId,
      topics: request.topics.map((topic) => ({
        name: topic.name,
        partitions: topic.partitions.map((data) => {
          const partition = this.getPartition(topic.name, data.partitionIndex);
          const answer = (errorCode: KafkaErrorCode, offset: number) => ({ partitionIndex: data.partitionIndex, errorCode, offset, leaderEpoch: partition?.leaderEpoch ?? -1 });
          if (partition === undefined || partition.role !== 'leader') return answer('NOT_LEADER_OR_FOLLOWER', -1);
          if (data.currentLeaderEpoch >= 0 && data.currentLeaderEpoch !== partition.leaderEpoch) {
            return answer(data.currentLeaderEpoch < partition.leaderEpoch ? 'FENCED_LEADER_EPOCH' : 'UNKNOWN_LEADER_EPOCH', -1);
          }
          if (data.timestamp === EARLIEST_TIMESTAMP) return answer('NONE', partition.log.logStartOffset);
          // A new leader's high watermark may lag the truth until its followers fetch (KIP-207).
          if (!partition.isHighWatermarkCurrent) return answer('OFFSET_NOT_AVAILABLE', -1);
          return answer('NONE', partition.highWatermark);
        }),
      })),
    }, 'client');
  }

  // ---- OffsetsForLeaderEpoch ----

  /**
   * Kafka's lastOffsetForLeaderEpoch, for consumers validating their position (KIP-320): the leader
   * answers where the largest epoch ≤ the asked one ends in its log, from its leader-epoch cache
   * (KIP-101, KIP-279); the caller's view of the current epoch is checked first. This broker's own
   * fetchers never send it: they truncate by the diverging epoch in Fetch responses (Kafka 2.7+).
   * (The kafka-rules branch serves it through Partition.lastOffsetForLeaderEpoch; on merge, keep
   * that one.)
   */
  handleOffsetsForLeaderEpochRequest(from: NodeId, request: OffsetsForLeaderEpochRequest): void {
    const topics = request.topics.map((topic) => ({
      topic: topic.topic,
      partitions: topic.partitions.map((data) => {
        const partition = this.getPartition(topic.topic, data.partition);
        const refused = (errorCode: KafkaErrorCode) => ({ partition: data.partition, errorCode, leaderEpoch: -1, endOffset: -1 });
        if (partition === undefined || partition.role === 'none') return refused(this.metadataCache.contains(topic.topic) ? 'NOT_LEADER_OR_FOLLOWER' : 'UNKNOWN_TOPIC_OR_PARTITION');
        if (data.currentLeaderEpoch >= 0 && data.currentLeaderEpoch !== partition.leaderEpoch) {
          return refused(data.currentLeaderEpoch < partition.leaderEpoch ? 'FENCED_LEADER_EPOCH' : 'UNKNOWN_LEADER_EPOCH');
        }
        if (partition.role !== 'leader') return refused('NOT_LEADER_OR_FOLLOWER');
        const end = partition.log.endOffsetForEpoch(data.leaderEpoch);
        return { partition: data.partition, errorCode: 'NONE' as const, leaderEpoch: end.epoch, endOffset: end.endOffset };
      }),
    }));
    // Only consumers ask (see above), over the client listener.
    this.host.send(from, { api: 'OffsetsForLeaderEpochResponse', correlationId: request.correlationId, topics }, 'client');
  }
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
      for (const batch of partition.records) bytes += batchSizeInBytes(batch);
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

function unknownPartition(partitionIndex: number, topicKnown: boolean): FetchResponsePartition {
  return {
    partitionIndex,
    errorCode: topicKnown ? 'NOT_LEADER_OR_FOLLOWER' : 'UNKNOWN_TOPIC_OR_PARTITION',
    highWatermark: -1,
    lastStableOffset: -1,
    logStartOffset: -1,
    divergingEpoch: null,
    currentLeader: { leaderId: null, leaderEpoch: -1 },
    records: [],
  };
}
