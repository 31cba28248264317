/**
 * The Kafka checker's model of one partition: each replica's log as its trace events describe it,
 * the records the partition committed, and — kept up to date at every change — where each replica
 * disagrees with what was committed.
 *
 * The disagreement sets are what keep the checker's cost per event independent of the log's
 * length. Without them, a new leader is compared with every committed record (LeaderHoldsCommitted)
 * and a restarted follower re-reads its whole log against them (CommittedPrefixIdentical), so a
 * run's cost grows with the square of its length; with them, each check touches only the offsets
 * where something differs.
 *
 * Invariants, for every replica r of the partition:
 * - every offset r holds is below r.logEndOffset;
 * - o ∈ r.divergent ⇔ o ≥ r.logStartOffset, o is committed, and r holds no record at o or a
 *   different one than the committed record.
 *
 * Left out: anything about the records beyond their values (keys, timestamps, headers).
 */
import type { NodeId } from '../../../src/host.js';

export class ReplicaModel {
  logStartOffset = 0;
  logEndOffset = 0;
  highWatermark = 0;
  /** Offset → record value. */
  readonly entries = new Map<number, string | null>();
  /** A lower bound of the offsets in `entries`, so that dropping a prefix need not scan them all. */
  entriesFromOffset = Number.POSITIVE_INFINITY;
  /** The committed offsets, at or above logStartOffset, where this replica holds no record or another one. */
  readonly divergent = new Set<number>();

  constructor(public incarnation: number) {}

  holdsCommitted(offset: number, committed: string | null): boolean {
    return this.entries.has(offset) && this.entries.get(offset) === committed;
  }
}

export class PartitionModel {
  readonly replicas = new Map<NodeId, ReplicaModel>();
  private readonly committed = new Map<number, string | null>();
  committedEnd = 0;
  readonly leaders = new Map<number, NodeId>();
  leaderEpoch = -1;
  partitionEpoch = -1;
  /** The metadata log offset of the last change seen: a new controller may trace a change again. */
  metadataOffset = -1;

  /** A replica seen for the first time (or again after its disk was lost): it holds nothing yet. */
  addReplica(node: NodeId, incarnation: number): ReplicaModel {
    const replica = new ReplicaModel(incarnation);
    for (const offset of this.committed.keys()) replica.divergent.add(offset);
    this.replicas.set(node, replica);
    return replica;
  }

  committedAt(offset: number): string | null | undefined {
    return this.committed.get(offset);
  }

  setCommitted(offset: number, value: string | null): void {
    this.committed.set(offset, value);
    for (const replica of this.replicas.values()) this.refresh(replica, offset);
  }

  deleteCommitted(offset: number): void {
    this.committed.delete(offset);
    for (const replica of this.replicas.values()) replica.divergent.delete(offset);
  }

  setEntry(replica: ReplicaModel, offset: number, value: string | null): void {
    replica.entries.set(offset, value);
    replica.entriesFromOffset = Math.min(replica.entriesFromOffset, offset);
    this.refresh(replica, offset);
  }

  /** Removes the replica's records at and above `offset` (a truncation). */
  truncate(replica: ReplicaModel, offset: number): void {
    for (let o = offset; o < replica.logEndOffset; o++) {
      if (replica.entries.delete(o)) this.refresh(replica, o);
    }
    replica.logEndOffset = Math.min(replica.logEndOffset, offset);
  }

  /** Moves the replica's log start up to `logStartOffset`, dropping the records below it. */
  advanceLogStart(replica: ReplicaModel, logStartOffset: number): void {
    const previous = replica.logStartOffset;
    replica.logStartOffset = logStartOffset;
    for (let o = replica.entriesFromOffset; o < logStartOffset; o++) replica.entries.delete(o);
    replica.entriesFromOffset = Math.max(replica.entriesFromOffset, logStartOffset);
    if (logStartOffset > previous) {
      for (const o of replica.divergent) if (o < logStartOffset) replica.divergent.delete(o);
    } else {
      for (let o = logStartOffset; o < previous; o++) this.refresh(replica, o);
    }
  }

  /** The committed offsets at or above the replica's log start that it lacks or holds differently, ascending. */
  missingOn(replica: ReplicaModel): number[] {
    return [...replica.divergent].sort((a, b) => a - b);
  }

  /**
   * The offsets in [from, to) where the replica holds a record and the partition committed a
   * different one, ascending: what a follower's high watermark passing them must report. Costs
   * the smaller of the range and the replica's disagreements.
   */
  conflictsIn(replica: ReplicaModel, from: number, to: number): number[] {
    const conflicts: number[] = [];
    const isConflict = (o: number) => replica.entries.has(o) && this.committed.has(o) && !replica.holdsCommitted(o, this.committed.get(o)!);
    if (to - from <= replica.divergent.size) {
      for (let o = from; o < to; o++) if (isConflict(o)) conflicts.push(o);
      return conflicts;
    }
    for (const o of replica.divergent) if (o >= from && o < to && isConflict(o)) conflicts.push(o);
    return conflicts.sort((a, b) => a - b);
  }

  /** Re-establishes the divergence invariant at one offset of one replica. */
  private refresh(replica: ReplicaModel, offset: number): void {
    if (offset >= replica.logStartOffset && this.committed.has(offset) && !replica.holdsCommitted(offset, this.committed.get(offset)!)) {
      replica.divergent.add(offset);
    } else {
      replica.divergent.delete(offset);
    }
  }
}
