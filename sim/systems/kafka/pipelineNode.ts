/**
 * A read-process-write application for scenarios: Kafka's exactly-once pipeline (KIP-98, KIP-447).
 * One instance is one process with a Consumer and a transactional Producer. The consumer is a
 * member of the pipeline's group, subscribed to the input topic with isolation.level=read_committed
 * and enable.auto.commit=false; the producer's transactional.id is `eos-<node id>`, the same in
 * every incarnation, so a restarted instance fences the one before it.
 *
 * The loop, as Kafka's documentation writes it:
 *   poll → beginTransaction → send one output record per input record (the transformation) →
 *   sendOffsetsToTransaction(the next offsets, consumer.groupMetadata() as the poll left it) →
 *   commitTransaction → poll.
 * Each output record's value names its input (`<topic-partition>@<offset>|<txn>`), so the checker
 * can join outputs to inputs (pipelineChecker.ts).
 *
 * What the application does with each class of error (TransactionOutcome):
 * - retriable (a call timed out): the same call again, a little later;
 * - abortable (a send failed, or the consumer was fenced from its group: KIP-447's
 *   ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID): abortTransaction, then seek every
 *   partition of the aborted transaction that it still owns back to where the transaction began
 *   (Kafka's resetToLastCommittedPositions), and poll again;
 * - fatal (the producer was fenced: another instance, or its own restart, has its transactional.id,
 *   or the coordinator aborted its transaction after transaction.timeout.ms): close the producer and
 *   the consumer, and start both again after RESTART_AFTER_FATAL_MS, as a supervisor would.
 *
 * History (trace events; partitions keyed `topic-partition`):
 *   {type:'pipeline.txn-begin', txn, transactionalId, group, generation, memberId, inputs: [[partition, offset, value]]}
 *   {type:'pipeline.txn-commit', txn}                 the application decided to commit
 *   {type:'pipeline.txn-end', txn, outcome}           'committed' | 'aborted' | 'fenced'
 * A transaction open at a crash has no txn-end.
 *
 * The consumer and the producer share the node's network identity; each client's correlation ids
 * are offset into a range of its own, per client and per generation of clients (a restart after a
 * fatal error makes new ones), so each response finds the client that asked and a late answer to a
 * closed client is dropped (in Kafka they are separate connections).
 *
 * Invariants: one transaction at a time; no poll while a transaction is open; txn ids are unique
 * (incarnation, generation, counter).
 */
import { Consumer, type PollResult } from '../../../src/client/consumer.js';
import { parseConsumerConfig, type ConsumerConfig } from '../../../src/client/consumerConfig.js';
import { errorNameOf, type ConsumerRecord } from '../../../src/client/consumerRecord.js';
import { parseProducerConfig, type ProducerConfig } from '../../../src/client/config.js';
import { Producer } from '../../../src/client/producer.js';
import type { ConsumerGroupMetadata, TransactionalOffset, TransactionOutcome } from '../../../src/client/transactions.js';
import type { DiskCompletion, Host, NodeFactory, NodeId, ProtocolNode, TimerId, TrafficClass } from '../../../src/host.js';
import { topicPartitionKey } from '../../../src/protocol/apis.js';

export interface PipelineWorkload {
  readonly inputTopic: string;
  readonly outputTopic: string;
  readonly pollTimeoutMs: number;
  /** Processing time per record, between the poll and the sends. */
  readonly processingMs: number;
  /** The instance stops starting transactions, and closes, once its clock reaches this time. */
  readonly stopAtMs: number;
}

export interface PipelineNodeOptions {
  readonly bootstrapBrokers: readonly NodeId[];
  /** Kafka's consumer configs (group.id and group.protocol included); read_committed and manual commits are the pipeline's. */
  readonly consumerConfig: Readonly<Record<string, unknown>>;
  /** Kafka's producer configs; transactional.id is the pipeline's. */
  readonly producerConfig: Readonly<Record<string, unknown>>;
  readonly workload: PipelineWorkload;
}

