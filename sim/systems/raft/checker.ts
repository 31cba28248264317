/**
 * The KRaft quorum's checker, after Kafka's own RaftEventSimulationTest. It sees each node only
 * through the trace events the node emits (`raft.*`, see src/raft/), and keeps a model of every
 * node's log and state from them.
 *
 * Invariants, checked as the trace events arrive (so after every event that changes them):
 * - SingleLeader: at most one leader per epoch, across all nodes and incarnations.
 * - MonotonicEpoch: a node's epoch never goes down, across restarts (the epoch is persisted).
 * - MonotonicHighWatermark: within one incarnation, a node's high watermark never goes down; and,
 *   as Kafka's test states it, the high watermark of the leader of the highest epoch never goes
 *   down across leaders (a new leader's first high watermark covers its epoch's start, which covers
 *   everything committed).
 * - MajorityReachedHighWatermark: when a leader's high watermark reaches h, a majority of voters
 *   hold the same entry at h - 1 (the entries up to h are replicated, not merely promised); and
 *   after every truncation or recovery of a voter, a majority of voters' logs still end at or above
 *   the highest leader high watermark (Kafka checks this after every event).
 * - SnapshotAtLogStart: a node whose log starts above 0 loads a snapshot that ends exactly there as
 *   soon as it recovers, and every snapshot's id (end offset, epoch) names the committed entry
 *   before its end.
 * - LeaderNeverLoadsSnapshot: a leader never installs a snapshot: it is the source of them.
 * - LogMatching: below its high watermark, every node's log agrees with the committed entries; an
 *   entry once committed is never truncated or replaced on a node that holds it.
 * - ConsistentAppliedState: two nodes that applied the log up to the same offset hold the same
 *   application state (count and digest of what they applied).
 * - CheckQuorum: a leader that no other voter fetches from stops acting as leader within a bound
 *   of its running time (KAFKA-15489; checkQuorum.ts).
 * - NoDisruptiveElection: no voter raises the epoch while the leader and the followers in good
 *   standing with it are a majority (KIP-996; disruptiveElection.ts).
 * At the end:
 * - ConsistentCommittedData: every committed offset maps to the same (epoch, record) on every node
 *   that holds it below its own high watermark (above it, a divergent tail is legal until the node
 *   truncates it; as in Kafka's RaftEventSimulationTest).
 * - Liveness (after the heal): one leader, known to every voter; every proposal it made after the
 *   heal, up to `commitBoundMs` before the end, is below every voter's high watermark; and there is
 *   at least one such proposal, so a leader must be ready within the liveness phase less that bound.
 *
 * The contract: Raft assumes stable storage. A voter that loses its disk — or whose durable bytes
 * were corrupted, which its CRCs detect and it then discards — comes back without its votes or its
 * log and may vote twice in one epoch; KRaft before KIP-853 cannot tell. So once a voter lost data,
 * the invariants that stable storage underwrites are reported as allowed anomalies, not violations.
 * Every other fault must leave every invariant intact.
 */
import { Findings } from '../../checker/findings.js';
import type { NodeId } from '../../../src/host.js';
import type { AllowedAnomaly, Violation } from '../../checker/types.js';
import type { TraceRecord, World } from '../../world.js';
import type { SystemChecker } from '../system.js';
import { PauseLedger } from '../../checker/pauseLedger.js';
import { CheckQuorumWatch } from './checkQuorum.js';
import { DisruptionWatch } from './disruptiveElection.js';

interface Entry {
  readonly epoch: number;
  readonly digest: number;
}

interface NodeModel {
  incarnation: number;
  /** The highest epoch this node has acted in (persisted, so it spans incarnations). */
  epoch: number;
  role: string;
  leaderId: NodeId | null;
  logStartOffset: number;
  /** Offset → entry, for offsets in [logStartOffset, logEndOffset). */
  readonly log: Map<number, Entry>;
  logEndOffset: number;
  highWatermark: number;
}

