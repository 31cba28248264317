/**
 * The consumer's tests run against scripted brokers in the simulator's own world
 * (test/support/cluster.ts), like the producer's (scriptedBrokers.ts). Brokers b1..bN answer from
 * one shared table:
 * - Metadata, Fetch (as a consumer: leader and leader-epoch checks, reads below the high
 *   watermark, a long poll of maxWaitMs), ListOffsets, OffsetsForLeaderEpoch (from each partition's
 *   epoch history), FindCoordinator (the coordinator is `coordinator`);
 * - the group APIs, by a small coordinator of each protocol written for tests — the classic one
 *   (MEMBER_ID_REQUIRED, a join window, the leader's SyncGroup, generations, session expiry,
 *   REBALANCE_IN_PROGRESS on heartbeats, fencing of old generations) and KIP-848's (member epochs,
 *   a round-robin target, revoke before reassign, FENCED_MEMBER_EPOCH) — with offsets kept per
 *   group.
 * Tests script what a cluster would need a scenario for: errors injected per API, requests dropped,
 * leader moves with truncation, appends at any time.
 */
import { Consumer, type PollResult } from '../../src/client/consumer.js';
import { consumerConfigOrThrow } from '../../src/client/consumerConfig.js';
import type { ConsumerRebalanceListener } from '../../src/client/rebalanceListener.js';
import type { Host, NodeId, ProtocolNode, TimerId } from '../../src/host.js';
import { EMPTY_RECORDS, encodeBatch, memoryRecords, type RecordBatch } from '../../src/log/recordBatch.js';
import {
  NO_TIMESTAMP,
  type ConsumerGroupHeartbeatRequest,
  type ConsumerProtocolAssignment,
  type ConsumerProtocolSubscription,
  type FetchRequest,
  type FetchResponsePartition,
  type JoinGroupRequest,
  type KafkaRequest,
  type KafkaResponse,
  type OffsetCommitRequest,
  type SyncGroupRequest,
  type TopicIdPartitions,
} from '../../src/protocol/apis.js';
import type { KafkaErrorCode } from '../../src/protocol/errors.js';
import { type StampedEvent, TestCluster } from '../support/cluster.js';

const LATENCY_MS = 1;
export const TOPIC = 't';
export const TOPIC_ID = 't-id';

export interface StoredRecord {
  readonly offset: number;
  readonly value: string;
  readonly leaderEpoch: number;
}

export interface PartitionState {
  leader: NodeId | null;
  leaderEpoch: number;
  log: StoredRecord[];
  highWatermark: number;
  logStartOffset: number;
  /** Each epoch's start offset, ascending (the leader-epoch cache). */
  epochs: Array<{ epoch: number; startOffset: number }>;
}

export interface TestbedOptions {
  readonly brokers?: readonly NodeId[];
  readonly partitions?: number;
  readonly consumers?: readonly NodeId[];
  readonly coordinator?: NodeId;
  readonly seed?: number;
  /** The classic coordinator's wait for the first members to join an empty group (group.initial.rebalance.delay.ms). */
  readonly joinWindowMs?: number;
  /** The classic coordinator's session timeout check, as group members' sessions it enforces. */
  readonly heartbeatIntervalMs848?: number;
}

interface HeldFetch {
  readonly host: Host<unknown>;
  readonly from: NodeId;
  readonly request: FetchRequest;
  readonly timer: TimerId;
}

class ScriptedBroker implements ProtocolNode<unknown> {
  constructor(
    readonly host: Host<unknown>,
    private readonly testbed: ConsumerTestbed,
  ) {}
  onStart(): void {}
  onMessage(from: NodeId, message: unknown): void {
    this.testbed.handleRequest(this.host, from, message as KafkaRequest);
  }
  onTimer(tag: string): void {
    this.testbed.onBrokerTimer(this.host, tag);
  }
  onDiskComplete(): void {}
  onDisconnect(): void {}
}

/** A bare node around a Consumer: the test calls its API and reads what came back. */
export class TestConsumerNode implements ProtocolNode<unknown> {
  readonly polls: Array<{ readonly atMs: number; readonly result: PollResult }> = [];
  readonly events: Array<{ readonly atMs: number; readonly kind: 'revoked' | 'assigned' | 'lost'; readonly partitions: string[] }> = [];
  consumer!: Consumer;

  constructor(
    readonly host: Host<unknown>,
    private readonly make: (host: Host<unknown>) => Consumer,
  ) {}

  onStart(): void {
    this.consumer = this.make(this.host);
    this.consumer.handleStart();
  }
  onMessage(from: NodeId, message: unknown): void {
    this.consumer.handleMessage(from, message);
  }
  onTimer(tag: string, id: TimerId): void {
    this.consumer.handleTimer(tag, id);
  }
  onDiskComplete(): void {}
  onDisconnect(peer: NodeId): void {
    this.consumer.handleDisconnect(peer);
  }

