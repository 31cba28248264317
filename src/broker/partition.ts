/**
 * One partition replica on one broker, after Kafka's Partition.scala: the leader's side of
 * replication (appends, follower fetch state, ISR changes, the high watermark, acks=all) and the
 * follower's (appending fetched batches, truncating where its log diverged).
 *
 * The rules, with the history that made them:
 * - The high watermark is the smallest log end offset among the leader and every replica in the
 *   maximal ISR — the committed ISR plus any member an in-flight AlterPartition adds (KIP-497) — so
 *   no offset counts as committed before every replica that could become leader holds it. It also
 *   waits for a caught-up, ISR-eligible follower outside the ISR (KAFKA-4485), which could otherwise
 *   chase a high watermark that the leader's own log end drags ahead and never join. It never goes
 *   down, and it does not advance while the ISR is smaller than min.insync.replicas (KAFKA-15583),
 *   so a write acknowledged with acks=all really is on min.insync.replicas replicas.
 * - A follower joins the ISR only once it has reached the high watermark AND the offset at which the
 *   current leader's epoch began (KAFKA-7128): before that, it may still hold a divergent tail.
 * - A follower leaves the ISR when it has not caught up to the leader's log end for
 *   replica.lag.time.max.ms — unless its log end equals the leader's, however long ago it fetched
 *   (KAFKA-7152): an idle partition gives a follower nothing to catch up to.
 * - ISR changes go through the controller (AlterPartition); until one commits, the partition uses
 *   the larger of the two ISRs for the high watermark (KIP-497), one request at a time. The request
 *   carries each new member's broker epoch, so a replica that restarted meanwhile cannot sneak in
 *   with a log it lost (KIP-903).
 * - A proposal stays pending until its outcome is known: from a successful answer, or from the
 *   metadata log (a new partition epoch). Only INELIGIBLE_REPLICA says it was not applied and never
 *   will be (KIP-841, KAFKA-13916); other refusals wait for the metadata, and retriable errors —
 *   NOT_CONTROLLER, a timeout — are retried (KAFKA-14010), because a controller that lost its
 *   leadership may have written the change, and its successor may commit it.
 * - Fetches carry the fetcher's view of the leader epoch, and a stale or future one is refused
 *   (FENCED_LEADER_EPOCH, UNKNOWN_LEADER_EPOCH; KIP-320).
 * - A follower's fetch carries the epoch of its last record; if the leader's log diverged from it,
 *   the leader answers with the diverging epoch and its end offset, and the follower truncates
 *   there (KIP-101's leader epochs, KIP-279's fix for consecutive leader changes, delivered inside
 *   Fetch since Kafka 2.7 as for KRaft's KIP-595). Before 2.7 the follower checked only once, on
 *   becoming a follower; the pre-KIP-279 and pre-KIP-320 legacy switches restore that too.
 * - A new leader records the start of its epoch in the leader-epoch cache at once, before any
 *   record of it, so it can tell a follower where an epoch it never wrote in ends.
 * - OffsetsForLeaderEpoch is answered from the leader-epoch cache, by the leader only (KIP-101,
 *   KIP-279, KIP-320); followers of this Kafka truncate by the Fetch response's diverging epoch
 *   instead, and a consumer validating its position after a leader change is who asks.
 * - ListOffsets serves the earliest, the latest (the high watermark, for clients) and the offset of
 *   a time or of the largest timestamp, and answers OFFSET_NOT_AVAILABLE while a new leader's high
 *   watermark is below its epoch's start offset (KIP-207, KAFKA-2334): the latest offset it lists
 *   never goes back across a leader change.
 *
 * - Transactions (KIP-98): a read_committed consumer reads only below the last stable offset, and
 *   is told the transactions aborted in what it read so it can drop their records; markers come
 *   from the transaction coordinator (WriteTxnMarkers) with acks=all, like a produce.
 *
 * - A leader answers fetches with its stored batches as they are (Kafka's FileRecords slice); a
 *   follower checks each batch's CRC when it arrives and stores the bytes it was sent. A held
 *   consumer fetch is judged by the bytes between its offset and the high watermark (or the last
 *   stable offset), from positions alone, as Kafka's DelayedFetch does.
 *
 * Left out: reassignment (adding/removing replicas), follower fetching for consumers (KIP-392).
 */
import type { NodeId, TraceEvent } from '../host.js';
import { isLogError, type ProducerAppendInfo, type UnifiedLog } from '../log/unifiedLog.js';
import type { AppendOrigin } from '../log/producerState.js';
import { endTransactionMarkerRecord, readEndTransactionMarker, type TransactionResult } from '../log/controlRecord.js';
import { decodeReceivedRecords, EMPTY_RECORDS, type EncodedBatch, lastOffset, NO_SEQUENCE, type RecordBatch, type SimpleRecord, storedLastOffset } from '../log/recordBatch.js';
import type { PartitionRegistration } from '../metadata/types.js';
import {
  EARLIEST_TIMESTAMP,
  type FetchPartition,
  type FetchResponsePartition,
  type IsolationLevel,
  LATEST_TIMESTAMP,
  type ListOffsetsResponsePartition,
  MAX_TIMESTAMP,
  NO_TIMESTAMP,
  type OffsetsForLeaderEpochResponsePartition,
  READ_COMMITTED,
} from '../protocol/apis.js';
import type { KafkaErrorCode } from '../protocol/errors.js';
import { type LegacySwitches, truncatesOnlyOnBecomingFollower } from './config.js';

/** A time that never was: a follower that has not fetched, or not caught up, in this leadership. */
const NEVER_MS = Number.NEGATIVE_INFINITY;

/** What the leader knows about one follower (Kafka's Replica / ReplicaState). */
export interface RemoteReplicaState {
  /** The follower's log end offset, as its last fetch said; -1 until it fetches. */
  logEndOffset: number;
  logStartOffset: number;
  /** The last time the follower's log end reached the leader's (Kafka's lastCaughtUpTimeMs); NEVER_MS if not since this leadership began. */
  lastCaughtUpTimeMs: number;
  /** NEVER_MS until the follower fetches from this leader. */
  lastFetchTimeMs: number;
  /** The leader's log end offset at the follower's previous fetch. */
  lastFetchLeaderLogEndOffset: number;
  /** The broker epoch the follower fetched with (KIP-903). */
  brokerEpoch: number;
}

/**
 * An ISR change sent to the controller whose outcome is not known yet (Kafka's PendingPartitionChange).
 * The partition holds at most one; an answer about any other is out of date and ignored.
 */
export interface AlterPartitionProposal {
  readonly isr: readonly NodeId[];
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
  readonly newIsrWithEpochs: ReadonlyArray<{ readonly brokerId: NodeId; readonly brokerEpoch: number }>;
}

