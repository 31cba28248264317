/**
 * The classic group protocol on the coordinator (the classic half of Kafka's
 * GroupMetadataManager): JoinGroup, SyncGroup, Heartbeat and LeaveGroup, the timers that expire
 * members and end rebalances, and what a classic group records in `__consumer_offsets`.
 *
 * A rebalance: members (re)join (PreparingRebalance) until all have or the rebalance timeout — the
 * largest max.poll.interval.ms among them — passes; a new group first waits
 * group.initial.rebalance.delay.ms, extended while members keep arriving (KIP-134). Then a new
 * generation (CompletingRebalance): every member gets its JoinGroup answer, the leader with every
 * subscription; the leader sends the assignment in SyncGroup; once the GroupMetadata record holding
 * it is committed, every member's SyncGroup is answered and the group is Stable.
 *
 * The rules, with the history that made them:
 * - KIP-394: a new dynamic member is given a member id with MEMBER_ID_REQUIRED and must join again
 *   with it, so a client that retries a timed-out JoinGroup does not leave a stranger behind.
 * - KIP-345: a static member (group.instance.id) that rejoins with a new member id replaces its
 *   old one without a rebalance when the group is Stable and the chosen protocol does not change;
 *   the old id is fenced (FENCED_INSTANCE_ID) everywhere.
 * - A member is removed when no heartbeat arrives for session.timeout.ms, unless it is waiting in a
 *   rebalance; a new member that never completes its join is removed after 5 minutes.
 * - Fencing: UNKNOWN_MEMBER_ID for an id the group does not know, ILLEGAL_GENERATION for another
 *   generation, REBALANCE_IN_PROGRESS to tell a member of the current generation to rejoin.
 *
 * The group lives in memory; its records only persist it (a GroupMetadata record when it becomes
 * empty or stores an assignment), so results here are not replayed. Loading rebuilds each group
 * from its last record: Empty, or Stable with its members, whose sessions start afresh.
 *
 * Left out: group.max.size shrinking on load beyond a rebalance, client ids and hosts, the
 * DescribeGroups, ListGroups and DeleteGroups APIs, and classic members in consumer groups.
 */
import type { ConsumerProtocolAssignment, HeartbeatRequest, JoinGroupRequest, LeaveGroupRequest, LeaveGroupResponse, SyncGroupRequest } from '../protocol/apis.js';
import { UNKNOWN_MEMBER_ID } from '../protocol/apis.js';
import type { KafkaErrorCode } from '../protocol/errors.js';
import { ClassicGroup, ClassicGroupMember, EMPTY_ASSIGNMENT, errorJoinAnswer, type JoinGroupAnswer, type SyncGroupAnswer } from './groupCoordinatorClassicGroup.js';
import type { GroupCoordinatorConfig } from './groupCoordinatorConfig.js';
import type { ConsumerGroup } from './groupCoordinatorConsumerGroup.js';
import type { CoordinatorRecord, GroupMetadataValue } from './groupCoordinatorRecords.js';
import { type CoordinatorResult, resultOf, type ShardContext } from './groupCoordinatorRuntime.js';

/** Kafka's classicGroupNewMemberJoinTimeoutMs: a new member that never completes its join is dropped. */
export const CLASSIC_GROUP_NEW_MEMBER_JOIN_TIMEOUT_MS = 300_000;

export type Group = ClassicGroup | ConsumerGroup;
export type HeartbeatAnswer = { readonly errorCode: KafkaErrorCode };
export type LeaveGroupAnswer = Omit<LeaveGroupResponse, 'api' | 'correlationId'>;

const EMPTY_RESULT: CoordinatorResult<null> = { records: [], response: null, replayRecords: false };

/** What the classic protocol needs from the consumer protocol's side of the shard. */
export interface ConsumerGroupConversion {
  /** Deletes an empty consumer group, returning the tombstones that delete its records. */
  deleteEmptyConsumerGroup(group: ConsumerGroup): CoordinatorRecord[];
}

export class ClassicGroupManager {
  constructor(
    private readonly context: ShardContext,
    private readonly config: GroupCoordinatorConfig,
    private readonly groups: Map<string, Group>,
    private readonly conversion: ConsumerGroupConversion,
  ) {}

  private get timer() {
    return this.context.timer;
  }

