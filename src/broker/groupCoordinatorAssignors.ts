/**
 * The server-side assignors of the consumer protocol (KIP-848): given the members' subscriptions
 * and the subscribed topics' partition counts, each member's target assignment. The coordinator
 * runs the one the members ask for (`serverAssignor`), else the first of group.consumer.assignors
 * (Kafka 4's default order: uniform, then range).
 *
 * - `uniform` (Kafka's UniformAssignor): balanced and sticky. Each member keeps what its current
 *   target gives it and it still subscribes to; free partitions go to the subscribed member with
 *   the fewest; then partitions move one at a time from the fullest member to an emptier member
 *   that subscribes to them, until no two members that could trade differ by more than one. With
 *   identical subscriptions every member ends with ⌊P/N⌋ or ⌈P/N⌉ partitions.
 * - `range` (Kafka's RangeAssignor): per topic, the subscribed members in member-id order take
 *   contiguous ranges of partitions, the first P mod N taking one more; members subscribed to the
 *   same topics get the same partition numbers of each (co-partitioning).
 *
 * Invariants: every partition of a subscribed topic goes to exactly one member subscribed to its
 * topic; the output depends only on the input (sorted iteration everywhere).
 *
 * Differences from Kafka: these are ksim's own algorithms with Kafka's goals, not its exact
 * outputs (the uniform assignor's optimized and heterogeneous builders pick differently among
 * equally balanced answers; Kafka 4's range assignor also keeps partitions in place within each
 * member's quota). Racks are left out.
 */
import type { ServerAssignorName } from './groupCoordinatorConfig.js';
import { type Assignment, assignmentEntries, toAssignment } from './groupCoordinatorConsumerGroup.js';
import { compareStrings } from '../util/compare.js';

export interface AssignmentMemberSpec {
  readonly memberId: string;
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

const partitionKey = (topicId: string, partition: number) => `${topicId}\u0000${partition}`;

function uniformAssign(members: readonly AssignmentMemberSpec[], topics: SubscribedTopics): Map<string, Assignment> {
  const sorted = [...members].sort((a, b) => compareStrings(a.memberId, b.memberId));
  const owned = new Map<string, Array<[string, number]>>(sorted.map((member) => [member.memberId, []]));
  const subscribes = (member: AssignmentMemberSpec, topicId: string) => member.subscribedTopicIds.includes(topicId) && topics.has(topicId);
  const taken = new Set<string>();
  // Stickiness: each member keeps what it still subscribes to (a partition claimed twice goes to the first).
  for (const member of sorted) {
    for (const [topicId, partition] of assignmentEntries(member.currentTarget)) {
      const key = partitionKey(topicId, partition);
      if (!subscribes(member, topicId) || partition >= topics.get(topicId)! || taken.has(key)) continue;
      taken.add(key);
      owned.get(member.memberId)!.push([topicId, partition]);
    }
  }
  // Free partitions go to the subscribed member with the fewest.
  for (const topicId of [...topics.keys()].sort(compareStrings)) {
    for (let partition = 0; partition < topics.get(topicId)!; partition++) {
      if (taken.has(partitionKey(topicId, partition))) continue;
      const candidates = sorted.filter((member) => subscribes(member, topicId));
      if (candidates.length === 0) continue;
      const fewest = candidates.reduce((best, member) => (owned.get(member.memberId)!.length < owned.get(best.memberId)!.length ? member : best));
      owned.get(fewest.memberId)!.push([topicId, partition]);
    }
  }
  balance(sorted, owned, subscribes);
  return new Map(sorted.map((member) => [member.memberId, toAssignment(owned.get(member.memberId)!.map(([topicId, partition]) => [topicId, [partition]] as const))]));
}

/** Moves partitions from fuller to emptier members that subscribe to them, while counts differ by more than one. */
function balance(members: readonly AssignmentMemberSpec[], owned: Map<string, Array<[string, number]>>, subscribes: (member: AssignmentMemberSpec, topicId: string) => boolean): void {
  for (;;) {
    const byLoad = [...members].sort((a, b) => owned.get(b.memberId)!.length - owned.get(a.memberId)!.length || compareStrings(a.memberId, b.memberId));
    let moved = false;
    for (const fullest of byLoad) {
      const partitions = owned.get(fullest.memberId)!;
      for (const receiver of [...byLoad].reverse()) {
        if (owned.get(receiver.memberId)!.length + 1 >= partitions.length) break;
        const index = findLastIndex(partitions, ([topicId]) => subscribes(receiver, topicId));
        if (index < 0) continue;
        owned.get(receiver.memberId)!.push(partitions.splice(index, 1)[0]!);
        moved = true;
        break;
      }
      if (moved) break;
    }
    if (!moved) return;
  }
}

function findLastIndex<T>(items: readonly T[], predicate: (item: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i--) if (predicate(items[i]!)) return i;
  return -1;
}

function rangeAssign(members: readonly AssignmentMemberSpec[], topics: SubscribedTopics): Map<string, Assignment> {
  const owned = new Map<string, Array<readonly [string, number[]]>>(members.map((member) => [member.memberId, []]));
  for (const topicId of [...topics.keys()].sort(compareStrings)) {
    const subscribed = members.filter((member) => member.subscribedTopicIds.includes(topicId)).map((member) => member.memberId).sort(compareStrings);
    const numPartitions = topics.get(topicId)!;
    const quota = Math.floor(numPartitions / Math.max(1, subscribed.length));
    const extra = numPartitions % Math.max(1, subscribed.length);
    let next = 0;
    subscribed.forEach((memberId, index) => {
      const count = quota + (index < extra ? 1 : 0);
      owned.get(memberId)!.push([topicId, Array.from({ length: count }, (_, i) => next + i)]);
      next += count;
    });
  }
  return new Map(members.map((member) => [member.memberId, toAssignment(owned.get(member.memberId)!)]));
}
