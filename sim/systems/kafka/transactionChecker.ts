/**
 * The checker's transaction part, for producer-only transactional workloads
 * (transactionalProducerNode.ts): what can be judged without consumers, from the producers'
 * history, the brokers' read_committed answers, and two final reads of every partition — one
 * read_uncommitted (`kafka.final-read`: everything in the log), one read_committed
 * (`kafka.final-read-committed`: what a consumer at read_committed hands its application).
 *
 * History checks at the end (Jepsen's names where they exist):
 * - aborted-read (G1a): a record of a transaction its producer aborted (abortTransaction
 *   succeeded) is visible at read_committed.
 * - zombie-write: a record of a transaction nobody decided to commit — its producer was fenced, or
 *   died, before calling commitTransaction — is visible at read_committed: a fenced producer's
 *   write took effect.
 * - torn-transaction: a transaction is visible in part: one of its records is visible at
 *   read_committed while another one, in the log (read_uncommitted), is not; or a committed
 *   transaction's record sits in the log but is hidden at read_committed. Records missing from the
 *   log altogether are the main checker's (lost-write, with the contract's excuses), not this one's.
 * Per-event invariants:
 * - ReadCommittedBelowLastStableOffset: a read_committed fetch never returns a record at or above
 *   the last stable offset it reports, and that offset never exceeds the high watermark (KAFKA-9807
 *   was a read above the LSO).
 * - LastStableOffsetMonotonic: within one leader epoch, the last stable offset handed to
 *   read_committed clients never goes back (a consumer's position would otherwise stand above
 *   records it may not read yet). Across leader changes it may, as the high watermark may: a new
 *   leader's high watermark is its own, lagging the old leader's until its followers fetch.
 * - MarkerNotBelowProducerEpoch: a transaction marker never lands in a partition with a producer
 *   epoch older than one the partition's leaders already took from that producer id: the marker
 *   belongs to a transaction its producer had already been fenced out of (Kafka's producer state
 *   refuses it, ProducerStateManager's checkProducerEpoch for control batches, KIP-98).
 *   Excused once a `__transaction_state` partition lost committed records: its coordinator may
 *   then hand an epoch out again.
 *
 * Liveness after heal (`liveness/transaction-ended`): every transaction a partition's leader took
 * data for gets its marker within a bound of the later of its first append and the heal —
 * transaction.timeout.ms (the coordinator aborts it then) + transaction.abort.timed.out.transaction.
 * cleanup.interval.ms (how often it looks) + MARKER_SLACK_MS (the PrepareAbort write, the markers,
 * their retries, in a cluster that has healed). A
 * transaction the run ends before that bound is not judged. Excused only for a transactional id
 * whose `__transaction_state` partition lost committed records: its coordinator forgot the
 * transaction, and Kafka needs an operator to abort it (KIP-664). The final read_committed read
 * judges the other half: the LSO must reach the high watermark.
 *
 * Left out (they need consumers): exactly-once for a read-process-write pipeline and precommitted
 * reads (pipelineChecker.ts).
 */
import { partitionForTransactionalId } from '../../../src/broker/transactionCoordinator.js';
import type { Findings } from '../../checker/findings.js';
import { transactionalIdOf } from './transactionalProducerNode.js';
import type { TraceRecord } from '../../world.js';

/** Each transaction check, with the one-line reason no configuration relaxes it (the guarantees report lists them). */
export const TRANSACTION_GUARANTEES = {
  'aborted-read': 'a read_committed reader never sees a record of an aborted transaction (G1a): the aborted-transaction index and the abort marker hide it',
  'zombie-write': 'a transaction its producer never committed (fenced, or dead first) never becomes visible: the epoch bump on InitProducerId or timeout fences it (KIP-98)',
  'torn-transaction': 'a transaction is visible whole or not at all: one decision, written once as PrepareCommit or PrepareAbort, sends the same marker to every partition',
  ReadCommittedBelowLastStableOffset: 'a read_committed fetch stops below the last stable offset, which never passes the high watermark (KAFKA-9807)',
  LastStableOffsetMonotonic: 'within a leader epoch, the last stable offset handed to read_committed readers never goes back',
  MarkerNotBelowProducerEpoch: 'a marker never lands with a producer epoch older than one the partition already took from that producer: a fenced transaction cannot be completed late',
  'liveness/transaction-ended':
    'after the heal, a transaction with data in a partition gets its marker within transaction.timeout.ms + transaction.abort.timed.out.transaction.cleanup.interval.ms + 5 s: the coordinator aborts what its producer left open (no hanging transaction, KIP-890)',
} as const;

