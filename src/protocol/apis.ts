/**
 * The Kafka APIs that brokers, controllers and clients exchange in ksim, as discriminated unions
 * named after Kafka's own (`api: 'Produce'`, `api: 'ProduceResponse'`, ...) with Kafka's field
 * names. Each request carries a `correlationId` that its response echoes, as on the wire. KRaft's
 * own APIs (Vote, BeginQuorumEpoch, Fetch of the metadata log, ...) are in src/raft/messages.ts.
 *
 * Consumer groups (issue 12) follow Kafka 4.0's newest versions of each API:
 *
 * | API                    | key | version | what that version brings                                      |
 * |------------------------|-----|---------|---------------------------------------------------------------|
 * | FindCoordinator        | 10  | v6      | batched CoordinatorKeys (KIP-699, v4+); KeyType GROUP only here |
 * | JoinGroup              | 11  | v9      | MEMBER_ID_REQUIRED (KIP-394, v4+), GroupInstanceId (KIP-345, v5+), Reason (v8+), SkipAssignment (KIP-814, v9) |
 * | SyncGroup              | 14  | v5      | GroupInstanceId (v3+), ProtocolType and ProtocolName (v5)      |
 * | Heartbeat              | 12  | v4      | GroupInstanceId (v3+)                                          |
 * | LeaveGroup             | 13  | v5      | batched Members with GroupInstanceId (KIP-345, v3+), Reason (v5) |
 * | OffsetCommit           | 8   | v9      | GroupInstanceId (v7+), GenerationIdOrMemberEpoch (KIP-848, v9) |
 * | OffsetFetch            | 9   | v9      | batched Groups (KIP-709, v8+), MemberId and MemberEpoch (KIP-848, v9), RequireStable (KIP-447) |
 * | ConsumerGroupHeartbeat | 68  | v1      | KIP-848; the member generates its own MemberId (KIP-1082, v1)  |
 *
 * The JoinGroup metadata and SyncGroup assignment are bytes on the wire, which Kafka's consumer
 * fills with ConsumerProtocolSubscription and ConsumerProtocolAssignment; only consumers join
 * groups here, so ksim carries those structures decoded. Topics in ConsumerGroupHeartbeat are
 * named by topic id, as in Kafka; Metadata answers each topic's id so a consumer can map them.
 *
 * Transactions (issue 13): InitProducerId with a transactional id, AddPartitionsToTxn v5 (batched,
 * VerifyOnly: KIP-890), AddOffsetsToTxn, EndTxn v5 (the next producer id and epoch, KIP-890 part
 * 2), WriteTxnMarkers, TxnOffsetCommit v4 (group metadata, KIP-447); Fetch's isolation level and
 * aborted transactions; FindCoordinator with KeyType TRANSACTION; OffsetFetch's RequireStable
 * (UNSTABLE_OFFSET_COMMIT while a transactional commit is pending).
 *
 * Left out: the many fields that do not change behaviour in the simulation (client ids, tagged
 * fields, throttle times, host and port, racks), SubscribedTopicRegex and ClientAssignors of
 * ConsumerGroupHeartbeat.
 */
import type { NodeId } from '../host.js';
import type { MemoryRecords, RecordBatch } from '../log/recordBatch.js';
import type { AbortedTransaction } from '../log/transactionIndex.js';
import type { KafkaErrorCode } from './errors.js';

/** A replica id in Fetch, ListOffsets and OffsetsForLeaderEpoch: a broker's id, or -1 for a consumer. */
export const CONSUMER_REPLICA_ID = -1;
/** A replica id for tools that may read any replica, not only the leader (ListOffsets). */
export const DEBUGGING_REPLICA_ID = -2;

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

export function topicPartitionKey(tp: TopicPartition): string {
  return `${tp.topic}-${tp.partition}`;
}

// ---- Metadata ----

export interface MetadataRequest {
  readonly api: 'Metadata';
  readonly correlationId: number;
  /** null: every topic. */
  readonly topics: readonly string[] | null;
}

export interface MetadataResponsePartition {
  readonly partitionIndex: number;
  readonly errorCode: KafkaErrorCode;
  /** null when the partition has no leader (LEADER_NOT_AVAILABLE). */
  readonly leaderId: NodeId | null;
  readonly leaderEpoch: number;
  readonly replicaNodes: readonly NodeId[];
  readonly isrNodes: readonly NodeId[];
}