  /**
   * The classic group `groupId`, created empty when asked to and it does not exist; an empty
   * consumer group is converted. A group that does not exist is UNKNOWN_MEMBER_ID to its would-be
   * members (they reset and join afresh, as with Kafka's "Classic group %s not found"); a consumer
   * group with members is GROUP_ID_NOT_FOUND, or INCONSISTENT_GROUP_PROTOCOL to a JoinGroup (no
   * online migration here).
   */
  private getOrMaybeCreateClassicGroup(groupId: string, createIfNotExists: boolean, records: CoordinatorRecord[]): ClassicGroup | KafkaErrorCode {
    const group = this.groups.get(groupId);
    if (group instanceof ClassicGroup) return group;
    if (group !== undefined && !group.isEmpty) return 'GROUP_ID_NOT_FOUND';
    if (!createIfNotExists) return group === undefined ? 'UNKNOWN_MEMBER_ID' : 'GROUP_ID_NOT_FOUND';
    if (group !== undefined) records.push(...this.conversion.deleteEmptyConsumerGroup(group));
    const created = new ClassicGroup(groupId, 'Empty', 0, null, null, null, this.context.trace);
    this.groups.set(groupId, created);
    this.context.trace({ type: 'group.state', groupId, protocol: 'classic', state: 'Empty', previousState: null, generationId: 0 });
    return created;
  }

  // ---- JoinGroup ----

  join(request: JoinGroupRequest, respond: (answer: JoinGroupAnswer) => void): CoordinatorResult<null> {
    if (request.sessionTimeoutMs < this.config.classicGroupMinSessionTimeoutMs || request.sessionTimeoutMs > this.config.classicGroupMaxSessionTimeoutMs) {
      respond(errorJoinAnswer(request.memberId, 'INVALID_SESSION_TIMEOUT'));
      return EMPTY_RESULT;
    }
    const existing = this.groups.get(request.groupId);
    if (existing !== undefined && !(existing instanceof ClassicGroup) && !existing.isEmpty) {
      respond(errorJoinAnswer(UNKNOWN_MEMBER_ID, 'INCONSISTENT_GROUP_PROTOCOL'));
      return EMPTY_RESULT;
    }
    const isUnknownMember = request.memberId === UNKNOWN_MEMBER_ID;
    const isNewGroup = !this.groups.has(request.groupId);
    const records: CoordinatorRecord[] = [];
    const group = this.getOrMaybeCreateClassicGroup(request.groupId, isUnknownMember, records);
    if (typeof group === 'string') {
      respond(errorJoinAnswer(request.memberId, group));
      return EMPTY_RESULT;
    }
    let result: CoordinatorResult<null>;
    if (!this.acceptJoiningMember(group, request.memberId)) {
      group.remove(request.memberId);
      respond(errorJoinAnswer(UNKNOWN_MEMBER_ID, 'GROUP_MAX_SIZE_REACHED'));
      result = EMPTY_RESULT;
    } else if (group.isInState('Dead')) {
      // The group was just unloaded: the member finds the coordinator again and rejoins there.
      respond(errorJoinAnswer(request.memberId, 'COORDINATOR_NOT_AVAILABLE'));
      result = EMPTY_RESULT;
    } else if (!group.supportsProtocols(request.protocolType, request.protocols)) {
      respond(errorJoinAnswer(request.memberId, 'INCONSISTENT_GROUP_PROTOCOL'));
      result = EMPTY_RESULT;
    } else if (isUnknownMember) {
      result = this.joinNewMember(request, group, respond);
    } else {
      result = this.joinExistingMember(request, group, respond);
    }
    if ((isNewGroup || records.length > 0) && result.records.length === 0) {
      // A new group is written at once, so that it exists in the log as it does in memory.
      return {
        records: [...records, groupMetadataRecord(group, null)],
        response: null,
        replayRecords: false,
        appendCallback: (error) => {
          if (error === null) return;
          if (group.isEmpty && this.groups.get(group.groupId) === group) this.groups.delete(group.groupId);
          respond(errorJoinAnswer(UNKNOWN_MEMBER_ID, error));
        },
      };
    }
    return records.length === 0 ? result : { ...result, records: [...records, ...result.records] };
  }

  /** Kafka's acceptJoiningMember: group.max.size, counted by awaiting members while rebalancing. */
  private acceptJoiningMember(group: ClassicGroup, memberId: string): boolean {
    switch (group.state) {
      case 'Empty':
      case 'Dead':
        return true;
      case 'PreparingRebalance':
        return (group.hasMember(memberId) && group.member(memberId).isAwaitingJoin) || group.awaitingJoinCount < this.config.classicGroupMaxSize;
      case 'CompletingRebalance':
      case 'Stable':
        return group.hasMember(memberId) || group.size < this.config.classicGroupMaxSize;
      default: {
        const unreachable: never = group.state;
        throw new Error(`unknown group state ${String(unreachable)}`);
      }
    }
  }

  private joinNewMember(request: JoinGroupRequest, group: ClassicGroup, respond: (answer: JoinGroupAnswer) => void): CoordinatorResult<null> {
    const newMemberId = `${request.groupInstanceId ?? 'consumer'}-${this.context.randomUuid()}`;
    if (request.groupInstanceId !== null) {
      const existing = group.staticMemberId(request.groupInstanceId);
      if (existing !== null) return this.updateStaticMemberThenRebalanceOrCompleteJoin(request, group, existing, newMemberId, respond);
      return this.addMemberThenRebalanceOrCompleteJoin(request, group, newMemberId, respond);
    }
    // KIP-394: the member must come back with its id; until then it is pending, and expires with
    // its session timeout like any member.
    group.addPendingMember(newMemberId);
    this.timer.schedule(heartbeatKey(group.groupId, newMemberId), request.sessionTimeoutMs, () => this.expireMemberHeartbeat(group, newMemberId));
    respond(errorJoinAnswer(newMemberId, 'MEMBER_ID_REQUIRED'));
    return EMPTY_RESULT;
  }

