/**
 * The sticky assignment when members subscribe to different topics: Kafka's
 * AbstractStickyAssignor.GeneralAssignmentBuilder (kafka-clients 4.1), without racks.
 *
 * What it models, step by step as Kafka builds it:
 * 1. every member keeps the partitions it owned of topics it still subscribes to (a partition of a
 *    topic it dropped is revoked, and then only whole-assignment balancing runs);
 * 2. prevAssignment: partitions claimed by members of an older generation than the newest seen,
 *    the newest such claim per partition; balancing sends a partition back there when its holder
 *    has two or more partitions more than that member;
 * 3. the unassigned partitions (topics with fewest potential members first, then by name and
 *    number) each go to the least-loaded member subscribed to the topic (ties by member id);
 * 4. balancing: topics with one potential member and members that cannot change are set aside;
 *    partitions move from a member to the least-loaded eligible one while some member holds two
 *    more than another that could take one, first only the newly assigned partitions, then all.
 *    Movements are recorded (partitionMovements.ts) so a move can undo an earlier one instead of
 *    shuffling a second partition; if balancing did not lower the balance score (the sum of the
 *    pairwise differences of member loads), the assignment before it is restored.
 *
 * The member set ordered by (load, member id) is Kafka's TreeSet sortedCurrentSubscriptions, kept
 * here as a set sorted when read; Kafka keeps it consistent by taking a member out before changing
 * its load, so the two agree.
 *
 * Kafka's quirks are kept, since conformance is the point: a stale claim can send a partition back
 * to a member no longer subscribed to its topic; a member listing a topic twice counts it twice.
 * Where Kafka would throw a NullPointerException, this throws an Error saying so.
 *
 * Left out: rack awareness (KIP-881).
 */

import { type TopicPartition, topicPartitionKey } from '../../protocol/apis.js';
import { DEFAULT_GENERATION, type Subscription, compareStrings } from './partitionAssignor.js';
import { PartitionMovements } from './partitionMovements.js';
import type { MemberData, PreviousOwners } from './stickyAssignment.js';

/** AbstractStickyAssignor.ConsumerGenerationPair: a stale claim on a partition. */
interface ConsumerGenerationPair {
  readonly consumer: string;
  readonly generation: number;
}

/** GeneralAssignmentBuilder.build: each member's partitions. */
export function generalAssign(
  partitionsPerTopic: ReadonlyMap<string, number>,
  memberOrder: readonly string[],
  subscriptions: ReadonlyMap<string, Subscription>,
  previous: PreviousOwners,
  memberData: (subscription: Subscription) => MemberData,
): Map<string, TopicPartition[]> {
  const builder = new GeneralAssignmentBuilder(partitionsPerTopic, memberOrder, subscriptions, previous.consumerToOwnedPartitions);
  const prevAssignment = prepopulateCurrentAssignments(memberOrder, subscriptions, memberData, previous.maxGeneration);
  return builder.build(prevAssignment);
}

/** The stale claims: members of a generation older than the newest, or with none when a newer exists; the newest claim wins. */
function prepopulateCurrentAssignments(
  memberOrder: readonly string[],
  subscriptions: ReadonlyMap<string, Subscription>,
  memberData: (subscription: Subscription) => MemberData,
  maxGeneration: number,
): Map<string, ConsumerGenerationPair> {
  const prevAssignment = new Map<string, ConsumerGenerationPair>();
  const updatePrevAssignment = (partitions: readonly TopicPartition[], consumer: string, generation: number): void => {
    for (const partition of partitions) {
      const key = topicPartitionKey(partition);
      const existing = prevAssignment.get(key);
      if (existing === undefined || generation > existing.generation) prevAssignment.set(key, { consumer, generation });
    }
  };
  for (const consumer of memberOrder) {
    const data = memberData(subscriptions.get(consumer)!);
    if (data.generation !== null && data.generation < maxGeneration) updatePrevAssignment(data.partitions, consumer, data.generation);
    else if (data.generation === null && maxGeneration > DEFAULT_GENERATION) updatePrevAssignment(data.partitions, consumer, DEFAULT_GENERATION);
  }
  return prevAssignment;
}

