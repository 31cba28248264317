/**
 * The consumer protocol on the coordinator (KIP-848; the consumer half of Kafka's
 * GroupMetadataManager): ConsumerGroupHeartbeat, the timers that fence members, and the replay of
 * the consumer-group records.
 *
 * One heartbeat, in three steps, each leaving records behind:
 * 1. The member: created on its first heartbeat (epoch 0), validated on later ones (its epoch must
 *    be the current one, or the previous one with no partition it was not given — the answer that
 *    bumped it may have been lost; otherwise FENCED_MEMBER_EPOCH). A change of subscription, or of
 *    the subscribed topics' partitions, bumps the group epoch.
 * 2. The target assignment: recomputed by the server-side assignor when the group epoch passed the
 *    assignment epoch.
 * 3. The member's reconciliation toward its target (groupCoordinatorReconciliation.ts): revoke
 *    first, then assign what no one else owns.
 * The answer carries the member's epoch and, when it changed or the request was a full one, its
 * assignment; it goes out once the records are committed.
 *
 * Fencing: a member that sends no heartbeat for group.consumer.session.timeout.ms, or stays in
 * UNREVOKED_PARTITIONS longer than its rebalance timeout (max.poll.interval.ms), is removed and
 * the group epoch bumped; its partitions are free from then on. A static member (instance id) that
 * leaves with epoch -2 keeps its partitions until its session expires, and gets them back if it
 * rejoins with a new member id in time; another member claiming an instance id still in use gets
 * UNRELEASED_INSTANCE_ID.
 *
 * Consumer groups change only through their records (replayed here), so a loaded coordinator has
 * exactly the committed state of its predecessor.
 *
 * Left out: regular expression subscriptions, client-side assignors, racks, classic members of a
 * consumer group and online migration, the metadata refresh interval (topic metadata is compared on
 * every heartbeat), dynamic group configs (group.consumer.* per group), and GROUP_MAX_SIZE for
 * static rejoins.
 */
import type { ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse, TopicIdPartitions, TopicPartitions } from '../protocol/apis.js';
import { JOIN_GROUP_MEMBER_EPOCH, LEAVE_GROUP_MEMBER_EPOCH, LEAVE_GROUP_STATIC_MEMBER_EPOCH } from '../protocol/apis.js';
import type { KafkaErrorCode } from '../protocol/errors.js';
import { ASSIGNORS } from './groupCoordinatorAssignors.js';
import { ClassicGroup } from './groupCoordinatorClassicGroup.js';
import type { Group } from './groupCoordinatorClassicManager.js';
import type { GroupCoordinatorConfig, ServerAssignorName } from './groupCoordinatorConfig.js';
import { type Assignment, ConsumerGroup, type ConsumerGroupMember, isReconciledTo, isSubset, newMember, sameAssignment, toAssignment } from './groupCoordinatorConsumerGroup.js';
import type { CoordinatorRecord } from './groupCoordinatorRecords.js';
import { reconcile } from './groupCoordinatorReconciliation.js';
import type { CoordinatorResult, ShardContext } from './groupCoordinatorRuntime.js';
import { compareStrings } from '../util/compare.js';

export type ConsumerGroupHeartbeatAnswer = Omit<ConsumerGroupHeartbeatResponse, 'api' | 'correlationId'>;

/** A heartbeat refused: Kafka throws, and the service answers with the error and its message. */
class HeartbeatError {
  constructor(
    readonly errorCode: KafkaErrorCode,
    readonly message: string,
  ) {}
}

export function heartbeatErrorAnswer(errorCode: KafkaErrorCode, message: string | null): ConsumerGroupHeartbeatAnswer {
  return { errorCode, errorMessage: message, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null };
}

export class ConsumerGroupManager {
  constructor(
    private readonly context: ShardContext,
    private readonly config: GroupCoordinatorConfig,
    private readonly groups: Map<string, Group>,
    /** Traces what replay does, except while loading (onLoaded then restates the loaded state). */
    private readonly traceReplay: ShardContext['trace'],
  ) {}

  // ---- ConsumerGroupHeartbeat ----

