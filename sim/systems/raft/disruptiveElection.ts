/**
 * NoDisruptiveElection: a voter never raises the epoch while a majority of the voters — the leader
 * and followers that have fetched from it — would refuse it a pre-vote (KIP-996).
 *
 * What it models: before KIP-996 a voter that lost touch with the leader (a partition, a pause)
 * bumped its epoch and stood as candidate at once, again after every election timeout; when it came
 * back, its higher epoch unseated a leader the rest of the quorum followed happily. With pre-vote a
 * voter first asks whether it could win, without raising its epoch, and a follower refuses while
 * its FollowerState has fetched from its leader at least once (Kafka's
 * `FollowerState.hasFetchedFromLeader`, false in every new FollowerState, true from its first
 * successful Fetch on; the state ends when the fetch timer expires).
 *
 * The rule, judged when a voter C becomes candidate (raises the epoch), having become prospective
 * at P (P is the candidacy itself without pre-vote): if some voter L leads a lower epoch e, has led
 * it since before P and is up, and L together with the followers bound to refuse C is a majority of
 * the voters, C's candidacy is a violation. A follower F is bound to refuse when, as the checker
 * follows F's trace, F entered a FollowerState of L in epoch e before P and is still in it, up, in
 * the same incarnation, and that FollowerState was answered before P: an error-free answer from L,
 * naming L leader of e, to the latest Fetch or FetchSnapshot F sent in that state. "Before" is the
 * order in which the World ran the events, never a millisecond comparison, and no time margin
 * enters: kafka-swarm seed 837482129 had a Fetch answer reach c1 in the same millisecond as, but
 * just before, c1 returned from prospective to follower; its new FollowerState had not fetched,
 * rightly granted a pre-vote, and a rule comparing milliseconds called it disruptive.
 *
 * Why it cannot flag a correct run: C's pre-votes are sent after P, so L (which never grants while
 * it leads) and each bound follower (hasFetchedFromLeader already true, and a FollowerState never
 * forgets it) refuse every one, and C cannot collect a majority. Three facts of the client make the
 * follower's view readable from outside: every state change that needs no quorum-state write is
 * traced at once, and one that needs a write sends nothing until it is durable and traced; a
 * state change forgets the Fetch in flight, so only requests of the current state are answered; and
 * a fetch that timed out is replaced by the next Fetch in the same step.
 *
 * What it leaves out: a connection reset makes the follower forget its Fetch in flight and retry
 * after controller.quorum.retry.backoff.ms; an answer the leader sent on the new connection to a
 * request it had parked before the reset, arriving inside that backoff, is counted here although
 * the follower ignores it (the checker does not hear disconnect notices). No run has shown it.
 *
 * Like CheckQuorum it reads sends and deliveries from the World and adds no trace event.
 */
import type { NodeId } from '../../../src/host.js';

export interface DisruptiveCandidacy {
  readonly candidate: NodeId;
  readonly epoch: number;
  readonly leader: NodeId;
  readonly leaderEpoch: number;
  readonly inGoodStanding: readonly NodeId[];
  readonly prospectiveSinceMs: number;
}

/** A place in the order the World ran events: a time, and a sequence number among this watch's inputs. */
interface Moment {
  readonly atMs: number;
  readonly sequence: number;
}

/** A voter's state as traced, from the event that traced it. */
interface VoterState {
  readonly role: string;
  readonly epoch: number;
  readonly leaderId: NodeId | null;
  readonly incarnation: number;
  /** When this state began: the stint the Fetches and answers below belong to. */
  readonly since: Moment;
  /** When the voter became prospective, while it is prospective. */
  readonly prospectiveSince: Moment | null;
  /** The latest Fetch or FetchSnapshot the voter sent in this state. */
  latestFetch: { readonly to: NodeId; readonly api: string; readonly correlationId: number } | null;
  /** The first error-free answer from the leader to that Fetch: Kafka's hasFetchedFromLeader. */
  fetchedFromLeader: Moment | null;
}

export class DisruptionWatch {
  private readonly voters = new Map<NodeId, VoterState>();
  private sequence = 0;