/** The controller's answer to an AlterPartition, or the error that stands for a lost one. */
export interface AlterPartitionOutcome {
  readonly errorCode: KafkaErrorCode;
  readonly leaderEpoch: number;
  readonly isr: readonly NodeId[];
  readonly partitionEpoch: number;
}

export interface PartitionHost {
  nowMs(): number;
  trace(event: TraceEvent): void;
  /**
   * KIP-903: may this replica, fetching with this broker epoch, join the ISR? It must be registered
   * with that very epoch, unfenced and not shutting down — checked against the local metadata image
   * before asking the controller, which checks again. `null`: the Fetch carried no broker epoch
   * (before KIP-903), so only the registration is checked.
   */
  isReplicaIsrEligible(brokerId: NodeId, brokerEpoch: number | null): boolean;
  /**
   * The log failed (a corrupt batch read back, a write the disk refused): Kafka takes the log
   * directory offline, and a broker with its only directory offline shuts down. Nothing after this
   * call takes effect.
   */
  onStorageError(reason: string): void;
  /**
   * Proposes a new ISR to the controller; the answer comes back through onAlterPartitionResponse,
   * which says whether to send the same proposal again.
   */
  sendAlterPartition(partition: Partition, proposal: AlterPartitionProposal): void;
}

export interface PartitionSettings {
  readonly minInsyncReplicas: number;
  readonly replicaLagTimeMaxMs: number;
  readonly legacy: LegacySwitches;
}

export type AppendResult = { readonly firstOffset: number; readonly lastOffset: number; readonly duplicate: boolean } | { readonly error: KafkaErrorCode };

export type Role = 'leader' | 'follower' | 'none';

/** A transaction marker to write (one partition's part of WriteTxnMarkers). */
export interface TxnMarker {
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly coordinatorEpoch: number;
  readonly result: TransactionResult;
}

/** What a leader's append wrote: data from a producer, or a transaction marker. */
type LeaderAppend =
  | { readonly kind: 'records'; readonly records: readonly SimpleRecord[]; readonly producer: ProducerAppendInfo | null; readonly isTransactional: boolean; readonly origin: AppendOrigin }
  | { readonly kind: 'marker'; readonly marker: TxnMarker };

export class Partition {
  private roleValue: Role = 'none';
  private registration: PartitionRegistration | null = null;
  private readonly remotes = new Map<NodeId, RemoteReplicaState>();
  /** The offset at which this leader's epoch began: its log end when it became leader. */
  private leaderEpochStartOffset = -1;
  /** The ISR change sent to the controller whose outcome is not known yet, or null. */
  private pendingChange: AlterPartitionProposal | null = null;
  /** Legacy (pre-2.7) fetching only: the follower has checked its log against this leader's. */
  private followerLogChecked = false;
  /** The leader-epoch cache as last traced (its size and end entries), so that only changes are traced. */
  private tracedEpochCache = '';
  /**
   * KIP-890 part 1's verification state, by producer id (Kafka's VerificationStateEntry): a guard
   * created when a transaction's first append goes to the coordinator, shared by every append of
   * that producer verified meanwhile, and dropped by the producer's next transactional append —
   * data (the transaction is open: later batches need no guard) or a marker (it ended). A verified
   * append proceeds only if its guard is still the entry's, so a marker written while the
   * verification was in flight turns it away. `epoch` is the highest epoch verified under it, and
   * `epochBump` says the transaction runs under version 2, whose markers carry the next
   * transaction's epoch: such a marker at the entry's epoch closes the previous transaction, not
   * this one, and leaves the guard standing.
   */
  private readonly verificationGuards = new Map<number, { guard: number; epoch: number; epochBump: boolean }>();
  private nextVerificationGuard = 1;
  /**
   * The leader's last high watermark increment: when, and the high watermark and first unstable
   * offset just before it — what a read_committed fetch racing with it read first, before
   * KAFKA-9807 (the legacy switch ksim.legacy.lso.reads.high.watermark.twice).
   */
  private lastIncrement: { readonly atMs: number; readonly highWatermarkBefore: number; readonly firstUnstableBefore: number | null } | null = null;

  constructor(
    readonly topic: string,
    readonly partitionId: number,
    private readonly localBrokerId: NodeId,
    readonly log: UnifiedLog,
    private settings: PartitionSettings,
    private readonly host: PartitionHost,
  ) {
    this.maybeTraceEpochCache();
  }

  get role(): Role {
    return this.roleValue;
  }

  get leaderEpoch(): number {
    return this.registration?.leaderEpoch ?? -1;
  }

  get leaderId(): NodeId | null {
    return this.registration?.leader ?? null;
  }

  get isr(): readonly NodeId[] {
    return this.registration?.isr ?? [];
  }

  /** The committed ISR, plus the members an in-flight expansion would add (KIP-497). */
  get maximalIsr(): readonly NodeId[] {
    if (this.pendingChange === null) return this.isr;
    return [...new Set([...this.isr, ...this.pendingChange.isr])];
  }

  /** The ISR that the pending AlterPartition proposes, or null when none is pending. */
  get proposedIsr(): readonly NodeId[] | null {
    return this.pendingChange?.isr ?? null;
  }

  /** Is this proposal still the one whose outcome the partition waits for? (A retry goes out only then.) */
  isAlterPartitionPending(proposal: AlterPartitionProposal): boolean {
    return this.roleValue === 'leader' && this.pendingChange === proposal;
  }

  /** What this leader knows of a follower, from its fetches; undefined when not a follower of this leader. */
  remoteReplica(replicaId: NodeId): Readonly<RemoteReplicaState> | undefined {
    return this.remotes.get(replicaId);
  }

  get highWatermark(): number {
    return this.log.highWatermark;
  }

  updateSettings(settings: PartitionSettings): void {
    this.settings = settings;
  }

  private trace(type: string, fields: Record<string, unknown>): void {
    this.host.trace({ type, topic: this.topic, partition: this.partitionId, ...fields });
  }

  /**
   * Traces the leader-epoch cache when it changed (`partition.epochs`), for the checker to hold it
   * to its invariant. The cache changes only at its ends (an epoch assigned or truncated away at
   * the tail, the start moved at the head), so its size and end entries tell a change.
   */
  private maybeTraceEpochCache(): void {
    const entries = this.log.epochEntries();
    const first = entries[0];
    const last = entries[entries.length - 1];
    const signature = `${entries.length}|${first?.epoch}:${first?.startOffset}|${last?.epoch}:${last?.startOffset}`;
    if (signature === this.tracedEpochCache) return;
    this.tracedEpochCache = signature;
    this.trace('partition.epochs', { entries: entries.map((entry) => [entry.epoch, entry.startOffset]) });
  }

