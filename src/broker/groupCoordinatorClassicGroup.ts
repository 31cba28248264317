/**
 * A group of the classic protocol (Kafka's ClassicGroup and ClassicGroupMember): members that
 * join, a leader that computes the assignment, generations, and the members' pending JoinGroup and
 * SyncGroup answers. The rules that drive it are in groupCoordinatorClassicManager.ts; this file
 * holds the state and its invariants.
 *
 * States and their legal previous states (an illegal transition throws, as Kafka's does):
 *
 * | state               | entered from                                  | meaning                                         |
 * |---------------------|-----------------------------------------------|-------------------------------------------------|
 * | Empty               | PreparingRebalance                            | no members; offsets may remain                  |
 * | PreparingRebalance  | Empty, CompletingRebalance, Stable            | waiting for every member to (re)join            |
 * | CompletingRebalance | PreparingRebalance                            | a new generation: waiting for the leader's SyncGroup |
 * | Stable              | CompletingRebalance                           | the assignment is committed and handed out      |
 * | Dead                | any                                           | unloaded: another coordinator owns the group now |
 *
 * Invariants: every static member's instance id maps to exactly one member id; the leader is a
 * member (or null when there is none); `awaitingJoinCount` counts the members holding a JoinGroup
 * answer; a pending member (KIP-394: given an id, not yet joined with it) is not a member.
 *
 * Left out: client hosts, DescribeGroups and ListGroups, and the metrics Kafka keeps.
 */
import type { TraceEvent } from '../host.js';
import type { ConsumerProtocolAssignment, ConsumerProtocolSubscription, JoinGroupResponse, SyncGroupResponse } from '../protocol/apis.js';
import type { KafkaErrorCode } from '../protocol/errors.js';
import { compareStrings } from '../util/compare.js';

export type ClassicGroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

const VALID_PREVIOUS_STATES: Readonly<Record<ClassicGroupState, readonly ClassicGroupState[]>> = {
  Empty: ['PreparingRebalance'],
  PreparingRebalance: ['Empty', 'CompletingRebalance', 'Stable'],
  CompletingRebalance: ['PreparingRebalance'],
  Stable: ['CompletingRebalance'],
  Dead: ['Empty', 'PreparingRebalance', 'CompletingRebalance', 'Stable', 'Dead'],
};

export type JoinGroupAnswer = Omit<JoinGroupResponse, 'api' | 'correlationId'>;
export type SyncGroupAnswer = Omit<SyncGroupResponse, 'api' | 'correlationId'>;

export const EMPTY_ASSIGNMENT: ConsumerProtocolAssignment = { assignedPartitions: [], userData: null };

export interface MemberProtocol {
  readonly name: string;
  readonly metadata: ConsumerProtocolSubscription;
}

export class ClassicGroupMember {
  assignment: ConsumerProtocolAssignment;
  /** The member's held JoinGroup, answered when the join phase completes. */
  awaitingJoin: ((answer: JoinGroupAnswer) => void) | null = null;
  /** The member's held SyncGroup, answered when the leader's assignment is committed. */
  awaitingSync: ((answer: SyncGroupAnswer) => void) | null = null;
  /** A member added in the current join phase, not yet given a generation. */
  isNew = false;

  constructor(
    readonly memberId: string,
    readonly groupInstanceId: string | null,
    readonly clientId: string,
    public rebalanceTimeoutMs: number,
    public sessionTimeoutMs: number,
    readonly protocolType: string,
    public supportedProtocols: readonly MemberProtocol[],
    assignment: ConsumerProtocolAssignment = EMPTY_ASSIGNMENT,
  ) {
    this.assignment = assignment;
  }

  get isStaticMember(): boolean {
    return this.groupInstanceId !== null;
  }

  get isAwaitingJoin(): boolean {
    return this.awaitingJoin !== null;
  }

  get isAwaitingSync(): boolean {
    return this.awaitingSync !== null;
  }

  /** Kafka's hasSatisfiedHeartbeat: a member waiting in a rebalance needs no heartbeat; a new one always expires. */
  get hasSatisfiedHeartbeat(): boolean {
    if (this.isNew) return false;
    return this.isAwaitingJoin || this.isAwaitingSync;
  }

  /** The subscription the member gave for `protocolName`. */
  metadata(protocolName: string): ConsumerProtocolSubscription {
    const protocol = this.supportedProtocols.find((candidate) => candidate.name === protocolName);
    if (protocol === undefined) throw new Error(`member ${this.memberId} does not support protocol ${protocolName}`);
    return protocol.metadata;
  }

