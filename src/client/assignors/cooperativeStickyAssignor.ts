/**
 * Kafka's CooperativeStickyAssignor ("cooperative-sticky", KIP-429): the sticky assignment under
 * the cooperative protocol. Members keep their partitions while they rebalance and report them as
 * owned partitions (ConsumerProtocolSubscription v1+). A partition moving from one member to another
 * is left out of this round's assignment: its owner sees it missing, revokes it, and rejoins; in
 * the second rebalance nobody owns it and the assignor hands it to its new member. No partition is
 * ever owned by two members at once.
 *
 * The generation comes from the subscription (v2+) or, for older members, from the user data this
 * assignor adds (KAFKA-12984: without generations, a member that missed a rebalance and still
 * claimed old partitions could make the leader assign one partition twice).
 */

import { type TopicPartition, topicPartitionKey } from '../../protocol/apis.js';
import { DEFAULT_GENERATION, type GroupAssignment, type PartitionAssignor, type StickyAssignorUserData, type Subscription, sameTopicPartition } from './partitionAssignor.js';
import { type MemberData, stickyAssign } from './stickyAssignment.js';

export class CooperativeStickyAssignor implements PartitionAssignor {
  readonly name = 'cooperative-sticky';
  readonly supportedProtocols = ['COOPERATIVE', 'EAGER'] as const;
  private generation = DEFAULT_GENERATION;
  /** As a leader, the highest member generation seen (AbstractStickyAssignor.maxGeneration, never reset). */
  private maxGeneration = DEFAULT_GENERATION;

  subscriptionUserData(): StickyAssignorUserData {
    return { partitions: [], generation: this.generation };
  }

  assign(partitionsPerTopic: ReadonlyMap<string, number>, subscriptions: ReadonlyMap<string, Subscription>): GroupAssignment {
    const result = cooperativeStickyAssignment(partitionsPerTopic, subscriptions, this.maxGeneration);
    this.maxGeneration = result.maxGeneration;
    return result.assignment;
  }

  onAssignment(_partitions: readonly TopicPartition[], generationId: number): void {
    this.generation = generationId;
  }
}

/** The cooperative-sticky assignment by a fresh assignor, as a pure function. */
export function cooperativeStickyAssign(partitionsPerTopic: ReadonlyMap<string, number>, subscriptions: ReadonlyMap<string, Subscription>): GroupAssignment {
  return cooperativeStickyAssignment(partitionsPerTopic, subscriptions, DEFAULT_GENERATION).assignment;
}

/** The sticky assignment minus the partitions changing hands (CooperativeStickyAssignor.adjustAssignment). */
function cooperativeStickyAssignment(
  partitionsPerTopic: ReadonlyMap<string, number>,
  subscriptions: ReadonlyMap<string, Subscription>,
  maxGeneration: number,
): { readonly assignment: GroupAssignment; readonly maxGeneration: number } {
  const result = stickyAssign(partitionsPerTopic, subscriptions, memberDataFromOwnedPartitions, maxGeneration);
  const transferring = result.partitionsTransferringOwnership ?? partitionsTransferringOwnership(subscriptions, result.assignment);
  for (const { partition, memberId } of transferring.values()) {
    const partitions = result.assignment.get(memberId)!;
    const index = partitions.findIndex((candidate) => sameTopicPartition(candidate, partition));
    if (index >= 0) partitions.splice(index, 1);
  }
  return { assignment: result.assignment, maxGeneration: result.maxGeneration };
}

/** CooperativeStickyAssignor.memberData: the v2+ generation field, or for older members the generation in the user data. */
function memberDataFromOwnedPartitions(subscription: Subscription): MemberData {
  const generation = subscription.generationId >= 0 ? subscription.generationId : (subscription.userData?.generation ?? null);
  return { partitions: subscription.ownedPartitions, generation };
}

/** Partitions newly given to one member that another reported owning (Kafka's computePartitionsTransferringOwnership). */
function partitionsTransferringOwnership(subscriptions: ReadonlyMap<string, Subscription>, assignment: GroupAssignment): Map<string, { partition: TopicPartition; memberId: string }> {
  const added = new Map<string, { partition: TopicPartition; memberId: string }>();
  const revoked = new Set<string>();
  for (const [memberId, assigned] of assignment) {
    const owned = subscriptions.get(memberId)!.ownedPartitions;
    for (const partition of assigned) if (!owned.some((candidate) => sameTopicPartition(candidate, partition))) added.set(topicPartitionKey(partition), { partition, memberId });
    for (const partition of owned) if (!assigned.some((candidate) => sameTopicPartition(candidate, partition))) revoked.add(topicPartitionKey(partition));
  }
  return new Map([...added].filter(([key]) => revoked.has(key)));
}