  /** A listener that records every callback. */
  readonly listener: ConsumerRebalanceListener = {
    onPartitionsRevoked: (partitions) => this.events.push({ atMs: this.host.nowMs(), kind: 'revoked', partitions: partitions.map((p) => `${p.topic}-${p.partition}`) }),
    onPartitionsAssigned: (partitions) => this.events.push({ atMs: this.host.nowMs(), kind: 'assigned', partitions: partitions.map((p) => `${p.topic}-${p.partition}`) }),
    onPartitionsLost: (partitions) => this.events.push({ atMs: this.host.nowMs(), kind: 'lost', partitions: partitions.map((p) => `${p.topic}-${p.partition}`) }),
  };

  /** Starts a poll whose result is recorded. */
  poll(timeoutMs: number): void {
    this.consumer.poll(timeoutMs, (result) => this.polls.push({ atMs: this.host.nowMs(), result }));
  }

  /** Every value polled so far, in order. */
  values(): string[] {
    return this.polls.flatMap((poll) => (poll.result.ok ? poll.result.records.map((record) => String(record.value)) : []));
  }

  lastPoll(): PollResult | undefined {
    return this.polls[this.polls.length - 1]?.result;
  }
}

// ---- The classic coordinator, for tests ----

interface ClassicMember {
  readonly memberId: string;
  readonly node: NodeId;
  readonly groupInstanceId: string | null;
  protocols: JoinGroupRequest['protocols'];
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  lastHeartbeatMs: number;
  pendingJoin: { readonly host: Host<unknown>; readonly correlationId: number } | null;
  pendingSync: { readonly host: Host<unknown>; readonly correlationId: number } | null;
  assignment: ConsumerProtocolAssignment | null;
}

class ClassicGroup {
  generationId = 0;
  state: 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' = 'Empty';
  readonly members = new Map<string, ClassicMember>();
  leader: string | null = null;
  protocolName: string | null = null;
  joinWindowEndsMs = 0;
  /** Bumped by each rebalance, so a stale rebalance-timeout timer does nothing. */
  rebalanceNumber = 0;
  memberIdNext = 1;
}

// ---- KIP-848's coordinator, for tests ----

interface ConsumerMember {
  readonly memberId: string;
  memberEpoch: number;
  /** The epoch before the coordinator's last bump, which a heartbeat may still carry (it has not heard yet). */
  previousEpoch: number;
  subscribed: readonly string[];
  /** What the member reported owning, by partition index. */
  owned: number[];
  /** What it was last told it may own. */
  assigned: number[] | null;
  lastHeartbeatMs: number;
}

export class ConsumerTestbed {
  readonly cluster: TestCluster;
  readonly partitions: PartitionState[] = [];
  readonly brokers: readonly NodeId[];
  readonly coordinator: NodeId;
  readonly requests: Array<{ readonly atMs: number; readonly from: NodeId; readonly to: NodeId; readonly request: KafkaRequest }> = [];
  /** Errors to answer to the next requests of an API (group APIs and ListOffsets/OffsetsForLeaderEpoch). */
  readonly injectedErrors = new Map<KafkaRequest['api'], KafkaErrorCode[]>();
  /** APIs whose requests go unanswered. */
  readonly silentApis = new Set<KafkaRequest['api']>();
  /** Committed offsets per group and partition. */
  readonly committed = new Map<string, Map<number, { offset: number; leaderEpoch: number }>>();
  readonly classicGroups = new Map<string, ClassicGroup>();
  readonly consumerGroups = new Map<string, { groupEpoch: number; members: Map<string, ConsumerMember> }>();
  private readonly held: HeldFetch[] = [];
  private readonly options: Required<Omit<TestbedOptions, 'consumers' | 'brokers' | 'coordinator' | 'seed'>>;

