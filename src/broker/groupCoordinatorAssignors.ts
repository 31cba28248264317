/**
 * The server-side assignors of the consumer protocol (KIP-848): given the members' subscriptions,
 * their current targets and the subscribed topics' partition counts, each member's target
 * assignment. The coordinator runs the one the members ask for (`serverAssignor`), else the first
 * of group.consumer.assignors (Kafka 4's default order: uniform, then range). A port of
 * kafka-group-coordinator 4.1's code, checked against it case by case (test/conformance).
 *
 * - `uniform` (Kafka's UniformAssignor), balanced first, sticky second:
 *   - homogeneous subscriptions (UniformHomogeneousAssignmentBuilder): minQuota = ⌊P/N⌋ and
 *     `P mod N` members get one more. Visiting the members in order, each keeps up to its quota of
 *     its current target (topic by topic, partition by partition) and revokes the rest; a member
 *     with room below the extra quota gives the extra up unless it is among the last members that
 *     must take one. The partitions nobody holds (in the subscribed topics' order), then those
 *     revoked, fill the members with room in that order;
 *   - heterogeneous subscriptions (UniformHeterogeneousAssignmentBuilder): each member keeps its
 *     current target of topics it still subscribes to; topics (most partitions per subscriber
 *     first, then fewest subscribers, then topic id) deal their free partitions to their least
 *     loaded subscribers; then, topic by topic for at most 16 rounds, partitions move from a
 *     topic's most to its least loaded subscribers until each topic's subscribers differ by at
 *     most one partition.
 * - `range` (Kafka's RangeAssignor): static members first by instance id, then the others by member
 *   id; per topic, each subscriber in that order takes the next contiguous range, the first
 *   `P mod N` one more. Not sticky: co-partitioning is its point.
 *
 * Kafka iterates the members in a HashMap (TargetAssignmentBuilder's member specs), the subscribed
 * topics and each current target in HashMaps and HashSets, and the uniform assignor's answer
 * depends on those orders; ksim follows Java's (util/javaHashOrder.ts) for the members in the order
 * given, topic ids as Uuids and partitions as Integers, so it gives Kafka's answer.
 *
 * Invariants: every partition of a subscribed topic goes to exactly one member subscribed to its
 * topic; the output depends only on the input.
 *
 * Left out: racks. Kafka decides homogeneous by the subscribed topic names, ksim by the resolved
 * topic ids (they differ only when a member subscribes to a topic that does not exist).
 */
import type { ServerAssignorName } from './groupCoordinatorConfig.js';
import { type Assignment, toAssignment } from './groupCoordinatorConsumerGroup.js';
import { compareStrings } from '../util/compare.js';
import { JavaHashOrder, capacityForCollection, compareUuids, integerHashCode, javaHashMapOrder, uuidHashCode } from '../util/javaHashOrder.js';

export interface AssignmentMemberSpec {
  readonly memberId: string;
  /** The member's group.instance.id; the range assignor orders static members first. */
  readonly instanceId?: string | null;
  readonly subscribedTopicIds: readonly string[];
  /** The member's current target assignment, which a sticky assignor keeps where it can. */
  readonly currentTarget: Assignment;
}

/** topicId → its number of partitions, for every subscribed topic that exists. */
export type SubscribedTopics = ReadonlyMap<string, number>;

export type Assignor = (members: readonly AssignmentMemberSpec[], topics: SubscribedTopics) => Map<string, Assignment>;

export const ASSIGNORS: Readonly<Record<ServerAssignorName, Assignor>> = {
  uniform: uniformAssign,
  range: rangeAssign,
};

/** A member's target while it is built: topic id → partitions. */
type MemberTarget = Map<string, Set<number>>;

/** Kafka's PartitionAssignorException. */
export class PartitionAssignorException extends Error {
  constructor(message: string) {
    super(`PartitionAssignorException: ${message}`);
  }
}

// ---- The group spec as Kafka's assignors see it ----

/** The members in TargetAssignmentBuilder's HashMap order. */
function memberSpecsInKafkaOrder(members: readonly AssignmentMemberSpec[]): AssignmentMemberSpec[] {
  const byId = new Map(members.map((member) => [member.memberId, member]));
  return javaHashMapOrder(members.map((member) => member.memberId)).map((memberId) => byId.get(memberId)!);
}