  heartbeat(request: ConsumerGroupHeartbeatRequest): CoordinatorResult<ConsumerGroupHeartbeatAnswer> {
    try {
      this.throwIfRequestIsInvalid(request);
      if (request.memberEpoch === LEAVE_GROUP_MEMBER_EPOCH || request.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) return this.leave(request);
      return this.joinOrHeartbeat(request);
    } catch (error) {
      if (!(error instanceof HeartbeatError)) throw error;
      return { records: [], response: heartbeatErrorAnswer(error.errorCode, error.message), replayRecords: true };
    }
  }

  private throwIfRequestIsInvalid(request: ConsumerGroupHeartbeatRequest): void {
    const invalid = (message: string) => new HeartbeatError('INVALID_REQUEST', message);
    if (request.groupId === '') throw invalid("GroupId can't be empty.");
    if (request.instanceId === '') throw invalid("InstanceId can't be empty.");
    if (request.rackId === '') throw invalid("RackId can't be empty.");
    if (request.memberId === '') throw invalid("MemberId can't be empty.");
    if (request.memberEpoch === JOIN_GROUP_MEMBER_EPOCH) {
      if (request.rebalanceTimeoutMs === -1) throw invalid('RebalanceTimeoutMs must be provided in first request.');
      if (request.topicPartitions === null || request.topicPartitions.length > 0) throw invalid('TopicPartitions must be empty when (re-)joining.');
      if (request.subscribedTopicNames === null) throw invalid('SubscribedTopicNames must be non-null when (re-)joining.');
    } else if (request.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
      if (request.instanceId === null) throw invalid("InstanceId can't be null.");
    } else if (request.memberEpoch < LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
      throw invalid('MemberEpoch is invalid.');
    }
    if (request.serverAssignor !== null && !this.config.consumerGroupAssignors.includes(request.serverAssignor as ServerAssignorName)) {
      throw new HeartbeatError('UNSUPPORTED_ASSIGNOR', `ServerAssignor ${request.serverAssignor} is not supported. Supported assignors: ${this.config.consumerGroupAssignors.join(', ')}.`);
    }
  }

  /**
   * The consumer group `groupId`: a new one (not yet in the map; its records create it) when
   * joining; an empty classic group is converted (its tombstone goes first).
   */
  private getOrMaybeCreateConsumerGroup(groupId: string, createIfNotExists: boolean, records: CoordinatorRecord[]): ConsumerGroup {
    const group = this.groups.get(groupId);
    if (group instanceof ConsumerGroup) return group;
    if (group === undefined && !createIfNotExists) throw new HeartbeatError('GROUP_ID_NOT_FOUND', `Consumer group ${groupId} not found.`);
    if (group instanceof ClassicGroup && !(group.isEmpty && createIfNotExists)) throw new HeartbeatError('GROUP_ID_NOT_FOUND', `Group ${groupId} is not a consumer group.`);
    if (group !== undefined) records.push({ type: 'GroupMetadata', key: { groupId }, value: null });
    return new ConsumerGroup(groupId, this.traceReplay);
  }