const STEP_TIMER = 'pipeline.step';
/** Tag prefix of the timer that tells a client its shared connection to a peer was closed by the other client (`pipeline.closed-by-consumer/b2`). */
const CLOSED_TIMER = 'pipeline.closed-by-';
const RESTART_AFTER_FATAL_MS = 1_000;
const RETRY_MS = 200;
/** Correlation ids: a range of CORRELATION_RANGE per generation; the producer's ranges start at PRODUCER_CORRELATION_BASE. */
const CORRELATION_RANGE = 10_000_000;
const PRODUCER_CORRELATION_BASE = 1_000_000_000;

export function pipelineTransactionalIdOf(node: NodeId): string {
  return `eos-${node}`;
}

/** An output record's value: the input it was made from, and the transaction that wrote it. */
export function pipelineOutputValue(inputPartition: string, inputOffset: number, txn: string): string {
  return `${inputPartition}@${inputOffset}|${txn}`;
}

/** Parses pipelineOutputValue; null for anything else. */
export function parsePipelineOutputValue(value: string | null): { readonly inputPartition: string; readonly inputOffset: number; readonly txn: string } | null {
  const match = value === null ? null : /^(.+)@(\d+)\|(.+)$/.exec(value);
  if (match === null) return null;
  return { inputPartition: match[1]!, inputOffset: Number(match[2]), txn: match[3]! };
}

/** The consumer and producer configs an instance runs with, or the reasons they are invalid. */
export function pipelineConfigs(options: Pick<PipelineNodeOptions, 'consumerConfig' | 'producerConfig'>, nodeId: NodeId): { ok: true; consumer: ConsumerConfig; producer: ProducerConfig } | { ok: false; errors: string[] } {
  const consumer = parseConsumerConfig({ ...options.consumerConfig, 'isolation.level': 'read_committed', 'enable.auto.commit': false });
  const producer = parseProducerConfig({ ...options.producerConfig, 'transactional.id': pipelineTransactionalIdOf(nodeId) });
  const errors = [...(consumer.ok ? [] : consumer.errors), ...(producer.ok ? [] : producer.errors)];
  if (!consumer.ok || !producer.ok) return { ok: false, errors };
  return { ok: true, consumer: consumer.config, producer: producer.config };
}

export function createPipelineNode(options: PipelineNodeOptions): NodeFactory<unknown> {
  const { pollTimeoutMs, processingMs } = options.workload;
  if (!Number.isSafeInteger(pollTimeoutMs) || pollTimeoutMs <= 0) throw new Error(`createPipelineNode: pollTimeoutMs must be a positive integer, got ${pollTimeoutMs}`);
  if (!Number.isSafeInteger(processingMs) || processingMs < 0) throw new Error(`createPipelineNode: processingMs must be an integer ≥ 0, got ${processingMs}`);
  const checked = pipelineConfigs(options, 'e1');
  if (!checked.ok) throw new Error(`createPipelineNode: ${checked.errors.join('; ')}`);
  return (host) => {
    const configs = pipelineConfigs(options, host.nodeId);
    if (!configs.ok) throw new Error(`createPipelineNode: ${configs.errors.join('; ')}`);
    return new PipelineNode(host, options, configs.consumer, configs.producer);
  };
}

/**
 * The node's host as one of its clients sees it: the same, with its correlation ids moved up by
 * `base`. A client that closes its connection to a peer closes the node's one connection, which
 * the other client shares: `onClosed` tells the node, so the other client learns of it too.
 */
function clientConnectionHost(host: Host<unknown>, base: number, onClosed: (peer: NodeId) => void): Host<unknown> {
  return {
    nodeId: host.nodeId,
    incarnation: host.incarnation,
    disk: host.disk,
    random: host.random,
    nowMs: () => host.nowMs(),
    send: (to, message, trafficClass) => {
      const request = message as { correlationId: number };
      host.send(to, { ...request, correlationId: request.correlationId + base }, trafficClass);
    },
    disconnect: (peer) => {
      host.disconnect(peer);
      onClosed(peer);
    },
    setTimer: (delayMs, tag) => host.setTimer(delayMs, tag),
    cancelTimer: (id) => host.cancelTimer(id),
    trace: (event) => host.trace(event),
    halt: (reason) => host.halt(reason),
  };
}