export interface MetadataResponse {
  readonly api: 'MetadataResponse';
  readonly correlationId: number;
  /** The live (unfenced) brokers. */
  readonly brokers: readonly NodeId[];
  readonly topics: ReadonlyArray<{
    readonly name: string;
    /** The topic's id (Metadata v10+), or ZERO_TOPIC_ID when the topic is unknown. */
    readonly topicId: string;
    readonly errorCode: KafkaErrorCode;
    readonly partitions: readonly MetadataResponsePartition[];
  }>;
}

/** Kafka's Uuid.ZERO_UUID, for a topic without an id. */
export const ZERO_TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAA';

// ---- Produce ----

export type Acks = -1 | 0 | 1;

export interface ProduceRequest {
  readonly api: 'Produce';
  readonly correlationId: number;
  /** A transactional producer's transactional.id (the leader verifies its transaction, KIP-890); absent otherwise. */
  readonly transactionalId?: string | null;
  /** 0: no response at all; 1: the leader's append; -1 (all): the whole ISR, at least min.insync.replicas. */
  readonly acks: Acks;
  readonly timeoutMs: number;
  readonly topicData: ReadonlyArray<{
    readonly name: string;
    readonly partitionData: ReadonlyArray<{ readonly index: number; readonly records: RecordBatch }>;
  }>;
}

export interface ProducePartitionResponse {
  readonly index: number;
  readonly errorCode: KafkaErrorCode;
  /** The offset of the batch's first record, or -1. */
  readonly baseOffset: number;
  readonly logStartOffset: number;
  readonly errorMessage: string | null;
}

export interface ProduceResponse {
  readonly api: 'ProduceResponse';
  readonly correlationId: number;
  readonly responses: ReadonlyArray<{ readonly name: string; readonly partitionResponses: readonly ProducePartitionResponse[] }>;
}

// ---- Fetch (followers and consumers) ----

export interface FetchPartition {
  readonly partition: number;
  /** The leader epoch the fetcher believes current (KIP-320); -1 to skip the check. */
  readonly currentLeaderEpoch: number;
  readonly fetchOffset: number;
  /** The epoch of the fetcher's last record, for diverging-epoch detection (KIP-595 style, Kafka 2.7+). */
  readonly lastFetchedEpoch: number;
  readonly logStartOffset: number;
  readonly partitionMaxBytes: number;
}

export interface FetchRequest {
  readonly api: 'Fetch';
  readonly correlationId: number;
  /** A follower's broker id, or CONSUMER_REPLICA_ID. */
  readonly replicaId: NodeId | typeof CONSUMER_REPLICA_ID;
  /** The follower's broker epoch (KIP-903), or -1. */
  readonly replicaEpoch: number;
  readonly maxWaitMs: number;
  readonly minBytes: number;
  readonly maxBytes: number;
  /** isolation.level: READ_UNCOMMITTED (0) or READ_COMMITTED (1). */
  readonly isolationLevel: IsolationLevel;
  readonly topics: ReadonlyArray<{ readonly topic: string; readonly partitions: readonly FetchPartition[] }>;
}

/** isolation.level on the wire: 0 read_uncommitted, 1 read_committed (KIP-98). */
export type IsolationLevel = 0 | 1;
export const READ_UNCOMMITTED = 0;
export const READ_COMMITTED = 1;

export interface FetchResponsePartition {
  readonly partitionIndex: number;
  readonly errorCode: KafkaErrorCode;
  readonly highWatermark: number;
  readonly lastStableOffset: number;
  readonly logStartOffset: number;
  /** Set when the fetcher's log diverged from the leader's: truncate to endOffset. */
  readonly divergingEpoch: { readonly epoch: number; readonly endOffset: number } | null;
  readonly currentLeader: { readonly leaderId: NodeId | null; readonly leaderEpoch: number };
  /** The leader's stored batches as they are on its disk, undecoded; the receiver checks their CRCs. */
  readonly records: MemoryRecords;
  /**
   * read_committed only: the transactions aborted in the range returned, each a producer and the
   * first offset of its aborted transaction; the consumer drops their records up to the marker.
   * Absent for read_uncommitted (Kafka's null).
   */
  readonly abortedTransactions?: readonly AbortedTransaction[];
}

export interface FetchResponse {
  readonly api: 'FetchResponse';
  readonly correlationId: number;
  readonly errorCode: KafkaErrorCode;
  readonly responses: ReadonlyArray<{ readonly topic: string; readonly partitions: readonly FetchResponsePartition[] }>;
}