  constructor(options: TestbedOptions, consumers: ReadonlyArray<{ readonly id: NodeId; readonly make: (host: Host<unknown>) => Consumer }>, otherNodes: ReadonlyArray<{ readonly id: NodeId; readonly factory: (host: Host<unknown>) => ProtocolNode<unknown> }> = []) {
    this.brokers = options.brokers ?? ['b1', 'b2', 'b3'];
    this.coordinator = options.coordinator ?? this.brokers[0]!;
    this.options = { partitions: options.partitions ?? 1, joinWindowMs: options.joinWindowMs ?? 50, heartbeatIntervalMs848: options.heartbeatIntervalMs848 ?? 1_000 };
    for (let partition = 0; partition < this.options.partitions; partition++) {
      this.partitions.push({ leader: this.brokers[partition % this.brokers.length]!, leaderEpoch: 0, log: [], highWatermark: 0, logStartOffset: 0, epochs: [{ epoch: 0, startOffset: 0 }] });
    }
    this.cluster = new TestCluster({
      seed: options.seed ?? 7,
      network: { latencyMs: LATENCY_MS, jitterMs: 0 },
      nodes: [
        ...this.brokers.map((id) => ({ id, role: 'server' as const, factory: (host: Host<unknown>) => new ScriptedBroker(host, this) })),
        ...consumers.map(({ id, make }) => ({ id, role: 'client' as const, factory: (host: Host<unknown>) => new TestConsumerNode(host, make) })),
        ...otherNodes.map(({ id, factory }) => ({ id, role: 'client' as const, factory })),
      ],
    });
    this.cluster.world.onSend((from, to, message) => {
      if (!this.brokers.includes(from)) this.requests.push({ atMs: this.cluster.nowMs, from, to, request: message as KafkaRequest });
    });
    this.cluster.runFor(0);
  }

  get nowMs(): number {
    return this.cluster.nowMs;
  }

  runFor(durationMs: number): void {
    this.cluster.runFor(durationMs);
  }

  node(id: NodeId): TestConsumerNode {
    return this.cluster.instance<TestConsumerNode>(id);
  }

  tracesOf(type: string, node?: NodeId): StampedEvent[] {
    return this.cluster.eventsOf(type, node);
  }

  requestsOf<A extends KafkaRequest['api']>(api: A, from?: NodeId): Array<Extract<KafkaRequest, { api: A }>> {
    return this.requests.filter((entry) => entry.request.api === api && (from === undefined || entry.from === from)).map((entry) => entry.request as Extract<KafkaRequest, { api: A }>);
  }

  // ---- Scripting the log ----

  /** Appends records at the leader and moves the high watermark past them (a committed append). */
  append(partition: number, ...values: string[]): void {
    const state = this.partitions[partition]!;
    for (const value of values) state.log.push({ offset: state.log.length === 0 ? state.logStartOffset : state.log[state.log.length - 1]!.offset + 1, value, leaderEpoch: state.leaderEpoch });
    state.highWatermark = this.logEndOffset(partition);
    this.answerHeldFetches();
  }

  logEndOffset(partition: number): number {
    const state = this.partitions[partition]!;
    const last = state.log[state.log.length - 1];
    return last === undefined ? state.logStartOffset : last.offset + 1;
  }

  /** A new leader in a new epoch; `truncateTo` cuts the log there first (an unclean election's loss). */
  moveLeader(partition: number, leader: NodeId, truncateTo?: number): void {
    const state = this.partitions[partition]!;
    if (truncateTo !== undefined) {
      state.log = state.log.filter((record) => record.offset < truncateTo);
      state.highWatermark = Math.min(state.highWatermark, truncateTo);
      state.epochs = state.epochs.filter((entry) => entry.startOffset <= truncateTo);
    }
    state.leader = leader;
    state.leaderEpoch += 1;
    state.epochs.push({ epoch: state.leaderEpoch, startOffset: this.logEndOffset(partition) });
  }

  // ---- The brokers ----