  private joinOrHeartbeat(request: ConsumerGroupHeartbeatRequest): CoordinatorResult<ConsumerGroupHeartbeatAnswer> {
    const records: CoordinatorRecord[] = [];
    const joining = request.memberEpoch === JOIN_GROUP_MEMBER_EPOCH;
    const group = this.getOrMaybeCreateConsumerGroup(request.groupId, joining, records);
    const owned = request.topicPartitions === null ? null : toAssignment(request.topicPartitions.map((entry) => [entry.topicId, entry.partitions] as const));
    if (group.member(request.memberId) === undefined && (request.instanceId === null || group.staticMember(request.instanceId) === undefined) && group.size >= this.config.consumerGroupMaxSize) {
      throw new HeartbeatError('GROUP_MAX_SIZE_REACHED', `The consumer group has reached its maximum capacity of ${this.config.consumerGroupMaxSize} members.`);
    }
    const member = request.instanceId === null ? this.dynamicMember(group, request, owned) : this.staticMember(group, request, owned, records);

    // 1. The member's metadata; a new subscription, or changed topics, bumps the group epoch.
    const updatedMember: ConsumerGroupMember = {
      ...member,
      instanceId: request.instanceId ?? member.instanceId,
      rackId: request.rackId ?? member.rackId,
      rebalanceTimeoutMs: request.rebalanceTimeoutMs === -1 ? member.rebalanceTimeoutMs : request.rebalanceTimeoutMs,
      serverAssignor: request.serverAssignor ?? member.serverAssignor,
      subscribedTopicNames: request.subscribedTopicNames === null ? member.subscribedTopicNames : [...request.subscribedTopicNames].sort(compareStrings),
    };
    let bumpGroupEpoch = false;
    if (JSON.stringify(metadataOf(updatedMember)) !== JSON.stringify(metadataOf(member)) || group.member(member.memberId) === undefined) {
      records.push({ type: 'ConsumerGroupMemberMetadata', key: { groupId: group.groupId, memberId: member.memberId }, value: metadataOf(updatedMember) });
      bumpGroupEpoch = JSON.stringify(updatedMember.subscribedTopicNames) !== JSON.stringify(member.subscribedTopicNames);
    }
    let groupEpoch = group.groupEpoch;
    const metadataHash = this.subscriptionMetadataHash(group, updatedMember);
    if (bumpGroupEpoch || metadataHash !== group.metadataHash) {
      groupEpoch += 1;
      records.push({ type: 'ConsumerGroupMetadata', key: { groupId: group.groupId }, value: { epoch: groupEpoch, metadataHash } });
    }

    // 2. The target assignment, when the group epoch moved past it.
    let targetAssignmentEpoch = group.assignmentEpoch;
    let targetAssignment = currentTargetOf(group, updatedMember.memberId, records);
    if (groupEpoch > group.assignmentEpoch) {
      targetAssignment = this.updateTargetAssignment(group, groupEpoch, updatedMember, records);
      targetAssignmentEpoch = groupEpoch;
    }

    // 3. Reconciliation toward it.
    const reconciledMember = this.maybeReconcile(group, updatedMember, targetAssignmentEpoch, targetAssignment, owned, records);
    this.scheduleSessionTimeout(group.groupId, reconciledMember.memberId);

    const isFullRequest = joining || (request.rebalanceTimeoutMs !== -1 && request.subscribedTopicNames !== null && request.topicPartitions !== null);
    const assignmentChanged = !sameAssignment(member.assignedPartitions, reconciledMember.assignedPartitions);
    return {
      records,
      response: {
        errorCode: 'NONE',
        errorMessage: null,
        memberId: reconciledMember.memberId,
        memberEpoch: reconciledMember.memberEpoch,
        heartbeatIntervalMs: this.config.consumerGroupHeartbeatIntervalMs,
        assignment: isFullRequest || assignmentChanged ? { topicPartitions: reconciledMember.assignedPartitions } : null,
      },
      replayRecords: true,
    };
  }

  /** A dynamic member: created when joining, else it must exist and heartbeat at a valid epoch. */
  private dynamicMember(group: ConsumerGroup, request: ConsumerGroupHeartbeatRequest, owned: Assignment | null): ConsumerGroupMember {
    const existing = group.member(request.memberId);
    if (request.memberEpoch === JOIN_GROUP_MEMBER_EPOCH) return existing ?? newMember(request.memberId);
    if (existing === undefined) throw unknownMember(request.memberId, group.groupId);
    throwIfMemberEpochIsInvalid(existing, request.memberEpoch, owned);
    return existing;
  }

