/**
 * A Kafka broker in KRaft mode (KIP-500, KIP-631), as one protocol node:
 * - it follows the metadata log as a KRaft observer and replays committed records into its
 *   MetadataImage; partition registrations in the image make it a leader or a follower;
 * - it registers with the active controller (BrokerRegistration) and heartbeats
 *   (BrokerHeartbeat) every broker.heartbeat.interval.ms, re-registering when its epoch is stale;
 * - it serves Produce (acks 0, 1, all), Fetch (followers and consumers), ListOffsets, Metadata and
 *   InitProducerId; followers fetch from their leaders (replicaFetcher.ts); acks=all produces and
 *   idle fetches wait in the purgatory; ISR changes go to the controller (AlterPartition).
 *
 * Traffic classes: KRaft and controller requests travel as 'controller', follower fetches as
 * 'replication', client requests as 'client' — so the world can partition each alone.
 *
 * Left out: controlled shutdown on the broker side, log directory failure handling beyond a halt,
 * consumer groups and transactions (later issues).
 */
import type { DiskCompletion, Host, NodeId, ProtocolNode, TimerId, TrafficClass } from '../host.js';
import { DEFAULT_LOG_CONFIG, type LogConfig, parseLogConfig } from '../log/config.js';
import { NO_PRODUCER_ID } from '../log/recordBatch.js';
import { UnifiedLog } from '../log/unifiedLog.js';
import { decodeImage, emptyImage, encodeImage, liveBrokers, partitionsReplicatedOn, replayBatch } from '../metadata/image.js';
import type { MetadataImage, PartitionRegistration } from '../metadata/types.js';
import {
  CONSUMER_REPLICA_ID,
  EARLIEST_TIMESTAMP,
  type FetchRequest,
  type FetchResponsePartition,
  type KafkaRequest,
  type KafkaResponse,
  type ListOffsetsRequest,
  type MetadataRequest,
  type ProducePartitionResponse,
  type ProduceRequest,
} from '../protocol/apis.js';
import type { KafkaErrorCode } from '../protocol/errors.js';
import type { RaftConfig } from '../raft/config.js';
import { KafkaRaftClient } from '../raft/kafkaRaftClient.js';
import type { BrokerConfig } from './config.js';
import { Partition, type PartitionHost } from './partition.js';
import { type DelayedFetch, type DelayedProduce, Purgatory } from './purgatory.js';
import { FETCHER_TIMER_PREFIX, ReplicaFetcherManager } from './replicaFetcher.js';

export interface BrokerNodeOptions {
  readonly raftConfig: RaftConfig;
  /** controller.quorum.voters */
  readonly controllers: readonly NodeId[];
  readonly brokerConfig: BrokerConfig;
  /** Cluster-wide log defaults (Kafka names); topics override them through ConfigRecords. */
  readonly logDefaults: Readonly<Record<string, unknown>>;
}

const TIMER = {
  heartbeat: 'broker.heartbeat',
  register: 'broker.register',
  isrExpiration: 'broker.isr-expiration',
  flush: 'broker.flush',
  delayed: 'broker.delayed/',
  alterPartition: 'broker.alter-partition/',
  producerIds: 'broker.producer-ids-timeout',
} as const;

/** How long an AlterPartition or AllocateProducerIds may go unanswered before it is asked again. */
const ALTER_PARTITION_TIMEOUT_MS = 5_000;
/** How often the logs' flush policy and retention are checked. */
const LOG_MAINTENANCE_INTERVAL_MS = 1_000;
/** Producer ids are handed out in blocks by the controller (ProducerIdsRecord). */
const PRODUCER_ID_BLOCK_REFILL_BELOW = 10;

export function createBrokerNode(options: BrokerNodeOptions) {
  return (host: Host<unknown>): ProtocolNode<unknown> => new BrokerNode(host, options);
}