  handleRequest(host: Host<unknown>, from: NodeId, request: KafkaRequest): void {
    if (this.silentApis.has(request.api)) return;
    const respond = (response: KafkaResponse) => host.send(from, response, 'client');
    switch (request.api) {
      case 'Metadata':
        return respond({
          api: 'MetadataResponse',
          correlationId: request.correlationId,
          brokers: [...this.brokers],
          topics: (request.topics ?? [TOPIC]).map((name) =>
            name === TOPIC
              ? {
                  name,
                  topicId: TOPIC_ID,
                  errorCode: 'NONE' as const,
                  partitions: this.partitions.map((state, partitionIndex) => ({
                    partitionIndex,
                    errorCode: state.leader === null ? ('LEADER_NOT_AVAILABLE' as const) : ('NONE' as const),
                    leaderId: state.leader,
                    leaderEpoch: state.leaderEpoch,
                    replicaNodes: [...this.brokers],
                    isrNodes: [...this.brokers],
                  })),
                }
              : { name, topicId: 'AAAAAAAAAAAAAAAAAAAAAA', errorCode: 'UNKNOWN_TOPIC_OR_PARTITION' as const, partitions: [] },
          ),
        });
      case 'Fetch':
        return this.handleFetch(host, from, request);
      case 'ListOffsets':
        return respond({
          api: 'ListOffsetsResponse',
          correlationId: request.correlationId,
          topics: request.topics.map((topic) => ({
            name: topic.name,
            partitions: topic.partitions.map((data) => {
              const state = this.partitions[data.partitionIndex]!;
              const injected = this.takeError('ListOffsets');
              if (injected !== null) return { partitionIndex: data.partitionIndex, errorCode: injected, timestamp: NO_TIMESTAMP, offset: -1, leaderEpoch: -1 };
              if (state.leader !== host.nodeId) return { partitionIndex: data.partitionIndex, errorCode: 'NOT_LEADER_OR_FOLLOWER' as const, timestamp: NO_TIMESTAMP, offset: -1, leaderEpoch: -1 };
              const offset = data.timestamp === -2 ? state.logStartOffset : state.highWatermark;
              return { partitionIndex: data.partitionIndex, errorCode: 'NONE' as const, timestamp: NO_TIMESTAMP, offset, leaderEpoch: state.leaderEpoch };
            }),
          })),
        });
      case 'OffsetsForLeaderEpoch':
        return respond({
          api: 'OffsetsForLeaderEpochResponse',
          correlationId: request.correlationId,
          topics: request.topics.map((topic) => ({
            topic: topic.topic,
            partitions: topic.partitions.map((data) => {
              const injected = this.takeError('OffsetsForLeaderEpoch');
              if (injected !== null) return { partition: data.partition, errorCode: injected, leaderEpoch: -1, endOffset: -1 };
              return { partition: data.partition, errorCode: 'NONE' as const, ...this.endOffsetForEpoch(data.partition, data.leaderEpoch) };
            }),
          })),
        });
      case 'FindCoordinator':
        return respond({
          api: 'FindCoordinatorResponse',
          correlationId: request.correlationId,
          coordinators: request.coordinatorKeys.map((key) => {
            const injected = this.takeError('FindCoordinator');
            return injected !== null ? { key, nodeId: -1 as const, errorCode: injected, errorMessage: null } : { key, nodeId: this.coordinator, errorCode: 'NONE' as const, errorMessage: null };
          }),
        });
      default:
        if (host.nodeId !== this.coordinator) return this.notCoordinator(host, from, request);
        return this.handleGroupRequest(host, from, request);
    }
  }

  private takeError(api: KafkaRequest['api']): KafkaErrorCode | null {
    return this.injectedErrors.get(api)?.shift() ?? null;
  }

  private endOffsetForEpoch(partition: number, epoch: number): { leaderEpoch: number; endOffset: number } {
    const state = this.partitions[partition]!;
    const known = state.epochs.filter((entry) => entry.epoch <= epoch);
    const found = known[known.length - 1];
    if (found === undefined) return { leaderEpoch: -1, endOffset: -1 };
    const next = state.epochs.find((entry) => entry.epoch > found.epoch);
    return { leaderEpoch: found.epoch, endOffset: next?.startOffset ?? this.logEndOffset(partition) };
  }

  private handleFetch(host: Host<unknown>, from: NodeId, request: FetchRequest): void {
    const { responses, anyData } = this.readForFetch(host, request);
    if (anyData || request.maxWaitMs <= 0) {
      host.send(from, { api: 'FetchResponse', correlationId: request.correlationId, errorCode: 'NONE', responses }, 'client');
      return;
    }
    const timer = host.setTimer(request.maxWaitMs, `fetch.expire/${request.correlationId}/${from}`);
    this.held.push({ host, from, request, timer });
  }

  private readForFetch(host: Host<unknown>, request: FetchRequest): { responses: Array<{ topic: string; partitions: FetchResponsePartition[] }>; anyData: boolean } {
    let anyData = false;
    const responses = request.topics.map((topic) => ({
      topic: topic.topic,
      partitions: topic.partitions.map((data): FetchResponsePartition => {
        const state = this.partitions[data.partition]!;
        const base = { partitionIndex: data.partition, highWatermark: state.highWatermark, lastStableOffset: state.highWatermark, logStartOffset: state.logStartOffset, divergingEpoch: null, currentLeader: { leaderId: state.leader, leaderEpoch: state.leaderEpoch }, records: EMPTY_RECORDS };
        const error = ((): KafkaErrorCode => {
          if (state.leader !== host.nodeId) return 'NOT_LEADER_OR_FOLLOWER';
          if (data.currentLeaderEpoch >= 0 && data.currentLeaderEpoch < state.leaderEpoch) return 'FENCED_LEADER_EPOCH';
          if (data.currentLeaderEpoch > state.leaderEpoch) return 'UNKNOWN_LEADER_EPOCH';
          if (data.fetchOffset > state.highWatermark || data.fetchOffset < state.logStartOffset) return 'OFFSET_OUT_OF_RANGE';
          return 'NONE';
        })();
        if (error !== 'NONE') {
          anyData = true;
          return { ...base, errorCode: error };
        }
        const records = state.log.filter((record) => record.offset >= data.fetchOffset && record.offset < state.highWatermark);
        if (records.length > 0) anyData = true;
        return { ...base, errorCode: 'NONE', records: memoryRecords(records.map((record) => encodeBatch(batchOf(record)))) };
      }),
    }));
    return { responses, anyData };
  }

