/**
 * A transactional producer application for scenarios (producer-only: no consumer feeds it): it
 * runs transactions one after another, each of `recordsPerTransaction` records sent `intervalMs`
 * apart, then commits it, or (with probability `abortProbability`, drawn from the node's random
 * stream) aborts it, until its clock reaches `stopAtMs`.
 *
 * Its transactional.id is `txn-<node id>`, the same in every incarnation: a restarted producer
 * fences the one before it (InitProducerId bumps the epoch and aborts what it left open). A
 * producer told it is fenced (a fatal error) does what Kafka's documentation asks — close the
 * producer — and then starts a new one with the same transactional.id after RESTART_AFTER_FATAL_MS,
 * as an application supervisor would; an abortable error aborts the transaction; a timeout retries
 * the same call.
 *
 * History (trace events), beside the per-record `op.*` of a send (as producerNode.ts, each with a
 * `txn` field naming its transaction):
 *   {type:'workload.txn-begin', txn, transactionalId}
 *   {type:'workload.txn-commit', txn}       the application decided to commit (EndTxn may follow)
 *   {type:'workload.txn-end', txn, outcome} outcome: 'committed' (commitTransaction succeeded),
 *       'aborted' (abortTransaction succeeded), 'fenced' (a fatal error: the producer is closed; the
 *       transaction is aborted by whoever fenced it unless its commit was already decided).
 * A transaction still open when the node crashes has no txn-end.
 *
 * Invariants: one transaction at a time per node; txn ids are unique (incarnation and counter).
 */
import type { DiskCompletion, Host, NodeFactory, NodeId, ProtocolNode, TimerId, TrafficClass } from '../../../src/host.js';
import { parseProducerConfig, type ProducerConfig } from '../../../src/client/config.js';
import { Producer } from '../../../src/client/producer.js';
import type { TransactionOutcome } from '../../../src/client/transactions.js';
import { REQUEST_ID_STRIDE, sendWithHistory } from './producerNode.js';

export interface TransactionalWorkload {
  readonly intervalMs: number;
  readonly recordsPerTransaction: number;
  /** The chance that the application aborts a transaction instead of committing it. */
  readonly abortProbability: number;
  readonly stopAtMs: number;
}

export interface TransactionalProducerNodeOptions {
  readonly bootstrapBrokers: readonly NodeId[];
  readonly topic: string;
  readonly config: Readonly<Record<string, unknown>>;
  readonly workload: TransactionalWorkload;
}

const STEP_TIMER = 'txnProducer.step';
/** How long a supervisor waits before starting a new producer after a fatal error. */
const RESTART_AFTER_FATAL_MS = 1_000;
/** How long before a call that timed out (retriable) is made again. */
const RETRY_MS = 200;

export function transactionalIdOf(node: NodeId): string {
  return `txn-${node}`;
}

export function createTransactionalProducerNode(options: TransactionalProducerNodeOptions): NodeFactory<unknown> {
  const { recordsPerTransaction, abortProbability, intervalMs } = options.workload;
  if (!Number.isSafeInteger(recordsPerTransaction) || recordsPerTransaction <= 0) throw new Error(`createTransactionalProducerNode: recordsPerTransaction must be a positive integer, got ${recordsPerTransaction}`);
  if (!(abortProbability >= 0 && abortProbability <= 1)) throw new Error(`createTransactionalProducerNode: abortProbability must be within [0, 1], got ${abortProbability}`);
  if (!Number.isSafeInteger(intervalMs) || intervalMs <= 0) throw new Error(`createTransactionalProducerNode: intervalMs must be a positive integer, got ${intervalMs}`);
  return (host) => {
    const parsed = parseProducerConfig({ ...options.config, 'transactional.id': transactionalIdOf(host.nodeId) });
    if (!parsed.ok) throw new Error(`createTransactionalProducerNode: ${parsed.errors.join('; ')}`);
    return new TransactionalProducerNode(host, options, parsed.config);
  };
}

type Phase =
  | { readonly kind: 'initializing' }
  | { readonly kind: 'sending'; readonly txn: string; sent: number }
  | { readonly kind: 'committing'; readonly txn: string }
  | { readonly kind: 'aborting'; readonly txn: string }
  | { readonly kind: 'closed' }
  | { readonly kind: 'done' };

export class TransactionalProducerNode implements ProtocolNode<unknown> {
  private producer: Producer;
  /** Producers started in this incarnation: a fatal error closes one and starts the next. */
  private generation = 0;
  private phase: Phase = { kind: 'initializing' };
  private transactions = 0;
  private requests = 0;
  private stepTimer: TimerId | null = null;

  constructor(
    private readonly host: Host<unknown>,
    private readonly options: TransactionalProducerNodeOptions,
    private readonly config: ProducerConfig,
  ) {
    this.producer = this.newProducer();
  }

  private newProducer(): Producer {
    this.generation++;
    return new Producer(this.host, { bootstrapBrokers: this.options.bootstrapBrokers, config: this.config });
  }

