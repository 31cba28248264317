/**
 * The exactly-once checker for a read-process-write pipeline (pipelineNode.ts): does every input
 * record, up to the group's final committed offsets, have its output exactly once among the
 * committed output records — and nothing beyond them?
 *
 * What it reads, all at the end of the run: the input topic as a read_committed consumer sees it
 * (`kafka.final-read-committed` of the input topic), the output topic likewise, the group's final
 * committed offsets (`kafka.final-group-offsets`, finalGroupOffsetsReader.ts), the pipeline's
 * transactions (`pipeline.txn-*`), and the input producers' commit decisions
 * (`workload.txn-commit`, when the input is written transactionally). An output names its input
 * (`<topic-partition>@<offset>|<txn>`).
 *
 * Anomalies (Jepsen's names where they exist), each a violation unless the contract row allows it:
 * - pipeline-lost-write: an input record below the committed offset has no committed output — the
 *   offsets moved past it without its output (the offsets committed without the records).
 * - pipeline-duplicate (duplicate across the pipeline): an input has more than one committed output
 *   — two transactions processed it and both committed (a zombie instance, or a rewind that went
 *   too far back).
 * - pipeline-output-beyond-offsets: a committed output of an input at or above the committed
 *   offset — its records committed without its offsets.
 * - pipeline-aborted-read: an output of an input that read_committed does not show: the pipeline
 *   processed an aborted record (G1a through the pipeline).
 * - precommitted-read: the pipeline began a transaction on an input record before that record's
 *   producer had decided to commit it: it read a transaction still open.
 * - aborted-read, zombie-write (of the pipeline's own transactions): an output of a transaction the
 *   instance aborted, or never decided to commit (it was fenced first), is committed.
 *
 * Liveness: the three final reads must arrive; after heal the pipeline must catch up — no input
 * record visible at read_committed lies at or above the committed offset (`liveness/pipeline-caught-up`).
 *
 * The contract (`pipelineContractTable`): none of these is allowed, except where the log or a
 * coordinator's state lost committed records as the producer contract allows (then what was
 * committed may be gone, and the offsets with it); the checker names the loss it rests on.
 */
import type { Findings } from '../../checker/findings.js';
import type { AllowedAnomaly, Violation } from '../../checker/types.js';
import type { TraceRecord } from '../../world.js';
import { parsePipelineOutputValue } from './pipelineNode.js';
import type { MarkerLossExcuse } from './transactionChecker.js';

export type PipelineAnomaly = 'pipeline-lost-write' | 'pipeline-duplicate' | 'pipeline-output-beyond-offsets' | 'pipeline-aborted-read' | 'precommitted-read' | 'aborted-read' | 'zombie-write';

export interface PipelineContractRow {
  readonly anomaly: PipelineAnomaly;
  readonly allowed: boolean;
  readonly reason: string;
}

/** The exactly-once contract of a pipeline over the safe configuration, row by row. */
export function pipelineContractTable(): PipelineContractRow[] {
  const onlyLoss = 'only where a log or a coordinator lost committed records as the producer contract allows';
  return [
    { anomaly: 'pipeline-lost-write', allowed: false, reason: `the input offsets commit in the same transaction as the outputs, so they never pass an input without its output (${onlyLoss})` },
    { anomaly: 'pipeline-duplicate', allowed: false, reason: `a zombie instance is fenced by its producer epoch or its group generation (KIP-447), and a new owner starts from the committed offsets (${onlyLoss})` },
    { anomaly: 'pipeline-output-beyond-offsets', allowed: false, reason: `outputs and offsets commit or abort together, with one transaction marker each (${onlyLoss})` },
    { anomaly: 'pipeline-aborted-read', allowed: false, reason: 'the pipeline consumes with isolation.level=read_committed: aborted input records are dropped by the consumer' },
    { anomaly: 'precommitted-read', allowed: false, reason: 'read_committed reads below the last stable offset, so no record of an open transaction reaches the pipeline' },
    { anomaly: 'aborted-read', allowed: false, reason: 'an aborted transaction\'s outputs get an ABORT marker and read_committed drops them' },
    { anomaly: 'zombie-write', allowed: false, reason: 'a fenced instance\'s transaction is aborted by the coordinator with a bumped epoch; its later writes are refused' },
  ];
}

