/**
 * The records the group coordinator writes to `__consumer_offsets` (Kafka's
 * `group-coordinator/src/main/resources/common/message/*Key.json` and `*Value.json`), and their
 * serde. Every record is a key naming what it is about and a value holding its new state; a null
 * value (a tombstone) deletes it. A partition's state is exactly the replay of its records in log
 * order, which is how a coordinator that becomes leader loads it.
 *
 * | type (Kafka's key version)               | key                         | value                                    |
 * |------------------------------------------|-----------------------------|------------------------------------------|
 * | OffsetCommit (1)                         | group, topic, partition     | offset, leader epoch, metadata, time     |
 * | GroupMetadata (2)                        | group                       | a classic group: generation, protocol, leader, members with subscription and assignment |
 * | ConsumerGroupMetadata (3)                | group                       | group epoch, subscription metadata hash  |
 * | ConsumerGroupMemberMetadata (5)          | group, member               | instance id, rack, subscription, assignor, rebalance timeout |
 * | ConsumerGroupTargetAssignmentMetadata (6)| group                       | assignment epoch                         |
 * | ConsumerGroupTargetAssignmentMember (7)  | group, member               | the member's target partitions           |
 * | ConsumerGroupCurrentMemberAssignment (8) | group, member               | member epoch, previous epoch, state, assigned and pending-revocation partitions |
 *
 * Serde: the key and the value are JSON text, the key carrying the record type; ksim's record batch
 * stores strings, and JSON keeps the log readable in traces. Kafka's binary schemas and their
 * versions are left out. ConsumerGroupPartitionMetadata (4) is left out as Kafka 4.1 dropped it
 * (KIP-1101): the subscribed topics' metadata is a hash in ConsumerGroupMetadata.
 *
 * Invariant: a record decodes to exactly what was encoded; anything else in this topic is a broken
 * invariant (only the coordinator writes here; produce requests to it are refused), so decoding
 * throws.
 */
import type { SimpleRecord } from '../log/recordBatch.js';
import type { ConsumerProtocolAssignment, ConsumerProtocolSubscription, TopicIdPartitions } from '../protocol/apis.js';

/** Kafka's Topic.GROUP_METADATA_TOPIC_NAME. */
export const GROUP_METADATA_TOPIC_NAME = '__consumer_offsets';

/** A KIP-848 member's reconciliation state (Kafka's MemberState). */
export type MemberState = 'STABLE' | 'UNREVOKED_PARTITIONS' | 'UNRELEASED_PARTITIONS';

export interface OffsetCommitKey {
  readonly groupId: string;
  readonly topic: string;
  readonly partition: number;
}

export interface OffsetCommitValue {
  readonly offset: number;
  readonly leaderEpoch: number;
  readonly metadata: string;
  readonly commitTimestampMs: number;
}

export interface GroupMetadataMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly rebalanceTimeoutMs: number;
  readonly sessionTimeoutMs: number;
  readonly subscription: ConsumerProtocolSubscription;
  readonly assignment: ConsumerProtocolAssignment;
}

export interface GroupMetadataValue {
  readonly protocolType: string | null;
  readonly generation: number;
  readonly protocol: string | null;
  readonly leader: string | null;
  readonly currentStateTimestampMs: number;
  readonly members: readonly GroupMetadataMember[];
}

export interface ConsumerGroupMetadataValue {
  readonly epoch: number;
  /** The subscribed topics' metadata (names and partition counts), as a hash (KIP-1101). */
  readonly metadataHash: string;
}

export interface ConsumerGroupMemberMetadataValue {
  readonly instanceId: string | null;
  readonly rackId: string | null;
  readonly clientId: string;
  readonly subscribedTopicNames: readonly string[];
  readonly serverAssignor: string | null;
  readonly rebalanceTimeoutMs: number;
}

export interface ConsumerGroupTargetAssignmentMemberValue {
  readonly topicPartitions: readonly TopicIdPartitions[];
}

export interface ConsumerGroupCurrentMemberAssignmentValue {
  readonly memberEpoch: number;
  readonly previousMemberEpoch: number;
  readonly state: MemberState;
  readonly assignedPartitions: readonly TopicIdPartitions[];
  readonly partitionsPendingRevocation: readonly TopicIdPartitions[];
}

interface GroupKey {
  readonly groupId: string;
}
interface MemberKey {
  readonly groupId: string;
  readonly memberId: string;
}

export type CoordinatorRecord =
  | { readonly type: 'OffsetCommit'; readonly key: OffsetCommitKey; readonly value: OffsetCommitValue | null }
  | { readonly type: 'GroupMetadata'; readonly key: GroupKey; readonly value: GroupMetadataValue | null }
  | { readonly type: 'ConsumerGroupMetadata'; readonly key: GroupKey; readonly value: ConsumerGroupMetadataValue | null }
  | { readonly type: 'ConsumerGroupMemberMetadata'; readonly key: MemberKey; readonly value: ConsumerGroupMemberMetadataValue | null }
  | { readonly type: 'ConsumerGroupTargetAssignmentMetadata'; readonly key: GroupKey; readonly value: { readonly assignmentEpoch: number } | null }
  | { readonly type: 'ConsumerGroupTargetAssignmentMember'; readonly key: MemberKey; readonly value: ConsumerGroupTargetAssignmentMemberValue | null }
  | { readonly type: 'ConsumerGroupCurrentMemberAssignment'; readonly key: MemberKey; readonly value: ConsumerGroupCurrentMemberAssignmentValue | null };

export type CoordinatorRecordType = CoordinatorRecord['type'];

const RECORD_TYPES: readonly CoordinatorRecordType[] = [
  'OffsetCommit',
  'GroupMetadata',
  'ConsumerGroupMetadata',
  'ConsumerGroupMemberMetadata',
  'ConsumerGroupTargetAssignmentMetadata',
  'ConsumerGroupTargetAssignmentMember',
  'ConsumerGroupCurrentMemberAssignment',
];

/** A record as it is appended: the key carries the type, the value is null for a tombstone. */
export function serializeRecord(record: CoordinatorRecord, timestampMs: number): SimpleRecord {
  return {
    key: JSON.stringify({ type: record.type, ...record.key }),
    value: record.value === null ? null : JSON.stringify(record.value),
    timestampMs,
  };
}

/** Decodes what serializeRecord wrote; throws on anything else (only the coordinator writes here). */
export function deserializeRecord(record: Pick<SimpleRecord, 'key' | 'value'>): CoordinatorRecord {
  if (record.key === null) throw new Error(`${GROUP_METADATA_TOPIC_NAME}: a record without a key`);
  const { type, ...key } = JSON.parse(record.key) as { type: CoordinatorRecordType };
  if (!RECORD_TYPES.includes(type)) throw new Error(`${GROUP_METADATA_TOPIC_NAME}: unknown record type ${String(type)}`);
  const value = record.value === null ? null : (JSON.parse(record.value) as unknown);
  return { type, key, value } as CoordinatorRecord;
}
