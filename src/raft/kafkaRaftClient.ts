/**
 * KafkaRaftClient: one replica of the KRaft metadata quorum (KIP-595, with KIP-996 pre-vote and
 * KIP-630 snapshots), as a state machine driven by its owning node.
 *
 * What it models: elections with randomized timeouts, Vote with the up-to-date check, pre-vote,
 * BeginQuorumEpoch / EndQuorumEpoch (graceful resignation), pull-based replication in which
 * followers and observers Fetch from the leader and truncate on `divergingEpoch`, snapshot transfer
 * with FetchSnapshot, the high watermark, check quorum, and the listener that replays committed
 * records exactly once per incarnation.
 *
 * Ordering contract (what must be durable before what may be sent):
 * - Election state: nothing is sent while the newest quorum-state write is not durable. Messages
 *   produced meanwhile wait in the outbox and leave when it is (so a vote is never granted, a Vote
 *   never sent and a BeginQuorumEpoch never sent before the state that promises it is on disk).
 * - Follower log: a Fetch reports `fetchOffset` = log end offset only after an fsync covers it, so
 *   the leader counts only durable copies. The leader counts its own log up to its flushed offset.
 * - Snapshots: the log prefix is deleted only after the snapshot file is durable and renamed.
 *
 * The owning node forwards inputs: `handleStart`, `handleMessage`, `handleTimer` (the client's tags
 * all start with `raft.`), `handleDiskComplete` and `handleDisconnect`; the last three say whether
 * the input was the client's own. Its files live under `__cluster_metadata-0/`.
 *
 * Storage is not here: the client talks to its log through ReplicatedLog (replicatedLog.ts) and to
 * its election state through QuorumStateStore; both are files in `src/log/` (KafkaMetadataLog over
 * UnifiedLog, FileQuorumStateStore). Records are text (ksim's record values are), so the byte
 * payloads an owner proposes and snapshots must be UTF-8; they come back as the same bytes.
 *
 * Left out: dynamic voters (KIP-853), FetchSnapshot chunking, request pipelining (one Fetch in
 * flight), Kafka's batch accumulator (linger delays the leader's fsync instead of the append),
 * and retries of Vote and EndQuorumEpoch requests (an election retries by timing out; a follower
 * of a resigned leader times out its fetches).
 */

import type { DiskCompletion, Host, NodeId, TimerId, TraceEvent } from '../host.js';
import { type LeaderChangeMessage, controlRecord } from '../log/controlRecord.js';
import { KafkaStorageException } from '../log/errors.js';
import { FileQuorumStateStore } from '../log/fileQuorumStateStore.js';
import { KafkaMetadataLog } from '../log/kafkaMetadataLog.js';
import { type RecordBatch, type SimpleRecord, nextOffset } from '../log/recordBatch.js';
import { crc32c } from '../util/crc32c.js';
import type { RaftConfig } from './config.js';
import { LeaderState } from './leaderState.js';
import {
  type BeginQuorumEpochRequest,
  type BeginQuorumEpochResponse,
  type EndQuorumEpochRequest,
  type EndQuorumEpochResponse,
  type FetchRequest,
  type FetchResponse,
  type FetchSnapshotRequest,
  type FetchSnapshotResponse,
  type RaftErrorCode,
  type RaftMessage,
  type SnapshotId,
  type VoteRequest,
  type VoteResponse,
  assertNever,
  isRaftMessage,
} from './messages.js';
import {
  type CandidateState,
  type EpochState,
  EpochStates,
  type FollowerState,
  type LeaderEpochState,
  type ProspectiveState,
  type QuorumContext,
  QuorumState,
  canGrantVote,
  electionStateOf,
  isLogUpToDate,
} from './quorumState.js';
import type { ElectionState, QuorumStateStore } from './quorumStateStore.js';
import { type ReplicatedLog, truncateToEndOffset, validateOffsetAndEpoch } from './replicatedLog.js';

/** The directory of the metadata log, named as Kafka names the `__cluster_metadata` partition's. */
export const RAFT_LOG_DIR = '__cluster_metadata-0';

/** How long the leader may hold a Fetch that has nothing new (long polling). */
export const FETCH_MAX_WAIT_MS = 500;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

const TIMER = {
  electionTimeout: 'raft.electionTimeout',
  electionBackoff: 'raft.electionBackoff',
  fetchTimeout: 'raft.fetchTimeout',
  fetchRequestTimeout: 'raft.fetchRequestTimeout',
  fetchRetry: 'raft.fetchRetry',
  checkQuorum: 'raft.checkQuorum',
  beginQuorumEpoch: 'raft.beginQuorumEpoch',
  appendLinger: 'raft.appendLinger',
  snapshotInterval: 'raft.snapshotInterval',
} as const;
const FETCH_PURGATORY_TIMER_PREFIX = 'raft.fetchPurgatory:';
/** Timers that belong to one role and are cancelled when the state changes. */
const ROLE_TIMERS: readonly string[] = [
  TIMER.electionTimeout,
  TIMER.electionBackoff,
  TIMER.fetchTimeout,
  TIMER.fetchRequestTimeout,
  TIMER.fetchRetry,
  TIMER.checkQuorum,
  TIMER.beginQuorumEpoch,
  TIMER.appendLinger,
];

export interface CommittedEntry {
  readonly offset: number;
  readonly epoch: number;
  readonly record: Uint8Array;
}

/** A record of the log with its place, as the tests and the listener see it. */
interface LogRecord extends CommittedEntry {
  readonly isControl: boolean;
}

/** The application above the quorum (later the controller's or a broker's metadata image). */
export interface RaftListener {
  /** Committed data entries in offset order; each entry is handed over once per incarnation. */
  handleCommit(entries: readonly CommittedEntry[]): void;
  /** Replace the state with this snapshot: the state after every entry below `snapshotEndOffset`. */
  handleLoadSnapshot(snapshotEndOffset: number, epoch: number, bytes: Uint8Array): void;
  /** The known leader changed; for the local leader, only once every earlier entry is applied. */
  handleLeaderChange(leaderId: NodeId | null, epoch: number): void;
}

export interface KafkaRaftClientOptions {
  readonly config: RaftConfig;
  /** controller.quorum.voters: a static voter set. Nodes outside it are observers. */
  readonly voters: readonly NodeId[];
  readonly listener: RaftListener;
  /** The application's state after everything handed to `handleCommit` so far. */
  readonly snapshotProvider: () => Uint8Array;
}

export type ProposeResult = { readonly offset: number; readonly epoch: number } | { readonly error: 'NOT_LEADER_OR_FOLLOWER' };

interface OutgoingMessage {
  readonly to: NodeId;
  readonly message: RaftMessage;
  /** Emitted when the message actually leaves (a vote counts once it is sent, not once decided). */
  readonly trace?: TraceEvent;
}

interface FetchInFlight {
  readonly kind: 'Fetch' | 'FetchSnapshot';
  readonly correlationId: number;
  readonly target: NodeId;
}

export class KafkaRaftClient {
  private readonly store: QuorumStateStore;
  private readonly localId: NodeId;
  private log!: ReplicatedLog;
  private quorum!: QuorumState;
  private started = false;
  private halted = false;

  private readonly timers = new Map<string, TimerId>();
  private outbox: OutgoingMessage[] = [];
  /** The state whose entry actions have run; a state is acted on once, when it is durable. */
  private actedOn: EpochState | null = null;
  private correlationIdNext = 1;