  private joinExistingMember(request: JoinGroupRequest, group: ClassicGroup, respond: (answer: JoinGroupAnswer) => void): CoordinatorResult<null> {
    const memberId = request.memberId;
    if (group.isPendingMember(memberId)) {
      if (request.groupInstanceId !== null) throw new Error(`JoinGroup with group.instance.id ${request.groupInstanceId} for pending member ${memberId}`);
      return this.addMemberThenRebalanceOrCompleteJoin(request, group, memberId, respond);
    }
    const validation = group.validateMember(memberId, request.groupInstanceId);
    if (validation !== 'NONE') {
      respond(errorJoinAnswer(memberId, validation));
      return EMPTY_RESULT;
    }
    const member = group.member(memberId);
    switch (group.state) {
      case 'PreparingRebalance':
        return this.updateMemberThenRebalanceOrCompleteJoin(request, group, member, respond);
      case 'CompletingRebalance':
        if (!member.matches(request.protocols)) return this.updateMemberThenRebalanceOrCompleteJoin(request, group, member, respond);
        // The same metadata: the member missed its JoinGroup answer; give it the generation again.
        respond(this.joinAnswer(group, memberId, group.isLeader(memberId)));
        return EMPTY_RESULT;
      case 'Stable':
        // The leader's JoinGroup forces a rebalance (it may know of changes the metadata does not
        // show); a follower's only when its metadata changed.
        if (group.isLeader(memberId) || !member.matches(request.protocols)) return this.updateMemberThenRebalanceOrCompleteJoin(request, group, member, respond);
        respond(this.joinAnswer(group, memberId, false));
        return EMPTY_RESULT;
      default:
        // Empty with a member id it does not know: the member resets its generation and rejoins.
        respond(errorJoinAnswer(memberId, 'UNKNOWN_MEMBER_ID'));
        return EMPTY_RESULT;
    }
  }

  private joinAnswer(group: ClassicGroup, memberId: string, withMembers: boolean, skipAssignment = false): JoinGroupAnswer {
    return {
      errorCode: 'NONE',
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leader: group.leaderId ?? '',
      skipAssignment,
      memberId,
      members: withMembers ? group.currentMembersForLeader() : [],
    };
  }

  private addMemberThenRebalanceOrCompleteJoin(request: JoinGroupRequest, group: ClassicGroup, memberId: string, respond: (answer: JoinGroupAnswer) => void): CoordinatorResult<null> {
    const member = new ClassicGroupMember(memberId, request.groupInstanceId, 'consumer', request.rebalanceTimeoutMs, request.sessionTimeoutMs, request.protocolType, request.protocols);
    member.isNew = true;
    // KIP-134: a member arriving during the initial delay may extend it.
    if (group.isInState('PreparingRebalance') && group.previousState === 'Empty') group.newMemberAdded = true;
    group.add(member, respond);
    // A new member cannot heartbeat until it has a generation, and a JoinGroup held in a long
    // rebalance may be retried by its client: new members expire after a fixed timeout instead.
    this.rescheduleHeartbeat(group, member, CLASSIC_GROUP_NEW_MEMBER_JOIN_TIMEOUT_MS);
    return this.maybePrepareRebalanceOrCompleteJoin(group);
  }

  private updateMemberThenRebalanceOrCompleteJoin(request: JoinGroupRequest, group: ClassicGroup, member: ClassicGroupMember, respond: (answer: JoinGroupAnswer) => void): CoordinatorResult<null> {
    group.updateMember(member, request.protocols, request.rebalanceTimeoutMs, request.sessionTimeoutMs, respond);
    return this.maybePrepareRebalanceOrCompleteJoin(group);
  }