export class BrokerNode implements ProtocolNode<unknown> {
  private readonly raft: KafkaRaftClient;
  private image: MetadataImage = emptyImage();
  private activeController: NodeId | null = null;
  private brokerEpoch = -1;
  /**
   * Partitions follow the metadata image only once this incarnation has caught up with the
   * metadata log and been unfenced: a restarted broker's image is stale, and acting on it would
   * resume leaderships the controller has long moved (Kafka's broker waits for its initial
   * metadata catch-up before starting its replica manager).
   */
  private caughtUp = false;
  private registrationInFlight: number | null = null;
  private heartbeatInFlight: number | null = null;
  private readonly partitions = new Map<string, Partition>();
  private readonly fetchers: ReplicaFetcherManager;
  private readonly purgatory = new Purgatory<FetchRequest>();
  private readonly alterPartitionsInFlight = new Map<number, { partition: Partition; timer: TimerId }>();
  private producerIds: { next: number; end: number } | null = null;
  /** An AllocateProducerIds is outstanding; its timer clears this, so a lost one is asked again. */
  private producerIdsRequested = false;
  private nextCorrelation = 1;

  constructor(
    private readonly host: Host<unknown>,
    private readonly options: BrokerNodeOptions,
  ) {
    this.raft = new KafkaRaftClient(host, {
      config: options.raftConfig,
      voters: options.controllers,
      listener: {
        handleCommit: (entries) => {
          for (const entry of entries) this.image = replayBatch(this.image, entry.offset, entry.record);
          this.onMetadataUpdate();
        },
        handleLoadSnapshot: (_endOffset, _epoch, bytes) => {
          this.image = decodeImage(bytes);
          this.onMetadataUpdate();
        },
        handleLeaderChange: (leaderId) => {
          this.activeController = leaderId;
          if (leaderId !== null && this.brokerEpoch < 0) this.register();
        },
      },
      snapshotProvider: () => encodeImage(this.image),
    });
    const self = this;
    this.fetchers = new ReplicaFetcherManager(
      {
        localBrokerId: host.nodeId,
        brokerEpoch: () => self.brokerEpoch,
        nowMs: () => host.nowMs(),
        nextCorrelationId: () => self.nextCorrelation++,
        send: (to, request) => host.send(to, request, 'replication'),
        disconnect: (peer) => host.disconnect(peer),
        setTimer: (delayMs, tag) => host.setTimer(delayMs, tag),
        cancelTimer: (id) => host.cancelTimer(id),
        onFollowerProgress: (partition) => self.onPartitionChanged(partition),
      },
      options.brokerConfig,
    );
  }

  // ---- Inputs ----

  onStart(): void {
    this.raft.handleStart();
    this.host.setTimer(this.options.brokerConfig.brokerHeartbeatIntervalMs, TIMER.heartbeat);
    this.host.setTimer(Math.floor(this.options.brokerConfig.replicaLagTimeMaxMs / 2), TIMER.isrExpiration);
    this.host.setTimer(LOG_MAINTENANCE_INTERVAL_MS, TIMER.flush);
  }

  onMessage(from: NodeId, message: unknown, trafficClass: TrafficClass): void {
    if (trafficClass === 'controller' && this.raft.handleMessage(from, message)) return;
    const kafka = message as KafkaRequest | KafkaResponse;
    switch (kafka.api) {
      case 'Produce':
        return this.handleProduce(from, kafka);
      case 'Fetch':
        return this.handleFetch(from, kafka);
      case 'Metadata':
        return this.handleMetadata(from, kafka);
      case 'ListOffsets':
        return this.handleListOffsets(from, kafka);
      case 'InitProducerId':
        return this.handleInitProducerId(from, kafka.correlationId);
      case 'FetchResponse':
        this.fetchers.handleResponse(from, kafka);
        return;
      case 'BrokerRegistrationResponse':
        return this.onRegistrationResponse(kafka.correlationId, kafka.errorCode, kafka.brokerEpoch);
      case 'BrokerHeartbeatResponse':
        return this.onHeartbeatResponse(kafka.correlationId, kafka.errorCode, kafka.isFenced);
      case 'AlterPartitionResponse':
        return this.onAlterPartitionResponse(kafka);
      case 'AllocateProducerIdsResponse':
        this.producerIdsRequested = false;
        if (kafka.errorCode === 'NONE') this.producerIds = { next: kafka.producerIdStart, end: kafka.producerIdStart + kafka.producerIdLen };
        return;
      default:
        // Requests this broker does not serve (OffsetsForLeaderEpoch, controller APIs) and stray
        // responses are dropped; their senders time out, as with a real broker's unsupported API.
        return;
    }
  }

