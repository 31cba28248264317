/**
 * A consumer in a classic group (Kafka's ConsumerCoordinator): what the consumer adds to the group
 * membership of AbstractCoordinator — its subscription, the leader's assignment, the rebalance
 * protocol's revocations, and commits under its generation.
 *
 * Eager vs cooperative (KIP-429), chosen by the assignors (cooperative only when every configured
 * assignor supports it):
 * - eager: before every join, every partition is revoked (onPartitionsRevoked) and the member
 *   owns nothing while the group rebalances; the new assignment is then all new (onPartitionsAssigned).
 * - cooperative: before a join only partitions of topics no longer subscribed are revoked; members
 *   keep fetching their partitions through the rebalance; on the new assignment, partitions no
 *   longer assigned are revoked and the member rejoins at once, so a second rebalance hands them to
 *   their new owner; onPartitionsAssigned gets only the added partitions.
 * - a member whose generation was reset (fenced, or it left on the poll timeout) cannot revoke in
 *   order: its partitions are lost (onPartitionsLost), since another member may own them already.
 *
 * Offsets, as Kafka commits them: with enable.auto.commit, the positions are committed from poll
 * every auto.commit.interval.ms, before any revocation (onJoinPrepare waits up to the rebalance
 * timeout for that commit), and on close. A commit carries the generation only while the member is
 * STABLE; otherwise it fails locally (RebalanceInProgress during a rebalance, CommitFailed out of
 * the group). ILLEGAL_GENERATION or UNKNOWN_MEMBER_ID on a commit resets the generation.
 *
 * The leader watches the metadata of the group's topics and rejoins when it changes (a topic created
 * after the group formed, more partitions), so the group is assigned again.
 *
 * Left out: pattern subscriptions, rack ids, and validateCooperativeAssignment for custom
 * cooperative assignors.
 */

import type { Host } from '../host.js';
import type { ConsumerProtocolAssignment, ConsumerProtocolSubscription, JoinGroupResponse, TopicPartition } from '../protocol/apis.js';
import type { KafkaErrorCode } from '../protocol/errors.js';
import { AbstractCoordinator, type Generation, NO_GENERATION_STATE, type RebalanceConfig } from './abstractCoordinator.js';
import { rebalanceProtocolOf } from './assignors/index.js';
import type { PartitionAssignor, RebalanceProtocol, Subscription } from './assignors/partitionAssignor.js';
import { CONSUMER_PROTOCOL_TYPE, deserializeAssignment, deserializeSubscription, serializeAssignment, serializeSubscription } from './consumerProtocol.js';
import type { ConsumerNetworkClient } from './consumerNetworkClient.js';
import type { ConsumerException } from './consumerRecord.js';
import type { CoordinatorLookup } from './coordinatorLookup.js';
import type { ClientMetadata } from './metadata.js';
import type { GroupMember, GroupMetadata, GroupPollResult } from './groupMember.js';
import type { CommitIdentity, CommitResult, OffsetCommitManager } from './offsetCommitManager.js';
import type { ConsumerRebalanceListener } from './rebalanceListener.js';
import type { SubscriptionState } from './subscriptionState.js';

export interface ConsumerCoordinatorParts {
  readonly subscriptions: SubscriptionState;
  readonly metadata: ClientMetadata;
  readonly assignors: readonly PartitionAssignor[];
  readonly commits: () => OffsetCommitManager;
  readonly listener: () => ConsumerRebalanceListener;
  readonly autoCommitEnabled: boolean;
}

export class ConsumerCoordinator extends AbstractCoordinator implements GroupMember {
  readonly protocol: RebalanceProtocol;
  private isLeader = false;
  /**
   * The leader's view of the group's topics when it assigned (partition counts; null for a topic
   * that did not exist): when metadata no longer matches it, the leader rejoins so the group is
   * assigned again (ConsumerCoordinator's assignmentSnapshot) — how a group that formed before its
   * topic was created gets the topic's partitions.
   */
  private assignmentSnapshot: Map<string, number | null> | null = null;
  /** onJoinPrepare's wait for the auto-commit before a revocation: its deadline and the commit's state. */
  private joinPrepare: { readonly deadlineMs: number; commit: 'none' | 'in-flight' | 'done'; notBeforeMs: number } | null = null;

