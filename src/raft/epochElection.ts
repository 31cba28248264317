/**
 * The tally of one election round: which voters granted, which rejected, which have not answered.
 *
 * What it models: Kafka's EpochElection, shared by ProspectiveState (non-binding pre-votes, KIP-996)
 * and CandidateState (binding votes). The local replica votes for itself when the round starts.
 *
 * Invariants: a voter's answer is recorded once (a later, different answer for the same round is an
 * internal error); granted and rejected never overlap; majority = floor(voters / 2) + 1.
 *
 * Left out: directory ids of voters (KIP-853).
 */

import type { NodeId } from '../host.js';

export function majoritySize(voterCount: number): number {
  return Math.floor(voterCount / 2) + 1;
}

export class EpochElection {
  private readonly granted = new Set<NodeId>();
  private readonly rejected = new Set<NodeId>();

  constructor(
    private readonly voters: readonly NodeId[],
    localId: NodeId,
  ) {
    if (!voters.includes(localId)) throw new Error(`EpochElection: ${localId} is not a voter`);
    this.granted.add(localId);
  }

  /** Records an answer; returns whether it was new. Answers from non-voters are ignored. */
  recordVote(voterId: NodeId, granted: boolean): boolean {
    if (!this.voters.includes(voterId)) return false;
    const previous = this.granted.has(voterId) ? true : this.rejected.has(voterId) ? false : null;
    if (previous !== null) {
      if (previous !== granted) throw new Error(`recordVote: ${voterId} changed its answer in one round`);
      return false;
    }
    (granted ? this.granted : this.rejected).add(voterId);
    return true;
  }

  isVoteGranted(): boolean {
    return this.granted.size >= majoritySize(this.voters.length);
  }

  /** True when a majority can no longer be reached: this round is lost. */
  isVoteRejected(): boolean {
    return this.rejected.size > this.voters.length - majoritySize(this.voters.length);
  }

  unrecordedVoters(): NodeId[] {
    return this.voters.filter((id) => !this.granted.has(id) && !this.rejected.has(id));
  }

  grantingVoters(): NodeId[] {
    return this.voters.filter((id) => this.granted.has(id));
  }
}