  onTimer(tag: string, id: TimerId): void {
    if (this.raft.handleTimer(tag, id)) return;
    if (this.fetchers.handleTimer(tag)) return;
    if (tag === TIMER.heartbeat) {
      this.host.setTimer(this.options.brokerConfig.brokerHeartbeatIntervalMs, TIMER.heartbeat);
      this.heartbeat();
      return;
    }
    if (tag === TIMER.producerIds) {
      this.producerIdsRequested = false;
      return;
    }
    if (tag === TIMER.register) {
      this.registrationInFlight = null;
      if (this.brokerEpoch < 0) this.register();
      return;
    }
    if (tag === TIMER.isrExpiration) {
      this.host.setTimer(Math.floor(this.options.brokerConfig.replicaLagTimeMaxMs / 2), TIMER.isrExpiration);
      const nowMs = this.host.nowMs();
      for (const partition of this.sortedPartitions()) {
        partition.maybeShrinkIsr(nowMs);
        this.onPartitionChanged(partition);
      }
      return;
    }
    if (tag === TIMER.flush) {
      this.host.setTimer(LOG_MAINTENANCE_INTERVAL_MS, TIMER.flush);
      const nowMs = this.host.nowMs();
      for (const partition of this.sortedPartitions()) {
        partition.log.maybeFlush(nowMs);
        partition.log.deleteOldSegments(nowMs);
      }
      return;
    }
    if (tag.startsWith(TIMER.delayed)) return this.expireDelayed(Number(tag.slice(TIMER.delayed.length)));
    if (tag.startsWith(TIMER.alterPartition)) {
      const correlationId = Number(tag.slice(TIMER.alterPartition.length));
      const inFlight = this.alterPartitionsInFlight.get(correlationId);
      if (inFlight === undefined) return;
      this.alterPartitionsInFlight.delete(correlationId);
      inFlight.partition.onAlterPartitionResponse({ errorCode: 'REQUEST_TIMED_OUT', leaderEpoch: -1, isr: [], partitionEpoch: -1 });
      return;
    }
    if (tag.startsWith(FETCHER_TIMER_PREFIX)) return;
    throw new Error(`${this.host.nodeId}: unknown timer ${tag}`);
  }

  onDiskComplete(completion: DiskCompletion): void {
    if (this.raft.handleDiskComplete(completion)) return;
    for (const partition of this.partitions.values()) if (partition.log.onFsyncComplete(completion)) return;
    // A log that was removed may still see its last fsync complete: nothing waits for it.
  }

  onDisconnect(peer: NodeId): void {
    this.raft.handleDisconnect(peer);
    this.fetchers.handleDisconnect(peer);
    if (peer === this.activeController) {
      this.heartbeatInFlight = null;
      this.registrationInFlight = null;
    }
  }

  // ---- Registration and heartbeats (KIP-631) ----