/** A set of topic ids in HashSet order (a copy of the member's subscription, as the builders take it). */
function topicIdsInKafkaOrder(topicIds: readonly string[]): string[] {
  const subscription = new JavaHashOrder<string>(uuidHashCode);
  for (const topicId of topicIds) subscription.add(topicId, topicId);
  const copy = new JavaHashOrder<string>(uuidHashCode, capacityForCollection(subscription.size));
  for (const topicId of subscription.values()) copy.add(topicId, topicId);
  return copy.values();
}

/** A current target as Assignment.fromRecord builds it: topics in HashMap order, each topic's partitions in HashSet order. */
function currentTargetInKafkaOrder(target: Assignment): Array<[string, number[]]> {
  const topicIds = new JavaHashOrder<string>(uuidHashCode);
  for (const { topicId } of target) topicIds.add(topicId, topicId);
  const byTopic = new Map(target.map(({ topicId, partitions }) => [topicId, partitions]));
  return topicIds.values().map((topicId) => {
    const partitions = byTopic.get(topicId)!;
    const set = new JavaHashOrder<number>(integerHashCode, capacityForCollection(partitions.length));
    for (const partition of partitions) set.add(String(partition), partition);
    return [topicId, set.values()];
  });
}

function isHomogeneous(members: readonly AssignmentMemberSpec[]): boolean {
  const subscriptions = new Set(members.map((member) => JSON.stringify([...new Set(member.subscribedTopicIds)].sort(compareStrings))));
  return subscriptions.size <= 1;
}

function numPartitions(topics: SubscribedTopics, topicId: string): number {
  const count = topics.get(topicId);
  if (count === undefined) throw new PartitionAssignorException(`Members are subscribed to topic ${topicId} which doesn't exist in the topic metadata.`);
  return count;
}

function toAssignments(targets: ReadonlyMap<string, MemberTarget>): Map<string, Assignment> {
  return new Map([...targets].sort(([a], [b]) => compareStrings(a, b)).map(([memberId, target]) => [memberId, toAssignment(target)]));
}

// ---- uniform ----

function uniformAssign(members: readonly AssignmentMemberSpec[], topics: SubscribedTopics): Map<string, Assignment> {
  if (members.length === 0) return new Map();
  const ordered = memberSpecsInKafkaOrder(members);
  return isHomogeneous(members) ? uniformHomogeneousAssign(ordered, topics) : uniformHeterogeneousAssign(ordered, topics);
}

