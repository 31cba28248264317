/**
 * The consumer's fetcher (Kafka's Fetcher with AbstractFetch, FetchBuffer and FetchCollector):
 * Fetch requests as a consumer, the buffer of fetched partitions, and the records poll hands out.
 *
 * What it models:
 * - sendFetches: one Fetch in flight per broker at most, for the fetchable partitions (assigned,
 *   FETCHING, not paused, not pending revocation) that have nothing buffered, each from its
 *   position, to the leader its position was validated against, with its leader epoch
 *   (KIP-320: a leader of another epoch refuses with FENCED_LEADER_EPOCH or UNKNOWN_LEADER_EPOCH);
 *   the broker holds the request up to fetch.max.wait.ms for fetch.min.bytes (long poll);
 * - the answer per partition becomes a completed fetch in the buffer. Errors act as in Kafka:
 *   a stale leader asks for a metadata update; OFFSET_OUT_OF_RANGE for the current position resets
 *   it by auto.offset.reset, or raises OffsetOutOfRange with `none`;
 * - collectFetch: at most max.poll.records records, partition after partition in buffer order;
 *   records are returned only for a partition still fetchable at the very position they were
 *   fetched from, and the position then moves past them, taking the leader epoch of the last
 *   record's batch (what validation later checks);
 * - isolation.level=read_committed: the broker answers below the last stable offset with the
 *   aborted transactions of that range; their records are dropped (abortedTransactions.ts), and
 *   control records are never handed out at either level.
 *
 * Invariant: a partition's position only moves forward here, one record at a time, never past a
 * record not handed out.
 * Left out: fetch sessions (KIP-227), preferred read replicas (KIP-392), KIP-951 leader hints,
 * and byte-accurate limits.
 */

import type { NodeId } from '../host.js';
import { decodeReceivedRecords, type RecordBatch } from '../log/recordBatch.js';
import { CONSUMER_REPLICA_ID, type FetchResponsePartition, type TopicPartition, topicPartitionKey } from '../protocol/apis.js';
import type { KafkaErrorCode } from '../protocol/errors.js';
import { type ConsumedRecord, filterAbortedTransactions } from './abortedTransactions.js';
import type { ConsumerConfig } from './consumerConfig.js';
import type { ConsumerNetworkClient } from './consumerNetworkClient.js';
import type { ConsumerException, ConsumerRecord } from './consumerRecord.js';
import type { ClientMetadata } from './metadata.js';
import { type FetchPosition, type SubscriptionState, samePosition } from './subscriptionState.js';

/** Errors that mean the fetcher's idea of the leader is stale: refresh metadata, then fetch again. */
const STALE_LEADER_ERRORS: ReadonlySet<KafkaErrorCode> = new Set<KafkaErrorCode>([
  'NOT_LEADER_OR_FOLLOWER',
  'FENCED_LEADER_EPOCH',
  'KAFKA_STORAGE_ERROR',
  'OFFSET_NOT_AVAILABLE',
  'UNKNOWN_TOPIC_OR_PARTITION',
  'UNKNOWN_TOPIC_ID',
]);

/** One partition's answer, waiting in the buffer (Kafka's CompletedFetch). */
interface CompletedFetch {
  readonly partition: TopicPartition;
  /** The position the request was sent from. */
  readonly requestPosition: FetchPosition;
  readonly errorCode: KafkaErrorCode;
  readonly records: readonly ConsumerRecord[];
  /** Index of the next record to hand out. */
  nextIndex: number;
  /** The offset after the last record handed out (Kafka's nextFetchOffset). */
  nextFetchOffset: number;
  /** Where the fetched batches end, and the epoch of the last one: control batches end a fetch without records. */
  readonly batchesEnd: { readonly offset: number; readonly epoch: number } | null;
}

/** What collectFetch handed out; `drained` says whether it used up buffered answers (errors included), which may call for another round. */
export type CollectedFetch = { readonly records: ConsumerRecord[]; readonly exception: ConsumerException | null; readonly drained: boolean };

export class Fetcher {
  private readonly buffer: CompletedFetch[] = [];
  /** Brokers with a Fetch in flight. */
  private readonly nodesWithPendingFetch = new Set<NodeId>();

  constructor(
    private readonly subscriptions: SubscriptionState,
    private readonly metadata: ClientMetadata,
    private readonly network: ConsumerNetworkClient,
    private readonly config: ConsumerConfig,
  ) {}

  /** Whether any fetched data waits to be collected. */
  hasAvailableFetches(): boolean {
    return this.buffer.some((fetch) => this.subscriptions.isFetchable(fetch.partition) || fetch.errorCode !== 'NONE');
  }

  hasPendingFetch(): boolean {
    return this.nodesWithPendingFetch.size > 0;
  }