  private register(): void {
    const controller = this.activeController;
    if (controller === null || this.registrationInFlight !== null) return;
    const correlationId = this.nextCorrelation++;
    this.registrationInFlight = correlationId;
    this.host.send(controller, {
      api: 'BrokerRegistration',
      correlationId,
      brokerId: this.host.nodeId,
      incarnationId: `${this.host.nodeId}/${this.host.incarnation}`,
      rack: null,
      previousBrokerEpoch: -1,
    }, 'controller');
    this.host.setTimer(this.options.brokerConfig.brokerHeartbeatIntervalMs, TIMER.register);
  }

  private onRegistrationResponse(correlationId: number, errorCode: KafkaErrorCode, brokerEpoch: number): void {
    if (correlationId !== this.registrationInFlight) return;
    this.registrationInFlight = null;
    if (errorCode !== 'NONE') return;
    this.brokerEpoch = brokerEpoch;
    this.host.trace({ type: 'broker.registered', brokerEpoch });
    this.heartbeat();
  }

  private heartbeat(): void {
    const controller = this.activeController;
    if (this.brokerEpoch < 0) {
      this.register();
      return;
    }
    if (controller === null) return;
    const correlationId = this.nextCorrelation++;
    this.heartbeatInFlight = correlationId;
    this.host.send(controller, {
      api: 'BrokerHeartbeat',
      correlationId,
      brokerId: this.host.nodeId,
      brokerEpoch: this.brokerEpoch,
      currentMetadataOffset: this.image.offset,
      wantFence: false,
      wantShutDown: false,
    }, 'controller');
    this.maybeRequestProducerIds(controller);
  }

  private onHeartbeatResponse(correlationId: number, errorCode: KafkaErrorCode, isFenced: boolean): void {
    if (correlationId !== this.heartbeatInFlight) return;
    this.heartbeatInFlight = null;
    if (errorCode === 'STALE_BROKER_EPOCH' || errorCode === 'BROKER_ID_NOT_REGISTERED') {
      // The controller fenced us for good (e.g. our session expired): register anew.
      this.brokerEpoch = -1;
      this.register();
      return;
    }
    if (errorCode !== 'NONE') return;
    this.host.trace({ type: 'broker.heartbeat', brokerEpoch: this.brokerEpoch, fenced: isFenced });
    if (!isFenced && !this.caughtUp) {
      this.caughtUp = true;
      this.host.trace({ type: 'broker.caught-up', brokerEpoch: this.brokerEpoch, metadataOffset: this.image.offset });
      this.onMetadataUpdate();
    }
  }

  private maybeRequestProducerIds(controller: NodeId): void {
    const remaining = this.producerIds === null ? 0 : this.producerIds.end - this.producerIds.next;
    if (remaining >= PRODUCER_ID_BLOCK_REFILL_BELOW) return;
    // A request lost to a partition or a controller failover must not block producers forever:
    // a timer (not the wall clock, which skew can move) lets it be asked again.
    if (this.producerIdsRequested) return;
    this.producerIdsRequested = true;
    this.host.setTimer(ALTER_PARTITION_TIMEOUT_MS, TIMER.producerIds);
    this.host.send(controller, { api: 'AllocateProducerIds', correlationId: this.nextCorrelation++, brokerId: this.host.nodeId, brokerEpoch: this.brokerEpoch }, 'controller');
  }

  // ---- Metadata ----

  /** Applies the image to this broker's partitions: leadership, followership, ISR changes. */
  private onMetadataUpdate(): void {
    if (!this.caughtUp) return;
    const nowMs = this.host.nowMs();
    for (const registration of partitionsReplicatedOn(this.image, this.host.nodeId)) {
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
    }
  }

