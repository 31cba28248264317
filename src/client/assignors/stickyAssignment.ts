/**
 * The sticky assignment (Kafka's AbstractStickyAssignor, KIP-54), shared by the eager StickyAssignor
 * and the CooperativeStickyAssignor: an assignment as balanced as round-robin's that keeps each
 * member's partitions where it can, so a rebalance moves as little as possible. A port of
 * kafka-clients 4.1's code, checked against it case by case (test/conformance).
 *
 * What it models:
 * - allSubscriptionsEqual, which also settles who owned what: each member's claimed partitions of
 *   existing topics with its generation (from owned partitions or the assignor's user data). When a
 *   second member claims a partition, Kafka compares the claimant's generation with the generation
 *   in the earlier claimant's subscription: equal, and the partition is taken from both and marked
 *   as having several previous owners; newer, and it moves to the newer claimant; older, and the
 *   earlier claim stands (KAFKA-12984: a member that missed a rebalance still reports what it had).
 *   The highest generation seen is kept across calls (the assignor's maxGeneration, never reset);
 * - with identical subscriptions, ConstrainedAssignmentBuilder: minQuota = ⌊partitions / members⌋,
 *   maxQuota = ⌈partitions / members⌉, and exactly `partitions mod members` members get maxQuota.
 *   Each member keeps up to its quota of what it owned (lowest partition numbers first); the
 *   unassigned partitions are then dealt round-robin to the members below quota, then one each to
 *   those at minQuota. It reports the partitions changing hands, for the cooperative assignor;
 * - otherwise GeneralAssignmentBuilder (generalStickyAssignment.ts).
 *
 * Kafka iterates the members in a HashMap (ConsumerCoordinator's subscriptions and the assignor's
 * consumerToOwnedPartitions), and that order decides which member keeps a contested partition and
 * which members keep maxQuota. ksim visits them in Java's HashMap order for the member ids inserted
 * in the order the subscriptions are given (javaHashOrder.ts), so it gives Kafka's answer.
 *
 * Left out: rack awareness (KIP-881), so neither builder's rack-matching steps exist.
 */

import { type TopicPartition, topicPartitionKey } from '../../protocol/apis.js';
import { generalAssign } from './generalStickyAssignment.js';
import { javaHashMapOrder } from '../../util/javaHashOrder.js';
import { DEFAULT_GENERATION, type GroupAssignment, type Subscription, compareStrings, partitionsOfTopics } from './partitionAssignor.js';

/** AbstractStickyAssignor.MemberData: what a member claims, and in which generation. */
export interface MemberData {
  readonly partitions: readonly TopicPartition[];
  readonly generation: number | null;
}

/** Partitions given to a member other than the one that owned them, by partition key. */
export type PartitionsTransferringOwnership = Map<string, { readonly partition: TopicPartition; readonly memberId: string }>;

export interface StickyAssignmentResult {
  readonly assignment: GroupAssignment;
  /** Known in the constrained case; null in the general case, where the cooperative assignor computes it. */
  readonly partitionsTransferringOwnership: PartitionsTransferringOwnership | null;
  /** The highest member generation seen by this assignor, this call included. */
  readonly maxGeneration: number;
}

/** What allSubscriptionsEqual finds besides its answer. */
export interface PreviousOwners {
  readonly isAllSubscriptionsEqual: boolean;
  /** Each member's previously owned partitions of existing topics, in Kafka's member order. */
  readonly consumerToOwnedPartitions: Map<string, TopicPartition[]>;
  /** Partitions two members of one generation both claimed (keys). */
  readonly partitionsWithMultiplePreviousOwners: Set<string>;
  readonly maxGeneration: number;
}

/** AbstractStickyAssignor.assignPartitions. `maxGeneration` is what the assignor instance saw before. */
export function stickyAssign(
  partitionsPerTopic: ReadonlyMap<string, number>,
  subscriptions: ReadonlyMap<string, Subscription>,
  memberData: (subscription: Subscription) => MemberData,
  maxGeneration: number = DEFAULT_GENERATION,
): StickyAssignmentResult {
  const topics = subscribedTopicsWithPartitions(partitionsPerTopic, subscriptions);
  // ConsumerCoordinator.onLeaderElected puts the subscriptions in a HashMap, in JoinGroup's member order.
  const memberOrder = javaHashMapOrder([...subscriptions.keys()]);
  const previous = allSubscriptionsEqual(new Set(topics.keys()), memberOrder, subscriptions, memberData, maxGeneration);
  if (previous.isAllSubscriptionsEqual) {
    const { assignment, partitionsTransferringOwnership } = constrainedAssign(topics, previous);
    return { assignment: sortedByMember(assignment), partitionsTransferringOwnership, maxGeneration: previous.maxGeneration };
  }
  const assignment = generalAssign(topics, memberOrder, subscriptions, previous, memberData);
  return { assignment: sortedByMember(assignment), partitionsTransferringOwnership: null, maxGeneration: previous.maxGeneration };
}