/** A transaction in progress: its inputs, and where each of their partitions stood when it began. */
interface OpenTransaction {
  readonly txn: string;
  readonly records: readonly ConsumerRecord[];
  /** topic-partition → the first input offset of the transaction (the position before the poll). */
  readonly startPositions: ReadonlyMap<string, { readonly topic: string; readonly partition: number; readonly offset: number }>;
  /** The consumer's group metadata when the poll returned the inputs: the generation they were fetched under. */
  readonly groupMetadata: ConsumerGroupMetadata;
}

type Phase =
  | { readonly kind: 'initializing' }
  | { readonly kind: 'polling' }
  | { readonly kind: 'processing'; readonly open: OpenTransaction }
  | { readonly kind: 'sending-offsets'; readonly open: OpenTransaction }
  | { readonly kind: 'committing'; readonly open: OpenTransaction }
  | { readonly kind: 'aborting'; readonly open: OpenTransaction }
  | { readonly kind: 'closed' }
  | { readonly kind: 'done' };

export class PipelineNode implements ProtocolNode<unknown> {
  private consumer: Consumer;
  private producer: Producer;
  private generation = 0;
  private transactions = 0;
  private phase: Phase = { kind: 'initializing' };
  private stepTimer: TimerId | null = null;

  constructor(
    private readonly host: Host<unknown>,
    private readonly options: PipelineNodeOptions,
    private readonly consumerConfig: ConsumerConfig,
    private readonly producerConfig: ProducerConfig,
  ) {
    [this.consumer, this.producer] = this.newClients();
  }

  private newClients(): [Consumer, Producer] {
    this.generation++;
    // Closing the shared connection drops the other client's answers in flight on it; that client
    // hears of it as of any broken connection (in Kafka each client has its own connection, and a
    // consumer closing its coordinator's would not touch the producer's, whose answers were lost
    // here without a word: kafka-eos-pipeline-swarm seed 42). Told by a timer, not from within the
    // closing client's own call.
    const closedBy = (client: 'consumer' | 'producer') => (peer: NodeId) => void this.host.setTimer(0, `${CLOSED_TIMER}${client}/${peer}`);
    const consumer = new Consumer(clientConnectionHost(this.host, this.generation * CORRELATION_RANGE, closedBy('consumer')), { bootstrapBrokers: this.options.bootstrapBrokers, config: this.consumerConfig });
    const producer = new Producer(clientConnectionHost(this.host, PRODUCER_CORRELATION_BASE + this.generation * CORRELATION_RANGE, closedBy('producer')), {
      bootstrapBrokers: this.options.bootstrapBrokers,
      config: this.producerConfig,
    });
    return [consumer, producer];
  }

  onStart(): void {
    this.startClients();
  }

  private startClients(): void {
    this.consumer.handleStart();
    this.consumer.subscribe([this.options.workload.inputTopic]);
    this.producer.handleStart();
    this.phase = { kind: 'initializing' };
    this.initTransactions();
  }

  onMessage(from: NodeId, message: unknown, _trafficClass: TrafficClass): void {
    const correlationId = (message as { correlationId?: unknown }).correlationId;
    if (typeof correlationId !== 'number') return;
    const forProducer = correlationId >= PRODUCER_CORRELATION_BASE;
    const base = (forProducer ? PRODUCER_CORRELATION_BASE : 0) + this.generation * CORRELATION_RANGE;
    // An answer to the clients of an earlier generation: they are closed.
    if (correlationId < base || correlationId >= base + CORRELATION_RANGE) return;
    const own = { ...(message as object), correlationId: correlationId - base };
    if (forProducer) this.producer.handleMessage(from, own);
    else this.consumer.handleMessage(from, own);
  }

