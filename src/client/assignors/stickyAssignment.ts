/**
 * The sticky assignment (Kafka's AbstractStickyAssignor, KIP-54), shared by the eager StickyAssignor
 * and the CooperativeStickyAssignor: an assignment as balanced as round-robin's that keeps each
 * member's partitions where it can, so a rebalance moves as little as possible.
 *
 * What it models:
 * - the previous owners: each member's claimed partitions with its generation (from owned partitions
 *   or the assignor's user data). Two members of the same generation claiming one partition is a
 *   broken input, and neither keeps it; between different generations the newer claim wins
 *   (KAFKA-12984: a member that missed a rebalance still reports what it owned before);
 * - with identical subscriptions, Kafka's constrained algorithm (ConstrainedAssignmentBuilder):
 *   minQuota = ⌊partitions / members⌋, maxQuota = ⌈partitions / members⌉, and exactly
 *   `partitions mod members` members get maxQuota. Each member keeps up to its quota of what it
 *   owned (the lowest partition numbers first); what it must give up is revoked; the unassigned
 *   partitions are then dealt round-robin to the members below quota. It reports the partitions
 *   changing hands, for the cooperative assignor to hold back;
 * - with differing subscriptions, the general case, simplified (see below).
 *
 * Members are visited in member-id order where Kafka iterates a HashMap, so the result depends on
 * the inputs alone.
 *
 * Left out: rack awareness (KIP-881). The general case is not Kafka's GeneralAssignmentBuilder
 * (its partition-movement bookkeeping and cycle detection): it keeps every still-subscribed owned
 * partition, gives each unassigned one (fewest eligible members first) to its least-loaded eligible
 * member, then moves partitions from a member to an eligible one holding at least two fewer until
 * none can move. That is sticky and terminates (every move lowers the sum of squared loads), but it
 * is not always as balanced as Kafka's when subscriptions overlap intricately.
 */

import { type TopicPartition, topicPartitionKey } from '../../protocol/apis.js';
import {
  DEFAULT_GENERATION,
  type GroupAssignment,
  type Subscription,
  compareStrings,
  compareTopicPartitions,
  emptyAssignment,
  partitionsOfTopics,
} from './partitionAssignor.js';

/** AbstractStickyAssignor.MemberData: what a member claims, and in which generation. */
export interface MemberData {
  readonly partitions: readonly TopicPartition[];
  readonly generation: number | null;
}

export interface StickyAssignmentResult {
  readonly assignment: GroupAssignment;
  /**
   * Partitions given to a member other than the one that owned them, with their new member: known
   * in the constrained case; null in the general case, where the cooperative assignor computes it.
   */
  readonly partitionsTransferringOwnership: Map<string, { readonly partition: TopicPartition; readonly memberId: string }> | null;
}

interface PreviousOwners {
  readonly allSubscriptionsEqual: boolean;
  /** Each member's claimed and still valid partitions. */
  readonly owned: Map<string, TopicPartition[]>;
  /** Partitions two members of one generation both claimed (keys). */
  readonly multiplyClaimed: Set<string>;
}

export function stickyAssign(
  partitionsPerTopic: ReadonlyMap<string, number>,
  subscriptions: ReadonlyMap<string, Subscription>,
  memberData: (subscription: Subscription) => MemberData,
): StickyAssignmentResult {
  const subscribed = new Set([...subscriptions.values()].flatMap((subscription) => subscription.topics));
  const topics = new Map([...partitionsPerTopic].filter(([topic]) => subscribed.has(topic)));
  const previous = previousOwners(topics, subscriptions, memberData);
  if (previous.allSubscriptionsEqual) return constrainedAssign(topics, previous);
  return { assignment: generalAssign(topics, subscriptions, previous.owned), partitionsTransferringOwnership: null };
}

