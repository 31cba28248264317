/**
 * CheckQuorum: a leader cut off from the quorum stops leading within a bound (KAFKA-15489).
 *
 * What it models: Kafka's leader resigns when a majority of voters has not fetched from it for
 * 1.5 × controller.quorum.fetch.timeout.ms (LeaderState's check-quorum timer). Before that fix a
 * leader cut off from the others led on in its old epoch — answering the brokers that still reached
 * it with metadata the quorum had moved past — until it heard of a newer epoch: two leaders, each
 * believed by someone.
 *
 * The check is deliberately weaker than the rule, so that it can never flag a correct leader: a
 * voter that has received no Fetch or FetchSnapshot from any other voter — whatever its epoch — for
 * twice the check-quorum timeout of its own running time must no longer act as leader: append to
 * its log as leader, or send a message. Acting is what harms; a leader that only sits silent, or
 * is stuck writing its resignation to a slow disk (Kafka writes quorum-state before it acts on
 * it), harms no one. Running time leaves out the time the leader was paused (its timers wait with
 * it); a leader whose process is down or has restarted since is not judged. The clock a node reads
 * (clock skew) does not matter: timers measure running time.
 *
 * It sees deliveries (World.onDeliver) and pauses (World.onFault) as well as the trace, so it needs
 * no trace event of its own: the trace, and every golden hash, stay as they were.
 */
import type { NodeId } from '../../../src/host.js';
import type { PauseLedger } from '../../checker/pauseLedger.js';

export interface CheckQuorumViolation {
  readonly leader: NodeId;
  readonly epoch: number;
  readonly sinceMs: number;
  readonly runningMs: number;
  readonly boundMs: number;
}

interface Leadership {
  readonly epoch: number;
  readonly incarnation: number;
  /** When it last heard a Fetch or FetchSnapshot from another voter (or became leader). */
  lastHeardMs: number;
  reported: boolean;
}

export class CheckQuorumWatch {
  private readonly leaders = new Map<NodeId, Leadership>();
  readonly boundMs: number;

  constructor(
    private readonly voters: readonly NodeId[],
    checkQuorumTimeoutMs: number,
    private readonly pauses: PauseLedger,
  ) {
    this.boundMs = 2 * checkQuorumTimeoutMs;
  }

  /** A voter's state changed (raft.state): it leads `epoch` from now, or leads nothing. */
  onState(node: NodeId, incarnation: number, atMs: number, role: string, epoch: number): void {
    if (role === 'leader' && this.voters.length > 1) this.leaders.set(node, { epoch, incarnation, lastHeardMs: atMs, reported: false });
    else this.leaders.delete(node);
  }

  /** A message reached `to`'s machine: a voter's Fetch or FetchSnapshot is what check quorum counts. */
  onDelivered(atMs: number, from: NodeId, to: NodeId, message: unknown): void {
    const leadership = this.leaders.get(to);
    if (leadership === undefined || from === to || !this.voters.includes(from)) return;
    const api = (message as { api?: unknown } | null)?.api;
    if (api === 'Fetch' || api === 'FetchSnapshot') leadership.lastHeardMs = Math.max(leadership.lastHeardMs, atMs);
  }

  /**
   * `node` acts at `nowMs` (appends as leader, or sends): a violation when it still leads past the
   * bound, reported once per leadership. `incarnation` is the incarnation acting.
   */
  onActing(node: NodeId, incarnation: number, nowMs: number): CheckQuorumViolation | null {
    const leadership = this.leaders.get(node);
    if (leadership === undefined || leadership.reported || leadership.incarnation !== incarnation) return null;
    const runningMs = this.pauses.runningMs(node, leadership.lastHeardMs, nowMs);
    if (runningMs <= this.boundMs) return null;
    leadership.reported = true;
    return { leader: node, epoch: leadership.epoch, sinceMs: leadership.lastHeardMs, runningMs, boundMs: this.boundMs };
  }

  /** Whether `node` leads, as far as this watch knows (a sender worth looking at). */
  leads(node: NodeId): boolean {
    return this.leaders.has(node);
  }
}