class GeneralAssignmentBuilder {
  private readonly totalPartitionsCount: number;
  /** Every topic with the members that may be assigned it (a member listing it twice appears twice). */
  private readonly topic2AllPotentialConsumers = new Map<string, string[]>();
  /** Every member with the existing topics it subscribes to. */
  private readonly consumer2AllPotentialTopics = new Map<string, string[]>();
  /** Partition key to its current member. */
  private readonly currentPartitionConsumer = new Map<string, string>();
  private sortedAllPartitions: TopicPartition[];
  /** The members ordered by (load, member id) when read: Kafka's TreeSet sortedCurrentSubscriptions. */
  private readonly sortedCurrentSubscriptions = new Set<string>();
  private readonly partitionMovements = new PartitionMovements();
  private revocationRequired = false;

  constructor(
    private readonly partitionsPerTopic: ReadonlyMap<string, number>,
    memberOrder: readonly string[],
    private readonly subscriptions: ReadonlyMap<string, Subscription>,
    /** Each member's partitions, changed in place as the assignment is built. */
    private readonly currentAssignment: Map<string, TopicPartition[]>,
  ) {
    this.totalPartitionsCount = [...partitionsPerTopic.values()].reduce((sum, count) => sum + count, 0);
    for (const topic of partitionsPerTopic.keys()) this.topic2AllPotentialConsumers.set(topic, []);
    for (const consumer of memberOrder) {
      const subscribedTopics = subscriptions.get(consumer)!.topics.filter((topic) => partitionsPerTopic.has(topic));
      this.consumer2AllPotentialTopics.set(consumer, subscribedTopics);
      for (const topic of subscribedTopics) this.topic2AllPotentialConsumers.get(topic)!.push(consumer);
      if (!currentAssignment.has(consumer)) currentAssignment.set(consumer, []);
    }
    for (const [consumer, partitions] of currentAssignment) for (const partition of partitions) this.currentPartitionConsumer.set(topicPartitionKey(partition), consumer);
    const sortedAllTopics = [...partitionsPerTopic.keys()].sort((a, b) => this.potentialConsumerCount(a) - this.potentialConsumerCount(b) || compareStrings(a, b));
    this.sortedAllPartitions = sortedAllTopics.flatMap((topic) => Array.from({ length: partitionsPerTopic.get(topic)! }, (_, partition) => ({ topic, partition })));
  }

  build(prevAssignment: ReadonlyMap<string, ConsumerGenerationPair>): Map<string, TopicPartition[]> {
    const assignedPartitions = this.assignOwnedPartitions();
    const assigned = new Set(assignedPartitions.map(topicPartitionKey));
    const unassignedPartitions = this.sortedAllPartitions.filter((partition) => !assigned.has(topicPartitionKey(partition)));
    for (const consumer of this.currentAssignment.keys()) this.sortedCurrentSubscriptions.add(consumer);
    this.balance(prevAssignment, unassignedPartitions);
    return this.currentAssignment;
  }

  private potentialConsumerCount(topic: string): number {
    return this.topic2AllPotentialConsumers.get(topic)!.length;
  }

  private assignmentOf(consumer: string): TopicPartition[] {
    const partitions = this.currentAssignment.get(consumer);
    if (partitions === undefined) throw new Error(`NullPointerException in Kafka's GeneralAssignmentBuilder: ${consumer} is not in the current assignment`);
    return partitions;
  }

  /** sortedCurrentSubscriptions read in order: by load, then member id. */
  private sortedConsumers(): string[] {
    return [...this.sortedCurrentSubscriptions].sort((a, b) => this.assignmentOf(a).length - this.assignmentOf(b).length || compareStrings(a, b));
  }

  /** Keeps each member's owned partitions of topics it still subscribes to; returns them. */
  private assignOwnedPartitions(): TopicPartition[] {
    const assignedPartitions: TopicPartition[] = [];
    for (const [consumer, partitions] of this.currentAssignment) {
      const subscribedTopics = this.subscriptions.get(consumer)!.topics;
      const kept = partitions.filter((partition) => {
        if (!this.topic2AllPotentialConsumers.has(partition.topic)) {
          this.currentPartitionConsumer.delete(topicPartitionKey(partition));
          return false;
        }
        // Kafka leaves currentPartitionConsumer pointing here; the partition is reassigned below.
        if (!subscribedTopics.includes(partition.topic)) {
          this.revocationRequired = true;
          return false;
        }
        assignedPartitions.push(partition);
        return true;
      });
      partitions.splice(0, partitions.length, ...kept);
    }
    return assignedPartitions;
  }

  private getMaxAssignmentSize(allSubscribedTopics: readonly string[]): number {
    if (allSubscribedTopics.length === this.partitionsPerTopic.size) return this.totalPartitionsCount;
    return allSubscribedTopics.reduce((sum, topic) => sum + this.partitionsPerTopic.get(topic)!, 0);
  }