/** What bounds how long a transaction may stay open once the cluster has healed. */
export interface TransactionEndBound {
  /** The producers' transaction.timeout.ms. */
  readonly transactionTimeoutMs: number;
  /** transaction.abort.timed.out.transaction.cleanup.interval.ms. */
  readonly abortTimedOutTransactionCleanupIntervalMs: number;
}

/** Time for the coordinator's PrepareAbort write, the markers and their retries, once it decided. */
export const MARKER_SLACK_MS = 5_000;

export function transactionEndBoundMs(bound: TransactionEndBound): number {
  return bound.transactionTimeoutMs + bound.abortTimedOutTransactionCleanupIntervalMs + MARKER_SLACK_MS;
}

/** A transaction a partition holds data of and no marker yet. */
interface OpenTransaction {
  readonly partition: string;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly firstAppendMs: number;
}

type TxnOutcome = 'committed' | 'aborted' | 'fenced' | 'open';

interface TransactionRecord {
  readonly txn: string;
  readonly client: string;
  commitDecided: boolean;
  outcome: TxnOutcome;
  readonly values: string[];
}

export class TransactionChecker {
  private readonly transactions = new Map<string, TransactionRecord>();
  private readonly txnOfValue = new Map<string, string>();
  /** Per partition key, the values each final read found. */
  private readonly inLog = new Map<string, ReadonlySet<string>>();
  private readonly visible = new Map<string, ReadonlySet<string>>();
  /** Value → where the read_committed final read found it (`partition`, offset). */
  private readonly visibleAt = new Map<string, readonly [string, number]>();
  /** Per `node|__transaction_state-N`, the highest high watermark that replica reached. */
  private readonly stateHighWatermarks = new Map<string, number>();
  /** Replicas of `__transaction_state` that came back from a restart without records they had committed. */
  private readonly transactionStateLosses: string[] = [];
  /** When each `__transaction_state` partition first lost committed records on some replica. */
  private readonly stateLostAtMs = new Map<number, number>();
  /** Per `partition|leaderEpoch`, the highest last stable offset a read_committed fetch was handed. */
  private readonly clientLastStableOffsets = new Map<string, number>();
  /** Per `partition|producerId`, the highest producer epoch a leader appended a batch or marker with. */
  private readonly appendedProducerEpochs = new Map<string, number>();
  /** Per `partition|producerId`, the transaction whose data a leader appended and no marker has closed. */
  private readonly openTransactions = new Map<string, OpenTransaction>();
  /** Each producer id's transactional id, from the coordinators' state changes. */
  private readonly transactionalIdOfProducer = new Map<number, string>();

  constructor(
    private readonly findings: Findings,
    /** transaction.state.log.num.partitions, to tell which partition holds a producer's transactional id. */
    private readonly transactionStatePartitions = 5,
    /** How long a transaction may stay open after the heal; null: not judged. */
    private readonly endBound: TransactionEndBound | null = null,
  ) {}

  /**
   * Had the `__transaction_state` partition of this producer's transactional id lost committed
   * records before `atMs`? Its coordinator may then hand out a producer epoch again, and a
   * partition takes the new batch for a duplicate of the old one with the same epoch and sequence.
   */
  stateLostBefore(client: string, atMs: number): boolean {
    const lostAtMs = this.stateLostAtMs.get(partitionForTransactionalId(transactionalIdOf(client), this.transactionStatePartitions));
    return lostAtMs !== undefined && lostAtMs <= atMs;
  }

  /** The committed records lost by the `__transaction_state` partition that holds this transactional id (empty: none). */
  stateLossesOf(transactionalId: string): string[] {
    const partition = partitionForTransactionalId(transactionalId, this.transactionStatePartitions);
    return this.transactionStateLosses.filter((loss) => loss.includes(`__transaction_state-${partition} `));
  }

  observe(record: TraceRecord): void {
    const event = record.event;
    switch (event.type) {
      case 'workload.txn-begin': {
        const txn = String(event['txn']);
        this.transactions.set(txn, { txn, client: record.node, commitDecided: false, outcome: 'open', values: [] });
        return;
      }
      case 'op.invoke': {
        if (typeof event['txn'] !== 'string') return;
        const value = String(event['value']);
        this.transactions.get(event['txn'])?.values.push(value);
        this.txnOfValue.set(value, event['txn']);
        return;
      }
      case 'workload.txn-commit': {
        const transaction = this.transactions.get(String(event['txn']));
        if (transaction !== undefined) transaction.commitDecided = true;
        return;
      }
      case 'workload.txn-end': {
        const transaction = this.transactions.get(String(event['txn']));
        if (transaction !== undefined) transaction.outcome = event['outcome'] as TxnOutcome;
        return;
      }
      case 'partition.read':
        return this.onRead(record);
      case 'partition.append':
        this.trackOpenTransaction(record);
        return this.onLeaderAppend(record);
      case 'txn.state':
        if (typeof event['producerId'] === 'number') this.transactionalIdOfProducer.set(event['producerId'], String(event['transactionalId']));
        return;
      case 'partition.hw':
      case 'partition.recovered':
        return this.onTransactionStateReplica(record);
      case 'kafka.final-read':
        return this.onFinalRead(this.inLog, record);
      case 'kafka.final-read-committed':
        this.onVisibleRead(record);
        return this.onFinalRead(this.visible, record);
      default:
        return;
    }
  }