// ---- ListOffsets ----

/** Kafka's special timestamps: -1 latest (the HW for consumers), -2 earliest, -3 the record with the largest timestamp (KIP-734). */
export const LATEST_TIMESTAMP = -1;
export const EARLIEST_TIMESTAMP = -2;
export const MAX_TIMESTAMP = -3;
/** No timestamp in an answer (Kafka's RecordBatch.NO_TIMESTAMP / ListOffsetsResponse.UNKNOWN_TIMESTAMP). */
export const NO_TIMESTAMP = -1;

export interface ListOffsetsRequest {
  readonly api: 'ListOffsets';
  readonly correlationId: number;
  /** CONSUMER_REPLICA_ID for a client; a broker's id for a follower; DEBUGGING_REPLICA_ID to ask any replica. */
  readonly replicaId: NodeId | typeof CONSUMER_REPLICA_ID | typeof DEBUGGING_REPLICA_ID;
  /** 0: read_uncommitted (up to the high watermark); 1: read_committed (up to the last stable offset). Clients only. */
  readonly isolationLevel: 0 | 1;
  readonly topics: ReadonlyArray<{
    readonly name: string;
    /** currentLeaderEpoch -1 skips the epoch check (KIP-320); timestamp is a time in ms or one of the special values above. */
    readonly partitions: ReadonlyArray<{ readonly partitionIndex: number; readonly currentLeaderEpoch: number; readonly timestamp: number }>;
  }>;
}

export interface ListOffsetsResponsePartition {
  readonly partitionIndex: number;
  readonly errorCode: KafkaErrorCode;
  /** The found record's timestamp, or NO_TIMESTAMP (earliest, latest, or nothing found). */
  readonly timestamp: number;
  /** The found offset, or -1 when no record matches. */
  readonly offset: number;
  /** The leader epoch of the found offset (KIP-320, KAFKA-7568), or -1. */
  readonly leaderEpoch: number;
}

export interface ListOffsetsResponse {
  readonly api: 'ListOffsetsResponse';
  readonly correlationId: number;
  readonly topics: ReadonlyArray<{ readonly name: string; readonly partitions: readonly ListOffsetsResponsePartition[] }>;
}

// ---- OffsetsForLeaderEpoch (KIP-101, KIP-279, KIP-320) ----

export interface OffsetsForLeaderEpochRequest {
  readonly api: 'OffsetsForLeaderEpoch';
  readonly correlationId: number;
  /** A follower's broker id, or CONSUMER_REPLICA_ID for a consumer validating its position (KIP-320). */
  readonly replicaId: NodeId | typeof CONSUMER_REPLICA_ID;
  readonly topics: ReadonlyArray<{
    readonly topic: string;
    /** currentLeaderEpoch -1 skips the epoch check (KIP-320); leaderEpoch is the epoch whose end is asked for. */
    readonly partitions: ReadonlyArray<{ readonly partition: number; readonly currentLeaderEpoch: number; readonly leaderEpoch: number }>;
  }>;
}

export interface OffsetsForLeaderEpochResponsePartition {
  readonly errorCode: KafkaErrorCode;
  readonly partition: number;
  /** The largest epoch ≤ the one asked for that the leader knows, or -1 (KIP-279). */
  readonly leaderEpoch: number;
  /** Where that epoch ends (the next epoch's start, or the log end), or -1. */
  readonly endOffset: number;
}

export interface OffsetsForLeaderEpochResponse {
  readonly api: 'OffsetsForLeaderEpochResponse';
  readonly correlationId: number;
  readonly topics: ReadonlyArray<{ readonly topic: string; readonly partitions: readonly OffsetsForLeaderEpochResponsePartition[] }>;
}

// ---- InitProducerId (idempotence, KIP-98) ----

export interface InitProducerIdRequest {
  readonly api: 'InitProducerId';
  readonly correlationId: number;
  readonly transactionalId: string | null;
  readonly transactionTimeoutMs: number;
  /** -1 for a new producer; otherwise the current id and epoch, to bump the epoch (KIP-360). */
  readonly producerId: number;
  readonly producerEpoch: number;
}

export interface InitProducerIdResponse {
  readonly api: 'InitProducerIdResponse';
  readonly correlationId: number;
  readonly errorCode: KafkaErrorCode;
  readonly producerId: number;
  readonly producerEpoch: number;
  /**
   * The cluster's finalized `transaction.version` (KIP-1022), for a transactional producer to pick
   * the protocol of KIP-890 part 2. Kafka's client reads it from ApiVersions, which ksim does not
   * model; the coordinator answering InitProducerId hands it over instead. Absent without a
   * transactional id.
   */
  readonly transactionVersion?: TransactionVersion;
}