export interface RaftCheckerOptions {
  voters: readonly NodeId[];
  /** After the heal, a proposal must be committed on every voter within this long. */
  commitBoundMs: number;
  /** controller.quorum.fetch.timeout.ms: check quorum (checkQuorum.ts) is 1.5 × it. */
  fetchTimeoutMs: number;
  /**
   * Told once per new entry committed over a committed one (a rollback of the log from `offset`,
   * which only lost stable storage allows): the kafka checker learns which metadata went back.
   */
  onCommittedRewritten?: (offset: number, atMs: number) => void;
}

/** The KRaft invariants every run is held to, with what each says (for the guarantees report). */
export const RAFT_INVARIANTS: Readonly<Record<string, string>> = {
  SingleLeader: 'at most one leader per epoch, across all nodes and incarnations',
  MonotonicEpoch: "a node's epoch never goes down, across restarts (the epoch is persisted)",
  MonotonicHighWatermark: "a node's high watermark never goes down within an incarnation, nor the highest-epoch leader's across leaders",
  MajorityReachedHighWatermark: "a majority of voters holds every entry below a leader's high watermark, also after every truncation or recovery",
  SnapshotAtLogStart: 'a log that starts above 0 loads a snapshot ending exactly there, and a snapshot names the committed entry before its end',
  LeaderNeverLoadsSnapshot: 'a leader never installs a snapshot: it is their source',
  LogMatching: 'below its high watermark every log agrees with the committed entries, and a committed entry is never truncated or replaced',
  ConsistentAppliedState: 'two nodes that applied the log up to the same offset hold the same state',
  ConsistentCommittedData: 'every committed offset maps to the same (epoch, record) on every node that holds it below its high watermark',
  CheckQuorum: 'a leader no other voter fetches from stops acting as leader within twice the check-quorum timeout of its running time (KAFKA-15489)',
  NoDisruptiveElection: 'no voter raises the epoch while the leader and the followers in good standing with it are a majority (KIP-996)',
};

/** Invariants whose failure the contract excuses after a voter lost data. */
const EXCUSED_BY_DATA_LOSS = new Set([
  'SingleLeader',
  'MonotonicHighWatermark',
  'SnapshotAtLogStart',
  'LogMatching',
  'ConsistentCommittedData',
  'ConsistentAppliedState',
  'MonotonicEpoch',
  'MajorityReachedHighWatermark',
]);

export class RaftChecker implements SystemChecker {
  private readonly nodes = new Map<NodeId, NodeModel>();
  private readonly leaderOfEpoch = new Map<number, NodeId>();
  /** The committed entries, offset → entry, as first learned from a high watermark. */
  private readonly committed = new Map<number, Entry>();
  private committedEndOffset = 0;
  private readonly findings: Findings;
  /** Observers whose next incarnation may legitimately start in a lower epoch. */
  private readonly epochForgottenAtRestart = new Set<NodeId>();
  /** Voters that lost stable storage during the run, and how. */
  readonly dataLost = new Map<NodeId, string>();
  /** Offset → the application state after applying up to it, as first reported. */
  private readonly applied = new Map<number, { node: NodeId; count: number; digest: number }>();
  private healAtMs: number | null = null;
  /** The highest high watermark a leader reported, and the highest epoch a leader reported one in. */
  private leaderHighWatermark = 0;
  private leaderHighWatermarkEpoch = 0;
  /** Nodes that recovered a log starting above 0: the snapshot they must load next, by end offset. */
  private readonly snapshotDueAt = new Map<NodeId, number>();
  private readonly proposals: Array<{ atMs: number; offset: number; epoch: number; digest: number }> = [];
  /** `offset|epoch|digest` of each entry seen committed over another, so a rewrite is told once. */
  private readonly rewrites = new Set<string>();

  private readonly pauses = new PauseLedger();
  private readonly checkQuorum: CheckQuorumWatch;
  private readonly disruption: DisruptionWatch;