  // ---- Metadata ----

  /**
   * Applies the partition's registration from the metadata image. Returns what changed, so the
   * broker can start or stop fetching. A registration older than the one held is ignored.
   */
  applyRegistration(registration: PartitionRegistration): 'became-leader' | 'became-follower' | 'updated' | 'unchanged' | 'removed' {
    const previous = this.registration;
    if (previous !== null && registration.partitionEpoch < previous.partitionEpoch) return 'unchanged';
    if (previous !== null && registration.partitionEpoch === previous.partitionEpoch && registration.leaderEpoch === previous.leaderEpoch) return 'unchanged';
    this.registration = registration;
    if (!registration.replicas.includes(this.localBrokerId)) {
      this.roleValue = 'none';
      return 'removed';
    }
    const newEpoch = previous === null || registration.leaderEpoch !== previous.leaderEpoch;
    if (registration.leader === this.localBrokerId) {
      if (newEpoch || this.roleValue !== 'leader') {
        this.makeLeader(registration);
        return 'became-leader';
      }
      // Same epoch, new partition epoch: a committed ISR change (ours, or the controller's own). It
      // settles any pending proposal: ours committed (this is it, or came before it), or the
      // partition epoch moved past the one it named and the controller will refuse it.
      this.pendingChange = null;
      this.trace('partition.isr', { isr: registration.isr, pendingIsr: null, partitionEpoch: registration.partitionEpoch });
      this.maybeIncrementHighWatermark();
      return 'updated';
    }
    if (newEpoch || this.roleValue !== 'follower') {
      this.makeFollower(registration);
      return 'became-follower';
    }
    return 'updated';
  }

  private makeLeader(registration: PartitionRegistration): void {
    const nowMs = this.host.nowMs();
    this.roleValue = 'leader';
    this.verificationGuards.clear();
    this.pendingChange = null;
    this.leaderEpochStartOffset = this.log.logEndOffset;
    this.log.assignEpochStartOffset(registration.leaderEpoch);
    this.maybeTraceEpochCache();
    this.remotes.clear();
    for (const replica of registration.replicas) {
      if (replica === this.localBrokerId) continue;
      // ISR members get the benefit of the doubt for one lag period, as in Kafka's resetReplicaState;
      // the others have not caught up, so the high watermark does not wait for them.
      this.remotes.set(replica, {
        logEndOffset: -1,
        logStartOffset: -1,
        lastCaughtUpTimeMs: registration.isr.includes(replica) ? nowMs : NEVER_MS,
        lastFetchTimeMs: NEVER_MS,
        lastFetchLeaderLogEndOffset: -1,
        brokerEpoch: -1,
      });
    }
    this.trace('partition.leader', {
      leaderEpoch: registration.leaderEpoch,
      isr: registration.isr,
      leaderEpochStartOffset: this.leaderEpochStartOffset,
      highWatermark: this.log.highWatermark,
    });
    this.maybeIncrementHighWatermark();
  }

  private makeFollower(registration: PartitionRegistration): void {
    this.roleValue = 'follower';
    this.pendingChange = null;
    this.followerLogChecked = false;
    this.remotes.clear();
    this.trace('partition.follower', { leader: registration.leader, leaderEpoch: registration.leaderEpoch });
    if (this.settings.legacy.truncateToHighWatermark) {
      // Before KIP-101 a new follower cut its log back to its high watermark and fetched from
      // there: entries above it that the leader never had are gone, but so may be committed ones
      // the old high watermark had not yet reached — and the leader may not hold them either.
      this.truncateTo(this.log.highWatermark, 'legacy: truncate to high watermark');
    }
  }

  // ---- Leader: appends ----

  /**
   * Appends a produce request's records (Partition.appendRecordsToLeader). With acks=all the ISR
   * must already have min.insync.replicas members: otherwise NOT_ENOUGH_REPLICAS and nothing is
   * written (KIP-... since 0.8.2; the write would be committed by fewer replicas than promised).
   */
  appendRecordsToLeader(records: readonly SimpleRecord[], producer: ProducerAppendInfo | null, requiredAcks: number, nowMs: number, isTransactional = false, origin: AppendOrigin = 'client'): AppendResult {
    const result = this.appendToLeader({ kind: 'records', records, producer, isTransactional, origin }, requiredAcks, nowMs);
    // The transaction is open here now: its later batches need no guard (Kafka clears the entry at every transactional append).
    if (isTransactional && producer !== null && !('error' in result)) this.verificationGuards.delete(producer.producerId);
    return result;
  }

  /**
   * Writes a transaction marker (the partition's part of WriteTxnMarkers, Kafka's appendRecords
   * with AppendOrigin.COORDINATOR): acks=all, as the coordinator waits for it to replicate.
   */
  appendTxnMarkerToLeader(marker: TxnMarker, nowMs: number): AppendResult {
    const result = this.appendToLeader({ kind: 'marker', marker }, -1, nowMs);
    if (!('error' in result)) {
      const entry = this.verificationGuards.get(marker.producerId);
      // Kafka's UnifiedLog: a version 2 marker in the entry's epoch is the previous transaction's.
      const nextTransactionStarted = entry !== undefined && entry.epochBump && entry.epoch === marker.producerEpoch;
      if (!nextTransactionStarted) this.verificationGuards.delete(marker.producerId);
    }
    return result;
  }

  // ---- Leader: verifying a transaction (KIP-890 part 1) ----

  /**
   * Must this producer's transactional batch be verified with the coordinator first? Yes unless it
   * already has a transaction open here in the batch's own epoch (Kafka's
   * hasOngoingTransaction(producerId, producerEpoch)): under transaction version 2 the next
   * transaction runs in the epoch the previous one's markers carry, so a batch in a newer epoch
   * than the open transaction starts a new one, whose coordinator may still be writing the old
   * one's markers (CONCURRENT_TRANSACTIONS). Found by kafka-transactions-swarm seed 262: skipped,
   * the late COMMIT marker of the previous transaction committed the next one's first record
   * before that transaction was aborted; and kafka-eos-pipeline-swarm seed 241, where a late ABORT
   * marker tore the next transaction.
   */
  needsTransactionVerification(producerId: number, producerEpoch: number): boolean {
    const entry = this.log.producerStateEntry(producerId);
    return entry === undefined || entry === null || entry.currentTxnFirstOffset === null || entry.producerEpoch !== producerEpoch;
  }