/** AbstractPartitionAssignor.assign: the subscribed topics the leader has metadata for, with at least one partition. */
function subscribedTopicsWithPartitions(partitionsPerTopic: ReadonlyMap<string, number>, subscriptions: ReadonlyMap<string, Subscription>): Map<string, number> {
  const subscribed = new Set([...subscriptions.values()].flatMap((subscription) => subscription.topics));
  return new Map([...partitionsPerTopic].filter(([topic, count]) => subscribed.has(topic) && count > 0));
}

/** The answer with its members in id order, so traces do not depend on Kafka's HashMap order. */
function sortedByMember(assignment: ReadonlyMap<string, TopicPartition[]>): GroupAssignment {
  return new Map([...assignment].sort(([a], [b]) => compareStrings(a, b)));
}

/** A subscription's generation as Kafka reads it for an earlier claimant: absent (below 0) is DEFAULT_GENERATION. */
function subscriptionGeneration(subscription: Subscription): number {
  return subscription.generationId < 0 ? DEFAULT_GENERATION : subscription.generationId;
}

/** AbstractStickyAssignor.allSubscriptionsEqual: whether every member subscribes to the same topics, and who owned what. */
export function allSubscriptionsEqual(
  allTopics: ReadonlySet<string>,
  memberOrder: readonly string[],
  subscriptions: ReadonlyMap<string, Subscription>,
  memberData: (subscription: Subscription) => MemberData,
  previousMaxGeneration: number,
): PreviousOwners {
  let isAllSubscriptionsEqual = true;
  let maxGeneration = previousMaxGeneration;
  const subscribedTopics = new Set<string>();
  const consumerToOwnedPartitions = new Map<string, TopicPartition[]>();
  const partitionsWithMultiplePreviousOwners = new Set<string>();
  const allPreviousPartitionsToOwner = new Map<string, string>();
  for (const consumer of memberOrder) {
    const subscription = subscriptions.get(consumer)!;
    // The first member with a non-empty subscription sets the topics the others are compared with.
    if (subscribedTopics.size === 0) for (const topic of subscription.topics) subscribedTopics.add(topic);
    else if (isAllSubscriptionsEqual && !(subscription.topics.length === subscribedTopics.size && subscription.topics.every((topic) => subscribedTopics.has(topic)))) isAllSubscriptionsEqual = false;
    const data = memberData(subscription);
    const memberGeneration = data.generation ?? DEFAULT_GENERATION;
    maxGeneration = Math.max(maxGeneration, memberGeneration);
    const ownedPartitions: TopicPartition[] = [];
    consumerToOwnedPartitions.set(consumer, ownedPartitions);
    for (const partition of data.partitions) {
      if (!allTopics.has(partition.topic)) continue;
      const key = topicPartitionKey(partition);
      const otherConsumer = allPreviousPartitionsToOwner.get(key);
      if (otherConsumer === undefined) {
        ownedPartitions.push(partition);
        allPreviousPartitionsToOwner.set(key, consumer);
        continue;
      }
      // Kafka reads the earlier claimant's generation from its subscription, not its member data:
      // for a member older than ConsumerProtocolSubscription v2 that is DEFAULT_GENERATION.
      const otherMemberGeneration = subscriptionGeneration(subscriptions.get(otherConsumer)!);
      if (memberGeneration === otherMemberGeneration) {
        // Two members of one generation cannot both own it: it is taken from both.
        partitionsWithMultiplePreviousOwners.add(key);
        removeFirst(consumerToOwnedPartitions.get(otherConsumer)!, partition);
        allPreviousPartitionsToOwner.set(key, consumer);
      } else if (memberGeneration > otherMemberGeneration) {
        ownedPartitions.push(partition);
        removeFirst(consumerToOwnedPartitions.get(otherConsumer)!, partition);
        allPreviousPartitionsToOwner.set(key, consumer);
      }
      // Otherwise the other member's newer claim stands.
    }
  }
  return { isAllSubscriptionsEqual, consumerToOwnedPartitions, partitionsWithMultiplePreviousOwners, maxGeneration };
}

