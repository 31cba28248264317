/**
 * A group of the consumer protocol (KIP-848; Kafka's ConsumerGroup and ConsumerGroupMember): its
 * state is nothing but the replay of its records, so a coordinator that loads the partition after
 * a failover rebuilds exactly what its predecessor committed.
 *
 * Three epochs move it: the group epoch (bumped when a member joins, leaves or changes its
 * subscription, or the subscribed topics change), the assignment epoch (the group epoch the target
 * assignment was computed for), and each member's epoch (the assignment epoch the member has
 * reconciled to). State, derived from them:
 *
 * | state       | when                                                       |
 * |-------------|------------------------------------------------------------|
 * | Empty       | no members                                                 |
 * | Assigning   | group epoch > assignment epoch: a new target is due        |
 * | Reconciling | some member has not reached the assignment epoch           |
 * | Stable      | every member holds its target at the assignment epoch      |
 *
 * Invariant (revoke before assign): a partition is owned — assigned or pending revocation — by at
 * most one member at a time; its owner's epoch is its partition epoch. Giving a partition that
 * still has an owner to another member throws: the reconciliation must wait for the owner to
 * revoke it (UNRELEASED_PARTITIONS) first.
 *
 * Left out: classic-protocol members inside a consumer group (online migration), regular
 * expression subscriptions, racks in assignments, and DescribeGroups.
 */
import type { TraceEvent } from '../host.js';
import type { TopicIdPartitions } from '../protocol/apis.js';
import type { ConsumerGroupCurrentMemberAssignmentValue, ConsumerGroupMemberMetadataValue } from './groupCoordinatorRecords.js';
import { compareStrings } from '../util/compare.js';

export type ConsumerGroupState = 'Empty' | 'Assigning' | 'Reconciling' | 'Stable';

/** Partitions by topic id, sorted by topic id then partition, without empty topics. */
export type Assignment = readonly TopicIdPartitions[];

export interface ConsumerGroupMember extends ConsumerGroupMemberMetadataValue, ConsumerGroupCurrentMemberAssignmentValue {
  readonly memberId: string;
}

/** A member as it is first created, before any record of its own (Kafka's Builder defaults). */
export function newMember(memberId: string): ConsumerGroupMember {
  return {
    memberId,
    instanceId: null,
    rackId: null,
    clientId: '',
    subscribedTopicNames: [],
    serverAssignor: null,
    rebalanceTimeoutMs: -1,
    memberEpoch: 0,
    previousMemberEpoch: 0,
    state: 'STABLE',
    assignedPartitions: [],
    partitionsPendingRevocation: [],
  };
}

/** Whether the member holds its whole target at `targetAssignmentEpoch` (Kafka's isReconciledTo). */
export function isReconciledTo(member: ConsumerGroupMember, targetAssignmentEpoch: number): boolean {
  return member.state === 'STABLE' && member.memberEpoch === targetAssignmentEpoch;
}

export class ConsumerGroup {
  groupEpoch = 0;
  metadataHash = '';
  assignmentEpoch = 0;
  private readonly membersById = new Map<string, ConsumerGroupMember>();
  private readonly staticMembers = new Map<string, string>();
  private readonly targetAssignments = new Map<string, Assignment>();
  /** topicId → partition → the epoch of the member owning it. */
  private readonly partitionEpochs = new Map<string, Map<number, number>>();
  private stateValue: ConsumerGroupState = 'Empty';

  constructor(
    readonly groupId: string,
    private readonly trace: (event: TraceEvent) => void,
  ) {}

  get state(): ConsumerGroupState {
    return this.stateValue;
  }

  get isEmpty(): boolean {
    return this.membersById.size === 0;
  }

  get size(): number {
    return this.membersById.size;
  }

  members(): ConsumerGroupMember[] {
    return [...this.membersById.values()];
  }

  member(memberId: string): ConsumerGroupMember | undefined {
    return this.membersById.get(memberId);
  }

  staticMember(instanceId: string): ConsumerGroupMember | undefined {
    const memberId = this.staticMembers.get(instanceId);
    return memberId === undefined ? undefined : this.membersById.get(memberId);
  }

  targetAssignment(memberId: string): Assignment {
    return this.targetAssignments.get(memberId) ?? [];
  }

  allTargetAssignments(): ReadonlyMap<string, Assignment> {
    return this.targetAssignments;
  }

  /** The epoch of the member owning the partition, or -1 when it is free. */
  currentPartitionEpoch(topicId: string, partition: number): number {
    return this.partitionEpochs.get(topicId)?.get(partition) ?? -1;
  }

  // ---- Replay ----

  /** A member's new state: its partition epochs move with it (Kafka's updateMember). */
  updateMember(member: ConsumerGroupMember): void {
    const previous = this.membersById.get(member.memberId);
    this.throwIfOwnedElsewhere(member, previous);
    if (previous !== undefined) {
      this.removePartitionEpochs(previous.assignedPartitions, previous.memberEpoch);
      this.removePartitionEpochs(previous.partitionsPendingRevocation, previous.memberEpoch);
      if (previous.instanceId !== null && previous.instanceId !== member.instanceId) this.staticMembers.delete(previous.instanceId);
    }
    this.membersById.set(member.memberId, member);
    if (member.instanceId !== null) this.staticMembers.set(member.instanceId, member.memberId);
    this.addPartitionEpochs(member.assignedPartitions, member.memberEpoch);
    this.addPartitionEpochs(member.partitionsPendingRevocation, member.memberEpoch);
    this.updateState();
  }