  /**
   * A static member: a new instance id joins; an instance id whose member left with epoch -2 is
   * taken over by the new member id, with the old member's assignment; any other claim on an
   * instance id in use is UNRELEASED_INSTANCE_ID. Later heartbeats must come from the instance's
   * current member id (FENCED_INSTANCE_ID otherwise).
   */
  private staticMember(group: ConsumerGroup, request: ConsumerGroupHeartbeatRequest, owned: Assignment | null, records: CoordinatorRecord[]): ConsumerGroupMember {
    const instanceId = request.instanceId!;
    const existing = group.staticMember(instanceId);
    if (request.memberEpoch === JOIN_GROUP_MEMBER_EPOCH) {
      if (existing === undefined) return group.member(request.memberId) ?? newMember(request.memberId);
      if (existing.memberId === request.memberId) return existing;
      if (existing.memberEpoch !== LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
        throw new HeartbeatError('UNRELEASED_INSTANCE_ID', `Static member ${existing.memberId} with instance id ${instanceId} cannot be replaced because it has not left the group.`);
      }
      records.push(...removeMemberRecords(group.groupId, existing.memberId));
      records.push({ type: 'ConsumerGroupTargetAssignmentMember', key: { groupId: group.groupId, memberId: request.memberId }, value: { topicPartitions: group.targetAssignment(existing.memberId) } });
      this.cancelTimers(group.groupId, existing.memberId);
      this.context.trace({ type: 'group.member-replaced', groupId: group.groupId, instanceId, memberId: existing.memberId, newMemberId: request.memberId });
      return { ...existing, memberId: request.memberId, memberEpoch: 0, previousMemberEpoch: 0, state: 'STABLE', partitionsPendingRevocation: [] };
    }
    if (existing === undefined) throw new HeartbeatError('UNKNOWN_MEMBER_ID', `Instance id ${instanceId} is unknown.`);
    if (existing.memberId !== request.memberId) throw new HeartbeatError('FENCED_INSTANCE_ID', `Static member ${request.memberId} with instance id ${instanceId} was fenced by member ${existing.memberId}.`);
    throwIfMemberEpochIsInvalid(existing, request.memberEpoch, owned);
    return existing;
  }

  /** A hash of the subscribed topics' metadata (KIP-1101): names, ids and partition counts. */
  private subscriptionMetadataHash(group: ConsumerGroup, updatedMember: ConsumerGroupMember | null): string {
    const names = new Set<string>();
    for (const member of group.members()) if (member.memberId !== updatedMember?.memberId) for (const name of member.subscribedTopicNames) names.add(name);
    for (const name of updatedMember?.subscribedTopicNames ?? []) names.add(name);
    const topics = this.context.topics();
    return [...names]
      .filter((name) => topics.has(name))
      .sort(compareStrings)
      .map((name) => `${name}:${topics.get(name)!.topicId}:${topics.get(name)!.numPartitions}`)
      .join(',');
  }

  /**
   * Kafka's TargetAssignmentBuilder: the assignor's answer for every member (the updated one in
   * place of its old self), a record for each member whose target changed, then the new
   * assignment epoch. Returns the updated member's target.
   */
  private updateTargetAssignment(group: ConsumerGroup, groupEpoch: number, updatedMember: ConsumerGroupMember | null, records: CoordinatorRecord[]): Assignment {
    const members = group.members().filter((member) => member.memberId !== updatedMember?.memberId && !removedBy(records, member.memberId));
    if (updatedMember !== null) members.push(updatedMember);
    const topics = this.context.topics();
    const subscribedTopics = new Map<string, number>();
    const specs = members.map((member) => {
      const subscribedTopicIds = member.subscribedTopicNames.filter((name) => topics.has(name)).map((name) => topics.get(name)!.topicId);
      for (const name of member.subscribedTopicNames) if (topics.has(name)) subscribedTopics.set(topics.get(name)!.topicId, topics.get(name)!.numPartitions);
      return { memberId: member.memberId, instanceId: member.instanceId, subscribedTopicIds, currentTarget: currentTargetOf(group, member.memberId, records) };
    });
    const assignorName = preferredServerAssignor(members, this.config.consumerGroupAssignors);
    const targets = ASSIGNORS[assignorName](specs, subscribedTopics);
    for (const spec of specs) {
      const target = targets.get(spec.memberId) ?? [];
      if (!sameAssignment(target, spec.currentTarget)) {
        records.push({ type: 'ConsumerGroupTargetAssignmentMember', key: { groupId: group.groupId, memberId: spec.memberId }, value: { topicPartitions: target } });
      }
    }
    records.push({ type: 'ConsumerGroupTargetAssignmentMetadata', key: { groupId: group.groupId }, value: { assignmentEpoch: groupEpoch } });
    return updatedMember === null ? [] : (targets.get(updatedMember.memberId) ?? []);
  }