interface PipelineTransaction {
  readonly txn: string;
  readonly node: string;
  readonly beganAtMs: number;
  readonly inputs: ReadonlyArray<readonly [string, number, string | null]>;
  commitDecided: boolean;
  outcome: 'open' | 'committed' | 'aborted' | 'fenced';
}

export interface PipelineCheckerOptions {
  readonly inputTopic: string;
  readonly outputTopic: string;
  readonly inputPartitions: number;
  readonly outputPartitions: number;
  readonly groupId: string;
}

/** What may excuse the pipeline's liveness failures; each absent is no excuse. */
export interface PipelineLivenessExcuses {
  /**
   * Why a partition's read_committed read may never complete (a transaction its coordinator
   * forgot with committed records it lost), or null; a final read missing only for such
   * partitions is that allowed hanging transaction, counted per partition.
   */
  readonly hanging?: (partition: string) => string | null;
  /** Why the cluster may be unable to serve anything after the heal (its metadata lost), or null: the kafka checker's own liveness excuse. */
  readonly clusterMetadataLoss?: string | null;
}

export class PipelineChecker {
  private readonly transactions = new Map<string, PipelineTransaction>();
  /** The input producers' transactions (when the input is transactional): txn → when its commit was decided, or null. */
  private readonly inputTransactions = new Map<string, number | null>();
  private readonly inputRead = new Map<string, Map<number, string | null>>();
  private readonly outputRead = new Map<string, ReadonlyArray<readonly [number, string | null]>>();
  private committedOffsets: Map<string, number> | null = null;

  constructor(
    private readonly findings: Findings,
    private readonly options: PipelineCheckerOptions,
    /** Why a never-committed input record may be visible: its closing marker lost as allowed (lostMarkers.ts). */
    private readonly markerLost: MarkerLossExcuse = () => null,
  ) {}

  observe(record: TraceRecord): void {
    const event = record.event;
    switch (event.type) {
      case 'pipeline.txn-begin': {
        const txn = String(event['txn']);
        this.transactions.set(txn, { txn, node: record.node, beganAtMs: record.atMs, inputs: event['inputs'] as PipelineTransaction['inputs'], commitDecided: false, outcome: 'open' });
        return;
      }
      case 'pipeline.txn-commit': {
        const transaction = this.transactions.get(String(event['txn']));
        if (transaction !== undefined) transaction.commitDecided = true;
        return;
      }
      case 'pipeline.txn-end': {
        const transaction = this.transactions.get(String(event['txn']));
        if (transaction !== undefined) transaction.outcome = event['outcome'] as PipelineTransaction['outcome'];
        return;
      }
      case 'workload.txn-begin':
        this.inputTransactions.set(String(event['txn']), null);
        return;
      case 'workload.txn-commit':
        if (this.inputTransactions.get(String(event['txn'])) === null) this.inputTransactions.set(String(event['txn']), record.atMs);
        return;
      case 'kafka.final-read-committed': {
        const key = `${String(event['topic'])}-${String(event['partition'])}`;
        const records = event['records'] as ReadonlyArray<readonly [number, string | null]>;
        if (event['topic'] === this.options.inputTopic) this.inputRead.set(key, new Map(records));
        else if (event['topic'] === this.options.outputTopic) this.outputRead.set(key, records);
        return;
      }
      case 'kafka.final-group-offsets':
        if (event['group'] !== this.options.groupId) return;
        this.committedOffsets = new Map((event['offsets'] as ReadonlyArray<readonly [number, number]>).map(([partition, offset]) => [`${this.options.inputTopic}-${partition}`, offset]));
        return;
      default:
        return;
    }
  }

  /** What the final reads still miss (empty once all are in). */
  missingReads(): string[] {
    const missing: string[] = [];
    for (let partition = 0; partition < this.options.inputPartitions; partition++) if (!this.inputRead.has(`${this.options.inputTopic}-${partition}`)) missing.push(`${this.options.inputTopic}-${partition}`);
    for (let partition = 0; partition < this.options.outputPartitions; partition++) if (!this.outputRead.has(`${this.options.outputTopic}-${partition}`)) missing.push(`${this.options.outputTopic}-${partition}`);
    if (this.committedOffsets === null) missing.push(`the offsets of group ${this.options.groupId}`);
    return missing;
  }

