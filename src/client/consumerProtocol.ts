/**
 * Kafka's ConsumerProtocol: how a classic consumer fills the opaque parts of JoinGroup and
 * SyncGroup — its subscription (ConsumerProtocolSubscription v3: topics, the assignor's user data,
 * owned partitions, generation) and its assignment (ConsumerProtocolAssignment) — and reads them
 * back for the assignors. The broker never looks inside them.
 *
 * The assignors' user data is bytes on the wire; here it is the JSON text of the sticky assignors'
 * StickyAssignorUserData (partitions by topic, and the generation).
 */

import type { ConsumerProtocolAssignment, ConsumerProtocolSubscription, TopicPartition, TopicPartitions } from '../protocol/apis.js';
import { CONSUMER_PROTOCOL_SUBSCRIPTION_VERSION, type StickyAssignorUserData, type Subscription, compareStrings, compareTopicPartitions } from './assignors/partitionAssignor.js';

/** The protocol type consumers join groups with. */
export const CONSUMER_PROTOCOL_TYPE = 'consumer';

/** Partitions grouped by topic, topics and partitions in order. */
export function toTopicPartitions(partitions: readonly TopicPartition[]): TopicPartitions[] {
  const byTopic = new Map<string, number[]>();
  for (const partition of [...partitions].sort(compareTopicPartitions)) byTopic.set(partition.topic, [...(byTopic.get(partition.topic) ?? []), partition.partition]);
  return [...byTopic].map(([topic, indexes]) => ({ topic, partitions: indexes }));
}

export function fromTopicPartitions(groups: readonly TopicPartitions[]): TopicPartition[] {
  return groups.flatMap((group) => group.partitions.map((partition) => ({ topic: group.topic, partition })));
}

function encodeUserData(userData: StickyAssignorUserData | null): string | null {
  return userData === null ? null : JSON.stringify({ partitions: toTopicPartitions(userData.partitions), generation: userData.generation });
}

function decodeUserData(text: string | null): StickyAssignorUserData | null {
  if (text === null) return null;
  const parsed = JSON.parse(text) as { partitions: TopicPartitions[]; generation: number | null };
  return { partitions: fromTopicPartitions(parsed.partitions), generation: parsed.generation };
}

export function serializeSubscription(subscription: { readonly topics: readonly string[]; readonly userData: StickyAssignorUserData | null; readonly ownedPartitions: readonly TopicPartition[]; readonly generationId: number }): ConsumerProtocolSubscription {
  return {
    topics: [...subscription.topics].sort(compareStrings),
    userData: encodeUserData(subscription.userData),
    ownedPartitions: toTopicPartitions(subscription.ownedPartitions),
    generationId: subscription.generationId,
    rackId: null,
  };
}

/** A member's subscription as the leader's assignor sees it, with the instance id the JoinGroup response adds. */
export function deserializeSubscription(metadata: ConsumerProtocolSubscription, groupInstanceId: string | null): Subscription {
  return {
    version: CONSUMER_PROTOCOL_SUBSCRIPTION_VERSION,
    topics: metadata.topics,
    userData: decodeUserData(metadata.userData),
    ownedPartitions: fromTopicPartitions(metadata.ownedPartitions),
    generationId: metadata.generationId,
    groupInstanceId,
  };
}

export function serializeAssignment(partitions: readonly TopicPartition[]): ConsumerProtocolAssignment {
  return { assignedPartitions: toTopicPartitions(partitions), userData: null };
}

export function deserializeAssignment(assignment: ConsumerProtocolAssignment): TopicPartition[] {
  return fromTopicPartitions(assignment.assignedPartitions);
}
