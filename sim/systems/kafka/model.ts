/**
 * The Kafka checker's model of the cluster's partitions, rebuilt from the brokers' trace events:
 * every replica's log (offset → value and leader epoch), its high watermark and the leader epoch it
 * follows, every leadership as its leader sees it (ISR, pending ISR change, epoch start), what the
 * controller committed, and what clients were handed. No single broker can see all of it; the
 * invariants in invariants.ts judge it.
 *
 * Invariants of the model itself: a replica's entries lie in [logStartOffset, logEndOffset); a
 * leadership belongs to one incarnation of its leader and ends when that leader follows, restarts or
 * leads again in another epoch.
 */
import type { NodeId } from '../../../src/host.js';

export interface RecordModel {
  readonly value: string | null;
  readonly epoch: number;
}

export interface ReplicaModel {
  incarnation: number;
  logStartOffset: number;
  logEndOffset: number;
  readonly entries: Map<number, RecordModel>;
  highWatermark: number;
}

/** One broker's leadership of a partition in one leader epoch, as that broker traced it. */
export interface LeadershipModel {
  readonly leader: NodeId;
  readonly incarnation: number;
  readonly leaderEpoch: number;
  readonly epochStartOffset: number;
  /** The ISR the controller committed, as the leader knows it. */
  isr: readonly NodeId[];
  /** The ISR an in-flight AlterPartition proposes, or null (KIP-497: the maximal ISR is the union). */
  pendingIsr: readonly NodeId[] | null;
  /**
   * The highest log end offset each replica reached since this leadership began. The leader can
   * know no more of a follower than this, even when the follower restarted with less: that is the
   * bound its high watermark must respect.
   */
  readonly logEndReached: Map<NodeId, number>;
}

export interface PartitionModel {
  readonly replicas: Map<NodeId, ReplicaModel>;
  readonly committed: Map<number, string | null>;
  committedEnd: number;
  readonly leaders: Map<number, NodeId>;
  /** Leaderships in progress, by leader: a deposed leader may not know it yet. */
  readonly leaderships: Map<NodeId, LeadershipModel>;
  /** The leader epoch each broker last said it follows or leads, in any incarnation. */
  readonly following: Map<NodeId, number>;
  /** `epoch|offset` → the record first seen there, and who held it (KAFKA-10527). */
  readonly epochOffsets: Map<string, { value: string | null; replica: NodeId }>;
  /** Leader epoch → the highest high watermark a client was handed in it. */
  readonly clientHighWatermarks: Map<number, number>;
  /** Leader epoch → the highest latest offset ListOffsets listed to a client in it (KIP-207). */
  readonly listedLatestOffsets: Map<number, number>;
  leaderEpoch: number;
  partitionEpoch: number;
  /** The metadata log offset of the last change seen: a new controller may trace a change again. */
  metadataOffset: number;
  /** Metadata log offset → the epochs committed there, to tell a re-traced change from a rewritten one. */
  readonly metadataAt: Map<number, string>;
  /** When this partition's metadata was seen going back. */
  readonly metadataRollbacksAtMs: number[];
}

export function newPartitionModel(): PartitionModel {
  return {
    replicas: new Map(),
    committed: new Map(),
    committedEnd: 0,
    leaders: new Map(),
    leaderships: new Map(),
    following: new Map(),
    epochOffsets: new Map(),
    clientHighWatermarks: new Map(),
    listedLatestOffsets: new Map(),
    leaderEpoch: -1,
    partitionEpoch: -1,
    metadataOffset: -1,
    metadataAt: new Map(),
    metadataRollbacksAtMs: [],
  };
}

export function newReplicaModel(incarnation: number): ReplicaModel {
  return { incarnation, logStartOffset: 0, logEndOffset: 0, entries: new Map(), highWatermark: 0 };
}

/** Removes the entries at and above `offset`. */
export function truncateReplica(replica: ReplicaModel, offset: number): void {
  for (const held of [...replica.entries.keys()]) if (held >= offset) replica.entries.delete(held);
  replica.logEndOffset = Math.min(replica.logEndOffset, offset);
}

/** The committed ISR plus the members an in-flight AlterPartition would add (KIP-497). */
export function maximalIsr(leadership: LeadershipModel): NodeId[] {
  return [...new Set([...leadership.isr, ...(leadership.pendingIsr ?? [])])];
}
