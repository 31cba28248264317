/**
 * The group coordinator, as one broker part (Kafka's GroupCoordinatorService, with the
 * FindCoordinator half of KafkaApis and the AutoTopicCreationManager's creation of the offsets
 * topic).
 *
 * - Which broker coordinates a group: the leader of `__consumer_offsets` partition
 *   `abs(groupId.hashCode()) % partitions` (Java's String.hashCode, Kafka's Utils.abs). The topic is
 *   created on the first FindCoordinator that finds it missing: the broker asks the active
 *   controller (CreateTopics, offsets.topic.num.partitions and offsets.topic.replication.factor,
 *   segment.bytes from offsets.topic.segment.bytes; min.insync.replicas is the cluster's default,
 *   as for any topic) and answers COORDINATOR_NOT_AVAILABLE until the topic has a live leader for
 *   the group's partition.
 * - Loading: this part is the metadata publisher's leadership listener for `__consumer_offsets`;
 *   an election loads the partition's groups (CoordinatorRuntime), a resignation drops them.
 * - Requests: each group API runs on the shard of the group's partition; answers wait until what
 *   they rest on is committed. A partition this broker does not lead answers NOT_COORDINATOR, one
 *   it is loading COORDINATOR_LOAD_IN_PROGRESS (a classic Heartbeat is told NONE, as Kafka's is).
 * - group.coordinator.rebalance.protocols without `consumer` turns ConsumerGroupHeartbeat off
 *   (UNSUPPORTED_VERSION, as Kafka's broker answers an API it does not expose).
 *
 * Timers: `group.coordinator.load/<partition>` (a load in progress), `group.<key>` for the shards'
 * keyed timers (heartbeat/, join/, sync/, session/, rebalance/ + group and member), and
 * `group.create-offsets-topic` (an outstanding CreateTopics may be sent again).
 *
 * - TxnOffsetCommit: written as the producer's transactional batch (the runtime's transactional
 *   write); the markers WriteTxnMarkers writes to `__consumer_offsets` are replayed into the shard,
 *   which settles the pending offsets (groupCoordinatorOffsets.ts).
 *
 * Left out: DescribeGroups, ListGroups, DeleteGroups, OffsetDelete, quotas and ACLs.
 */
import type { Host, NodeId } from '../host.js';
import { liveBrokers } from '../metadata/image.js';
import type {
  ConsumerGroupHeartbeatRequest,
  CreateTopicsResponse,
  FindCoordinatorRequest,
  FindCoordinatorResponse,
  HeartbeatRequest,
  JoinGroupRequest,
  KafkaResponse,
  LeaveGroupRequest,
  OffsetCommitRequest,
  OffsetCommitResponse,
  OffsetFetchRequest,
  SyncGroupRequest,
  TxnOffsetCommitRequest,
} from '../protocol/apis.js';
import { COORDINATOR_KEY_TYPE_GROUP } from '../protocol/apis.js';
import type { KafkaErrorCode } from '../protocol/errors.js';
import { InternalTopicCreator } from './autoTopicCreationManager.js';
import type { PartitionLeadershipListener } from './brokerMetadataPublisher.js';
import { EMPTY_ASSIGNMENT, errorJoinAnswer } from './groupCoordinatorClassicGroup.js';
import type { GroupCoordinatorConfig } from './groupCoordinatorConfig.js';
import { heartbeatErrorAnswer } from './groupCoordinatorConsumerManager.js';
import { GROUP_METADATA_TOPIC_NAME } from './groupCoordinatorRecords.js';
import { CoordinatorRuntime, GROUP_COORDINATOR_RECORDS, runtimeHostForTopic, type TopicMetadata, type WriteOutcome } from './groupCoordinatorRuntime.js';
import { GroupCoordinatorShard } from './groupCoordinatorShard.js';
import type { KRaftMetadataCache } from './metadataCache.js';
import type { ReplicaManager } from './replicaManager.js';
import type { Timers } from './timers.js';

