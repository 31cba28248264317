/**
 * What a leader knows about its epoch: each replica's durable log end, the high watermark, which
 * voters acknowledged the epoch, and whether a majority still fetches (check quorum).
 *
 * What it models: Kafka's LeaderState. Followers report their log end offset in every Fetch
 * (`fetchOffset`), which in KRaft is offset they have fsynced; the leader counts its own log only
 * up to what it has fsynced (`updateLocalState(flushedOffset)`).
 *
 * Invariants:
 * - The high watermark is the largest offset that a majority of voters have durably, and it only
 *   moves once it is above `epochStartOffset`: a new leader must commit a record of its own epoch
 *   (its LeaderChange record) before it exposes any earlier record (Raft §5.4.2; KIP-595).
 * - The high watermark never decreases; a computed value below it is ignored.
 * - Check quorum: a leader that has not received a Fetch or FetchSnapshot from a majority of voters
 *   (itself included) within 1.5 × controller.quorum.fetch.timeout.ms resigns (KAFKA-15489), so a
 *   partitioned leader stops claiming leadership.
 *
 * Left out: observers' progress beyond their last fetch offset, voter-set changes (KIP-853).
 */

import type { NodeId } from '../host.js';
import { majoritySize } from './epochElection.js';

export interface ReplicaProgress {
  /** The replica's durable log end offset, or null before its first valid Fetch in this epoch. */
  endOffset: number | null;
  hasAcknowledgedLeader: boolean;
}

export class LeaderState {
  private readonly voterStates = new Map<NodeId, ReplicaProgress>();
  private readonly observerStates = new Map<NodeId, ReplicaProgress>();
  private hw: number | null = null;
  /** Voters (other than the leader) that fetched since the check-quorum timer was last reset. */
  private readonly fetchedVoters = new Set<NodeId>();

  constructor(
    readonly localId: NodeId,
    readonly epoch: number,
    /** The log end offset when this epoch began: the offset of the LeaderChange record. */
    readonly epochStartOffset: number,
    private readonly voters: readonly NodeId[],
  ) {
    if (!voters.includes(localId)) throw new Error(`LeaderState: ${localId} is not a voter`);
    for (const voter of voters) {
      this.voterStates.set(voter, { endOffset: null, hasAcknowledgedLeader: voter === localId });
    }
  }

  /** Null until the first record of this epoch is committed. */
  get highWatermark(): number | null {
    return this.hw;
  }

  /** Records the leader's own flushed offset; returns whether the high watermark moved. */
  updateLocalState(flushedOffset: number): boolean {
    this.voterStates.get(this.localId)!.endOffset = flushedOffset;
    return this.maybeUpdateHighWatermark();
  }

  /** Records a replica's fetch offset; returns whether the high watermark moved. */
  updateReplicaState(replicaId: NodeId, fetchOffset: number): boolean {
    if (replicaId === this.localId) throw new Error('updateReplicaState: the leader does not fetch from itself');
    const voter = this.voterStates.get(replicaId);
    if (voter === undefined) {
      const observer = this.observerStates.get(replicaId) ?? { endOffset: null, hasAcknowledgedLeader: true };
      observer.endOffset = fetchOffset;
      this.observerStates.set(replicaId, observer);
      return false;
    }
    // A follower's offset may go down (it lost unflushed data in a power loss); the high
    // watermark does not follow it down.
    voter.endOffset = fetchOffset;
    voter.hasAcknowledgedLeader = true;
    return this.maybeUpdateHighWatermark();
  }

  /**
   * Kafka's `maybeUpdateHighWatermark`: the (n/2)-th largest voter end offset, in descending order,
   * is held by a majority.
   */
  private maybeUpdateHighWatermark(): boolean {
    const endOffsets = [...this.voterStates.values()]
      .map((state) => state.endOffset ?? -1)
      .sort((a, b) => b - a);
    const candidate = endOffsets[majoritySize(this.voters.length) - 1] ?? -1;
    if (candidate <= this.epochStartOffset) return false;
    if (this.hw !== null && candidate <= this.hw) return false;
    this.hw = candidate;
    return true;
  }

  addAcknowledgementFrom(voterId: NodeId): void {
    const voter = this.voterStates.get(voterId);
    if (voter !== undefined) voter.hasAcknowledgedLeader = true;
  }

  nonAcknowledgingVoters(): NodeId[] {
    return this.voters.filter((id) => !this.voterStates.get(id)!.hasAcknowledgedLeader);
  }

  /**
   * Records a Fetch or FetchSnapshot from a voter for check quorum. Returns true when a majority
   * (the leader included) has now fetched, i.e. the check-quorum timer should be reset.
   */
  updateCheckQuorumForFollowingVoter(voterId: NodeId): boolean {
    if (voterId === this.localId || !this.voterStates.has(voterId)) return false;
    this.fetchedVoters.add(voterId);
    if (this.fetchedVoters.size + 1 < majoritySize(this.voters.length)) return false;
    this.fetchedVoters.clear();
    return true;
  }

  /** Whether the leader alone is a majority (one voter), so check quorum never expires. */
  isOnlyVoter(): boolean {
    return majoritySize(this.voters.length) === 1;
  }

  /** Other voters by descending log end offset: the preferred successors when resigning. */
  nonLeaderVotersByDescendingFetchOffset(): NodeId[] {
    return this.voters
      .filter((id) => id !== this.localId)
      .map((id) => ({ id, endOffset: this.voterStates.get(id)!.endOffset ?? -1 }))
      .sort((a, b) => b.endOffset - a.endOffset || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((entry) => entry.id);
  }

  replicaEndOffset(replicaId: NodeId): number | null {
    return (this.voterStates.get(replicaId) ?? this.observerStates.get(replicaId))?.endOffset ?? null;
  }
}