/** UniformHomogeneousAssignmentBuilder.build. */
function uniformHomogeneousAssign(members: readonly AssignmentMemberSpec[], topics: SubscribedTopics): Map<string, Assignment> {
  const subscribedTopicIds = topicIdsInKafkaOrder(members[0]!.subscribedTopicIds);
  if (subscribedTopicIds.length === 0) return new Map();
  const assigned = new Set(members.flatMap((member) => member.currentTarget.flatMap(({ topicId, partitions }) => partitions.map((partition) => `${topicId}:${partition}`))));
  const unassignedPartitions: Array<[string, number]> = [];
  let totalPartitionsCount = 0;
  for (const topicId of subscribedTopicIds) {
    const partitionCount = numPartitions(topics, topicId);
    for (let partition = 0; partition < partitionCount; partition++) if (!assigned.has(`${topicId}:${partition}`)) unassignedPartitions.push([topicId, partition]);
    totalPartitionsCount += partitionCount;
  }
  const minimumMemberQuota = Math.floor(totalPartitionsCount / members.length);
  let remainingMembersToGetAnExtraPartition = totalPartitionsCount % members.length;
  const subscribed = new Set(subscribedTopicIds);
  const targets = new Map<string, MemberTarget>();
  const unfilledMembers: Array<{ readonly memberId: string; readonly remainingQuota: number }> = [];
  members.forEach((member, memberIndex) => {
    // maybeRevokePartitions: keep up to the quota of the current target, revoke the rest.
    let quota = minimumMemberQuota;
    let quotaHasExtraPartition = false;
    if (remainingMembersToGetAnExtraPartition > 0) {
      quota++;
      quotaHasExtraPartition = true;
    }
    const target: MemberTarget = new Map();
    for (const [topicId, partitions] of currentTargetInKafkaOrder(member.currentTarget)) {
      // A topic the member no longer subscribes to is dropped whole.
      if (!subscribed.has(topicId)) continue;
      if (partitions.length <= quota) {
        quota -= partitions.length;
        target.set(topicId, new Set(partitions));
        continue;
      }
      const kept = new Set<number>();
      for (const partition of partitions) {
        if (quota > 0) {
          quota--;
          kept.add(partition);
        } else {
          unassignedPartitions.push([topicId, partition]);
        }
      }
      if (kept.size > 0) target.set(topicId, kept);
    }
    if (quota > 0 && quotaHasExtraPartition && members.length - memberIndex > remainingMembersToGetAnExtraPartition) {
      // Give the extra partition up for another member, unless this is one of the last members that must take one.
      quota--;
      quotaHasExtraPartition = false;
    }
    if (quota > 0) unfilledMembers.push({ memberId: member.memberId, remainingQuota: quota });
    if (quotaHasExtraPartition) remainingMembersToGetAnExtraPartition--;
    targets.set(member.memberId, target);
  });
  let unassignedPartitionIndex = 0;
  for (const { memberId, remainingQuota } of unfilledMembers) {
    const target = targets.get(memberId)!;
    for (let i = 0; i < remainingQuota && unassignedPartitionIndex < unassignedPartitions.length; i++) {
      const [topicId, partition] = unassignedPartitions[unassignedPartitionIndex++]!;
      if (!target.has(topicId)) target.set(topicId, new Set());
      target.get(topicId)!.add(partition);
    }
  }
  if (unassignedPartitionIndex < unassignedPartitions.length) throw new PartitionAssignorException('Partitions were left unassigned');
  return toAssignments(targets);
}

/**
 * UniformHeterogeneousAssignmentBuilder's MemberAssignmentBalancer: over one topic's subscribers
 * sorted by load (then member index), hands out the least loaded members round by round and takes
 * back from the most loaded, tracking both ranges so that each step is constant time.
 */
class MemberAssignmentBalancer {
  private sortedMembers: number[] = [];
  /** [0, leastLoadedRangeEnd) are the members with the fewest partitions. */
  private leastLoadedRangeEnd = 0;
  private leastLoadedRangePartitionCount = -1;
  private nextLeastLoaded = 0;
  /** [mostLoadedRangeStart, mostLoadedRangeEnd) are the members with the most partitions that still have some to give. */
  private mostLoadedRangeStart = 0;
  private mostLoadedRangeEnd = 0;
  private mostLoadedRangePartitionCount = 1;
  private nextMostLoaded = -1;

  constructor(private readonly memberTargetAssignmentSizes: number[]) {}

  /** Resets for a topic's subscribers; returns the difference between the most and least loaded. */
  initialize(members: readonly number[]): number {
    if (members.length === 0) throw new Error('IllegalArgumentException: Cannot balance an empty subscriber list.');
    const sizes = this.memberTargetAssignmentSizes;
    this.sortedMembers = [...members].sort((a, b) => sizes[a]! - sizes[b]! || a - b);
    const first = sizes[this.sortedMembers[0]!]!;
    const last = sizes[this.sortedMembers[this.sortedMembers.length - 1]!]!;
    this.leastLoadedRangeEnd = 0;
    this.leastLoadedRangePartitionCount = first - 1;
    this.nextLeastLoaded = 0;
    this.mostLoadedRangeStart = this.sortedMembers.length;
    this.mostLoadedRangeEnd = this.sortedMembers.length;
    this.mostLoadedRangePartitionCount = last + 1;
    this.nextMostLoaded = this.sortedMembers.length - 1;
    return last - first;
  }

  /** The member to give the next partition to; assumes it gets one. */
  nextLeastLoadedMember(): number {
    const sizes = this.memberTargetAssignmentSizes;
    if (this.nextLeastLoaded >= this.leastLoadedRangeEnd) {
      this.leastLoadedRangePartitionCount++;
      while (this.leastLoadedRangeEnd < this.sortedMembers.length && sizes[this.sortedMembers[this.leastLoadedRangeEnd]!] === this.leastLoadedRangePartitionCount) this.leastLoadedRangeEnd++;
      this.nextLeastLoaded = 0;
    }
    return this.sortedMembers[this.nextLeastLoaded++]!;
  }