  /**
   * Starts a verification: returns its guard — the producer's standing one if a verification is
   * already under way (Kafka's maybeCreateVerificationStateEntry reuses the entry, so two produces
   * verified at once both append; a fresh guard would turn the first away).
   */
  startTransactionVerification(producerId: number, producerEpoch: number, epochBump: boolean): number {
    const entry = this.verificationGuards.get(producerId);
    if (entry !== undefined) {
      entry.epoch = Math.max(entry.epoch, producerEpoch);
      return entry.guard;
    }
    const guard = this.nextVerificationGuard++;
    this.verificationGuards.set(producerId, { guard, epoch: producerEpoch, epochBump });
    return guard;
  }

  /** Does the guard still stand (no transactional append of the producer, no leadership change, since it was set)? */
  verificationGuardHolds(producerId: number, guard: number): boolean {
    return this.verificationGuards.get(producerId)?.guard === guard;
  }

  private appendToLeader(append: LeaderAppend, requiredAcks: number, nowMs: number): AppendResult {
    if (this.roleValue !== 'leader' || this.registration === null) return { error: 'NOT_LEADER_OR_FOLLOWER' };
    if (requiredAcks === -1 && this.isr.length < this.settings.minInsyncReplicas) return { error: 'NOT_ENOUGH_REPLICAS' };
    const leaderEpoch = this.registration.leaderEpoch;
    const result =
      append.kind === 'records'
        ? this.log.appendAsLeader(append.records, leaderEpoch, append.producer, nowMs, {
            isTransactional: append.isTransactional,
            origin: append.origin,
            fencesOlderProducerEpochs: !this.settings.legacy.noProducerEpochFencing,
          })
        : this.log.appendAsLeader(
            [endTransactionMarkerRecord(append.marker.result, append.marker.coordinatorEpoch, nowMs)],
            leaderEpoch,
            { producerId: append.marker.producerId, producerEpoch: append.marker.producerEpoch, baseSequence: NO_SEQUENCE },
            nowMs,
            { isControl: true, isTransactional: true },
          );
    if (isLogError(result)) {
      if (result.error === 'UNEXPECTED_APPEND_OFFSET') throw new Error(`${this.topic}-${this.partitionId}: leader append reported UNEXPECTED_APPEND_OFFSET`);
      if (result.error === 'KAFKA_STORAGE_ERROR') this.host.onStorageError(`append to ${this.topic}-${this.partitionId} failed`);
      return { error: result.error };
    }
    if (!result.duplicate) {
      this.maybeTraceEpochCache();
      this.trace('partition.append', {
        role: 'leader',
        baseOffset: result.firstOffset,
        lastOffset: result.lastOffset,
        epoch: leaderEpoch,
        ...leaderAppendFields(append),
      });
    }
    this.maybeIncrementHighWatermark();
    return result;
  }

  /**
   * For a delayed acks=all produce: has the ISR reached `requiredOffset` (one past the last offset
   * of the write)? Done when the high watermark covers it; then the ISR must still hold
   * min.insync.replicas members, or the answer is NOT_ENOUGH_REPLICAS_AFTER_APPEND.
   */
  checkEnoughReplicasReachOffset(requiredOffset: number): { done: false } | { done: true; error: KafkaErrorCode } {
    if (this.roleValue !== 'leader') return { done: true, error: 'NOT_LEADER_OR_FOLLOWER' };
    if (this.log.highWatermark < requiredOffset) return { done: false };
    const enough = this.isr.length >= this.settings.minInsyncReplicas;
    return { done: true, error: enough ? 'NONE' : 'NOT_ENOUGH_REPLICAS_AFTER_APPEND' };
  }

  // ---- Leader: fetches ----

  /**
   * Kafka's getLocalLog: may this replica's log serve a request that names `currentLeaderEpoch`
   * (-1: unchecked)? The caller's view of the leader epoch is checked first (KIP-320: older is
   * FENCED_LEADER_EPOCH, newer is UNKNOWN_LEADER_EPOCH), then whether only the leader may answer.
   */
  private checkLocalLog(currentLeaderEpoch: number, requireLeader: boolean): KafkaErrorCode {
    if (this.roleValue === 'none') return 'NOT_LEADER_OR_FOLLOWER';
    const fenced = !this.settings.legacy.noLeaderEpochFencing && currentLeaderEpoch >= 0;
    if (fenced && currentLeaderEpoch < this.leaderEpoch) return 'FENCED_LEADER_EPOCH';
    if (fenced && currentLeaderEpoch > this.leaderEpoch) return 'UNKNOWN_LEADER_EPOCH';
    if (requireLeader && this.roleValue !== 'leader') return 'NOT_LEADER_OR_FOLLOWER';
    return 'NONE';
  }

  /**
   * Serves a follower's fetch (fetchRecords + updateFollowerFetchState): records the follower's
   * progress, may grow the ISR and the high watermark, and answers with records from its fetch
   * offset, or with the diverging epoch when the follower's last epoch does not match this log.
   */
  fetchAsLeaderForFollower(replicaId: NodeId, brokerEpoch: number, request: FetchPartition, maxBytes: number, nowMs: number): FetchResponsePartition {
    const epochError = this.checkLocalLog(request.currentLeaderEpoch, true);
    if (epochError !== 'NONE') return this.errorResponse(epochError);
    const remote = this.remotes.get(replicaId);
    if (remote === undefined) return this.errorResponse('NOT_LEADER_OR_FOLLOWER');
    if (request.lastFetchedEpoch >= 0) {
      const end = this.log.endOffsetForEpoch(request.lastFetchedEpoch);
      if (end.epoch !== request.lastFetchedEpoch || end.endOffset < request.fetchOffset) {
        return { ...this.emptyResponse(), divergingEpoch: { epoch: end.epoch, endOffset: end.endOffset } };
      }
    }
    if (request.fetchOffset > this.log.logEndOffset || request.fetchOffset < this.log.logStartOffset) {
      return this.errorResponse('OFFSET_OUT_OF_RANGE');
    }
    this.updateFollowerFetchState(replicaId, remote, request.fetchOffset, request.logStartOffset, brokerEpoch, nowMs);
    const read = this.log.read(request.fetchOffset, maxBytes, this.log.logEndOffset);
    if (read.error !== undefined) return this.readFailed(read.error);
    return { ...this.emptyResponse(), records: read.records };
  }