const CREATE_OFFSETS_TOPIC_TIMER = 'group.create-offsets-topic';

export interface GroupCoordinatorContext {
  nextCorrelationId(): number;
  activeController(): NodeId | null;
}

/** Java's String.hashCode: s[0]·31^(n-1) + … + s[n-1], in 32-bit two's complement, over UTF-16 code units. */
export function javaStringHashCode(text: string): number {
  let hash = 0;
  for (let i = 0; i < text.length; i++) hash = (Math.imul(31, hash) + text.charCodeAt(i)) | 0;
  return hash;
}

/** Kafka's Utils.abs: Math.abs, except that Integer.MIN_VALUE maps to 0. */
export function kafkaAbs(value: number): number {
  return value === -2_147_483_648 ? 0 : Math.abs(value);
}

/** The `__consumer_offsets` partition of a group (Kafka's GroupCoordinatorService.partitionFor). */
export function partitionForGroup(groupId: string, numPartitions: number): number {
  return kafkaAbs(javaStringHashCode(groupId)) % numPartitions;
}

export class GroupCoordinator implements PartitionLeadershipListener {
  readonly runtime: CoordinatorRuntime<GroupCoordinatorShard>;
  private readonly offsetsTopicCreator: InternalTopicCreator;

  constructor(
    private readonly host: Host<unknown>,
    timers: Timers,
    private readonly config: GroupCoordinatorConfig,
    replicaManager: ReplicaManager,
    private readonly metadataCache: KRaftMetadataCache,
    context: GroupCoordinatorContext,
  ) {
    this.runtime = new CoordinatorRuntime<GroupCoordinatorShard>(
      runtimeHostForTopic(
        GROUP_METADATA_TOPIC_NAME,
        { timers, random: host.random, nowMs: () => host.nowMs(), trace: (event) => host.trace(event), topics: () => this.topics() },
        replicaManager,
      ),
      config.offsetsCommitTimeoutMs,
      (shardContext) => new GroupCoordinatorShard(shardContext, config),
      GROUP_COORDINATOR_RECORDS,
    );
    this.offsetsTopicCreator = new InternalTopicCreator(host, timers, context, () => ({
      topic: {
        name: GROUP_METADATA_TOPIC_NAME,
        numPartitions: config.offsetsTopicNumPartitions,
        replicationFactor: config.offsetsTopicReplicationFactor,
        configs: { 'segment.bytes': String(config.offsetsTopicSegmentBytes) },
      },
      timerTag: CREATE_OFFSETS_TOPIC_TIMER,
      trace: { type: 'group.create-offsets-topic', numPartitions: config.offsetsTopicNumPartitions, replicationFactor: config.offsetsTopicReplicationFactor },
    }));
    replicaManager.addHighWatermarkListener(GROUP_METADATA_TOPIC_NAME, (index, highWatermark) => this.runtime.onHighWatermarkUpdated(index, highWatermark));
    // Markers of transactions that committed offsets here end their pending offsets (KIP-98).
    replicaManager.addTxnMarkerListener(GROUP_METADATA_TOPIC_NAME, (index, marker, offset) => this.runtime.replayEndTransactionMarker(index, marker, offset));
  }

  // ---- Leadership (PartitionLeadershipListener) ----

  onElection(partitionIndex: number, partitionLeaderEpoch: number): void {
    this.runtime.scheduleLoadOperation(partitionIndex, partitionLeaderEpoch);
  }

  onResignation(partitionIndex: number, partitionLeaderEpoch: number | null): void {
    this.runtime.scheduleUnloadOperation(partitionIndex, partitionLeaderEpoch);
  }

  // ---- Where groups live ----

  /** The offsets topic's partition count: the topic's own once it exists, else the config's. */
  private numPartitions(): number {
    return this.metadataCache.currentImage.topics.get(GROUP_METADATA_TOPIC_NAME)?.partitions.length ?? this.config.offsetsTopicNumPartitions;
  }