  private onFinalRead(into: Map<string, ReadonlySet<string>>, record: TraceRecord): void {
    const key = `${String(record.event['topic'])}-${String(record.event['partition'])}`;
    const records = record.event['records'] as ReadonlyArray<readonly [number, string | null]>;
    into.set(key, new Set(records.map(([, value]) => value).filter((value): value is string => value !== null)));
  }

  private onVisibleRead(record: TraceRecord): void {
    const key = `${String(record.event['topic'])}-${String(record.event['partition'])}`;
    for (const [offset, value] of record.event['records'] as ReadonlyArray<readonly [number, string | null]>) if (value !== null) this.visibleAt.set(value, [key, offset]);
  }

  /**
   * A `__transaction_state` replica that recovers with less than its high watermark covered lost
   * committed coordinator records (a flipped bit, a power loss, a lost disk); if it leads next, the
   * coordinator loads an older state of its transactional ids, and the partitions of a transaction
   * it forgot never get their markers. Kafka cannot recover from that by itself either (an operator
   * aborts the hanging transaction, KIP-664).
   */
  private onTransactionStateReplica(record: TraceRecord): void {
    const event = record.event;
    if (event['topic'] !== '__transaction_state') return;
    const key = `${record.node}|__transaction_state-${String(event['partition'])}`;
    if (event.type === 'partition.hw') {
      this.stateHighWatermarks.set(key, Math.max(this.stateHighWatermarks.get(key) ?? 0, event['highWatermark'] as number));
      return;
    }
    const reached = this.stateHighWatermarks.get(key) ?? 0;
    if ((event['logEndOffset'] as number) >= reached) return;
    this.transactionStateLosses.push(`${key.replace('|', ' lost ')} below offset ${reached} at ${record.atMs} ms`);
    const partition = event['partition'] as number;
    if (!this.stateLostAtMs.has(partition)) this.stateLostAtMs.set(partition, record.atMs);
  }

  private onRead(record: TraceRecord): void {
    const event = record.event;
    if (event['isolationLevel'] !== 'read_committed') return;
    const lastStableOffset = event['lastStableOffset'] as number;
    const endOffset = event['endOffset'] as number;
    const highWatermark = event['highWatermark'] as number;
    const fetchOffset = event['fetchOffset'] as number;
    const partition = `${String(event['topic'])}-${String(event['partition'])}`;
    // A fetch from above the LSO that returns nothing breaks no promise: a consumer's position may
    // lie above a new leader's LSO, whose high watermark still lags the old leader's (found by
    // kafka-eos-pipeline-swarm seed 87). Only records returned at or above the LSO count.
    const returnedAboveLastStableOffset = endOffset > fetchOffset && endOffset > lastStableOffset;
    if (returnedAboveLastStableOffset || lastStableOffset > highWatermark) {
      this.findings.violation(
        'ReadCommittedBelowLastStableOffset',
        record.atMs,
        `${record.node} answered a read_committed fetch of ${partition} up to offset ${endOffset} with last stable offset ${lastStableOffset} and high watermark ${highWatermark}`,
        { partition, endOffset, lastStableOffset, highWatermark, broker: record.node },
      );
    }
    this.checkLastStableOffsetMonotonic(record, partition, lastStableOffset);
  }

  private checkLastStableOffsetMonotonic(record: TraceRecord, partition: string, lastStableOffset: number): void {
    const leaderEpoch = record.event['leaderEpoch'] as number;
    const key = `${partition}|${leaderEpoch}`;
    const highest = this.clientLastStableOffsets.get(key) ?? -1;
    this.clientLastStableOffsets.set(key, Math.max(highest, lastStableOffset));
    if (lastStableOffset >= highest) return;
    this.findings.violation(
      'LastStableOffsetMonotonic',
      record.atMs,
      `${record.node} handed a read_committed client ${partition}'s last stable offset ${lastStableOffset} in leader epoch ${leaderEpoch}, after ${highest} in the same epoch`,
      { partition, broker: record.node, leaderEpoch, lastStableOffset, earlier: highest },
    );
  }

