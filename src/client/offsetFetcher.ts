/**
 * Positions the consumer must look up before it can fetch (Kafka's OffsetFetcher with
 * OffsetFetcherUtils and OffsetsForLeaderEpochUtils):
 * - resets: a partition in AWAIT_RESET asks its leader for the earliest (log start) or latest
 *   (high watermark) offset with ListOffsets, and starts there. A reset position carries no epoch,
 *   so it is not validated (Kafka's resetPositionIfNeeded);
 * - validation (KIP-320): a position whose epoch is known, after the leader changed (or taken from a
 *   committed offset), asks the new leader with OffsetsForLeaderEpoch where that epoch ends in its
 *   log; SubscriptionState.maybeCompleteValidation decides: fine, truncated (back to where the epoch
 *   ends), or LogTruncation without a reset policy.
 *
 * Requests go to each partition's current leader, one per leader, with the leader epoch the
 * consumer knows; a failed or refused request backs the partitions off for retry.backoff.ms and asks
 * for a metadata update. Metadata changes are checked each round: a position validated against
 * another leader or epoch than the metadata's current one awaits validation again. Where a reset or
 * a detected truncation moves a position, it is traced (`consumer.offset-reset`), as Kafka logs it.
 *
 * Left out: ListOffsets by timestamp (offsetsForTimes) and `by_duration` resets.
 */

import type { NodeId, TraceEvent } from '../host.js';
import { CONSUMER_REPLICA_ID, EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, type TopicPartition, topicPartitionKey } from '../protocol/apis.js';
import type { AutoOffsetReset, ConsumerConfig } from './consumerConfig.js';
import type { ConsumerNetworkClient } from './consumerNetworkClient.js';
import type { ClientMetadata } from './metadata.js';
import type { FetchPosition, LeaderAndEpoch, LogTruncation, SubscriptionState } from './subscriptionState.js';

export class OffsetFetcher {
  /** A truncation found by a validation answer, raised by the next poll (cachedValidatePositionsException). */
  private pendingTruncation: LogTruncation | null = null;

  constructor(
    private readonly subscriptions: SubscriptionState,
    private readonly metadata: ClientMetadata,
    private readonly network: ConsumerNetworkClient,
    private readonly config: ConsumerConfig,
    private readonly nowMs: () => number,
    /** Where a reset or a detected truncation moves a position, for whoever watches (the checker). */
    private readonly trace: (event: TraceEvent) => void,
  ) {}

  /** The leader and epoch the metadata names for a partition now. */
  currentLeader(partition: TopicPartition): LeaderAndEpoch {
    const info = this.metadata.partitionInfo(partition.topic, partition.partition);
    return { leader: info?.leaderId ?? null, epoch: info === null || info.leaderEpoch < 0 ? null : info.leaderEpoch };
  }

  // ---- Validation (KIP-320) ----

  /** validatePositionsIfNeeded: returns a truncation found since the last call, to be raised by poll. */
  validatePositionsIfNeeded(): LogTruncation | null {
    const truncation = this.pendingTruncation;
    this.pendingTruncation = null;
    if (truncation !== null) return truncation;
    for (const partition of this.subscriptions.assignedPartitions()) {
      this.subscriptions.maybeValidatePositionForCurrentLeader(partition, this.currentLeader(partition));
    }
    const toValidate = this.subscriptions.partitionsInState('AWAIT_VALIDATION', this.nowMs());
    for (const [leader, partitions] of this.byLeader(toValidate)) this.sendOffsetsForLeaderEpoch(leader, partitions);
    return null;
  }

  private sendOffsetsForLeaderEpoch(leader: NodeId, partitions: readonly TopicPartition[]): void {
    const positions = new Map(partitions.map((partition) => [topicPartitionKey(partition), this.subscriptions.position(partition)!]));
    this.subscriptions.requestFailed(partitions, this.nowMs() + this.config.requestTimeoutMs);
    this.network.send(
      leader,
      {
        api: 'OffsetsForLeaderEpoch',
        // A consumer asks as Kafka's does (OffsetsForLeaderEpochRequest.Builder.forConsumer).
        replicaId: CONSUMER_REPLICA_ID as unknown as NodeId,
        topics: groupByTopic(partitions).map(([topic, group]) => ({
          topic,
          partitions: group.map((partition) => {
            const position = positions.get(topicPartitionKey(partition))!;
            return { partition: partition.partition, currentLeaderEpoch: position.currentLeader.epoch ?? -1, leaderEpoch: position.offsetEpoch ?? -1 };
          }),
        })),
      },
      this.config.requestTimeoutMs,
      (outcome) => {
        if (!outcome.ok) return this.failed(partitions);
        const retry: TopicPartition[] = [];
        for (const topic of outcome.response.topics) {
          for (const data of topic.partitions) {
            const partition = { topic: topic.topic, partition: data.partition };
            const requestPosition = positions.get(topicPartitionKey(partition));
            if (requestPosition === undefined) continue;
            if (data.errorCode !== 'NONE') {
              retry.push(partition);
              continue;
            }
            const truncation = this.subscriptions.maybeCompleteValidation(partition, requestPosition, { leaderEpoch: data.leaderEpoch, endOffset: data.endOffset });
            if (truncation !== null) this.pendingTruncation ??= truncation;
            const moved = this.subscriptions.position(partition);
            if (truncation === null && moved !== null && moved.offset !== requestPosition.offset) {
              this.traceReset(partition, requestPosition.offset, moved.offset, 'truncation');
            }
          }
        }
        if (retry.length > 0) this.failed(retry);
      },
    );
  }