  private createPartition(registration: PartitionRegistration, nowMs: number): Partition {
    const dir = `${registration.topic}-${registration.partitionId}`;
    const log = UnifiedLog.load(this.host.disk, dir, this.logConfig(registration.topic), nowMs);
    const summary = log.loadSummary;
    this.host.trace({
      type: 'partition.recovered',
      topic: registration.topic,
      partition: registration.partitionId,
      logStartOffset: summary.logStartOffset,
      logEndOffset: summary.logEndOffset,
      truncatedBytes: summary.truncatedBytes,
    });
    const self = this;
    const partitionHost: PartitionHost = {
      nowMs: () => self.host.nowMs(),
      trace: (event) => self.host.trace(event),
      sendAlterPartition: (partition, request) => self.sendAlterPartition(partition, request),
      onStorageError: (reason) => self.host.halt(`log directory failed (${reason}): shutting down, as a broker whose only log directory is offline does`),
      isReplicaIsrEligible: (brokerId, brokerEpoch) => {
        const registration = self.image.brokers.get(brokerId);
        return registration !== undefined && !registration.fenced && !registration.inControlledShutdown && registration.brokerEpoch === brokerEpoch;
      },
    };
    return new Partition(registration.topic, registration.partitionId, this.host.nodeId, log, this.partitionSettings(registration.topic), partitionHost);
  }

  private topicConfigs(topic: string): Readonly<Record<string, string>> {
    return this.image.topics.get(topic)?.configs ?? {};
  }

  private logConfig(topic: string): LogConfig {
    const parsed = parseLogConfig({ ...this.options.logDefaults, ...this.topicConfigs(topic) });
    return parsed.ok ? parsed.config : DEFAULT_LOG_CONFIG;
  }

  private partitionSettings(topic: string) {
    const minIsr = Number(this.topicConfigs(topic)['min.insync.replicas'] ?? this.options.brokerConfig.minInsyncReplicas);
    return {
      minInsyncReplicas: Number.isSafeInteger(minIsr) && minIsr > 0 ? minIsr : this.options.brokerConfig.minInsyncReplicas,
      replicaLagTimeMaxMs: this.options.brokerConfig.replicaLagTimeMaxMs,
      legacy: this.options.brokerConfig.legacy,
    };
  }