  /**
   * Serves a consumer's fetch: only below the high watermark, never at or above it; under
   * read_committed only below the last stable offset, with the transactions aborted in the range
   * read (Kafka's FetchIsolation.TXN_COMMITTED and addAbortedTransactions).
   */
  fetchAsLeaderForConsumer(request: FetchPartition, maxBytes: number, isolationLevel: IsolationLevel = 0, racesHighWatermarkUpdates = true): FetchResponsePartition {
    const epochError = this.checkLocalLog(request.currentLeaderEpoch, true);
    if (epochError !== 'NONE') return this.errorResponse(epochError);
    const highWatermark = this.log.highWatermark;
    // Out of range only outside [logStartOffset, logEndOffset]: a position between the high
    // watermark and the log end reads nothing yet (Kafka's LocalLog.read) — as a consumer's is when
    // a new leader's high watermark still lags what the old leader had committed (KIP-207).
    if (request.fetchOffset > this.log.logEndOffset || request.fetchOffset < this.log.logStartOffset) return this.errorResponse('OFFSET_OUT_OF_RANGE');
    const readCommitted = isolationLevel === READ_COMMITTED;
    const lastStableOffset = this.log.lastStableOffset;
    const read = this.log.read(request.fetchOffset, maxBytes, readCommitted ? this.readCommittedUpperBound(racesHighWatermarkUpdates) : highWatermark);
    if (read.error !== undefined) return this.readFailed(read.error);
    // Every answer a consumer gets hands it a high watermark: the checker holds it to Kafka's promise.
    const batches = read.records.batches;
    const endOffset = batches.length > 0 ? storedLastOffset(batches[batches.length - 1]!) + 1 : Math.min(request.fetchOffset, highWatermark);
    if (!readCommitted) {
      this.trace('partition.read', { leaderEpoch: this.leaderEpoch, fetchOffset: request.fetchOffset, endOffset, highWatermark });
      return { ...this.emptyResponse(), records: read.records };
    }
    const abortedTransactions = endOffset > request.fetchOffset ? this.log.collectAbortedTransactions(request.fetchOffset, endOffset) : [];
    this.trace('partition.read', { leaderEpoch: this.leaderEpoch, fetchOffset: request.fetchOffset, endOffset, highWatermark, isolationLevel: 'read_committed', lastStableOffset });
    return { ...this.emptyResponse(), records: read.records, abortedTransactions };
  }

  /**
   * Where a read_committed fetch stops: the last stable offset. Under the legacy switch
   * ksim.legacy.lso.reads.high.watermark.twice, as Kafka's Log.fetchLastStableOffsetMetadata before
   * KAFKA-9807 (PR #8418): `firstUnstableOffset < highWatermark ? firstUnstableOffset :
   * highWatermark`, reading the high watermark twice. A fetch served in the same instant as a high
   * watermark increment stands for one that raced with it on another request thread: its check
   * read the first unstable offset and high watermark from before the increment, and its bound the
   * high watermark after it — past a transaction that began at or above the old high watermark
   * and is still open. A held fetch completed by the increment itself reads after it, on the same
   * thread (`racesHighWatermarkUpdates` false), and sees one high watermark.
   */
  private readCommittedUpperBound(racesHighWatermarkUpdates: boolean): number {
    const increment = this.lastIncrement;
    const raced = this.settings.legacy.lastStableOffsetReadsHighWatermarkTwice && racesHighWatermarkUpdates && increment !== null && increment.atMs === this.host.nowMs();
    if (!raced) return this.log.lastStableOffset;
    const { firstUnstableBefore, highWatermarkBefore } = increment;
    return firstUnstableBefore !== null && firstUnstableBefore < highWatermarkBefore ? firstUnstableBefore : this.log.highWatermark;
  }

  /**
   * Kafka's DelayedFetch.tryComplete for one partition of a consumer's held fetch, from offsets and
   * positions alone, nothing read: 'complete' when the fetch now has an error to report (the checks
   * fetchAsLeaderForConsumer makes first), else the bytes it could return now — those between its
   * fetch offset and the last offset it may read (the high watermark, or the last stable offset
   * under read_committed), at most `maxBytes`.
   */
  consumerFetchBytesAvailable(request: FetchPartition, maxBytes: number, isolationLevel: IsolationLevel): 'complete' | number {
    if (this.checkLocalLog(request.currentLeaderEpoch, true) !== 'NONE') return 'complete';
    const highWatermark = this.log.highWatermark;
    if (request.fetchOffset > this.log.logEndOffset || request.fetchOffset < this.log.logStartOffset) return 'complete';
    const endOffset = isolationLevel === READ_COMMITTED ? this.log.lastStableOffset : highWatermark;
    if (request.fetchOffset >= endOffset) return 0;
    return Math.min(this.log.sizeInBytesBetween(request.fetchOffset, endOffset), maxBytes);
  }

  private updateFollowerFetchState(replicaId: NodeId, remote: RemoteReplicaState, fetchOffset: number, logStartOffset: number, brokerEpoch: number, nowMs: number): void {
    const leaderEnd = this.log.logEndOffset;
    // Kafka's Replica.updateFetchState: caught up now, or caught up to where the leader was at the
    // previous fetch (the follower cannot do better than what existed when it asked).
    if (fetchOffset >= leaderEnd) remote.lastCaughtUpTimeMs = Math.max(remote.lastCaughtUpTimeMs, nowMs);
    else if (fetchOffset >= remote.lastFetchLeaderLogEndOffset) remote.lastCaughtUpTimeMs = Math.max(remote.lastCaughtUpTimeMs, remote.lastFetchTimeMs);
    remote.logEndOffset = fetchOffset;
    remote.logStartOffset = logStartOffset;
    remote.lastFetchTimeMs = nowMs;
    remote.lastFetchLeaderLogEndOffset = leaderEnd;
    remote.brokerEpoch = brokerEpoch;
    this.maybeExpandIsr(replicaId, remote);
    this.maybeIncrementHighWatermark();
  }

  // ---- Leader: the ISR ----

  private maybeExpandIsr(replicaId: NodeId, remote: RemoteReplicaState): void {
    if (this.pendingChange !== null || this.isr.includes(replicaId)) return;
    const reachedHighWatermark = remote.logEndOffset >= this.log.highWatermark;
    // KAFKA-7128: below the epoch's start offset the follower may still hold a divergent tail.
    const reachedEpochStart = this.settings.legacy.isrJoinWithoutEpochStartOffset || remote.logEndOffset >= this.leaderEpochStartOffset;
    if (!reachedHighWatermark || !reachedEpochStart) return;
    if (!this.isIsrEligible(replicaId, remote)) return;
    this.proposeIsr([...this.isr, replicaId], `${replicaId} reached offset ${remote.logEndOffset}: high watermark ${this.log.highWatermark}, epoch start ${this.leaderEpochStartOffset}`);
  }

  /**
   * Kafka's isReplicaIsrEligible: the follower's registration, and the broker epoch of its fetches
   * (KIP-903) — which a pre-KIP-903 Fetch, under the legacy switch, does not carry.
   */
  private isIsrEligible(replicaId: NodeId, remote: RemoteReplicaState): boolean {
    return this.host.isReplicaIsrEligible(replicaId, this.settings.legacy.fetchWithoutBrokerEpoch ? null : remote.brokerEpoch);
  }