  constructor(
    private readonly options: RaftCheckerOptions,
    world: World | null,
  ) {
    this.findings = new Findings(world);
    this.checkQuorum = new CheckQuorumWatch(options.voters, 1.5 * options.fetchTimeoutMs, this.pauses);
    const running = (node: NodeId): number | null => (world === null ? (this.nodes.get(node)?.incarnation ?? null) : world.isUp(node) ? world.incarnation(node) : null);
    this.disruption = new DisruptionWatch(options.voters, running);
    if (world !== null) {
      world.onDeliver((delivery) => {
        this.checkQuorum.onDelivered(world.nowMs, delivery.from, delivery.to, delivery.message);
        this.disruption.onDelivered(world.nowMs, delivery.from, delivery.to, delivery.message, world.incarnation(delivery.to));
      });
      world.onSend((from, to, message) => {
        this.disruption.onSent(from, to, message);
        if (this.checkQuorum.leads(from)) this.onLeaderActing(from, world.incarnation(from), world.nowMs);
      });
      world.onFault((atMs, action, note) => {
        // A pause's note names the node it stopped (the selector resolved), or says it was skipped.
        if (action.type === 'pause' && !note.startsWith('skipped')) this.pauses.onPaused(note, atMs, action.durationMs);
      });
    }
  }

  /**
   * A node lost stable storage. After a disk loss its model starts over; a voter's loss also changes
   * the contract (an observer's does not: it never votes, and refetches what it lost).
   */
  onDataLost(node: NodeId, how: 'disk loss' | 'flipped bit'): void {
    const voter = this.options.voters.includes(node);
    if (voter) this.dataLost.set(node, how);
    if (how === 'disk loss') this.nodes.delete(node);
    // An observer with a flipped bit may restart with a forgotten epoch (a corrupt quorum-state
    // file is not trusted): harmless, since it never votes. Its epoch floor goes at its next start.
    else if (!voter) this.epochForgottenAtRestart.add(node);
  }

  /**
   * Whether a node's exception is allowed: once a voter lost stable storage, a node may find its
   * log contradicting what it saw committed, and Kafka halts such a node. Never otherwise.
   */
  excuseNodeError(node: NodeId, message: string): string | null {
    if (this.dataLost.size === 0) return null;
    return `${node} halted (${message}) after ${this.dataLossSummary()}`;
  }

  private dataLossSummary(): string {
    const lost = [...this.dataLost.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([id, how]) => `${id}: ${how}`);
    return `voters lost stable storage (${lost.join(', ')}); pre-KIP-853 KRaft cannot detect it`;
  }

  /** The up voter leading the highest epoch any up voter is in, if it knows it leads. */
  currentLeader(world: World): NodeId | undefined {
    const up = this.options.voters.filter((id) => world.isUp(id) && this.nodes.has(id));
    const topEpoch = Math.max(-1, ...up.map((id) => this.nodes.get(id)!.epoch));
    return up.find((id) => this.nodes.get(id)!.role === 'leader' && this.nodes.get(id)!.epoch === topEpoch);
  }

  observe(record: TraceRecord): void {
    const event = record.event;
    if (!event.type.startsWith('raft.')) return;
    if (event.type === 'raft.append' && this.checkQuorum.leads(record.node)) this.onLeaderActing(record.node, record.incarnation, record.atMs);
    const node = this.model(record.node, record.incarnation);
    const num = (field: string) => event[field] as number;
    this.checkSnapshotLoaded(record, event.type === 'raft.snapshot' ? num('endOffset') : null);
    switch (event.type) {
      case 'raft.state':
        return this.onState(record, node, num('epoch'), String(event['role']), (event['leaderId'] ?? null) as NodeId | null);
      case 'raft.recovered':
        node.logStartOffset = num('logStartOffset');
        this.truncate(record, node, num('logEndOffset'), true);
        for (const offset of [...node.log.keys()]) if (offset < node.logStartOffset) node.log.delete(offset);
        if (node.logStartOffset > 0) this.snapshotDueAt.set(record.node, node.logStartOffset);
        return;
      case 'raft.append':
        return this.onAppend(record, node, num('offset'), { epoch: num('epoch'), digest: num('digest') });
      case 'raft.truncate':
        return this.truncate(record, node, num('offset'), false);
      case 'raft.snapshot': {
        const endOffset = num('endOffset');
        this.checkSnapshot(record, node, endOffset, num('epoch'), String(event['source']));
        for (const offset of [...node.log.keys()]) if (offset < endOffset) node.log.delete(offset);
        node.logStartOffset = Math.max(node.logStartOffset, endOffset);
        node.logEndOffset = Math.max(node.logEndOffset, endOffset);
        return;
      }
      case 'raft.hw':
        return this.onHighWatermark(record, node, num('highWatermark'));
      case 'raft.apply':
        return this.onApply(record, num('offset'), num('count'), num('digest'));
      case 'raft.propose':
        this.proposals.push({ atMs: record.atMs, offset: num('offset'), epoch: num('epoch'), digest: num('digest') });
        return;
      default:
        return;
    }
  }