  /**
   * The end-of-run checks, once every read is in. `lossExcuse` names a loss of committed records
   * the producer contract allowed (in a log or a coordinator's state), or null.
   */
  checkHistory(atMs: number, lossExcuse: string | null): { readonly outputs: number; readonly inputsCovered: number; readonly uncovered: number } {
    const committed = this.committedOffsets ?? new Map<string, number>();
    const outputsOf = new Map<string, string[]>();
    let outputs = 0;
    for (const [partition, records] of this.outputRead) {
      for (const [offset, value] of records) {
        const parsed = parsePipelineOutputValue(value);
        if (parsed === null) continue;
        outputs++;
        const input = `${parsed.inputPartition}@${parsed.inputOffset}`;
        outputsOf.set(input, [...(outputsOf.get(input) ?? []), `${partition}@${offset} (${parsed.txn})`]);
        this.checkOutput(atMs, input, parsed, committed, lossExcuse);
      }
    }
    for (const [input, places] of outputsOf) {
      if (places.length > 1) this.report('pipeline-duplicate', atMs, lossExcuse, `input ${input} has ${places.length} committed outputs: ${places.join(', ')}`, { input, outputs: places });
    }
    let inputsCovered = 0;
    let uncovered = 0;
    for (const [partition, records] of this.inputRead) {
      const committedOffset = committed.get(partition) ?? -1;
      for (const offset of [...records.keys()].sort((a, b) => a - b)) {
        if (offset >= committedOffset) {
          uncovered++;
          continue;
        }
        inputsCovered++;
        if (!outputsOf.has(`${partition}@${offset}`)) this.report('pipeline-lost-write', atMs, lossExcuse, `input ${partition}@${offset} lies below the group's committed offset ${committedOffset}, yet has no committed output`, { input: `${partition}@${offset}`, committedOffset });
      }
    }
    this.checkPrecommittedReads(atMs);
    return { outputs, inputsCovered, uncovered };
  }

  private checkOutput(atMs: number, input: string, parsed: NonNullable<ReturnType<typeof parsePipelineOutputValue>>, committed: ReadonlyMap<string, number>, lossExcuse: string | null): void {
    const transaction = this.transactions.get(parsed.txn);
    const details = { input, txn: parsed.txn, outcome: transaction?.outcome ?? 'unknown' };
    if (transaction?.outcome === 'aborted') return this.report('aborted-read', atMs, null, `${transaction.node} aborted ${parsed.txn}, yet its output of ${input} is committed`, details);
    if (transaction !== undefined && !transaction.commitDecided) return this.report('zombie-write', atMs, null, `${parsed.txn} was never committed by ${transaction.node} (${transaction.outcome}), yet its output of ${input} is committed`, details);
    if (!(this.inputRead.get(parsed.inputPartition)?.has(parsed.inputOffset) ?? false)) {
      return this.report('pipeline-aborted-read', atMs, lossExcuse, `the output of ${input} is committed, but read_committed shows no input record there: the pipeline processed an aborted or missing record`, details);
    }
    const committedOffset = committed.get(parsed.inputPartition) ?? -1;
    if (parsed.inputOffset >= committedOffset) {
      this.report('pipeline-output-beyond-offsets', atMs, lossExcuse, `the output of ${input} is committed, but the group's committed offset of ${parsed.inputPartition} is ${committedOffset}`, { ...details, committedOffset });
    }
  }