  /** At a leader's append of a producer's transactional batch or marker: its epoch is not older than the producer id's latest there. */
  private onLeaderAppend(record: TraceRecord): void {
    const event = record.event;
    if (event['role'] !== 'leader' || typeof event['producerId'] !== 'number') return;
    const partition = `${String(event['topic'])}-${String(event['partition'])}`;
    const producerEpoch = event['producerEpoch'] as number;
    const key = `${partition}|${event['producerId']}`;
    const highest = this.appendedProducerEpochs.get(key) ?? -1;
    this.appendedProducerEpochs.set(key, Math.max(highest, producerEpoch));
    if (event['control'] !== true || producerEpoch >= highest || this.anyStateLostBefore(record.atMs)) return;
    this.findings.violation(
      'MarkerNotBelowProducerEpoch',
      record.atMs,
      `${record.node} wrote a ${String(event['marker'])} marker into ${partition} for producer ${String(event['producerId'])} with epoch ${producerEpoch}, after that producer appended there with epoch ${highest}`,
      { partition, broker: record.node, producerId: event['producerId'], producerEpoch, laterEpoch: highest, marker: event['marker'] },
    );
  }

  /** A leader's transactional append opens the producer's transaction on the partition; its marker closes it. */
  private trackOpenTransaction(record: TraceRecord): void {
    const event = record.event;
    if (event['role'] !== 'leader' || typeof event['producerId'] !== 'number') return;
    const partition = `${String(event['topic'])}-${String(event['partition'])}`;
    const key = `${partition}|${event['producerId']}`;
    if (event['control'] === true) {
      this.openTransactions.delete(key);
      return;
    }
    if (event['transactional'] !== true || this.openTransactions.has(key)) return;
    this.openTransactions.set(key, { partition, producerId: event['producerId'], producerEpoch: event['producerEpoch'] as number, firstAppendMs: record.atMs });
  }

  /**
   * Liveness after heal: transactions still without a marker at `atMs` whose bound has passed
   * (`liveness/transaction-ended`), and the reasons excusing the others — their coordinator's
   * `__transaction_state` partition lost committed records.
   */
  unendedTransactions(healAtMs: number, atMs: number): { failures: string[]; excused: string[] } {
    const failures: string[] = [];
    const excused: string[] = [];
    if (this.endBound === null) return { failures, excused };
    const boundMs = transactionEndBoundMs(this.endBound);
    for (const open of this.openTransactions.values()) {
      const deadlineMs = Math.max(open.firstAppendMs, healAtMs) + boundMs;
      if (deadlineMs > atMs) continue;
      const transactionalId = this.transactionalIdOfProducer.get(open.producerId);
      const owner = transactionalId === undefined ? `producer ${open.producerId}` : `${transactionalId} (producer ${open.producerId})`;
      const description = `${open.partition} holds ${owner}'s transaction from epoch ${open.producerEpoch}, open since ${open.firstAppendMs} ms, with no marker at ${atMs} ms`;
      const statePartition = transactionalId === undefined ? null : partitionForTransactionalId(transactionalId, this.transactionStatePartitions);
      if (statePartition !== null && this.stateLostAtMs.has(statePartition)) {
        excused.push(`${description}: __transaction_state-${statePartition}, which holds ${transactionalId}, lost committed coordinator records`);
        continue;
      }
      failures.push(
        `${description}; after the heal at ${healAtMs} ms it should have ended by ${deadlineMs} ms (transaction.timeout.ms ${this.endBound.transactionTimeoutMs} + ` +
          `transaction.abort.timed.out.transaction.cleanup.interval.ms ${this.endBound.abortTimedOutTransactionCleanupIntervalMs} + ${MARKER_SLACK_MS} ms for the markers): a hanging transaction`,
      );
    }
    return { failures, excused };
  }

  private anyStateLostBefore(atMs: number): boolean {
    for (const lostAtMs of this.stateLostAtMs.values()) if (lostAtMs <= atMs) return true;
    return false;
  }

  /**
   * A transaction's records hidden only on partitions that lost committed records as the contract
   * allows: their COMMIT marker may be what was lost (the last replica standing came back without
   * it), and read_committed then no longer shows them (kafka-eos-pipeline-swarm seed 271: the
   * markers at events-2@1 and @3 lost with b1). Excused on those partitions only.
   */
  private excusedByLostMarkers(txn: string, hidden: readonly string[], message: string, lossAllowedOn: (partition: string) => boolean): boolean {
    const partitions = [...this.inLog.entries()].filter(([, values]) => hidden.some((value) => values.has(value))).map(([partition]) => partition);
    if (partitions.length === 0 || !partitions.every(lossAllowedOn)) return false;
    this.findings.allow('torn-transaction', `${partitions.join(', ')} lost committed records as the producer contract allows: ${txn}'s marker there may be among them`, 1, { subject: message, rule: 'marker-lost', faults: [] });
    return true;
  }

