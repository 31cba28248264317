/**
 * The KRaft RPCs (KIP-595, KIP-996), as a discriminated union on `api`, with Kafka's field names.
 *
 * What it models: Vote (with KIP-996's `preVote` flag), BeginQuorumEpoch, EndQuorumEpoch, Fetch
 * (with `divergingEpoch`, `snapshotId` and `currentLeader` in the response) and FetchSnapshot, plus
 * the Kafka error codes these APIs return. Every request carries a `correlationId` that its response
 * echoes, as Kafka's network layer does, so a late response to an abandoned request is recognised.
 *
 * Invariants: messages are plain immutable data; offsets and epochs are integers; an error response
 * carries `currentLeader` / `leaderId` + `leaderEpoch` so the receiver can learn of a newer epoch.
 *
 * Left out: cluster ids, topic/partition nesting (ksim has one metadata partition), directory ids and
 * endpoints (KIP-853), and FetchSnapshot chunking: a snapshot travels in one response.
 */

import type { NodeId } from '../host.js';
import { RECORD_BATCH_OVERHEAD, type RecordBatch } from '../log/recordBatch.js';

/** Kafka's error codes that the quorum RPCs use. */
export type RaftErrorCode =
  | 'NONE'
  | 'NOT_LEADER_OR_FOLLOWER'
  | 'FENCED_LEADER_EPOCH'
  | 'UNKNOWN_LEADER_EPOCH'
  | 'INCONSISTENT_VOTER_SET'
  | 'INVALID_REQUEST'
  | 'OFFSET_OUT_OF_RANGE'
  | 'SNAPSHOT_NOT_FOUND'
  | 'POSITION_OUT_OF_RANGE';

/** Kafka's OffsetAndEpoch: an exclusive end offset and the epoch of the entry just before it. */
export interface OffsetAndEpoch {
  readonly offset: number;
  readonly epoch: number;
}

/** Kafka's snapshot id: the snapshot covers every entry below `endOffset`; `epoch` is the last one's. */
export interface SnapshotId {
  readonly endOffset: number;
  readonly epoch: number;
}

export interface LeaderIdAndEpoch {
  readonly leaderId: NodeId | null;
  readonly leaderEpoch: number;
}

export interface VoteRequest {
  readonly api: 'Vote';
  readonly correlationId: number;
  /** The epoch the candidate runs in; for a pre-vote, the prospective's current epoch. */
  readonly candidateEpoch: number;
  readonly candidateId: NodeId;
  readonly voterId: NodeId;
  readonly lastOffsetEpoch: number;
  /** The candidate's log end offset (exclusive). */
  readonly lastOffset: number;
  readonly preVote: boolean;
}

export interface VoteResponse {
  readonly api: 'VoteResponse';
  readonly correlationId: number;
  readonly errorCode: RaftErrorCode;
  readonly leaderId: NodeId | null;
  readonly leaderEpoch: number;
  readonly voteGranted: boolean;
  /** Echoes the request, so a binding-vote response is never counted as a pre-vote or back. */
  readonly preVote: boolean;
}

export interface BeginQuorumEpochRequest {
  readonly api: 'BeginQuorumEpoch';
  readonly correlationId: number;
  readonly leaderId: NodeId;
  readonly leaderEpoch: number;
  readonly voterId: NodeId;
}

export interface BeginQuorumEpochResponse {
  readonly api: 'BeginQuorumEpochResponse';
  readonly correlationId: number;
  readonly errorCode: RaftErrorCode;
  readonly leaderId: NodeId | null;
  readonly leaderEpoch: number;
}

export interface EndQuorumEpochRequest {
  readonly api: 'EndQuorumEpoch';
  readonly correlationId: number;
  readonly leaderId: NodeId;
  readonly leaderEpoch: number;
  /** Voters in the order the resigning leader prefers them, most caught-up first. */
  readonly preferredSuccessors: readonly NodeId[];
}

export interface EndQuorumEpochResponse {
  readonly api: 'EndQuorumEpochResponse';
  readonly correlationId: number;
  readonly errorCode: RaftErrorCode;
  readonly leaderId: NodeId | null;
  readonly leaderEpoch: number;
}

export interface FetchRequest {
  readonly api: 'Fetch';
  readonly correlationId: number;
  readonly replicaId: NodeId;
  /** How long the leader may hold the request when it has nothing new (long polling). */
  readonly maxWaitMs: number;
  readonly currentLeaderEpoch: number;
  /** The follower's log end offset, of which it has fsynced everything. */
  readonly fetchOffset: number;
  /** The epoch of the entry at fetchOffset - 1 (or of the snapshot when the log is empty). */
  readonly lastFetchedEpoch: number;
}