  /** KIP-345: a static member rejoined with a new id. */
  private updateStaticMemberThenRebalanceOrCompleteJoin(
    request: JoinGroupRequest,
    group: ClassicGroup,
    oldMemberId: string,
    newMemberId: string,
    respond: (answer: JoinGroupAnswer) => void,
  ): CoordinatorResult<null> {
    const currentLeader = group.leaderId;
    const member = this.replaceStaticMember(group, request.groupInstanceId!, oldMemberId, newMemberId);
    this.timer.cancel(heartbeatKey(group.groupId, oldMemberId));
    this.rescheduleHeartbeat(group, member);
    const previous = { protocols: member.supportedProtocols, rebalanceTimeoutMs: member.rebalanceTimeoutMs, sessionTimeoutMs: member.sessionTimeoutMs };
    group.updateMember(member, request.protocols, request.rebalanceTimeoutMs, request.sessionTimeoutMs, respond);
    switch (group.state) {
      case 'Stable':
        if (group.protocolName === group.selectProtocol()) return this.persistReplacedStaticMember(group, member, oldMemberId, currentLeader, previous, respond);
        return this.maybePrepareRebalanceOrCompleteJoin(group);
      case 'CompletingRebalance':
        // The leader may already have the old member id: the assignment would miss the new one.
        return this.prepareRebalance(group);
      case 'Empty':
      case 'Dead':
        throw new Error(`group ${group.groupId} in state ${group.state} when static member ${request.groupInstanceId} rejoins`);
      default:
        return this.maybeCompleteJoinPhase(group);
    }
  }

  /**
   * A static member replaced in a Stable group without a rebalance: the group is written with the
   * new member id; once committed the member gets the current generation (the leader with
   * skipAssignment, KIP-814), and if the write fails the old id is put back.
   */
  private persistReplacedStaticMember(
    group: ClassicGroup,
    member: ClassicGroupMember,
    oldMemberId: string,
    currentLeader: string | null,
    previous: { protocols: ClassicGroupMember['supportedProtocols']; rebalanceTimeoutMs: number; sessionTimeoutMs: number },
    respond: (answer: JoinGroupAnswer) => void,
  ): CoordinatorResult<null> {
    const newMemberId = member.memberId;
    const instanceId = member.groupInstanceId!;
    return {
      records: [groupMetadataRecord(group, this.currentAssignment(group))],
      response: null,
      replayRecords: false,
      appendCallback: (error) => {
        if (error !== null) {
          group.updateMember(member, previous.protocols, previous.rebalanceTimeoutMs, previous.sessionTimeoutMs, null);
          const restored = this.replaceStaticMember(group, instanceId, newMemberId, oldMemberId);
          this.timer.cancel(heartbeatKey(group.groupId, newMemberId));
          this.rescheduleHeartbeat(group, restored);
          respond({ ...errorJoinAnswer(UNKNOWN_MEMBER_ID, error), generationId: group.generationId, protocolType: group.protocolType, protocolName: group.protocolName, leader: currentLeader ?? '' });
          return;
        }
        const isLeader = group.isLeader(newMemberId);
        group.completeJoin(member, this.joinAnswer(group, newMemberId, isLeader, isLeader));
      },
    };
  }

  /**
   * The instance id now belongs to another member id, traced as the consumer protocol traces it: from
   * here the coordinator accepts the new id in the current generation and fences the old one
   * (FENCED_INSTANCE_ID), so an observer must know which id is the member.
   */
  private replaceStaticMember(group: ClassicGroup, instanceId: string, oldMemberId: string, newMemberId: string): ClassicGroupMember {
    const member = group.replaceStaticMember(instanceId, oldMemberId, newMemberId);
    this.context.trace({ type: 'group.member-replaced', groupId: group.groupId, instanceId, memberId: oldMemberId, newMemberId });
    return member;
  }

  private maybePrepareRebalanceOrCompleteJoin(group: ClassicGroup): CoordinatorResult<null> {
    return group.canRebalance ? this.prepareRebalance(group) : this.maybeCompleteJoinPhase(group);
  }

  /** Completes the join phase when everyone has joined, except during a new group's initial delay. */
  private maybeCompleteJoinPhase(group: ClassicGroup): CoordinatorResult<null> {
    if (group.isInState('PreparingRebalance') && group.hasAllMembersJoined && group.previousState !== 'Empty') return this.completeJoin(group);
    return EMPTY_RESULT;
  }

  prepareRebalance(group: ClassicGroup): CoordinatorResult<null> {
    // Members waiting for their SyncGroup answer must rejoin.
    if (group.isInState('CompletingRebalance')) this.resetAndPropagateAssignmentWithError(group, 'REBALANCE_IN_PROGRESS');
    group.clearPendingSyncMembers();
    this.timer.cancel(syncKey(group.groupId));
    const isInitialRebalance = group.isInState('Empty');
    if (isInitialRebalance) {
      // KIP-134: a new group waits group.initial.rebalance.delay.ms for more members, extended by
      // that much while they keep coming, up to the rebalance timeout.
      const delayMs = this.config.classicGroupInitialRebalanceDelayMs;
      const remainingMs = Math.max(group.rebalanceTimeoutMs - delayMs, 0);
      this.timer.schedule(joinKey(group.groupId), delayMs, () => this.tryCompleteInitialRebalanceElseSchedule(group, delayMs, remainingMs));
    }
    group.transitionTo('PreparingRebalance');
    return isInitialRebalance ? EMPTY_RESULT : this.maybeCompleteJoinElseSchedule(group);
  }