  /**
   * A never-committed transaction's visible records, each of whose closing marker was lost as the
   * contract allows (lostMarkers.ts; kafka-eos-pipeline-swarm seed 602): excused record by record,
   * rule `marker-lost`; one record without such an excuse leaves the violation standing.
   */
  private excusedByLostMarker(anomaly: 'aborted-read' | 'zombie-write', seen: readonly string[], message: string, markerLost: MarkerLossExcuse): boolean {
    const reasons: string[] = [];
    for (const value of seen) {
      const place = this.visibleAt.get(value);
      const reason = place === undefined ? null : markerLost(place[0], place[1], value);
      if (reason === null) return false;
      reasons.push(reason);
    }
    this.findings.allow(anomaly, reasons.join('; '), 1, { subject: message, rule: 'marker-lost', faults: [] });
    return true;
  }

  /**
   * The end-of-run checks; call once every final read is in. `lossAllowedOn` says whether a
   * partition lost committed records as the producer contract allows (its markers among them).
   */
  checkHistory(atMs: number, lossAllowedOn: (partition: string) => boolean = () => false, markerLost: MarkerLossExcuse = () => null): void {
    const visible = union(this.visible);
    const inLog = union(this.inLog);
    for (const transaction of this.transactions.values()) {
      const seen = transaction.values.filter((value) => visible.has(value));
      const hidden = transaction.values.filter((value) => inLog.has(value) && !visible.has(value));
      const details = { txn: transaction.txn, client: transaction.client, outcome: transaction.outcome, visible: seen, hidden };
      if (seen.length > 0 && transaction.outcome === 'aborted') {
        const message = `${transaction.client} aborted ${transaction.txn}, yet read_committed sees ${describe(seen)}`;
        if (!this.excusedByLostMarker('aborted-read', seen, message, markerLost)) this.findings.violation('aborted-read', atMs, message, details);
        continue;
      }
      if (seen.length > 0 && !transaction.commitDecided) {
        const message = `${transaction.txn} was never committed by its producer (${transaction.outcome}), yet read_committed sees ${describe(seen)}`;
        if (!this.excusedByLostMarker('zombie-write', seen, message, markerLost)) this.findings.violation('zombie-write', atMs, message, details);
        continue;
      }
      if (hidden.length > 0 && (seen.length > 0 || transaction.outcome === 'committed')) {
        const message = `${transaction.txn} (${transaction.outcome}) is visible in part: ${describe(seen)} at read_committed, but ${describe(hidden)} only in the log`;
        // A coordinator that reloads its partition without the PrepareCommit it had written
        // (committed records lost with the last replica standing) forgets the decision and aborts
        // the transaction when it times out: the loss the contract allows, on that partition only.
        const statePartition = partitionForTransactionalId(transactionalIdOf(transaction.client), this.transactionStatePartitions);
        if (this.stateLostAtMs.has(statePartition)) {
          const losses = this.stateLossesOf(transactionalIdOf(transaction.client));
          this.findings.allow('torn-transaction', `__transaction_state-${statePartition}, which holds ${transactionalIdOf(transaction.client)}, lost committed coordinator records (${losses.join('; ')}): a coordinator that reloads it without the transaction's decision aborts it on timeout`, 1, {
            subject: message,
            rule: 'transaction-state-lost',
            faults: [],
          });
        } else if (!this.excusedByLostMarkers(transaction.txn, hidden, message, lossAllowedOn)) {
          this.findings.violation('torn-transaction', atMs, message, details);
        }
      }
    }
  }
}

/** Why a never-committed record `value` at `partition@offset` may be visible (its closing marker lost as allowed), or null. */
export type MarkerLossExcuse = (partition: string, offset: number, value: string) => string | null;

function union(reads: Map<string, ReadonlySet<string>>): Set<string> {
  const all = new Set<string>();
  for (const values of reads.values()) for (const value of values) all.add(value);
  return all;
}

function describe(values: readonly string[]): string {
  if (values.length === 0) return 'nothing';
  return values.length <= 3 ? values.map((value) => JSON.stringify(value)).join(', ') : `${values.slice(0, 3).map((value) => JSON.stringify(value)).join(', ')} … (${values.length})`;
}