// ---- Transactions (KIP-98, KIP-447, KIP-890) ----

/**
 * transaction.version: 1 is KIP-98's protocol with KIP-890 part 1 (partitions verify a
 * transaction before its first append); 2 adds part 2 (the epoch is bumped at every commit or
 * abort, and a partition joins a transaction implicitly on its first produce).
 */
export type TransactionVersion = 1 | 2;

/** Topic partitions by topic name, as the transaction APIs list them. */
export interface TxnTopic {
  readonly name: string;
  readonly partitions: readonly number[];
}

/**
 * AddPartitionsToTxn v5: batched (KIP-890) for brokers verifying a transaction, a single
 * transaction from a client. `verifyOnly`: a partition leader asks whether the partitions are in
 * the ongoing transaction without adding them (KIP-890 part 1).
 */
export interface AddPartitionsToTxnRequest {
  readonly api: 'AddPartitionsToTxn';
  readonly correlationId: number;
  readonly transactions: ReadonlyArray<{
    readonly transactionalId: string;
    readonly producerId: number;
    readonly producerEpoch: number;
    readonly verifyOnly: boolean;
    readonly topics: readonly TxnTopic[];
  }>;
}

export interface AddPartitionsToTxnResponse {
  readonly api: 'AddPartitionsToTxnResponse';
  readonly correlationId: number;
  readonly results: ReadonlyArray<{
    readonly transactionalId: string;
    readonly topicResults: ReadonlyArray<{ readonly name: string; readonly results: ReadonlyArray<{ readonly partitionIndex: number; readonly partitionErrorCode: KafkaErrorCode }> }>;
  }>;
}

export interface AddOffsetsToTxnRequest {
  readonly api: 'AddOffsetsToTxn';
  readonly correlationId: number;
  readonly transactionalId: string;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly groupId: string;
}

export interface AddOffsetsToTxnResponse {
  readonly api: 'AddOffsetsToTxnResponse';
  readonly correlationId: number;
  readonly errorCode: KafkaErrorCode;
}

export interface EndTxnRequest {
  readonly api: 'EndTxn';
  readonly correlationId: number;
  readonly transactionalId: string;
  readonly producerId: number;
  readonly producerEpoch: number;
  /** true: commit; false: abort. */
  readonly committed: boolean;
}

/** EndTxn v5: the producer id and epoch to use next (transaction version 2 bumps the epoch). */
export interface EndTxnResponse {
  readonly api: 'EndTxnResponse';
  readonly correlationId: number;
  readonly errorCode: KafkaErrorCode;
  readonly producerId: number;
  readonly producerEpoch: number;
}

/** WriteTxnMarkers (coordinator → partition leaders): end a transaction in each listed partition. */
export interface WriteTxnMarkersRequest {
  readonly api: 'WriteTxnMarkers';
  readonly correlationId: number;
  readonly markers: ReadonlyArray<{
    readonly producerId: number;
    readonly producerEpoch: number;
    /** true: COMMIT; false: ABORT. */
    readonly transactionResult: boolean;
    readonly topics: readonly TxnTopic[];
    readonly coordinatorEpoch: number;
  }>;
}

export interface WriteTxnMarkersResponse {
  readonly api: 'WriteTxnMarkersResponse';
  readonly correlationId: number;
  readonly markers: ReadonlyArray<{
    readonly producerId: number;
    readonly topics: ReadonlyArray<{ readonly name: string; readonly partitions: ReadonlyArray<{ readonly partitionIndex: number; readonly errorCode: KafkaErrorCode }> }>;
  }>;
}

// ---- Consumer groups: the embedded consumer protocol ----

/** Partitions of one topic, by name (the classic protocol and offsets name topics). */
export interface TopicPartitions {
  readonly topic: string;
  readonly partitions: readonly number[];
}

/**
 * ConsumerProtocolSubscription (v3): what a classic consumer puts in JoinGroup's protocol
 * metadata. `ownedPartitions` (KIP-429) lets cooperative assignors keep partitions in place;
 * `generationId` (KIP-792) lets the sticky assignor tell stale ownership from current.
 */