  constructor(
    private readonly voterIds: readonly NodeId[],
    /** The incarnation of a node whose process runs now, or null when it is down. */
    private readonly running: (node: NodeId) => number | null,
  ) {}

  onState(node: NodeId, incarnation: number, atMs: number, role: string, epoch: number, leaderId: NodeId | null): DisruptiveCandidacy | null {
    if (!this.voterIds.includes(node)) return null;
    const now = this.moment(atMs);
    const before = this.voters.get(node);
    const stillProspective = before !== undefined && before.incarnation === incarnation ? before.prospectiveSince : null;
    // A prospective that traces again (a binding vote it cast) keeps the moment it became prospective.
    const prospectiveSince = role === 'prospective' ? (stillProspective ?? now) : null;
    const becameCandidate = role === 'candidate' && (before === undefined || before.role !== 'candidate' || before.epoch !== epoch);
    const candidacy = becameCandidate ? this.judge(node, epoch, stillProspective ?? now) : null;
    this.voters.set(node, { role, epoch, leaderId, incarnation, since: now, prospectiveSince, latestFetch: null, fetchedFromLeader: null });
    return candidacy;
  }

  onSent(from: NodeId, to: NodeId, message: unknown): void {
    this.sequence++;
    const state = this.voters.get(from);
    const m = message as { api?: unknown; correlationId?: unknown } | null;
    if (state !== undefined && (m?.api === 'Fetch' || m?.api === 'FetchSnapshot') && typeof m.correlationId === 'number') {
      state.latestFetch = { to, api: m.api, correlationId: m.correlationId };
    }
  }

  onDelivered(atMs: number, from: NodeId, to: NodeId, message: unknown, incarnation: number): void {
    const now = this.moment(atMs);
    const state = this.voters.get(to);
    if (state === undefined || state.fetchedFromLeader !== null || state.role !== 'follower' || state.leaderId !== from || state.incarnation !== incarnation) return;
    const m = message as { api?: unknown; correlationId?: unknown; errorCode?: unknown; currentLeader?: { leaderId: NodeId | null; leaderEpoch: number } } | null;
    if (m?.api !== 'FetchResponse' && m?.api !== 'FetchSnapshotResponse') return;
    const request = state.latestFetch;
    if (request === null || request.to !== from || `${request.api}Response` !== m.api || request.correlationId !== m.correlationId) return;
    if (m.errorCode !== 'NONE' || m.currentLeader?.leaderId !== from || m.currentLeader.leaderEpoch !== state.epoch) return;
    state.fetchedFromLeader = now;
  }

  private moment(atMs: number): Moment {
    return { atMs, sequence: ++this.sequence };
  }

  private judge(candidate: NodeId, epoch: number, prospectiveSince: Moment): DisruptiveCandidacy | null {
    const majority = Math.floor(this.voterIds.length / 2) + 1;
    for (const [leader, state] of this.voters) {
      if (leader === candidate || state.role !== 'leader' || state.epoch >= epoch) continue;
      if (state.since.sequence > prospectiveSince.sequence || this.running(leader) !== state.incarnation) continue;
      const inGoodStanding = this.voterIds.filter((id) => id !== candidate && id !== leader && this.boundToRefuse(id, leader, state.epoch, prospectiveSince));
      if (inGoodStanding.length + 1 >= majority) {
        return { candidate, epoch, leader, leaderEpoch: state.epoch, inGoodStanding, prospectiveSinceMs: prospectiveSince.atMs };
      }
    }
    return null;
  }

  /** Whether `follower` is in a FollowerState of `leader` (epoch `epoch`) that began and fetched from it before `prospectiveSince`. */
  private boundToRefuse(follower: NodeId, leader: NodeId, epoch: number, prospectiveSince: Moment): boolean {
    const state = this.voters.get(follower);
    if (state === undefined || state.role !== 'follower' || state.leaderId !== leader || state.epoch !== epoch) return false;
    if (this.running(follower) !== state.incarnation || state.since.sequence > prospectiveSince.sequence) return false;
    return state.fetchedFromLeader !== null && state.fetchedFromLeader.sequence < prospectiveSince.sequence;
  }
}