  /** The member to take the next partition from, or -1; assumes it gives one up. */
  nextMostLoadedMember(): number {
    const sizes = this.memberTargetAssignmentSizes;
    if (this.nextMostLoaded < this.mostLoadedRangeStart) {
      if (this.mostLoadedRangeEnd <= this.mostLoadedRangeStart && this.mostLoadedRangeStart > 0) {
        this.mostLoadedRangePartitionCount = sizes[this.sortedMembers[this.mostLoadedRangeStart - 1]!]!;
      } else {
        this.mostLoadedRangePartitionCount--;
      }
      while (this.mostLoadedRangeStart > 0 && sizes[this.sortedMembers[this.mostLoadedRangeStart - 1]!] === this.mostLoadedRangePartitionCount) this.mostLoadedRangeStart--;
      this.nextMostLoaded = this.mostLoadedRangeEnd - 1;
    }
    if (this.nextMostLoaded < 0) return -1;
    return this.sortedMembers[this.nextMostLoaded--]!;
  }

  /** Drops the member nextMostLoadedMember last returned from the most loaded range: it has nothing of this topic to give. */
  excludeMostLoadedMember(): void {
    const index = this.nextMostLoaded + 1;
    const member = this.sortedMembers[index]!;
    this.sortedMembers[index] = this.sortedMembers[this.mostLoadedRangeEnd - 1]!;
    this.sortedMembers[this.mostLoadedRangeEnd - 1] = member;
    this.mostLoadedRangeEnd--;
  }

  isBalanced(): boolean {
    return this.mostLoadedRangePartitionCount - this.leastLoadedRangePartitionCount <= 1;
  }
}

/** The rounds of topic-by-topic balancing before the heterogeneous builder settles for what it has. */
const MAX_ITERATION_COUNT = 16;

/** UniformHeterogeneousAssignmentBuilder, its state indexed by member position in Kafka's member order. */
class UniformHeterogeneousAssignmentBuilder {
  private readonly memberIds: string[];
  /** Each topic's subscribers, as member indices in ascending order. */
  private readonly topicSubscribers = new Map<string, number[]>();
  private readonly memberTargetAssignmentSizes: number[];
  /** Each subscribed topic's partition owners (member indices; -1 for none). */
  private readonly targetAssignmentPartitionOwners = new Map<string, number[]>();
  private readonly targets = new Map<string, MemberTarget>();

  constructor(
    private readonly members: readonly AssignmentMemberSpec[],
    private readonly topics: SubscribedTopics,
  ) {
    this.memberIds = members.map((member) => member.memberId);
    this.memberTargetAssignmentSizes = members.map(() => 0);
    members.forEach((member, memberIndex) => {
      for (const topicId of new Set(member.subscribedTopicIds)) {
        numPartitions(topics, topicId);
        if (!this.topicSubscribers.has(topicId)) this.topicSubscribers.set(topicId, []);
        this.topicSubscribers.get(topicId)!.push(memberIndex);
      }
    });
    for (const topicId of this.topicSubscribers.keys()) this.targetAssignmentPartitionOwners.set(topicId, new Array<number>(numPartitions(topics, topicId)).fill(-1));
  }

  build(): Map<string, Assignment> {
    if (this.topicSubscribers.size === 0) return new Map();
    this.maybeRevokePartitions();
    this.assignRemainingPartitions(this.computeUnassignedPartitions());
    const reassignable = [...this.topicSubscribers.keys()].filter((topicId) => this.topicSubscribers.get(topicId)!.length >= 2);
    if (reassignable.length > 0) this.balanceTopics(reassignable);
    return toAssignments(this.targets);
  }

  /** Most partitions per subscriber first, then fewest subscribers, then topic id. */
  private sortTopicIds(topicIds: Iterable<string>): string[] {
    const perSubscriber = (topicId: string) => this.topics.get(topicId)! / this.topicSubscribers.get(topicId)!.length;
    const subscribers = (topicId: string) => this.topicSubscribers.get(topicId)!.length;
    return [...topicIds].sort((a, b) => perSubscriber(b) - perSubscriber(a) || subscribers(a) - subscribers(b) || compareUuids(a, b));
  }

