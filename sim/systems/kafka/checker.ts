/**
 * The Kafka checker. It sees brokers, controllers and clients only through their trace events and
 * keeps a model of every replica's log from them (`partition.append`, `partition.truncate`,
 * `partition.recovered`), so it can judge what no single node can see. The model (partitionModel.ts)
 * keeps each replica's disagreements with the committed records up to date as events arrive, so
 * every check costs the same in the first minute of a run as in its hundredth.
 *
 * Invariants, checked as the events arrive:
 * - SingleLeaderPerEpoch: at most one broker leads a partition in one leader epoch.
 * - MonotonicPartitionEpochs: a partition's leader epoch and partition epoch, as the controller
 *   commits them, never go down.
 * - CommittedPrefixIdentical: below the high watermark, every replica holds the same records as the
 *   leader that committed them; the committed record at an offset never changes
 *   (committed-data-lost otherwise — the "true high watermark" going back).
 * - LeaderHoldsCommitted: a new leader holds every committed record (committed-data-lost).
 * - ReadBelowHighWatermark: no consumer is handed a record at or above the high watermark.
 * History checks, at the end, over the producers' history and a full read of every partition:
 * lost-write, inconsistent-offsets, duplicate, nonmonotonic-send, phantom-write; writes whose
 * outcome was unknown and never appear are counted as `unseen`.
 * Every anomaly goes through the contract (contract.ts): allowed ones are counted, the rest are
 * violations.
 */
import { Findings } from '../../checker/findings.js';
import type { NodeId } from '../../../src/host.js';
import { History, type Operation } from '../../checker/history.js';
import type { Violation } from '../../checker/types.js';
import type { TraceRecord, World } from '../../world.js';
import type { SystemChecker } from '../system.js';
import { type ContractInputs, type KafkaAnomaly, allowedReason } from './contract.js';
import { PartitionModel, type ReplicaModel } from './partitionModel.js';

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
}

export class KafkaChecker implements SystemChecker {
  private readonly partitions = new Map<string, PartitionModel>();
  private readonly history = new History();
  private readonly finalReads = new Map<string, FinalRead>();
  private readonly findings: Findings;
  private healAtMs: number | null = null;
  private metadataRolledBack = false;

  constructor(
    private readonly options: KafkaCheckerOptions,
    /** The contract's inputs; the run's storage losses are added to it as they happen. */
    readonly contract: ContractInputs & { powerLost: Set<string>; dataDestroyed: Set<string> },
    world: World | null,
  ) {
    this.findings = new Findings(world);
  }

  /**
   * A node halted because the metadata log was truncated beneath what it had applied: the quorum
   * rolled back after a controller lost its storage. Kafka has no way back from that without an
   * operator (pre-KIP-853), so what the cluster then cannot do is not a liveness failure.
   */
  onMetadataRolledBack(): void {
    this.metadataRolledBack = true;
  }

  /** A broker's disk is gone: its replica models start over. */
  onDiskLost(broker: NodeId): void {
    for (const partition of this.partitions.values()) partition.replicas.delete(broker);
  }