  private model(id: NodeId, incarnation: number): NodeModel {
    let node = this.nodes.get(id);
    if (node === undefined) {
      node = { incarnation, epoch: 0, role: 'unattached', leaderId: null, logStartOffset: 0, log: new Map(), logEndOffset: 0, highWatermark: 0 };
      this.nodes.set(id, node);
    }
    if (node.incarnation !== incarnation) {
      // A restart: memory is gone (the high watermark is not persisted), the disk is not.
      node.incarnation = incarnation;
      node.highWatermark = 0;
      if (this.epochForgottenAtRestart.delete(id)) node.epoch = 0;
      node.role = 'unattached';
      node.leaderId = null;
    }
    return node;
  }

  private onState(record: TraceRecord, node: NodeModel, epoch: number, role: string, leaderId: NodeId | null): void {
    if (epoch < node.epoch) {
      this.report('MonotonicEpoch', record.atMs, `${record.node} went from epoch ${node.epoch} back to ${epoch}`, {
        node: record.node,
        from: node.epoch,
        to: epoch,
      });
    }
    node.epoch = Math.max(node.epoch, epoch);
    node.role = role;
    node.leaderId = leaderId;
    if (this.options.voters.includes(record.node)) this.checkQuorum.onState(record.node, record.incarnation, record.atMs, role, epoch);
    const disruptive = this.disruption.onState(record.node, record.incarnation, record.atMs, role, epoch, leaderId);
    if (disruptive !== null) {
      this.report(
        'NoDisruptiveElection',
        record.atMs,
        `${disruptive.candidate} raised the epoch to ${disruptive.epoch} while ${disruptive.leader} led epoch ${disruptive.leaderEpoch} with a majority in good standing (${[disruptive.leader, ...disruptive.inGoodStanding].join(', ')}: each follower had fetched from it in its current FollowerState before ${disruptive.candidate} began its election at ${disruptive.prospectiveSinceMs} ms); with pre-vote (KIP-996) they would have refused it`,
        { ...disruptive },
      );
    }
    if (role === 'leader') {
      const other = this.leaderOfEpoch.get(epoch);
      if (other !== undefined && other !== record.node) {
        this.report('SingleLeader', record.atMs, `${other} and ${record.node} both became leader of epoch ${epoch}`, {
          epoch,
          leaders: [other, record.node],
        });
      }
      this.leaderOfEpoch.set(epoch, record.node);
    }
  }

  private onAppend(record: TraceRecord, node: NodeModel, offset: number, entry: Entry): void {
    if (offset !== node.logEndOffset) {
      throw new Error(`${record.node} appended at ${offset} but its log ends at ${node.logEndOffset}: the trace contract is broken`);
    }
    // A divergent entry at an offset committed elsewhere is legal here: a follower may take
    // entries from a stale leader it still believes in. It is wrong only once this node's own
    // high watermark covers it (checked in onHighWatermark), and it must be gone by the end.
    node.log.set(offset, entry);
    node.logEndOffset = offset + 1;
  }

  /**
   * SnapshotAtLogStart, first half: a node that recovered a log starting above 0 must load the
   * snapshot that ends there before it does anything else (its state below the log start is the
   * snapshot's, and nothing else holds it).
   */
  private checkSnapshotLoaded(record: TraceRecord, snapshotEndOffset: number | null): void {
    const due = this.snapshotDueAt.get(record.node);
    if (due === undefined || record.event.type === 'raft.recovered') return;
    this.snapshotDueAt.delete(record.node);
    if (snapshotEndOffset === due) return;
    this.report('SnapshotAtLogStart', record.atMs, `${record.node}'s log starts at ${due}, but it loaded no snapshot ending there`, { node: record.node, logStartOffset: due });
  }

