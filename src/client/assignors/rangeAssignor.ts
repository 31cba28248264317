/**
 * Kafka's RangeAssignor ("range"): per topic, the partitions in numeric order are cut into
 * contiguous ranges, one per subscribed member in MemberInfo order; when they do not divide evenly,
 * the first members get one more. Each topic is cut on its own, so with several topics the first
 * members carry the remainder of every one (the imbalance round-robin exists to avoid), but members
 * get the same partition numbers of co-partitioned topics, which joins rely on.
 *
 * Eager only: it ignores what members own, so anything may move in a rebalance.
 * Left out: rack-aware ranges (KIP-881).
 */

import type { TopicPartition } from '../../protocol/apis.js';
import { type GroupAssignment, type PartitionAssignor, type Subscription, compareStrings, emptyAssignment, sortedMembers } from './partitionAssignor.js';

/** The range assignment, as a pure function. */
export function rangeAssign(partitionsPerTopic: ReadonlyMap<string, number>, subscriptions: ReadonlyMap<string, Subscription>): GroupAssignment {
  const assignment = emptyAssignment(subscriptions);
  const topics = [...new Set([...subscriptions.values()].flatMap((subscription) => subscription.topics))].sort(compareStrings);
  for (const topic of topics) {
    const partitionCount = partitionsPerTopic.get(topic);
    if (partitionCount === undefined) continue;
    const members = sortedMembers(subscriptions, [...subscriptions.entries()].filter(([, subscription]) => subscription.topics.includes(topic)).map(([memberId]) => memberId));
    const perMember = Math.floor(partitionCount / members.length);
    const withExtra = partitionCount % members.length;
    members.forEach((memberId, index) => {
      const start = perMember * index + Math.min(index, withExtra);
      const length = perMember + (index < withExtra ? 1 : 0);
      const range: TopicPartition[] = Array.from({ length }, (_, offset) => ({ topic, partition: start + offset }));
      assignment.get(memberId)!.push(...range);
    });
  }
  return assignment;
}

export class RangeAssignor implements PartitionAssignor {
  readonly name = 'range';
  readonly supportedProtocols = ['EAGER'] as const;

  subscriptionUserData(): null {
    return null;
  }

  assign(partitionsPerTopic: ReadonlyMap<string, number>, subscriptions: ReadonlyMap<string, Subscription>): GroupAssignment {
    return rangeAssign(partitionsPerTopic, subscriptions);
  }

  onAssignment(): void {}
}