  private maybeReconcile(group: ConsumerGroup, member: ConsumerGroupMember, targetAssignmentEpoch: number, targetAssignment: Assignment, owned: Assignment | null, records: CoordinatorRecord[]): ConsumerGroupMember {
    const isStored = group.member(member.memberId) !== undefined && sameCurrentAssignment(group.member(member.memberId)!, member);
    if (isStored && isReconciledTo(member, targetAssignmentEpoch)) return member;
    const reconciled = reconcile(member, {
      targetAssignmentEpoch,
      targetAssignment,
      currentPartitionEpoch: (topicId, partition) => group.currentPartitionEpoch(topicId, partition),
      ownedTopicPartitions: owned,
    });
    if (isStored && sameCurrentAssignment(reconciled, member)) return member;
    records.push({ type: 'ConsumerGroupCurrentMemberAssignment', key: { groupId: group.groupId, memberId: member.memberId }, value: currentAssignmentOf(reconciled) });
    if (reconciled.state === 'UNREVOKED_PARTITIONS') this.scheduleRebalanceTimeout(group.groupId, reconciled.memberId, reconciled.memberEpoch, reconciled.rebalanceTimeoutMs);
    else this.context.timer.cancel(rebalanceTimeoutKey(group.groupId, reconciled.memberId));
    return reconciled;
  }

  // ---- Leaving and fencing ----

  private leave(request: ConsumerGroupHeartbeatRequest): CoordinatorResult<ConsumerGroupHeartbeatAnswer> {
    const group = this.getOrMaybeCreateConsumerGroup(request.groupId, false, []);
    const answer = (memberEpoch: number): ConsumerGroupHeartbeatAnswer => ({ errorCode: 'NONE', errorMessage: null, memberId: request.memberId, memberEpoch, heartbeatIntervalMs: 0, assignment: null });
    if (request.instanceId === null) {
      const member = group.member(request.memberId);
      if (member === undefined) throw unknownMember(request.memberId, group.groupId);
      return { records: this.fenceMember(group, member, 'left'), response: answer(request.memberEpoch), replayRecords: true };
    }
    const member = group.staticMember(request.instanceId);
    if (member === undefined) throw new HeartbeatError('UNKNOWN_MEMBER_ID', `Instance id ${request.instanceId} is unknown.`);
    if (member.memberId !== request.memberId) throw new HeartbeatError('FENCED_INSTANCE_ID', `Static member ${request.memberId} with instance id ${request.instanceId} was fenced by member ${member.memberId}.`);
    if (request.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
      // A static member that will come back keeps its partitions, at epoch -2, until its session expires.
      const leaving: ConsumerGroupMember = { ...member, memberEpoch: LEAVE_GROUP_STATIC_MEMBER_EPOCH, partitionsPendingRevocation: [] };
      return {
        records: [{ type: 'ConsumerGroupCurrentMemberAssignment', key: { groupId: group.groupId, memberId: member.memberId }, value: currentAssignmentOf(leaving) }],
        response: answer(LEAVE_GROUP_STATIC_MEMBER_EPOCH),
        replayRecords: true,
      };
    }
    return { records: this.fenceMember(group, member, 'left'), response: answer(request.memberEpoch), replayRecords: true };
  }

  /**
   * Removes a member: tombstones for its assignment, target and metadata, and a bumped group
   * epoch (with the subscribed topics recomputed without it). Its partitions are free once replayed.
   */
  private fenceMember(group: ConsumerGroup, member: ConsumerGroupMember, reason: 'left' | 'session-timeout' | 'rebalance-timeout'): CoordinatorRecord[] {
    this.context.trace({ type: 'group.member-fenced', groupId: group.groupId, memberId: member.memberId, memberEpoch: member.memberEpoch, reason });
    const records = removeMemberRecords(group.groupId, member.memberId);
    const remaining = group.members().filter((candidate) => candidate.memberId !== member.memberId);
    const metadataHash = this.subscriptionMetadataHashOf(remaining);
    records.push({ type: 'ConsumerGroupMetadata', key: { groupId: group.groupId }, value: { epoch: group.groupEpoch + 1, metadataHash } });
    this.cancelTimers(group.groupId, member.memberId);
    return records;
  }

  private subscriptionMetadataHashOf(members: readonly ConsumerGroupMember[]): string {
    const scratch = new ConsumerGroup('', () => {});
    for (const member of members) scratch.updateMember({ ...member, assignedPartitions: [], partitionsPendingRevocation: [] });
    return this.subscriptionMetadataHash(scratch, null);
  }