  removeMember(memberId: string): void {
    const member = this.membersById.get(memberId);
    if (member === undefined) return;
    this.removePartitionEpochs(member.assignedPartitions, member.memberEpoch);
    this.removePartitionEpochs(member.partitionsPendingRevocation, member.memberEpoch);
    if (member.instanceId !== null && this.staticMembers.get(member.instanceId) === memberId) this.staticMembers.delete(member.instanceId);
    this.membersById.delete(memberId);
    this.updateState();
  }

  setGroupEpoch(epoch: number, metadataHash: string): void {
    this.groupEpoch = epoch;
    this.metadataHash = metadataHash;
    this.updateState();
  }

  setAssignmentEpoch(epoch: number): void {
    this.assignmentEpoch = epoch;
    this.updateState();
  }

  setTargetAssignment(memberId: string, assignment: Assignment | null): void {
    if (assignment === null) this.targetAssignments.delete(memberId);
    else this.targetAssignments.set(memberId, assignment);
  }

  /** Revoke before assign: every partition the member would own must be free, or already its own. */
  private throwIfOwnedElsewhere(member: ConsumerGroupMember, previous: ConsumerGroupMember | undefined): void {
    const own = new Set(previous === undefined ? [] : [...assignmentEntries(previous.assignedPartitions), ...assignmentEntries(previous.partitionsPendingRevocation)].map(([topicId, partition]) => `${topicId}-${partition}`));
    for (const [topicId, partition] of [...assignmentEntries(member.assignedPartitions), ...assignmentEntries(member.partitionsPendingRevocation)]) {
      const owner = this.currentPartitionEpoch(topicId, partition);
      if (owner !== -1 && !own.has(`${topicId}-${partition}`)) {
        throw new Error(`group ${this.groupId}: cannot give ${topicId}-${partition} to ${member.memberId} at epoch ${member.memberEpoch}: it is still owned at epoch ${owner}`);
      }
    }
  }

  private addPartitionEpochs(assignment: Assignment, epoch: number): void {
    for (const { topicId, partitions } of assignment) {
      let epochs = this.partitionEpochs.get(topicId);
      if (epochs === undefined) {
        epochs = new Map();
        this.partitionEpochs.set(topicId, epochs);
      }
      for (const partition of partitions) epochs.set(partition, epoch);
    }
  }

  private removePartitionEpochs(assignment: Assignment, epoch: number): void {
    for (const { topicId, partitions } of assignment) {
      const epochs = this.partitionEpochs.get(topicId);
      for (const partition of partitions) {
        const owner = epochs?.get(partition);
        if (owner !== epoch) throw new Error(`group ${this.groupId}: ${topicId}-${partition} is owned at epoch ${String(owner)}, not ${epoch}`);
        epochs!.delete(partition);
      }
    }
  }

  /** Kafka's maybeUpdateGroupState, traced when it changes. */
  private updateState(): void {
    let state: ConsumerGroupState;
    if (this.membersById.size === 0) state = 'Empty';
    else if (this.groupEpoch > this.assignmentEpoch) state = 'Assigning';
    else state = this.members().every((member) => isReconciledTo(member, this.assignmentEpoch)) ? 'Stable' : 'Reconciling';
    if (state === this.stateValue) return;
    const previousState = this.stateValue;
    this.stateValue = state;
    this.trace({ type: 'group.state', groupId: this.groupId, protocol: 'consumer', state, previousState, groupEpoch: this.groupEpoch, assignmentEpoch: this.assignmentEpoch });
  }
}

// ---- Assignments as sorted lists ----

/** Builds an assignment from any topic → partitions pairs: sorted, merged, without empty topics. */
export function toAssignment(entries: Iterable<readonly [string, Iterable<number>]>): Assignment {
  const byTopic = new Map<string, Set<number>>();
  for (const [topicId, partitions] of entries) {
    let set = byTopic.get(topicId);
    if (set === undefined) {
      set = new Set();
      byTopic.set(topicId, set);
    }
    for (const partition of partitions) set.add(partition);
  }
  return [...byTopic.entries()]
    .filter(([, partitions]) => partitions.size > 0)
    .sort(([a], [b]) => compareStrings(a, b))
    .map(([topicId, partitions]) => ({ topicId, partitions: [...partitions].sort((x, y) => x - y) }));
}

export function assignmentEntries(assignment: Assignment): Array<readonly [string, number]> {
  return assignment.flatMap(({ topicId, partitions }) => partitions.map((partition) => [topicId, partition] as const));
}

export function assignmentContains(assignment: Assignment, topicId: string, partition: number): boolean {
  return assignment.some((entry) => entry.topicId === topicId && entry.partitions.includes(partition));
}

export function sameAssignment(a: Assignment, b: Assignment): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Whether every partition of `owned` is in `assignment` (Kafka's isSubset). */
export function isSubset(owned: Assignment, assignment: Assignment): boolean {
  return assignmentEntries(owned).every(([topicId, partition]) => assignmentContains(assignment, topicId, partition));
}