  /** Whether a JoinGroup's protocols are exactly what this member already gave (names and metadata). */
  matches(protocols: readonly MemberProtocol[]): boolean {
    return JSON.stringify(protocols) === JSON.stringify(this.supportedProtocols);
  }
}

export class ClassicGroup {
  private stateValue: ClassicGroupState;
  private previousStateValue: ClassicGroupState | null = null;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leaderId: string | null;
  /** KIP-134: a member joined during the initial delay, which may extend it. */
  newMemberAdded = false;
  /** In the order they joined: the first remaining member becomes leader when the leader leaves. */
  private readonly membersById = new Map<string, ClassicGroupMember>();
  /** KIP-394: member ids handed out with MEMBER_ID_REQUIRED, not yet used to join. */
  private readonly pendingMembers = new Set<string>();
  /** Members of the current generation that have not sent SyncGroup yet. */
  private readonly pendingSyncMembers = new Set<string>();
  /** group.instance.id → member id (KIP-345). */
  private readonly staticMembers = new Map<string, string>();
  /** How many members support each protocol name. */
  private readonly supportedProtocolCounts = new Map<string, number>();
  private awaitingJoinCountValue = 0;

  constructor(
    readonly groupId: string,
    state: ClassicGroupState,
    generationId: number,
    protocolType: string | null,
    protocolName: string | null,
    leaderId: string | null,
    private readonly trace: (event: TraceEvent) => void,
  ) {
    this.stateValue = state;
    this.generationId = generationId;
    this.protocolType = protocolType;
    this.protocolName = protocolName;
    this.leaderId = leaderId;
  }

  get state(): ClassicGroupState {
    return this.stateValue;
  }

  get previousState(): ClassicGroupState | null {
    return this.previousStateValue;
  }

  isInState(state: ClassicGroupState): boolean {
    return this.stateValue === state;
  }

  transitionTo(state: ClassicGroupState): void {
    if (!VALID_PREVIOUS_STATES[state].includes(this.stateValue)) {
      throw new Error(`group ${this.groupId}: illegal transition from ${this.stateValue} to ${state}`);
    }
    this.previousStateValue = this.stateValue;
    this.stateValue = state;
    this.trace({ type: 'group.state', groupId: this.groupId, protocol: 'classic', state, previousState: this.previousStateValue, generationId: this.generationId });
  }

  /** Kafka's canRebalance: PreparingRebalance may be entered from here. */
  get canRebalance(): boolean {
    return VALID_PREVIOUS_STATES.PreparingRebalance.includes(this.stateValue);
  }

  // ---- Members ----

  get size(): number {
    return this.membersById.size;
  }

  get isEmpty(): boolean {
    return this.membersById.size === 0;
  }

  allMembers(): ClassicGroupMember[] {
    return [...this.membersById.values()];
  }

  hasMember(memberId: string): boolean {
    return this.membersById.has(memberId);
  }

  member(memberId: string): ClassicGroupMember {
    const member = this.membersById.get(memberId);
    if (member === undefined) throw new Error(`group ${this.groupId}: no member ${memberId}`);
    return member;
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  staticMemberId(groupInstanceId: string): string | null {
    return this.staticMembers.get(groupInstanceId) ?? null;
  }

  hasStaticMember(groupInstanceId: string): boolean {
    return this.staticMembers.has(groupInstanceId);
  }

  get awaitingJoinCount(): number {
    return this.awaitingJoinCountValue;
  }

  add(member: ClassicGroupMember, awaitingJoin: ((answer: JoinGroupAnswer) => void) | null): void {
    if (this.membersById.size === 0) this.protocolType = member.protocolType;
    if (this.leaderId === null) this.leaderId = member.memberId;
    this.membersById.set(member.memberId, member);
    this.countProtocols(member.supportedProtocols, 1);
    if (awaitingJoin !== null) {
      member.awaitingJoin = awaitingJoin;
      this.awaitingJoinCountValue++;
    }
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId);
    this.pendingMembers.delete(member.memberId);
  }

