/**
 * The role of a replica in the quorum, its legal transitions, and its vote-granting rules.
 *
 * What it models: Kafka's QuorumState and EpochState classes as of Kafka 4 (KIP-595 with KIP-996
 * pre-vote). Roles, in Kafka's current naming:
 *   unattached  — knows the epoch but not the leader; may hold a binding vote (`votedId`), which is
 *                 what Kafka 3.x called the Voted state.
 *   prospective — ran out of patience with the leader and asks for pre-votes without bumping the
 *                 epoch (KIP-996), so a partitioned replica cannot disrupt a healthy leader.
 *   candidate   — bumped the epoch, voted for itself and asks for binding votes.
 *   follower    — knows the leader of its epoch and fetches from it (voters and observers).
 *   leader      — won the epoch.
 *   resigned    — was leader of this epoch and stepped down (graceful resign, lost check quorum,
 *                 or restarted: KAFKA-10527 never resumes leadership in the same epoch).
 *
 * Transition table with pre-vote (E = epoch; "same" keeps it, "higher" raises it, "next" is E+1):
 *   unattached  → unattached (higher: a newer election), prospective (same: election timeout),
 *                 follower (same or higher: a leader is discovered)
 *   prospective → unattached (same: pre-vote lost without a known leader; or higher), candidate (next:
 *                 a majority of pre-votes), follower (same: pre-vote lost with a known leader; or higher)
 *   candidate   → unattached (higher), prospective (same: election lost or timed out, after backoff),
 *                 leader (same: a majority of votes), follower (same or higher)
 *   follower    → unattached (higher), prospective (same: fetch timeout), follower (higher)
 *   leader      → unattached (higher), resigned (same), follower (higher)
 *   resigned    → unattached (higher: E+1 after the election timeout, or a newer election), follower (higher)
 * Without pre-vote (ksim.raft.pre.vote=false, Kafka 3.x) every "→ prospective (same)" edge becomes
 * "→ candidate (next)" and prospective is never entered.
 * Granting a binding vote is the one same-role transition: unattached or prospective without a vote
 * records `votedId` in the same epoch.
 * Observers (replicas outside the voter set) are only ever unattached or follower.
 * Every other transition throws: it would be a bug in the client, not a protocol event.
 *
 * Durability: a transition that changes the ElectionState (epoch, leaderId, votedId) is written to
 * the quorum-state file; the state is *durable* only once that write has completed, and the client
 * must not act on it before (no vote granted, no Vote sent, no BeginQuorumEpoch sent). Prospective
 * and resigned are memory-only refinements of a durable election state, as in Kafka.
 *
 * Left out: directory ids and endpoints (KIP-853), dynamic voter sets.
 */

import type { NodeId } from '../host.js';
import { EpochElection } from './epochElection.js';
import type { LeaderState } from './leaderState.js';
import type { OffsetAndEpoch } from './messages.js';
import { type ElectionState, type QuorumStateStore, sameElectionState } from './quorumStateStore.js';

export type QuorumRole = 'unattached' | 'prospective' | 'candidate' | 'follower' | 'leader' | 'resigned';

export const QUORUM_ROLES: readonly QuorumRole[] = [
  'unattached',
  'prospective',
  'candidate',
  'follower',
  'leader',
  'resigned',
];

export interface UnattachedState {
  readonly role: 'unattached';
  readonly epoch: number;
  readonly votedId: NodeId | null;
}

export interface ProspectiveState {
  readonly role: 'prospective';
  readonly epoch: number;
  /** The leader this replica followed in this epoch before it lost patience, if any. */
  readonly leaderId: NodeId | null;
  readonly votedId: NodeId | null;
  readonly retries: number;
  readonly election: EpochElection;
}

export interface CandidateState {
  readonly role: 'candidate';
  readonly epoch: number;
  /** Counts consecutive lost elections, for the binary exponential backoff. */
  readonly retries: number;
  readonly election: EpochElection;
}

export interface FollowerState {
  readonly role: 'follower';
  readonly epoch: number;
  readonly leaderId: NodeId;
  readonly votedId: NodeId | null;
  /** Whether a Fetch to the leader succeeded in this state; until then the follower grants pre-votes. */
  hasFetchedFromLeader: boolean;
}

export interface LeaderEpochState {
  readonly role: 'leader';
  readonly epoch: number;
  readonly leaderState: LeaderState;
}

export interface ResignedState {
  readonly role: 'resigned';
  readonly epoch: number;
  readonly preferredSuccessors: readonly NodeId[];
}

export type EpochState =
  | UnattachedState
  | ProspectiveState
  | CandidateState
  | FollowerState
  | LeaderEpochState
  | ResignedState;

type EpochRule = 'same' | 'higher' | 'sameOrHigher' | 'next';
type TransitionTable = Readonly<Record<QuorumRole, Partial<Record<QuorumRole, EpochRule>>>>;

