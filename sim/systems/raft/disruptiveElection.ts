/**
 * NoDisruptiveElection: a voter never raises the epoch while a majority of the other voters —
 * the leader and followers that hear from it — are in good standing with the leader (KIP-996).
 *
 * What it models: before KIP-996 a voter that lost touch with the leader (a partition, a pause)
 * bumped its epoch and stood as candidate at once, again after every election timeout; when it came
 * back, its higher epoch unseated a leader the rest of the quorum followed happily. With pre-vote a
 * voter first asks whether it could win, without raising its epoch, and a follower that fetched from
 * its leader within controller.quorum.fetch.timeout.ms says no.
 *
 * The rule, judged when a voter C becomes candidate (raises the epoch) at time T, having become
 * prospective at P (P = T without pre-vote): if some voter L leads a lower epoch e, and L together
 * with the followers that were in good standing with L throughout [P, T] is a majority of the
 * voters, C's candidacy is a violation. A follower F is in good standing with L at time t when the
 * checker's model has F following L in epoch e, unchanged since before P, and F received — in this
 * stint as follower, in the same incarnation — an error-free answer from L to its latest Fetch (or
 * FetchSnapshot) less than the fetch timeout of its own running time before t. L and F must be up. Why it cannot flag a correct run: with pre-vote
 * C needs grants from a majority; a majority without C must include one of L and those followers;
 * L never grants while it leads, and such a follower still has its fetch timer running and has
 * fetched from its leader, so it refuses (Kafka's FollowerState.hasFetchedFromLeader).
 *
 * Like CheckQuorum it reads sends, deliveries and pauses from the World and adds no trace event.
 */
import type { NodeId } from '../../../src/host.js';
import type { PauseLedger } from '../../checker/pauseLedger.js';

export interface DisruptiveCandidacy {
  readonly candidate: NodeId;
  readonly epoch: number;
  readonly leader: NodeId;
  readonly leaderEpoch: number;
  readonly inGoodStanding: readonly NodeId[];
  readonly prospectiveSinceMs: number;
}

interface VoterState {
  role: string;
  epoch: number;
  leaderId: NodeId | null;
  incarnation: number;
  sinceMs: number;
  prospectiveSinceMs: number | null;
}

interface Answer {
  readonly atMs: number;
  readonly leader: NodeId;
  readonly epoch: number;
  readonly incarnation: number;
}

/** Margin kept off the fetch timeout, for events of the same millisecond in either order. */
const MARGIN_MS = 5;
/** Answers older than this are of no use to any check. */
const ANSWER_HORIZON_MS = 120_000;

export class DisruptionWatch {
  private readonly voters = new Map<NodeId, VoterState>();
  /** A follower's latest Fetch or FetchSnapshot: where it went and its correlation id. */
  private readonly latestRequest = new Map<NodeId, { to: NodeId; api: string; correlationId: number }>();
  /** Per follower, the error-free answers to its latest request, oldest first. */
  private readonly answers = new Map<NodeId, Answer[]>();
  constructor(
    private readonly voterIds: readonly NodeId[],
    private readonly fetchTimeoutMs: number,
    private readonly pauses: PauseLedger,
    /** The incarnation of a node whose process runs now, or null when it is down. */
    private readonly running: (node: NodeId) => number | null,
  ) {}

  onState(node: NodeId, incarnation: number, atMs: number, role: string, epoch: number, leaderId: NodeId | null): DisruptiveCandidacy | null {
    if (!this.voterIds.includes(node)) return null;
    const before = this.voters.get(node);
    const prospectiveSinceMs = role === 'prospective' ? (before?.role === 'prospective' && before.incarnation === incarnation ? before.prospectiveSinceMs : atMs) : null;
    const candidacy = role === 'candidate' && (before === undefined || before.role !== 'candidate' || before.epoch !== epoch) ? this.judge(node, epoch, before?.prospectiveSinceMs ?? atMs, atMs) : null;
    this.voters.set(node, { role, epoch, leaderId, incarnation, sinceMs: atMs, prospectiveSinceMs });
    return candidacy;
  }