  private maybeCompleteJoinElseSchedule(group: ClassicGroup): CoordinatorResult<null> {
    if (group.hasAllMembersJoined) return this.completeJoin(group);
    this.timer.schedule(joinKey(group.groupId), group.rebalanceTimeoutMs, () => this.completeJoin(group));
    return EMPTY_RESULT;
  }

  private tryCompleteInitialRebalanceElseSchedule(group: ClassicGroup, delayMs: number, remainingMs: number): CoordinatorResult<null> {
    if (group.newMemberAdded && remainingMs !== 0) {
      group.newMemberAdded = false;
      const newDelayMs = Math.min(this.config.classicGroupInitialRebalanceDelayMs, remainingMs);
      const newRemainingMs = Math.max(remainingMs - delayMs, 0);
      this.timer.schedule(joinKey(group.groupId), newDelayMs, () => this.tryCompleteInitialRebalanceElseSchedule(group, newDelayMs, newRemainingMs));
      return EMPTY_RESULT;
    }
    return this.completeJoin(group);
  }

  /**
   * Ends the join phase: dynamic members that did not rejoin are removed, and a new generation
   * begins — Empty (written to the log), or CompletingRebalance with every member answered.
   */
  private completeJoin(group: ClassicGroup): CoordinatorResult<null> {
    this.timer.cancel(joinKey(group.groupId));
    for (const member of group.notYetRejoinedMembers()) {
      if (member.isStaticMember) continue;
      group.remove(member.memberId);
      this.timer.cancel(heartbeatKey(group.groupId, member.memberId));
    }
    if (group.isInState('Dead')) return EMPTY_RESULT;
    if (!group.maybeElectNewJoinedLeader() && !group.isEmpty) {
      // Nobody rejoined: wait another rebalance timeout, until session timeouts clear them out.
      this.timer.schedule(joinKey(group.groupId), group.rebalanceTimeoutMs, () => this.completeJoin(group));
      return EMPTY_RESULT;
    }
    group.initNextGeneration();
    if (group.isInState('Empty')) {
      return { records: [groupMetadataRecord(group, new Map())], response: null, replayRecords: false };
    }
    for (const member of group.allMembers()) {
      group.completeJoin(member, this.joinAnswer(group, member.memberId, group.isLeader(member.memberId)));
      this.rescheduleHeartbeat(group, member);
      member.isNew = false;
      group.addPendingSyncMember(member.memberId);
    }
    const generationId = group.generationId;
    this.timer.schedule(syncKey(group.groupId), group.rebalanceTimeoutMs, () => this.expirePendingSync(group, generationId));
    return EMPTY_RESULT;
  }

  /** Members of a generation that never sent SyncGroup are removed, and the group rebalances. */
  private expirePendingSync(group: ClassicGroup, generationId: number): CoordinatorResult<null> {
    if (generationId !== group.generationId) return EMPTY_RESULT;
    if (!group.isInState('CompletingRebalance') && !group.isInState('Stable')) return EMPTY_RESULT;
    if (group.hasReceivedSyncFromAllMembers) return EMPTY_RESULT;
    for (const memberId of group.pendingSyncMemberIds()) {
      group.remove(memberId);
      this.timer.cancel(heartbeatKey(group.groupId, memberId));
    }
    return this.prepareRebalance(group);
  }

  // ---- Session timeouts ----

  rescheduleHeartbeat(group: ClassicGroup, member: ClassicGroupMember, timeoutMs = member.sessionTimeoutMs): void {
    const memberId = member.memberId;
    this.timer.schedule(heartbeatKey(group.groupId, memberId), timeoutMs, () => this.expireMemberHeartbeat(group, memberId));
  }

  private expireMemberHeartbeat(group: ClassicGroup, memberId: string): CoordinatorResult<null> {
    if (group.isInState('Dead')) return EMPTY_RESULT;
    if (group.isPendingMember(memberId)) {
      group.remove(memberId);
      return group.isInState('PreparingRebalance') && group.hasAllMembersJoined ? this.completeJoin(group) : EMPTY_RESULT;
    }
    if (!group.hasMember(memberId)) return EMPTY_RESULT;
    const member = group.member(memberId);
    if (member.hasSatisfiedHeartbeat) return EMPTY_RESULT;
    this.context.trace({ type: 'group.member-expired', groupId: group.groupId, protocol: 'classic', memberId, generationId: group.generationId });
    return this.removeMemberAndUpdateGroup(group, member);
  }

  private removeMemberAndUpdateGroup(group: ClassicGroup, member: ClassicGroupMember): CoordinatorResult<null> {
    // A member removed while its JoinGroup is held is told to rejoin with a fresh id.
    group.completeJoin(member, errorJoinAnswer(UNKNOWN_MEMBER_ID, 'UNKNOWN_MEMBER_ID'));
    group.remove(member.memberId);
    if (group.isInState('Stable') || group.isInState('CompletingRebalance')) return this.maybePrepareRebalanceOrCompleteJoin(group);
    if (group.isInState('PreparingRebalance') && group.hasAllMembersJoined) return this.completeJoin(group);
    return EMPTY_RESULT;
  }

