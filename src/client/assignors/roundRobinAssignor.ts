/**
 * Kafka's RoundRobinAssignor ("roundrobin"): every subscribed partition, sorted by topic and then
 * partition, is dealt to the members in MemberInfo order like cards, skipping a member that does not
 * subscribe to the partition's topic. With identical subscriptions no two members differ by more
 * than one partition.
 *
 * Eager only: it ignores what members own. Left out: nothing of Kafka's behaviour.
 */

import { type GroupAssignment, type PartitionAssignor, type Subscription, emptyAssignment, partitionsOfTopics, sortedMembers } from './partitionAssignor.js';

/** The round-robin assignment, as a pure function. */
export function roundRobinAssign(partitionsPerTopic: ReadonlyMap<string, number>, subscriptions: ReadonlyMap<string, Subscription>): GroupAssignment {
  const assignment = emptyAssignment(subscriptions);
  const members = sortedMembers(subscriptions);
  const partitions = partitionsOfTopics(partitionsPerTopic, [...subscriptions.values()].flatMap((subscription) => subscription.topics));
  let next = 0;
  for (const partition of partitions) {
    // Some member subscribes to every listed topic, so this finds one within a full turn.
    while (!subscriptions.get(members[next % members.length]!)!.topics.includes(partition.topic)) next++;
    assignment.get(members[next % members.length]!)!.push(partition);
    next++;
  }
  return assignment;
}

export class RoundRobinAssignor implements PartitionAssignor {
  readonly name = 'roundrobin';
  readonly supportedProtocols = ['EAGER'] as const;

  subscriptionUserData(): null {
    return null;
  }

  assign(partitionsPerTopic: ReadonlyMap<string, number>, subscriptions: ReadonlyMap<string, Subscription>): GroupAssignment {
    return roundRobinAssign(partitionsPerTopic, subscriptions);
  }

  onAssignment(): void {}
}
