/**
 * The Kafka APIs that brokers, controllers and clients exchange in ksim, as discriminated unions
 * named after Kafka's own (`api: 'Produce'`, `api: 'ProduceResponse'`, ...) with Kafka's field
 * names. Each request carries a `correlationId` that its response echoes, as on the wire. KRaft's
 * own APIs (Vote, BeginQuorumEpoch, Fetch of the metadata log, ...) are in src/raft/messages.ts.
 *
 * Left out for now: transactions and consumer groups (later issues add their APIs here), and the
 * many fields that do not change behaviour in the simulation (client ids, tagged fields, ...).
 */
import type { NodeId } from '../host.js';
import type { RecordBatch } from '../log/recordBatch.js';
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
  readonly topics: ReadonlyArray<{ readonly name: string; readonly errorCode: KafkaErrorCode; readonly partitions: readonly MetadataResponsePartition[] }>;
}

// ---- Produce ----

export type Acks = -1 | 0 | 1;

export interface ProduceRequest {
  readonly api: 'Produce';
  readonly correlationId: number;
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
  /** 0: read_uncommitted; 1: read_committed. */
  readonly isolationLevel: 0 | 1;
  readonly topics: ReadonlyArray<{ readonly topic: string; readonly partitions: readonly FetchPartition[] }>;
}

export interface FetchResponsePartition {
  readonly partitionIndex: number;
  readonly errorCode: KafkaErrorCode;
  readonly highWatermark: number;
  readonly lastStableOffset: number;
  readonly logStartOffset: number;
  /** Set when the fetcher's log diverged from the leader's: truncate to endOffset. */
  readonly divergingEpoch: { readonly epoch: number; readonly endOffset: number } | null;
  readonly currentLeader: { readonly leaderId: NodeId | null; readonly leaderEpoch: number };
  readonly records: readonly RecordBatch[];
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
  | BrokerRegistrationResponse
  | BrokerHeartbeatResponse
  | AlterPartitionResponse
  | CreateTopicsResponse
  | AllocateProducerIdsResponse;

export type KafkaMessage = KafkaRequest | KafkaResponse;