  partitionFor(groupId: string): number {
    return partitionForGroup(groupId, this.numPartitions());
  }

  private topics(): ReadonlyMap<string, TopicMetadata> {
    const topics = new Map<string, TopicMetadata>();
    for (const [name, topic] of this.metadataCache.currentImage.topics) topics.set(name, { topicId: topic.topicId, numPartitions: topic.partitions.length });
    return topics;
  }

  // ---- FindCoordinator ----

  handleFindCoordinator(from: NodeId, request: FindCoordinatorRequest): void {
    const coordinators = request.coordinatorKeys.map((key): FindCoordinatorResponse['coordinators'][number] => {
      if (request.keyType !== COORDINATOR_KEY_TYPE_GROUP) return { key, nodeId: -1, errorCode: 'INVALID_REQUEST', errorMessage: 'ksim has no transaction coordinator yet' };
      const found = this.findGroupCoordinator(key);
      return typeof found === 'string' ? { key, nodeId: -1, errorCode: found, errorMessage: null } : { key, nodeId: found.nodeId, errorCode: 'NONE', errorMessage: null };
    });
    this.send(from, { api: 'FindCoordinatorResponse', correlationId: request.correlationId, coordinators });
  }

  /** The live leader of the group's partition, or why there is none (creating the topic if it is missing). */
  private findGroupCoordinator(groupId: string): { nodeId: NodeId } | KafkaErrorCode {
    const image = this.metadataCache.currentImage;
    const topic = image.topics.get(GROUP_METADATA_TOPIC_NAME);
    if (topic === undefined) {
      this.offsetsTopicCreator.maybeCreate();
      return 'COORDINATOR_NOT_AVAILABLE';
    }
    const leader = topic.partitions[partitionForGroup(groupId, topic.partitions.length)]?.leader ?? null;
    if (leader === null || !liveBrokers(image).includes(leader)) return 'COORDINATOR_NOT_AVAILABLE';
    return { nodeId: leader };
  }

  handleCreateTopicsResponse(response: CreateTopicsResponse): void {
    this.offsetsTopicCreator.handleCreateTopicsResponse(response);
  }

  // ---- The classic protocol ----

  handleJoinGroup(from: NodeId, request: JoinGroupRequest): void {
    const reply = once((answer: ReturnType<typeof errorJoinAnswer>) => this.send(from, { api: 'JoinGroupResponse', correlationId: request.correlationId, ...answer }));
    if (request.groupId === '') return reply(errorJoinAnswer(request.memberId, 'INVALID_GROUP_ID'));
    this.runtime.scheduleWriteOperation(this.partitionFor(request.groupId), (shard) => shard.classicGroupJoin(request, reply), (outcome) => {
      if ('error' in outcome) reply(errorJoinAnswer(request.memberId, outcome.error));
    });
  }

  handleSyncGroup(from: NodeId, request: SyncGroupRequest): void {
    const reply = once((errorCode: KafkaErrorCode, answer?: { protocolType: string | null; protocolName: string | null; assignment: typeof EMPTY_ASSIGNMENT }) =>
      this.send(from, { api: 'SyncGroupResponse', correlationId: request.correlationId, errorCode, protocolType: answer?.protocolType ?? null, protocolName: answer?.protocolName ?? null, assignment: answer?.assignment ?? EMPTY_ASSIGNMENT }),
    );
    if (request.groupId === '') return reply('INVALID_GROUP_ID');
    this.runtime.scheduleWriteOperation(this.partitionFor(request.groupId), (shard) => shard.classicGroupSync(request, (answer) => reply(answer.errorCode, answer)), (outcome) => {
      if ('error' in outcome) reply(outcome.error);
    });
  }