  onTimer(tag: string, id: TimerId): void {
    if (this.producer.handleTimer(tag, id)) return;
    if (tag.startsWith(CLOSED_TIMER)) return this.onConnectionClosedByClient(tag.slice(CLOSED_TIMER.length));
    if (tag === STEP_TIMER) {
      if (id !== this.stepTimer) return;
      this.stepTimer = null;
      return this.step();
    }
    this.consumer.handleTimer(tag, id);
  }

  /** `closer/peer`: one client closed the node's connection to peer; the other client learns it broke. */
  private onConnectionClosedByClient(closerAndPeer: string): void {
    const [closer, peer] = closerAndPeer.split('/') as [string, NodeId];
    if (closer === 'consumer') this.producer.handleDisconnect(peer);
    else this.consumer.handleDisconnect(peer);
  }

  onDiskComplete(completion: DiskCompletion): void {
    throw new Error(`PipelineNode: unexpected disk completion ${completion.opId}`);
  }

  onDisconnect(peer: NodeId, _trafficClass: TrafficClass): void {
    this.producer.handleDisconnect(peer);
    this.consumer.handleDisconnect(peer);
  }

  private schedule(delayMs: number): void {
    if (this.stepTimer !== null) this.host.cancelTimer(this.stepTimer);
    this.stepTimer = this.host.setTimer(Math.max(0, delayMs), STEP_TIMER);
  }

