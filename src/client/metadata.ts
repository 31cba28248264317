/**
 * A client's view of the cluster (Kafka's Metadata, which ProducerMetadata and ConsumerMetadata
 * extend): the live brokers and, per topic the client uses, its id and each partition's leader and
 * leader epoch.
 *
 * What it models: updates from MetadataResponse, the `needUpdate` flag that errors raise
 * (NOT_LEADER_OR_FOLLOWER, a lost connection, a partition without a leader, ...) and the periodic
 * refresh every `metadata.max.age.ms`.
 *
 * Invariant: a partition's cached leader epoch never goes down. A response that reports an older
 * leader epoch than the cached one comes from a broker that has not caught up with the controller;
 * it is ignored for that partition (KIP-320, Kafka 2.1: before it, a stale broker could point the
 * producer back at a deposed leader).
 *
 * Left out: rack awareness, and KIP-951's leader hints in Produce and Fetch responses.
 */

import type { NodeId } from '../host.js';
import type { MetadataResponse } from '../protocol/apis.js';

export interface PartitionInfo {
  readonly leaderId: NodeId | null;
  readonly leaderEpoch: number;
}

export class ClientMetadata {
  /** Insertion-ordered: the order in which the producer first used each topic. */
  private readonly topics = new Map<string, PartitionInfo[]>();
  /** Topics the client wants metadata for, known or not. */
  private readonly wanted = new Set<string>();
  /** Topic ids by name, for the topics the cluster answered (ConsumerGroupHeartbeat names topics by id). */
  private readonly topicIds = new Map<string, string>();
  private brokers: NodeId[];
  private needUpdate = true;
  /** When the last successful update arrived; -Infinity before the first. */
  private lastRefreshMs = Number.NEGATIVE_INFINITY;

  constructor(bootstrapBrokers: readonly NodeId[]) {
    if (bootstrapBrokers.length === 0) throw new Error('ClientMetadata: no bootstrap brokers');
    this.brokers = [...bootstrapBrokers];
  }

  /** The brokers to ask for metadata: the last live set, or the bootstrap list before any answer. */
  liveBrokers(): readonly NodeId[] {
    return this.brokers;
  }

  addTopic(topic: string): void {
    if (this.wanted.has(topic)) return;
    this.wanted.add(topic);
    this.needUpdate = true;
  }

  wantedTopics(): string[] {
    return [...this.wanted];
  }

  requestUpdate(): void {
    this.needUpdate = true;
  }

  /** Whether a refresh is due: asked for, or older than metadata.max.age.ms. */
  updateDue(nowMs: number, maxAgeMs: number): boolean {
    return this.needUpdate || nowMs - this.lastRefreshMs >= maxAgeMs;
  }

  /** When the periodic refresh falls due (for the producer's wakeup timer). */
  nextRefreshMs(maxAgeMs: number): number {
    return this.lastRefreshMs + maxAgeMs;
  }

  /** The partition count, or null while the topic is unknown. */
  partitionCount(topic: string): number | null {
    const partitions = this.topics.get(topic);
    return partitions === undefined || partitions.length === 0 ? null : partitions.length;
  }

  leaderFor(topic: string, partition: number): NodeId | null {
    return this.topics.get(topic)?.[partition]?.leaderId ?? null;
  }

  /** The partition's leader and leader epoch, or null while the partition is unknown. */
  partitionInfo(topic: string, partition: number): PartitionInfo | null {
    return this.topics.get(topic)?.[partition] ?? null;
  }

  topicIdOf(topic: string): string | null {
    return this.topicIds.get(topic) ?? null;
  }

  topicNameOf(topicId: string): string | null {
    for (const [name, id] of this.topicIds) if (id === topicId) return name;
    return null;
  }

  /** Stops asking for a topic the client no longer uses. */
  removeTopic(topic: string): void {
    this.wanted.delete(topic);
  }

  /** The partitions with a known leader, in partition order. */
  availablePartitions(topic: string): number[] {
    const partitions = this.topics.get(topic) ?? [];
    return partitions.flatMap((info, index) => (info.leaderId === null ? [] : [index]));
  }

  /**
   * Applies a response. Returns true when it left something unknown that the cluster itself must fix
   * (an unknown topic, a partition without a leader), so the next request should wait for the retry
   * backoff; a topic that was merely added after the request left is asked for at once.
   */
  update(response: MetadataResponse, nowMs: number): boolean {
    if (response.brokers.length > 0) this.brokers = [...response.brokers];
    const missing = [...this.wanted].some((name) => !response.topics.some((topic) => topic.name === name));
    let incomplete = false;
    for (const topic of response.topics) {
      if (!this.wanted.has(topic.name)) continue;
      if (topic.errorCode !== 'NONE') {
        // UNKNOWN_TOPIC_OR_PARTITION or LEADER_NOT_AVAILABLE (auto-creation under way): ask again.
        incomplete = true;
        continue;
      }
      this.topicIds.set(topic.name, topic.topicId);
      const previous = this.topics.get(topic.name) ?? [];
      const next: PartitionInfo[] = [];
      for (const partition of topic.partitions) {
        const cached = previous[partition.partitionIndex];
        const stale = cached !== undefined && partition.leaderEpoch < cached.leaderEpoch;
        const info = stale ? cached : { leaderId: partition.errorCode === 'NONE' ? partition.leaderId : null, leaderEpoch: partition.leaderEpoch };
        if (info.leaderId === null || stale) incomplete = true;
        next[partition.partitionIndex] = info;
      }
      for (let index = 0; index < next.length; index++) {
        if (next[index] === undefined) throw new Error(`metadata: topic ${topic.name} lacks partition ${index}`);
      }
      this.topics.set(topic.name, next);
    }
    this.needUpdate = incomplete || missing;
    this.lastRefreshMs = nowMs;
    return incomplete;
  }
}