  onStart(): void {
    this.producer.handleStart();
    this.initTransactions();
  }

  onMessage(from: NodeId, message: unknown, _trafficClass: TrafficClass): void {
    this.producer.handleMessage(from, message);
  }

  onTimer(tag: string, id: TimerId): void {
    if (this.producer.handleTimer(tag, id)) return;
    if (tag !== STEP_TIMER || id !== this.stepTimer) return;
    this.stepTimer = null;
    this.step();
  }

  onDiskComplete(completion: DiskCompletion): void {
    throw new Error(`TransactionalProducerNode: unexpected disk completion ${completion.opId}`);
  }

  onDisconnect(peer: NodeId, _trafficClass: TrafficClass): void {
    this.producer.handleDisconnect(peer);
  }

  private schedule(delayMs: number): void {
    if (this.stepTimer !== null) this.host.cancelTimer(this.stepTimer);
    this.stepTimer = this.host.setTimer(Math.max(1, delayMs), STEP_TIMER);
  }

  /** What the application does next, in its current phase. */
  private step(): void {
    const phase = this.phase;
    switch (phase.kind) {
      case 'initializing':
        return this.initTransactions();
      case 'sending':
        if (phase.sent < this.options.workload.recordsPerTransaction) return this.sendNext(phase);
        return this.endTransaction(phase.txn);
      case 'committing':
        return this.commit(phase.txn);
      case 'aborting':
        return this.abort(phase.txn);
      case 'closed':
        // The supervisor starts a new producer with the same transactional.id.
        this.producer = this.newProducer();
        this.producer.handleStart();
        this.phase = { kind: 'initializing' };
        return this.initTransactions();
      case 'done':
        return;
      default: {
        const unreachable: never = phase;
        throw new Error(`unknown phase ${String(unreachable)}`);
      }
    }
  }

  private initTransactions(): void {
    const producer = this.producer;
    producer.initTransactions((outcome) => {
      if (producer !== this.producer) return;
      if (outcome.ok) return this.beginTransaction();
      if (outcome.errorClass === 'fatal') return this.close(null);
      this.schedule(RETRY_MS);
    });
  }

  private beginTransaction(): void {
    if (this.host.nowMs() >= this.options.workload.stopAtMs) {
      this.phase = { kind: 'done' };
      return;
    }
    const txn = `${this.host.nodeId}-${this.host.incarnation}-g${this.generation}-t${this.transactions++}`;
    this.producer.beginTransaction();
    this.phase = { kind: 'sending', txn, sent: 0 };
    this.host.trace({ type: 'workload.txn-begin', txn, transactionalId: transactionalIdOf(this.host.nodeId) });
    this.step();
  }

  private sendNext(phase: Extract<Phase, { kind: 'sending' }>): void {
    const index = phase.sent++;
    const requestId = this.host.incarnation * REQUEST_ID_STRIDE + this.requests++;
    const value = `${phase.txn}-${index}`;
    sendWithHistory(this.host, this.producer, this.options.topic, { requestId, key: null, value, extra: { txn: phase.txn } });
    const half = Math.floor(this.options.workload.intervalMs / 2);
    this.schedule(this.host.random.nextInt(this.options.workload.intervalMs - half, this.options.workload.intervalMs + half + 1));
  }

  private endTransaction(txn: string): void {
    if (this.host.random.chance(this.options.workload.abortProbability)) return this.abort(txn);
    this.host.trace({ type: 'workload.txn-commit', txn });
    this.commit(txn);
  }

  private commit(txn: string): void {
    this.phase = { kind: 'committing', txn };
    const producer = this.producer;
    producer.commitTransaction((outcome) => {
      if (producer !== this.producer) return;
      this.afterEnd(txn, outcome, 'committed');
    });
  }

  private abort(txn: string): void {
    this.phase = { kind: 'aborting', txn };
    const producer = this.producer;
    producer.abortTransaction((outcome) => {
      if (producer !== this.producer) return;
      this.afterEnd(txn, outcome, 'aborted');
    });
  }

  private afterEnd(txn: string, outcome: TransactionOutcome, success: 'committed' | 'aborted'): void {
    if (outcome.ok) {
      this.host.trace({ type: 'workload.txn-end', txn, outcome: success });
      return this.beginTransaction();
    }
    switch (outcome.errorClass) {
      case 'fatal':
        return this.close(txn);
      case 'abortable':
        return this.abort(txn);
      case 'retriable':
        // A timeout: the same call again, a little later.
        this.schedule(RETRY_MS);
        return;
      default: {
        const unreachable: never = outcome.errorClass;
        throw new Error(`unknown error class ${String(unreachable)}`);
      }
    }
  }

  /** A fatal error: the producer is closed, its transaction left to whoever fenced it. */
  private close(txn: string | null): void {
    if (txn !== null) this.host.trace({ type: 'workload.txn-end', txn, outcome: 'fenced' });
    this.phase = { kind: 'closed' };
    this.schedule(RESTART_AFTER_FATAL_MS);
  }
}