export interface ConsumerProtocolSubscription {
  readonly topics: readonly string[];
  readonly userData: string | null;
  readonly ownedPartitions: readonly TopicPartitions[];
  /** The generation of `ownedPartitions`, or -1. */
  readonly generationId: number;
  readonly rackId: string | null;
}

/** ConsumerProtocolAssignment (v3): what the leader hands each member through SyncGroup. */
export interface ConsumerProtocolAssignment {
  readonly assignedPartitions: readonly TopicPartitions[];
  readonly userData: string | null;
}

// ---- FindCoordinator (v6; batched keys since v4, KIP-699) ----

/** FindCoordinator's KeyType: 0 a group, 1 a transactional id, 2 a share group. ksim serves GROUP and TRANSACTION. */
export const COORDINATOR_KEY_TYPE_GROUP = 0;
export const COORDINATOR_KEY_TYPE_TRANSACTION = 1;
export type CoordinatorKeyType = typeof COORDINATOR_KEY_TYPE_GROUP | typeof COORDINATOR_KEY_TYPE_TRANSACTION;

export interface FindCoordinatorRequest {
  readonly api: 'FindCoordinator';
  readonly correlationId: number;
  readonly keyType: CoordinatorKeyType;
  /** The group ids (or transactional ids) to find coordinators for. */
  readonly coordinatorKeys: readonly string[];
}

export interface FindCoordinatorResponse {
  readonly api: 'FindCoordinatorResponse';
  readonly correlationId: number;
  readonly coordinators: ReadonlyArray<{
    readonly key: string;
    /** The coordinator's broker, or -1 with an error. */
    readonly nodeId: NodeId | -1;
    readonly errorCode: KafkaErrorCode;
    readonly errorMessage: string | null;
  }>;
}

// ---- JoinGroup (v9) ----

/** The member id a new member sends before it has one (KIP-394: the coordinator then answers MEMBER_ID_REQUIRED with one). */
export const UNKNOWN_MEMBER_ID = '';
/** The generation of a group that has none yet, and of a member outside any generation. */
export const NO_GENERATION = -1;

export interface JoinGroupRequest {
  readonly api: 'JoinGroup';
  readonly correlationId: number;
  readonly groupId: string;
  /** session.timeout.ms: no heartbeat for this long and the coordinator removes the member. */
  readonly sessionTimeoutMs: number;
  /** max.poll.interval.ms for consumers: how long the coordinator waits for each member to rejoin. */
  readonly rebalanceTimeoutMs: number;
  /** UNKNOWN_MEMBER_ID ('') on a first join. */
  readonly memberId: string;
  /** group.instance.id (KIP-345), or null for a dynamic member. */
  readonly groupInstanceId: string | null;
  /** 'consumer' for consumers. */
  readonly protocolType: string;
  /** The assignors the member supports, in its order of preference, each with its subscription. */
  readonly protocols: ReadonlyArray<{ readonly name: string; readonly metadata: ConsumerProtocolSubscription }>;
  readonly reason: string | null;
}

export interface JoinGroupResponse {
  readonly api: 'JoinGroupResponse';
  readonly correlationId: number;
  readonly errorCode: KafkaErrorCode;
  readonly generationId: number;
  readonly protocolType: string | null;
  /** The assignor the coordinator chose: one every member supports, by vote. */
  readonly protocolName: string | null;
  /** The leader's member id: it computes the assignment. */
  readonly leader: string;
  /** True when the leader must not assign (a static leader rejoining a stable group, KIP-814). */
  readonly skipAssignment: boolean;
  /** The member's id: the new one with MEMBER_ID_REQUIRED, else the one it joined with. */
  readonly memberId: string;
  /** Every member with its subscription, for the leader only; empty for the others. */
  readonly members: ReadonlyArray<{ readonly memberId: string; readonly groupInstanceId: string | null; readonly metadata: ConsumerProtocolSubscription }>;
}

// ---- SyncGroup (v5) ----

export interface SyncGroupRequest {
  readonly api: 'SyncGroup';
  readonly correlationId: number;
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  /** The leader's assignment for every member; empty from the others. */
  readonly assignments: ReadonlyArray<{ readonly memberId: string; readonly assignment: ConsumerProtocolAssignment }>;
}

export interface SyncGroupResponse {
  readonly api: 'SyncGroupResponse';
  readonly correlationId: number;
  readonly errorCode: KafkaErrorCode;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  /** This member's assignment; empty with an error. */
  readonly assignment: ConsumerProtocolAssignment;
}

// ---- Heartbeat (v4) ----

