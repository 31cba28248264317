/**
 * The Kafka checker's model of the cluster's partitions, rebuilt from the brokers' trace events:
 * every replica's log (offset → value and leader epoch), its high watermark and the leader epoch it
 * follows, every leadership as its leader sees it (ISR, pending ISR change, epoch start), what the
 * controller committed, and what clients were handed. No single broker can see all of it; the
 * invariants in invariants.ts judge it.
 *
 * The model also keeps, at every change, where each replica disagrees with what was committed. That
 * is what keeps the checker's cost per event independent of the log's length: without it, a new
 * leader is compared with every committed record (LeaderHoldsCommitted) and a restarted follower
 * re-reads its whole log against them (CommittedPrefixIdentical), so a run's cost grows with the
 * square of its length; with it, each check touches only the offsets where something differs. So a
 * replica's records and the committed records change only through PartitionModel's methods.
 *
 * Invariants of the model itself, for every replica r of a partition:
 * - every offset r holds lies in [r.logStartOffset, r.logEndOffset);
 * - o ∈ r.divergent ⇔ o ≥ r.logStartOffset, o is committed, and r holds no record at o or one whose
 *   value differs from the committed one (epochs are not compared: what was committed is a value);
 * - a leadership belongs to one incarnation of its leader and ends when that leader follows,
 *   restarts or leads again in another epoch.
 *
 * Left out: anything about the records beyond their values and epochs (keys, timestamps, headers).
 */
import type { NodeId } from '../../../src/host.js';

export interface RecordModel {
  readonly value: string | null;
  readonly epoch: number;
}

export class ReplicaModel {
  logStartOffset = 0;
  logEndOffset = 0;
  highWatermark = 0;
  /** Offset → record. Changed only through PartitionModel, which keeps `divergent` true to it. */
  readonly entries = new Map<number, RecordModel>();
  /** A lower bound of the offsets in `entries`, so that dropping a prefix need not scan them all. */
  entriesFromOffset = Number.POSITIVE_INFINITY;
  /** The committed offsets, at or above logStartOffset, where this replica holds no record or another one. */
  readonly divergent = new Set<number>();

  constructor(public incarnation: number) {}

  holdsCommitted(offset: number, committed: string | null): boolean {
    const entry = this.entries.get(offset);
    return entry !== undefined && entry.value === committed;
  }
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

/** An AlterPartition proposal as the checker saw it made. */
export interface IsrProposalModel {
  readonly leader: NodeId;
  readonly leaderEpoch: number;
  readonly isr: readonly NodeId[];
  /**
   * The partition epoch the proposal was made on, when traced: the controller takes an
   * AlterPartition only at the current partition epoch, and its change has the next one.
   */
  readonly partitionEpoch: number | null;
  /** Member → the broker epoch of its registration committed last before the proposal. */
  readonly registeredBrokerEpochs: ReadonlyMap<NodeId, number>;
}

/** A partition's epochs as one change in the metadata log left them. */
export interface MetadataEpochs {
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
  /** The leader the change names (null: none). */
  readonly leader: NodeId | null;
}

export class PartitionModel {
  readonly replicas = new Map<NodeId, ReplicaModel>();
  /** Offset → the value committed there. */
  private readonly committed = new Map<number, string | null>();
  committedEnd = 0;
  readonly leaders = new Map<number, NodeId>();
  /** Leaderships in progress, by leader: a deposed leader may not know it yet. */
  readonly leaderships = new Map<NodeId, LeadershipModel>();
  /** The leader epoch each broker last said it follows or leads, in any incarnation. */
  readonly following = new Map<NodeId, number>();
  /** `epoch|offset` → the record first seen there, and who held it (KAFKA-10527). */
  readonly epochOffsets = new Map<string, { value: string | null; replica: NodeId }>();
  /** Leader epoch → the highest high watermark a client was handed in it. */
  readonly clientHighWatermarks = new Map<number, number>();
  /** Leader epoch → the highest latest offset ListOffsets listed to a client in it (KIP-207). */
  readonly listedLatestOffsets = new Map<number, number>();
  leaderEpoch = -1;
  partitionEpoch = -1;
  /** The metadata log offset of the last change seen: a new controller may trace a change again. */
  metadataOffset = -1;
  /** Metadata log offset → the epochs committed there, to tell a re-traced change from a rewritten one. */
  readonly metadataAt = new Map<number, MetadataEpochs>();
  /** When this partition's metadata was seen going back. */
  readonly metadataRollbacksAtMs: number[] = [];
  /** Leader epochs the controller handed out again to another leader after the metadata went back. */
  readonly reusedLeaderEpochs = new Set<number>();
  /**
   * Metadata log offset → when the change committed there was last traced: what a rewrite of the
   * metadata log from a lower offset takes back (KafkaChecker.onMetadataLogRewritten).
   */
  readonly metadataTracedAtMs = new Map<number, number>();
  /**
   * When a rewrite of the metadata log took back every change of this partition the checker saw,
   * its creation included, or null: the partition no longer exists until it is created again.
   */
  metadataForgottenAtMs: number | null = null;
  /** The ISR of the last change committed to the metadata log. */
  metadataIsr: readonly NodeId[] = [];
  /**
   * The last ISR a leader proposed, in its leader epoch, with the broker epoch each member was last
   * registered with when it was proposed (KIP-903): the registration whose fetches earned it.
   */
  lastProposal: IsrProposalModel | null = null;
  /**
   * Replicas whose disk was lost, as they were just before, with the broker epoch their broker was
   * registered with then: until the broker registers again, the controller cannot know of the loss
   * and keeps the replica in the ISR, and what it had reached is what a leader elected meanwhile
   * knows of it (its registration as a new incarnation takes it out of every ISR, KIP-966).
   */
  readonly replicasBeforeDiskLoss = new Map<NodeId, { readonly replica: ReplicaModel; readonly brokerEpoch: number | undefined }>();

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