  /** Sends a Fetch to every leader of a fetchable partition that has none in flight; returns how many. */
  sendFetches(): number {
    const byNode = new Map<NodeId, Array<{ partition: TopicPartition; position: FetchPosition }>>();
    const buffered = new Set(this.buffer.map((fetch) => topicPartitionKey(fetch.partition)));
    for (const partition of this.subscriptions.fetchablePartitions()) {
      if (buffered.has(topicPartitionKey(partition))) continue;
      const position = this.subscriptions.position(partition)!;
      const leader = position.currentLeader.leader;
      if (leader === null) {
        this.metadata.requestUpdate();
        continue;
      }
      if (this.nodesWithPendingFetch.has(leader)) continue;
      byNode.set(leader, [...(byNode.get(leader) ?? []), { partition, position }]);
    }
    for (const [node, partitions] of byNode) this.sendFetch(node, partitions);
    return byNode.size;
  }

  private sendFetch(node: NodeId, partitions: ReadonlyArray<{ partition: TopicPartition; position: FetchPosition }>): void {
    const topics = new Map<string, Array<{ partition: TopicPartition; position: FetchPosition }>>();
    for (const entry of partitions) topics.set(entry.partition.topic, [...(topics.get(entry.partition.topic) ?? []), entry]);
    this.nodesWithPendingFetch.add(node);
    this.network.send(
      node,
      {
        api: 'Fetch',
        replicaId: CONSUMER_REPLICA_ID,
        replicaEpoch: -1,
        maxWaitMs: this.config.fetchMaxWaitMs,
        minBytes: this.config.fetchMinBytes,
        maxBytes: this.config.fetchMaxBytes,
        isolationLevel: this.config.isolationLevel === 'read_committed' ? 1 : 0,
        topics: [...topics].map(([topic, entries]) => ({
          topic,
          partitions: entries.map(({ partition, position }) => ({
            partition: partition.partition,
            currentLeaderEpoch: position.currentLeader.epoch ?? -1,
            fetchOffset: position.offset,
            // A consumer sends no last fetched epoch: it validates with OffsetsForLeaderEpoch instead.
            lastFetchedEpoch: -1,
            logStartOffset: -1,
            partitionMaxBytes: this.config.maxPartitionFetchBytes,
          })),
        })),
      },
      // The broker may hold the fetch for fetch.max.wait.ms before answering.
      this.config.requestTimeoutMs + this.config.fetchMaxWaitMs,
      (outcome) => {
        this.nodesWithPendingFetch.delete(node);
        if (!outcome.ok) {
          this.metadata.requestUpdate();
          return;
        }
        for (const topic of outcome.response.responses) {
          for (const data of topic.partitions) {
            const partition = { topic: topic.topic, partition: data.partitionIndex };
            const sent = partitions.find((entry) => entry.partition.topic === partition.topic && entry.partition.partition === partition.partition);
            if (sent !== undefined) this.buffer.push(this.completedFetch(partition, sent.position, data));
          }
        }
      },
    );
  }

  private completedFetch(partition: TopicPartition, requestPosition: FetchPosition, data: FetchResponsePartition): CompletedFetch {
    const records: ConsumerRecord[] = [];
    // check.crcs (default true): every batch received is checked before a record of it is returned.
    // Kafka's consumer raises a corrupt batch to the application (CorruptRecordException); here the
    // partition's fetch fails and is sent again, as no workload of ksim could seek past it.
    const received = decodeReceivedRecords(data.records);
    if (received === null) return { partition, requestPosition, errorCode: 'CORRUPT_MESSAGE', records, nextIndex: 0, nextFetchOffset: requestPosition.offset, batchesEnd: null };
    const batches = received.map(({ batch }) => batch);
    const lastBatch = batches[batches.length - 1];
    const batchesEnd = lastBatch === undefined ? null : { offset: lastBatch.baseOffset + lastBatch.lastOffsetDelta + 1, epoch: lastBatch.partitionLeaderEpoch };
    for (const consumed of this.consumedRecords(batches, data, requestPosition.offset)) {
      const { offset, record, leaderEpoch } = consumed;
      records.push({ topic: partition.topic, partition: partition.partition, offset, leaderEpoch, key: record.key, value: record.value, timestampMs: record.timestampMs });
    }
    if (data.errorCode === 'NONE') {
      this.subscriptions.updateHighWatermark(partition, data.highWatermark);
      this.subscriptions.updateLogStartOffset(partition, data.logStartOffset);
    }
    return { partition, requestPosition, errorCode: data.errorCode, records, nextIndex: 0, nextFetchOffset: requestPosition.offset, batchesEnd };
  }

  /**
   * The records of a fetch the application may see, from the fetch offset on (a batch may begin
   * before it: those records were handed out already), never a control record. At read_committed
   * the records of the transactions the response lists as aborted are dropped too (Kafka's
   * CompletedFetch); the broker sent nothing at or above the last stable offset.
   */
  private consumedRecords(batches: readonly RecordBatch[], data: FetchResponsePartition, fetchOffset: number): ConsumedRecord[] {
    if (this.config.isolationLevel === 'read_committed') return filterAbortedTransactions(batches, data.abortedTransactions ?? [], fetchOffset);
    const consumed: ConsumedRecord[] = [];
    for (const batch of batches) {
      if (batch.isControl) continue;
      batch.records.forEach((record, index) => {
        const offset = batch.baseOffset + index;
        if (offset >= fetchOffset) consumed.push({ offset, record, leaderEpoch: batch.partitionLeaderEpoch });
      });
    }
    return consumed;
  }