export interface FetchResponse {
  readonly api: 'FetchResponse';
  readonly correlationId: number;
  readonly errorCode: RaftErrorCode;
  readonly currentLeader: LeaderIdAndEpoch;
  /** -1 when the leader does not know its high watermark yet. */
  readonly highWatermark: number;
  readonly logStartOffset: number;
  /** Set when the follower's log diverges: truncate to this end offset of this epoch, then fetch again. */
  readonly divergingEpoch: { readonly epoch: number; readonly endOffset: number } | null;
  /** Set when the fetch offset is below the leader's log start: fetch this snapshot first. */
  readonly snapshotId: SnapshotId | null;
  /** The leader's record batches from fetchOffset, as stored (one FetchResponse carries them whole). */
  readonly records: readonly RecordBatch[];
}

export interface FetchSnapshotRequest {
  readonly api: 'FetchSnapshot';
  readonly correlationId: number;
  readonly replicaId: NodeId;
  readonly currentLeaderEpoch: number;
  readonly snapshotId: SnapshotId;
  /** Always 0: ksim sends a snapshot in one response. */
  readonly position: number;
}

export interface FetchSnapshotResponse {
  readonly api: 'FetchSnapshotResponse';
  readonly correlationId: number;
  readonly errorCode: RaftErrorCode;
  readonly currentLeader: LeaderIdAndEpoch;
  readonly snapshotId: SnapshotId;
  readonly size: number;
  readonly position: number;
  /** The snapshot file's bytes from `position`: its record batches, as stored. */
  readonly unalignedRecords: Uint8Array;
}

export type RaftRequest =
  | VoteRequest
  | BeginQuorumEpochRequest
  | EndQuorumEpochRequest
  | FetchRequest
  | FetchSnapshotRequest;

export type RaftResponse =
  | VoteResponse
  | BeginQuorumEpochResponse
  | EndQuorumEpochResponse
  | FetchResponse
  | FetchSnapshotResponse;

export type RaftMessage = RaftRequest | RaftResponse;
export type RaftApi = RaftMessage['api'];

const RAFT_APIS: ReadonlySet<string> = new Set<RaftApi>([
  'Vote',
  'VoteResponse',
  'BeginQuorumEpoch',
  'BeginQuorumEpochResponse',
  'EndQuorumEpoch',
  'EndQuorumEpochResponse',
  'Fetch',
  'FetchResponse',
  'FetchSnapshot',
  'FetchSnapshotResponse',
]);

export function isRaftMessage(value: unknown): value is RaftMessage {
  if (typeof value !== 'object' || value === null) return false;
  const api = (value as { api?: unknown }).api;
  return typeof api === 'string' && RAFT_APIS.has(api);
}

/** A request/response header in Kafka is a few dozen bytes; ksim charges one flat estimate. */
const MESSAGE_HEADER_BYTES = 64;
/** Per-record bytes as encodeBatch lays a record out: attributes, timestamp and offset deltas, key and value lengths, header count. */
const RECORD_OVERHEAD_BYTES = 1 + 8 + 4 + 4 + 4 + 4;

/** An estimate of the wire size, for the world's bandwidth and latency model. */
export function raftMessageSizeBytes(message: RaftMessage): number {
  switch (message.api) {
    case 'FetchResponse':
      return message.records.reduce((total, batch) => total + batchSizeBytes(batch), MESSAGE_HEADER_BYTES);
    case 'FetchSnapshotResponse':
      return MESSAGE_HEADER_BYTES + message.unalignedRecords.length;
    case 'EndQuorumEpoch':
      return MESSAGE_HEADER_BYTES + 4 * message.preferredSuccessors.length;
    case 'Vote':
    case 'VoteResponse':
    case 'BeginQuorumEpoch':
    case 'BeginQuorumEpochResponse':
    case 'EndQuorumEpochResponse':
    case 'Fetch':
    case 'FetchSnapshot':
      return MESSAGE_HEADER_BYTES;
    default:
      return assertNever(message);
  }
}

/** A record batch's size as stored, counting one byte per character of its keys and values. */
function batchSizeBytes(batch: RecordBatch): number {
  let bytes = RECORD_BATCH_OVERHEAD;
  for (const record of batch.records) bytes += RECORD_OVERHEAD_BYTES + (record.key?.length ?? 0) + (record.value?.length ?? 0);
  return bytes;
}

export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`);
}