  private answerHeldFetches(): void {
    for (const held of [...this.held]) {
      const { responses, anyData } = this.readForFetch(held.host, held.request);
      if (!anyData) continue;
      this.held.splice(this.held.indexOf(held), 1);
      held.host.cancelTimer(held.timer);
      held.host.send(held.from, { api: 'FetchResponse', correlationId: held.request.correlationId, errorCode: 'NONE', responses }, 'client');
    }
  }

  onBrokerTimer(host: Host<unknown>, tag: string): void {
    if (tag.startsWith('fetch.expire/')) {
      const held = this.held.find((entry) => entry.host === host && tag === `fetch.expire/${entry.request.correlationId}/${entry.from}`);
      if (held === undefined) return;
      this.held.splice(this.held.indexOf(held), 1);
      host.send(held.from, { api: 'FetchResponse', correlationId: held.request.correlationId, errorCode: 'NONE', responses: this.readForFetch(host, held.request).responses }, 'client');
      return;
    }
    if (tag.startsWith('join.window/')) {
      const [groupId, rebalanceNumber] = tag.slice('join.window/'.length).split('/');
      const group = this.classicGroup(groupId!);
      // The rebalance timeout: members that did not rejoin are dropped.
      if (rebalanceNumber !== undefined && Number(rebalanceNumber) === group.rebalanceNumber) this.completeJoin(groupId!);
      else this.maybeCompleteJoin(host, groupId!);
    }
    if (tag === 'session.check') this.expireClassicSessions(host);
  }

  // ---- Group requests ----

  private notCoordinator(host: Host<unknown>, from: NodeId, request: KafkaRequest): void {
    this.respondGroupError(host, from, request, 'NOT_COORDINATOR');
  }