  /**
   * Kafka's ReplicaState.isCaughtUp: the follower's log end is the leader's (KAFKA-7152: an idle
   * follower of an idle partition stays in sync however long ago it fetched), or it reached the
   * leader's log end within the last replica.lag.time.max.ms.
   */
  private isCaughtUp(remote: RemoteReplicaState, nowMs: number): boolean {
    return remote.logEndOffset === this.log.logEndOffset || nowMs - remote.lastCaughtUpTimeMs <= this.settings.replicaLagTimeMaxMs;
  }

  /** Drops the followers that are out of sync (Kafka's getOutOfSyncReplicas). */
  maybeShrinkIsr(nowMs: number): void {
    if (this.roleValue !== 'leader' || this.pendingChange !== null) return;
    const outOfSync = this.isr.filter((id) => {
      if (id === this.localBrokerId) return false;
      const remote = this.remotes.get(id);
      return remote === undefined || !this.isCaughtUp(remote, nowMs);
    });
    if (outOfSync.length === 0) return;
    this.proposeIsr(this.isr.filter((id) => !outOfSync.includes(id)), `${outOfSync.join(',')} fell behind`);
  }

  private proposeIsr(newIsr: readonly NodeId[], reason: string): void {
    const registration = this.registration!;
    const proposal: AlterPartitionProposal = {
      isr: newIsr,
      leaderEpoch: registration.leaderEpoch,
      partitionEpoch: registration.partitionEpoch,
      newIsrWithEpochs: newIsr.map((brokerId) => ({
        brokerId,
        brokerEpoch: brokerId === this.localBrokerId ? -1 : (this.remotes.get(brokerId)?.brokerEpoch ?? -1),
      })),
    };
    this.pendingChange = proposal;
    this.trace('partition.isr-proposed', { isr: newIsr, reason, partitionEpoch: registration.partitionEpoch });
    this.host.sendAlterPartition(this, proposal);
  }

  /**
   * The outcome of an AlterPartition (Kafka's handleAlterPartitionUpdate and
   * handleAlterPartitionError). Returns whether to send the same proposal again. An answer to a
   * proposal that is no longer pending is out of date — the metadata log settled it — and ignored.
   */
  onAlterPartitionResponse(proposal: AlterPartitionProposal, outcome: AlterPartitionOutcome): boolean {
    if (!this.isAlterPartitionPending(proposal) || this.registration === null) return false;
    if (outcome.errorCode === 'NONE') {
      this.onAlterPartitionCommitted(outcome);
      return false;
    }
    const handling = alterPartitionErrorHandling(outcome.errorCode);
    if (handling === 'drop') {
      this.pendingChange = null;
      this.trace('partition.isr-rejected', { errorCode: outcome.errorCode });
      return false;
    }
    this.trace('partition.isr-unresolved', { errorCode: outcome.errorCode, next: handling });
    return handling === 'retry';
  }

  /**
   * A successful answer. One that names another leader epoch, or a partition epoch older than ours,
   * comes from a controller out of step with the metadata log: the proposal stays pending until
   * the log settles it, as in Kafka.
   */
  private onAlterPartitionCommitted(outcome: AlterPartitionOutcome): void {
    const registration = this.registration!;
    if (outcome.leaderEpoch !== registration.leaderEpoch || outcome.partitionEpoch < registration.partitionEpoch) {
      this.trace('partition.isr-unresolved', { errorCode: 'NONE', next: 'await-metadata', leaderEpoch: outcome.leaderEpoch, partitionEpoch: outcome.partitionEpoch });
      return;
    }
    this.pendingChange = null;
    this.registration = { ...registration, isr: outcome.isr, partitionEpoch: outcome.partitionEpoch };
    this.trace('partition.isr', { isr: outcome.isr, pendingIsr: null, partitionEpoch: outcome.partitionEpoch });
    // KAFKA-13091: a committed shrink may let the high watermark move at once.
    this.maybeIncrementHighWatermark();
  }

  /**
   * Moves the high watermark to the smallest log end offset among the leader, the maximal ISR and
   * the caught-up followers that may join it (Kafka's maybeIncrementLeaderHW); never below where it
   * is, and not at all while the ISR is below min.insync.replicas (KAFKA-15583).
   */
  maybeIncrementHighWatermark(): boolean {
    if (this.roleValue !== 'leader') return false;
    if (!this.settings.legacy.highWatermarkAdvancesBelowMinIsr && this.isr.length < this.settings.minInsyncReplicas) return false;
    const nowMs = this.host.nowMs();
    // Before KIP-497 (the legacy switch) only the committed ISR was waited for.
    const legacyCommittedIsrOnly = this.settings.legacy.highWatermarkOverCommittedIsr;
    const waitedForIsr = legacyCommittedIsrOnly ? this.isr : this.maximalIsr;
    let candidate = this.log.logEndOffset;
    for (const id of waitedForIsr) {
      if (id !== this.localBrokerId && !this.remotes.has(id)) candidate = -1;
    }
    for (const [id, remote] of this.remotes) {
      // KAFKA-4485: wait for a caught-up follower outside the ISR too, else the high watermark, set
      // by the leader's own log end, keeps running ahead of it and it never reaches it to join.
      const mayJoin = !legacyCommittedIsrOnly && this.isCaughtUp(remote, nowMs) && this.isIsrEligible(id, remote);
      if (waitedForIsr.includes(id) || mayJoin) candidate = Math.min(candidate, remote.logEndOffset);
    }
    if (candidate <= this.log.highWatermark) return false;
    this.lastIncrement = { atMs: nowMs, highWatermarkBefore: this.log.highWatermark, firstUnstableBefore: this.log.firstUnstableOffset };
    this.log.maybeIncrementHighWatermark(candidate);
    this.trace('partition.hw', { role: 'leader', leaderEpoch: this.leaderEpoch, highWatermark: this.log.highWatermark });
    return true;
  }

  // ---- Offsets: OffsetsForLeaderEpoch and ListOffsets ----

  /**
   * Kafka's lastOffsetForLeaderEpoch: the largest epoch ≤ `leaderEpoch` in this log and where it
   * ends, from the leader-epoch cache; epoch and offset -1 when the cache cannot place it.
   */
  lastOffsetForLeaderEpoch(currentLeaderEpoch: number, leaderEpoch: number, fetchOnlyFromLeader: boolean): OffsetsForLeaderEpochResponsePartition {
    const errorCode = this.checkLocalLog(currentLeaderEpoch, fetchOnlyFromLeader);
    if (errorCode !== 'NONE') return { errorCode, partition: this.partitionId, leaderEpoch: -1, endOffset: -1 };
    const end = this.log.endOffsetForEpoch(leaderEpoch);
    return { errorCode, partition: this.partitionId, leaderEpoch: end.epoch, endOffset: end.endOffset };
  }