/** Java's List.remove(Object): the first equal element, if any. */
export function removeFirst(partitions: TopicPartition[], partition: TopicPartition): void {
  const index = partitions.findIndex((candidate) => candidate.topic === partition.topic && candidate.partition === partition.partition);
  if (index >= 0) partitions.splice(index, 1);
}

/** ConstrainedAssignmentBuilder's state while it builds. */
interface ConstrainedState {
  readonly minQuota: number;
  readonly maxQuota: number;
  /** The number of members that must end with maxQuota (zero when minQuota equals maxQuota). */
  readonly expectedNumMembersWithOverMinQuotaPartitions: number;
  currentNumMembersWithOverMinQuotaPartitions: number;
  readonly assignment: Map<string, TopicPartition[]>;
  readonly assignedPartitions: TopicPartition[];
  /** Owned partitions a member had to give up, with that member. */
  readonly maybeRevokedPartitions: Map<string, string>;
  readonly partitionsWithMultiplePreviousOwners: ReadonlySet<string>;
  readonly unfilledMembersWithUnderMinQuotaPartitions: string[];
  unfilledMembersWithExactlyMinQuotaPartitions: string[];
  readonly partitionsTransferringOwnership: PartitionsTransferringOwnership;
}

/** ConstrainedAssignmentBuilder.build, without racks. */
function constrainedAssign(partitionsPerTopic: ReadonlyMap<string, number>, previous: PreviousOwners): { assignment: Map<string, TopicPartition[]>; partitionsTransferringOwnership: PartitionsTransferringOwnership } {
  const totalPartitionsCount = [...partitionsPerTopic.values()].reduce((sum, count) => sum + count, 0);
  const numberOfConsumers = previous.consumerToOwnedPartitions.size;
  const state: ConstrainedState = {
    minQuota: Math.floor(totalPartitionsCount / numberOfConsumers),
    maxQuota: Math.ceil(totalPartitionsCount / numberOfConsumers),
    expectedNumMembersWithOverMinQuotaPartitions: totalPartitionsCount % numberOfConsumers,
    currentNumMembersWithOverMinQuotaPartitions: 0,
    assignment: new Map([...previous.consumerToOwnedPartitions.keys()].map((consumer) => [consumer, []])),
    assignedPartitions: [],
    maybeRevokedPartitions: new Map(),
    partitionsWithMultiplePreviousOwners: previous.partitionsWithMultiplePreviousOwners,
    unfilledMembersWithUnderMinQuotaPartitions: [],
    unfilledMembersWithExactlyMinQuotaPartitions: [],
    partitionsTransferringOwnership: new Map(),
  };
  for (const [consumer, owned] of previous.consumerToOwnedPartitions) assignOwnedPartitions(state, consumer, owned);
  const assigned = new Set(state.assignedPartitions.map(topicPartitionKey));
  const unassignedPartitions = partitionsOfTopics(partitionsPerTopic, partitionsPerTopic.keys()).filter((partition) => !assigned.has(topicPartitionKey(partition)));
  state.unfilledMembersWithUnderMinQuotaPartitions.sort(compareStrings);
  state.unfilledMembersWithExactlyMinQuotaPartitions.sort(compareStrings);
  assignRoundRobin(state, unassignedPartitions);
  verifyUnfilledMembers(state);
  return { assignment: state.assignment, partitionsTransferringOwnership: state.partitionsTransferringOwnership };
}