  constructor(
    rebalanceConfig: RebalanceConfig,
    network: ConsumerNetworkClient,
    lookup: CoordinatorLookup,
    host: Host<unknown>,
    private readonly parts: ConsumerCoordinatorParts,
  ) {
    super(rebalanceConfig, network, lookup, host);
    this.protocol = rebalanceProtocolOf(parts.assignors);
  }

  // ---- The application's poll ----

  /**
   * ConsumerCoordinator.poll: keeps the poll timer alive, completes a pending rebalance if it can,
   * and auto-commits when due. `ready` is false while the coordinator is unknown or a rebalance is
   * under way (the consumer then does not look up positions).
   */
  poll(nowMs: number): GroupPollResult {
    this.parts.commits().invokeCompletedCallbacks();
    if (this.parts.subscriptions.hasAutoAssignedPartitions()) {
      this.pollHeartbeat(nowMs);
      const fatal = this.takeFatalError();
      if (fatal !== null) return { ok: false, exception: fatal };
      if (!this.ensureCoordinatorReady(nowMs)) return { ok: true, ready: false };
      if (this.rejoinNeededOrPending() && !this.ensureActiveGroup(nowMs)) {
        const raised = this.takeFatalError();
        return raised === null ? { ok: true, ready: false } : { ok: false, exception: raised };
      }
    }
    this.maybeAutoCommit(nowMs);
    return { ok: true, ready: true };
  }

  private maybeAutoCommit(nowMs: number): void {
    if (!this.parts.autoCommitEnabled) return;
    this.parts.commits().maybeAutoCommit(nowMs, this.parts.subscriptions.allConsumed(), () => {});
  }

  /**
   * The leader also rejoins when the metadata of the group's topics changed since it assigned. The
   * snapshot stays until the next assignment replaces it, as in Kafka: a change seen while a join is
   * still completing would otherwise be forgotten when that join succeeds.
   */
  protected override rejoinNeededOrPending(): boolean {
    if (!this.parts.subscriptions.hasAutoAssignedPartitions()) return false;
    const snapshot = this.assignmentSnapshot;
    if (snapshot !== null && [...snapshot].some(([topic, count]) => this.parts.metadata.partitionCount(topic) !== count)) {
      this.requestRejoin();
      return true;
    }
    return super.rejoinNeededOrPending();
  }

  // ---- AbstractCoordinator's hooks ----

  protected protocolType(): string {
    return CONSUMER_PROTOCOL_TYPE;
  }

  protected metadata(): Array<{ readonly name: string; readonly metadata: ConsumerProtocolSubscription }> {
    const topics = this.parts.subscriptions.subscription();
    const ownedPartitions = this.parts.subscriptions.assignedPartitions();
    return this.parts.assignors.map((assignor) => ({
      name: assignor.name,
      metadata: serializeSubscription({ topics, userData: assignor.subscriptionUserData(topics), ownedPartitions, generationId: this.generation.generationId }),
    }));
  }

  protected onJoinPrepare(nowMs: number, generationId: number, memberId: string): boolean {
    if (!this.autoCommitBeforeRevocation(nowMs)) return false;
    this.joinPrepare = null;
    const subscriptions = this.parts.subscriptions;
    const owned = subscriptions.assignedPartitions();
    const listener = this.parts.listener();
    if (generationId === NO_GENERATION_STATE.generationId || memberId === NO_GENERATION_STATE.memberId) {
      // The generation was reset: ownership already ended, so the partitions are lost, not revoked.
      if (owned.length > 0) {
        listener.onPartitionsLost(owned);
        subscriptions.assignFromSubscribed([]);
      }
    } else if (this.protocol === 'EAGER') {
      listener.onPartitionsRevoked(owned);
      subscriptions.assignFromSubscribed([]);
    } else {
      const unsubscribed = owned.filter((partition) => !subscriptions.subscription().includes(partition.topic));
      if (unsubscribed.length > 0) {
        listener.onPartitionsRevoked(unsubscribed);
        subscriptions.assignFromSubscribed(owned.filter((partition) => subscriptions.subscription().includes(partition.topic)));
      }
    }
    this.isLeader = false;
    return true;
  }