  onSent(from: NodeId, to: NodeId, message: unknown): void {
    const m = message as { api?: unknown; correlationId?: unknown } | null;
    if ((m?.api === 'Fetch' || m?.api === 'FetchSnapshot') && typeof m.correlationId === 'number') {
      this.latestRequest.set(from, { to, api: m.api, correlationId: m.correlationId });
    }
  }

  onDelivered(atMs: number, from: NodeId, to: NodeId, message: unknown, incarnation: number): void {
    const m = message as { api?: unknown; correlationId?: unknown; errorCode?: unknown; currentLeader?: { leaderId: NodeId | null; leaderEpoch: number } } | null;
    if (m?.api !== 'FetchResponse' && m?.api !== 'FetchSnapshotResponse') return;
    const request = this.latestRequest.get(to);
    if (request === undefined || request.to !== from || `${request.api}Response` !== m.api || request.correlationId !== m.correlationId) return;
    if (m.errorCode !== 'NONE' || m.currentLeader === undefined || m.currentLeader.leaderId !== from) return;
    // Every delivery of a Fetch answer passes here: drop the expired answers from the front, in place.
    let answers = this.answers.get(to);
    if (answers === undefined) this.answers.set(to, (answers = []));
    let expired = 0;
    while (expired < answers.length && answers[expired]!.atMs <= atMs - ANSWER_HORIZON_MS) expired++;
    if (expired > 0) answers.splice(0, expired);
    answers.push({ atMs, leader: from, epoch: m.currentLeader.leaderEpoch, incarnation });
  }

  private judge(candidate: NodeId, epoch: number, fromMs: number, atMs: number): DisruptiveCandidacy | null {
    const majority = Math.floor(this.voterIds.length / 2) + 1;
    for (const [leader, state] of this.voters) {
      if (leader === candidate || state.role !== 'leader' || state.epoch >= epoch || this.running(leader) !== state.incarnation) continue;
      const inGoodStanding = this.voterIds.filter((id) => id !== candidate && id !== leader && this.inGoodStandingThroughout(id, leader, state.epoch, fromMs, atMs));
      if (inGoodStanding.length + 1 >= majority) {
        return { candidate, epoch, leader, leaderEpoch: state.epoch, inGoodStanding, prospectiveSinceMs: fromMs };
      }
    }
    return null;
  }

  /** Whether `follower` was in good standing with `leader` (epoch `epoch`) at every moment of [fromMs, toMs]. */
  private inGoodStandingThroughout(follower: NodeId, leader: NodeId, epoch: number, fromMs: number, toMs: number): boolean {
    const state = this.voters.get(follower);
    if (state === undefined || state.role !== 'follower' || state.leaderId !== leader || state.epoch !== epoch || state.sinceMs > fromMs) return false;
    if (this.running(follower) !== state.incarnation) return false;
    // Only answers in this stint as follower: a new FollowerState has not fetched from its leader yet.
    const answers = (this.answers.get(follower) ?? []).filter(
      (answer) => answer.leader === leader && answer.epoch === epoch && answer.incarnation === state.incarnation && answer.atMs >= state.sinceMs && answer.atMs <= toMs,
    );
    // The answer in force at fromMs, then every later one: no gap may reach the fetch timeout.
    const inForce = answers.filter((answer) => answer.atMs <= fromMs).pop();
    if (inForce === undefined) return false;
    let previous = inForce.atMs;
    for (const answer of answers) {
      if (answer.atMs <= fromMs) continue;
      if (this.pauses.runningMs(follower, previous, answer.atMs) >= this.fetchTimeoutMs - MARGIN_MS) return false;
      previous = answer.atMs;
    }
    return this.pauses.runningMs(follower, previous, toMs) < this.fetchTimeoutMs - MARGIN_MS;
  }

}
