/**
 * Kafka's client-side partition assignment API (ConsumerPartitionAssignor and the
 * AbstractPartitionAssignor helpers): what the group leader's assignor is given and what it returns
 * under the classic protocol.
 *
 * What it models:
 * - a member's Subscription as ConsumerProtocol carries it: its topics, the assignor's own user data,
 *   and since ConsumerProtocolSubscription v1 the partitions it owns, v2 its generation, v3 its rack.
 *   A version below the field's leaves the field empty, as Kafka's decoder does, so an assignor that
 *   must work with old members (the cooperative-sticky one) falls back to its user data;
 * - the rebalance protocols (EAGER revokes everything before joining; COOPERATIVE, KIP-429, revokes
 *   only what moves and rebalances again to hand it over), and which each assignor supports;
 * - Kafka's member order (AbstractPartitionAssignor.MemberInfo): static members first, by
 *   group.instance.id, then dynamic members by member id, so an assignment does not change with the
 *   member ids a restarted static member gets (KIP-345).
 *
 * Every assignor is a pure function of its inputs apart from the little state Kafka's keep between
 * rebalances (the sticky assignors' last assignment and generation), which `onAssignment` sets.
 *
 * Left out: rack-aware assignment (KIP-881) and custom assignors.
 */

import type { TopicPartition } from '../../protocol/apis.js';
import type { AssignorName } from '../consumerConfig.js';

export type RebalanceProtocol = 'EAGER' | 'COOPERATIVE';

/** Kafka's DEFAULT_GENERATION: a member that never completed a rebalance. */
export const DEFAULT_GENERATION = -1;

/** The newest ConsumerProtocolSubscription version, which Kafka 4's consumer sends. */
export const CONSUMER_PROTOCOL_SUBSCRIPTION_VERSION = 3;

/**
 * The StickyAssignor's user data (StickyAssignorUserData v1): the partitions the member had and
 * its generation, which an eager member cannot report as owned partitions because it revoked them
 * all before joining. The cooperative-sticky assignor puts only its generation here, for leaders
 * that read subscriptions older than v2.
 */
export interface StickyAssignorUserData {
  readonly partitions: readonly TopicPartition[];
  readonly generation: number | null;
}

/** ConsumerPartitionAssignor.Subscription, as decoded from one member's JoinGroup metadata. */
export interface Subscription {
  /** The ConsumerProtocolSubscription version it was encoded with (0 to 3). */
  readonly version: number;
  readonly topics: readonly string[];
  readonly userData: StickyAssignorUserData | null;
  /** v1+: the partitions the member owns now (empty under the eager protocol). */
  readonly ownedPartitions: readonly TopicPartition[];
  /** v2+: the generation in which it got them, or DEFAULT_GENERATION. */
  readonly generationId: number;
  /** The member's group.instance.id, which the coordinator's JoinGroup response adds. */
  readonly groupInstanceId: string | null;
}

/** Each member's partitions, by member id. */
export type GroupAssignment = Map<string, TopicPartition[]>;

/** ConsumerPartitionAssignor: one instance per consumer, chosen by partition.assignment.strategy. */
export interface PartitionAssignor {
  readonly name: AssignorName;
  /** The rebalance protocols it supports, the preferred first. */
  readonly supportedProtocols: readonly RebalanceProtocol[];
  /** The user data this member puts in its subscription (null for none). */
  subscriptionUserData(topics: readonly string[]): StickyAssignorUserData | null;
  /** The leader's assignment of every subscribed partition among the members. */
  assign(partitionsPerTopic: ReadonlyMap<string, number>, subscriptions: ReadonlyMap<string, Subscription>): GroupAssignment;
  /** Called on every member once SyncGroup hands it its partitions. */
  onAssignment(partitions: readonly TopicPartition[], generationId: number): void;
}

/** A subscription as an up-to-date member sends it (v3). */
export function subscriptionOf(
  topics: readonly string[],
  fields: { readonly userData?: StickyAssignorUserData | null; readonly ownedPartitions?: readonly TopicPartition[]; readonly generationId?: number; readonly groupInstanceId?: string | null } = {},
): Subscription {
  return {
    version: CONSUMER_PROTOCOL_SUBSCRIPTION_VERSION,
    topics,
    userData: fields.userData ?? null,
    ownedPartitions: fields.ownedPartitions ?? [],
    generationId: fields.generationId ?? DEFAULT_GENERATION,
    groupInstanceId: fields.groupInstanceId ?? null,
  };
}

/** What a leader decoding an older subscription version sees: the fields that version lacks are empty. */
export function asDecodedAtVersion(subscription: Subscription, version: number): Subscription {
  return {
    ...subscription,
    version,
    ownedPartitions: version >= 1 ? subscription.ownedPartitions : [],
    generationId: version >= 2 ? subscription.generationId : DEFAULT_GENERATION,
  };
}

export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Kafka's TopicPartition order for assignment: by topic, then partition. */
export function compareTopicPartitions(a: TopicPartition, b: TopicPartition): number {
  return compareStrings(a.topic, b.topic) || a.partition - b.partition;
}

/** AbstractPartitionAssignor.MemberInfo's order: static members by instance id first, then dynamic members by member id. */
export function compareMembers(a: { readonly memberId: string; readonly groupInstanceId: string | null }, b: { readonly memberId: string; readonly groupInstanceId: string | null }): number {
  if (a.groupInstanceId !== null && b.groupInstanceId !== null) return compareStrings(a.groupInstanceId, b.groupInstanceId);
  if (a.groupInstanceId !== null) return -1;
  if (b.groupInstanceId !== null) return 1;
  return compareStrings(a.memberId, b.memberId);
}

/** The member ids in MemberInfo order. */
export function sortedMembers(subscriptions: ReadonlyMap<string, Subscription>, memberIds: Iterable<string> = subscriptions.keys()): string[] {
  const members = [...memberIds].map((memberId) => ({ memberId, groupInstanceId: subscriptions.get(memberId)?.groupInstanceId ?? null }));
  return members.sort(compareMembers).map((member) => member.memberId);
}

/** Every partition of the given topics that exist, sorted by topic then partition. */
export function partitionsOfTopics(partitionsPerTopic: ReadonlyMap<string, number>, topics: Iterable<string>): TopicPartition[] {
  const partitions: TopicPartition[] = [];
  for (const topic of [...new Set(topics)].sort(compareStrings)) {
    const count = partitionsPerTopic.get(topic);
    if (count === undefined) continue;
    for (let partition = 0; partition < count; partition++) partitions.push({ topic, partition });
  }
  return partitions;
}

/** An empty list for every member, so members that get nothing still appear in the assignment. */
export function emptyAssignment(subscriptions: ReadonlyMap<string, Subscription>): GroupAssignment {
  return new Map([...subscriptions.keys()].sort(compareStrings).map((memberId) => [memberId, []]));
}

export function sameTopicPartition(a: TopicPartition, b: TopicPartition): boolean {
  return a.topic === b.topic && a.partition === b.partition;
}