  setEntry(replica: ReplicaModel, offset: number, entry: RecordModel): void {
    replica.entries.set(offset, entry);
    replica.entriesFromOffset = Math.min(replica.entriesFromOffset, offset);
    this.refresh(replica, offset);
  }

  /** Replaces the replica's record at one offset with another, or with none (what it holds there is unknown). */
  replaceEntry(replica: ReplicaModel, offset: number, entry: RecordModel | null): void {
    if (entry === null) {
      replica.entries.delete(offset);
      this.refresh(replica, offset);
      return;
    }
    this.setEntry(replica, offset, entry);
  }

  /** Removes the replica's records at and above `offset` (a truncation). */
  truncate(replica: ReplicaModel, offset: number): void {
    for (let held = offset; held < replica.logEndOffset; held++) {
      if (replica.entries.delete(held)) this.refresh(replica, held);
    }
    replica.logEndOffset = Math.min(replica.logEndOffset, offset);
    // As Kafka's UnifiedLog.updateLogEndOffset: a high watermark never stands above the log end.
    replica.highWatermark = Math.min(replica.highWatermark, replica.logEndOffset);
  }

  /** Moves the replica's log start to `logStartOffset`, dropping the records below it. */
  advanceLogStart(replica: ReplicaModel, logStartOffset: number): void {
    const previous = replica.logStartOffset;
    replica.logStartOffset = logStartOffset;
    for (let held = replica.entriesFromOffset; held < logStartOffset; held++) replica.entries.delete(held);
    replica.entriesFromOffset = Math.max(replica.entriesFromOffset, logStartOffset);
    if (logStartOffset > previous) {
      for (const offset of replica.divergent) if (offset < logStartOffset) replica.divergent.delete(offset);
    } else {
      for (let offset = logStartOffset; offset < previous; offset++) this.refresh(replica, offset);
    }
  }

  /** The committed offsets at or above the replica's log start that it lacks or holds differently, ascending. */
  missingOn(replica: ReplicaModel): number[] {
    return [...replica.divergent].sort((a, b) => a - b);
  }

  /**
   * The offsets in [from, to), at or above the replica's log start, where the replica holds a record
   * and the partition committed another value, ascending: what a follower's high watermark passing
   * them must report. Costs the smaller of the range and the replica's disagreements.
   */
  conflictsIn(replica: ReplicaModel, fromOffset: number, to: number): number[] {
    const from = Math.max(fromOffset, replica.logStartOffset);
    const conflicts: number[] = [];
    const isConflict = (offset: number) => replica.entries.has(offset) && this.committed.has(offset) && !replica.holdsCommitted(offset, this.committed.get(offset)!);
    if (to - from <= replica.divergent.size) {
      for (let offset = from; offset < to; offset++) if (isConflict(offset)) conflicts.push(offset);
      return conflicts;
    }
    for (const offset of replica.divergent) if (offset >= from && offset < to && isConflict(offset)) conflicts.push(offset);
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

/** The committed ISR plus the members an in-flight AlterPartition would add (KIP-497). */
export function maximalIsr(leadership: LeadershipModel): NodeId[] {
  return [...new Set([...leadership.isr, ...(leadership.pendingIsr ?? [])])];
}