  private sortedPartitions(): Partition[] {
    return [...this.partitions.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map((key) => this.partitions.get(key)!);
  }

  // ---- AlterPartition ----

  private sendAlterPartition(partition: Partition, request: { leaderEpoch: number; partitionEpoch: number; newIsrWithEpochs: Array<{ brokerId: NodeId; brokerEpoch: number }> }): void {
    const correlationId = this.nextCorrelation++;
    const timer = this.host.setTimer(ALTER_PARTITION_TIMEOUT_MS, `${TIMER.alterPartition}${correlationId}`);
    this.alterPartitionsInFlight.set(correlationId, { partition, timer });
    const controller = this.activeController;
    if (controller === null) return; // The timeout will release the partition.
    const newIsrWithEpochs = request.newIsrWithEpochs.map((member) =>
      member.brokerId === this.host.nodeId ? { brokerId: member.brokerId, brokerEpoch: this.brokerEpoch } : member,
    );
    this.host.send(controller, {
      api: 'AlterPartition',
      correlationId,
      brokerId: this.host.nodeId,
      brokerEpoch: this.brokerEpoch,
      topics: [{ topicName: partition.topic, partitions: [{ partitionIndex: partition.partitionId, leaderEpoch: request.leaderEpoch, newIsrWithEpochs, partitionEpoch: request.partitionEpoch }] }],
    }, 'controller');
  }

  private onAlterPartitionResponse(response: Extract<KafkaResponse, { api: 'AlterPartitionResponse' }>): void {
    const inFlight = this.alterPartitionsInFlight.get(response.correlationId);
    if (inFlight === undefined) return;
    this.alterPartitionsInFlight.delete(response.correlationId);
    this.host.cancelTimer(inFlight.timer);
    const data = response.topics[0]?.partitions[0];
    inFlight.partition.onAlterPartitionResponse(
      response.errorCode !== 'NONE' || data === undefined
        ? { errorCode: response.errorCode === 'NONE' ? 'UNKNOWN_SERVER_ERROR' : response.errorCode, leaderEpoch: -1, isr: [], partitionEpoch: -1 }
        : { errorCode: data.errorCode, leaderEpoch: data.leaderEpoch, isr: data.isr, partitionEpoch: data.partitionEpoch },
    );
    this.onPartitionChanged(inFlight.partition);
  }

  // ---- Produce ----

  private handleProduce(from: NodeId, request: ProduceRequest): void {
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
        const partition = this.partitions.get(`${topicData.name}-${data.index}`);
        if (partition === undefined) {
          respond(this.image.topics.has(topicData.name) ? 'NOT_LEADER_OR_FOLLOWER' : 'UNKNOWN_TOPIC_OR_PARTITION', -1, -1);
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
    const id = this.purgatory.newId();
    const operation: DelayedProduce = {
      kind: 'produce',
      id,
      from,
      correlationId: request.correlationId,
      partitions: results.map((r) => ({
        topic: r.topic,
        partition: r.response.index,
        requiredOffset: r.requiredOffset,
        baseOffset: r.response.baseOffset,
        error: r.response.errorCode === 'NONE' ? null : r.response.errorCode,
      })),
      timer: this.host.setTimer(request.timeoutMs, `${TIMER.delayed}${id}`),
    };
    this.purgatory.add(operation, operation.partitions.map((p) => `${p.topic}-${p.partition}`));
    this.tryCompleteProduce(operation);
  }

  private tryCompleteProduce(operation: DelayedProduce): void {
    for (const entry of operation.partitions) {
      if (entry.error !== null) continue;
      const partition = this.partitions.get(`${entry.topic}-${entry.partition}`);
      const check = partition === undefined ? { done: true as const, error: 'NOT_LEADER_OR_FOLLOWER' as const } : partition.checkEnoughReplicasReachOffset(entry.requiredOffset);
      if (check.done) entry.error = check.error;
    }
    if (operation.partitions.some((entry) => entry.error === null)) return;
    this.completeProduce(operation);
  }

  private completeProduce(operation: DelayedProduce): void {
    if (this.purgatory.remove(operation.id) === undefined) return;
    this.host.cancelTimer(operation.timer);
    this.sendProduceResponse(
      operation.from,
      operation.correlationId,
      operation.partitions.map((entry) => ({
        topic: entry.topic,
        response: {
          index: entry.partition,
          errorCode: entry.error ?? 'REQUEST_TIMED_OUT',
          baseOffset: entry.error === 'NONE' ? entry.baseOffset : -1,
          logStartOffset: -1,
          errorMessage: null,
        },
      })),
    );
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

  private handleFetch(from: NodeId, request: FetchRequest): void {
    const responses = this.readForFetch(request);
    // A follower's fetch reports its progress, which may have moved the high watermark: the
    // acks=all produces waiting on these partitions may be done.
    if (request.replicaId !== CONSUMER_REPLICA_ID) {
      for (const topic of request.topics) for (const data of topic.partitions) this.wakeProduces(`${topic.topic}-${data.partition}`);
    }
    const anyData = responses.some((t) => t.partitions.some((p) => p.records.length > 0 || p.errorCode !== 'NONE' || p.divergingEpoch !== null));
    if (anyData || request.maxWaitMs <= 0) {
      this.sendFetchResponse(from, request, responses);
      return;
    }
    // Nothing to return yet: hold the fetch until data arrives or its max wait passes.
    const id = this.purgatory.newId();
    const keys = request.topics.flatMap((t) => t.partitions.map((p) => `${t.topic}-${p.partition}`));
    const operation: DelayedFetch<FetchRequest> = { kind: 'fetch', id, from, request, partitionKeys: keys, timer: this.host.setTimer(request.maxWaitMs, `${TIMER.delayed}${id}`) };
    this.purgatory.add(operation, keys);
  }

  private readForFetch(request: FetchRequest) {
    const nowMs = this.host.nowMs();
    const isFollower = request.replicaId !== CONSUMER_REPLICA_ID;
    return request.topics.map((topic) => ({
      topic: topic.topic,
      partitions: topic.partitions.map((data): FetchResponsePartition => {
        const partition = this.partitions.get(`${topic.topic}-${data.partition}`);
        if (partition === undefined) return unknownPartition(data.partition, this.image.topics.has(topic.topic));
        return isFollower
          ? partition.fetchAsLeaderForFollower(request.replicaId as NodeId, request.replicaEpoch, data, request.maxBytes, nowMs)
          : partition.fetchAsLeaderForConsumer(data, request.maxBytes);
      }),
    }));
  }

  private sendFetchResponse(to: NodeId, request: FetchRequest, responses: ReturnType<BrokerNode['readForFetch']>): void {
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
      // A held fetch goes out once there is something to say: data, an error, a divergence — or,
      // to a follower of this leader, news of the partition (a new high watermark to follow).
      const responses = this.readForFetch(operation.request);
      const ready = responses.some((t) => t.partitions.some((p) => p.records.length > 0 || p.errorCode !== 'NONE' || p.divergingEpoch !== null));
      const newsForFollower = partition.role === 'leader' && operation.request.replicaId !== CONSUMER_REPLICA_ID;
      if (!ready && !newsForFollower) continue;
      this.purgatory.remove(operation.id);
      this.host.cancelTimer(operation.timer);
      this.sendFetchResponse(operation.from, operation.request, responses);
      if (operation.request.replicaId !== CONSUMER_REPLICA_ID) this.wakeProduces(key);
    }
  }

  private wakeProduces(key: string): void {
    for (const operation of this.purgatory.watching(key)) if (operation.kind === 'produce') this.tryCompleteProduce(operation);
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

  // ---- Metadata, ListOffsets, InitProducerId ----

  private handleMetadata(from: NodeId, request: MetadataRequest): void {
    const names = request.topics ?? [...this.image.topics.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    this.host.send(from, {
      api: 'MetadataResponse',
      correlationId: request.correlationId,
      brokers: liveBrokers(this.image),
      topics: names.map((name) => {
        const topic = this.image.topics.get(name);
        if (topic === undefined) return { name, errorCode: 'UNKNOWN_TOPIC_OR_PARTITION' as const, partitions: [] };
        return {
          name,
          errorCode: 'NONE' as const,
          partitions: topic.partitions.map((p) => ({
            partitionIndex: p.partitionId,
            errorCode: p.leader === null ? ('LEADER_NOT_AVAILABLE' as const) : ('NONE' as const),
            leaderId: p.leader,
            leaderEpoch: p.leaderEpoch,
            replicaNodes: p.replicas,
            isrNodes: p.isr,
          })),
        };
      }),
    }, 'client');
  }

  private handleListOffsets(from: NodeId, request: ListOffsetsRequest): void {
    this.host.send(from, {
      api: 'ListOffsetsResponse',
      correlationId: request.correlationId,
      topics: request.topics.map((topic) => ({
        name: topic.name,
        partitions: topic.partitions.map((data) => {
          const partition = this.partitions.get(`${topic.name}-${data.partitionIndex}`);
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

  private handleInitProducerId(from: NodeId, correlationId: number): void {
    const ids = this.producerIds;
    if (ids === null || ids.next >= ids.end) {
      this.host.send(from, { api: 'InitProducerIdResponse', correlationId, errorCode: 'COORDINATOR_LOAD_IN_PROGRESS', producerId: -1, producerEpoch: -1 }, 'client');
      return;
    }
    // An idempotent producer without a transactional id always gets a fresh id at epoch 0; that is
    // also how it "bumps" after an unknown sequence (KIP-360's idempotent path).
    const producerId = ids.next++;
    this.host.send(from, { api: 'InitProducerIdResponse', correlationId, errorCode: 'NONE', producerId, producerEpoch: 0 }, 'client');
  }
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