  /** Each member keeps its current target of the topics it still subscribes to. */
  private maybeRevokePartitions(): void {
    this.members.forEach((member, memberIndex) => {
      const subscribed = new Set(member.subscribedTopicIds);
      const target: MemberTarget = new Map();
      for (const [topicId, partitions] of currentTargetInKafkaOrder(member.currentTarget)) {
        if (!subscribed.has(topicId)) continue;
        this.memberTargetAssignmentSizes[memberIndex]! += partitions.length;
        const owners = this.targetAssignmentPartitionOwners.get(topicId)!;
        for (const partition of partitions) {
          if (partition >= owners.length) throw new Error(`ArrayIndexOutOfBoundsException: ${topicId} partition ${partition} beyond its ${owners.length} partitions`);
          owners[partition] = memberIndex;
        }
        target.set(topicId, new Set(partitions));
      }
      this.targets.set(member.memberId, target);
    });
  }

  private computeUnassignedPartitions(): Map<string, number[]> {
    const unassigned = new Map<string, number[]>();
    for (const [topicId, owners] of this.targetAssignmentPartitionOwners) {
      const free = owners.flatMap((owner, partition) => (owner === -1 ? [partition] : []));
      if (free.length > 0) unassigned.set(topicId, free);
    }
    return unassigned;
  }

  private assignRemainingPartitions(partitions: ReadonlyMap<string, number[]>): void {
    const balancer = new MemberAssignmentBalancer(this.memberTargetAssignmentSizes);
    for (const topicId of this.sortTopicIds(partitions.keys())) {
      balancer.initialize(this.topicSubscribers.get(topicId)!);
      for (const partition of partitions.get(topicId)!) this.assignPartition(topicId, partition, balancer.nextLeastLoadedMember());
    }
  }

  /** Topic by topic until a whole round moves nothing, for at most MAX_ITERATION_COUNT rounds. */
  private balanceTopics(topicIds: readonly string[]): void {
    const sortedTopicIds = this.sortTopicIds(topicIds);
    let lastRebalanceTopicIndex = -1;
    const balancer = new MemberAssignmentBalancer(this.memberTargetAssignmentSizes);
    for (let iteration = 0; iteration < MAX_ITERATION_COUNT; iteration++) {
      for (let topicIndex = 0; topicIndex < sortedTopicIds.length; topicIndex++) {
        if (topicIndex === lastRebalanceTopicIndex) return;
        const reassignedPartitionCount = this.balanceTopic(sortedTopicIds[topicIndex]!, balancer);
        if (reassignedPartitionCount > 0 || lastRebalanceTopicIndex === -1) lastRebalanceTopicIndex = topicIndex;
      }
    }
  }

  /** Moves the topic's partitions from its most to its least loaded subscribers until they differ by at most one; returns how many moved. */
  private balanceTopic(topicId: string, balancer: MemberAssignmentBalancer): number {
    let reassignedPartitionCount = 0;
    const owners = this.targetAssignmentPartitionOwners.get(topicId)!;
    if (balancer.initialize(this.topicSubscribers.get(topicId)!) <= 1) return reassignedPartitionCount;
    // The topic's partitions grouped by owner, so a member's partitions are taken from the end of its range.
    const partitions = owners.map((_, partition) => partition).sort((a, b) => owners[a]! - owners[b]! || a - b);
    const startPartitionIndices = new Map<number, number>();
    const endPartitionIndices = new Map<number, number>();
    partitions.forEach((partition, index) => {
      const ownerIndex = owners[partition]!;
      if (!startPartitionIndices.has(ownerIndex)) startPartitionIndices.set(ownerIndex, index);
      endPartitionIndices.set(ownerIndex, index + 1);
    });
    while (!balancer.isBalanced()) {
      let mostLoadedMemberIndex: number;
      for (;;) {
        mostLoadedMemberIndex = balancer.nextMostLoadedMember();
        if (mostLoadedMemberIndex === -1) break;
        const end = endPartitionIndices.get(mostLoadedMemberIndex);
        if (end === undefined || end - startPartitionIndices.get(mostLoadedMemberIndex)! <= 0) {
          balancer.excludeMostLoadedMember();
          continue;
        }
        break;
      }
      if (mostLoadedMemberIndex === -1) break;
      const end = endPartitionIndices.get(mostLoadedMemberIndex)!;
      const partition = partitions[end - 1]!;
      endPartitionIndices.set(mostLoadedMemberIndex, end - 1);
      const leastLoadedMemberIndex = balancer.nextLeastLoadedMember();
      if (balancer.isBalanced()) break;
      this.assignPartition(topicId, partition, leastLoadedMemberIndex);
      reassignedPartitionCount++;
    }
    return reassignedPartitionCount;
  }

