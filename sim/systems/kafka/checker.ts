/**
 * The Kafka checker. It sees brokers, controllers and clients only through their trace events and
 * keeps a model of every replica's log from them (model.ts), so it can judge what no single node
 * can see. The model keeps each replica's disagreements with the committed records up to date as
 * events arrive, so every check costs the same in the first minute of a run as in its hundredth.
 *
 * Invariants, checked as the events arrive:
 * - SingleLeaderPerEpoch: at most one broker leads a partition in one leader epoch.
 * - MonotonicPartitionEpochs: a partition's leader epoch and partition epoch, as the controller
 *   commits them, never go down, and a committed change is never rewritten (metadata-rollback).
 * - CommittedPrefixIdentical: below the high watermark, every replica holds the same records as the
 *   leader that committed them; the committed record at an offset never changes
 *   (committed-data-lost otherwise — the "true high watermark" going back).
 * - LeaderHoldsCommitted: a new leader holds every committed record (committed-data-lost).
 * - ReadBelowHighWatermark: no consumer is handed a record at or above the high watermark.
 * - The replication invariants of invariants.ts: HighWatermarkWithinMaximalIsr,
 *   EpochOffsetNamesOneRecord (KAFKA-10527), ClientHighWatermarkMonotonic, ListedOffsetMonotonic
 *   (KIP-207), EpochCacheRises, IsrJoinCaughtUp (KAFKA-7128, KIP-320), IsrJoinCurrentRegistration
 *   (KIP-903).
 * History checks, at the end, over the producers' history and a full read of every partition:
 * lost-write, inconsistent-offsets, duplicate, nonmonotonic-send, phantom-write; writes whose
 * outcome was unknown and never appear are counted as `unseen`.
 * Every anomaly goes through the contract (contract.ts): allowed ones are counted with, for each
 * lost record, the rule and the fault events that excuse it (copies.ts keeps the evidence); the rest
 * are violations.
 */
import { Findings } from '../../checker/findings.js';
import type { NodeId } from '../../../src/host.js';
import { History, type Operation } from '../../checker/history.js';
import type { Excuse, FaultCitation, Violation } from '../../checker/types.js';
import type { FaultAction } from '../../faults/plan.js';
import type { TraceRecord, World } from '../../world.js';
import type { SystemChecker } from '../system.js';
import { type ContractInputs, type KafkaAnomaly, type LossAnomaly, allowedReason, judgeLoss, judgeMetadataRollback } from './contract.js';
import { CopyLedger, type ReplicaFault } from './copies.js';
import {
  type InvariantFinding,
  clientHighWatermarkMonotonic,
  epochCacheRises,
  epochOffsetNamesOneRecord,
  forgetListedOffsetsFrom,
  highWatermarkWithinLogEnd,
  highWatermarkWithinMaximalIsr,
  isrJoinCaughtUp,
  isrJoinCurrentRegistration,
  listedOffsetMonotonic,
} from './invariants.js';
import { HangingTransactions } from './hangingTransactions.js';
import { LostMarkers } from './lostMarkers.js';
import { RevertedTruncations } from './revertedTruncations.js';
import { type LeadershipModel, type MetadataEpochs, PartitionModel, type RecordModel, type ReplicaModel } from './model.js';
import { type TransactionEndBound, TransactionChecker } from './transactionChecker.js';

export interface FinalRead {
  readonly topic: string;
  readonly partition: number;
  readonly records: ReadonlyArray<readonly [number, string | null]>;
}

export interface KafkaCheckerOptions {
  /** Every partition the final read must cover, as `topic-partition`. */
  readonly partitionKeys: readonly string[];
  /** controller.quorum.voters: losing a majority of their disks loses the cluster's metadata. */
  readonly controllers: readonly NodeId[];
  /** The topic producers write to, when their history does not name one. */
  readonly topic: string;
  /** Transactional producers: judge their transactions too (transactionChecker.ts). */
  readonly transactions?: boolean;
  /** transaction.state.log.num.partitions, for the transaction part. */
  readonly transactionStatePartitions?: number;
  /** How long a transaction may stay open after the heal (transactionChecker.ts). */
  readonly transactionEndBound?: TransactionEndBound;
}

/** One record lost from where it was acknowledged or committed, to be judged by the loss rules. */
interface LostRecord {
  readonly partition: string;
  readonly offset: number;
  readonly value: string | null;
  readonly acknowledgedAtMs: number | null;
}

export class KafkaChecker implements SystemChecker {
  private readonly partitions = new Map<string, PartitionModel>();
  private readonly history = new History();
  private readonly finalReads = new Map<string, FinalRead>();
  private readonly findings: Findings;
  private readonly copies = new CopyLedger();
  /** Controllers' lost disks and flipped bits: what can roll the metadata log back (pre-KIP-853). */
  private readonly controllerStorageLosses: FaultCitation[] = [];
  /** Broker → the broker epoch of its registration last committed to the metadata log. */
  private readonly brokerEpochs = new Map<NodeId, number>();
  private healAtMs: number | null = null;
  private metadataRolledBack = false;
  /** Partitions whose log lost committed records that the loss rules allowed (for the group checker). */
  private readonly lossAllowedPartitions = new Set<string>();
  /** The transaction part, for transactional workloads. */
  private readonly transactions: TransactionChecker | null;
  private readonly hangingTransactions = new HangingTransactions();
  /** Which marker closed each transactional record's transaction (lostMarkers.ts). */
  private readonly lostMarkers = new LostMarkers();
  /** What replicas truncated, for a power loss that takes a truncation back (revertedTruncations.ts). */
  private readonly revertedTruncations = new RevertedTruncations();
  /** `partition|replica` recovered and not yet reconciled with its recovered epoch cache. */
  private readonly awaitingRecoveredEpochs = new Set<string>();
  /** `partition@offset` of every record whose loss the loss rules allowed. */
  private readonly allowedLosses = new Set<string>();
  private readonly committedReads = new Set<string>();

  constructor(
    private readonly options: KafkaCheckerOptions,
    /** What the configuration promises; the run's faults reach the checker through onFault. */
    readonly contract: ContractInputs,
    world: World | null,
  ) {
    this.findings = new Findings(world);
    this.transactions = options.transactions === true ? new TransactionChecker(this.findings, options.transactionStatePartitions, options.transactionEndBound ?? null) : null;
  }

  /**
   * A node halted because the metadata log was truncated beneath what it had applied: the quorum
   * rolled back after a controller lost its storage. Kafka has no way back from that without an
   * operator (pre-KIP-853), so what the cluster then cannot do is not a liveness failure.
   */
  onMetadataRolledBack(): void {
    this.metadataRolledBack = true;
  }