  /**
   * SnapshotAtLogStart, second half, and LeaderNeverLoadsSnapshot: a snapshot never ends below the
   * log start, its id names the committed entry before its end, and a leader never installs one.
   */
  private checkSnapshot(record: TraceRecord, node: NodeModel, endOffset: number, epoch: number, source: string): void {
    if (source === 'installed' && node.role === 'leader') {
      this.report('LeaderNeverLoadsSnapshot', record.atMs, `${record.node} installed a snapshot ending at ${endOffset} while leading epoch ${node.epoch}`, { node: record.node, endOffset });
    }
    if (endOffset < node.logStartOffset) {
      this.report('SnapshotAtLogStart', record.atMs, `${record.node} has a snapshot ending at ${endOffset}, below its log start ${node.logStartOffset}`, { node: record.node, endOffset, logStartOffset: node.logStartOffset });
    }
    const last = this.committed.get(endOffset - 1) ?? node.log.get(endOffset - 1);
    if (endOffset > 0 && last !== undefined && last.epoch !== epoch) {
      this.report('SnapshotAtLogStart', record.atMs, `${record.node}'s snapshot ${endOffset}-${epoch} names offset ${endOffset - 1} in epoch ${epoch}, but that entry is of epoch ${last.epoch}`, {
        node: record.node,
        endOffset,
        epoch,
        entryEpoch: last.epoch,
      });
    }
  }

  private truncate(record: TraceRecord, node: NodeModel, offset: number, recovering: boolean): void {
    if (!recovering && offset < node.highWatermark) {
      this.report('LogMatching', record.atMs, `${record.node} truncated to ${offset}, below its high watermark ${node.highWatermark}`, {
        node: record.node,
        offset,
        highWatermark: node.highWatermark,
      });
    }
    for (let o = offset; o < node.logEndOffset; o++) node.log.delete(o);
    node.logEndOffset = Math.min(node.logEndOffset, offset);
    if (recovering) node.logEndOffset = offset;
    this.checkMajorityStillHolds(record);
  }

  /** MajorityReachedHighWatermark, after a voter's log shrank: a majority still ends at or above the leaders' high watermark. */
  private checkMajorityStillHolds(record: TraceRecord): void {
    if (!this.options.voters.includes(record.node) || this.leaderHighWatermark === 0) return;
    const reached = this.options.voters.filter((voter) => (this.nodes.get(voter)?.logEndOffset ?? 0) >= this.leaderHighWatermark);
    if (reached.length > this.options.voters.length / 2) return;
    this.report('MajorityReachedHighWatermark', record.atMs, `after ${record.node}'s log shrank, only ${reached.join(', ') || 'no voter'} end at or above the high watermark ${this.leaderHighWatermark}`, {
      node: record.node,
      highWatermark: this.leaderHighWatermark,
      logEndOffsets: Object.fromEntries(this.options.voters.map((voter) => [voter, this.nodes.get(voter)?.logEndOffset ?? 0])),
    });
  }

  private onHighWatermark(record: TraceRecord, node: NodeModel, highWatermark: number): void {
    if (highWatermark < node.highWatermark) {
      this.report('MonotonicHighWatermark', record.atMs, `${record.node}'s high watermark went from ${node.highWatermark} back to ${highWatermark}`, {
        node: record.node,
        from: node.highWatermark,
        to: highWatermark,
      });
    }
    // Everything below the new high watermark is committed: learn it, or compare it.
    for (let offset = Math.max(node.highWatermark, node.logStartOffset); offset < highWatermark; offset++) {
      const entry = node.log.get(offset);
      if (entry === undefined) continue; // Beyond what this node holds: it will fetch it.
      const committed = this.committed.get(offset);
      if (committed === undefined) this.committed.set(offset, entry);
      else if (committed.epoch !== entry.epoch || committed.digest !== entry.digest) {
        this.onRewritten(offset, entry, record.atMs);
        this.report('LogMatching', record.atMs, `${record.node} commits offset ${offset} as epoch ${entry.epoch}, but it was committed as epoch ${committed.epoch}`, {
          node: record.node,
          offset,
          entry,
          committed,
        });
      }
    }
    if (node.role === 'leader' && highWatermark > 0) this.checkMajorityReached(record, highWatermark);
    // As in Kafka's test, only the leader of the highest epoch speaks for the quorum: a deposed
    // leader that has not heard of its successor may still move its own high watermark.
    if (node.role === 'leader' && node.epoch >= this.leaderHighWatermarkEpoch) {
      this.leaderHighWatermarkEpoch = node.epoch;
      if (highWatermark >= node.highWatermark && highWatermark < this.leaderHighWatermark) {
        this.report('MonotonicHighWatermark', record.atMs, `leader ${record.node} of epoch ${node.epoch} reports high watermark ${highWatermark}, below ${this.leaderHighWatermark} an earlier leader reached`, {
          node: record.node,
          highWatermark,
          earlier: this.leaderHighWatermark,
        });
      }
      this.leaderHighWatermark = Math.max(this.leaderHighWatermark, highWatermark);
    }
    node.highWatermark = Math.max(node.highWatermark, highWatermark);
    this.committedEndOffset = Math.max(this.committedEndOffset, highWatermark);
  }