export interface HeartbeatRequest {
  readonly api: 'Heartbeat';
  readonly correlationId: number;
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
}

export interface HeartbeatResponse {
  readonly api: 'HeartbeatResponse';
  readonly correlationId: number;
  /** REBALANCE_IN_PROGRESS tells a member of the current generation to rejoin. */
  readonly errorCode: KafkaErrorCode;
}

// ---- LeaveGroup (v5; batched members, KIP-345) ----

export interface LeaveGroupRequest {
  readonly api: 'LeaveGroup';
  readonly correlationId: number;
  readonly groupId: string;
  /** A dynamic member names itself by memberId; a static one by groupInstanceId (memberId may be UNKNOWN_MEMBER_ID). */
  readonly members: ReadonlyArray<{ readonly memberId: string; readonly groupInstanceId: string | null; readonly reason: string | null }>;
}

export interface LeaveGroupResponse {
  readonly api: 'LeaveGroupResponse';
  readonly correlationId: number;
  readonly errorCode: KafkaErrorCode;
  readonly members: ReadonlyArray<{ readonly memberId: string; readonly groupInstanceId: string | null; readonly errorCode: KafkaErrorCode }>;
}

// ---- OffsetCommit (v9) ----

export interface OffsetCommitRequest {
  readonly api: 'OffsetCommit';
  readonly correlationId: number;
  readonly groupId: string;
  /**
   * The generation (classic protocol) or the member epoch (consumer protocol, KIP-848); -1 with
   * memberId '' for a commit from outside the group (a consumer using assign()).
   */
  readonly generationIdOrMemberEpoch: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly topics: ReadonlyArray<{
    readonly name: string;
    readonly partitions: ReadonlyArray<{
      readonly partitionIndex: number;
      /** The next offset to consume: one past the last record processed. */
      readonly committedOffset: number;
      /** The leader epoch of the last record consumed (KIP-320), or -1. */
      readonly committedLeaderEpoch: number;
      readonly committedMetadata: string | null;
    }>;
  }>;
}

export interface OffsetCommitResponse {
  readonly api: 'OffsetCommitResponse';
  readonly correlationId: number;
  readonly topics: ReadonlyArray<{
    readonly name: string;
    readonly partitions: ReadonlyArray<{ readonly partitionIndex: number; readonly errorCode: KafkaErrorCode }>;
  }>;
}

// ---- TxnOffsetCommit (v4: the group metadata of KIP-447) ----

/**
 * TxnOffsetCommit (producer → group coordinator): offsets committed as part of a transaction. They
 * stay pending until the transaction's marker reaches the group's `__consumer_offsets` partition,
 * and take effect only on COMMIT. v3+ carries the consumer's group metadata (KIP-447), so that a
 * producer whose consumer was fenced from the group cannot commit (ILLEGAL_GENERATION,
 * UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID).
 */
export interface TxnOffsetCommitRequest {
  readonly api: 'TxnOffsetCommit';
  readonly correlationId: number;
  readonly transactionalId: string;
  readonly groupId: string;
  readonly producerId: number;
  readonly producerEpoch: number;
  /** The generation (classic protocol) or member epoch (KIP-848) of the consumer, or -1. */
  readonly generationId: number;
  /** The consumer's member id, or '' (UNKNOWN_MEMBER_ID). */
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly topics: OffsetCommitRequest['topics'];
}

export interface TxnOffsetCommitResponse {
  readonly api: 'TxnOffsetCommitResponse';
  readonly correlationId: number;
  readonly topics: OffsetCommitResponse['topics'];
}

// ---- OffsetFetch (v9; batched groups since v8, KIP-709) ----

/** OffsetFetch's answer for a partition without a committed offset. */
export const NO_COMMITTED_OFFSET = -1;

export interface OffsetFetchRequest {
  readonly api: 'OffsetFetch';
  readonly correlationId: number;
  readonly groups: ReadonlyArray<{
    readonly groupId: string;
    /** The member asking (consumer protocol, KIP-848), or null; with memberEpoch -1 no member check is made. */
    readonly memberId: string | null;
    readonly memberEpoch: number;
    /** null: every partition the group committed. */
    readonly topics: ReadonlyArray<{ readonly name: string; readonly partitionIndexes: readonly number[] }> | null;
  }>;
  /** KIP-447: a partition with a pending transactional commit answers UNSTABLE_OFFSET_COMMIT, and the answer waits for the coordinator's writes. */
  readonly requireStable: boolean;
}

