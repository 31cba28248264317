/**
 * A runnable producer node for scenarios: one Producer and a steady workload, recording the
 * Jepsen-style history the checker judges.
 *
 * What it models: an application that sends one record every `intervalMs` (± half, drawn from the
 * node's random stream) to one topic until its clock reaches `stopAtMs`. Record n of an incarnation
 * has the value `${nodeId}-${incarnation}-${n}`, unique across restarts, and the key `k${n % keys}`
 * (or no key when `keys` is null).
 *
 * History (trace events; requestId = incarnation * 1e6 + n is unique per node):
 *   {type:'op.invoke', op:'send', requestId, value, key}                 before the send;
 *   then exactly one of
 *   {type:'op.ok',   op:'send', requestId, value, partition, offset}     acknowledged (offset -1 when
 *       unknown: acks=0, or a DUPLICATE_SEQUENCE_NUMBER answer);
 *   {type:'op.fail', op:'send', requestId, value, error}                 certainly NOT written: never
 *       sent, or every attempt rejected before the append;
 *   {type:'op.info', op:'send', requestId, value, error}                 indeterminate: an attempt may
 *       have been appended (a lost response, a timeout, REQUEST_TIMED_OUT, ...), so it may show up.
 * A send that is still open when the node crashes stays open in the history, which the checker must
 * read like op.info.
 *
 * Invariants: every invoke gets at most one completion (the producer's callbacks fire once); the
 * node reads its clock only through the host.
 */

import type { DiskCompletion, Host, NodeFactory, NodeId, ProtocolNode, TimerId, TrafficClass } from '../../../src/host.js';
import { parseProducerConfig } from '../../../src/client/config.js';
import { Producer, type SendResult } from '../../../src/client/producer.js';

export interface ProducerWorkload {
  readonly intervalMs: number;
  /** How many distinct keys to cycle through, or null for unkeyed records. */
  readonly keys: number | null;
  /** The node stops sending once its clock reaches this time. */
  readonly stopAtMs: number;
}

export interface ProducerNodeOptions {
  readonly bootstrapBrokers: readonly NodeId[];
  readonly topic: string;
  /** Kafka's producer configs by name (acks, enable.idempotence, ...). */
  readonly config: Readonly<Record<string, unknown>>;
  readonly workload: ProducerWorkload;
}

const SEND_TIMER = 'producerNode.send';
/** requestId = incarnation * REQUEST_ID_STRIDE + n: unique while an incarnation sends fewer records. */
export const REQUEST_ID_STRIDE = 1_000_000;

/** Validates everything up front (a bad scenario fails before the run) and returns the node factory. */
export function createProducerNode(options: ProducerNodeOptions): NodeFactory<unknown> {
  const parsed = parseProducerConfig(options.config);
  if (!parsed.ok) throw new Error(`createProducerNode: ${parsed.errors.join('; ')}`);
  const { intervalMs, keys, stopAtMs } = options.workload;
  if (!Number.isSafeInteger(intervalMs) || intervalMs <= 0) throw new Error(`createProducerNode: intervalMs must be a positive integer, got ${intervalMs}`);
  if (keys !== null && (!Number.isSafeInteger(keys) || keys <= 0)) throw new Error(`createProducerNode: keys must be a positive integer or null, got ${keys}`);
  if (options.bootstrapBrokers.length === 0) throw new Error('createProducerNode: no bootstrap brokers');
  const config = parsed.config;
  return (host) => new ProducerNode(host, new Producer(host, { bootstrapBrokers: options.bootstrapBrokers, config }), options.topic, { intervalMs, keys, stopAtMs });
}

/**
 * Sends one record and records it in the history: `op.invoke` before, exactly one of `op.ok`,
 * `op.fail`, `op.info` after (see the header). `extra` fields go on the invoke (a transaction's id).
 */
export function sendWithHistory(host: Host<unknown>, producer: Producer, topic: string, send: { requestId: number; key: string | null; value: string; extra?: Record<string, unknown> }): void {
  const { requestId, key, value } = send;
  host.trace({ type: 'op.invoke', op: 'send', requestId, value, key, ...send.extra });
  let completed = false;
  producer.send(topic, key, value, (result: SendResult) => {
    if (completed) throw new Error(`send ${requestId} completed twice`);
    completed = true;
    if ('offset' in result) {
      host.trace({ type: 'op.ok', op: 'send', requestId, value, partition: result.partition, offset: result.offset });
    } else {
      host.trace({ type: result.definite ? 'op.fail' : 'op.info', op: 'send', requestId, value, error: result.error });
    }
  });
}

export class ProducerNode implements ProtocolNode<unknown> {
  private sendTimer: TimerId | null = null;
  private sent = 0;

  constructor(
    private readonly host: Host<unknown>,
    readonly producer: Producer,
    private readonly topic: string,
    private readonly workload: ProducerWorkload,
  ) {}

  onStart(): void {
    this.producer.handleStart();
    this.scheduleNextSend();
  }

  onMessage(from: NodeId, message: unknown, _trafficClass: TrafficClass): void {
    // Anything that is not a response to the producer's requests has no meaning here.
    this.producer.handleMessage(from, message);
  }

  onTimer(tag: string, id: TimerId): void {
    if (this.producer.handleTimer(tag, id)) return;
    if (tag !== SEND_TIMER || id !== this.sendTimer) return;
    this.sendTimer = null;
    if (this.host.nowMs() >= this.workload.stopAtMs) return;
    this.sendNext();
    this.scheduleNextSend();
  }

  onDiskComplete(completion: DiskCompletion): void {
    throw new Error(`ProducerNode: unexpected disk completion ${completion.opId}`);
  }

  onDisconnect(peer: NodeId, _trafficClass: TrafficClass): void {
    this.producer.handleDisconnect(peer);
  }

  private sendNext(): void {
    const n = this.sent++;
    if (n >= REQUEST_ID_STRIDE) throw new Error(`ProducerNode: more than ${REQUEST_ID_STRIDE} sends in one incarnation`);
    const requestId = this.host.incarnation * REQUEST_ID_STRIDE + n;
    const value = `${this.host.nodeId}-${this.host.incarnation}-${n}`;
    const key = this.workload.keys === null ? null : `k${n % this.workload.keys}`;
    sendWithHistory(this.host, this.producer, this.topic, { requestId, key, value });
  }

  private scheduleNextSend(): void {
    if (this.host.nowMs() >= this.workload.stopAtMs) return;
    const half = Math.floor(this.workload.intervalMs / 2);
    const delayMs = this.host.random.nextInt(this.workload.intervalMs - half, this.workload.intervalMs + half + 1);
    this.sendTimer = this.host.setTimer(Math.max(1, delayMs), SEND_TIMER);
  }
}