  /** A committed offset now committed with another entry: the log was rewritten from there. */
  private onRewritten(offset: number, entry: Entry, atMs: number): void {
    const key = `${offset}|${entry.epoch}|${entry.digest}`;
    if (this.rewrites.has(key)) return;
    this.rewrites.add(key);
    this.options.onCommittedRewritten?.(offset, atMs);
  }

  private onApply(record: TraceRecord, offset: number, count: number, digest: number): void {
    if (offset < 0) return;
    const first = this.applied.get(offset);
    if (first === undefined) {
      this.applied.set(offset, { node: record.node, count, digest });
      return;
    }
    if (first.count !== count || first.digest !== digest) {
      this.report('ConsistentAppliedState', record.atMs, `${record.node} and ${first.node} applied up to offset ${offset} but hold different states`, {
        offset,
        [record.node]: { count, digest },
        [first.node]: { count: first.count, digest: first.digest },
      });
    }
  }

  private checkMajorityReached(record: TraceRecord, highWatermark: number): void {
    const last = this.committed.get(highWatermark - 1) ?? this.nodes.get(record.node)?.log.get(highWatermark - 1);
    if (last === undefined) return;
    const holders = this.options.voters.filter((voter) => {
      const node = this.nodes.get(voter);
      if (node === undefined) return false;
      if (highWatermark - 1 < node.logStartOffset) return true; // In its snapshot.
      const entry = node.log.get(highWatermark - 1);
      return entry !== undefined && entry.epoch === last.epoch && entry.digest === last.digest;
    });
    if (holders.length <= this.options.voters.length / 2) {
      this.report('MajorityReachedHighWatermark', record.atMs, `leader ${record.node} moved its high watermark to ${highWatermark}, but only ${holders.join(', ') || 'no voter'} hold offset ${highWatermark - 1}`, {
        leader: record.node,
        highWatermark,
        holders,
      });
    }
  }

  /**
   * CheckQuorum (KAFKA-15489): a leader that heard from no other voter for twice the check-quorum
   * timeout of its running time acts as leader no more (checkQuorum.ts says why the bound is loose).
   */
  private onLeaderActing(node: NodeId, incarnation: number, atMs: number): void {
    const stale = this.checkQuorum.onActing(node, incarnation, atMs);
    if (stale !== null) {
      this.report(
        'CheckQuorum',
        atMs,
        `${stale.leader} still acts as leader of epoch ${stale.epoch} though no other voter has fetched from it for ${stale.runningMs} ms of its running time (since ${stale.sinceMs} ms); a leader resigns after 1.5 × controller.quorum.fetch.timeout.ms without a majority (KAFKA-15489), and this bound is twice that`,
        { leader: stale.leader, epoch: stale.epoch, lastHeardFromVoterAtMs: stale.sinceMs, runningMs: stale.runningMs, boundMs: stale.boundMs },
      );
    }
  }

  private report(invariant: string, atMs: number, message: string, details: Record<string, unknown>): void {
    if (this.dataLost.size > 0 && EXCUSED_BY_DATA_LOSS.has(invariant)) this.findings.allow(invariant, this.dataLossSummary());
    else this.findings.violation(invariant, atMs, message, details);
  }

