/**
 * AbstractStickyAssignor.PartitionMovements: the partitions the general sticky assignment has moved
 * so far in one rebalance, each as one movement from its original member to its current one, so a
 * later move can undo an earlier one instead of moving a second partition the opposite way.
 *
 * Invariant: a partition has at most one movement record, from the member that held it when the
 * balancing began to the member that holds it now; a partition moved back home has none.
 *
 * When a partition is to move from one member to another and some partition of the same topic has
 * already moved the opposite way, Kafka moves that partition back instead; which one it picks is the
 * first of a HashSet, so the set keeps Java's iteration order (javaHashOrder.ts).
 *
 * Left out: isSticky's cycle detection, which Kafka only logs and tests.
 */

import { type TopicPartition, topicPartitionKey } from '../../protocol/apis.js';
import { JavaHashOrder, topicPartitionHashCode } from '../../util/javaHashOrder.js';

/** AbstractStickyAssignor.ConsumerPair: a movement's source and destination members. */
interface ConsumerPair {
  readonly srcMemberId: string;
  readonly dstMemberId: string;
}

function consumerPairKey(pair: ConsumerPair): string {
  return JSON.stringify([pair.srcMemberId, pair.dstMemberId]);
}

export class PartitionMovements {
  private readonly partitionMovementsByTopic = new Map<string, Map<string, JavaHashOrder<TopicPartition>>>();
  private readonly partitionMovements = new Map<string, { readonly partition: TopicPartition; readonly pair: ConsumerPair }>();

  private removeMovementRecordOfPartition(partition: TopicPartition): ConsumerPair {
    const key = topicPartitionKey(partition);
    const record = this.partitionMovements.get(key);
    if (record === undefined) throw new Error(`PartitionMovements: ${key} has no movement to remove`);
    this.partitionMovements.delete(key);
    const forThisTopic = this.partitionMovementsByTopic.get(partition.topic)!;
    const pairKey = consumerPairKey(record.pair);
    const partitions = forThisTopic.get(pairKey)!;
    partitions.delete(key);
    if (partitions.size === 0) forThisTopic.delete(pairKey);
    if (forThisTopic.size === 0) this.partitionMovementsByTopic.delete(partition.topic);
    return record.pair;
  }

  private addPartitionMovementRecord(partition: TopicPartition, pair: ConsumerPair): void {
    const key = topicPartitionKey(partition);
    this.partitionMovements.set(key, { partition, pair });
    let forThisTopic = this.partitionMovementsByTopic.get(partition.topic);
    if (forThisTopic === undefined) this.partitionMovementsByTopic.set(partition.topic, (forThisTopic = new Map()));
    const pairKey = consumerPairKey(pair);
    let partitions = forThisTopic.get(pairKey);
    if (partitions === undefined) forThisTopic.set(pairKey, (partitions = new JavaHashOrder(topicPartitionHashCode)));
    partitions.add(key, partition);
  }

  /** Records a move; a partition returning to the member it started on has no record left. */
  movePartition(partition: TopicPartition, oldConsumer: string, newConsumer: string): void {
    if (!this.partitionMovements.has(topicPartitionKey(partition))) {
      this.addPartitionMovementRecord(partition, { srcMemberId: oldConsumer, dstMemberId: newConsumer });
      return;
    }
    // Kafka asserts here that the partition's last movement ended on oldConsumer; Java runs with
    // assertions off, so a broken record would not stop it either.
    const existingPair = this.removeMovementRecordOfPartition(partition);
    if (existingPair.srcMemberId !== newConsumer) this.addPartitionMovementRecord(partition, { srcMemberId: existingPair.srcMemberId, dstMemberId: newConsumer });
  }

  /**
   * The partition to move from oldConsumer to newConsumer: this one, unless a partition of its topic
   * already moved from newConsumer to this one's original member, which then moves back instead.
   */
  getTheActualPartitionToBeMoved(partition: TopicPartition, oldConsumer: string, newConsumer: string): TopicPartition {
    const forThisTopic = this.partitionMovementsByTopic.get(partition.topic);
    if (forThisTopic === undefined) return partition;
    const existing = this.partitionMovements.get(topicPartitionKey(partition));
    const originalConsumer = existing === undefined ? oldConsumer : existing.pair.srcMemberId;
    const reverse = forThisTopic.get(consumerPairKey({ srcMemberId: newConsumer, dstMemberId: originalConsumer }));
    if (reverse === undefined) return partition;
    return reverse.values()[0]!;
  }
}