export const PRE_VOTE_TRANSITIONS: TransitionTable = {
  unattached: { unattached: 'higher', prospective: 'same', follower: 'sameOrHigher' },
  prospective: { unattached: 'sameOrHigher', candidate: 'next', follower: 'sameOrHigher' },
  candidate: { unattached: 'higher', prospective: 'same', leader: 'same', follower: 'sameOrHigher' },
  follower: { unattached: 'higher', prospective: 'same', follower: 'higher' },
  leader: { unattached: 'higher', resigned: 'same', follower: 'higher' },
  resigned: { unattached: 'higher', follower: 'higher' },
};

export const LEGACY_TRANSITIONS: TransitionTable = {
  unattached: { unattached: 'higher', candidate: 'next', follower: 'sameOrHigher' },
  prospective: {},
  candidate: { unattached: 'higher', candidate: 'next', leader: 'same', follower: 'sameOrHigher' },
  follower: { unattached: 'higher', candidate: 'next', follower: 'higher' },
  leader: { unattached: 'higher', resigned: 'same', follower: 'higher' },
  resigned: { unattached: 'higher', follower: 'higher' },
};

export interface QuorumContext {
  readonly localId: NodeId;
  readonly voters: readonly NodeId[];
  readonly preVote: boolean;
}

export class IllegalStateTransitionError extends Error {}

/** Throws unless `from → to` is in the transition table and the target state is well-formed. */
export function checkTransition(from: EpochState, to: EpochState, context: QuorumContext): void {
  const fail = (why: string): never => {
    throw new IllegalStateTransitionError(
      `illegal transition ${from.role}(epoch ${from.epoch}) → ${to.role}(epoch ${to.epoch}): ${why}`,
    );
  };
  checkWellFormed(to, context, fail);
  if (isVoteGrant(from, to)) return;
  const table = context.preVote ? PRE_VOTE_TRANSITIONS : LEGACY_TRANSITIONS;
  const rule = table[from.role][to.role];
  if (rule === undefined) fail('not in the transition table');
  else if (!epochRuleHolds(rule, from.epoch, to.epoch)) fail(`epoch must be ${rule}`);
  if (from.role === 'candidate' && to.role === 'leader' && !from.election.isVoteGranted()) fail('no majority');
  if (from.role === 'prospective' && to.role === 'candidate' && !from.election.isVoteGranted()) fail('no pre-vote majority');
}

function isVoteGrant(from: EpochState, to: EpochState): boolean {
  if (from.epoch !== to.epoch) return false;
  if (from.role === 'unattached' && to.role === 'unattached') return from.votedId === null && to.votedId !== null;
  if (from.role === 'prospective' && to.role === 'prospective') {
    return from.votedId === null && to.votedId !== null && from.leaderId === to.leaderId && from.election === to.election;
  }
  return false;
}

function epochRuleHolds(rule: EpochRule, fromEpoch: number, toEpoch: number): boolean {
  switch (rule) {
    case 'same':
      return toEpoch === fromEpoch;
    case 'higher':
      return toEpoch > fromEpoch;
    case 'sameOrHigher':
      return toEpoch >= fromEpoch;
    case 'next':
      return toEpoch === fromEpoch + 1;
    default:
      return assertNeverRule(rule);
  }
}

function assertNeverRule(rule: never): never {
  throw new Error(`unknown epoch rule ${String(rule)}`);
}

function checkWellFormed(to: EpochState, context: QuorumContext, fail: (why: string) => never): void {
  const isVoter = context.voters.includes(context.localId);
  if (to.epoch < 0 || !Number.isSafeInteger(to.epoch)) fail('bad epoch');
  if (!isVoter && to.role !== 'unattached' && to.role !== 'follower') fail('an observer is only unattached or follower');
  const election = electionStateOf(to, context.localId);
  if (election.leaderId !== null && !context.voters.includes(election.leaderId)) fail('the leader is not a voter');
  if (election.votedId !== null && !context.voters.includes(election.votedId)) fail('the voted candidate is not a voter');
  if (to.role === 'follower' && to.leaderId === context.localId) fail('a follower of itself');
}

/** What must be durable for a state: Kafka's `EpochState.election()`. */
export function electionStateOf(state: EpochState, localId: NodeId): ElectionState {
  switch (state.role) {
    case 'unattached':
      return { epoch: state.epoch, leaderId: null, votedId: state.votedId };
    case 'prospective':
      return { epoch: state.epoch, leaderId: state.leaderId, votedId: state.votedId };
    case 'candidate':
      return { epoch: state.epoch, leaderId: null, votedId: localId };
    case 'follower':
      return { epoch: state.epoch, leaderId: state.leaderId, votedId: state.votedId };
    case 'leader':
    case 'resigned':
      return { epoch: state.epoch, leaderId: localId, votedId: localId };
    default:
      return assertNeverState(state);
  }
}

function assertNeverState(state: never): never {
  throw new Error(`unknown state ${JSON.stringify(state)}`);
}

/**
 * Raft's up-to-date check (§5.4.1), Kafka's `isLogUpToDate`: the candidate's last (epoch, offset)
 * must be at least ours, comparing epochs first. This is what keeps committed entries in every
 * future leader's log.
 */