  private respondGroupError(host: Host<unknown>, from: NodeId, request: KafkaRequest, error: KafkaErrorCode): void {
    const correlationId = request.correlationId;
    const send = (response: KafkaResponse) => host.send(from, response, 'client');
    switch (request.api) {
      case 'JoinGroup':
        return send({ api: 'JoinGroupResponse', correlationId, errorCode: error, generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, memberId: request.memberId, members: [] });
      case 'SyncGroup':
        return send({ api: 'SyncGroupResponse', correlationId, errorCode: error, protocolType: null, protocolName: null, assignment: { assignedPartitions: [], userData: null } });
      case 'Heartbeat':
        return send({ api: 'HeartbeatResponse', correlationId, errorCode: error });
      case 'LeaveGroup':
        return send({ api: 'LeaveGroupResponse', correlationId, errorCode: error, members: [] });
      case 'OffsetCommit':
        return send({ api: 'OffsetCommitResponse', correlationId, topics: request.topics.map((topic) => ({ name: topic.name, partitions: topic.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: error })) })) });
      case 'OffsetFetch':
        return send({ api: 'OffsetFetchResponse', correlationId, groups: request.groups.map((group) => ({ groupId: group.groupId, topics: [], errorCode: error })) });
      case 'ConsumerGroupHeartbeat':
        return send({ api: 'ConsumerGroupHeartbeatResponse', correlationId, errorCode: error, errorMessage: null, memberId: null, memberEpoch: -1, heartbeatIntervalMs: 0, assignment: null });
      default:
        throw new Error(`scripted broker: unexpected ${request.api}`);
    }
  }

  private handleGroupRequest(host: Host<unknown>, from: NodeId, request: KafkaRequest): void {
    const injected = this.takeError(request.api);
    if (injected !== null) return this.respondGroupError(host, from, request, injected);
    switch (request.api) {
      case 'JoinGroup':
        return this.handleJoinGroup(host, from, request);
      case 'SyncGroup':
        return this.handleSyncGroup(host, from, request);
      case 'Heartbeat': {
        const group = this.classicGroup(request.groupId);
        const member = group.members.get(request.memberId);
        const error: KafkaErrorCode =
          member === undefined ? 'UNKNOWN_MEMBER_ID' : request.generationId !== group.generationId ? 'ILLEGAL_GENERATION' : group.state === 'PreparingRebalance' ? 'REBALANCE_IN_PROGRESS' : 'NONE';
        if (member !== undefined) member.lastHeartbeatMs = host.nowMs();
        return host.send(from, { api: 'HeartbeatResponse', correlationId: request.correlationId, errorCode: error }, 'client');
      }
      case 'LeaveGroup': {
        const group = this.classicGroup(request.groupId);
        for (const leaving of request.members) {
          if (group.members.delete(leaving.memberId)) this.prepareRebalance(host, request.groupId);
        }
        return host.send(from, { api: 'LeaveGroupResponse', correlationId: request.correlationId, errorCode: 'NONE', members: [] }, 'client');
      }
      case 'OffsetCommit':
        return this.handleOffsetCommit(host, from, request);
      case 'OffsetFetch': {
        const group = request.groups[0]!;
        const committed = this.committed.get(group.groupId) ?? new Map();
        return host.send(
          from,
          {
            api: 'OffsetFetchResponse',
            correlationId: request.correlationId,
            groups: [
              {
                groupId: group.groupId,
                errorCode: 'NONE',
                topics: (group.topics ?? []).map((topic) => ({
                  name: topic.name,
                  partitions: topic.partitionIndexes.map((partitionIndex) => {
                    const entry = committed.get(partitionIndex);
                    return { partitionIndex, committedOffset: entry?.offset ?? -1, committedLeaderEpoch: entry?.leaderEpoch ?? -1, metadata: null, errorCode: 'NONE' as const };
                  }),
                })),
              },
            ],
          },
          'client',
        );
      }
      case 'ConsumerGroupHeartbeat':
        return this.handleConsumerGroupHeartbeat(host, from, request);
      default:
        throw new Error(`scripted broker: unexpected ${request.api}`);
    }
  }

  private handleOffsetCommit(host: Host<unknown>, from: NodeId, request: OffsetCommitRequest): void {
    const error = this.offsetCommitError(request);
    if (error === 'NONE') {
      const committed = this.committed.get(request.groupId) ?? new Map();
      this.committed.set(request.groupId, committed);
      for (const topic of request.topics) for (const partition of topic.partitions) committed.set(partition.partitionIndex, { offset: partition.committedOffset, leaderEpoch: partition.committedLeaderEpoch });
    }
    host.send(from, { api: 'OffsetCommitResponse', correlationId: request.correlationId, topics: request.topics.map((topic) => ({ name: topic.name, partitions: topic.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: error })) })) }, 'client');
  }

  private offsetCommitError(request: OffsetCommitRequest): KafkaErrorCode {
    if (request.generationIdOrMemberEpoch < 0 && request.memberId === '') return 'NONE';
    const consumerGroup = this.consumerGroups.get(request.groupId);
    if (consumerGroup !== undefined) {
      const member = consumerGroup.members.get(request.memberId);
      if (member === undefined) return 'UNKNOWN_MEMBER_ID';
      return request.generationIdOrMemberEpoch === member.memberEpoch ? 'NONE' : 'STALE_MEMBER_EPOCH';
    }
    const group = this.classicGroup(request.groupId);
    if (!group.members.has(request.memberId)) return 'UNKNOWN_MEMBER_ID';
    if (request.generationIdOrMemberEpoch !== group.generationId) return 'ILLEGAL_GENERATION';
    if (group.state === 'CompletingRebalance') return 'REBALANCE_IN_PROGRESS';
    return 'NONE';
  }

  // ---- The classic group ----

  classicGroup(groupId: string): ClassicGroup {
    let group = this.classicGroups.get(groupId);
    if (group === undefined) {
      group = new ClassicGroup();
      this.classicGroups.set(groupId, group);
    }
    return group;
  }

  private handleJoinGroup(host: Host<unknown>, from: NodeId, request: JoinGroupRequest): void {
    const group = this.classicGroup(request.groupId);
    if (request.memberId === '') {
      // KIP-394: a member id first, then the member joins with it.
      const memberId = `${from}-m${group.memberIdNext++}`;
      host.send(from, { api: 'JoinGroupResponse', correlationId: request.correlationId, errorCode: 'MEMBER_ID_REQUIRED', generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, memberId, members: [] }, 'client');
      group.members.set(memberId, { memberId, node: from, groupInstanceId: request.groupInstanceId, protocols: request.protocols, sessionTimeoutMs: request.sessionTimeoutMs, rebalanceTimeoutMs: request.rebalanceTimeoutMs, lastHeartbeatMs: host.nowMs(), pendingJoin: null, pendingSync: null, assignment: null });
      return;
    }
    const member = group.members.get(request.memberId);
    if (member === undefined) {
      host.send(from, { api: 'JoinGroupResponse', correlationId: request.correlationId, errorCode: 'UNKNOWN_MEMBER_ID', generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, memberId: request.memberId, members: [] }, 'client');
      return;
    }
    member.protocols = request.protocols;
    member.pendingJoin = { host, correlationId: request.correlationId };
    member.lastHeartbeatMs = host.nowMs();
    this.prepareRebalance(host, request.groupId);
    this.maybeCompleteJoin(host, request.groupId);
  }

  /**
   * A rebalance waits for every member to rejoin, up to the longest rebalance timeout; an empty
   * group also waits joinWindowMs for more members to arrive.
   */
  private prepareRebalance(host: Host<unknown>, groupId: string): void {
    const group = this.classicGroup(groupId);
    if (group.state === 'PreparingRebalance') return;
    const wasEmpty = group.state === 'Empty';
    group.state = 'PreparingRebalance';
    group.rebalanceNumber += 1;
    group.joinWindowEndsMs = host.nowMs() + (wasEmpty ? this.options.joinWindowMs : 0);
    if (wasEmpty) host.setTimer(this.options.joinWindowMs, `join.window/${groupId}`);
    const timeoutMs = Math.max(0, ...[...group.members.values()].map((member) => member.rebalanceTimeoutMs));
    host.setTimer(timeoutMs, `join.window/${groupId}/${group.rebalanceNumber}`);
    host.setTimer(100, 'session.check');
  }

  private maybeCompleteJoin(host: Host<unknown>, groupId: string): void {
    const group = this.classicGroup(groupId);
    if (group.state !== 'PreparingRebalance' || host.nowMs() < group.joinWindowEndsMs) return;
    if ([...group.members.values()].every((member) => member.pendingJoin !== null)) this.completeJoin(groupId);
  }

  private completeJoin(groupId: string): void {
    const group = this.classicGroup(groupId);
    if (group.state !== 'PreparingRebalance') return;
    // Members that did not rejoin within the window are dropped from the generation.
    for (const [memberId, member] of [...group.members]) if (member.pendingJoin === null) group.members.delete(memberId);
    if (group.members.size === 0) {
      group.state = 'Empty';
      return;
    }
    group.generationId += 1;
    group.state = 'CompletingRebalance';
    const members = [...group.members.values()];
    group.leader = members[0]!.memberId;
    group.protocolName = members[0]!.protocols.map((p) => p.name).find((name) => members.every((m) => m.protocols.some((p) => p.name === name))) ?? null;
    for (const member of members) {
      const pending = member.pendingJoin!;
      member.pendingJoin = null;
      member.assignment = null;
      const isLeader = member.memberId === group.leader;
      pending.host.send(
        member.node,
        {
          api: 'JoinGroupResponse',
          correlationId: pending.correlationId,
          errorCode: 'NONE',
          generationId: group.generationId,
          protocolType: 'consumer',
          protocolName: group.protocolName,
          leader: group.leader,
          skipAssignment: false,
          memberId: member.memberId,
          members: isLeader ? members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.protocols.find((p) => p.name === group.protocolName)!.metadata as ConsumerProtocolSubscription })) : [],
        },
        'client',
      );
    }
  }

  private handleSyncGroup(host: Host<unknown>, from: NodeId, request: SyncGroupRequest): void {
    const group = this.classicGroup(request.groupId);
    const member = group.members.get(request.memberId);
    const error: KafkaErrorCode = member === undefined ? 'UNKNOWN_MEMBER_ID' : request.generationId !== group.generationId ? 'ILLEGAL_GENERATION' : group.state === 'PreparingRebalance' ? 'REBALANCE_IN_PROGRESS' : 'NONE';
    if (error !== 'NONE' || member === undefined) return this.respondGroupError(host, from, request, error);
    member.pendingSync = { host, correlationId: request.correlationId };
    if (request.memberId === group.leader) {
      for (const entry of request.assignments) {
        const target = group.members.get(entry.memberId);
        if (target !== undefined) target.assignment = entry.assignment;
      }
      group.state = 'Stable';
    }
    if (group.state !== 'Stable') return;
    for (const waiting of group.members.values()) {
      if (waiting.pendingSync === null) continue;
      const pending = waiting.pendingSync;
      waiting.pendingSync = null;
      pending.host.send(waiting.node, { api: 'SyncGroupResponse', correlationId: pending.correlationId, errorCode: 'NONE', protocolType: 'consumer', protocolName: group.protocolName, assignment: waiting.assignment ?? { assignedPartitions: [], userData: null } }, 'client');
    }
  }

  private expireClassicSessions(host: Host<unknown>): void {
    for (const [groupId, group] of this.classicGroups) {
      for (const [memberId, member] of [...group.members]) {
        if (host.nowMs() - member.lastHeartbeatMs > member.sessionTimeoutMs && member.pendingJoin === null) {
          group.members.delete(memberId);
          this.prepareRebalance(host, groupId);
          this.maybeCompleteJoin(host, groupId);
        }
      }
    }
    host.setTimer(100, 'session.check');
  }

  /** Starts a rebalance now, as when another member joins (members hear REBALANCE_IN_PROGRESS on heartbeats). */
  triggerRebalance(groupId: string): void {
    this.prepareRebalance(this.cluster.instance<ScriptedBroker>(this.coordinator).host, groupId);
  }

  // ---- KIP-848's consumer group ----

  private handleConsumerGroupHeartbeat(host: Host<unknown>, from: NodeId, request: ConsumerGroupHeartbeatRequest): void {
    let group = this.consumerGroups.get(request.groupId);
    if (group === undefined) {
      group = { groupEpoch: 0, members: new Map() };
      this.consumerGroups.set(request.groupId, group);
    }
    const respond = (errorCode: KafkaErrorCode, memberEpoch: number, assignment: TopicIdPartitions[] | null) =>
      host.send(from, { api: 'ConsumerGroupHeartbeatResponse', correlationId: request.correlationId, errorCode, errorMessage: null, memberId: request.memberId, memberEpoch, heartbeatIntervalMs: this.options.heartbeatIntervalMs848, assignment: assignment === null ? null : { topicPartitions: assignment } }, 'client');
    let member = group.members.get(request.memberId);
    if (request.memberEpoch < 0) {
      if (member !== undefined) {
        group.members.delete(request.memberId);
        group.groupEpoch += 1;
      }
      return respond('NONE', request.memberEpoch, null);
    }
    if (member === undefined) {
      if (request.memberEpoch !== 0) return respond('UNKNOWN_MEMBER_ID', -1, null);
      member = { memberId: request.memberId, memberEpoch: 0, previousEpoch: 0, subscribed: request.subscribedTopicNames ?? [], owned: [], assigned: null, lastHeartbeatMs: host.nowMs() };
      group.members.set(request.memberId, member);
      group.groupEpoch += 1;
    } else if (request.memberEpoch === 0) {
      // A member joining again (after it was fenced) starts over.
      member.assigned = null;
      member.owned = [];
      group.groupEpoch += 1;
    } else if (request.memberEpoch !== member.memberEpoch && request.memberEpoch !== member.previousEpoch) {
      return respond('FENCED_MEMBER_EPOCH', -1, null);
    }
    member.lastHeartbeatMs = host.nowMs();
    if (request.topicPartitions !== null) member.owned = request.topicPartitions.flatMap((entry) => [...entry.partitions]);
    const next = this.nextAssignment(group, member);
    const changed = member.assigned === null || next.partitions.join(',') !== member.assigned.join(',');
    member.assigned = next.partitions;
    if (next.epoch !== member.memberEpoch) member.previousEpoch = member.memberEpoch;
    member.memberEpoch = Math.max(member.memberEpoch, next.epoch);
    respond('NONE', member.memberEpoch, changed ? [{ topicId: TOPIC_ID, partitions: next.partitions }] : null);
  }

  /** The coordinator moves a member to a new epoch (as a rebalance elsewhere in the group would); it hears on its next heartbeat. */
  bumpMemberEpoch(groupId: string, memberId: string): void {
    const group = this.consumerGroups.get(groupId)!;
    const member = group.members.get(memberId)!;
    group.groupEpoch += 1;
    member.previousEpoch = member.memberEpoch;
    member.memberEpoch = group.groupEpoch;
    member.assigned = null;
  }

  /** Round-robin target over the members; a partition is handed over only once its old owner no longer reports it. */
  private nextAssignment(group: { groupEpoch: number; members: Map<string, ConsumerMember> }, member: ConsumerMember): { partitions: number[]; epoch: number } {
    const members = [...group.members.keys()].sort();
    const target = this.partitions.map((_, partition) => partition).filter((partition) => members[partition % members.length] === member.memberId);
    const mustRevoke = member.owned.some((partition) => !target.includes(partition));
    if (mustRevoke) return { partitions: member.owned.filter((partition) => target.includes(partition)), epoch: member.memberEpoch };
    const free = target.filter((partition) => ![...group.members.values()].some((other) => other !== member && other.owned.includes(partition)));
    return { partitions: free, epoch: group.groupEpoch };
  }
}

function batchOf(record: StoredRecord): RecordBatch {
  return {
    baseOffset: record.offset,
    lastOffsetDelta: 0,
    partitionLeaderEpoch: record.leaderEpoch,
    producerId: -1,
    producerEpoch: -1,
    baseSequence: -1,
    isTransactional: false,
    isControl: false,
    maxTimestampMs: 0,
    records: [{ key: null, value: record.value, timestampMs: 0 }],
  };
}

/** A world of scripted brokers and consumers c1..cN with the given configs; they start at time 0. */
export function startConsumers(options: TestbedOptions, configs: Record<string, unknown> | ReadonlyArray<Record<string, unknown>>): ConsumerTestbed {
  const ids = options.consumers ?? ['c1'];
  const brokers = options.brokers ?? ['b1', 'b2', 'b3'];
  return new ConsumerTestbed(
    options,
    ids.map((id, index) => ({
      id,
      make: (host: Host<unknown>) => new Consumer(host, { bootstrapBrokers: brokers, config: consumerConfigOrThrow(Array.isArray(configs) ? configs[index]! : (configs as Record<string, unknown>)) }),
    })),
  );
}