  /**
   * Kafka's fetchOffsetForTimestamp, answering one partition of a ListOffsets. `isolationLevel` is
   * the client's (null for a replica), which sets the last offset it may be handed: the high
   * watermark (the last stable offset, equal to it without transactions) for a client, the log end
   * for a replica. A new leader whose high watermark has not reached its epoch's start offset may
   * still be below what its predecessor handed out: for a client it answers OFFSET_NOT_AVAILABLE
   * for the latest offset, and for a lookup that lands past the high watermark (KIP-207).
   */
  fetchOffsetForTimestamp(timestamp: number, isolationLevel: 0 | 1 | null, currentLeaderEpoch: number, fetchOnlyFromLeader: boolean): ListOffsetsResponsePartition {
    const errorCode = this.checkLocalLog(currentLeaderEpoch, fetchOnlyFromLeader);
    const answer = errorCode !== 'NONE' ? notFound(this.partitionId, errorCode) : this.offsetForTimestamp(timestamp, isolationLevel);
    this.trace('partition.list-offsets', {
      role: this.roleValue,
      leaderEpoch: this.leaderEpoch,
      timestampKind: timestampKind(timestamp),
      isolationLevel,
      offset: answer.offset,
      errorCode: answer.errorCode,
    });
    return answer;
  }

  private offsetForTimestamp(timestamp: number, isolationLevel: 0 | 1 | null): ListOffsetsResponsePartition {
    const lastFetchableOffset = isolationLevel === null ? this.log.logEndOffset : this.log.highWatermark;
    const offsetsUnavailable = isolationLevel !== null && this.roleValue === 'leader' && this.leaderEpochStartOffset > this.log.highWatermark;
    const empty = notFound(this.partitionId, offsetsUnavailable ? 'OFFSET_NOT_AVAILABLE' : 'NONE');
    const found = (timestampMs: number, offset: number, leaderEpoch: number): ListOffsetsResponsePartition => ({ partitionIndex: this.partitionId, errorCode: 'NONE', timestamp: timestampMs, offset, leaderEpoch });
    switch (timestamp) {
      case LATEST_TIMESTAMP:
        return offsetsUnavailable ? empty : found(NO_TIMESTAMP, lastFetchableOffset, this.leaderEpoch);
      case EARLIEST_TIMESTAMP: {
        const first = this.log.epochEntries()[0];
        return found(NO_TIMESTAMP, this.log.logStartOffset, first !== undefined && first.startOffset <= this.log.logStartOffset ? first.epoch : -1);
      }
      default: {
        const record = timestamp === MAX_TIMESTAMP ? this.log.offsetOfMaxTimestamp() : this.log.offsetForTimestamp(timestamp);
        // Nothing at or past the last offset this caller may see is handed out.
        if (record === null || record.offset >= lastFetchableOffset) return empty;
        return found(record.timestampMs, record.offset, record.leaderEpoch);
      }
    }
  }

  // ---- Follower ----

  /** The fetch this follower sends its leader for this partition. */
  followerFetchRequest(): FetchPartition {
    return {
      partition: this.partitionId,
      currentLeaderEpoch: this.settings.legacy.noLeaderEpochFencing ? -1 : this.leaderEpoch,
      fetchOffset: this.log.logEndOffset,
      lastFetchedEpoch: this.settings.legacy.truncateToHighWatermark || this.followerLogChecked ? -1 : this.log.latestEpoch(),
      logStartOffset: this.log.logStartOffset,
      partitionMaxBytes: 1_048_576,
    };
  }

  /**
   * Handles the leader's answer to this follower's fetch: truncates where the logs diverged, or
   * appends what came and takes the leader's high watermark (capped at the local log end).
   */
  onFollowerFetchResponse(response: FetchResponsePartition, nowMs: number): 'ok' | 'truncated' | { error: KafkaErrorCode | 'UNEXPECTED_APPEND_OFFSET' } {
    if (this.roleValue !== 'follower') return { error: 'NOT_LEADER_OR_FOLLOWER' };
    if (response.errorCode !== 'NONE') {
      // Legacy fetching by offset alone: an offset the leader does not have sends the follower
      // back to checking its log against the leader's, as Kafka 2.0's out-of-range handling did.
      if (response.errorCode === 'OFFSET_OUT_OF_RANGE') this.followerLogChecked = false;
      return { error: response.errorCode };
    }
    if (truncatesOnlyOnBecomingFollower(this.settings.legacy)) this.followerLogChecked = true;
    if (response.divergingEpoch !== null) {
      if (response.divergingEpoch.endOffset < 0) {
        // The leader knows no epoch at or below ours (its log is empty or starts later): as
        // Kafka's fetcher does for an undefined end offset, fall back to our high watermark.
        this.truncateTo(this.log.highWatermark, 'diverging epoch undefined on the leader: truncate to the high watermark');
        return 'truncated';
      }
      if (this.settings.legacy.epochLookupWithoutEpoch) {
        // Before KIP-279 the answer was an offset alone: the follower cut there, even when the
        // leader's offset ends an older epoch than the follower's own records at that point.
        this.truncateTo(Math.min(response.divergingEpoch.endOffset, this.log.logEndOffset), 'legacy: epoch end offset without its epoch');
        return 'truncated';
      }
      // Kafka's truncateOnFetchResponse (KIP-279): the leader's end of the diverging epoch, but
      // never above our own end for that epoch (we may hold less of it than the leader).
      const own = this.log.endOffsetForEpoch(response.divergingEpoch.epoch);
      const ownEnd = own.epoch === response.divergingEpoch.epoch ? own.endOffset : Math.min(own.endOffset, response.divergingEpoch.endOffset);
      this.truncateTo(Math.min(response.divergingEpoch.endOffset, ownEnd, this.log.logEndOffset), 'diverging epoch');
      return 'truncated';
    }
    if (response.records.batches.length > 0) {
      // Kafka's follower checks every batch it is sent (ensureValid) before it appends: a corrupt
      // one fails the partition's fetch, which is tried again after the fetch backoff.
      const received = decodeReceivedRecords(response.records);
      if (received === null) {
        this.trace('partition.corrupt-fetch', { leaderEpoch: this.leaderEpoch, fetchOffset: this.log.logEndOffset });
        return { error: 'CORRUPT_MESSAGE' };
      }
      const appended = this.log.appendAsFollower(received, nowMs);
      if (isLogError(appended)) {
        if (appended.error === 'KAFKA_STORAGE_ERROR') this.host.onStorageError(`append to ${this.topic}-${this.partitionId} failed`);
        return { error: appended.error };
      }
      this.traceFollowerAppend(received);
      this.maybeTraceEpochCache();
    }
    const highWatermark = Math.min(response.highWatermark, this.log.logEndOffset);
    if (highWatermark > this.log.highWatermark) {
      this.log.maybeIncrementHighWatermark(highWatermark);
      this.trace('partition.hw', { role: 'follower', leaderEpoch: this.leaderEpoch, highWatermark: this.log.highWatermark });
    }
    return 'ok';
  }