  violations(): Violation[] {
    return this.findings.violations();
  }

  onHeal(world: World): void {
    this.healAtMs = world.nowMs;
  }

  finish(world: World): ReturnType<SystemChecker['finish']> {
    if (!this.findings.hasViolations) this.checkConsistentCommittedData(world.nowMs);
    const violations = this.findings.violations();
    if (violations.length === 0 && this.healAtMs !== null) violations.push(...this.livenessFailures(world));
    const anomalies = this.findings.anomalies();
    const leaders = [...this.leaderOfEpoch.keys()];
    return {
      violations,
      anomalies,
      summary: {
        committedOffset: this.committedEndOffset,
        epochs: leaders.length === 0 ? 0 : Math.max(...leaders),
        leaderElections: leaders.length,
        proposals: this.proposals.length,
      },
    };
  }

  /** The end-of-run safety checks alone, for a quorum whose liveness another checker judges. */
  finishSafety(atMs: number): { violations: Violation[]; anomalies: AllowedAnomaly[] } {
    if (!this.findings.hasViolations) this.checkConsistentCommittedData(atMs);
    return { violations: this.findings.violations(), anomalies: this.findings.anomalies() };
  }

  checkConsistentCommittedData(atMs: number): void {
    for (const [id, node] of [...this.nodes.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      for (const [offset, entry] of node.log) {
        if (offset >= node.highWatermark) continue;
        const committed = this.committed.get(offset);
        if (committed !== undefined && (committed.epoch !== entry.epoch || committed.digest !== entry.digest)) {
          this.report('ConsistentCommittedData', atMs, `${id} holds epoch ${entry.epoch} at committed offset ${offset}, committed as epoch ${committed.epoch}`, {
            node: id,
            offset,
            entry,
            committed,
          });
          return;
        }
      }
    }
  }

  private livenessFailures(world: World): Violation[] {
    const failures: Violation[] = [];
    const fail = (invariant: string, message: string, details?: Record<string, unknown>) =>
      failures.push({ invariant, kind: 'liveness', message, atMs: world.nowMs, ...(details === undefined ? {} : { details }) });
    const voters = this.options.voters;
    const leaders = voters.filter((id) => world.isUp(id) && this.nodes.get(id)?.role === 'leader');
    const topEpoch = Math.max(0, ...voters.map((id) => this.nodes.get(id)?.epoch ?? 0));
    const leader = leaders.find((id) => this.nodes.get(id)!.epoch === topEpoch);
    if (leader === undefined) {
      fail('liveness/leader-elected', `no leader in epoch ${topEpoch} at the end of the liveness phase`);
      return failures;
    }
    const unaware = voters.filter((id) => this.nodes.get(id)?.leaderId !== leader || this.nodes.get(id)?.epoch !== topEpoch);
    if (unaware.length > 0) fail('liveness/leader-known', `voters ${unaware.join(', ')} do not follow leader ${leader} of epoch ${topEpoch}`);
    const deadlineMs = world.nowMs - this.options.commitBoundMs;
    const due = this.proposals.filter((p) => p.atMs >= this.healAtMs! && p.atMs <= deadlineMs && p.epoch === topEpoch);
    if (due.length === 0) {
      fail('liveness/progress', `leader ${leader} of epoch ${topEpoch} made no proposal between the heal at ${this.healAtMs}ms and ${deadlineMs}ms ` +
        `(the end less the ${this.options.commitBoundMs}ms commit bound)`);
      return failures;
    }
    // Proposals commit in order, so the last one due stands for all of them.
    const lastDue = due[due.length - 1]!;
    const behind = voters.filter((id) => (this.nodes.get(id)?.highWatermark ?? 0) <= lastDue.offset);
    if (behind.length > 0) {
      fail('liveness/committed', `the proposal at offset ${lastDue.offset} (made at ${lastDue.atMs}ms) is not below the high watermark of ${behind.join(', ')} ` +
        `${this.options.commitBoundMs}ms later`, {
        offset: lastDue.offset,
        highWatermarks: Object.fromEntries(voters.map((id) => [id, this.nodes.get(id)?.highWatermark ?? 0])),
      });
    }
    return failures;
  }
}