  private scheduleSessionTimeout(groupId: string, memberId: string): void {
    this.context.timer.schedule(sessionTimeoutKey(groupId, memberId), this.config.consumerGroupSessionTimeoutMs, () => {
      const group = this.groups.get(groupId);
      const member = group instanceof ConsumerGroup ? group.member(memberId) : undefined;
      if (group === undefined || member === undefined || !(group instanceof ConsumerGroup)) return { records: [], response: null, replayRecords: true };
      return { records: this.fenceMember(group, member, 'session-timeout'), response: null, replayRecords: true };
    }, RETRY_FAILED_WRITE);
  }

  private scheduleRebalanceTimeout(groupId: string, memberId: string, memberEpoch: number, rebalanceTimeoutMs: number): void {
    this.context.timer.schedule(rebalanceTimeoutKey(groupId, memberId), rebalanceTimeoutMs, () => {
      const group = this.groups.get(groupId);
      const member = group instanceof ConsumerGroup ? group.member(memberId) : undefined;
      // Only a member still at the epoch it was asked to revoke in has failed to revoke in time.
      if (group === undefined || member === undefined || !(group instanceof ConsumerGroup) || member.memberEpoch !== memberEpoch) return { records: [], response: null, replayRecords: true };
      return { records: this.fenceMember(group, member, 'rebalance-timeout'), response: null, replayRecords: true };
    }, RETRY_FAILED_WRITE);
  }

  private cancelTimers(groupId: string, memberId: string): void {
    this.context.timer.cancel(sessionTimeoutKey(groupId, memberId));
    this.context.timer.cancel(rebalanceTimeoutKey(groupId, memberId));
  }

  /** An empty consumer group becomes a classic one: it is dropped, and tombstones delete its records. */
  deleteEmptyConsumerGroup(group: ConsumerGroup): CoordinatorRecord[] {
    this.groups.delete(group.groupId);
    return [
      { type: 'ConsumerGroupTargetAssignmentMetadata', key: { groupId: group.groupId }, value: null },
      { type: 'ConsumerGroupMetadata', key: { groupId: group.groupId }, value: null },
    ];
  }

  // ---- Offsets ----

  /** Kafka's ConsumerGroup.validateOffsetCommit: the member's current epoch, exactly. */
  validateOffsetCommit(group: ConsumerGroup, memberId: string, memberEpoch: number): KafkaErrorCode {
    // Epoch -1 from outside the group (an admin client, a consumer using assign()): only while empty.
    if (memberEpoch < 0 && group.isEmpty) return 'NONE';
    // The legacy switch: no fencing of commits at all (see LegacySwitches.commitWithoutMemberEpoch).
    if (this.config.commitWithoutMemberEpoch) return 'NONE';
    const member = group.member(memberId);
    if (member === undefined) return 'UNKNOWN_MEMBER_ID';
    return memberEpoch === member.memberEpoch ? 'NONE' : 'STALE_MEMBER_EPOCH';
  }

  validateOffsetFetch(group: ConsumerGroup, memberId: string | null, memberEpoch: number): KafkaErrorCode {
    if (memberEpoch < 0 && memberId === null) return 'NONE';
    const member = memberId === null ? undefined : group.member(memberId);
    if (member === undefined) return 'UNKNOWN_MEMBER_ID';
    return memberEpoch === member.memberEpoch ? 'NONE' : 'STALE_MEMBER_EPOCH';
  }

  // ---- Replay ----

