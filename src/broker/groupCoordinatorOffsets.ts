/**
 * OffsetMetadataManager: the committed offsets of the groups one `__consumer_offsets` partition
 * holds (Kafka's OffsetMetadataManager).
 *
 * - OffsetCommit: the commit is first validated against the group (GroupMetadataManager: a classic
 *   group checks member and generation, a consumer group member and epoch; a fenced member is
 *   refused here, so its commit never reaches the log), then each partition's metadata against
 *   offset.metadata.max.bytes. What passes becomes one OffsetCommit record per partition; the
 *   answer goes out once they are committed (CoordinatorRuntime).
 * - OffsetFetch reads committed state only: for each partition, the newest commit whose record is
 *   below the partition's high watermark (Kafka reads its timeline snapshot at the last committed
 *   offset). A commit that is written but not yet committed is invisible, and one that a failover
 *   loses was never seen.
 *
 * - TxnOffsetCommit (KIP-98, KIP-447): validated against the group's member and generation like
 *   a commit (validateTransactionalOffsetCommit), written as the producer's transactional batch,
 *   and replayed as *pending* offsets of that producer. The transaction's marker, written to this
 *   partition by WriteTxnMarkers, ends them (Kafka's replayEndTransactionMarker): COMMIT moves them
 *   among the committed offsets, visible once the marker itself is committed; ABORT drops them.
 *   Where a plain commit was written after the transactional one, the plain one stays (Kafka keeps
 *   the commit with the higher record offset, since it cannot tell their order otherwise).
 * - OffsetFetch with requireStable: a partition with pending transactional offsets answers
 *   UNSTABLE_OFFSET_COMMIT, so a consumer taking over a partition does not start from an offset
 *   that an open transaction is about to move (KIP-447).
 *
 * Invariant: each (group, topic, partition) keeps its commits in order of their record offsets,
 * which is also the order of the offsets at which they become visible, pruned to the newest
 * visible one below the high watermark and those after it.
 *
 * Left out: offset expiration (offsets.retention.minutes), deleting offsets (OffsetDelete), and
 * KIP-890's verification of TxnOffsetCommit with the transaction coordinator.
 */
import type { OffsetCommitRequest, OffsetCommitResponse, OffsetFetchRequest, OffsetFetchResponse, TxnOffsetCommitRequest } from '../protocol/apis.js';
import { NO_COMMITTED_OFFSET } from '../protocol/apis.js';
import type { KafkaErrorCode } from '../protocol/errors.js';
import type { CoordinatorRecord, OffsetCommitKey, OffsetCommitValue } from './groupCoordinatorRecords.js';
import type { CoordinatorResult, ShardContext } from './groupCoordinatorRuntime.js';
import { compareStrings } from '../util/compare.js';
import type { ReplayedTxnMarker } from './replicaManager.js';

/** What offsets need to know about groups: whether a commit or fetch may go ahead (NONE), or why not. */
export interface GroupOffsetValidator {
  validateOffsetCommit(groupId: string, memberId: string, groupInstanceId: string | null, generationIdOrMemberEpoch: number): KafkaErrorCode;
  validateOffsetFetch(groupId: string, memberId: string | null, memberEpoch: number): KafkaErrorCode;
  validateTransactionalOffsetCommit(groupId: string, memberId: string, groupInstanceId: string | null, generationId: number): KafkaErrorCode;
}

interface OffsetEntry {
  readonly value: OffsetCommitValue | null;
  /** Where its record sits in the partition's log: the order of commits. */
  readonly recordOffset: number;
  /** The log offset whose commitment makes it visible: its own record's, or a transactional commit's COMMIT marker's. */
  readonly visibleAtOffset: number;
}

/** A transactional commit not yet ended by its marker. */
interface PendingOffset {
  readonly value: OffsetCommitValue | null;
  readonly recordOffset: number;
}

type OffsetCommitTopicResponse = OffsetCommitResponse['topics'][number];
type OffsetFetchGroupResponse = OffsetFetchResponse['groups'][number];

export class OffsetMetadataManager {
  /** groupId → `topic\u0000partition` → commits in log order. */
  private readonly offsets = new Map<string, Map<string, OffsetEntry[]>>();
  /** producerId → groupId → `topic\u0000partition` → the producer's pending transactional commit. */
  private readonly pendingTransactionalOffsets = new Map<number, Map<string, Map<string, PendingOffset>>>();

  constructor(
    private readonly context: ShardContext,
    private readonly groups: GroupOffsetValidator,
    private readonly offsetMetadataMaxBytes: number,
  ) {}

  // ---- OffsetCommit ----