  private readonly voteRequests = new Map<NodeId, number>();
  private fetchInFlight: FetchInFlight | null = null;
  private fetchFlushPending = false;
  /** An observer that lost its leader fetches from random voters until one answers as leader. */
  private observerDiscovery = false;
  private readonly parkedFetches = new Map<NodeId, FetchRequest>();

  private highWatermark: number | null = null;
  private nextOffsetToApply = 0;
  private lastFiredLeaderChange: { leaderId: NodeId | null; epoch: number } | null = null;
  private recordsSinceSnapshot = 0;
  private bytesSinceSnapshot = 0;
  private snapshotIntervalElapsed = false;

  constructor(
    private readonly host: Host<RaftMessage>,
    private readonly options: KafkaRaftClientOptions,
  ) {
    if (new Set(options.voters).size !== options.voters.length || options.voters.length === 0) {
      throw new Error(`controller.quorum.voters must be a non-empty set, got ${options.voters.join(',')}`);
    }
    this.localId = host.nodeId;
    this.store = new FileQuorumStateStore(host.disk, RAFT_LOG_DIR);
  }

  // ---------------------------------------------------------------------------------------------
  // Inputs from the owning node.

  handleStart(): void {
    if (this.started) throw new Error('handleStart: already started');
    this.started = true;
    this.guard(() => this.recoverAndInitialize());
  }

  /** Handles a raft message and returns true, or returns false for a message that is not raft's. */
  handleMessage(from: NodeId, message: unknown): boolean {
    if (!isRaftMessage(message)) return false;
    if (!this.started || this.halted) return true;
    this.guard(() => this.dispatch(from, message));
    return true;
  }

  /** Handles one of the client's timers (tags starting with `raft.`) and returns true. */
  handleTimer(tag: string, id?: TimerId): boolean {
    if (!tag.startsWith('raft.')) return false;
    const expected = this.timers.get(tag);
    if (expected === undefined || (id !== undefined && id !== expected) || this.halted) return true;
    this.timers.delete(tag);
    this.guard(() => this.onTimer(tag));
    return true;
  }

  /** Runs the continuation of one of the client's fsyncs and returns true; false for others' ops. */
  handleDiskComplete(completion: DiskCompletion): boolean {
    if (!this.started) return false;
    let own = false;
    this.guard(() => {
      own = this.log.onFsyncComplete(completion) || this.store.onFsyncComplete(completion);
    });
    return own;
  }

  handleDisconnect(peer: NodeId): void {
    if (!this.started || this.halted) return;
    this.guard(() => {
      if (this.fetchInFlight?.target !== peer) return;
      this.fetchInFlight = null;
      this.cancelTimer(TIMER.fetchRequestTimeout);
      this.scheduleFetchRetry();
    });
  }

  // ---------------------------------------------------------------------------------------------
  // The application API.

  /**
   * Appends data records as leader, returning the offset of the last one (Kafka's `scheduleAppend`).
   * They are fsynced after controller.quorum.append.linger.ms and committed once a majority has them.
   */
  propose(records: readonly Uint8Array[]): ProposeResult {
    if (records.length === 0) throw new Error('propose: no records');
    const state = this.quorum?.state;
    if (this.halted || state?.role !== 'leader' || this.actedOn !== state) return { error: 'NOT_LEADER_OR_FOLLOWER' };
    let result: ProposeResult = { error: 'NOT_LEADER_OR_FOLLOWER' };
    const timestampMs = this.host.nowMs();
    const values = records.map((record): SimpleRecord => ({ key: null, value: recordText(record), timestampMs }));
    this.guard(() => {
      const appended = this.log.appendAsLeader(values, state.epoch, false);
      records.forEach((record, i) => {
        const offset = appended.firstOffset + i;
        this.traceAppend(offset, state.epoch, crc32c(record));
        this.host.trace({ type: 'raft.propose', offset, epoch: state.epoch, digest: crc32c(record) });
      });
      if (!this.timers.has(TIMER.appendLinger)) this.setTimer(TIMER.appendLinger, this.options.config.appendLingerMs);
      result = { offset: appended.lastOffset, epoch: state.epoch };
    });
    return result;
  }

  /** Graceful resignation: the leader steps down and names its most caught-up voters as successors. */
  resign(): boolean {
    const state = this.quorum?.state;
    if (this.halted || state?.role !== 'leader' || this.actedOn !== state) return false;
    this.guard(() => {
      this.transitionTo(EpochStates.resigned(state.epoch, state.leaderState.nonLeaderVotersByDescendingFetchOffset()));
    });
    return true;
  }

  /** Whether `handleStart` has run (before it, there is no log or state to describe). */
  get isStarted(): boolean {
    return this.started;
  }

  /** A read-only view for the owning node and for tests; only after `handleStart`. */
  describe(): {
    readonly role: EpochState['role'];
    readonly epoch: number;
    readonly leaderId: NodeId | null;
    readonly isDurable: boolean;
    readonly highWatermark: number | null;
    readonly logStartOffset: number;
    readonly logEndOffset: number;
    readonly flushedOffset: number;
    readonly nextOffsetToApply: number;
    readonly halted: boolean;
  } {
    return {
      role: this.quorum.state.role,
      epoch: this.quorum.epoch,
      leaderId: this.quorum.leaderId,
      isDurable: this.quorum.isDurable,
      highWatermark: this.highWatermark,
      logStartOffset: this.log.logStartOffset,
      logEndOffset: this.log.logEndOffset,
      flushedOffset: this.log.lastFlushedOffset,
      nextOffsetToApply: this.nextOffsetToApply,
      halted: this.halted,
    };
  }