  observe(record: TraceRecord): void {
    const event = record.event;
    if (this.history.observe(record) !== undefined) return;
    const key = `${String(event['topic'])}-${String(event['partition'])}`;
    const num = (field: string) => event[field] as number;
    switch (event.type) {
      case 'partition.recovered': {
        const replica = this.replica(key, record);
        const partition = this.partition(key);
        partition.advanceLogStart(replica, num('logStartOffset'));
        partition.truncate(replica, num('logEndOffset'));
        replica.logEndOffset = num('logEndOffset');
        return;
      }
      case 'partition.append': {
        const replica = this.replica(key, record);
        const partition = this.partition(key);
        const values = event['values'] as ReadonlyArray<string | null>;
        const base = num('baseOffset');
        values.forEach((value, i) => partition.setEntry(replica, base + i, value));
        replica.logEndOffset = Math.max(replica.logEndOffset, num('lastOffset') + 1);
        return;
      }
      case 'partition.truncate':
        return this.partition(key).truncate(this.replica(key, record), num('offset'));
      case 'partition.leader':
        return this.onLeader(key, record, num('leaderEpoch'));
      case 'partition.hw':
        return this.onHighWatermark(key, record, String(event['role']), num('highWatermark'));
      case 'partition.read':
        if (num('endOffset') > num('highWatermark') || num('endOffset') > this.partition(key).committedEnd) {
          this.report('read-above-high-watermark', 'ReadBelowHighWatermark', record.atMs, `${record.node} served ${key} up to ${num('endOffset')}, above the high watermark ${num('highWatermark')}`, {
            broker: record.node,
            partition: key,
          });
        }
        return;
      case 'metadata.partition': {
        // Committed changes are traced by whichever controller replays them as raft leader, so
        // after a failover the same offset may be traced twice: judge each offset once, in order.
        const partition = this.partition(key);
        if (num('offset') <= partition.metadataOffset) return;
        partition.metadataOffset = num('offset');
        return this.onMetadataPartition(key, record, num('leaderEpoch'), num('partitionEpoch'));
      }
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
      // A restart: the high watermark is held in memory (its checkpoint is left out), the log is not.
      replica.incarnation = record.incarnation;
      replica.highWatermark = 0;
    }
    return replica;
  }

  private onLeader(key: string, record: TraceRecord, leaderEpoch: number): void {
    const partition = this.partition(key);
    const other = partition.leaders.get(leaderEpoch);
    if (other !== undefined && other !== record.node) {
      this.findings.violation('SingleLeaderPerEpoch', record.atMs, `${other} and ${record.node} both lead ${key} in epoch ${leaderEpoch}`, { partition: key, leaderEpoch });
    }
    partition.leaders.set(leaderEpoch, record.node);
    const replica = this.replica(key, record);
    const missing = partition.missingOn(replica);
    if (missing.length > 0) {
      this.report('committed-data-lost', 'LeaderHoldsCommitted', record.atMs, `${record.node} leads ${key} in epoch ${leaderEpoch} without committed offsets ${describeOffsets(missing)}`, {
        partition: key,
        leader: record.node,
        missing: missing.length,
      });
      // Measure from here on against what this leader holds.
      for (const offset of missing) partition.deleteCommitted(offset);
      partition.committedEnd = Math.min(partition.committedEnd, missing[0]!);
    }
  }

  private onHighWatermark(key: string, record: TraceRecord, role: string, highWatermark: number): void {
    const partition = this.partition(key);
    const replica = this.replica(key, record);
    const from = Math.max(replica.logStartOffset, role === 'leader' ? partition.committedEnd : replica.highWatermark);
    // A follower only compares what it holds with what was committed; a leader also commits what it holds.
    const offsets = role === 'leader' ? range(from, highWatermark) : partition.conflictsIn(replica, from, highWatermark);
    for (const offset of offsets) {
      if (!replica.entries.has(offset)) continue;
      const value = replica.entries.get(offset)!;
      const committed = partition.committedAt(offset);
      if (committed === undefined && role === 'leader') partition.setCommitted(offset, value);
      else if (committed !== undefined && committed !== value) {
        this.report('committed-data-lost', 'CommittedPrefixIdentical', record.atMs, `${record.node} (${role}) holds ${JSON.stringify(value)} at committed offset ${offset} of ${key}, committed as ${JSON.stringify(committed)}`, {
          partition: key,
          broker: record.node,
          offset,
        });
        partition.setCommitted(offset, value);
      }
    }
    replica.highWatermark = Math.max(replica.highWatermark, highWatermark);
    if (role === 'leader') partition.committedEnd = Math.max(partition.committedEnd, highWatermark);
  }