  /** The sum over member pairs of the difference of their loads; 0 is perfectly balanced. */
  private static getBalanceScore(assignment: ReadonlyMap<string, readonly TopicPartition[]>): number {
    const sizes = [...assignment.values()].map((partitions) => partitions.length);
    let score = 0;
    for (let first = 0; first < sizes.length; first++) for (let second = first + 1; second < sizes.length; second++) score += Math.abs(sizes[first]! - sizes[second]!);
    return score;
  }

  /** maybeAssignPartition: the partition goes to the least-loaded member subscribed to its topic. */
  private maybeAssignPartition(partition: TopicPartition): void {
    for (const consumer of this.sortedConsumers()) {
      if (!this.consumer2AllPotentialTopics.get(consumer)!.includes(partition.topic)) continue;
      this.assignmentOf(consumer).push(partition);
      this.currentPartitionConsumer.set(topicPartitionKey(partition), consumer);
      return;
    }
  }

  private canTopicParticipateInReassignment(topic: string): boolean {
    return this.potentialConsumerCount(topic) >= 2;
  }

  private canConsumerParticipateInReassignment(consumer: string): boolean {
    const currentPartitions = this.assignmentOf(consumer);
    if (currentPartitions.length < this.getMaxAssignmentSize(this.consumer2AllPotentialTopics.get(consumer)!)) return true;
    return currentPartitions.some((partition) => this.canTopicParticipateInReassignment(partition.topic));
  }

  private balance(prevAssignment: ReadonlyMap<string, ConsumerGenerationPair>, unassignedPartitions: TopicPartition[]): void {
    const sorted = this.sortedConsumers();
    const initializing = this.assignmentOf(sorted[sorted.length - 1]!).length === 0;
    for (const partition of unassignedPartitions) {
      if (this.potentialConsumerCount(partition.topic) > 0) this.maybeAssignPartition(partition);
    }
    // Narrow the reassignment to partitions and members that can change.
    const fixedTopics = new Set([...this.topic2AllPotentialConsumers.keys()].filter((topic) => !this.canTopicParticipateInReassignment(topic)));
    this.sortedAllPartitions = this.sortedAllPartitions.filter((partition) => !fixedTopics.has(partition.topic));
    const reassignableUnassigned = unassignedPartitions.filter((partition) => !fixedTopics.has(partition.topic));
    const fixedAssignments = new Map<string, TopicPartition[]>();
    for (const consumer of this.consumer2AllPotentialTopics.keys()) {
      if (this.canConsumerParticipateInReassignment(consumer)) continue;
      this.sortedCurrentSubscriptions.delete(consumer);
      fixedAssignments.set(consumer, this.assignmentOf(consumer));
      this.currentAssignment.delete(consumer);
    }
    const preBalanceAssignment = new Map([...this.currentAssignment].map(([consumer, partitions]) => [consumer, [...partitions]]));
    const preBalancePartitionConsumers = new Map(this.currentPartitionConsumer);
    // Without revocations, first try to balance by moving only the newly assigned partitions.
    if (!this.revocationRequired) this.performReassignments(reassignableUnassigned, prevAssignment);
    const reassignmentPerformed = this.performReassignments(this.sortedAllPartitions, prevAssignment);
    if (!initializing && reassignmentPerformed && GeneralAssignmentBuilder.getBalanceScore(this.currentAssignment) >= GeneralAssignmentBuilder.getBalanceScore(preBalanceAssignment)) {
      this.currentAssignment.clear();
      for (const [consumer, partitions] of preBalanceAssignment) this.currentAssignment.set(consumer, partitions);
      this.currentPartitionConsumer.clear();
      for (const [key, consumer] of preBalancePartitionConsumers) this.currentPartitionConsumer.set(key, consumer);
    }
    for (const [consumer, partitions] of fixedAssignments) {
      this.currentAssignment.set(consumer, partitions);
      this.sortedCurrentSubscriptions.add(consumer);
    }
  }

  /** Moves partitions until balanced or none can move; true if any moved. */
  private performReassignments(reassignablePartitions: readonly TopicPartition[], prevAssignment: ReadonlyMap<string, ConsumerGenerationPair>): boolean {
    let reassignmentPerformed = false;
    let modified: boolean;
    do {
      modified = false;
      for (const partition of reassignablePartitions) {
        if (this.isBalanced()) break;
        if (this.maybeReassignPartition(partition, prevAssignment)) {
          reassignmentPerformed = true;
          modified = true;
        }
      }
    } while (modified);
    return reassignmentPerformed;
  }