/** ConstrainedAssignmentBuilder.assignOwnedPartitions, for one member: keep up to its quota of what it owned. */
function assignOwnedPartitions(state: ConstrainedState, consumer: string, owned: readonly TopicPartition[]): void {
  const ownedPartitions = [...owned]
    .sort((a, b) => a.partition - b.partition || compareStrings(a.topic, b.topic))
    .filter((partition) => !state.partitionsWithMultiplePreviousOwners.has(topicPartitionKey(partition)));
  const keep = (count: number): void => {
    state.assignment.get(consumer)!.push(...ownedPartitions.slice(0, count));
    state.assignedPartitions.push(...ownedPartitions.slice(0, count));
    for (const partition of ownedPartitions.slice(count)) state.maybeRevokedPartitions.set(topicPartitionKey(partition), consumer);
  };
  const underExpected = (): boolean => state.currentNumMembersWithOverMinQuotaPartitions < state.expectedNumMembersWithOverMinQuotaPartitions;
  if (ownedPartitions.length < state.minQuota) {
    keep(ownedPartitions.length);
    state.unfilledMembersWithUnderMinQuotaPartitions.push(consumer);
  } else if (ownedPartitions.length >= state.maxQuota && underExpected()) {
    state.currentNumMembersWithOverMinQuotaPartitions++;
    // Once enough members hold maxQuota, nobody at minQuota may get another.
    if (!underExpected()) state.unfilledMembersWithExactlyMinQuotaPartitions = [];
    keep(state.maxQuota);
  } else {
    keep(state.minQuota);
    if (underExpected()) state.unfilledMembersWithExactlyMinQuotaPartitions.push(consumer);
  }
}

/**
 * ConstrainedAssignmentBuilder.assignRoundRobin: deals the unassigned partitions round-robin over
 * the members under minQuota (Kafka walks that list with an iterator, restarting it at the end),
 * then one each to the members at minQuota.
 */
function assignRoundRobin(state: ConstrainedState, unassignedPartitions: readonly TopicPartition[]): void {
  const underMinQuota = state.unfilledMembersWithUnderMinQuotaPartitions;
  let cursor = 0;
  let lastReturned = -1;
  unassignedPartitions.forEach((unassignedPartition, index) => {
    let consumer: string;
    if (cursor < underMinQuota.length) {
      lastReturned = cursor;
      consumer = underMinQuota[cursor++]!;
    } else if (underMinQuota.length === 0 && state.unfilledMembersWithExactlyMinQuotaPartitions.length === 0) {
      throw new Error(`IllegalStateException: No more unfilled consumers to be assigned (${unassignedPartitions.length - index} partitions left)`);
    } else if (underMinQuota.length === 0) {
      lastReturned = -1;
      consumer = state.unfilledMembersWithExactlyMinQuotaPartitions.shift()!;
    } else {
      cursor = 0;
      lastReturned = cursor;
      consumer = underMinQuota[cursor++]!;
    }
    const currentAssignedCount = assignNewPartition(state, unassignedPartition, consumer);
    if (currentAssignedCount === state.minQuota) {
      // The iterator's remove(): only a member it returned can leave the under-minQuota list.
      if (lastReturned < 0) throw new Error(`IllegalStateException: ${consumer} reached minQuota but did not come from the unfilled members`);
      underMinQuota.splice(lastReturned, 1);
      cursor = lastReturned;
      lastReturned = -1;
      state.unfilledMembersWithExactlyMinQuotaPartitions.push(consumer);
    } else if (currentAssignedCount === state.maxQuota) {
      state.currentNumMembersWithOverMinQuotaPartitions++;
    }
  });
}

/** ConstrainedAssignmentBuilder.assignNewPartition: a partition newly given to a member changes hands if someone else gave it up or several claimed it. */
function assignNewPartition(state: ConstrainedState, partition: TopicPartition, consumer: string): number {
  const consumerAssignment = state.assignment.get(consumer)!;
  consumerAssignment.push(partition);
  const key = topicPartitionKey(partition);
  const revokedFrom = state.maybeRevokedPartitions.get(key);
  if ((revokedFrom !== undefined && revokedFrom !== consumer) || state.partitionsWithMultiplePreviousOwners.has(key)) {
    state.partitionsTransferringOwnership.set(key, { partition, memberId: consumer });
  }
  return consumerAssignment.length;
}

/** ConstrainedAssignmentBuilder.verifyUnfilledMembers: Kafka refuses an assignment that left a member short. */
function verifyUnfilledMembers(state: ConstrainedState): void {
  if (state.unfilledMembersWithUnderMinQuotaPartitions.length === 0) return;
  if (state.currentNumMembersWithOverMinQuotaPartitions !== state.expectedNumMembersWithOverMinQuotaPartitions) {
    throw new Error("IllegalStateException: We haven't reached the expected number of members with more than the minQuota partitions, but no more partitions to be assigned");
  }
  for (const unfilledMember of state.unfilledMembersWithUnderMinQuotaPartitions) {
    if (state.assignment.get(unfilledMember)!.length !== state.minQuota) {
      throw new Error(`IllegalStateException: Consumer: [${unfilledMember}] doesn't reach minQuota partitions, and no more partitions to be assigned`);
    }
  }
}