  handleHeartbeat(from: NodeId, request: HeartbeatRequest): void {
    const reply = (errorCode: KafkaErrorCode) => this.send(from, { api: 'HeartbeatResponse', correlationId: request.correlationId, errorCode });
    if (request.groupId === '') return reply('INVALID_GROUP_ID');
    this.runtime.scheduleWriteOperation(this.partitionFor(request.groupId), (shard) => shard.classicGroupHeartbeat(request), (outcome) => {
      // A heartbeat to a coordinator still loading is answered blindly, as Kafka does: the member
      // keeps its session, which the loaded coordinator restarts anyway.
      if ('error' in outcome) reply(outcome.error === 'COORDINATOR_LOAD_IN_PROGRESS' ? 'NONE' : outcome.error);
      else reply(outcome.response.errorCode);
    });
  }

  handleLeaveGroup(from: NodeId, request: LeaveGroupRequest): void {
    const reply = (errorCode: KafkaErrorCode, members: Array<{ memberId: string; groupInstanceId: string | null; errorCode: KafkaErrorCode }>) =>
      this.send(from, { api: 'LeaveGroupResponse', correlationId: request.correlationId, errorCode, members });
    if (request.groupId === '') return reply('INVALID_GROUP_ID', []);
    this.runtime.scheduleWriteOperation(this.partitionFor(request.groupId), (shard) => shard.classicGroupLeave(request), (outcome) => {
      if ('error' in outcome) reply(outcome.error, []);
      else reply(outcome.response.errorCode, [...outcome.response.members]);
    });
  }

  // ---- The consumer protocol (KIP-848) ----

  handleConsumerGroupHeartbeat(from: NodeId, request: ConsumerGroupHeartbeatRequest): void {
    const reply = (answer: ReturnType<typeof heartbeatErrorAnswer>) => this.send(from, { api: 'ConsumerGroupHeartbeatResponse', correlationId: request.correlationId, ...answer });
    if (!this.config.rebalanceProtocols.includes('consumer')) return reply(heartbeatErrorAnswer('UNSUPPORTED_VERSION', 'The consumer rebalance protocol is not enabled (group.coordinator.rebalance.protocols).'));
    if (request.groupId === '') return reply(heartbeatErrorAnswer('INVALID_REQUEST', "GroupId can't be empty."));
    this.runtime.scheduleWriteOperation(this.partitionFor(request.groupId), (shard) => shard.consumerGroupHeartbeat(request), (outcome) => {
      reply('error' in outcome ? heartbeatErrorAnswer(outcome.error, null) : outcome.response);
    });
  }

  // ---- Offsets ----

  handleOffsetCommit(from: NodeId, request: OffsetCommitRequest): void {
    type TopicResponse = OffsetCommitResponse['topics'][number];
    const reply = (topics: readonly TopicResponse[]) => this.send(from, { api: 'OffsetCommitResponse', correlationId: request.correlationId, topics });
    const allFail = (errorCode: KafkaErrorCode): TopicResponse[] =>
      request.topics.map((topic) => ({ name: topic.name, partitions: topic.partitions.map((partition) => ({ partitionIndex: partition.partitionIndex, errorCode })) }));
    if (request.groupId === '') return reply(allFail('INVALID_GROUP_ID'));
    // Partitions of topics the cluster does not have are refused before the coordinator sees them (KafkaApis).
    const known = request.topics.filter((topic) => this.metadataCache.contains(topic.name));
    const unknown: TopicResponse[] = request.topics
      .filter((topic) => !this.metadataCache.contains(topic.name))
      .map((topic) => ({ name: topic.name, partitions: topic.partitions.map((partition) => ({ partitionIndex: partition.partitionIndex, errorCode: 'UNKNOWN_TOPIC_OR_PARTITION' as const })) }));
    if (known.length === 0) return reply(unknown);
    this.runtime.scheduleWriteOperation(this.partitionFor(request.groupId), (shard) => shard.commitOffset({ ...request, topics: known }), (outcome: WriteOutcome<{ topics: readonly TopicResponse[] }>) => {
      if ('error' in outcome) {
        this.host.trace({ type: 'group.offset-commit-failed', groupId: request.groupId, memberId: request.memberId, generationIdOrMemberEpoch: request.generationIdOrMemberEpoch, errorCode: outcome.error });
        return reply([...allFail(outcome.error).filter((topic) => known.some((k) => k.name === topic.name)), ...unknown]);
      }
      reply([...outcome.response.topics, ...unknown]);
    });
  }