  /** One step of performReassignments: back to its stale claimant, or to a member two or more partitions lighter. */
  private maybeReassignPartition(partition: TopicPartition, prevAssignment: ReadonlyMap<string, ConsumerGenerationPair>): boolean {
    const consumer = this.currentPartitionConsumer.get(topicPartitionKey(partition));
    if (consumer === undefined) throw new Error(`NullPointerException in Kafka's GeneralAssignmentBuilder: ${topicPartitionKey(partition)} has no consumer`);
    const load = this.assignmentOf(consumer).length;
    const previousOwner = prevAssignment.get(topicPartitionKey(partition));
    if (previousOwner !== undefined && load > this.assignmentOf(previousOwner.consumer).length + 1) {
      this.reassignPartition(partition, previousOwner.consumer);
      return true;
    }
    const lighter = this.topic2AllPotentialConsumers.get(partition.topic)!.some((otherConsumer) => load > this.assignmentOf(otherConsumer).length + 1);
    if (!lighter) return false;
    const newConsumer = this.sortedConsumers().find((anotherConsumer) => this.consumer2AllPotentialTopics.get(anotherConsumer)!.includes(partition.topic));
    if (newConsumer === undefined) throw new Error(`GeneralAssignmentBuilder: no member can take ${topicPartitionKey(partition)}`);
    this.reassignPartition(partition, newConsumer);
    return true;
  }

  private reassignPartition(partition: TopicPartition, newConsumer: string): void {
    const consumer = this.currentPartitionConsumer.get(topicPartitionKey(partition))!;
    const partitionToBeMoved = this.partitionMovements.getTheActualPartitionToBeMoved(partition, consumer, newConsumer);
    this.processPartitionMovement(partitionToBeMoved, newConsumer);
  }

  private processPartitionMovement(partition: TopicPartition, newConsumer: string): void {
    const key = topicPartitionKey(partition);
    const oldConsumer = this.currentPartitionConsumer.get(key);
    if (oldConsumer === undefined) throw new Error(`NullPointerException in Kafka's GeneralAssignmentBuilder: ${key} has no consumer to move from`);
    this.partitionMovements.movePartition(partition, oldConsumer, newConsumer);
    const oldPartitions = this.assignmentOf(oldConsumer);
    const index = oldPartitions.findIndex((candidate) => topicPartitionKey(candidate) === key);
    if (index >= 0) oldPartitions.splice(index, 1);
    this.assignmentOf(newConsumer).push(partition);
    this.currentPartitionConsumer.set(key, newConsumer);
    // Kafka takes both out of its TreeSet before their loads change and puts them back after.
    this.sortedCurrentSubscriptions.add(newConsumer);
    this.sortedCurrentSubscriptions.add(oldConsumer);
  }

  /** True when loads differ by at most one, or no partition could move to a member two or more lighter. */
  private isBalanced(): boolean {
    const sorted = this.sortedConsumers();
    const min = this.assignmentOf(sorted[0]!).length;
    const max = this.assignmentOf(sorted[sorted.length - 1]!).length;
    if (min >= max - 1) return true;
    const allPartitions = new Map<string, string>();
    for (const [consumer, partitions] of this.currentAssignment) for (const partition of partitions) allPartitions.set(topicPartitionKey(partition), consumer);
    for (const consumer of sorted) {
      const consumerPartitionCount = this.assignmentOf(consumer).length;
      const allSubscribedTopics = this.consumer2AllPotentialTopics.get(consumer)!;
      if (consumerPartitionCount === this.getMaxAssignmentSize(allSubscribedTopics)) continue;
      const mine = new Set(this.assignmentOf(consumer).map(topicPartitionKey));
      for (const topic of allSubscribedTopics) {
        for (let partition = 0; partition < this.partitionsPerTopic.get(topic)!; partition++) {
          const key = topicPartitionKey({ topic, partition });
          if (mine.has(key)) continue;
          const otherConsumer = allPartitions.get(key);
          if (otherConsumer === undefined) throw new Error(`NullPointerException in Kafka's GeneralAssignmentBuilder.isBalanced: ${key} is not assigned`);
          if (consumerPartitionCount + 1 < this.assignmentOf(otherConsumer).length) return false;
        }
      }
    }
    return true;
  }
}