  private assignPartition(topicId: string, partition: number, memberIndex: number): void {
    const owners = this.targetAssignmentPartitionOwners.get(topicId)!;
    const oldMemberIndex = owners[partition]!;
    if (oldMemberIndex !== -1) {
      const oldTarget = this.targets.get(this.memberIds[oldMemberIndex]!)!;
      oldTarget.get(topicId)?.delete(partition);
      if (oldTarget.get(topicId)?.size === 0) oldTarget.delete(topicId);
      this.memberTargetAssignmentSizes[oldMemberIndex]!--;
    }
    const target = this.targets.get(this.memberIds[memberIndex]!)!;
    if (!target.has(topicId)) target.set(topicId, new Set());
    target.get(topicId)!.add(partition);
    owners[partition] = memberIndex;
    this.memberTargetAssignmentSizes[memberIndex]!++;
  }
}

function uniformHeterogeneousAssign(members: readonly AssignmentMemberSpec[], topics: SubscribedTopics): Map<string, Assignment> {
  return new UniformHeterogeneousAssignmentBuilder(members, topics).build();
}

// ---- range ----

/** RangeAssignor.sortMemberIds: static members first, by instance id; then the others by member id. */
function sortMemberIds(members: readonly AssignmentMemberSpec[]): AssignmentMemberSpec[] {
  return [...members].sort((a, b) => {
    const instanceA = a.instanceId ?? null;
    const instanceB = b.instanceId ?? null;
    if (instanceA !== null && instanceB !== null) return compareStrings(instanceA, instanceB);
    if (instanceA !== null) return -1;
    if (instanceB !== null) return 1;
    return compareStrings(a.memberId, b.memberId);
  });
}

/** RangeAssignor.TopicMetadata: a topic's quota and the next range to hand out. */
interface TopicRange {
  readonly numPartitions: number;
  readonly minQuota: number;
  /** Members still to get one partition more than minQuota. */
  extraPartitions: number;
  nextRange: number;
}

/** RangeAssignor: per topic, each subscriber in order takes the next contiguous range. */
function rangeAssign(members: readonly AssignmentMemberSpec[], topics: SubscribedTopics): Map<string, Assignment> {
  if (members.length === 0) return new Map();
  const sorted = sortMemberIds(members);
  // Homogeneous: every member counts for every topic of the first (sorted) member's subscription.
  const subscribersOf = new Map<string, number>();
  if (isHomogeneous(members)) {
    for (const topicId of new Set(sorted[0]!.subscribedTopicIds)) subscribersOf.set(topicId, members.length);
  } else {
    for (const member of sorted) for (const topicId of new Set(member.subscribedTopicIds)) subscribersOf.set(topicId, (subscribersOf.get(topicId) ?? 0) + 1);
  }
  const ranges = new Map<string, TopicRange>();
  for (const [topicId, numMembers] of subscribersOf) {
    const count = numPartitions(topics, topicId);
    ranges.set(topicId, { numPartitions: count, minQuota: Math.floor(count / numMembers), extraPartitions: count % numMembers, nextRange: 0 });
  }
  const targets = new Map<string, MemberTarget>();
  for (const member of sorted) {
    const target: MemberTarget = new Map();
    for (const topicId of new Set(member.subscribedTopicIds)) {
      const range = ranges.get(topicId)!;
      const start = range.nextRange;
      let quota = range.minQuota;
      if (range.extraPartitions > 0) {
        quota++;
        range.extraPartitions--;
      }
      const end = Math.min(start + quota, range.numPartitions);
      range.nextRange = end;
      if (start < end) target.set(topicId, new Set(Array.from({ length: end - start }, (_, index) => start + index)));
    }
    targets.set(member.memberId, target);
  }
  return toAssignments(targets);
}