/** AbstractStickyAssignor.allSubscriptionsEqual: also settles who owns what, by generation. */
function previousOwners(topics: ReadonlyMap<string, number>, subscriptions: ReadonlyMap<string, Subscription>, memberData: (subscription: Subscription) => MemberData): PreviousOwners {
  const owned = new Map<string, TopicPartition[]>();
  const multiplyClaimed = new Set<string>();
  const ownerOf = new Map<string, { memberId: string; generation: number }>();
  let firstTopics: ReadonlySet<string> | null = null;
  let allSubscriptionsEqual = true;
  for (const memberId of [...subscriptions.keys()].sort(compareStrings)) {
    const subscription = subscriptions.get(memberId)!;
    if (firstTopics === null) firstTopics = new Set(subscription.topics);
    else if (new Set(subscription.topics).size !== firstTopics.size || subscription.topics.some((topic) => !firstTopics!.has(topic))) allSubscriptionsEqual = false;
    const data = memberData(subscription);
    const generation = data.generation ?? DEFAULT_GENERATION;
    const mine: TopicPartition[] = [];
    owned.set(memberId, mine);
    for (const partition of data.partitions) {
      if (!topics.has(partition.topic)) continue;
      const key = topicPartitionKey(partition);
      const other = ownerOf.get(key);
      if (other === undefined) {
        mine.push(partition);
        ownerOf.set(key, { memberId, generation });
      } else if (generation === other.generation) {
        // Two members of one generation cannot both own it: it is taken from both.
        multiplyClaimed.add(key);
        removePartition(owned.get(other.memberId)!, partition);
        ownerOf.set(key, { memberId, generation });
      } else if (generation > other.generation) {
        mine.push(partition);
        removePartition(owned.get(other.memberId)!, partition);
        ownerOf.set(key, { memberId, generation });
      }
      // Otherwise the other member's newer claim stands.
    }
  }
  return { allSubscriptionsEqual, owned, multiplyClaimed };
}

function removePartition(partitions: TopicPartition[], partition: TopicPartition): void {
  const index = partitions.findIndex((candidate) => candidate.topic === partition.topic && candidate.partition === partition.partition);
  if (index >= 0) partitions.splice(index, 1);
}

/** ConstrainedAssignmentBuilder, without racks. */
function constrainedAssign(topics: ReadonlyMap<string, number>, previous: PreviousOwners): StickyAssignmentResult {
  const members = [...previous.owned.keys()].sort(compareStrings);
  const allPartitions = partitionsOfTopics(topics, topics.keys());
  const minQuota = Math.floor(allPartitions.length / members.length);
  const maxQuota = Math.ceil(allPartitions.length / members.length);
  const expectedOverMinQuota = allPartitions.length % members.length;
  let currentOverMinQuota = 0;
  const assignment: GroupAssignment = new Map(members.map((memberId) => [memberId, []]));
  const assigned = new Set<string>();
  const revoked = new Set<string>();
  const underMinQuota: string[] = [];
  let exactlyMinQuota: string[] = [];
  const transferring = new Map<string, { partition: TopicPartition; memberId: string }>();

  // 1. Each member keeps up to its quota of what it owned, lowest partition numbers first.
  for (const memberId of members) {
    const owned = previous.owned
      .get(memberId)!
      .filter((partition) => !previous.multiplyClaimed.has(topicPartitionKey(partition)))
      .sort((a, b) => a.partition - b.partition || compareStrings(a.topic, b.topic));
    const keep = (count: number) => {
      for (const partition of owned.slice(0, count)) {
        assignment.get(memberId)!.push(partition);
        assigned.add(topicPartitionKey(partition));
      }
      for (const partition of owned.slice(count)) revoked.add(topicPartitionKey(partition));
    };
    if (owned.length < minQuota) {
      keep(owned.length);
      underMinQuota.push(memberId);
    } else if (owned.length >= maxQuota && currentOverMinQuota < expectedOverMinQuota) {
      currentOverMinQuota++;
      if (currentOverMinQuota === expectedOverMinQuota) exactlyMinQuota = [];
      keep(maxQuota);
    } else {
      keep(minQuota);
      if (currentOverMinQuota < expectedOverMinQuota) exactlyMinQuota.push(memberId);
    }
  }

  // 2. The rest, round-robin to the members below quota (then, one each, to those at minQuota).
  const unassigned = allPartitions.filter((partition) => !assigned.has(topicPartitionKey(partition)));
  underMinQuota.sort(compareStrings);
  exactlyMinQuota.sort(compareStrings);
  let cursor = 0;
  let lastReturned = -1;
  unassigned.forEach((partition, index) => {
    let memberId: string;
    if (cursor < underMinQuota.length) {
      lastReturned = cursor;
      memberId = underMinQuota[cursor++]!;
    } else if (underMinQuota.length === 0 && exactlyMinQuota.length === 0) {
      throw new Error(`stickyAssign: no member left to take ${unassigned.length - index} partition(s)`);
    } else if (underMinQuota.length === 0) {
      lastReturned = -1;
      memberId = exactlyMinQuota.shift()!;
    } else {
      cursor = 0;
      lastReturned = cursor;
      memberId = underMinQuota[cursor++]!;
    }
    const memberPartitions = assignment.get(memberId)!;
    memberPartitions.push(partition);
    const key = topicPartitionKey(partition);
    if (revoked.has(key) || previous.multiplyClaimed.has(key)) transferring.set(key, { partition, memberId });
    if (memberPartitions.length === minQuota) {
      if (lastReturned < 0) throw new Error(`stickyAssign: ${memberId} reached minQuota from the wrong list`);
      underMinQuota.splice(lastReturned, 1);
      cursor = lastReturned;
      lastReturned = -1;
      exactlyMinQuota.push(memberId);
    } else if (memberPartitions.length === maxQuota) {
      currentOverMinQuota++;
    }
  });
  verifyQuotas(assignment, minQuota, maxQuota);
  return { assignment, partitionsTransferringOwnership: transferring };
}