  /** Hands out up to max.poll.records buffered records, advancing positions (FetchCollector.collectFetch). */
  collectFetch(): CollectedFetch {
    const records: ConsumerRecord[] = [];
    const bufferedBefore = this.buffer.length;
    while (records.length < this.config.maxPollRecords) {
      const fetch = this.buffer[0];
      if (fetch === undefined) break;
      if (fetch.errorCode !== 'NONE') {
        const exception = this.handleError(fetch);
        if (exception !== null && records.length > 0) break; // raised by the next poll, as Kafka does
        this.buffer.shift();
        if (exception !== null) return { records, exception, drained: true };
        continue;
      }
      if (this.subscriptions.isPaused(fetch.partition) && this.subscriptions.isAssigned(fetch.partition)) {
        // Kafka keeps a paused partition's data for when it is resumed; it goes to the back.
        this.buffer.shift();
        this.buffer.push(fetch);
        if (this.buffer.every((waiting) => this.subscriptions.isPaused(waiting.partition))) break;
        continue;
      }
      records.push(...this.fetchRecords(fetch, this.config.maxPollRecords - records.length));
      if (fetch.nextIndex >= fetch.records.length) this.buffer.shift();
    }
    return { records, exception: null, drained: this.buffer.length < bufferedBefore };
  }

  /** Records of one completed fetch, if the partition is still fetchable at the position they follow. */
  private fetchRecords(fetch: CompletedFetch, maxRecords: number): ConsumerRecord[] {
    const position = this.subscriptions.isFetchable(fetch.partition) ? this.subscriptions.position(fetch.partition)! : null;
    if (position === null || fetch.nextFetchOffset !== position.offset) {
      // No longer assigned, paused or about to be revoked, or the position moved (a seek, a reset)
      // while the fetch was in flight: what it brought is dropped.
      fetch.nextIndex = fetch.records.length;
      return [];
    }
    const taken = fetch.records.slice(fetch.nextIndex, fetch.nextIndex + maxRecords);
    fetch.nextIndex += taken.length;
    const last = taken[taken.length - 1];
    if (last !== undefined) {
      fetch.nextFetchOffset = last.offset + 1;
      this.subscriptions.advancePosition(fetch.partition, { offset: fetch.nextFetchOffset, offsetEpoch: last.leaderEpoch, currentLeader: position.currentLeader });
    } else if (fetch.nextIndex >= fetch.records.length && fetch.batchesEnd !== null && fetch.batchesEnd.offset > position.offset) {
      // Only control records were left: the position still moves past them.
      fetch.nextFetchOffset = fetch.batchesEnd.offset;
      this.subscriptions.advancePosition(fetch.partition, { offset: fetch.batchesEnd.offset, offsetEpoch: fetch.batchesEnd.epoch, currentLeader: position.currentLeader });
    }
    return taken;
  }

  /** Kafka's FetchCollector.handleInitializeErrors. */
  private handleError(fetch: CompletedFetch): ConsumerException | null {
    const { partition, errorCode } = fetch;
    if (STALE_LEADER_ERRORS.has(errorCode)) {
      this.metadata.requestUpdate();
      return null;
    }
    if (errorCode === 'OFFSET_OUT_OF_RANGE') {
      const position = this.subscriptions.position(partition);
      // An answer about a position the consumer has left since is stale.
      if (position === null || !samePosition(position, fetch.requestPosition) || !this.subscriptions.isAssigned(partition)) return null;
      if (this.subscriptions.hasDefaultOffsetResetPolicy()) {
        this.subscriptions.requestOffsetReset(partition);
        return null;
      }
      return { kind: 'OffsetOutOfRange', partition, offset: position.offset };
    }
    // UNKNOWN_LEADER_EPOCH: the broker has not caught up with the epoch; fetch again. Others: retry.
    return null;
  }

  /** Drops buffered data of partitions no longer assigned (after a rebalance or assign()). */
  clearBufferedDataForUnassignedPartitions(): void {
    for (let index = this.buffer.length - 1; index >= 0; index--) {
      if (!this.subscriptions.isAssigned(this.buffer[index]!.partition)) this.buffer.splice(index, 1);
    }
  }

  /** Drops buffered data of a partition whose position the application moved (seek). */
  clearBufferedDataFor(partition: TopicPartition): void {
    for (let index = this.buffer.length - 1; index >= 0; index--) {
      const fetch = this.buffer[index]!;
      if (fetch.partition.topic === partition.topic && fetch.partition.partition === partition.partition) this.buffer.splice(index, 1);
    }
  }
}