  // ---- SyncGroup ----

  sync(request: SyncGroupRequest, respond: (answer: SyncGroupAnswer) => void): CoordinatorResult<null> {
    const group = this.getOrMaybeCreateClassicGroup(request.groupId, false, []);
    if (typeof group === 'string') {
      respond(syncError(group));
      return EMPTY_RESULT;
    }
    const validation = this.validateSyncGroup(group, request);
    if (validation !== 'NONE') {
      respond(syncError(validation));
      return EMPTY_RESULT;
    }
    switch (group.state) {
      case 'Empty':
        respond(syncError('UNKNOWN_MEMBER_ID'));
        return EMPTY_RESULT;
      case 'PreparingRebalance':
        respond(syncError('REBALANCE_IN_PROGRESS'));
        return EMPTY_RESULT;
      case 'CompletingRebalance': {
        group.member(request.memberId).awaitingSync = respond;
        this.removePendingSyncMember(group, request.memberId);
        if (!group.isLeader(request.memberId)) return EMPTY_RESULT;
        return this.storeLeaderAssignment(group, request);
      }
      case 'Stable':
        this.removePendingSyncMember(group, request.memberId);
        respond({ errorCode: 'NONE', protocolType: group.protocolType, protocolName: group.protocolName, assignment: group.member(request.memberId).assignment });
        return EMPTY_RESULT;
      case 'Dead':
        throw new Error(`SyncGroup reached dead group ${group.groupId}`);
      default: {
        const unreachable: never = group.state;
        throw new Error(`unknown group state ${String(unreachable)}`);
      }
    }
  }

  /**
   * The leader's assignment: written with the group; once committed, every member's SyncGroup is
   * answered and the group is Stable. A member missing from it gets an empty assignment.
   */
  private storeLeaderAssignment(group: ClassicGroup, request: SyncGroupRequest): CoordinatorResult<null> {
    const assignment = new Map<string, ConsumerProtocolAssignment>(request.assignments.map((entry) => [entry.memberId, entry.assignment]));
    for (const member of group.allMembers()) if (!assignment.has(member.memberId)) assignment.set(member.memberId, EMPTY_ASSIGNMENT);
    return {
      records: [groupMetadataRecord(group, assignment)],
      response: null,
      replayRecords: false,
      appendCallback: (error) => {
        // Another member may have joined meanwhile: only the same generation, still completing, goes on.
        if (!group.isInState('CompletingRebalance') || request.generationId !== group.generationId) return;
        if (error !== null) {
          this.resetAndPropagateAssignmentWithError(group, error);
          this.maybePrepareRebalanceOrCompleteJoin(group);
          return;
        }
        for (const member of group.allMembers()) member.assignment = assignment.get(member.memberId) ?? EMPTY_ASSIGNMENT;
        this.propagateAssignment(group, 'NONE');
        group.transitionTo('Stable');
        this.traceAssignment(group);
      },
    };
  }

  private traceAssignment(group: ClassicGroup): void {
    this.context.trace({
      type: 'group.assignment',
      groupId: group.groupId,
      protocol: 'classic',
      generationId: group.generationId,
      assignment: Object.fromEntries(group.allMembers().map((member) => [member.memberId, member.assignment.assignedPartitions])),
    });
  }

  private validateSyncGroup(group: ClassicGroup, request: SyncGroupRequest): KafkaErrorCode {
    if (group.isInState('Dead')) return 'COORDINATOR_NOT_AVAILABLE';
    const validation = group.validateMember(request.memberId, request.groupInstanceId);
    if (validation !== 'NONE') return validation;
    if (request.generationId !== group.generationId) return 'ILLEGAL_GENERATION';
    if (isProtocolInconsistent(request.protocolType, group.protocolType) || isProtocolInconsistent(request.protocolName, group.protocolName)) return 'INCONSISTENT_GROUP_PROTOCOL';
    return 'NONE';
  }

  private removePendingSyncMember(group: ClassicGroup, memberId: string): void {
    group.removePendingSyncMember(memberId);
    if (group.hasReceivedSyncFromAllMembers || !(group.isInState('CompletingRebalance') || group.isInState('Stable'))) this.timer.cancel(syncKey(group.groupId));
  }

  private resetAndPropagateAssignmentWithError(group: ClassicGroup, error: KafkaErrorCode): void {
    if (!group.isInState('CompletingRebalance')) throw new Error(`group ${group.groupId} must be in CompletingRebalance but is in ${group.state}`);
    for (const member of group.allMembers()) member.assignment = EMPTY_ASSIGNMENT;
    this.propagateAssignment(group, error);
  }