  commitOffset(request: OffsetCommitRequest): CoordinatorResult<Omit<OffsetCommitResponse, 'correlationId'>> {
    const validation = this.groups.validateOffsetCommit(request.groupId, request.memberId, request.groupInstanceId, request.generationIdOrMemberEpoch);
    const { records, topics, traced } = this.offsetCommitRecords(request.groupId, request.topics, validation);
    // The checker's record of every commit decision: accepted ones are written, refused ones never are.
    this.context.trace({
      type: 'group.offset-commit',
      groupId: request.groupId,
      memberId: request.memberId,
      groupInstanceId: request.groupInstanceId,
      generationIdOrMemberEpoch: request.generationIdOrMemberEpoch,
      errorCode: validation,
      offsets: traced,
    });
    return { records, response: { api: 'OffsetCommitResponse', topics }, replayRecords: true };
  }

  /**
   * TxnOffsetCommit (Kafka's commitTransactionalOffset): the same records as a commit, which the
   * runtime writes as the producer's transactional batch; they stay pending until its marker.
   */
  commitTransactionalOffset(request: TxnOffsetCommitRequest): CoordinatorResult<Omit<OffsetCommitResponse, 'correlationId' | 'api'>> {
    const validation = this.groups.validateTransactionalOffsetCommit(request.groupId, request.memberId, request.groupInstanceId, request.generationId);
    const { records, topics, traced } = this.offsetCommitRecords(request.groupId, request.topics, validation);
    this.context.trace({
      type: 'group.txn-offset-commit',
      groupId: request.groupId,
      transactionalId: request.transactionalId,
      producerId: request.producerId,
      producerEpoch: request.producerEpoch,
      memberId: request.memberId,
      generationId: request.generationId,
      errorCode: validation,
      offsets: traced,
    });
    return { records, response: { topics }, replayRecords: true };
  }

  /** One OffsetCommit record per partition that passes `validation` and offset.metadata.max.bytes, and each partition's answer. */
  private offsetCommitRecords(groupId: string, requested: OffsetCommitRequest['topics'], validation: KafkaErrorCode) {
    const records: CoordinatorRecord[] = [];
    const nowMs = this.context.nowMs();
    const traced: Array<[string, number, number, KafkaErrorCode]> = [];
    const topics: OffsetCommitTopicResponse[] = requested.map((topic) => ({
      name: topic.name,
      partitions: topic.partitions.map((partition) => {
        const metadata = partition.committedMetadata ?? '';
        const errorCode: KafkaErrorCode = validation !== 'NONE' ? validation : utf8Length(metadata) > this.offsetMetadataMaxBytes ? 'OFFSET_METADATA_TOO_LARGE' : 'NONE';
        traced.push([topic.name, partition.partitionIndex, partition.committedOffset, errorCode]);
        if (errorCode === 'NONE') {
          records.push({
            type: 'OffsetCommit',
            key: { groupId, topic: topic.name, partition: partition.partitionIndex },
            value: { offset: partition.committedOffset, leaderEpoch: partition.committedLeaderEpoch, metadata, commitTimestampMs: nowMs },
          });
        }
        return { partitionIndex: partition.partitionIndex, errorCode };
      }),
    }));
    return { records, topics, traced };
  }

  /** An OffsetCommit record: a plain commit (producerId -1), or a pending one of the producer's transaction. */
  replay(key: OffsetCommitKey, value: OffsetCommitValue | null, recordOffset: number, producerId: number = -1): void {
    const partitionKey = `${key.topic}\u0000${key.partition}`;
    if (producerId >= 0) {
      const byGroup = this.pendingTransactionalOffsets.get(producerId) ?? new Map<string, Map<string, PendingOffset>>();
      const byPartition = byGroup.get(key.groupId) ?? new Map<string, PendingOffset>();
      byPartition.set(partitionKey, { value, recordOffset });
      byGroup.set(key.groupId, byPartition);
      this.pendingTransactionalOffsets.set(producerId, byGroup);
      return;
    }
    this.addEntry(key.groupId, partitionKey, { value, recordOffset, visibleAtOffset: recordOffset });
  }

  /**
   * A transaction marker of `marker.producerId` at `markerOffset` (Kafka's
   * replayEndTransactionMarker): COMMIT makes its pending offsets committed offsets, visible once
   * the marker is; ABORT drops them.
   */
  replayEndTransactionMarker(marker: ReplayedTxnMarker, markerOffset: number): void {
    const byGroup = this.pendingTransactionalOffsets.get(marker.producerId);
    if (byGroup === undefined) return;
    this.pendingTransactionalOffsets.delete(marker.producerId);
    const completed: Array<[string, string, number]> = [];
    for (const [groupId, byPartition] of byGroup) {
      for (const [partitionKey, pending] of byPartition) {
        completed.push([groupId, partitionKey, pending.value?.offset ?? -1]);
        if (!marker.committed) continue;
        const latest = this.offsets.get(groupId)?.get(partitionKey)?.at(-1);
        // A plain commit written after this one wins: Kafka keeps the higher record offset.
        if (latest !== undefined && latest.recordOffset > pending.recordOffset) continue;
        this.addEntry(groupId, partitionKey, { value: pending.value, recordOffset: pending.recordOffset, visibleAtOffset: markerOffset });
      }
    }
    this.context.trace({ type: 'group.txn-offsets-completed', producerId: marker.producerId, producerEpoch: marker.producerEpoch, committed: marker.committed, markerOffset, offsets: completed });
  }