  /** Committed records still in the log (from the log start up to the high watermark), control ones too, for tests. */
  committedEntries(): CommittedEntry[] {
    const entries: LogRecord[] = [];
    let offset = this.log.logStartOffset;
    for (;;) {
      const batches = this.log.read(offset, 'committed');
      if (batches.length === 0) return entries;
      entries.push(...recordsOf(batches));
      offset = nextOffset(batches[batches.length - 1]!);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Start and recovery.

  private recoverAndInitialize(): void {
    // Loading starts fsyncing what it recovered (it came from the page cache, which a power loss
    // could still roll back); the quorum-state write below is issued after, so the log is durable
    // before the replica acts, since fsyncs complete in issue order.
    const log = KafkaMetadataLog.load(this.host.disk, RAFT_LOG_DIR, this.options.config.segmentBytes, () => this.host.nowMs());
    this.log = log;
    this.quorum = new QuorumState(
      { localId: this.localId, voters: this.options.voters, preVote: this.options.config.preVote },
      this.store,
      () => this.guard(() => this.onStateDurable()),
    );
    const initial = this.initialState(this.store.readElectionState());
    this.host.trace({
      type: 'raft.recovered',
      logStartOffset: log.recovery.logStartOffset,
      logEndOffset: log.recovery.logEndOffset,
      epoch: initial.epoch,
      lastFetchedEpoch: log.lastFetchedEpoch(),
      truncatedAt: log.recovery.truncatedAt,
    });
    const snapshot = log.latestSnapshot();
    if (snapshot !== null) {
      this.options.listener.handleLoadSnapshot(snapshot.id.endOffset, snapshot.id.epoch, snapshot.payload);
      this.host.trace({ type: 'raft.snapshot', endOffset: snapshot.id.endOffset, epoch: snapshot.id.epoch, source: 'loaded' });
    }
    this.nextOffsetToApply = log.logStartOffset;
    this.quorum.initialize(initial);
    this.armRoleTimers(null, initial);
    if (this.options.config.maxSnapshotIntervalMs > 0) {
      this.setTimer(TIMER.snapshotInterval, this.options.config.maxSnapshotIntervalMs);
    }
  }

  /**
   * Kafka's `QuorumState.initialize`. A replica that was leader comes back resigned in the same
   * epoch and never leads it again (KAFKA-10527): records it appended but had not flushed may be
   * gone, and (offset, epoch) must keep naming one record.
   */
  private initialState(stored: ElectionState | null): EpochState {
    const election = stored ?? { epoch: 0, leaderId: null, votedId: null };
    const logEpoch = this.log.lastFetchedEpoch();
    const isVoter = this.options.voters.includes(this.localId);
    const known = (id: NodeId | null): NodeId | null => (id !== null && this.options.voters.includes(id) ? id : null);
    const leaderId = known(election.leaderId);
    const votedId = isVoter ? known(election.votedId) : null;
    if (election.epoch < logEpoch) return EpochStates.unattached(logEpoch);
    if (leaderId === this.localId && isVoter) return EpochStates.resigned(election.epoch, []);
    if (votedId === this.localId) return EpochStates.candidate(election.epoch, this.quorumContext(), 1);
    if (leaderId !== null && leaderId !== this.localId) return EpochStates.follower(election.epoch, leaderId, votedId);
    return EpochStates.unattached(election.epoch, votedId);
  }

  // ---------------------------------------------------------------------------------------------
  // State transitions and durability.

  private transitionTo(next: EpochState): void {
    const previous = this.quorum.state;
    const parked = previous.role === 'leader' ? this.takeParkedFetches() : [];
    this.quorum.transitionTo(next);
    this.armRoleTimers(previous, next);
    // Fetches the old leader was holding get their answer from the new state (an error now).
    for (const [from, request] of parked) this.handleFetchRequest(from, request);
    if (this.quorum.isDurable) this.onStateDurable();
  }

  /** Runs once per state, when it is durable: the replica now acts in it. */
  private onStateDurable(): void {
    const state = this.quorum.state;
    if (this.actedOn === state || !this.quorum.isDurable) return;
    this.actedOn = state;
    const election = electionStateOf(state, this.localId);
    this.host.trace({ type: 'raft.state', epoch: state.epoch, role: state.role, leaderId: election.leaderId, votedId: election.votedId });
    const outbox = this.outbox;
    this.outbox = [];
    for (const outgoing of outbox) this.sendNow(outgoing);
    this.maybeFireLeaderChange();
    switch (state.role) {
      case 'unattached':
        if (!this.quorum.isVoter()) this.sendFetch();
        break;
      case 'prospective':
      case 'candidate':
        this.startElectionRound(state);
        break;
      case 'follower':
        this.sendFetch();
        break;
      case 'leader':
        this.onBecomeLeader(state);
        break;
      case 'resigned':
        this.sendEndQuorumEpoch(state.epoch, state.preferredSuccessors);
        break;
      default:
        assertNever(state);
    }
  }

  private armRoleTimers(previous: EpochState | null, next: EpochState): void {
    const isVoteGrant = previous !== null && previous.role === next.role && previous.epoch === next.epoch;
    if (isVoteGrant) {
      // Granting a vote resets the election timeout: the candidate has at least our chance to win.
      this.setTimer(TIMER.electionTimeout, this.randomElectionTimeoutMs());
      return;
    }
    // As in Kafka, learning of a newer election while waiting for one keeps the remaining timeout,
    // so a stream of higher-epoch requests cannot postpone our own candidacy forever.
    const keepElectionTimer =
      next.role === 'unattached' &&
      (previous?.role === 'unattached' || previous?.role === 'candidate' || previous?.role === 'prospective') &&
      this.timers.has(TIMER.electionTimeout);
    for (const tag of ROLE_TIMERS) if (!(keepElectionTimer && tag === TIMER.electionTimeout)) this.cancelTimer(tag);
    this.fetchInFlight = null;
    this.voteRequests.clear();
    this.observerDiscovery = false;
    switch (next.role) {
      case 'unattached':
        if (this.quorum.isVoter() && !keepElectionTimer) this.setTimer(TIMER.electionTimeout, this.randomElectionTimeoutMs());
        break;
      case 'prospective':
      case 'candidate':
      case 'resigned':
        this.setTimer(TIMER.electionTimeout, this.randomElectionTimeoutMs());
        break;
      case 'follower':
        this.setTimer(TIMER.fetchTimeout, this.options.config.fetchTimeoutMs);
        break;
      case 'leader':
        break;
      default:
        assertNever(next);
    }
  }

  private onTimer(tag: string): void {
    if (tag.startsWith(FETCH_PURGATORY_TIMER_PREFIX)) return this.onFetchPurgatoryExpired(tag.slice(FETCH_PURGATORY_TIMER_PREFIX.length));
    switch (tag) {
      case TIMER.electionTimeout:
        return this.onElectionTimeout();
      case TIMER.electionBackoff:
        return this.onElectionBackoffExpired();
      case TIMER.fetchTimeout:
        return this.onFetchTimeout();
      case TIMER.fetchRequestTimeout:
        this.fetchInFlight = null;
        return this.sendFetch();
      case TIMER.fetchRetry:
        return this.sendFetch();
      case TIMER.checkQuorum:
        return this.onCheckQuorumExpired();
      case TIMER.beginQuorumEpoch:
        return this.onBeginQuorumEpochTimer();
      case TIMER.appendLinger:
        return this.flushLeaderLog();
      case TIMER.snapshotInterval:
        this.snapshotIntervalElapsed = true;
        this.setTimer(TIMER.snapshotInterval, this.options.config.maxSnapshotIntervalMs);
        return this.maybeSnapshot();
      default:
        throw new Error(`unknown raft timer ${tag}`);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Elections.

  private onElectionTimeout(): void {
    const state = this.quorum.state;
    switch (state.role) {
      case 'unattached':
        return this.startElection(state);
      case 'prospective':
        return this.transitionFromProspective(state);
      case 'candidate':
        return this.startElectionBackoff(state);
      case 'resigned':
        return this.transitionTo(EpochStates.unattached(state.epoch + 1));
      case 'follower':
      case 'leader':
        throw new Error(`election timeout armed in role ${state.role}`);
      default:
        assertNever(state);
    }
  }

  /** An unattached voter or a follower that lost its leader asks for (pre-)votes. */
  private startElection(from: EpochState): void {
    if (!this.quorum.isVoter()) throw new Error('startElection: observers do not campaign');
    const context = this.quorumContext();
    if (this.options.config.preVote) this.transitionTo(EpochStates.prospective(from, context, 1));
    else this.transitionTo(EpochStates.candidate(from.epoch + 1, context, 1));
  }

  private startElectionRound(state: ProspectiveState | CandidateState): void {
    const preVote = state.role === 'prospective';
    const endOffset = this.log.endOffset();
    for (const voterId of state.election.unrecordedVoters()) {
      if (voterId === this.localId) continue;
      const correlationId = this.nextCorrelationId();
      this.voteRequests.set(voterId, correlationId);
      this.send(voterId, {
        api: 'Vote',
        correlationId,
        candidateEpoch: state.epoch,
        candidateId: this.localId,
        voterId,
        lastOffsetEpoch: endOffset.epoch,
        lastOffset: endOffset.offset,
        preVote,
      });
    }
    this.maybeTransitionForward(state);
  }

  /** Prospective with a pre-vote majority becomes candidate; candidate with a majority becomes leader. */
  private maybeTransitionForward(state: ProspectiveState | CandidateState): void {
    if (!state.election.isVoteGranted()) return;
    if (state.role === 'prospective') {
      this.transitionTo(EpochStates.candidate(state.epoch + 1, this.quorumContext(), state.retries));
    } else {
      const leaderState = new LeaderState(this.localId, state.epoch, this.log.logEndOffset, this.options.voters);
      this.transitionTo({ role: 'leader', epoch: state.epoch, leaderState });
    }
  }

  /** A lost pre-vote returns to the leader it knew, or to unattached, in the same epoch. */
  private transitionFromProspective(state: ProspectiveState): void {
    if (state.leaderId !== null) this.transitionTo(EpochStates.follower(state.epoch, state.leaderId, state.votedId));
    else this.transitionTo(EpochStates.unattached(state.epoch, state.votedId));
  }

  private startElectionBackoff(state: CandidateState): void {
    this.cancelTimer(TIMER.electionTimeout);
    this.setTimer(TIMER.electionBackoff, this.binaryExponentialElectionBackoffMs(state.retries));
  }

  private onElectionBackoffExpired(): void {
    const state = this.quorum.state;
    if (state.role !== 'candidate') throw new Error(`election backoff armed in role ${state.role}`);
    const context = this.quorumContext();
    if (this.options.config.preVote) this.transitionTo(EpochStates.prospective(state, context, state.retries + 1));
    else this.transitionTo(EpochStates.candidate(state.epoch + 1, context, state.retries + 1));
  }

  private handleVoteRequest(from: NodeId, request: VoteRequest): void {
    const respond = (errorCode: RaftErrorCode, voteGranted: boolean): void => {
      const response: VoteResponse = {
        api: 'VoteResponse',
        correlationId: request.correlationId,
        errorCode,
        leaderId: this.quorum.leaderId,
        leaderEpoch: this.quorum.epoch,
        voteGranted,
        preVote: request.preVote,
      };
      this.send(from, response, {
        type: 'raft.vote',
        epoch: this.quorum.epoch,
        candidateId: request.candidateId,
        granted: voteGranted,
        preVote: request.preVote,
        errorCode,
      });
    };
    // A candidate bumped its epoch before asking, so its last log epoch is below it; a prospective
    // (pre-vote, KIP-996) did not, so its last log epoch may equal it.
    const illegalEpoch = request.preVote ? request.lastOffsetEpoch > request.candidateEpoch : request.lastOffsetEpoch >= request.candidateEpoch;
    if (illegalEpoch || request.lastOffset < 0 || request.lastOffsetEpoch < 0) return respond('INVALID_REQUEST', false);
    if (!this.quorum.isVoter() || !this.quorum.isVoter(request.candidateId)) return respond('INCONSISTENT_VOTER_SET', false);
    if (request.candidateEpoch < this.quorum.epoch) return respond('FENCED_LEADER_EPOCH', false);
    // A higher epoch moves this voter to it, pre-vote or not: a prospective never raises its own
    // epoch, so a pre-vote at a higher epoch comes from a node that really is there, and ignoring it
    // could leave that node stranded above a leader it will never follow (as Kafka's
    // handleVoteRequest does; found by a ksim swarm seed).
    if (request.candidateEpoch > this.quorum.epoch) {
      this.transitionTo(EpochStates.unattached(request.candidateEpoch));
    }
    const upToDate = isLogUpToDate({ offset: request.lastOffset, epoch: request.lastOffsetEpoch }, this.log.endOffset());
    const state = this.quorum.state;
    const granted = canGrantVote(state, request.candidateId, upToDate, request.preVote);
    if (granted && !request.preVote) this.recordBindingVote(state, request.candidateId);
    respond('NONE', granted);
  }

  private recordBindingVote(state: EpochState, candidateId: NodeId): void {
    if (state.role === 'unattached' && state.votedId === null) {
      this.transitionTo(EpochStates.unattached(state.epoch, candidateId));
    } else if (state.role === 'prospective' && state.votedId === null) {
      this.transitionTo({ ...state, votedId: candidateId });
    }
    // Otherwise the vote for this candidate is already on disk: granting it again promises nothing new.
  }

  private handleVoteResponse(from: NodeId, response: VoteResponse): void {
    if (this.voteRequests.get(from) !== response.correlationId) return;
    this.voteRequests.delete(from);
    if (this.maybeHandleCommonResponse(response.errorCode, response.leaderId, response.leaderEpoch)) return;
    if (response.errorCode !== 'NONE') return;
    const state = this.quorum.state;
    const expectsPreVote = state.role === 'prospective';
    if ((state.role !== 'prospective' && state.role !== 'candidate') || response.preVote !== expectsPreVote) return;
    state.election.recordVote(from, response.voteGranted);
    if (response.voteGranted) return this.maybeTransitionForward(state);
    if (!state.election.isVoteRejected()) return;
    if (state.role === 'prospective') this.transitionFromProspective(state);
    else this.startElectionBackoff(state);
  }

  // ---------------------------------------------------------------------------------------------
  // Leadership: BeginQuorumEpoch, EndQuorumEpoch, check quorum.

  private onBecomeLeader(state: LeaderEpochState): void {
    const leaderState = state.leaderState;
    if (this.log.logEndOffset !== leaderState.epochStartOffset) {
      throw new Error(`onBecomeLeader: log end ${this.log.logEndOffset} moved from ${leaderState.epochStartOffset}`);
    }
    // The LeaderChange control record gives the new leader a record of its own epoch to commit;
    // only that commit lets it expose earlier epochs' records (Raft §5.4.2).
    const message: LeaderChangeMessage = { version: 0, leaderId: this.localId, voters: this.options.voters.map((voterId) => ({ voterId })) };
    const record = controlRecord('LEADER_CHANGE', message, this.host.nowMs());
    const appended = this.log.appendAsLeader([record], state.epoch, true);
    this.traceAppend(appended.firstOffset, state.epoch, valueDigest(record));
    this.flushLeaderLog();
    this.sendBeginQuorumEpoch(state, this.quorum.remoteVoters());
    if (this.checksQuorum(leaderState)) this.setTimer(TIMER.checkQuorum, this.checkQuorumTimeoutMs());
  }

  /**
   * Whether this leader resigns when a majority stops fetching from it. One voter is a majority
   * alone. Before KAFKA-15489 (the legacy switch) no leader checked: one cut off from the quorum
   * led on in its old epoch, answering whoever still reached it, until it heard of a newer one.
   */
  private checksQuorum(leaderState: LeaderState): boolean {
    return !leaderState.isOnlyVoter() && !this.options.config.legacyNoCheckQuorum;
  }

  private sendBeginQuorumEpoch(state: LeaderEpochState, voters: readonly NodeId[]): void {
    for (const voterId of voters) {
      if (voterId === this.localId) continue;
      this.send(voterId, { api: 'BeginQuorumEpoch', correlationId: this.nextCorrelationId(), leaderId: this.localId, leaderEpoch: state.epoch, voterId });
    }
    if (voters.length > 0) this.setTimer(TIMER.beginQuorumEpoch, Math.max(1, Math.floor(this.options.config.fetchTimeoutMs / 2)));
  }

  private onBeginQuorumEpochTimer(): void {
    const state = this.quorum.state;
    if (state.role !== 'leader') return;
    this.sendBeginQuorumEpoch(state, state.leaderState.nonAcknowledgingVoters());
  }

  private handleBeginQuorumEpochRequest(from: NodeId, request: BeginQuorumEpochRequest): void {
    const respond = (errorCode: RaftErrorCode): void =>
      this.send(from, { api: 'BeginQuorumEpochResponse', correlationId: request.correlationId, errorCode, leaderId: this.quorum.leaderId, leaderEpoch: this.quorum.epoch });
    if (!this.quorum.isVoter() || !this.quorum.isVoter(request.leaderId)) return respond('INCONSISTENT_VOTER_SET');
    if (request.leaderEpoch < this.quorum.epoch) return respond('FENCED_LEADER_EPOCH');
    this.maybeTransition(request.leaderId, request.leaderEpoch);
    respond('NONE');
  }

  private handleBeginQuorumEpochResponse(from: NodeId, response: BeginQuorumEpochResponse): void {
    if (this.maybeHandleCommonResponse(response.errorCode, response.leaderId, response.leaderEpoch)) return;
    const state = this.quorum.state;
    if (response.errorCode === 'NONE' && state.role === 'leader' && response.leaderEpoch === state.epoch) {
      state.leaderState.addAcknowledgementFrom(from);
    }
  }

  private sendEndQuorumEpoch(epoch: number, preferredSuccessors: readonly NodeId[]): void {
    for (const voterId of this.quorum.remoteVoters()) {
      this.send(voterId, { api: 'EndQuorumEpoch', correlationId: this.nextCorrelationId(), leaderId: this.localId, leaderEpoch: epoch, preferredSuccessors });
    }
  }

  private handleEndQuorumEpochRequest(from: NodeId, request: EndQuorumEpochRequest): void {
    const respond = (errorCode: RaftErrorCode): void =>
      this.send(from, { api: 'EndQuorumEpochResponse', correlationId: request.correlationId, errorCode, leaderId: this.quorum.leaderId, leaderEpoch: this.quorum.epoch });
    if (!this.quorum.isVoter(request.leaderId)) return respond('INCONSISTENT_VOTER_SET');
    if (request.leaderEpoch < this.quorum.epoch) return respond('FENCED_LEADER_EPOCH');
    this.maybeTransition(request.leaderId, request.leaderEpoch);
    const state = this.quorum.state;
    if (state.role === 'follower' && state.leaderId === request.leaderId && this.quorum.isVoter()) {
      // The leader is leaving: its most caught-up successors campaign first. ksim also stops
      // vouching for the leader, so that pre-votes for the successors are granted at once.
      state.hasFetchedFromLeader = false;
      this.setTimer(TIMER.fetchTimeout, this.endEpochElectionBackoffMs(request.preferredSuccessors));
    }
    respond('NONE');
  }

  private handleEndQuorumEpochResponse(response: EndQuorumEpochResponse): void {
    this.maybeHandleCommonResponse(response.errorCode, response.leaderId, response.leaderEpoch);
  }

  private onCheckQuorumExpired(): void {
    const state = this.quorum.state;
    if (state.role !== 'leader') throw new Error(`check quorum armed in role ${state.role}`);
    this.host.trace({ type: 'raft.checkQuorumFailed', epoch: state.epoch });
    this.transitionTo(EpochStates.resigned(state.epoch, []));
  }

  /** 1.5 × controller.quorum.fetch.timeout.ms, as Kafka's LeaderState (KAFKA-15489). */
  private checkQuorumTimeoutMs(): number {
    return Math.floor(this.options.config.fetchTimeoutMs * 1.5);
  }

  // ---------------------------------------------------------------------------------------------
  // Responses that carry a newer epoch or leader.

  /**
   * Kafka's `maybeHandleCommonResponse`: a response from an older epoch is stale; one that names a
   * newer epoch, or the leader of our epoch when we know none, moves us there. Returns true when
   * the response needs no further handling.
   */
  private maybeHandleCommonResponse(errorCode: RaftErrorCode, leaderId: NodeId | null, epoch: number): boolean {
    if (epoch < this.quorum.epoch || errorCode === 'UNKNOWN_LEADER_EPOCH') return true;
    const knownLeader = leaderId !== null && this.quorum.isVoter(leaderId) ? leaderId : null;
    if (epoch > this.quorum.epoch || (knownLeader !== null && this.quorum.leaderId === null)) {
      this.maybeTransition(knownLeader, epoch);
      return true;
    }
    return false;
  }

  /** Kafka's `maybeTransition`: follow a newer epoch (or the newly learned leader of ours). */
  private maybeTransition(leaderId: NodeId | null, epoch: number): void {
    const state = this.quorum.state;
    const currentLeader = this.quorum.leaderId;
    if (epoch === state.epoch && leaderId !== null && currentLeader !== null && leaderId !== currentLeader) {
      throw new Error(`two leaders in epoch ${epoch}: ${currentLeader} and ${leaderId}`);
    }
    if (epoch > state.epoch) {
      if (leaderId !== null && leaderId !== this.localId) this.transitionTo(EpochStates.follower(epoch, leaderId, null));
      else this.transitionTo(EpochStates.unattached(epoch));
    } else if (leaderId !== null && currentLeader === null && leaderId !== this.localId) {
      this.transitionTo(EpochStates.follower(epoch, leaderId, electionStateOf(state, this.localId).votedId));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Replication, leader side.

  /**
   * Kafka's handleFetchRequest (KIP-595), in its order: a malformed request first
   * (INVALID_REQUEST), then whether this replica leads the epoch the fetcher names
   * (validateLeaderOnlyRequest), then the fetch offset and last fetched epoch against the log
   * (tryCompleteFetch).
   */
  private handleFetchRequest(from: NodeId, request: FetchRequest): void {
    if (!isWellFormedFetch(from, request)) return this.sendFetchResponse(from, request, { errorCode: 'INVALID_REQUEST' });
    const error = this.validateLeaderOnlyRequest(request.currentLeaderEpoch);
    if (error !== null) return this.sendFetchResponse(from, request, { errorCode: error });
    this.recordFetchForCheckQuorum(from);
    this.tryCompleteFetch(from, request, true);
  }

  private tryCompleteFetch(from: NodeId, request: FetchRequest, mayPark: boolean): void {
    const state = this.quorum.state;
    if (state.role !== 'leader') return this.handleFetchRequest(from, request);
    const validation = validateOffsetAndEpoch(this.log, request.fetchOffset, request.lastFetchedEpoch);
    switch (validation.kind) {
      case 'diverging':
        return this.sendFetchResponse(from, request, { divergingEpoch: { epoch: validation.offsetAndEpoch.epoch, endOffset: validation.offsetAndEpoch.offset } });
      case 'snapshot':
        return this.sendFetchResponse(from, request, { snapshotId: { endOffset: validation.offsetAndEpoch.offset, epoch: validation.offsetAndEpoch.epoch } });
      case 'valid': {
        const highWatermarkMoved = state.leaderState.updateReplicaState(from, request.fetchOffset);
        if (highWatermarkMoved) this.onLeaderHighWatermarkChanged(state);
        const records = this.log.read(request.fetchOffset, 'uncommitted');
        if (records.length === 0 && mayPark && request.maxWaitMs > 0 && !highWatermarkMoved) {
          return this.parkFetch(from, request);
        }
        return this.sendFetchResponse(from, request, { records });
      }
      default:
        assertNever(validation);
    }
  }

  private sendFetchResponse(from: NodeId, request: FetchRequest, fields: Partial<FetchResponse>): void {
    const state = this.quorum.state;
    const response: FetchResponse = {
      api: 'FetchResponse',
      correlationId: request.correlationId,
      errorCode: 'NONE',
      currentLeader: { leaderId: this.quorum.leaderId, leaderEpoch: this.quorum.epoch },
      highWatermark: state.role === 'leader' ? (state.leaderState.highWatermark ?? -1) : -1,
      logStartOffset: this.log.logStartOffset,
      divergingEpoch: null,
      snapshotId: null,
      records: [],
      ...fields,
    };
    this.send(from, response);
  }

  /** Fetch long polling: hold a fetch with nothing new until new data, a new high watermark, or maxWaitMs. */
  private parkFetch(from: NodeId, request: FetchRequest): void {
    this.parkedFetches.set(from, request);
    this.setTimer(FETCH_PURGATORY_TIMER_PREFIX + from, request.maxWaitMs);
  }

  private onFetchPurgatoryExpired(from: NodeId): void {
    const request = this.parkedFetches.get(from);
    if (request === undefined) return;
    this.parkedFetches.delete(from);
    this.tryCompleteFetch(from, request, false);
  }

  private takeParkedFetches(): Array<[NodeId, FetchRequest]> {
    const parked = [...this.parkedFetches.entries()];
    this.parkedFetches.clear();
    for (const [from] of parked) this.cancelTimer(FETCH_PURGATORY_TIMER_PREFIX + from);
    return parked;
  }

  private completeParkedFetches(): void {
    for (const [from, request] of this.takeParkedFetches()) this.tryCompleteFetch(from, request, false);
  }

  private handleFetchSnapshotRequest(from: NodeId, request: FetchSnapshotRequest): void {
    const respond = (fields: Partial<FetchSnapshotResponse>): void =>
      this.send(from, {
        api: 'FetchSnapshotResponse',
        correlationId: request.correlationId,
        errorCode: 'NONE',
        currentLeader: { leaderId: this.quorum.leaderId, leaderEpoch: this.quorum.epoch },
        snapshotId: request.snapshotId,
        size: 0,
        position: 0,
        unalignedRecords: new Uint8Array(0),
        ...fields,
      });
    const error = this.validateLeaderOnlyRequest(request.currentLeaderEpoch);
    if (error !== null) return respond({ errorCode: error });
    this.recordFetchForCheckQuorum(from);
    const snapshot = this.log.latestSnapshot();
    if (snapshot === null || snapshot.id.endOffset !== request.snapshotId.endOffset || snapshot.id.epoch !== request.snapshotId.epoch) {
      return respond({ errorCode: 'SNAPSHOT_NOT_FOUND' });
    }
    if (request.position !== 0) return respond({ errorCode: 'POSITION_OUT_OF_RANGE' });
    respond({ size: snapshot.bytes.length, unalignedRecords: snapshot.bytes });
  }

  /** Kafka's `validateLeaderOnlyRequest`. */
  private validateLeaderOnlyRequest(requestEpoch: number): RaftErrorCode | null {
    if (requestEpoch < this.quorum.epoch) return 'FENCED_LEADER_EPOCH';
    if (requestEpoch > this.quorum.epoch) return 'UNKNOWN_LEADER_EPOCH';
    const state = this.quorum.state;
    if (state.role !== 'leader' || this.actedOn !== state) return 'NOT_LEADER_OR_FOLLOWER';
    return null;
  }

  private recordFetchForCheckQuorum(from: NodeId): void {
    const state = this.quorum.state;
    if (state.role !== 'leader' || !this.quorum.isVoter(from)) return;
    state.leaderState.addAcknowledgementFrom(from);
    if (state.leaderState.updateCheckQuorumForFollowingVoter(from) && this.checksQuorum(state.leaderState)) this.setTimer(TIMER.checkQuorum, this.checkQuorumTimeoutMs());
  }

  /** The linger expired (or the epoch began): fsync the leader's log and let followers fetch it. */
  private flushLeaderLog(): void {
    const state = this.quorum.state;
    if (state.role !== 'leader') return;
    this.cancelTimer(TIMER.appendLinger);
    this.log.flush(() => {
      if (this.quorum.state !== state) return;
      if (state.leaderState.updateLocalState(this.log.lastFlushedOffset)) this.onLeaderHighWatermarkChanged(state);
    });
    this.completeParkedFetches();
  }

  private onLeaderHighWatermarkChanged(state: LeaderEpochState): void {
    const highWatermark = state.leaderState.highWatermark;
    if (highWatermark === null) throw new Error('onLeaderHighWatermarkChanged: no high watermark');
    this.updateHighWatermark(highWatermark);
    this.completeParkedFetches();
  }

  // ---------------------------------------------------------------------------------------------
  // Replication, follower and observer side.

  private fetchTarget(): NodeId | null {
    const state = this.quorum.state;
    const randomVoter = (): NodeId => this.host.random.pick(this.options.voters.filter((id) => id !== this.localId));
    if (state.role === 'follower') return this.observerDiscovery ? randomVoter() : state.leaderId;
    if (state.role === 'unattached' && !this.quorum.isVoter()) return randomVoter();
    return null;
  }

  /** Sends the next Fetch once everything appended so far is durable (fetchOffset promises it). */
  private sendFetch(): void {
    if (this.fetchInFlight !== null || this.timers.has(TIMER.fetchRetry) || !this.quorum.isDurable) return;
    if (this.log.isSnapshotWriteInProgress) return this.scheduleFetchRetry();
    if (this.log.lastFlushedOffset < this.log.logEndOffset) {
      if (!this.fetchFlushPending) {
        this.fetchFlushPending = true;
        this.log.flush(() => {
          this.fetchFlushPending = false;
          this.sendFetch();
        });
      }
      return;
    }
    const target = this.fetchTarget();
    if (target === null) return;
    const correlationId = this.nextCorrelationId();
    this.fetchInFlight = { kind: 'Fetch', correlationId, target };
    this.send(target, {
      api: 'Fetch',
      correlationId,
      replicaId: this.localId,
      maxWaitMs: FETCH_MAX_WAIT_MS,
      currentLeaderEpoch: this.quorum.epoch,
      fetchOffset: this.log.logEndOffset,
      lastFetchedEpoch: this.log.lastFetchedEpoch(),
    });
    this.setTimer(TIMER.fetchRequestTimeout, this.options.config.requestTimeoutMs);
  }

  private scheduleFetchRetry(): void {
    if (!this.timers.has(TIMER.fetchRetry)) this.setTimer(TIMER.fetchRetry, this.options.config.retryBackoffMs);
  }

  private takeFetchInFlight(from: NodeId, kind: FetchInFlight['kind'], correlationId: number): boolean {
    const inFlight = this.fetchInFlight;
    if (inFlight === null || inFlight.kind !== kind || inFlight.target !== from || inFlight.correlationId !== correlationId) return false;
    this.fetchInFlight = null;
    this.cancelTimer(TIMER.fetchRequestTimeout);
    return true;
  }

  /** Common handling of Fetch and FetchSnapshot responses; returns the follower state on success. */
  private acceptFetchResponse(
    from: NodeId,
    errorCode: RaftErrorCode,
    leaderId: NodeId | null,
    leaderEpoch: number,
  ): FollowerState | null {
    const before = this.quorum.state;
    if (this.maybeHandleCommonResponse(errorCode, leaderId, leaderEpoch)) {
      if (this.quorum.state === before) this.scheduleFetchRetry();
      return null;
    }
    const state = this.quorum.state;
    if (errorCode !== 'NONE' || state.role !== 'follower' || from !== state.leaderId) {
      this.scheduleFetchRetry();
      return null;
    }
    state.hasFetchedFromLeader = true;
    this.observerDiscovery = false;
    this.setTimer(TIMER.fetchTimeout, this.options.config.fetchTimeoutMs);
    return state;
  }

  private handleFetchResponse(from: NodeId, response: FetchResponse): void {
    if (!this.takeFetchInFlight(from, 'Fetch', response.correlationId)) return;
    const state = this.acceptFetchResponse(from, response.errorCode, response.currentLeader.leaderId, response.currentLeader.leaderEpoch);
    if (state === null) return;
    if (response.divergingEpoch !== null) {
      this.truncateToDivergingEpoch(response.divergingEpoch);
    } else if (response.snapshotId !== null) {
      return this.sendFetchSnapshot(state.leaderId, response.snapshotId);
    } else if (response.records.length > 0 && response.records[0]!.baseOffset !== this.log.logEndOffset) {
      // Only one Fetch is in flight and it asked from our log end, so this cannot happen; refetch.
      return this.scheduleFetchRetry();
    } else {
      if (response.records.length > 0) this.appendAsFollower(response.records);
      if (response.highWatermark >= 0) this.updateHighWatermark(Math.min(response.highWatermark, this.log.logEndOffset));
    }
    this.sendFetch();
  }

  private appendAsFollower(batches: readonly RecordBatch[]): void {
    this.log.appendAsFollower(batches);
    for (const entry of recordsOf(batches)) this.traceAppend(entry.offset, entry.epoch, crc32c(entry.record));
  }

  /** KIP-595: the leader names where our log diverges; truncate there and fetch again. */
  private truncateToDivergingEpoch(divergingEpoch: { epoch: number; endOffset: number }): void {
    const logEndOffset = this.log.logEndOffset;
    truncateToEndOffset(this.log, { offset: divergingEpoch.endOffset, epoch: divergingEpoch.epoch });
    // A batch that straddles the truncation offset goes whole, so the log may end a little lower.
    const truncationOffset = this.log.logEndOffset;
    if (truncationOffset >= logEndOffset) return;
    if (truncationOffset < (this.highWatermark ?? 0) || truncationOffset < this.nextOffsetToApply) {
      throw new Error(`truncation to ${truncationOffset} below the high watermark ${this.highWatermark}`);
    }
    this.host.trace({ type: 'raft.truncate', offset: truncationOffset });
  }

  private sendFetchSnapshot(leaderId: NodeId, snapshotId: SnapshotId): void {
    const correlationId = this.nextCorrelationId();
    this.fetchInFlight = { kind: 'FetchSnapshot', correlationId, target: leaderId };
    this.send(leaderId, { api: 'FetchSnapshot', correlationId, replicaId: this.localId, currentLeaderEpoch: this.quorum.epoch, snapshotId, position: 0 });
    this.setTimer(TIMER.fetchRequestTimeout, this.options.config.requestTimeoutMs);
  }

  private handleFetchSnapshotResponse(from: NodeId, response: FetchSnapshotResponse): void {
    if (!this.takeFetchInFlight(from, 'FetchSnapshot', response.correlationId)) return;
    const state = this.acceptFetchResponse(from, response.errorCode, response.currentLeader.leaderId, response.currentLeader.leaderEpoch);
    if (state === null) return;
    const id = response.snapshotId;
    if (this.log.isSnapshotWriteInProgress || id.endOffset <= this.log.logStartOffset) return this.sendFetch();
    this.log.storeFetchedSnapshot(id, response.unalignedRecords, () => this.onSnapshotInstalled(id));
  }

  /**
   * The fetched snapshot is durable: the log keeps what follows it when it holds the snapshot's last
   * record (only the prefix goes), and is replaced by it otherwise (Kafka's truncateToLatestSnapshot).
   */
  private onSnapshotInstalled(id: SnapshotId): void {
    const logEndOffsetBefore = this.log.logEndOffset;
    if (!this.log.truncateToLatestSnapshot()) this.log.deleteBeforeSnapshot(id);
    else if (logEndOffsetBefore > id.endOffset) this.host.trace({ type: 'raft.truncate', offset: id.endOffset });
    this.host.trace({ type: 'raft.snapshot', endOffset: id.endOffset, epoch: id.epoch, source: 'installed' });
    if (this.nextOffsetToApply < id.endOffset) {
      this.options.listener.handleLoadSnapshot(id.endOffset, id.epoch, this.log.latestSnapshot()!.payload);
      this.nextOffsetToApply = id.endOffset;
      this.resetSnapshotCounters();
    }
    // A snapshot holds only committed entries, so its end is a lower bound of the high watermark.
    this.updateHighWatermark(id.endOffset);
    this.sendFetch();
  }

  private onFetchTimeout(): void {
    const state = this.quorum.state;
    if (state.role !== 'follower') throw new Error(`fetch timeout armed in role ${state.role}`);
    if (this.quorum.isVoter()) return this.startElection(state);
    // An observer cannot campaign: it looks for the leader among the voters.
    this.observerDiscovery = true;
    this.fetchInFlight = null;
    this.cancelTimer(TIMER.fetchRequestTimeout);
    this.setTimer(TIMER.fetchTimeout, this.options.config.fetchTimeoutMs);
    this.sendFetch();
  }

  // ---------------------------------------------------------------------------------------------
  // Commit, listener and snapshots.

  /** Moves the node's high watermark forward (never back) and replays what became committed. */
  private updateHighWatermark(highWatermark: number): void {
    if (this.highWatermark !== null && highWatermark <= this.highWatermark) return;
    this.highWatermark = highWatermark;
    this.log.updateHighWatermark(highWatermark);
    this.host.trace({ type: 'raft.hw', epoch: this.quorum.epoch, highWatermark });
    this.applyCommitted();
  }

  private applyCommitted(): void {
    const highWatermark = Math.min(this.highWatermark ?? 0, this.log.logEndOffset);
    while (this.nextOffsetToApply < highWatermark) {
      const batches = this.log.read(this.nextOffsetToApply, 'committed');
      if (batches.length === 0 || batches[0]!.baseOffset !== this.nextOffsetToApply) {
        throw new Error(`applyCommitted: no batch starts at ${this.nextOffsetToApply} below the high watermark ${highWatermark}`);
      }
      const entries = recordsOf(batches);
      const data = entries.filter((entry) => !entry.isControl).map(({ offset, epoch, record }) => ({ offset, epoch, record }));
      if (data.length > 0) this.options.listener.handleCommit(data);
      this.nextOffsetToApply = nextOffset(batches[batches.length - 1]!);
      this.recordsSinceSnapshot += entries.length;
      this.bytesSinceSnapshot += entries.reduce((total, entry) => total + entry.record.length, 0);
      this.host.trace({ type: 'raft.commit', offset: this.nextOffsetToApply - 1 });
    }
    this.maybeFireLeaderChange();
    this.maybeSnapshot();
  }

  /** Kafka fires a leader change for the local leader only once the listener caught up to its epoch start. */
  private maybeFireLeaderChange(): void {
    const state = this.quorum.state;
    if (this.actedOn !== state) return;
    const leaderId = this.quorum.leaderId;
    if (state.role === 'leader' && this.nextOffsetToApply < state.leaderState.epochStartOffset) return;
    const last = this.lastFiredLeaderChange;
    if (last !== null && last.leaderId === leaderId && last.epoch === state.epoch) return;
    this.lastFiredLeaderChange = { leaderId, epoch: state.epoch };
    this.options.listener.handleLeaderChange(leaderId, state.epoch);
  }

  private maybeSnapshot(): void {
    const config = this.options.config;
    const endOffset = this.nextOffsetToApply;
    if (this.log.isSnapshotWriteInProgress || endOffset <= this.log.logStartOffset) return;
    const due =
      this.recordsSinceSnapshot >= config.maxRecordsBetweenSnapshots ||
      this.bytesSinceSnapshot >= config.maxRecordBytesBetweenSnapshots ||
      this.snapshotIntervalElapsed;
    if (!due) return;
    const id = { endOffset, epoch: this.log.epochForOffset(endOffset - 1) };
    const data = this.options.snapshotProvider();
    this.resetSnapshotCounters();
    // The prefix the snapshot covers leaves the log only once the snapshot is durable.
    this.log.createSnapshot(id, data, () => {
      this.log.deleteBeforeSnapshot(id);
      this.host.trace({ type: 'raft.snapshot', endOffset: id.endOffset, epoch: id.epoch, source: 'taken' });
    });
  }

  private resetSnapshotCounters(): void {
    this.recordsSinceSnapshot = 0;
    this.bytesSinceSnapshot = 0;
    this.snapshotIntervalElapsed = false;
  }

  // ---------------------------------------------------------------------------------------------
  // Plumbing.

  private dispatch(from: NodeId, message: RaftMessage): void {
    switch (message.api) {
      case 'Vote':
        return this.handleVoteRequest(from, message);
      case 'VoteResponse':
        return this.handleVoteResponse(from, message);
      case 'BeginQuorumEpoch':
        return this.handleBeginQuorumEpochRequest(from, message);
      case 'BeginQuorumEpochResponse':
        return this.handleBeginQuorumEpochResponse(from, message);
      case 'EndQuorumEpoch':
        return this.handleEndQuorumEpochRequest(from, message);
      case 'EndQuorumEpochResponse':
        return this.handleEndQuorumEpochResponse(message);
      case 'Fetch':
        return this.handleFetchRequest(from, message);
      case 'FetchResponse':
        return this.handleFetchResponse(from, message);
      case 'FetchSnapshot':
        return this.handleFetchSnapshotRequest(from, message);
      case 'FetchSnapshotResponse':
        return this.handleFetchSnapshotResponse(from, message);
      default:
        return assertNever(message);
    }
  }

  /** Sends now when the election state is durable, otherwise when it becomes durable. */
  private send(to: NodeId, message: RaftMessage, trace?: TraceEvent): void {
    const outgoing: OutgoingMessage = trace === undefined ? { to, message } : { to, message, trace };
    if (this.quorum.isDurable && this.actedOn === this.quorum.state) this.sendNow(outgoing);
    else this.outbox.push(outgoing);
  }

  private sendNow(outgoing: OutgoingMessage): void {
    if (outgoing.trace !== undefined) this.host.trace(outgoing.trace);
    this.host.send(outgoing.to, outgoing.message, 'controller');
  }

  /** `digest` is the CRC-32C of the record's value, so the checker can compare logs without the bytes. */
  private traceAppend(offset: number, epoch: number, digest: number): void {
    this.host.trace({ type: 'raft.append', offset, epoch, digest });
  }

  private setTimer(tag: string, delayMs: number): void {
    this.cancelTimer(tag);
    this.timers.set(tag, this.host.setTimer(Math.max(0, Math.floor(delayMs)), tag));
  }

  private cancelTimer(tag: string): void {
    const id = this.timers.get(tag);
    if (id === undefined) return;
    this.host.cancelTimer(id);
    this.timers.delete(tag);
  }

  private nextCorrelationId(): number {
    return this.correlationIdNext++;
  }

  private quorumContext(): QuorumContext {
    return this.quorum.context;
  }

  /** controller.quorum.election.timeout.ms plus a uniform jitter of up to the same again. */
  private randomElectionTimeoutMs(): number {
    const base = this.options.config.electionTimeoutMs;
    return base + this.host.random.nextInt(0, base);
  }

  /** Kafka's binary exponential backoff after a lost election, capped by election.backoff.max.ms. */
  private binaryExponentialElectionBackoffMs(retries: number): number {
    const config = this.options.config;
    const slots = 2 ** Math.min(Math.max(retries, 1), 20);
    return Math.min(config.electionBackoffMaxMs, config.retryBackoffMs * this.host.random.nextInt(0, slots));
  }

  /**
   * After EndQuorumEpoch the first preferred successor campaigns at once and later ones back off
   * exponentially by position; a voter the leader did not name waits a normal election timeout.
   */
  private endEpochElectionBackoffMs(preferredSuccessors: readonly NodeId[]): number {
    const position = preferredSuccessors.indexOf(this.localId);
    if (position < 0) return this.randomElectionTimeoutMs();
    const config = this.options.config;
    return Math.min(config.electionBackoffMaxMs, position === 0 ? 0 : config.retryBackoffMs * 2 ** position);
  }

  /**
   * Runs a handler; a failed write to the log directory fail-stops the client and ends the
   * process, as Kafka halts a controller whose metadata log directory failed. The restarted
   * process recovers from what the disk holds.
   */
  private guard(action: () => void): void {
    try {
      action();
    } catch (error) {
      if (!(error instanceof KafkaStorageException)) throw error;
      this.halted = true;
      for (const tag of [...this.timers.keys()]) this.cancelTimer(tag);
      this.outbox = [];
      this.host.trace({ type: 'raft.halt', reason: error.message });
      this.host.halt(`metadata log directory failed: ${error.message}`);
    }
  }
}

/**
 * The checks Kafka's handleFetchRequest makes before any other (INVALID_REQUEST otherwise): no
 * negative max wait, fetch offset or last fetched epoch, and no last fetched epoch above the epoch
 * the fetcher says is current — its log cannot hold an epoch later than the one it follows. ksim's
 * request also names its sender, which must be the one who sent it.
 */
function isWellFormedFetch(from: NodeId, request: FetchRequest): boolean {
  if (request.maxWaitMs < 0 || request.fetchOffset < 0 || request.lastFetchedEpoch < 0) return false;
  return request.lastFetchedEpoch <= request.currentLeaderEpoch && from === request.replicaId;
}

/** An owner's payload as a record value: ksim's record values are text. */
function recordText(payload: Uint8Array): string {
  try {
    return decoder.decode(payload);
  } catch {
    throw new Error('KafkaRaftClient: a metadata record must be UTF-8 text (ksim record values are text)');
  }
}

function valueDigest(record: SimpleRecord): number {
  return crc32c(encoder.encode(record.value ?? ''));
}

/** Every record of the batches with its offset and epoch, its value as the owner's bytes. */
function recordsOf(batches: readonly RecordBatch[]): LogRecord[] {
  const records: LogRecord[] = [];
  for (const batch of batches) {
    batch.records.forEach((record, offsetDelta) => {
      records.push({
        offset: batch.baseOffset + offsetDelta,
        epoch: batch.partitionLeaderEpoch,
        isControl: batch.isControl,
        record: encoder.encode(record.value ?? ''),
      });
    });
  }
  return records;
}