  private onMetadataPartition(key: string, record: TraceRecord, leaderEpoch: number, partitionEpoch: number): void {
    const partition = this.partition(key);
    if (leaderEpoch < partition.leaderEpoch || partitionEpoch < partition.partitionEpoch) {
      this.report('metadata-rollback', 'MonotonicPartitionEpochs', record.atMs, `${key} went from leader epoch ${partition.leaderEpoch} / partition epoch ${partition.partitionEpoch} to ${leaderEpoch} / ${partitionEpoch}`, {
        partition: key,
      });
    }
    partition.leaderEpoch = Math.max(partition.leaderEpoch, leaderEpoch);
    partition.partitionEpoch = Math.max(partition.partitionEpoch, partitionEpoch);
  }

  // ---- Reporting ----

  /** An anomaly: counted if the contract allows it, else a violation. */
  report(anomaly: KafkaAnomaly, invariant: string, atMs: number, message: string, details: Record<string, unknown>): void {
    const reason = allowedReason(anomaly, this.contract);
    if (reason !== null) this.findings.allow(anomaly, reason);
    else this.findings.violation(`${invariant}/${anomaly}`, atMs, message, details);
  }

  violations(): Violation[] {
    return this.findings.violations();
  }

  onHeal(world: World): void {
    this.healAtMs = world.nowMs;
  }

  finish(world: World): ReturnType<SystemChecker['finish']> {
    const operations = this.history.all();
    let unseen = 0;
    if (!this.findings.hasViolations && this.healAtMs !== null) {
      const missing = this.options.partitionKeys.filter((key) => !this.finalReads.has(key));
      if (missing.length === 0) unseen = this.checkHistory(operations, world.nowMs);
    }
    const violations = this.findings.violations();
    if (violations.length === 0 && this.healAtMs !== null) {
      const lostControllers = this.options.controllers.filter((id) => this.contract.dataDestroyed.has(id));
      const majorityLost = lostControllers.length > this.options.controllers.length / 2;
      for (const failure of this.livenessFailures(world, operations)) {
        // With a majority of the metadata quorum's disks gone, the topic itself may be gone: the
        // cluster is a new, empty one. Pre-KIP-853 KRaft cannot tell; the report says so. A
        // minority's loss can roll the log back too, and nodes that applied the lost records halt.
        if (majorityLost) this.findings.allow('cluster-metadata-lost', `a majority of controllers lost their disks (${lostControllers.join(', ')}): the metadata log, topics included, may be gone`);
        else if (this.metadataRolledBack && lostControllers.length > 0) {
          this.findings.allow('cluster-metadata-lost', `controllers lost their disks (${lostControllers.join(', ')}) and the metadata log rolled back beneath nodes that had applied it, which halted: pre-KIP-853 KRaft needs an operator to recover`);
        } else violations.push(failure);
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
        if (places.length === 0) {
          this.report('lost-write', 'History', atMs, `${JSON.stringify(value)} was acknowledged at ${partition}@${offset} but is not in the log`, { value, partition, offset, client: op.client });
        } else if (offset >= 0 && !places.some((p) => p.partition === partition && p.offset === offset)) {
          this.report('inconsistent-offsets', 'History', atMs, `${JSON.stringify(value)} was acknowledged at offset ${offset} but sits at ${describePlaces(places)}`, { value, offset });
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
    if (missing.length > 0) fail('liveness/final-read', `the final read could not read ${missing.join(', ')} by the end of the liveness phase`);
    const ackedAfterHeal = operations.filter((op) => op.outcome === 'ok' && this.healAtMs !== null && op.invokedAtMs >= this.healAtMs).length;
    if (ackedAfterHeal === 0) fail('liveness/progress', 'no write sent after the heal was acknowledged');
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

function describePlaces(places: ReadonlyArray<{ partition: string; offset: number }>): string {
  return places.map((p) => `${p.partition}@${p.offset}`).join(', ');
}