export function isLogUpToDate(candidate: OffsetAndEpoch, local: OffsetAndEpoch): boolean {
  if (candidate.epoch !== local.epoch) return candidate.epoch > local.epoch;
  return candidate.offset >= local.offset;
}

/**
 * Kafka's `canGrantVote` per state. Pre-votes (KIP-996) are non-binding, so they only need an
 * up-to-date log — except that a follower that has heard from its leader refuses them, which is
 * the point of pre-vote. A binding vote is granted at most once per epoch (the same candidate may
 * ask again), never while the replica knows a leader for the epoch.
 */
export function canGrantVote(state: EpochState, candidateId: NodeId, logUpToDate: boolean, preVote: boolean): boolean {
  switch (state.role) {
    case 'unattached':
      return canUnattachedOrProspectiveGrant(null, state.votedId, candidateId, logUpToDate, preVote);
    case 'prospective':
      return canUnattachedOrProspectiveGrant(state.leaderId, state.votedId, candidateId, logUpToDate, preVote);
    case 'candidate':
      return preVote && logUpToDate;
    case 'follower':
      return preVote && !state.hasFetchedFromLeader && logUpToDate;
    case 'leader':
    case 'resigned':
      return false;
    default:
      return assertNeverState(state);
  }
}

function canUnattachedOrProspectiveGrant(
  leaderId: NodeId | null,
  votedId: NodeId | null,
  candidateId: NodeId,
  logUpToDate: boolean,
  preVote: boolean,
): boolean {
  if (preVote) return logUpToDate;
  if (votedId !== null) return votedId === candidateId;
  if (leaderId !== null) return false;
  return logUpToDate;
}

/**
 * The current state plus the bookkeeping of its durability. `transitionTo` validates against the
 * table and starts the quorum-state write when the election state changed; `onDurable` (given by
 * the client) runs when the newest written state has become durable.
 */
export class QuorumState {
  private current: EpochState;
  private written: ElectionState | null = null;
  private requestedGeneration = 0;
  private durableGeneration = 0;

  constructor(
    readonly context: QuorumContext,
    private readonly store: QuorumStateStore,
    private readonly onDurable: () => void,
  ) {
    this.current = { role: 'unattached', epoch: 0, votedId: null };
  }

  get state(): EpochState {
    return this.current;
  }

  get epoch(): number {
    return this.current.epoch;
  }

  get isDurable(): boolean {
    return this.requestedGeneration === this.durableGeneration && this.written !== null;
  }

  get leaderId(): NodeId | null {
    return electionStateOf(this.current, this.context.localId).leaderId;
  }

  isVoter(nodeId: NodeId = this.context.localId): boolean {
    return this.context.voters.includes(nodeId);
  }

  remoteVoters(): NodeId[] {
    return this.context.voters.filter((id) => id !== this.context.localId);
  }

  /** Kafka's `initialize`: the first state of an incarnation, always written (and so made durable). */
  initialize(initial: EpochState): void {
    if (this.written !== null) throw new Error('initialize: already initialized');
    checkWellFormed(initial, this.context, (why) => {
      throw new IllegalStateTransitionError(`illegal initial state ${initial.role}: ${why}`);
    });
    this.current = initial;
    this.persist(electionStateOf(initial, this.context.localId));
  }

  transitionTo(next: EpochState): void {
    if (this.written === null) throw new Error('transitionTo: not initialized');
    checkTransition(this.current, next, this.context);
    this.current = next;
    const election = electionStateOf(next, this.context.localId);
    if (!sameElectionState(election, this.written)) this.persist(election);
  }

  private persist(election: ElectionState): void {
    this.written = election;
    const generation = ++this.requestedGeneration;
    this.store.writeElectionState(election, () => {
      this.durableGeneration = Math.max(this.durableGeneration, generation);
      if (generation === this.requestedGeneration) this.onDurable();
    });
  }
}

/** Builds the states the client enters, so their invariants live in one place. */
export const EpochStates = {
  unattached(epoch: number, votedId: NodeId | null = null): UnattachedState {
    return { role: 'unattached', epoch, votedId };
  },
  prospective(from: EpochState, context: QuorumContext, retries: number): ProspectiveState {
    // The vote of this epoch is kept, even a candidate's vote for itself: a replica votes at most
    // once per epoch, whatever role it passes through.
    const election = electionStateOf(from, context.localId);
    return {
      role: 'prospective',
      epoch: from.epoch,
      leaderId: election.leaderId,
      votedId: election.votedId,
      retries,
      election: new EpochElection(context.voters, context.localId),
    };
  },
  candidate(epoch: number, context: QuorumContext, retries: number): CandidateState {
    return { role: 'candidate', epoch, retries, election: new EpochElection(context.voters, context.localId) };
  },
  follower(epoch: number, leaderId: NodeId, votedId: NodeId | null): FollowerState {
    return { role: 'follower', epoch, leaderId, votedId, hasFetchedFromLeader: false };
  },
  resigned(epoch: number, preferredSuccessors: readonly NodeId[]): ResignedState {
    return { role: 'resigned', epoch, preferredSuccessors };
  },
};