  private traceFollowerAppend(batches: readonly EncodedBatch[]): void {
    for (const { batch } of batches) {
      this.trace('partition.append', {
        role: 'follower',
        baseOffset: batch.baseOffset,
        lastOffset: lastOffset(batch),
        epoch: batch.partitionLeaderEpoch,
        values: batch.isControl ? [null] : batch.records.map((record) => record.value),
        ...transactionFields(batch),
      });
    }
  }

  truncateTo(offset: number, reason: string): void {
    if (offset >= this.log.logEndOffset) return;
    this.log.truncateTo(offset);
    this.trace('partition.truncate', { offset: this.log.logEndOffset, reason });
    this.maybeTraceEpochCache();
  }

  /**
   * Every batch of the log, for a coordinator loading its state from its internal topic; null when
   * a batch is corrupt, which fails the log directory (Kafka's loader fails with the storage error,
   * and a broker whose only log directory failed shuts down). A load must never take a prefix of
   * the log for the whole of it.
   */
  readAllBatchesForLoad(): RecordBatch[] | null {
    const read = this.log.readBatches(this.log.logStartOffset, Number.MAX_SAFE_INTEGER, this.log.logEndOffset);
    const last = read.batches[read.batches.length - 1];
    const end = last === undefined ? this.log.logStartOffset : lastOffset(last) + 1;
    if (read.error !== undefined || end < this.log.logEndOffset) {
      this.host.onStorageError(`corrupt batch in ${this.topic}-${this.partitionId} at or after offset ${end}, read while loading it`);
      return null;
    }
    return read.batches;
  }

  // ---- Responses ----

  /** A read that failed: a corrupt batch is a failed log directory, not a client's problem. */
  private readFailed(error: 'OFFSET_OUT_OF_RANGE' | 'CORRUPT_MESSAGE'): FetchResponsePartition {
    if (error === 'CORRUPT_MESSAGE') this.host.onStorageError(`corrupt batch in ${this.topic}-${this.partitionId}`);
    return this.errorResponse(error);
  }

  private emptyResponse(): FetchResponsePartition {
    return {
      partitionIndex: this.partitionId,
      errorCode: 'NONE',
      highWatermark: this.log.highWatermark,
      lastStableOffset: this.log.lastStableOffset,
      logStartOffset: this.log.logStartOffset,
      divergingEpoch: null,
      currentLeader: { leaderId: this.leaderId, leaderEpoch: this.leaderEpoch },
      records: EMPTY_RECORDS,
    };
  }

  private errorResponse(errorCode: KafkaErrorCode): FetchResponsePartition {
    return { ...this.emptyResponse(), errorCode };
  }
}

/** A ListOffsets answer that names no offset: Kafka's buildErrorResponse. */
function notFound(partitionIndex: number, errorCode: KafkaErrorCode): ListOffsetsResponsePartition {
  return { partitionIndex, errorCode, timestamp: NO_TIMESTAMP, offset: -1, leaderEpoch: -1 };
}

/** What a ListOffsets timestamp asks for, as the trace names it. */
export function timestampKind(timestamp: number): 'latest' | 'earliest' | 'max-timestamp' | 'timestamp' {
  if (timestamp === LATEST_TIMESTAMP) return 'latest';
  if (timestamp === EARLIEST_TIMESTAMP) return 'earliest';
  if (timestamp === MAX_TIMESTAMP) return 'max-timestamp';
  return 'timestamp';
}

/**
 * What a failed AlterPartition means for the pending proposal (Kafka's handleAlterPartitionError):
 * - drop: the controller says the change was not applied and cannot be under any controller
 *   (INELIGIBLE_REPLICA, KIP-841): back to the committed ISR;
 * - await-metadata: the controller refused it on the state it holds (a newer partition or leader
 *   epoch, an unknown partition, a request it finds invalid): the metadata log will settle it;
 * - retry: anything else, chiefly NOT_CONTROLLER and a timeout (KAFKA-14010): the change may or may
 *   not have been written, so the proposal stays pending and goes out again.
 * ksim's controller answers a request from a non-leader with NOT_LEADER_OR_FOLLOWER where Kafka's
 * says INVALID_REQUEST; both wait for the metadata.
 */
export function alterPartitionErrorHandling(errorCode: KafkaErrorCode): 'drop' | 'await-metadata' | 'retry' {
  switch (errorCode) {
    case 'INELIGIBLE_REPLICA':
      return 'drop';
    case 'UNKNOWN_TOPIC_OR_PARTITION':
    case 'FENCED_LEADER_EPOCH':
    case 'INVALID_UPDATE_VERSION':
    case 'INVALID_REQUEST':
    case 'NEW_LEADER_ELECTED':
    case 'NOT_LEADER_OR_FOLLOWER':
      return 'await-metadata';
    default:
      return 'retry';
  }
}

/**
 * What `partition.append` adds for a transaction's batches: the producer of transactional data,
 * and the marker of a control batch. Nothing for other batches, whose events stay as they were.
 */
function transactionFields(batch: RecordBatch): Record<string, unknown> {
  if (batch.isControl) {
    const marker = batch.records[0] === undefined ? null : readEndTransactionMarker(batch.records[0]);
    if (marker === null) return { control: true };
    return { control: true, marker: marker.result, producerId: batch.producerId, producerEpoch: batch.producerEpoch, coordinatorEpoch: marker.coordinatorEpoch };
  }
  if (batch.isTransactional) return { transactional: true, producerId: batch.producerId, producerEpoch: batch.producerEpoch };
  return {};
}

/** The values a leader's append traces, and its transaction fields as `transactionFields` gives them for the batch. */
function leaderAppendFields(append: LeaderAppend): Record<string, unknown> {
  if (append.kind === 'marker') {
    const { result, producerId, producerEpoch, coordinatorEpoch } = append.marker;
    return { values: [null], control: true, marker: result, producerId, producerEpoch, coordinatorEpoch };
  }
  const values = append.records.map((record) => record.value);
  if (!append.isTransactional || append.producer === null) return { values };
  return { values, transactional: true, producerId: append.producer.producerId, producerEpoch: append.producer.producerEpoch };
}