  // ---- Resets by auto.offset.reset ----

  /** resetPositionsIfNeeded: a ListOffsets to each leader of the partitions awaiting a reset. */
  resetPositionsIfNeeded(): void {
    const toReset = this.subscriptions.partitionsInState('AWAIT_RESET', this.nowMs());
    for (const [leader, partitions] of this.byLeader(toReset)) this.sendListOffsets(leader, partitions);
  }

  private sendListOffsets(leader: NodeId, partitions: readonly TopicPartition[]): void {
    const strategies = new Map(partitions.map((partition) => [topicPartitionKey(partition), this.subscriptions.resetStrategy(partition)!]));
    const leaders = new Map(partitions.map((partition) => [topicPartitionKey(partition), this.currentLeader(partition)]));
    this.subscriptions.requestFailed(partitions, this.nowMs() + this.config.requestTimeoutMs);
    this.network.send(
      leader,
      {
        api: 'ListOffsets',
        replicaId: CONSUMER_REPLICA_ID,
        isolationLevel: this.config.isolationLevel === 'read_committed' ? 1 : 0,
        topics: groupByTopic(partitions).map(([name, group]) => ({
          name,
          partitions: group.map((partition) => ({
            partitionIndex: partition.partition,
            currentLeaderEpoch: leaders.get(topicPartitionKey(partition))!.epoch ?? -1,
            timestamp: strategies.get(topicPartitionKey(partition)) === 'earliest' ? EARLIEST_TIMESTAMP : LATEST_TIMESTAMP,
          })),
        })),
      },
      this.config.requestTimeoutMs,
      (outcome) => {
        if (!outcome.ok) return this.failed(partitions);
        const retry: TopicPartition[] = [];
        for (const topic of outcome.response.topics) {
          for (const data of topic.partitions) {
            const partition = { topic: topic.name, partition: data.partitionIndex };
            const strategy = strategies.get(topicPartitionKey(partition));
            if (strategy === undefined) continue;
            if (data.errorCode !== 'NONE') {
              retry.push(partition);
              continue;
            }
            // No epoch: a reset position is not validated (Kafka's resetPositionIfNeeded).
            const position: FetchPosition = { offset: data.offset, offsetEpoch: null, currentLeader: leaders.get(topicPartitionKey(partition))! };
            const before = this.subscriptions.position(partition)?.offset ?? null;
            if (this.subscriptions.maybeSeekUnvalidated(partition, position, strategy)) this.traceReset(partition, before, data.offset, strategy);
          }
        }
        if (retry.length > 0) this.failed(retry);
      },
    );
  }

  // ---- Shared ----

  /** Kafka logs "Resetting offset for partition ... to position ..."; ksim traces it. */
  private traceReset(partition: TopicPartition, from: number | null, to: number, reason: AutoOffsetReset | 'truncation'): void {
    this.trace({ type: 'consumer.offset-reset', partition: topicPartitionKey(partition), from, to, reason });
  }

  /** Partitions grouped by their current leader; a partition without one asks for a metadata update. */
  private byLeader(partitions: readonly TopicPartition[]): Map<NodeId, TopicPartition[]> {
    const groups = new Map<NodeId, TopicPartition[]>();
    for (const partition of partitions) {
      const leader = this.currentLeader(partition).leader;
      if (leader === null) {
        this.metadata.requestUpdate();
        continue;
      }
      groups.set(leader, [...(groups.get(leader) ?? []), partition]);
    }
    return groups;
  }

  private failed(partitions: readonly TopicPartition[]): void {
    this.subscriptions.requestFailed(partitions, this.nowMs() + this.config.retryBackoffMs);
    this.metadata.requestUpdate();
  }
}

function groupByTopic(partitions: readonly TopicPartition[]): Array<[string, TopicPartition[]]> {
  const groups = new Map<string, TopicPartition[]>();
  for (const partition of partitions) groups.set(partition.topic, [...(groups.get(partition.topic) ?? []), partition]);
  return [...groups];
}