  /**
   * Why the cluster may be unable to serve anything after the heal, or null. With a majority of the
   * metadata quorum's disks gone, the topic itself may be gone: the cluster is a new, empty one.
   * Pre-KIP-853 KRaft cannot tell; the report says so. A minority's loss can roll the log back
   * too, and nodes that applied the lost records halt.
   */
  clusterMetadataLoss(): string | null {
    const lostControllers = this.controllersThatLostStorage();
    if (lostControllers.length > this.options.controllers.length / 2) return `a majority of controllers lost their disks (${lostControllers.join(', ')}): the metadata log, topics included, may be gone`;
    if (this.metadataRolledBack && lostControllers.length > 0) {
      return `controllers lost their disks (${lostControllers.join(', ')}) and the metadata log rolled back beneath nodes that had applied it, which halted: pre-KIP-853 KRaft needs an operator to recover`;
    }
    return null;
  }

  /** The controllers that lost stable storage so far (a lost disk, or a flipped bit in what they had stored). */
  controllersThatLostStorage(): NodeId[] {
    return [...new Set(this.controllerStorageLosses.map((fault) => fault.node))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /**
   * A fault the world applied: crashes and bit flips are evidence for the loss rules, and a lost
   * disk empties the broker's replica models. `note` is the world's account of what it did (the
   * node a selector resolved to, the file a bit flip struck).
   */
  onFault(atMs: number, action: FaultAction, note: string): void {
    if (note.startsWith('skipped') || note.includes('no durable data')) return;
    const node = note.split(':')[0]!;
    if (action.type === 'crash') {
      const kind = action.mode === 'process' ? 'process-crash' : action.mode === 'power' ? 'power-loss' : 'disk-loss';
      this.recordFault({ atMs, node, kind });
      if (action.mode === 'disk') this.onDiskLost(node);
    } else if (action.type === 'bit-flip') {
      this.recordFault({ atMs, node, kind: 'bit-flip', file: note.slice(node.length + 1).split('@')[0]! });
    }
  }

  private recordFault(fault: ReplicaFault): void {
    if (this.options.controllers.includes(fault.node)) {
      if (fault.kind === 'disk-loss' || fault.kind === 'bit-flip') this.controllerStorageLosses.push({ atMs: fault.atMs, node: fault.node, kind: fault.kind });
      return;
    }
    this.copies.onFault(fault);
  }

  /** A broker's disk is gone: its replica models start over, the old ones kept until it registers again. */
  private onDiskLost(broker: NodeId): void {
    for (const partition of this.partitions.values()) {
      const replica = partition.replicas.get(broker);
      if (replica === undefined) continue;
      partition.replicasBeforeDiskLoss.set(broker, { replica, brokerEpoch: this.brokerEpochs.get(broker) });
      partition.replicas.delete(broker);
    }
  }

  /** A broker registered with a new epoch: a disk it lost before is now known to the controller. */
  private onBrokerRegistration(broker: NodeId, brokerEpoch: number): void {
    this.brokerEpochs.set(broker, brokerEpoch);
    for (const partition of this.partitions.values()) {
      const before = partition.replicasBeforeDiskLoss.get(broker);
      if (before !== undefined && (before.brokerEpoch === undefined || brokerEpoch > before.brokerEpoch)) partition.replicasBeforeDiskLoss.delete(broker);
    }
  }

  observe(record: TraceRecord): void {
    const event = record.event;
    if (this.transactions !== null) {
      this.transactions.observe(record);
      this.hangingTransactions.observe(record);
      if (event.type === 'partition.append') this.lostMarkers.observeAppend(event);
      if (event.type === 'kafka.final-read-committed') this.committedReads.add(`${String(event['topic'])}-${String(event['partition'])}`);
    }
    if (this.history.observe(record) !== undefined) return;
    const key = `${String(event['topic'])}-${String(event['partition'])}`;
    const num = (field: string) => event[field] as number;
    switch (event.type) {
      case 'process.halt':
        if (!this.options.controllers.includes(record.node)) this.copies.onFault({ atMs: record.atMs, node: record.node, kind: 'halt' });
        return;
      case 'partition.recovered':
        return this.onRecovered(key, record, num('logStartOffset'), num('logEndOffset'));
      case 'partition.append':
        return this.onAppend(key, record, num('baseOffset'), num('epoch'), event['values'] as ReadonlyArray<string | null>);
      case 'partition.truncate':
        this.revertedTruncations.onTruncate(key, record.node, this.replica(key, record), num('offset'));
        this.copies.onTruncate(key, record.node, num('offset'), record.atMs);
        return this.partition(key).truncate(this.replica(key, record), num('offset'));
      case 'partition.leader':
        return this.onLeader(key, record, num('leaderEpoch'), event['isr'] as NodeId[], num('leaderEpochStartOffset'));
      case 'partition.follower':
        this.partition(key).following.set(record.node, num('leaderEpoch'));
        this.partition(key).leaderships.delete(record.node);
        return;
      case 'partition.isr-proposed':
        return this.onIsrProposed(key, record, event['isr'] as NodeId[], typeof event['partitionEpoch'] === 'number' ? event['partitionEpoch'] : null);
      case 'partition.isr':
        return this.onIsrChanged(key, record, event['isr'] as NodeId[], (event['pendingIsr'] ?? null) as NodeId[] | null);
      case 'partition.isr-rejected': {
        const leadership = this.partition(key).leaderships.get(record.node);
        if (leadership !== undefined) leadership.pendingIsr = null;
        return;
      }
      case 'partition.hw':
        return this.onHighWatermark(key, record, String(event['role']), num('highWatermark'));
      case 'partition.read':
        return this.onRead(key, record, num('endOffset'), num('highWatermark'), num('leaderEpoch'));
      case 'partition.list-offsets':
        // Only a client's answer for the latest offset is the high watermark handed out (KIP-207).
        if (event['timestampKind'] !== 'latest' || event['errorCode'] !== 'NONE' || event['isolationLevel'] === null) return;
        return this.reportFinding(listedOffsetMonotonic(key, this.partition(key), record.node, num('leaderEpoch'), num('offset')), record.atMs);
      case 'partition.epochs':
        if (this.awaitingRecoveredEpochs.delete(`${key}|${record.node}`)) this.onRecoveredEpochs(key, record, event['entries'] as Array<[number, number]>);
        return this.reportFinding(epochCacheRises(key, record.node, event['entries'] as Array<[number, number]>), record.atMs);
      case 'metadata.partition':
        return this.onMetadataPartition(key, record, num('offset'), { leaderEpoch: num('leaderEpoch'), partitionEpoch: num('partitionEpoch'), leader: (event['leader'] ?? null) as NodeId | null }, event['isr'] as NodeId[]);
      case 'metadata.broker':
        return this.onBrokerRegistration(String(event['brokerId']), num('brokerEpoch'));
      case 'kafka.final-read': {
        const records = event['records'] as ReadonlyArray<readonly [number, string | null]>;
        this.finalReads.set(key, { topic: String(event['topic']), partition: num('partition'), records });
        return;
      }
      default:
        return;
    }
  }

  private partition(key: string): PartitionModel {
    let model = this.partitions.get(key);
    if (model === undefined) {
      model = new PartitionModel();
      this.partitions.set(key, model);
    }
    return model;
  }

  private replica(key: string, record: TraceRecord): ReplicaModel {
    const partition = this.partition(key);
    let replica = partition.replicas.get(record.node);
    if (replica === undefined) replica = partition.addReplica(record.node, record.incarnation);
    if (replica.incarnation !== record.incarnation) {
      // A restart: the high watermark is held in memory (its checkpoint is left out), the log is
      // not; a leadership of the old incarnation ended with it.
      replica.incarnation = record.incarnation;
      replica.highWatermark = 0;
      const leadership = partition.leaderships.get(record.node);
      if (leadership !== undefined && leadership.incarnation !== record.incarnation) partition.leaderships.delete(record.node);
    }
    return replica;
  }

  private onRecovered(key: string, record: TraceRecord, logStartOffset: number, logEndOffset: number): void {
    this.awaitingRecoveredEpochs.add(`${key}|${record.node}`);
    this.copies.onRecovered(key, record.node, logStartOffset, logEndOffset, record.atMs);
    const partition = this.partition(key);
    const replica = this.replica(key, record);
    partition.advanceLogStart(replica, logStartOffset);
    partition.truncate(replica, logEndOffset);
    replica.logEndOffset = logEndOffset;
  }

  /**
   * The epoch cache a replica recovered with, traced right after its recovery: where it names
   * another epoch than the record the model holds, a power loss took back a truncation, and the
   * replica holds what it had truncated there (kafka-eos-pipeline-swarm seed 278). The record the
   * model held is lost to the fault that recovery answered for; the older one is held again.
   */
  private onRecoveredEpochs(key: string, record: TraceRecord, entries: ReadonlyArray<readonly [number, number]>): void {
    const partition = this.partition(key);
    const replica = this.replica(key, record);
    for (const { offset, record: restored } of this.revertedTruncations.reverted(key, record.node, replica, entries)) {
      partition.replaceEntry(replica, offset, restored);
      this.copies.onReverted(key, record.node, offset, restored === null ? undefined : restored.value, record.atMs);
    }
  }

  private onAppend(key: string, record: TraceRecord, baseOffset: number, epoch: number, values: ReadonlyArray<string | null>): void {
    const partition = this.partition(key);
    const replica = this.replica(key, record);
    values.forEach((value, i) => {
      const entry = { value, epoch };
      partition.setEntry(replica, baseOffset + i, entry);
      this.copies.onAppend(key, record.node, baseOffset + i, value, record.atMs);
      const conflict = epochOffsetNamesOneRecord(key, partition, record.node, baseOffset + i, entry);
      // Two records under one epoch and offset, after the partition's metadata went back: the
      // controller handed that epoch out again (as for SingleLeaderPerEpoch, kafka-eos-pipeline-swarm seed 355).
      // The epoch is then one the controller handed out twice, whoever led it each time (seed 818: b1 both times).
      if (conflict !== null && this.excusedByMetadataRollback(partition, conflict.message)) partition.reusedLeaderEpochs.add(epoch);
      else this.reportFinding(conflict, record.atMs);
    });
    replica.logEndOffset = Math.max(replica.logEndOffset, baseOffset + values.length);
    for (const leadership of partition.leaderships.values()) {
      leadership.logEndReached.set(record.node, Math.max(leadership.logEndReached.get(record.node) ?? 0, replica.logEndOffset));
    }
  }

  /**
   * After the partition's metadata went back (a controller lost its storage, pre-KIP-853), the
   * controller hands out the epochs it forgot again: a reused epoch is that rollback, excused as it
   * is, on this partition only. Counts the excuse and says so; false without such a rollback.
   */
  private excusedByMetadataRollback(partition: PartitionModel, message: string): boolean {
    const rollback = judgeMetadataRollback(this.controllerStorageLosses);
    if (partition.metadataRollbacksAtMs.length === 0 || !rollback.allowed) return false;
    this.findings.allow('metadata-rollback', rollback.reason, 1, { subject: `${message}, after its metadata went back`, rule: rollback.rule, faults: [...rollback.faults] });
    return true;
  }

  /**
   * Whether `entry`'s leader epoch is one the controller handed out twice after the partition's
   * metadata went back (reusedLeaderEpochs) and another replica holds the committed value at `offset`
   * under that same epoch: one epoch, two records, which a follower's epoch-based truncation cannot
   * tell apart (kafka-eos-pipeline-swarm seed 931).
   */
  private heldUnderReusedEpoch(partition: PartitionModel, offset: number, entry: RecordModel, committed: string | null): boolean {
    if (!partition.reusedLeaderEpochs.has(entry.epoch)) return false;
    for (const other of partition.replicas.values()) {
      const held = other.entries.get(offset);
      if (held !== undefined && held.value === committed && held.epoch === entry.epoch) return true;
    }
    return false;
  }

  private onLeader(key: string, record: TraceRecord, leaderEpoch: number, isr: readonly NodeId[], epochStartOffset: number): void {
    const partition = this.partition(key);
    const other = partition.leaders.get(leaderEpoch);
    if (other !== undefined && other !== record.node) {
      const message = `${other} and ${record.node} both lead ${key} in epoch ${leaderEpoch}`;
      if (this.excusedByMetadataRollback(partition, message)) partition.reusedLeaderEpochs.add(leaderEpoch);
      else this.findings.violation('SingleLeaderPerEpoch', record.atMs, message, { partition: key, leaderEpoch });
    }
    partition.leaders.set(leaderEpoch, record.node);
    partition.following.set(record.node, leaderEpoch);
    const replica = this.replica(key, record);
    const logEndReached = new Map([...partition.replicas.entries()].map(([id, model]) => [id, matchingPrefixEnd(model, replica)] as const));
    // A replica whose disk was lost before its broker registered again still counts with what it
    // had reached: the fault, not the leader, took it below the high watermark.
    for (const [id, before] of partition.replicasBeforeDiskLoss) {
      logEndReached.set(id, Math.max(logEndReached.get(id) ?? 0, matchingPrefixEnd(before.replica, replica)));
    }
    partition.leaderships.set(record.node, { leader: record.node, incarnation: record.incarnation, leaderEpoch, epochStartOffset, isr, pendingIsr: null, logEndReached });
    const missing = partition.missingOn(replica);
    if (missing.length > 0) {
      const lost = missing.map((offset): LostRecord => ({ partition: key, offset, value: partition.committedAt(offset)!, acknowledgedAtMs: null }));
      this.reportLoss('committed-data-lost', 'LeaderHoldsCommitted', record.atMs, `${record.node} leads ${key} in epoch ${leaderEpoch} without committed offsets ${describeOffsets(missing)}`, {
        partition: key,
        leader: record.node,
        missing: missing.length,
      }, lost);
      // Measure from here on against what this leader holds.
      for (const offset of missing) partition.deleteCommitted(offset);
      partition.committedEnd = Math.min(partition.committedEnd, missing[0]!);
      forgetListedOffsetsFrom(partition, missing[0]!);
    }
  }

  private onIsrProposed(key: string, record: TraceRecord, proposed: readonly NodeId[], partitionEpoch: number | null): void {
    const partition = this.partition(key);
    const leadership = partition.leaderships.get(record.node);
    if (leadership === undefined) return;
    const leaderHighWatermark = this.replica(key, record).highWatermark;
    const early = isrJoinCaughtUp(key, partition, leadership, leaderHighWatermark, proposed);
    // Only a joiner that follows this very epoch can have been fooled by its reuse.
    const fooled = early !== null && early.details['following'] === leadership.leaderEpoch;
    if (!fooled || !this.explainedByReusedEpoch(key, leadership, [early.details['joiner'] as NodeId], early.message)) this.reportFinding(early, record.atMs);
    leadership.pendingIsr = proposed;
    const registeredBrokerEpochs = new Map(proposed.flatMap((member) => (this.brokerEpochs.has(member) ? [[member, this.brokerEpochs.get(member)!] as const] : [])));
    partition.lastProposal = { leader: record.node, leaderEpoch: leadership.leaderEpoch, isr: proposed, partitionEpoch, registeredBrokerEpochs };
  }

  private onIsrChanged(key: string, record: TraceRecord, isr: readonly NodeId[], pendingIsr: readonly NodeId[] | null): void {
    const partition = this.partition(key);
    const leadership = partition.leaderships.get(record.node);
    if (leadership === undefined) return;
    leadership.isr = isr;
    leadership.pendingIsr = pendingIsr;
    this.reportHighWatermarkAboveIsr(key, leadership, highWatermarkWithinMaximalIsr(key, leadership, this.replica(key, record).highWatermark, 'isr-change'), record.atMs);
  }

  /**
   * HighWatermarkWithinMaximalIsr, with the one shape a metadata rollback explains
   * (explainedByReusedEpoch): every ISR member below the high watermark stopped agreeing with the
   * leader inside the leader's own, reused epoch (kafka-group-swarm-kip848 seed 305).
   */
  private reportHighWatermarkAboveIsr(key: string, leadership: LeadershipModel, finding: InvariantFinding | null, atMs: number): void {
    if (finding === null) return;
    const highWatermark = finding.details['highWatermark'] as number;
    const below = (finding.details['maximalIsr'] as NodeId[]).filter((member) => (leadership.logEndReached.get(member) ?? 0) < highWatermark);
    if (!this.explainedByReusedEpoch(key, leadership, below, finding.message)) this.reportFinding(finding, atMs);
  }

  /**
   * Whether these replicas' shortfall is an epoch handed out twice, counted as the metadata rollback
   * it is: each holds, where it stops agreeing with the leader, a record of the leader's own epoch
   * that the leader does not hold, and the controller gave that epoch to another leader after the
   * partition's metadata went back (reusedLeaderEpochs). A follower's fetch then names that epoch
   * and an offset the leader's epoch covers, so Kafka's divergence check cannot see the other
   * leader's records, and the follower counts as caught up. Any other shortfall is not explained.
   */
  private explainedByReusedEpoch(key: string, leadership: LeadershipModel, replicas: readonly NodeId[], message: string): boolean {
    const partition = this.partition(key);
    if (replicas.length === 0 || !partition.reusedLeaderEpochs.has(leadership.leaderEpoch)) return false;
    const leader = partition.replicas.get(leadership.leader);
    const divergesInReusedEpoch = (member: NodeId): boolean => {
      const offset = leadership.logEndReached.get(member) ?? 0;
      const held = partition.replicas.get(member)?.entries.get(offset);
      return held !== undefined && held.epoch === leadership.leaderEpoch && leader?.entries.get(offset)?.value !== held.value;
    };
    if (!replicas.every(divergesInReusedEpoch)) return false;
    return this.excusedByMetadataRollback(partition, `${message}: ${replicas.join(', ')} hold(s) another leader's records of epoch ${leadership.leaderEpoch}, which the controller handed out twice`);
  }

  private onHighWatermark(key: string, record: TraceRecord, role: string, highWatermark: number): void {
    const partition = this.partition(key);
    const replica = this.replica(key, record);
    this.reportFinding(highWatermarkWithinLogEnd(key, record.node, role, highWatermark, replica.logEndOffset), record.atMs);
    const from = Math.max(replica.logStartOffset, role === 'leader' ? partition.committedEnd : replica.highWatermark);
    // A follower only compares what it holds with what was committed; a leader also commits what it holds.
    const offsets = role === 'leader' ? range(from, highWatermark) : partition.conflictsIn(replica, from, highWatermark);
    for (const offset of offsets) {
      const entry = replica.entries.get(offset);
      if (entry === undefined) continue;
      const committed = partition.committedAt(offset);
      if (committed === undefined && role === 'leader') {
        partition.setCommitted(offset, entry.value);
        this.copies.onCommitted(key, offset, entry.value, record.atMs);
      } else if (committed !== undefined && committed !== entry.value && role === 'follower' && this.heldUnderReusedEpoch(partition, offset, entry, committed)) {
        // The follower's record and the committed one share a leader epoch: the epoch was handed
        // out twice after the partition's metadata went back, and the follower's epoch-based
        // truncation cannot tell them apart (seed 931). That rollback, on this partition only.
        const message = `${record.node} (follower) holds ${JSON.stringify(entry.value)} at committed offset ${offset} of ${key} under leader epoch ${entry.epoch}, which the committed record has too`;
        if (!this.excusedByMetadataRollback(partition, message)) {
          this.reportLoss('committed-data-lost', 'CommittedPrefixIdentical', record.atMs, message, { partition: key, broker: record.node, offset }, [{ partition: key, offset, value: committed, acknowledgedAtMs: null }]);
        }
      } else if (committed !== undefined && committed !== entry.value) {
        this.reportLoss('committed-data-lost', 'CommittedPrefixIdentical', record.atMs, `${record.node} (${role}) holds ${JSON.stringify(entry.value)} at committed offset ${offset} of ${key}, committed as ${JSON.stringify(committed)}`, {
          partition: key,
          broker: record.node,
          offset,
        }, [{ partition: key, offset, value: committed, acknowledgedAtMs: null }]);
        partition.setCommitted(offset, entry.value);
        if (role === 'leader') this.copies.onCommitted(key, offset, entry.value, record.atMs);
      }
    }
    const leadership = partition.leaderships.get(record.node);
    if (role === 'leader' && leadership !== undefined) {
      leadership.logEndReached.set(record.node, Math.max(leadership.logEndReached.get(record.node) ?? 0, replica.logEndOffset));
      this.reportHighWatermarkAboveIsr(key, leadership, highWatermarkWithinMaximalIsr(key, leadership, highWatermark), record.atMs);
    }
    replica.highWatermark = Math.max(replica.highWatermark, highWatermark);
    if (role === 'leader') partition.committedEnd = Math.max(partition.committedEnd, highWatermark);
  }

  private onRead(key: string, record: TraceRecord, endOffset: number, highWatermark: number, leaderEpoch: number): void {
    const partition = this.partition(key);
    if (endOffset > highWatermark || endOffset > partition.committedEnd) {
      this.report('read-above-high-watermark', 'ReadBelowHighWatermark', record.atMs, `${record.node} served ${key} up to ${endOffset}, above the high watermark ${highWatermark}`, {
        broker: record.node,
        partition: key,
      });
    }
    this.reportFinding(clientHighWatermarkMonotonic(key, partition, record.node, leaderEpoch, highWatermark), record.atMs);
  }

  /**
   * Committed changes are traced by whichever controller replays them as raft leader, so after a
   * failover the same offset may be traced twice: the same change again is no news, a different one
   * at an offset already seen means the metadata log was rewritten, and lower epochs than the last
   * mean it went back. A change first traced below the last offset seen is a late trace of a
   * committed change only if it fits between the changes seen around it: every change writes the
   * partition epoch up by one (PartitionRegistration.merge), so along one log a partition's epochs
   * rise strictly with the offset, and its leader epoch never falls. A change below one with a
   * partition epoch at or under its own, or above one at or over it, was written in another log
   * (the partition created again at offset 14 after it was created at 19: seeds 568, 931); the log
   * was rewritten there too. A later change
   * that names another leader in the same leader epoch was written over the log as well (a new
   * leader always comes with a new epoch): the partition created again after the quorum lost it.
   * Each is a metadata rollback.
   */
  private onMetadataPartition(key: string, record: TraceRecord, offset: number, epochs: MetadataEpochs, isr: readonly NodeId[]): void {
    const partition = this.partition(key);
    partition.metadataTracedAtMs.set(offset, record.atMs);
    partition.metadataForgottenAtMs = null;
    const { leaderEpoch, partitionEpoch } = epochs;
    const seen = partition.metadataAt.get(offset);
    const earlier = seen === undefined && offset <= partition.metadataOffset ? contradictingChange(partition, offset, epochs) : null;
    partition.metadataAt.set(offset, epochs);
    if (seen !== undefined && sameEpochs(seen, epochs)) return;
    if (seen === undefined && offset <= partition.metadataOffset && earlier === null) return;
    const rollback = describeRollback(partition, offset, epochs, seen, earlier);
    if (rollback !== null) {
      partition.metadataRollbacksAtMs.push(record.atMs);
      this.reportMetadataRollback(record.atMs, `${key}'s metadata went back: ${rollback}`, { partition: key, offset });
      // The last ISR proposal was made against the log this change was written over: whatever ISR
      // the rewritten log holds did not come from it (KIP-903 judges proposals in one log).
      partition.lastProposal = null;
    }
    if (partition.lastProposal !== null) {
      const committed = { offset, leaderEpoch, partitionEpoch, isr, previousIsr: partition.metadataIsr };
      this.reportFinding(isrJoinCurrentRegistration(key, partition.lastProposal, committed, this.brokerEpochs), record.atMs);
    }
    partition.metadataIsr = isr;
    partition.metadataOffset = Math.max(partition.metadataOffset, offset);
    partition.leaderEpoch = Math.max(partition.leaderEpoch, leaderEpoch);
    partition.partitionEpoch = Math.max(partition.partitionEpoch, partitionEpoch);
  }

  /**
   * The metadata quorum committed a new entry over a committed one at `offset` (the raft checker
   * saw it): the metadata log was rewritten from there, which only a controller's lost storage
   * allows (pre-KIP-853). Every partition with a change committed at or above it, traced before
   * now, went back with it, whether or not a later change shows lower epochs; one whose every
   * change was taken back, its creation included, no longer exists (Kafka cannot create it again
   * by itself: auto-creation is left out, and an operator would do it).
   */
  onMetadataLogRewritten(offset: number, atMs: number): void {
    for (const [key, partition] of [...this.partitions.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const takenBack = [...partition.metadataTracedAtMs].filter(([changeOffset, tracedAtMs]) => changeOffset >= offset && tracedAtMs < atMs).map(([changeOffset]) => changeOffset);
      if (takenBack.length === 0) continue;
      for (const changeOffset of takenBack) partition.metadataTracedAtMs.delete(changeOffset);
      partition.metadataRollbacksAtMs.push(atMs);
      if (partition.metadataTracedAtMs.size === 0) partition.metadataForgottenAtMs = atMs;
      const changes = takenBack.sort((a, b) => a - b).join(', ');
      this.reportMetadataRollback(atMs, `${key}'s metadata went back: the metadata log was rewritten from offset ${offset}, beneath its change(s) at ${changes}`, { partition: key, offset });
    }
  }

  /**
   * Why these partitions may never be read again, or null: every one of them was forgotten by a
   * rewrite of the metadata log (onMetadataLogRewritten) after a controller lost its storage.
   */
  private forgottenPartitionsExcuse(keys: readonly string[]): string | null {
    const controllers = this.controllersThatLostStorage();
    if (keys.length === 0 || controllers.length === 0) return null;
    if (keys.some((key) => (this.partitions.get(key)?.metadataForgottenAtMs ?? null) === null)) return null;
    const since = Math.min(...keys.map((key) => this.partitions.get(key)!.metadataForgottenAtMs!));
    return `${keys.join(', ')}: the metadata log was rewritten beneath their creation (from ${since}ms) after controllers lost their storage (${controllers.join(', ')}), so they no longer exist: pre-KIP-853 KRaft cannot detect it, and only an operator creates a topic again`;
  }

  // ---- Reporting ----

  /** An anomaly the configuration alone judges: counted if it allows it, else a violation. */
  report(anomaly: KafkaAnomaly, invariant: string, atMs: number, message: string, details: Record<string, unknown>): void {
    const reason = allowedReason(anomaly, this.contract);
    if (reason !== null) this.findings.allow(anomaly, reason);
    else this.findings.violation(`${invariant}/${anomaly}`, atMs, message, details);
  }

  private reportFinding(finding: InvariantFinding | null, atMs: number): void {
    if (finding !== null) this.report(finding.anomaly, finding.invariant, atMs, finding.message, finding.details);
  }

  /**
   * Records gone from where they were acknowledged or committed: each is judged by the loss rules
   * on its own evidence. Allowed only if every one of them is, each counted with its rule and the
   * fault events it rests on; otherwise a violation that says why the first refused one is not.
   */
  private reportLoss(anomaly: LossAnomaly, invariant: string, atMs: number, message: string, details: Record<string, unknown>, lost: readonly LostRecord[]): void {
    const excuses: Array<{ reason: string; excuse: Excuse }> = [];
    for (const record of lost) {
      const judgement = judgeLoss(anomaly, this.contract, {
        ...this.copies.evidence(record.partition, record.offset, record.value),
        acknowledgedAtMs: record.acknowledgedAtMs,
        controllerStorageLosses: this.controllerStorageLosses,
        metadataRollbacksAtMs: this.partition(record.partition).metadataRollbacksAtMs,
      });
      if (!judgement.allowed) {
        const subject = describeRecord(record);
        this.findings.violation(`${invariant}/${anomaly}`, atMs, `${message}; ${subject}: ${judgement.reason}`, { ...details, refused: subject });
        return;
      }
      excuses.push({ reason: judgement.reason, excuse: { subject: describeRecord(record), rule: judgement.rule, faults: [...judgement.faults] } });
    }
    for (const { reason, excuse } of excuses) this.findings.allow(anomaly, reason, 1, excuse);
    for (const record of lost) {
      this.lossAllowedPartitions.add(record.partition);
      this.allowedLosses.add(`${record.partition}@${record.offset}`);
    }
  }

  // ---- Hooks for the group checker (groupChecker.ts) ----

  /** The partition's true high watermark: the end of what has been committed. */
  highWatermarkOf(partition: string): number {
    return this.partitions.get(partition)?.committedEnd ?? 0;
  }

  /**
   * Why a read_committed read of the partition may never complete, or null: the transaction at
   * its last stable offset was forgotten with committed records of its own __transaction_state
   * partition (hangingTransactions.ts).
   */
  hangingTransactionExcuse(partition: string): string | null {
    const transactions = this.transactions;
    return transactions === null ? null : this.hangingTransactions.excuse(partition, (transactionalId) => transactions.stateLossesOf(transactionalId));
  }

  /** Whether the partition lost committed or acknowledged records that the loss rules allowed. */
  lossAllowedOn(partition: string): boolean {
    return this.lossAllowedPartitions.has(partition);
  }

  /**
   * Why the never-committed transactional record `value` at `partition@offset` may be visible, or
   * null: the marker that closed its transaction there was lost as the loss rules allow (lostMarkers.ts).
   */
  markerLossExcuse(partition: string, offset: number, value: string): string | null {
    return this.lostMarkers.excuse(partition, offset, value, (lostPartition, lostOffset) => this.allowedLosses.has(`${lostPartition}@${lostOffset}`));
  }

  /** Every partition that lost records the loss rules allowed, in name order. */
  partitionsWithAllowedLoss(): string[] {
    return [...this.lossAllowedPartitions].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** A metadata rollback is allowed only once a controller lost its storage, which it cites. */
  private reportMetadataRollback(atMs: number, message: string, details: Record<string, unknown>): void {
    const judgement = judgeMetadataRollback(this.controllerStorageLosses);
    if (!judgement.allowed) {
      this.findings.violation('MonotonicPartitionEpochs/metadata-rollback', atMs, `${message}; ${judgement.reason}`, details);
      return;
    }
    this.findings.allow('metadata-rollback', judgement.reason, 1, { subject: message, rule: judgement.rule, faults: [...judgement.faults] });
  }

  violations(): Violation[] {
    return this.findings.violations();
  }

  onHeal(world: World): void {
    this.healAtMs = world.nowMs;
  }

  finish(world: World): ReturnType<SystemChecker['finish']> {
    // The producers' sends; consumers' polls and commits are for the group checks.
    const operations = this.history.all().filter((op) => op.op === 'send');
    let unseen = 0;
    if (!this.findings.hasViolations && this.healAtMs !== null) {
      const missing = this.options.partitionKeys.filter((key) => !this.finalReads.has(key));
      if (missing.length === 0) unseen = this.checkHistory(operations, world.nowMs);
      const committedMissing = this.options.partitionKeys.filter((key) => !this.committedReads.has(key));
      if (missing.length === 0 && committedMissing.length === 0 && !this.findings.hasViolations) this.transactions?.checkHistory(world.nowMs, (partition) => this.lossAllowedPartitions.has(partition), (partition, offset, value) => this.markerLossExcuse(partition, offset, value));
    }
    const violations = this.findings.violations();
    if (violations.length === 0 && this.healAtMs !== null) {
      const excuse = this.clusterMetadataLoss();
      for (const failure of this.livenessFailures(world, operations)) {
        if (excuse !== null) this.findings.allow('cluster-metadata-lost', excuse);
        else violations.push(failure);
      }
    }
    const anomalies = this.findings.anomalies();
    const count = (outcome: string) => operations.filter((op) => op.outcome === outcome).length;
    return {
      violations,
      anomalies,
      summary: { sends: operations.length, ok: count('ok'), fail: count('fail'), info: count('info'), unseen, partitionsRead: this.finalReads.size },
    };
  }

  /** The end-of-run history checks; returns how many unknown-outcome writes never appeared. */
  checkHistory(operations: readonly Operation[], atMs: number): number {
    const located = new Map<string, Array<{ partition: string; offset: number }>>();
    for (const [key, read] of [...this.finalReads.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      for (const [offset, value] of read.records) {
        if (value === null) continue;
        const places = located.get(value) ?? [];
        places.push({ partition: key, offset });
        located.set(value, places);
      }
    }
    const sent = new Map(operations.map((op) => [String(op.fields['value']), op]));
    const firstAckAtMs = this.firstAcknowledgements(operations, located);
    for (const [value, places] of located) {
      const op = sent.get(value);
      if (op === undefined) {
        this.report('phantom-write', 'History', atMs, `${JSON.stringify(value)} was read at ${describePlaces(places)} but never sent`, { value });
      }
      if (places.length > 1) {
        if (op !== undefined && this.contract.idempotence && op.invokedAtMs < (firstAckAtMs.get(producerPartitionKey(op, places[0]!.partition)) ?? Infinity)) {
          // Kafka's own hole: a broker with no state for the producer accepts any first sequence
          // (KIP-360), so a failed first batch retried after later ones gets OUT_OF_ORDER_SEQUENCE;
          // the client then bumps the epoch and rewrites the sequences of batches already written.
          this.findings.allow('duplicate-first-batches', FIRST_BATCHES_REASON);
        } else {
          this.report('duplicate', 'History', atMs, `${JSON.stringify(value)} appears ${places.length} times: ${describePlaces(places)}`, { value, places });
        }
      }
    }
    let unseen = 0;
    for (const op of operations) {
      const value = String(op.fields['value']);
      const places = located.get(value) ?? [];
      if (op.outcome === 'ok') {
        const partition = `${String(op.fields['topic'] ?? this.options.topic)}-${String(op.fields['partition'])}`;
        const offset = Number(op.fields['offset']);
        const lost: LostRecord[] = [{ partition, offset, value, acknowledgedAtMs: op.completedAtMs }];
        const epochReused = typeof op.fields['txn'] === 'string' && this.transactions?.stateLostBefore(op.client, op.invokedAtMs) === true;
        if (epochReused && (places.length === 0 || !places.some((p) => p.partition === partition && p.offset === offset))) {
          this.findings.allow(
            'epoch-reused-after-coordinator-state-loss',
            'the __transaction_state partition of the producer\'s transactional id lost committed records (a power loss, a lost disk or a flipped bit on its last replica standing): the coordinator handed out a producer epoch again, and a partition took the new batch for a duplicate of an old one with the same epoch and sequence (Kafka answers DUPLICATE_SEQUENCE_NUMBER as success likewise)',
          );
        } else if (places.length === 0) {
          this.reportLoss('lost-write', 'History', atMs, `${JSON.stringify(value)} was acknowledged at ${partition}@${offset} but is not in the log`, { value, partition, offset, client: op.client }, lost);
        } else if (offset >= 0 && !places.some((p) => p.partition === partition && p.offset === offset)) {
          this.reportLoss('inconsistent-offsets', 'History', atMs, `${JSON.stringify(value)} was acknowledged at offset ${offset} but sits at ${describePlaces(places)}`, { value, offset }, lost);
        }
      } else if (op.outcome === 'info' && places.length === 0) {
        unseen++;
      }
    }
    this.checkSendOrder(operations, located, firstAckAtMs, atMs);
    return unseen;
  }

  /**
   * nonmonotonic-send: a producer's later send landing before its earlier one in a partition.
   * One case is Kafka's own and named apart: a producer's first batches to a partition, where the
   * broker has no state for the producer and accepts any sequence (KIP-360), so a retried first
   * batch can land after later ones even with idempotence.
   */
  /**
   * Per producer incarnation (a restarted producer is a new producer, with a new id) and partition:
   * when its first write there was acknowledged. Sends made before that may ride in the first
   * batches, which a broker with no state for the producer takes in any order (KIP-360).
   */
  private firstAcknowledgements(operations: readonly Operation[], located: Map<string, Array<{ partition: string; offset: number }>>): Map<string, number> {
    const firstAckAtMs = new Map<string, number>();
    for (const op of operations) {
      if (op.outcome !== 'ok' || op.completedAtMs === null) continue;
      const place = located.get(String(op.fields['value']))?.[0];
      if (place === undefined) continue;
      const key = producerPartitionKey(op, place.partition);
      firstAckAtMs.set(key, Math.min(firstAckAtMs.get(key) ?? Infinity, op.completedAtMs));
    }
    return firstAckAtMs;
  }

  private checkSendOrder(
    operations: readonly Operation[],
    located: Map<string, Array<{ partition: string; offset: number }>>,
    firstAckAtMs: Map<string, number>,
    atMs: number,
  ): void {
    const lastByProducerPartition = new Map<string, { value: string; offset: number; invokedAtMs: number }>();
    const ordered = operations.filter((op) => op.outcome === 'ok').slice().sort((a, b) => a.invokedAtMs - b.invokedAtMs || a.requestId - b.requestId);
    const keyOf = producerPartitionKey;
    for (const op of ordered) {
      const value = String(op.fields['value']);
      const place = located.get(value)?.[0];
      if (place === undefined) continue;
      const key = keyOf(op, place.partition);
      const previous = lastByProducerPartition.get(key);
      if (previous !== undefined && place.offset < previous.offset) {
        const message = `${op.client} sent ${JSON.stringify(previous.value)} before ${JSON.stringify(value)}, but ${place.partition} holds them at ${previous.offset} and ${place.offset}`;
        const details = { client: op.client, partition: place.partition };
        if (this.contract.idempotence && previous.invokedAtMs < (firstAckAtMs.get(key) ?? Infinity)) {
          this.findings.allow('nonmonotonic-first-batches', FIRST_BATCHES_REASON);
        } else {
          this.report('nonmonotonic-send', 'History', atMs, message, details);
        }
      }
      if (previous === undefined || place.offset > previous.offset) lastByProducerPartition.set(key, { value, offset: place.offset, invokedAtMs: op.invokedAtMs });
    }
  }

  private livenessFailures(world: World, operations: readonly Operation[]): Violation[] {
    const failures: Violation[] = [];
    const fail = (invariant: string, message: string) => failures.push({ invariant, kind: 'liveness', message, atMs: world.nowMs });
    const missing = this.options.partitionKeys.filter((key) => !this.finalReads.has(key));
    const missingForgotten = this.forgottenPartitionsExcuse(missing);
    if (missingForgotten !== null) this.findings.allow('cluster-metadata-lost', missingForgotten);
    else if (missing.length > 0) fail('liveness/final-read', `the final read could not read ${missing.join(', ')} by the end of the liveness phase`);
    // A partition's read_committed read may hang only where the transaction holding its last stable
    // offset lost its own coordinator state; a loss elsewhere excuses no other partition.
    const committedMissing = this.transactions === null ? [] : this.options.partitionKeys.filter((key) => !this.committedReads.has(key));
    const unexcused: string[] = [];
    for (const partition of committedMissing) {
      const excuse = this.hangingTransactionExcuse(partition);
      if (excuse !== null) this.findings.allow('hanging-transaction', excuse, 1, { subject: `the read_committed final read of ${partition} never completed`, rule: 'transaction-state-lost', faults: [] });
      else unexcused.push(partition);
    }
    if (unexcused.length > 0) {
      fail('liveness/final-read-committed', `the read_committed final read of ${unexcused.join(', ')} never saw the last stable offset reach the high watermark: a transaction stayed open (hanging)`);
    }
    if (this.transactions !== null && this.healAtMs !== null) {
      const { failures: unended, excused } = this.transactions.unendedTransactions(this.healAtMs, world.nowMs);
      for (const message of unended) fail('liveness/transaction-ended', message);
      for (const reason of excused) this.findings.allow('hanging-transaction', `${reason}: a coordinator that loads the older state never writes the markers of transactions it forgot, as in Kafka, where an operator must abort them (KIP-664)`);
    }
    const ackedAfterHeal = operations.filter((op) => op.outcome === 'ok' && this.healAtMs !== null && op.invokedAtMs >= this.healAtMs).length;
    const topicForgotten = this.forgottenPartitionsExcuse(this.options.partitionKeys.filter((key) => key.startsWith(`${this.options.topic}-`)));
    if (ackedAfterHeal === 0 && topicForgotten !== null) this.findings.allow('cluster-metadata-lost', topicForgotten);
    else if (ackedAfterHeal === 0) fail('liveness/progress', 'no write sent after the heal was acknowledged');
    return failures;
  }
}

const FIRST_BATCHES_REASON =
  'a producer\'s first batches to a partition: a broker with no state for the producer accepts any sequence (KIP-360), so a retried first ' +
  'batch may land after later ones, and the epoch bump that follows its out-of-order error rewrites batches already written (KAFKA-14034)';

function producerPartitionKey(op: Operation, partition: string): string {
  return `${op.client}/${Math.floor(op.requestId / 1_000_000)}|${partition}`;
}

function range(from: number, to: number): number[] {
  const offsets: number[] = [];
  for (let offset = from; offset < to; offset++) offsets.push(offset);
  return offsets;
}

function describeOffsets(offsets: readonly number[]): string {
  if (offsets.length <= 5) return offsets.join(', ');
  return `${offsets.slice(0, 5).join(', ')} … (${offsets.length} in all)`;
}

/**
 * Where a replica's log stops agreeing with the new leader's (same value and epoch at each offset):
 * what the replica holds of this leadership's log when it begins. A divergent tail is not "reached".
 */
function matchingPrefixEnd(replica: ReplicaModel, leader: ReplicaModel): number {
  const end = Math.min(replica.logEndOffset, leader.logEndOffset);
  for (let offset = Math.max(replica.logStartOffset, leader.logStartOffset); offset < end; offset++) {
    const mine = replica.entries.get(offset);
    const theirs = leader.entries.get(offset);
    if (mine === undefined || theirs === undefined || mine.value !== theirs.value || mine.epoch !== theirs.epoch) return offset;
  }
  return end;
}

function describeRecord(record: LostRecord): string {
  return `${JSON.stringify(record.value)} at ${record.partition}@${record.offset}`;
}

function describePlaces(places: ReadonlyArray<{ partition: string; offset: number }>): string {
  return places.map((p) => `${p.partition}@${p.offset}`).join(', ');
}

function sameEpochs(a: MetadataEpochs, b: MetadataEpochs): boolean {
  return a.leaderEpoch === b.leaderEpoch && a.partitionEpoch === b.partitionEpoch && a.leader === b.leader;
}

function describeEpochs(epochs: MetadataEpochs): string {
  return `${epochs.leaderEpoch}/${epochs.partitionEpoch}`;
}

/** How this change shows the partition's metadata log went back, or null when it does not. */
function describeRollback(partition: PartitionModel, offset: number, epochs: MetadataEpochs, seen: MetadataEpochs | undefined, earlier: { offset: number; epochs: MetadataEpochs } | null): string | null {
  if (seen !== undefined) return `its change at metadata offset ${offset} was rewritten from epochs ${describeEpochs(seen)} to ${describeEpochs(epochs)}`;
  if (earlier !== null) {
    const order = earlier.offset < offset ? 'cannot follow' : 'cannot precede';
    return `a change at metadata offset ${offset}, traced only now, has epochs ${describeEpochs(epochs)}, which ${order} the ${describeEpochs(earlier.epochs)} of its change at offset ${earlier.offset} in one log`;
  }
  if (offset <= partition.metadataOffset) return null;
  const backwards = epochs.leaderEpoch < partition.leaderEpoch || epochs.partitionEpoch < partition.partitionEpoch;
  if (backwards) return `it went from leader epoch ${partition.leaderEpoch} / partition epoch ${partition.partitionEpoch} to ${describeEpochs(epochs)}`;
  const last = partition.metadataAt.get(partition.metadataOffset);
  if (last !== undefined && last.leaderEpoch === epochs.leaderEpoch && last.leader !== epochs.leader) {
    return `its change at metadata offset ${offset} names leader ${epochs.leader ?? 'none'} in leader epoch ${epochs.leaderEpoch}, which ${last.leader ?? 'no leader'} held at offset ${partition.metadataOffset}`;
  }
  return null;
}

/**
 * A change of the partition seen at another offset that cannot share one log with these epochs, if
 * one was seen: along a log the partition epoch rises by one with every change and the leader
 * epoch never falls.
 */
function contradictingChange(partition: PartitionModel, offset: number, epochs: MetadataEpochs): { offset: number; epochs: MetadataEpochs } | null {
  for (const [otherOffset, other] of partition.metadataAt) {
    if (otherOffset === offset) continue;
    const contradicts =
      otherOffset < offset
        ? other.partitionEpoch >= epochs.partitionEpoch || other.leaderEpoch > epochs.leaderEpoch
        : other.partitionEpoch <= epochs.partitionEpoch || other.leaderEpoch < epochs.leaderEpoch;
    if (contradicts) return { offset: otherOffset, epochs: other };
  }
  return null;
}