  /**
   * Kafka 3.3+ (KAFKA-13563): with auto-commit, the positions are committed before a revocation,
   * and the join waits for that commit (retrying retriable failures) up to the rebalance timeout.
   * Returns true when the join may go on.
   */
  private autoCommitBeforeRevocation(nowMs: number): boolean {
    if (!this.parts.autoCommitEnabled) return true;
    const prepare = (this.joinPrepare ??= { deadlineMs: nowMs + this.rebalanceConfig.rebalanceTimeoutMs, commit: 'none', notBeforeMs: nowMs });
    if (nowMs >= prepare.deadlineMs || prepare.commit === 'done') return true;
    if (prepare.commit === 'in-flight' || nowMs < prepare.notBeforeMs) return false;
    if (this.protocol === 'EAGER') this.parts.subscriptions.markPendingRevocation(this.parts.subscriptions.assignedPartitions());
    prepare.commit = 'in-flight';
    this.parts.commits().autoCommitAsync(this.parts.subscriptions.allConsumed(), (_offsets, result: CommitResult) => {
      // A retriable failure is retried after the backoff; anything else lets the join go on.
      const retriable = !result.ok && result.exception.kind === 'RetriableCommitFailed';
      prepare.commit = retriable ? 'none' : 'done';
      if (retriable) prepare.notBeforeMs = this.host.nowMs() + this.rebalanceConfig.retryBackoffMs;
    });
    // Nothing to commit settles at once.
    return this.joinPrepare?.commit === 'done';
  }

  protected performAssignment(leaderId: string, protocolName: string, members: JoinGroupResponse['members']): Array<{ readonly memberId: string; readonly assignment: ConsumerProtocolAssignment }> {
    const assignor = this.parts.assignors.find((candidate) => candidate.name === protocolName);
    if (assignor === undefined) throw new Error(`the coordinator chose assignor ${protocolName}, which ${leaderId} does not have`);
    const subscriptions = new Map<string, Subscription>(members.map((member) => [member.memberId, deserializeSubscription(member.metadata, member.groupInstanceId)]));
    const topics = new Set([...subscriptions.values()].flatMap((subscription) => subscription.topics));
    const partitionsPerTopic = new Map<string, number>();
    for (const topic of topics) {
      // The leader watches every topic the group subscribes to (updateGroupSubscription).
      this.parts.metadata.addTopic(topic);
      const count = this.parts.metadata.partitionCount(topic);
      if (count !== null) partitionsPerTopic.set(topic, count);
    }
    this.isLeader = true;
    this.assignmentSnapshot = new Map([...topics].map((topic) => [topic, partitionsPerTopic.get(topic) ?? null]));
    const assignment = assignor.assign(partitionsPerTopic, subscriptions);
    this.host.trace({
      type: 'consumer.assignment-computed',
      groupId: this.rebalanceConfig.groupId,
      generationId: this.generation.generationId,
      assignor: protocolName,
      assignment: Object.fromEntries([...assignment].map(([memberId, partitions]) => [memberId, partitions.map((p) => `${p.topic}-${p.partition}`)])),
    });
    return [...assignment].map(([memberId, partitions]) => ({ memberId, assignment: serializeAssignment(partitions) }));
  }

  protected onJoinComplete(generation: Generation, assignmentData: ConsumerProtocolAssignment, nowMs: number): void {
    // Only the leader watches the group's metadata.
    if (!this.isLeader) this.assignmentSnapshot = null;
    const subscriptions = this.parts.subscriptions;
    const assignor = this.parts.assignors.find((candidate) => candidate.name === generation.protocolName);
    if (assignor === undefined) throw new Error(`joined with assignor ${generation.protocolName}, which this consumer does not have`);
    const owned = subscriptions.assignedPartitions();
    const assigned = deserializeAssignment(assignmentData);
    if (!subscriptions.matchesSubscription(assigned)) {
      this.requestRejoin();
      return;
    }
    const listener = this.parts.listener();
    const isIn = (list: readonly TopicPartition[], partition: TopicPartition) => list.some((other) => other.topic === partition.topic && other.partition === partition.partition);
    const added = assigned.filter((partition) => !isIn(owned, partition));
    if (this.protocol === 'COOPERATIVE') {
      const revoked = owned.filter((partition) => !isIn(assigned, partition));
      if (revoked.length > 0) {
        // Revoke before the assignment changes, then rejoin so the partitions reach their new owner.
        listener.onPartitionsRevoked(revoked);
        this.requestRejoin();
      }
    }
    assignor.onAssignment(assigned, generation.generationId);
    if (this.parts.autoCommitEnabled) this.parts.commits().resetAutoCommitTimer(nowMs);
    subscriptions.assignFromSubscribed(assigned);
    this.host.trace({ type: 'consumer.assigned', groupId: this.rebalanceConfig.groupId, memberId: generation.memberId, generationId: generation.generationId, partitions: assigned.map((p) => `${p.topic}-${p.partition}`) });
    listener.onPartitionsAssigned(added);
  }