  remove(memberId: string): void {
    const member = this.membersById.get(memberId);
    if (member !== undefined) {
      this.membersById.delete(memberId);
      this.countProtocols(member.supportedProtocols, -1);
      if (member.isAwaitingJoin) this.awaitingJoinCountValue--;
      if (member.groupInstanceId !== null) this.staticMembers.delete(member.groupInstanceId);
      if (this.isLeader(memberId)) this.leaderId = this.membersById.keys().next().value ?? null;
    }
    this.pendingMembers.delete(memberId);
    this.pendingSyncMembers.delete(memberId);
  }

  /** A rejoin: new protocols and timeouts, and its JoinGroup held (or no longer held, for null). */
  updateMember(member: ClassicGroupMember, protocols: readonly MemberProtocol[], rebalanceTimeoutMs: number, sessionTimeoutMs: number, awaitingJoin: ((answer: JoinGroupAnswer) => void) | null): void {
    this.countProtocols(member.supportedProtocols, -1);
    this.countProtocols(protocols, 1);
    member.supportedProtocols = protocols;
    member.rebalanceTimeoutMs = rebalanceTimeoutMs;
    member.sessionTimeoutMs = sessionTimeoutMs;
    if (awaitingJoin !== null && !member.isAwaitingJoin) this.awaitingJoinCountValue++;
    if (awaitingJoin === null && member.isAwaitingJoin) this.awaitingJoinCountValue--;
    member.awaitingJoin = awaitingJoin;
  }

  /**
   * KIP-345: a static member rejoined with a new member id. The old id is fenced at once: a JoinGroup
   * or SyncGroup it still holds is answered FENCED_INSTANCE_ID. The new member keeps the old one's
   * protocols, timeouts and assignment, and its leadership.
   */
  replaceStaticMember(groupInstanceId: string, oldMemberId: string, newMemberId: string): ClassicGroupMember {
    const old = this.member(oldMemberId);
    this.membersById.delete(oldMemberId);
    this.completeJoin(old, { ...errorJoinAnswer(oldMemberId, 'FENCED_INSTANCE_ID'), leader: '' });
    this.completeSync(old, { errorCode: 'FENCED_INSTANCE_ID', protocolType: null, protocolName: null, assignment: EMPTY_ASSIGNMENT });
    const replacement = new ClassicGroupMember(newMemberId, old.groupInstanceId, old.clientId, old.rebalanceTimeoutMs, old.sessionTimeoutMs, old.protocolType, old.supportedProtocols, old.assignment);
    this.membersById.set(newMemberId, replacement);
    if (this.isLeader(oldMemberId)) this.leaderId = newMemberId;
    this.staticMembers.set(groupInstanceId, newMemberId);
    return replacement;
  }

  /** Kafka's validateMember: a static member must be its instance's current member id. */
  validateMember(memberId: string, groupInstanceId: string | null): KafkaErrorCode {
    if (groupInstanceId !== null) {
      const existing = this.staticMemberId(groupInstanceId);
      if (existing === null) return 'UNKNOWN_MEMBER_ID';
      return existing === memberId ? 'NONE' : 'FENCED_INSTANCE_ID';
    }
    return this.hasMember(memberId) ? 'NONE' : 'UNKNOWN_MEMBER_ID';
  }

  // ---- Pending members (KIP-394) and pending syncs ----

  addPendingMember(memberId: string): void {
    this.pendingMembers.add(memberId);
  }

  isPendingMember(memberId: string): boolean {
    return this.pendingMembers.has(memberId);
  }

  addPendingSyncMember(memberId: string): void {
    this.pendingSyncMembers.add(memberId);
  }

  removePendingSyncMember(memberId: string): void {
    this.pendingSyncMembers.delete(memberId);
  }

  clearPendingSyncMembers(): void {
    this.pendingSyncMembers.clear();
  }

  pendingSyncMemberIds(): string[] {
    return [...this.pendingSyncMembers];
  }

  get hasReceivedSyncFromAllMembers(): boolean {
    return this.pendingSyncMembers.size === 0;
  }

  /** Every member has rejoined, and no member id handed out is still unused. */
  get hasAllMembersJoined(): boolean {
    return this.membersById.size === this.awaitingJoinCountValue && this.pendingMembers.size === 0;
  }

  notYetRejoinedMembers(): ClassicGroupMember[] {
    return this.allMembers().filter((member) => !member.isAwaitingJoin);
  }

  // ---- Answers ----

  completeJoin(member: ClassicGroupMember, answer: JoinGroupAnswer): boolean {
    const awaiting = member.awaitingJoin;
    if (awaiting === null) return false;
    member.awaitingJoin = null;
    this.awaitingJoinCountValue--;
    awaiting(answer);
    return true;
  }