  /**
   * TxnOffsetCommit (Kafka's GroupCoordinatorService.commitTransactionalOffsets): validated and
   * written on the group's shard as the producer's transactional batch, answered once committed.
   * An older producer epoch is fenced by the partition (INVALID_PRODUCER_EPOCH).
   */
  handleTxnOffsetCommit(from: NodeId, request: TxnOffsetCommitRequest): void {
    type TopicResponse = OffsetCommitResponse['topics'][number];
    const reply = (topics: readonly TopicResponse[]) => this.send(from, { api: 'TxnOffsetCommitResponse', correlationId: request.correlationId, topics });
    const allFail = (topics: TxnOffsetCommitRequest['topics'], errorCode: KafkaErrorCode): TopicResponse[] =>
      topics.map((topic) => ({ name: topic.name, partitions: topic.partitions.map((partition) => ({ partitionIndex: partition.partitionIndex, errorCode })) }));
    if (request.groupId === '') return reply(allFail(request.topics, 'INVALID_GROUP_ID'));
    const known = request.topics.filter((topic) => this.metadataCache.contains(topic.name));
    const unknown = allFail(request.topics.filter((topic) => !this.metadataCache.contains(topic.name)), 'UNKNOWN_TOPIC_OR_PARTITION');
    if (known.length === 0) return reply(unknown);
    const producer = { producerId: request.producerId, producerEpoch: request.producerEpoch };
    this.runtime.scheduleTransactionalWriteOperation(this.partitionFor(request.groupId), producer, (shard) => shard.commitTransactionalOffset({ ...request, topics: known }), (outcome) => {
      if ('error' in outcome) {
        this.host.trace({ type: 'group.txn-offset-commit-failed', groupId: request.groupId, transactionalId: request.transactionalId, producerId: request.producerId, producerEpoch: request.producerEpoch, errorCode: outcome.error });
        return reply([...allFail(known, outcome.error), ...unknown]);
      }
      reply([...outcome.response.topics, ...unknown]);
    });
  }

  handleOffsetFetch(from: NodeId, request: OffsetFetchRequest): void {
    const groups = request.groups.map((group) => {
      if (group.groupId === '') return { groupId: group.groupId, topics: [], errorCode: 'INVALID_GROUP_ID' as const };
      // requireStable refuses partitions with unsettled transactional commits (KIP-447).
      const outcome = this.runtime.scheduleReadOperation(this.partitionFor(group.groupId), (shard) => shard.fetchOffsets(group, request.requireStable));
      return 'error' in outcome ? { groupId: group.groupId, topics: [], errorCode: outcome.error } : outcome.response;
    });
    this.send(from, { api: 'OffsetFetchResponse', correlationId: request.correlationId, groups });
  }

  // ---- Inputs from the network ----

  handleDisconnect(peer: NodeId): void {
    this.offsetsTopicCreator.handleDisconnect(peer);
  }

  private send(to: NodeId, response: KafkaResponse): void {
    this.host.send(to, response, 'client');
  }
}

/** Answers at most once: Kafka completes a response future once, and later completions do nothing. */
function once<A extends unknown[]>(answer: (...args: A) => void): (...args: A) => void {
  let answered = false;
  return (...args: A) => {
    if (answered) return;
    answered = true;
    answer(...args);
  };
}