  private propagateAssignment(group: ClassicGroup, error: KafkaErrorCode): void {
    for (const member of group.allMembers()) {
      const answered = group.completeSync(member, {
        errorCode: error,
        protocolType: error === 'NONE' ? group.protocolType : null,
        protocolName: error === 'NONE' ? group.protocolName : null,
        assignment: member.assignment,
      });
      // A session that expired while the member waited for its answer was ignored: restart it.
      if (answered) this.rescheduleHeartbeat(group, member);
    }
  }

  // ---- Heartbeat ----

  heartbeat(request: HeartbeatRequest): CoordinatorResult<HeartbeatAnswer> {
    const group = this.getOrMaybeCreateClassicGroup(request.groupId, false, []);
    if (typeof group === 'string') return resultOf({ errorCode: group });
    if (group.isInState('Dead')) return resultOf({ errorCode: 'COORDINATOR_NOT_AVAILABLE' });
    const validation = group.validateMember(request.memberId, request.groupInstanceId);
    if (validation !== 'NONE') return resultOf({ errorCode: validation });
    if (request.generationId !== group.generationId) return resultOf({ errorCode: 'ILLEGAL_GENERATION' });
    switch (group.state) {
      case 'Empty':
        return resultOf({ errorCode: 'UNKNOWN_MEMBER_ID' });
      case 'PreparingRebalance':
        this.rescheduleHeartbeat(group, group.member(request.memberId));
        return resultOf({ errorCode: 'REBALANCE_IN_PROGRESS' });
      case 'CompletingRebalance':
      case 'Stable':
        // A member may heartbeat between its JoinGroup and SyncGroup answers: a normal heartbeat.
        this.rescheduleHeartbeat(group, group.member(request.memberId));
        return resultOf({ errorCode: 'NONE' });
      default:
        throw new Error(`heartbeat reached group ${group.groupId} in state ${group.state}`);
    }
  }

  // ---- LeaveGroup ----

  leave(request: LeaveGroupRequest): CoordinatorResult<LeaveGroupAnswer> {
    const group = this.getOrMaybeCreateClassicGroup(request.groupId, false, []);
    if (typeof group === 'string') return resultOf({ errorCode: group, members: [] });
    if (group.isInState('Dead')) return resultOf({ errorCode: 'COORDINATOR_NOT_AVAILABLE', members: [] });
    const members = request.members.map((identity) => {
      const answer = (errorCode: KafkaErrorCode) => ({ memberId: identity.memberId, groupInstanceId: identity.groupInstanceId, errorCode });
      if (identity.memberId === UNKNOWN_MEMBER_ID) {
        // An administrator removes a static member by its instance id alone.
        const memberId = identity.groupInstanceId === null ? null : group.staticMemberId(identity.groupInstanceId);
        if (memberId === null) return answer('UNKNOWN_MEMBER_ID');
        this.removeCurrentMember(group, memberId);
        return answer('NONE');
      }
      if (group.isPendingMember(identity.memberId)) {
        group.remove(identity.memberId);
        this.timer.cancel(heartbeatKey(group.groupId, identity.memberId));
        return answer('NONE');
      }
      const validation = group.validateMember(identity.memberId, identity.groupInstanceId);
      if (validation !== 'NONE') return answer(validation);
      this.removeCurrentMember(group, identity.memberId);
      return answer('NONE');
    });
    let result: CoordinatorResult<null> = EMPTY_RESULT;
    if (members.some((member) => member.errorCode === 'NONE')) {
      if (group.isInState('Stable') || group.isInState('CompletingRebalance')) result = this.maybePrepareRebalanceOrCompleteJoin(group);
      else if (group.isInState('PreparingRebalance')) result = this.maybeCompleteJoinPhase(group);
    }
    return { records: result.records, response: { errorCode: 'NONE', members }, replayRecords: false };
  }

  private removeCurrentMember(group: ClassicGroup, memberId: string): void {
    const member = group.member(memberId);
    this.timer.cancel(heartbeatKey(group.groupId, memberId));
    this.context.trace({ type: 'group.member-left', groupId: group.groupId, protocol: 'classic', memberId, generationId: group.generationId });
    group.completeJoin(member, errorJoinAnswer(UNKNOWN_MEMBER_ID, 'UNKNOWN_MEMBER_ID'));
    group.remove(memberId);
  }

  // ---- Offsets ----