  /** What the application does next in its phase (after a pause, a retry, or processing time). */
  private step(): void {
    const phase = this.phase;
    switch (phase.kind) {
      case 'initializing':
        return this.initTransactions();
      case 'polling':
        return this.poll();
      case 'processing':
        return this.produceOutputs(phase.open);
      case 'sending-offsets':
        return this.sendOffsets(phase.open);
      case 'committing':
        return this.commit(phase.open);
      case 'aborting':
        return this.abort(phase.open);
      case 'closed':
        // The supervisor starts the instance's clients again, with the same transactional.id.
        [this.consumer, this.producer] = this.newClients();
        return this.startClients();
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
      if (outcome.ok) return this.poll();
      if (outcome.errorClass === 'fatal') return this.close(null);
      this.schedule(RETRY_MS);
    });
  }

  private poll(): void {
    if (this.host.nowMs() >= this.options.workload.stopAtMs) return this.stop();
    this.phase = { kind: 'polling' };
    const consumer = this.consumer;
    consumer.poll(this.options.workload.pollTimeoutMs, (result: PollResult) => {
      if (consumer !== this.consumer) return;
      if (!result.ok) {
        this.host.trace({ type: 'pipeline.poll-failed', error: errorNameOf(result.exception) });
        return this.schedule(RETRY_MS);
      }
      if (result.records.length === 0) return this.schedule(0);
      this.begin(result.records);
    });
  }

  private begin(records: readonly ConsumerRecord[]): void {
    const txn = `${this.host.nodeId}-${this.host.incarnation}-g${this.generation}-t${this.transactions++}`;
    const startPositions = new Map<string, { topic: string; partition: number; offset: number }>();
    for (const record of records) {
      const key = topicPartitionKey(record);
      if (!startPositions.has(key)) startPositions.set(key, { topic: record.topic, partition: record.partition, offset: record.offset });
    }
    const metadata = this.consumer.groupMetadata();
    const groupMetadata = { groupId: this.consumerConfig.groupId ?? '', generationId: metadata?.generationId ?? -1, memberId: metadata?.memberId ?? '', groupInstanceId: metadata?.groupInstanceId ?? null };
    const open: OpenTransaction = { txn, records, startPositions, groupMetadata };
    this.producer.beginTransaction();
    this.host.trace({
      type: 'pipeline.txn-begin',
      txn,
      transactionalId: pipelineTransactionalIdOf(this.host.nodeId),
      group: this.consumerConfig.groupId,
      generation: metadata?.generationId ?? -1,
      memberId: metadata?.memberId ?? '',
      inputs: records.map((record) => [topicPartitionKey(record), record.offset, record.value]),
    });
    this.phase = { kind: 'processing', open };
    this.schedule(this.options.workload.processingMs * records.length);
  }

  /** The transformation: one output record per input, keyed as the input. */
  private produceOutputs(open: OpenTransaction): void {
    for (const record of open.records) {
      const value = pipelineOutputValue(topicPartitionKey(record), record.offset, open.txn);
      // A failed send makes the transaction abortable; commitTransaction reports it.
      this.producer.send(this.options.workload.outputTopic, record.key, value, () => {});
    }
    this.sendOffsets(open);
  }

  /** The next offset of every partition read in the transaction, with the leader epoch of its last record. */
  private offsetsOf(open: OpenTransaction): TransactionalOffset[] {
    const last = new Map<string, ConsumerRecord>();
    for (const record of open.records) last.set(topicPartitionKey(record), record);
    return [...last.values()].map((record) => ({ topic: record.topic, partition: record.partition, offset: record.offset + 1, leaderEpoch: record.leaderEpoch < 0 ? null : record.leaderEpoch }));
  }

  private sendOffsets(open: OpenTransaction): void {
    this.phase = { kind: 'sending-offsets', open };
    const producer = this.producer;
    // The metadata of the poll, not of now: a consumer fenced since (its heartbeat was refused)
    // reports generation -1 and no member id, which a broker accepts for a transactional commit
    // from a non-empty group (Kafka's rule for producers older than KIP-447), so the zombie's
    // offsets would not be fenced. Found by kafka-eos-pipeline-swarm seed 47.
    producer.sendOffsetsToTransaction(this.offsetsOf(open), open.groupMetadata, (outcome) => {
      if (producer !== this.producer) return;
      if (outcome.ok) {
        this.host.trace({ type: 'pipeline.txn-commit', txn: open.txn });
        return this.commit(open);
      }
      this.onError(open, outcome);
    });
  }

  private commit(open: OpenTransaction): void {
    this.phase = { kind: 'committing', open };
    const producer = this.producer;
    producer.commitTransaction((outcome) => {
      if (producer !== this.producer) return;
      if (!outcome.ok) return this.onError(open, outcome);
      this.host.trace({ type: 'pipeline.txn-end', txn: open.txn, outcome: 'committed' });
      this.poll();
    });
  }

  private abort(open: OpenTransaction): void {
    this.phase = { kind: 'aborting', open };
    const producer = this.producer;
    producer.abortTransaction((outcome) => {
      if (producer !== this.producer) return;
      if (!outcome.ok) return this.onError(open, outcome);
      this.host.trace({ type: 'pipeline.txn-end', txn: open.txn, outcome: 'aborted' });
      this.rewind(open);
      this.poll();
    });
  }

  /** After an abort: the inputs of the transaction are read again, from partitions the instance still owns. */
  private rewind(open: OpenTransaction): void {
    const owned = new Set(this.consumer.assignment().map(topicPartitionKey));
    for (const [key, position] of open.startPositions) if (owned.has(key)) this.consumer.seek(position, position.offset);
  }

  private onError(open: OpenTransaction, outcome: Extract<TransactionOutcome, { ok: false }>): void {
    switch (outcome.errorClass) {
      case 'retriable':
        // A call timed out: the same call again (the phase says which).
        return this.schedule(RETRY_MS);
      case 'abortable':
        return this.abort(open);
      case 'fatal':
        return this.close(open.txn);
      default: {
        const unreachable: never = outcome.errorClass;
        throw new Error(`unknown error class ${String(unreachable)}`);
      }
    }
  }

  /** Fenced: the producer and the consumer are closed; the supervisor starts them again. */
  private close(txn: string | null): void {
    if (txn !== null) this.host.trace({ type: 'pipeline.txn-end', txn, outcome: 'fenced' });
    this.phase = { kind: 'closed' };
    const consumer = this.consumer;
    if (!consumer.isClosed) consumer.close(() => {});
    this.schedule(RESTART_AFTER_FATAL_MS);
  }

  private stop(): void {
    this.phase = { kind: 'done' };
    if (!this.consumer.isClosed) this.consumer.close(() => this.host.trace({ type: 'pipeline.closed' }));
  }
}
