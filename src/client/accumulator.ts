/**
 * The producer's record accumulator (Kafka's RecordAccumulator): per partition, a queue of batches
 * that records join, from which the sender drains what is ready, per leader broker.
 *
 * What it models:
 * - append: a record joins the partition's last open batch if it fits in `batch.size`, else starts
 *   a new batch (with `abortOnNewBatch`, it reports instead, so the sticky partitioner can switch).
 * - ready: a partition's first batch is ready when it is full (or another batch queues behind it),
 *   when `linger.ms` has passed since its creation, or, for a retried batch, when its backoff has
 *   passed; a batch in backoff is never ready. `ready` also says when to look again.
 * - drain: per ready broker, at most one batch per partition per request, partitions visited from
 *   a rotating start so none starves. Idempotence stamps sequences at the first drain and may hold
 *   a partition back (see TransactionManager.shouldStopDrainBatchesForPartition); with
 *   max.in.flight.requests.per.connection = 1 a partition with a batch in flight is muted instead
 *   (Kafka's guaranteeMessageOrder).
 * - reenqueue: a batch to retry returns to the FRONT of its queue, in sequence order among the
 *   other retries, so retries go out before newer batches (KAFKA-5494's ordering).
 * - expiredBatches: queued batches whose delivery.timeout.ms has passed.
 *
 * Left out: buffer.memory and blocking, compression, splitting of batches that are too large, and
 * flush()/close().
 */

import type { NodeId } from '../host.js';
import type { SimpleRecord } from '../log/recordBatch.js';
import { ProducerBatch, type SendCallback } from './producerBatch.js';
import type { TransactionManager } from './transactionManager.js';

export interface AccumulatorConfig {
  readonly batchSize: number;
  readonly lingerMs: number;
  readonly deliveryTimeoutMs: number;
  /** max.in.flight.requests.per.connection = 1: mute a partition while a batch of it is in flight. */
  readonly guaranteeMessageOrder: boolean;
}

export type AppendResult =
  | { readonly appended: true; readonly batch: ProducerBatch; readonly newBatchCreated: boolean }
  | { readonly appended: false; readonly abortForNewBatch: true };

export interface ReadyCheckResult {
  /** Brokers leading at least one partition with a sendable batch, in first-seen order. */
  readonly readyNodes: NodeId[];
  /** When a queued batch becomes sendable next (linger or backoff), or Infinity. */
  readonly nextReadyCheckMs: number;
  /** Topics with queued batches for a partition without a known leader. */
  readonly unknownLeaderTopics: string[];
}

interface PartitionQueue {
  readonly topic: string;
  readonly partition: number;
  readonly deque: ProducerBatch[];
}

export class RecordAccumulator {
  /** Insertion-ordered, so iteration is deterministic. */
  private readonly queues = new Map<string, PartitionQueue>();
  private readonly muted = new Set<string>();
  private drainIndex = 0;

  constructor(private readonly config: AccumulatorConfig) {
    if (config.batchSize < 0 || config.lingerMs < 0) throw new Error('RecordAccumulator: negative batch.size or linger.ms');
  }

  append(topic: string, partition: number, record: SimpleRecord, callback: SendCallback, nowMs: number, abortOnNewBatch: boolean): AppendResult {
    const queue = this.queue(topic, partition);
    const last = queue.deque[queue.deque.length - 1];
    if (last !== undefined && last.tryAppend(record, callback, this.config.batchSize)) {
      if (last.isFull(this.config.batchSize)) last.closed = true;
      return { appended: true, batch: last, newBatchCreated: false };
    }
    if (abortOnNewBatch) return { appended: false, abortForNewBatch: true };
    if (last !== undefined) last.closed = true;
    const batch = new ProducerBatch(topic, partition, nowMs);
    if (!batch.tryAppend(record, callback, this.config.batchSize)) throw new Error('append: a new batch refused its first record');
    if (batch.isFull(this.config.batchSize)) batch.closed = true;
    queue.deque.push(batch);
    return { appended: true, batch, newBatchCreated: true };
  }

  ready(leaderFor: (topic: string, partition: number) => NodeId | null, nowMs: number): ReadyCheckResult {
    const readyNodes: NodeId[] = [];
    const unknownLeaderTopics: string[] = [];
    let nextReadyCheckMs = Number.POSITIVE_INFINITY;
    for (const [key, queue] of this.queues) {
      const first = queue.deque[0];
      if (first === undefined || this.muted.has(key)) continue;
      const leader = leaderFor(queue.topic, queue.partition);
      if (leader === null) {
        if (!unknownLeaderTopics.includes(queue.topic)) unknownLeaderTopics.push(queue.topic);
        continue;
      }
      const readyAtMs = this.readyAtMs(first, queue.deque.length > 1);
      if (readyAtMs > nowMs) nextReadyCheckMs = Math.min(nextReadyCheckMs, readyAtMs);
      else if (!readyNodes.includes(leader)) readyNodes.push(leader);
    }
    return { readyNodes, nextReadyCheckMs, unknownLeaderTopics };
  }