export interface OffsetFetchResponse {
  readonly api: 'OffsetFetchResponse';
  readonly correlationId: number;
  readonly groups: ReadonlyArray<{
    readonly groupId: string;
    readonly topics: ReadonlyArray<{
      readonly name: string;
      readonly partitions: ReadonlyArray<{
        readonly partitionIndex: number;
        /** NO_COMMITTED_OFFSET (-1) when the group has none. */
        readonly committedOffset: number;
        readonly committedLeaderEpoch: number;
        readonly metadata: string | null;
        readonly errorCode: KafkaErrorCode;
      }>;
    }>;
    readonly errorCode: KafkaErrorCode;
  }>;
}

// ---- ConsumerGroupHeartbeat (v1; KIP-848) ----

/** Partitions of one topic, by topic id, as ConsumerGroupHeartbeat names them. */
export interface TopicIdPartitions {
  readonly topicId: string;
  readonly partitions: readonly number[];
}

/** memberEpoch values with a meaning of their own (ConsumerGroupHeartbeatRequest.json). */
export const JOIN_GROUP_MEMBER_EPOCH = 0;
export const LEAVE_GROUP_MEMBER_EPOCH = -1;
export const LEAVE_GROUP_STATIC_MEMBER_EPOCH = -2;

export interface ConsumerGroupHeartbeatRequest {
  readonly api: 'ConsumerGroupHeartbeat';
  readonly correlationId: number;
  readonly groupId: string;
  /** Generated by the member and kept for its whole life (KIP-1082, v1). */
  readonly memberId: string;
  /** 0 to join; -1 to leave; -2 for a static member that will rejoin; else the current epoch. */
  readonly memberEpoch: number;
  /** group.instance.id, or null if none or unchanged since the last heartbeat. */
  readonly instanceId: string | null;
  readonly rackId: string | null;
  /** max.poll.interval.ms, or -1 if unchanged: how long the member may take to revoke. */
  readonly rebalanceTimeoutMs: number;
  /** null if unchanged since the last heartbeat. */
  readonly subscribedTopicNames: readonly string[] | null;
  /** group.remote.assignor ('uniform', 'range'), or null for the group's default or unchanged. */
  readonly serverAssignor: string | null;
  /** The partitions the member owns now, or null if unchanged since the last heartbeat. */
  readonly topicPartitions: readonly TopicIdPartitions[] | null;
}

export interface ConsumerGroupHeartbeatResponse {
  readonly api: 'ConsumerGroupHeartbeatResponse';
  readonly correlationId: number;
  readonly errorCode: KafkaErrorCode;
  readonly errorMessage: string | null;
  readonly memberId: string | null;
  readonly memberEpoch: number;
  /** group.consumer.heartbeat.interval.ms */
  readonly heartbeatIntervalMs: number;
  /** The partitions the member may own now, when they changed; null otherwise. */
  readonly assignment: { readonly topicPartitions: readonly TopicIdPartitions[] } | null;
}

// ---- Controller APIs (KIP-631, KIP-903) ----

export interface BrokerRegistrationRequest {
  readonly api: 'BrokerRegistration';
  readonly correlationId: number;
  readonly brokerId: NodeId;
  /** A fresh id per broker process start, so the controller can tell a restart from a duplicate. */
  readonly incarnationId: string;
  readonly rack: string | null;
  /** The epoch of this broker's previous registration after a clean shutdown (KIP-966), or -1. */
  readonly previousBrokerEpoch: number;
}

export interface BrokerRegistrationResponse {
  readonly api: 'BrokerRegistrationResponse';
  readonly correlationId: number;
  readonly errorCode: KafkaErrorCode;
  readonly brokerEpoch: number;
}

export interface BrokerHeartbeatRequest {
  readonly api: 'BrokerHeartbeat';
  readonly correlationId: number;
  readonly brokerId: NodeId;
  readonly brokerEpoch: number;
  /** The offset of the metadata log the broker has replayed. */
  readonly currentMetadataOffset: number;
  readonly wantFence: boolean;
  readonly wantShutDown: boolean;
}

export interface BrokerHeartbeatResponse {
  readonly api: 'BrokerHeartbeatResponse';
  readonly correlationId: number;
  readonly errorCode: KafkaErrorCode;
  readonly isCaughtUp: boolean;
  readonly isFenced: boolean;
  readonly shouldShutDown: boolean;
}