  /**
   * Whether a transaction's commit of this group's partition is unsettled (UNSTABLE_OFFSET_COMMIT):
   * pending, or committed by a marker that is not yet below the high watermark.
   */
  private hasUnsettledTransactionalOffsets(groupId: string, partitionKey: string, highWatermark: number): boolean {
    for (const byGroup of this.pendingTransactionalOffsets.values()) if (byGroup.get(groupId)?.has(partitionKey) === true) return true;
    const entries = this.offsets.get(groupId)?.get(partitionKey) ?? [];
    return entries.some((entry) => entry.visibleAtOffset !== entry.recordOffset && entry.visibleAtOffset >= highWatermark);
  }

  private addEntry(groupId: string, partitionKey: string, entry: OffsetEntry): void {
    let byPartition = this.offsets.get(groupId);
    if (byPartition === undefined) {
      byPartition = new Map();
      this.offsets.set(groupId, byPartition);
    }
    const entries = byPartition.get(partitionKey) ?? [];
    entries.push(entry);
    byPartition.set(partitionKey, pruneBelow(entries, this.context.highWatermark()));
  }

  // ---- OffsetFetch ----

  /**
   * The group's committed offsets, read below the high watermark. With `requireStable`, a
   * partition whose transactional commit is not settled answers UNSTABLE_OFFSET_COMMIT: one still
   * pending, or one whose COMMIT marker is written but not yet committed. (Kafka answers
   * requireStable as a write operation that reads the newest state once every write is committed;
   * refusing the unsettled partition instead gives the consumer the same answer after its retry,
   * and leaves fetches of groups without transactions as they were.)
   */
  fetchOffsets(group: OffsetFetchRequest['groups'][number], requireStable = false): OffsetFetchGroupResponse {
    const validation = this.groups.validateOffsetFetch(group.groupId, group.memberId, group.memberEpoch);
    if (validation !== 'NONE') return { groupId: group.groupId, topics: [], errorCode: validation };
    const highWatermark = this.context.highWatermark();
    const committed = this.committedOffsets(group.groupId, highWatermark);
    const wanted = group.topics ?? groupTopics(committed);
    return {
      groupId: group.groupId,
      errorCode: 'NONE',
      topics: wanted.map((topic) => ({
        name: topic.name,
        partitions: topic.partitionIndexes.map((partitionIndex) => {
          const partitionKey = `${topic.name}\u0000${partitionIndex}`;
          if (requireStable && this.hasUnsettledTransactionalOffsets(group.groupId, partitionKey, highWatermark)) {
            return { partitionIndex, committedOffset: NO_COMMITTED_OFFSET, committedLeaderEpoch: -1, metadata: '', errorCode: 'UNSTABLE_OFFSET_COMMIT' as const };
          }
          const value = committed.get(partitionKey) ?? null;
          return {
            partitionIndex,
            committedOffset: value?.offset ?? NO_COMMITTED_OFFSET,
            committedLeaderEpoch: value?.leaderEpoch ?? -1,
            metadata: value?.metadata ?? '',
            errorCode: 'NONE' as const,
          };
        }),
      })),
    };
  }

  /** The group's committed offsets as of `readAt`: per partition, the newest commit visible below it. */
  private committedOffsets(groupId: string, readAt: number): Map<string, OffsetCommitValue> {
    const committed = new Map<string, OffsetCommitValue>();
    for (const [partitionKey, entries] of this.offsets.get(groupId) ?? []) {
      const newest = [...entries].reverse().find((entry) => entry.visibleAtOffset < readAt);
      if (newest?.value != null) committed.set(partitionKey, newest.value);
    }
    return committed;
  }
}

/** Keeps the newest entry visible below the high watermark (the committed one) and every entry after it. */
function pruneBelow(entries: OffsetEntry[], highWatermark: number): OffsetEntry[] {
  let newestCommitted = -1;
  entries.forEach((entry, index) => {
    if (entry.visibleAtOffset < highWatermark) newestCommitted = index;
  });
  return newestCommitted <= 0 ? entries : entries.slice(newestCommitted);
}

/** Every partition the group has a committed offset for, topics and partitions in order. */
function groupTopics(committed: Map<string, OffsetCommitValue>): Array<{ name: string; partitionIndexes: number[] }> {
  const byTopic = new Map<string, number[]>();
  for (const partitionKey of committed.keys()) {
    const [topic, partition] = partitionKey.split('\u0000') as [string, string];
    byTopic.set(topic, [...(byTopic.get(topic) ?? []), Number(partition)]);
  }
  return [...byTopic.keys()]
    .sort(compareStrings)
    .map((name) => ({ name, partitionIndexes: byTopic.get(name)!.sort((a, b) => a - b) }));
}

function utf8Length(text: string): number {
  return new TextEncoder().encode(text).length;
}