  /**
   * Takes at most one ready batch per partition led by `node`, closing each and stamping its
   * sequence. Returns them in the order they should travel in one Produce request.
   */
  drain(node: NodeId, leaderFor: (topic: string, partition: number) => NodeId | null, transactionManager: TransactionManager | null, nowMs: number): ProducerBatch[] {
    const entries = [...this.queues.entries()];
    if (entries.length === 0) return [];
    const start = this.drainIndex % entries.length;
    const drained: ProducerBatch[] = [];
    for (let step = 0; step < entries.length; step++) {
      const [key, queue] = entries[(start + step) % entries.length]!;
      if (leaderFor(queue.topic, queue.partition) !== node || this.muted.has(key)) continue;
      const first = queue.deque[0];
      if (first === undefined || this.readyAtMs(first, queue.deque.length > 1) > nowMs) continue;
      if (transactionManager !== null && transactionManager.shouldStopDrainBatchesForPartition(first)) continue;
      queue.deque.shift();
      first.closed = true;
      transactionManager?.onDrain(first);
      if (this.config.guaranteeMessageOrder) this.muted.add(key);
      drained.push(first);
    }
    this.drainIndex = (start + 1) % entries.length;
    return drained;
  }

  /** Puts a batch to retry back at the front of its queue, after retries with lower sequences. */
  reenqueue(batch: ProducerBatch, nowMs: number, backoffMs: number): void {
    if (batch.isDone()) throw new Error(`reenqueue: batch for ${batch.tpKey} is done`);
    batch.inRetry = true;
    batch.retryAtMs = nowMs + backoffMs;
    const deque = this.queue(batch.topic, batch.partition).deque;
    let index = 0;
    if (batch.hasSequence()) {
      while (index < deque.length && deque[index]!.hasSequence() && deque[index]!.baseSequence < batch.baseSequence) index++;
    }
    deque.splice(index, 0, batch);
  }

  unmutePartition(tpKey: string): void {
    this.muted.delete(tpKey);
  }

  /** Removes and returns queued batches whose delivery.timeout.ms has passed. */
  expiredBatches(nowMs: number): ProducerBatch[] {
    const expired: ProducerBatch[] = [];
    for (const queue of this.queues.values()) {
      const kept = queue.deque.filter((batch) => {
        const isExpired = batch.hasReachedDeliveryTimeout(this.config.deliveryTimeoutMs, nowMs);
        if (isExpired) expired.push(batch);
        return !isExpired;
      });
      queue.deque.splice(0, queue.deque.length, ...kept);
    }
    return expired;
  }

  /** Removes and returns every queued batch (a fatal error fails them all). */
  abortUndrainedBatches(): ProducerBatch[] {
    const all: ProducerBatch[] = [];
    for (const queue of this.queues.values()) all.push(...queue.deque.splice(0, queue.deque.length));
    return all;
  }

  /** The earliest delivery deadline of a queued batch, or Infinity. */
  nextExpiryMs(): number {
    let earliest = Number.POSITIVE_INFINITY;
    for (const queue of this.queues.values()) {
      for (const batch of queue.deque) earliest = Math.min(earliest, batch.createdMs + this.config.deliveryTimeoutMs);
    }
    return earliest;
  }

  queuedBatches(topic: string, partition: number): readonly ProducerBatch[] {
    return this.queues.get(`${topic}-${partition}`)?.deque ?? [];
  }

  hasUndrained(): boolean {
    for (const queue of this.queues.values()) if (queue.deque.length > 0) return true;
    return false;
  }

  private readyAtMs(first: ProducerBatch, moreBehind: boolean): number {
    // A retried batch is closed, so it is sendable as soon as its backoff has passed.
    if (first.inRetry) return first.retryAtMs;
    if (moreBehind || first.isFull(this.config.batchSize) || first.closed) return Number.NEGATIVE_INFINITY;
    return first.createdMs + this.config.lingerMs;
  }

  private queue(topic: string, partition: number): PartitionQueue {
    const key = `${topic}-${partition}`;
    let queue = this.queues.get(key);
    if (queue === undefined) {
      queue = { topic, partition, deque: [] };
      this.queues.set(key, queue);
    }
    return queue;
  }
}