export interface AlterPartitionRequest {
  readonly api: 'AlterPartition';
  readonly correlationId: number;
  readonly brokerId: NodeId;
  readonly brokerEpoch: number;
  readonly topics: ReadonlyArray<{
    readonly topicName: string;
    readonly partitions: ReadonlyArray<{
      readonly partitionIndex: number;
      readonly leaderEpoch: number;
      /** The proposed ISR with each member's broker epoch (KIP-903). */
      readonly newIsrWithEpochs: ReadonlyArray<{ readonly brokerId: NodeId; readonly brokerEpoch: number }>;
      readonly partitionEpoch: number;
    }>;
  }>;
}

export interface AlterPartitionResponse {
  readonly api: 'AlterPartitionResponse';
  readonly correlationId: number;
  readonly errorCode: KafkaErrorCode;
  readonly topics: ReadonlyArray<{
    readonly topicName: string;
    readonly partitions: ReadonlyArray<{
      readonly partitionIndex: number;
      readonly errorCode: KafkaErrorCode;
      readonly leaderId: NodeId | null;
      readonly leaderEpoch: number;
      readonly isr: readonly NodeId[];
      readonly partitionEpoch: number;
    }>;
  }>;
}

export interface CreateTopicsRequest {
  readonly api: 'CreateTopics';
  readonly correlationId: number;
  readonly topics: ReadonlyArray<{
    readonly name: string;
    /** -1 when `assignments` places the replicas. */
    readonly numPartitions: number;
    /** -1 when `assignments` places the replicas. */
    readonly replicationFactor: number;
    /** Manual replica assignment (CreatableReplicaAssignment): each partition's brokers, preferred leader first. */
    readonly assignments?: ReadonlyArray<{ readonly partitionIndex: number; readonly brokerIds: readonly NodeId[] }>;
    /** Topic configs with Kafka's names (min.insync.replicas, unclean.leader.election.enable, ...). */
    readonly configs: Readonly<Record<string, string>>;
  }>;
}

export interface CreateTopicsResponse {
  readonly api: 'CreateTopicsResponse';
  readonly correlationId: number;
  readonly topics: ReadonlyArray<{ readonly name: string; readonly errorCode: KafkaErrorCode; readonly errorMessage: string | null }>;
}

export interface AllocateProducerIdsRequest {
  readonly api: 'AllocateProducerIds';
  readonly correlationId: number;
  readonly brokerId: NodeId;
  readonly brokerEpoch: number;
}

export interface AllocateProducerIdsResponse {
  readonly api: 'AllocateProducerIdsResponse';
  readonly correlationId: number;
  readonly errorCode: KafkaErrorCode;
  readonly producerIdStart: number;
  readonly producerIdLen: number;
}

export type KafkaRequest =
  | MetadataRequest
  | ProduceRequest
  | FetchRequest
  | ListOffsetsRequest
  | OffsetsForLeaderEpochRequest
  | InitProducerIdRequest
  | AddPartitionsToTxnRequest
  | AddOffsetsToTxnRequest
  | EndTxnRequest
  | WriteTxnMarkersRequest
  | FindCoordinatorRequest
  | JoinGroupRequest
  | SyncGroupRequest
  | HeartbeatRequest
  | LeaveGroupRequest
  | OffsetCommitRequest
  | TxnOffsetCommitRequest
  | OffsetFetchRequest
  | ConsumerGroupHeartbeatRequest
  | BrokerRegistrationRequest
  | BrokerHeartbeatRequest
  | AlterPartitionRequest
  | CreateTopicsRequest
  | AllocateProducerIdsRequest;

export type KafkaResponse =
  | MetadataResponse
  | ProduceResponse
  | FetchResponse
  | ListOffsetsResponse
  | OffsetsForLeaderEpochResponse
  | InitProducerIdResponse
  | AddPartitionsToTxnResponse
  | AddOffsetsToTxnResponse
  | EndTxnResponse
  | WriteTxnMarkersResponse
  | FindCoordinatorResponse
  | JoinGroupResponse
  | SyncGroupResponse
  | HeartbeatResponse
  | LeaveGroupResponse
  | OffsetCommitResponse
  | TxnOffsetCommitResponse
  | OffsetFetchResponse
  | ConsumerGroupHeartbeatResponse
  | BrokerRegistrationResponse
  | BrokerHeartbeatResponse
  | AlterPartitionResponse
  | CreateTopicsResponse
  | AllocateProducerIdsResponse;

export type KafkaMessage = KafkaRequest | KafkaResponse;