  replay(record: CoordinatorRecord): void {
    switch (record.type) {
      case 'ConsumerGroupMetadata': {
        if (record.value === null) {
          if (this.groups.get(record.key.groupId) instanceof ConsumerGroup) this.groups.delete(record.key.groupId);
          return;
        }
        const group = this.replayGroup(record.key.groupId);
        group.setGroupEpoch(record.value.epoch, record.value.metadataHash);
        return;
      }
      case 'ConsumerGroupMemberMetadata': {
        const group = this.replayGroup(record.key.groupId);
        if (record.value === null) {
          group.removeMember(record.key.memberId);
          this.traceReplay({ type: 'group.member-removed', groupId: group.groupId, memberId: record.key.memberId });
          return;
        }
        group.updateMember({ ...(group.member(record.key.memberId) ?? newMember(record.key.memberId)), ...record.value });
        return;
      }
      case 'ConsumerGroupTargetAssignmentMetadata': {
        const group = this.groups.get(record.key.groupId);
        if (!(group instanceof ConsumerGroup)) return;
        group.setAssignmentEpoch(record.value?.assignmentEpoch ?? -1);
        if (record.value !== null) this.traceTargetAssignment(group, this.traceReplay);
        return;
      }
      case 'ConsumerGroupTargetAssignmentMember':
        this.replayGroup(record.key.groupId).setTargetAssignment(record.key.memberId, record.value?.topicPartitions ?? null);
        return;
      case 'ConsumerGroupCurrentMemberAssignment': {
        const group = this.replayGroup(record.key.groupId);
        const member = group.member(record.key.memberId) ?? newMember(record.key.memberId);
        const value = record.value ?? { memberEpoch: LEAVE_GROUP_MEMBER_EPOCH, previousMemberEpoch: LEAVE_GROUP_MEMBER_EPOCH, state: 'STABLE', assignedPartitions: [], partitionsPendingRevocation: [] };
        group.updateMember({ ...member, ...value });
        if (record.value !== null) this.traceMember(group, group.member(record.key.memberId)!, this.traceReplay);
        return;
      }
      default:
        throw new Error(`ConsumerGroupManager cannot replay ${record.type}`);
    }
  }

  private replayGroup(groupId: string): ConsumerGroup {
    const group = this.groups.get(groupId);
    if (group instanceof ConsumerGroup) return group;
    if (group !== undefined) throw new Error(`replay: group ${groupId} is a classic group`);
    const created = new ConsumerGroup(groupId, this.traceReplay);
    this.groups.set(groupId, created);
    return created;
  }

  // ---- Loading ----

  /** Loading finished: sessions start now, revocations in progress get their timeouts, and the state is traced. */
  onLoaded(group: ConsumerGroup): void {
    this.context.trace({ type: 'group.state', groupId: group.groupId, protocol: 'consumer', state: group.state, previousState: null, groupEpoch: group.groupEpoch, assignmentEpoch: group.assignmentEpoch, loaded: true });
    this.traceTargetAssignment(group, this.context.trace);
    for (const member of group.members()) {
      this.traceMember(group, member, this.context.trace);
      this.scheduleSessionTimeout(group.groupId, member.memberId);
      if (member.state === 'UNREVOKED_PARTITIONS') this.scheduleRebalanceTimeout(group.groupId, member.memberId, member.memberEpoch, member.rebalanceTimeoutMs);
    }
  }

  // ---- Tracing ----

  private traceMember(group: ConsumerGroup, member: ConsumerGroupMember, trace: ShardContext['trace']): void {
    trace({
      type: 'group.member',
      groupId: group.groupId,
      memberId: member.memberId,
      instanceId: member.instanceId,
      memberEpoch: member.memberEpoch,
      previousMemberEpoch: member.previousMemberEpoch,
      state: member.state,
      assigned: this.namedPartitions(member.assignedPartitions),
      pendingRevocation: this.namedPartitions(member.partitionsPendingRevocation),
    });
  }

  private traceTargetAssignment(group: ConsumerGroup, trace: ShardContext['trace']): void {
    trace({
      type: 'group.target-assignment',
      groupId: group.groupId,
      assignmentEpoch: group.assignmentEpoch,
      members: Object.fromEntries([...group.allTargetAssignments()].sort(([a], [b]) => compareStrings(a, b)).map(([memberId, target]) => [memberId, this.namedPartitions(target)])),
    });
  }

  /** An assignment by topic name, for the checker (a topic no longer known keeps its id). */
  private namedPartitions(assignment: Assignment): TopicPartitions[] {
    const names = new Map([...this.context.topics()].map(([name, topic]) => [topic.topicId, name]));
    return assignment.map((entry) => ({ topic: names.get(entry.topicId) ?? entry.topicId, partitions: entry.partitions }));
  }
}

/**
 * Kafka's throwIfMemberEpochIsInvalid: a member ahead of the coordinator, or behind it other than
 * by the one epoch whose answer may have been lost (owning nothing it was not given), is fenced.
 */