  /**
   * Kafka's ClassicGroup.validateOffsetCommit. A transactional commit (TxnOffsetCommit) without
   * member id and generation is accepted from a non-empty group (older producers sent none), and
   * is accepted while the group completes a rebalance: its generation was checked already.
   */
  validateOffsetCommit(group: ClassicGroup, memberId: string, groupInstanceId: string | null, generationId: number, isTransactional = false): KafkaErrorCode {
    if (group.isInState('Dead')) return 'COORDINATOR_NOT_AVAILABLE';
    // Generation -1: an admin client or a consumer using assign(); allowed while the group is empty.
    if (generationId < 0 && group.isInState('Empty')) return 'NONE';
    // The legacy switch: an OffsetCommit's member and generation go unchecked (LegacySwitches.commitWithoutGeneration).
    if (this.config.commitWithoutGeneration && !isTransactional) return 'NONE';
    if (generationId >= 0 || memberId !== UNKNOWN_MEMBER_ID || groupInstanceId !== null) {
      const validation = group.validateMember(memberId, groupInstanceId);
      if (validation !== 'NONE') return validation;
      if (generationId !== group.generationId) return 'ILLEGAL_GENERATION';
    } else if (!isTransactional && !group.isInState('Empty')) {
      return 'UNKNOWN_MEMBER_ID';
    }
    // The member has the new generation from its JoinGroup but not yet its assignment.
    if (!isTransactional && group.isInState('CompletingRebalance')) return 'REBALANCE_IN_PROGRESS';
    return 'NONE';
  }

  // ---- Loading and unloading ----

  /** Replays a GroupMetadata record: the group as it was written, Empty or Stable. */
  replayGroupMetadata(groupId: string, value: GroupMetadataValue | null): void {
    if (value === null) {
      this.groups.delete(groupId);
      return;
    }
    const group = new ClassicGroup(groupId, value.members.length === 0 ? 'Empty' : 'Stable', value.generation, value.protocolType, value.protocol, value.leader, this.context.trace);
    for (const member of value.members) {
      const protocols = value.protocol === null ? [] : [{ name: value.protocol, metadata: member.subscription }];
      group.add(new ClassicGroupMember(member.memberId, member.groupInstanceId, member.clientId, member.rebalanceTimeoutMs, member.sessionTimeoutMs, value.protocolType ?? '', protocols, member.assignment), null);
    }
    this.groups.set(groupId, group);
  }

  /** Loading finished: every member's session starts now; a group over group.max.size rebalances. */
  onLoaded(group: ClassicGroup): void {
    this.context.trace({ type: 'group.state', groupId: group.groupId, protocol: 'classic', state: group.state, previousState: null, generationId: group.generationId, loaded: true });
    if (group.isInState('Stable')) this.traceAssignment(group);
    for (const member of group.allMembers()) this.rescheduleHeartbeat(group, member);
    // Records cannot be written while loading; a rebalance that ends at once writes nothing here either.
    if (group.size > this.config.classicGroupMaxSize) this.prepareRebalance(group);
  }

  /** The group is unloaded: Dead, and every held answer is told NOT_COORDINATOR. */
  onUnloaded(group: ClassicGroup): void {
    group.transitionTo('Dead');
    switch (group.previousState) {
      case 'PreparingRebalance':
        for (const member of group.allMembers()) group.completeJoin(member, errorJoinAnswer(member.memberId, 'NOT_COORDINATOR'));
        return;
      case 'CompletingRebalance':
      case 'Stable':
        for (const member of group.allMembers()) group.completeSync(member, syncError('NOT_COORDINATOR'));
        return;
      default:
        return;
    }
  }

  private currentAssignment(group: ClassicGroup): Map<string, ConsumerProtocolAssignment> {
    return new Map(group.allMembers().map((member) => [member.memberId, member.assignment]));
  }
}

/** The GroupMetadata record of a classic group; `assignment` null for a group written without one. */
function groupMetadataRecord(group: ClassicGroup, assignment: ReadonlyMap<string, ConsumerProtocolAssignment> | null): CoordinatorRecord {
  const protocolName = group.protocolName;
  return {
    type: 'GroupMetadata',
    key: { groupId: group.groupId },
    value: {
      protocolType: group.protocolType,
      generation: group.generationId,
      protocol: protocolName,
      leader: group.leaderId,
      currentStateTimestampMs: -1,
      members:
        assignment === null || protocolName === null
          ? []
          : group.allMembers().map((member) => ({
              memberId: member.memberId,
              groupInstanceId: member.groupInstanceId,
              clientId: member.clientId,
              rebalanceTimeoutMs: member.rebalanceTimeoutMs,
              sessionTimeoutMs: member.sessionTimeoutMs,
              subscription: member.metadata(protocolName),
              assignment: assignment.get(member.memberId) ?? EMPTY_ASSIGNMENT,
            })),
    },
  };
}

function syncError(errorCode: KafkaErrorCode): SyncGroupAnswer {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY_ASSIGNMENT };
}

function isProtocolInconsistent(requested: string | null, current: string | null): boolean {
  return requested !== null && current !== null && requested !== current;
}

function heartbeatKey(groupId: string, memberId: string): string {
  return `heartbeat/${groupId}/${memberId}`;
}

function joinKey(groupId: string): string {
  return `join/${groupId}`;
}

function syncKey(groupId: string): string {
  return `sync/${groupId}`;
}