  // ---- Closing ----

  /**
   * onLeavePrepare and maybeLeaveGroup, from close: the partitions are revoked (or lost, when the
   * generation is gone or a rebalance is under way), then a dynamic member sends LeaveGroup.
   */
  close(): void {
    this.closeHeartbeatThread();
    const subscriptions = this.parts.subscriptions;
    const dropped = subscriptions.assignedPartitions();
    if (subscriptions.hasAutoAssignedPartitions() && dropped.length > 0) {
      const lost = this.hasGenerationReset() || this.generation.memberId === NO_GENERATION_STATE.memberId || this.rebalanceInProgress();
      if (lost) this.parts.listener().onPartitionsLost(dropped);
      else this.parts.listener().onPartitionsRevoked(dropped);
      subscriptions.assignFromSubscribed([]);
    }
    this.maybeLeaveGroup('the consumer is being closed');
  }

  // ---- Commits (GroupCommitMember) ----

  commitIdentity(): { readonly ok: true; readonly identity: CommitIdentity } | { readonly ok: false; readonly exception: ConsumerException } {
    if (!this.parts.subscriptions.hasAutoAssignedPartitions()) {
      return { ok: true, identity: { generationIdOrMemberEpoch: NO_GENERATION_STATE.generationId, memberId: NO_GENERATION_STATE.memberId, groupInstanceId: null } };
    }
    const generation = this.generationIfStable();
    if (generation === null) return { ok: false, exception: this.rebalanceInProgress() ? { kind: 'RebalanceInProgress' } : { kind: 'CommitFailed', error: null } };
    return { ok: true, identity: { generationIdOrMemberEpoch: generation.generationId, memberId: generation.memberId, groupInstanceId: this.rebalanceConfig.groupInstanceId } };
  }

  onCommitFencingError(error: KafkaErrorCode, sent: CommitIdentity): ConsumerException {
    const sentGeneration: Generation = { generationId: sent.generationIdOrMemberEpoch, memberId: sent.memberId, protocolName: this.generation.protocolName };
    switch (error) {
      case 'REBALANCE_IN_PROGRESS':
        this.requestRejoin();
        return { kind: 'RebalanceInProgress' };
      case 'UNKNOWN_MEMBER_ID':
      case 'ILLEGAL_GENERATION':
        if (!this.generationUnchanged(sentGeneration) && this.state === 'PREPARING_REBALANCE') return { kind: 'RebalanceInProgress' };
        this.resetStateAndRejoin(error === 'UNKNOWN_MEMBER_ID');
        return { kind: 'CommitFailed', error };
      case 'FENCED_INSTANCE_ID':
        return { kind: 'FencedInstanceId' };
      default:
        return { kind: 'CommitFailed', error };
    }
  }

  offsetFetchIdentity(): null {
    return null;
  }

  /** The generation and member id a poll is made in, for the application's records. */
  groupMetadata(): GroupMetadata {
    return { generationId: this.generation.generationId, memberId: this.generation.memberId, groupInstanceId: this.rebalanceConfig.groupInstanceId, state: this.state, leader: this.isLeader };
  }

  runBackground(nowMs: number): void {
    this.runHeartbeatThread(nowMs);
  }

  /** When the group side next needs an input (the heartbeat thread; a join-prepare commit backoff). */
  nextWakeupMs(): number {
    const joinPrepareRetry = this.joinPrepare !== null && this.joinPrepare.commit === 'none' ? this.joinPrepare.notBeforeMs : Number.POSITIVE_INFINITY;
    return Math.min(this.nextHeartbeatThreadTimeMs(), joinPrepareRetry, this.joinPrepare?.deadlineMs ?? Number.POSITIVE_INFINITY);
  }
}