function throwIfMemberEpochIsInvalid(member: ConsumerGroupMember, receivedMemberEpoch: number, owned: Assignment | null): void {
  if (receivedMemberEpoch > member.memberEpoch) {
    throw new HeartbeatError('FENCED_MEMBER_EPOCH', `The consumer group member has a greater member epoch (${receivedMemberEpoch}) than the one known by the group coordinator (${member.memberEpoch}). The member must abandon all its partitions and rejoin.`);
  }
  if (receivedMemberEpoch < member.memberEpoch && (receivedMemberEpoch !== member.previousMemberEpoch || owned === null || !isSubset(owned, member.assignedPartitions))) {
    throw new HeartbeatError('FENCED_MEMBER_EPOCH', `The consumer group member has a smaller member epoch (${receivedMemberEpoch}) than the one known by the group coordinator (${member.memberEpoch}). The member must abandon all its partitions and rejoin.`);
  }
}

function unknownMember(memberId: string, groupId: string): HeartbeatError {
  return new HeartbeatError('UNKNOWN_MEMBER_ID', `Member ${memberId} is not a member of group ${groupId}.`);
}

/** The assignor most members ask for, else the default (the first configured); ties go to configuration order. */
function preferredServerAssignor(members: readonly ConsumerGroupMember[], configured: readonly ServerAssignorName[]): ServerAssignorName {
  const votes = new Map<ServerAssignorName, number>();
  for (const member of members) {
    const name = member.serverAssignor as ServerAssignorName | null;
    if (name !== null && configured.includes(name)) votes.set(name, (votes.get(name) ?? 0) + 1);
  }
  if (votes.size === 0) return configured[0]!;
  return [...configured].filter((name) => votes.has(name)).sort((a, b) => votes.get(b)! - votes.get(a)!)[0]!;
}

function removeMemberRecords(groupId: string, memberId: string): CoordinatorRecord[] {
  return [
    { type: 'ConsumerGroupCurrentMemberAssignment', key: { groupId, memberId }, value: null },
    { type: 'ConsumerGroupTargetAssignmentMember', key: { groupId, memberId }, value: null },
    { type: 'ConsumerGroupMemberMetadata', key: { groupId, memberId }, value: null },
  ];
}

/** Whether the records so far remove this member (a static member being replaced). */
function removedBy(records: readonly CoordinatorRecord[], memberId: string): boolean {
  return records.some((record) => record.type === 'ConsumerGroupMemberMetadata' && record.key.memberId === memberId && record.value === null);
}

/** A member's current target, including one the records so far give it (a static replacement inherits its predecessor's). */
function currentTargetOf(group: ConsumerGroup, memberId: string, records: readonly CoordinatorRecord[]): Assignment {
  const written = [...records].reverse().find((record) => record.type === 'ConsumerGroupTargetAssignmentMember' && record.key.memberId === memberId);
  if (written !== undefined && written.type === 'ConsumerGroupTargetAssignmentMember') return written.value?.topicPartitions ?? [];
  return group.targetAssignment(memberId);
}

function metadataOf(member: ConsumerGroupMember) {
  return {
    instanceId: member.instanceId,
    rackId: member.rackId,
    clientId: member.clientId,
    subscribedTopicNames: member.subscribedTopicNames,
    serverAssignor: member.serverAssignor,
    rebalanceTimeoutMs: member.rebalanceTimeoutMs,
  };
}

function currentAssignmentOf(member: ConsumerGroupMember) {
  return {
    memberEpoch: member.memberEpoch,
    previousMemberEpoch: member.previousMemberEpoch,
    state: member.state,
    assignedPartitions: member.assignedPartitions as TopicIdPartitions[],
    partitionsPendingRevocation: member.partitionsPendingRevocation as TopicIdPartitions[],
  };
}

function sameCurrentAssignment(a: ConsumerGroupMember, b: ConsumerGroupMember): boolean {
  return JSON.stringify(currentAssignmentOf(a)) === JSON.stringify(currentAssignmentOf(b));
}

/** Kafka schedules both fencing timers with retry: a member is fenced even if the first write fails. */
const RETRY_FAILED_WRITE = true;

function sessionTimeoutKey(groupId: string, memberId: string): string {
  return `session/${groupId}/${memberId}`;
}

function rebalanceTimeoutKey(groupId: string, memberId: string): string {
  return `rebalance/${groupId}/${memberId}`;
}