/** ConstrainedAssignmentBuilder.verifyUnfilledMembers, as an invariant: every member within quota. */
function verifyQuotas(assignment: GroupAssignment, minQuota: number, maxQuota: number): void {
  for (const [memberId, partitions] of assignment) {
    if (partitions.length < minQuota || partitions.length > maxQuota) {
      throw new Error(`stickyAssign: ${memberId} got ${partitions.length} partitions, outside [${minQuota}, ${maxQuota}]`);
    }
  }
}

/** The general case, for differing subscriptions (simplified; see the header). */
function generalAssign(topics: ReadonlyMap<string, number>, subscriptions: ReadonlyMap<string, Subscription>, owned: ReadonlyMap<string, TopicPartition[]>): GroupAssignment {
  const assignment = emptyAssignment(subscriptions);
  const eligible = (partition: TopicPartition): string[] =>
    [...assignment.keys()].filter((memberId) => subscriptions.get(memberId)!.topics.includes(partition.topic));
  const assigned = new Set<string>();
  const originallyOwned = new Map<string, string>();
  for (const [memberId, partitions] of owned) {
    for (const partition of partitions) {
      if (!subscriptions.get(memberId)!.topics.includes(partition.topic)) continue;
      assignment.get(memberId)!.push(partition);
      assigned.add(topicPartitionKey(partition));
      originallyOwned.set(topicPartitionKey(partition), memberId);
    }
  }
  const leastLoaded = (candidates: readonly string[]): string | undefined =>
    [...candidates].sort((a, b) => assignment.get(a)!.length - assignment.get(b)!.length || compareStrings(a, b))[0];
  const unassigned = partitionsOfTopics(topics, topics.keys())
    .filter((partition) => !assigned.has(topicPartitionKey(partition)))
    .sort((a, b) => eligible(a).length - eligible(b).length || compareTopicPartitions(a, b));
  for (const partition of unassigned) {
    const memberId = leastLoaded(eligible(partition));
    if (memberId !== undefined) assignment.get(memberId)!.push(partition);
  }
  while (moveOnePartitionTowardBalance(assignment, eligible, originallyOwned)) {
    // Each move lowers the sum of squared loads, so this ends.
  }
  for (const partitions of assignment.values()) partitions.sort(compareTopicPartitions);
  return assignment;
}

/** Moves one partition from a member to an eligible one holding at least two fewer; false when none can move. */
function moveOnePartitionTowardBalance(assignment: GroupAssignment, eligible: (partition: TopicPartition) => string[], originallyOwned: ReadonlyMap<string, string>): boolean {
  const donors = [...assignment.keys()].sort((a, b) => assignment.get(b)!.length - assignment.get(a)!.length || compareStrings(a, b));
  for (const donor of donors) {
    const partitions = assignment.get(donor)!;
    // Partitions the donor did not own before move first, to keep what members had.
    const candidates = [...partitions].sort((a, b) => Number(originallyOwned.get(topicPartitionKey(a)) === donor) - Number(originallyOwned.get(topicPartitionKey(b)) === donor) || compareTopicPartitions(a, b));
    for (const partition of candidates) {
      const receiver = eligible(partition)
        .filter((memberId) => assignment.get(memberId)!.length < partitions.length - 1)
        .sort((a, b) => assignment.get(a)!.length - assignment.get(b)!.length || compareStrings(a, b))[0];
      if (receiver === undefined) continue;
      removePartition(partitions, partition);
      assignment.get(receiver)!.push(partition);
      return true;
    }
  }
  return false;
}
