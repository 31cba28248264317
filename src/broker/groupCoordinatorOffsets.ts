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
 * Invariant: each (group, topic, partition) keeps its commits in log order, pruned to the newest
 * one below the high watermark and those above it.
 *
 * Left out: offset expiration (offsets.retention.minutes), transactional offset commits and
 * require_stable's UNSTABLE_OFFSET_COMMIT (transactions come later; the flag is accepted), and
 * deleting offsets (OffsetDelete).
 */
import type { OffsetCommitRequest, OffsetCommitResponse, OffsetFetchRequest, OffsetFetchResponse } from '../protocol/apis.js';
import { NO_COMMITTED_OFFSET } from '../protocol/apis.js';
import type { KafkaErrorCode } from '../protocol/errors.js';
import type { CoordinatorRecord, OffsetCommitKey, OffsetCommitValue } from './groupCoordinatorRecords.js';
import type { CoordinatorResult, ShardContext } from './groupCoordinatorRuntime.js';
import { compareStrings } from '../util/compare.js';

/** What offsets need to know about groups: whether a commit or fetch may go ahead (NONE), or why not. */
export interface GroupOffsetValidator {
  validateOffsetCommit(groupId: string, memberId: string, groupInstanceId: string | null, generationIdOrMemberEpoch: number): KafkaErrorCode;
  validateOffsetFetch(groupId: string, memberId: string | null, memberEpoch: number): KafkaErrorCode;
}

interface OffsetEntry {
  readonly value: OffsetCommitValue | null;
  /** Where its record sits in the partition's log. */
  readonly recordOffset: number;
}

type OffsetCommitTopicResponse = OffsetCommitResponse['topics'][number];
type OffsetFetchGroupResponse = OffsetFetchResponse['groups'][number];

export class OffsetMetadataManager {
  /** groupId → `topic\u0000partition` → commits in log order. */
  private readonly offsets = new Map<string, Map<string, OffsetEntry[]>>();

  constructor(
    private readonly context: ShardContext,
    private readonly groups: GroupOffsetValidator,
    private readonly offsetMetadataMaxBytes: number,
  ) {}

  // ---- OffsetCommit ----

  commitOffset(request: OffsetCommitRequest): CoordinatorResult<Omit<OffsetCommitResponse, 'correlationId'>> {
    const validation = this.groups.validateOffsetCommit(request.groupId, request.memberId, request.groupInstanceId, request.generationIdOrMemberEpoch);
    const records: CoordinatorRecord[] = [];
    const nowMs = this.context.nowMs();
    const traced: Array<[string, number, number, KafkaErrorCode]> = [];
    const topics: OffsetCommitTopicResponse[] = request.topics.map((topic) => ({
      name: topic.name,
      partitions: topic.partitions.map((partition) => {
        const metadata = partition.committedMetadata ?? '';
        const errorCode: KafkaErrorCode = validation !== 'NONE' ? validation : utf8Length(metadata) > this.offsetMetadataMaxBytes ? 'OFFSET_METADATA_TOO_LARGE' : 'NONE';
        traced.push([topic.name, partition.partitionIndex, partition.committedOffset, errorCode]);
        if (errorCode === 'NONE') {
          records.push({
            type: 'OffsetCommit',
            key: { groupId: request.groupId, topic: topic.name, partition: partition.partitionIndex },
            value: { offset: partition.committedOffset, leaderEpoch: partition.committedLeaderEpoch, metadata, commitTimestampMs: nowMs },
          });
        }
        return { partitionIndex: partition.partitionIndex, errorCode };
      }),
    }));
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

  replay(key: OffsetCommitKey, value: OffsetCommitValue | null, recordOffset: number): void {
    let byPartition = this.offsets.get(key.groupId);
    if (byPartition === undefined) {
      byPartition = new Map();
      this.offsets.set(key.groupId, byPartition);
    }
    const partitionKey = `${key.topic}\u0000${key.partition}`;
    const entries = byPartition.get(partitionKey) ?? [];
    entries.push({ value, recordOffset });
    byPartition.set(partitionKey, pruneBelow(entries, this.context.highWatermark()));
  }

  // ---- OffsetFetch ----

  fetchOffsets(group: OffsetFetchRequest['groups'][number]): OffsetFetchGroupResponse {
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
          const value = committed.get(`${topic.name}\u0000${partitionIndex}`) ?? null;
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

  /** The group's committed offsets: per partition, the newest commit below the high watermark. */
  private committedOffsets(groupId: string, highWatermark: number): Map<string, OffsetCommitValue> {
    const committed = new Map<string, OffsetCommitValue>();
    for (const [partitionKey, entries] of this.offsets.get(groupId) ?? []) {
      const newest = [...entries].reverse().find((entry) => entry.recordOffset < highWatermark);
      if (newest?.value != null) committed.set(partitionKey, newest.value);
    }
    return committed;
  }
}

/** Keeps the newest entry below the high watermark (the committed one) and every entry above it. */
function pruneBelow(entries: OffsetEntry[], highWatermark: number): OffsetEntry[] {
  let newestCommitted = -1;
  entries.forEach((entry, index) => {
    if (entry.recordOffset < highWatermark) newestCommitted = index;
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