  completeSync(member: ClassicGroupMember, answer: SyncGroupAnswer): boolean {
    const awaiting = member.awaitingSync;
    if (awaiting === null) return false;
    member.awaitingSync = null;
    awaiting(answer);
    return true;
  }

  // ---- Generations and protocols ----

  /** The largest rebalance timeout of the members: how long a join phase may wait. */
  get rebalanceTimeoutMs(): number {
    return this.allMembers().reduce((max, member) => Math.max(max, member.rebalanceTimeoutMs), 0);
  }

  /**
   * Kafka's maybeElectNewJoinedLeader: a leader that has not rejoined is replaced by a member that
   * has. False when no member rejoined.
   */
  maybeElectNewJoinedLeader(): boolean {
    if (this.leaderId === null) return false;
    if (this.member(this.leaderId).isAwaitingJoin) return true;
    const joined = this.allMembers().find((member) => member.isAwaitingJoin);
    if (joined === undefined) return false;
    this.leaderId = joined.memberId;
    return true;
  }

  /** A new generation: CompletingRebalance with the chosen protocol, or Empty when no member is left. */
  initNextGeneration(): void {
    this.generationId++;
    if (this.membersById.size > 0) {
      this.protocolName = this.selectProtocol();
      this.transitionTo('CompletingRebalance');
    } else {
      this.protocolName = null;
      this.transitionTo('Empty');
    }
    this.clearPendingSyncMembers();
    this.trace({
      type: 'group.generation',
      groupId: this.groupId,
      protocol: 'classic',
      generationId: this.generationId,
      protocolName: this.protocolName,
      leader: this.leaderId,
      members: this.allMembers().map((member) => ({ memberId: member.memberId, groupInstanceId: member.groupInstanceId })),
    });
  }

  /**
   * Kafka's selectProtocol: among the protocols every member supports, each member votes for its
   * most preferred; the most votes wins. Ties go to the name first in order (Kafka's tie falls to a
   * hash map's iteration order, which a deterministic simulation must not copy).
   */
  selectProtocol(): string {
    const candidates = this.candidateProtocols();
    if (candidates.length === 0) throw new Error(`group ${this.groupId}: no protocol supported by every member`);
    const votes = new Map<string, number>(candidates.map((name) => [name, 0]));
    for (const member of this.membersById.values()) {
      const choice = member.supportedProtocols.find((protocol) => candidates.includes(protocol.name))!.name;
      votes.set(choice, votes.get(choice)! + 1);
    }
    return [...votes.entries()].sort(([a, x], [b, y]) => y - x || compareStrings(a, b))[0]![0];
  }

  private candidateProtocols(): string[] {
    const size = this.membersById.size;
    return [...this.supportedProtocolCounts.entries()].filter(([, count]) => count === size).map(([name]) => name).sort(compareStrings);
  }

  /** Kafka's supportsProtocols: a member may join only with the group's type and a protocol every member supports. */
  supportsProtocols(protocolType: string, protocols: readonly MemberProtocol[]): boolean {
    if (this.isInState('Empty')) return protocolType !== '' && protocols.length > 0;
    const size = this.membersById.size;
    return this.protocolType === protocolType && protocols.some((protocol) => (this.supportedProtocolCounts.get(protocol.name) ?? 0) === size);
  }

  /** The members and their subscriptions for the chosen protocol, as the leader's JoinGroup answer lists them. */
  currentMembersForLeader(): JoinGroupAnswer['members'] {
    const protocolName = this.protocolName;
    if (protocolName === null) throw new Error(`group ${this.groupId}: no protocol chosen`);
    return this.allMembers().map((member) => ({ memberId: member.memberId, groupInstanceId: member.groupInstanceId, metadata: member.metadata(protocolName) }));
  }

  private countProtocols(protocols: readonly MemberProtocol[], delta: number): void {
    for (const protocol of protocols) this.supportedProtocolCounts.set(protocol.name, (this.supportedProtocolCounts.get(protocol.name) ?? 0) + delta);
    for (const [name, count] of [...this.supportedProtocolCounts]) if (count <= 0) this.supportedProtocolCounts.delete(name);
  }
}

/** A JoinGroup answer that carries only an error. */
export function errorJoinAnswer(memberId: string, errorCode: KafkaErrorCode): JoinGroupAnswer {
  return { errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, memberId, members: [] };
}
