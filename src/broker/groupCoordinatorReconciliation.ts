/**
 * The reconciliation engine of the consumer protocol (KIP-848; Kafka's CurrentAssignmentBuilder):
 * given a member's current state and the group's target assignment, the next step toward it.
 *
 * | member state          | next step                                                                 |
 * |-----------------------|---------------------------------------------------------------------------|
 * | STABLE                | at the target epoch: nothing; behind it: compute the next assignment      |
 * | UNREVOKED_PARTITIONS  | while the member still reports a partition pending revocation: wait; once it reports none, compute the next assignment |
 * | UNRELEASED_PARTITIONS | compute the next assignment (a partition another member released may be free now) |
 *
 * Computing the next assignment, per topic: the member keeps what it owns and the target still
 * gives it; what the target takes away is pending revocation; what the target adds is given only
 * when no other member owns it (partition epoch -1), else it is unreleased. Revocation comes first:
 * while anything is pending revocation (and the member still owns it) the member stays at its
 * epoch in UNREVOKED_PARTITIONS and gets nothing new. Only then does it move to the target epoch,
 * STABLE, or UNRELEASED_PARTITIONS while some partition it is due is still owned elsewhere.
 *
 * This is the rule that makes "revoke before assign" hold: a partition is never in two members'
 * assignments at once (ConsumerGroup's partition epochs enforce it).
 */
import type { ConsumerGroupMember } from './groupCoordinatorConsumerGroup.js';
import { type Assignment, assignmentContains, toAssignment } from './groupCoordinatorConsumerGroup.js';

export interface ReconciliationInputs {
  readonly targetAssignmentEpoch: number;
  readonly targetAssignment: Assignment;
  /** The epoch of the member owning a partition, or -1 when it is free. */
  readonly currentPartitionEpoch: (topicId: string, partition: number) => number;
  /** The partitions the member says it owns in this heartbeat; null when it did not say. */
  readonly ownedTopicPartitions: Assignment | null;
}

/** The member's next state, or the member itself when it cannot move yet. */
export function reconcile(member: ConsumerGroupMember, inputs: ReconciliationInputs): ConsumerGroupMember {
  switch (member.state) {
    case 'STABLE':
      return member.memberEpoch === inputs.targetAssignmentEpoch ? member : computeNextAssignment(member, inputs);
    case 'UNREVOKED_PARTITIONS':
      return ownsRevokedPartitions(member.partitionsPendingRevocation, inputs.ownedTopicPartitions) ? member : computeNextAssignment(member, inputs);
    case 'UNRELEASED_PARTITIONS':
      return computeNextAssignment(member, inputs);
    default: {
      const unreachable: never = member.state;
      throw new Error(`unknown member state ${String(unreachable)}`);
    }
  }
}

/** Whether the member still reports owning a partition pending revocation; not reporting counts as owning. */
function ownsRevokedPartitions(pendingRevocation: Assignment, owned: Assignment | null): boolean {
  if (owned === null) return true;
  return owned.some(({ topicId, partitions }) => partitions.some((partition) => assignmentContains(pendingRevocation, topicId, partition)));
}

function computeNextAssignment(member: ConsumerGroupMember, inputs: ReconciliationInputs): ConsumerGroupMember {
  const topicIds = new Set([...inputs.targetAssignment.map((entry) => entry.topicId), ...member.assignedPartitions.map((entry) => entry.topicId)]);
  const kept: Array<[string, number[]]> = [];
  const revoking: Array<[string, number[]]> = [];
  const assigning: Array<[string, number[]]> = [];
  let hasUnreleasedPartitions = false;
  for (const topicId of topicIds) {
    const target = inputs.targetAssignment.find((entry) => entry.topicId === topicId)?.partitions ?? [];
    const current = member.assignedPartitions.find((entry) => entry.topicId === topicId)?.partitions ?? [];
    kept.push([topicId, current.filter((partition) => target.includes(partition))]);
    revoking.push([topicId, current.filter((partition) => !target.includes(partition))]);
    const due = target.filter((partition) => !current.includes(partition));
    const free = due.filter((partition) => inputs.currentPartitionEpoch(topicId, partition) === -1);
    if (free.length < due.length) hasUnreleasedPartitions = true;
    assigning.push([topicId, free]);
  }
  const assigned = toAssignment(kept);
  const pendingRevocation = toAssignment(revoking);
  const newlyAssigned = toAssignment(assigning);
  if (pendingRevocation.length > 0 && ownsRevokedPartitions(pendingRevocation, inputs.ownedTopicPartitions)) {
    // Revoke first: the member stays at its epoch, keeps only what the target still gives it, and
    // is asked to give up the rest before anything new comes.
    return { ...member, state: 'UNREVOKED_PARTITIONS', ...epochs(member, member.memberEpoch), assignedPartitions: assigned, partitionsPendingRevocation: pendingRevocation };
  }
  return {
    ...member,
    state: hasUnreleasedPartitions ? 'UNRELEASED_PARTITIONS' : 'STABLE',
    ...epochs(member, inputs.targetAssignmentEpoch),
    assignedPartitions: toAssignment([...assigned, ...newlyAssigned].map((entry) => [entry.topicId, entry.partitions] as const)),
    partitionsPendingRevocation: [],
  };
}

/** Kafka's updateMemberEpoch: the epoch held until now becomes the previous one, even when it stays. */
function epochs(member: ConsumerGroupMember, memberEpoch: number): { memberEpoch: number; previousMemberEpoch: number } {
  return { memberEpoch, previousMemberEpoch: member.memberEpoch };
}