  /**
   * The verdict at the end of the run: the history checks once every read is in, then liveness —
   * the reads arrived, and the pipeline caught up with its input. `healed`: the run reached its
   * liveness phase (a run stopped by a violation earlier is judged by that alone).
   * `excuses` holds what may excuse a liveness failure (PipelineLivenessExcuses).
   */
  finish(atMs: number, healed: boolean, lossExcuse: string | null, excuses: PipelineLivenessExcuses = {}): { violations: Violation[]; anomalies: AllowedAnomaly[]; summary: Record<string, unknown> } {
    const result = this.judge(atMs, healed, lossExcuse, excuses.hanging ?? (() => null));
    const clusterLoss = excuses.clusterMetadataLoss ?? null;
    // Like the kafka checker's own liveness: a cluster whose metadata is gone serves no reads.
    if (clusterLoss !== null && result.liveness.length > 0) this.findings.allow('cluster-metadata-lost', clusterLoss, result.liveness.length);
    const liveness = clusterLoss === null ? result.liveness : [];
    return { violations: [...this.findings.violations(), ...liveness], anomalies: this.findings.anomalies(), summary: result.summary };
  }

  private judge(atMs: number, healed: boolean, lossExcuse: string | null, hangingExcuse: (partition: string) => string | null): { liveness: Violation[]; summary: Record<string, unknown> } {
    const liveness: Violation[] = [];
    const missing = this.missingReads();
    let summary: Record<string, unknown> = { transactions: this.transactions.size, committed: [...this.transactions.values()].filter((t) => t.outcome === 'committed').length };
    if (healed && !this.findings.hasViolations && missing.length === 0) {
      const result = this.checkHistory(atMs, lossExcuse);
      summary = { ...summary, outputs: result.outputs, inputsCovered: result.inputsCovered };
      if (result.uncovered > 0 && lossExcuse === null && !this.findings.hasViolations) {
        liveness.push({ invariant: 'liveness/pipeline-caught-up', kind: 'liveness', atMs, message: `${result.uncovered} input record(s) visible at read_committed lie at or above the group's committed offsets by the end of the liveness phase: the pipeline did not catch up` });
      }
    } else if (healed && !this.findings.hasViolations) {
      const excuses = missing.map((read) => ({ read, excuse: hangingExcuse(read) }));
      if (excuses.every(({ excuse }) => excuse !== null)) {
        for (const { read, excuse } of excuses) {
          if (excuse !== null) this.findings.allow('hanging-transaction', excuse, 1, { subject: `the pipeline's final read of ${read} never completed`, rule: 'transaction-state-lost', faults: [] });
        }
      } else {
        liveness.push({ invariant: 'liveness/pipeline-final-read', kind: 'liveness', atMs, message: `the pipeline's final reads never completed: ${missing.join(', ')}` });
      }
    }
    return { liveness, summary: { pipeline: summary } };
  }

  /** The pipeline began a transaction on an input record whose producer had not yet decided to commit it. */
  private checkPrecommittedReads(atMs: number): void {
    for (const transaction of this.transactions.values()) {
      for (const [partition, offset, value] of transaction.inputs) {
        const inputTxn = value === null ? null : value.slice(0, value.lastIndexOf('-'));
        if (inputTxn === null || !this.inputTransactions.has(inputTxn)) continue;
        const decidedAtMs = this.inputTransactions.get(inputTxn) ?? null;
        if (decidedAtMs !== null && decidedAtMs <= transaction.beganAtMs) continue;
        const when = decidedAtMs === null ? 'whose producer never decided to commit it' : `whose producer decided to commit only at ${decidedAtMs} ms`;
        const markerLost = value === null ? null : this.markerLost(partition, offset, value);
        if (markerLost !== null) {
          this.findings.allow('precommitted-read', markerLost, 1, { subject: `${transaction.node} read ${partition}@${offset} (${value}) of ${inputTxn}`, rule: 'marker-lost', faults: [] });
          continue;
        }
        this.report('precommitted-read', atMs, null, `${transaction.node} read ${partition}@${offset} (${value}) at ${transaction.beganAtMs} ms, a record of ${inputTxn} ${when}`, { input: `${partition}@${offset}`, inputTxn, txn: transaction.txn, readAtMs: transaction.beganAtMs, decidedAtMs });
      }
    }
  }

  private report(anomaly: PipelineAnomaly, atMs: number, lossExcuse: string | null, message: string, details: Record<string, unknown>): void {
    if (lossExcuse !== null) return this.findings.allow(anomaly, lossExcuse);
    this.findings.violation(anomaly, atMs, message, details);
  }
}
