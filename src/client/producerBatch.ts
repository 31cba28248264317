/**
 * One batch of records bound for one partition (Kafka's ProducerBatch): what the accumulator fills,
 * the sender ships and retries, and the callbacks that fire exactly once when it is done.
 *
 * What it models: appending until `batch.size` bytes (a batch always takes its first record), the
 * producer id, epoch and base sequence stamped when the batch is first drained (and rewritten, from
 * sequence 0, when the producer epoch is bumped), attempts and the retry backoff, the delivery
 * timeout counted from the batch's creation, and completion: success with the offset of each record
 * (baseOffset + its index; -1 when the offset is unknown, as after acks=0 or
 * DUPLICATE_SEQUENCE_NUMBER), or failure with a Kafka error code or TIMEOUT.
 *
 * It also remembers whether any attempt may have reached a log (`maybeWritten`): a request whose
 * response was lost, or an error the broker can answer after appending. Kafka's API does not tell
 * the application this; ksim reports it so that a history can tell a definite failure (the record
 * is certainly not in the log) from an indeterminate one.
 *
 * Invariants: callbacks fire once, in record order, when the batch completes; a completed batch
 * never completes again; records and sequences never change after the first drain except through
 * an epoch bump's rewrite.
 */

import type { KafkaErrorCode } from '../protocol/errors.js';
import { NO_PRODUCER_EPOCH, NO_PRODUCER_ID, NO_SEQUENCE, RECORD_BATCH_OVERHEAD, type RecordBatch, type SimpleRecord, incrementSequence } from '../log/recordBatch.js';

/** Kafka's ProduceResponse.INVALID_OFFSET: acknowledged, but the offset is unknown. */
export const INVALID_OFFSET = -1;

/**
 * The error of a batch that the delivery timeout ended (Kafka's TimeoutException), or that an
 * abortTransaction dropped before it was sent (Kafka's TransactionAbortedException).
 */
export type ProducerError = KafkaErrorCode | 'TIMEOUT' | 'TRANSACTION_ABORTED';

export type SendResult =
  | { readonly partition: number; readonly offset: number }
  /** `definite`: the record is certainly not in any log (it was never sent, or every attempt was rejected before the append). */
  | { readonly partition: number; readonly error: ProducerError; readonly definite: boolean };

export type SendCallback = (result: SendResult) => void;

/** Fixed bytes per record in ksim's v2 layout (see recordBatch.ts): attributes, timestamp, offset, lengths, headers. */
const RECORD_OVERHEAD_BYTES = 25;
const encoder = new TextEncoder();

export function estimateRecordSize(record: SimpleRecord): number {
  const keyBytes = record.key === null ? 0 : encoder.encode(record.key).length;
  const valueBytes = record.value === null ? 0 : encoder.encode(record.value).length;
  return RECORD_OVERHEAD_BYTES + keyBytes + valueBytes;
}

export class ProducerBatch {
  readonly records: SimpleRecord[] = [];
  private readonly callbacks: SendCallback[] = [];
  private sizeInBytes = RECORD_BATCH_OVERHEAD;
  /** No more appends: the batch was drained once, or is full. */
  closed = false;
  /** How many times the batch was sent. */
  attempts = 0;
  lastAttemptMs = Number.NEGATIVE_INFINITY;
  /** Not ready before this time (the retry backoff), or -Infinity. */
  retryAtMs = Number.NEGATIVE_INFINITY;
  /** Kafka's inRetry(): re-enqueued after a failed attempt. */
  inRetry = false;
  producerId = NO_PRODUCER_ID;
  producerEpoch = NO_PRODUCER_EPOCH;
  baseSequence = NO_SEQUENCE;
  /** The sequence was rewritten by an epoch bump; late errors of older attempts are then expected. */
  sequenceHasBeenReset = false;
  /** The correlation id of the request carrying this batch, while that request is unanswered. */
  inRequest: number | null = null;
  maybeWritten = false;
  private finalState: 'succeeded' | 'failed' | null = null;

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly createdMs: number,
  ) {}

  get tpKey(): string {
    return `${this.topic}-${this.partition}`;
  }

  get recordCount(): number {
    return this.records.length;
  }

  isDone(): boolean {
    return this.finalState !== null;
  }

  hasSequence(): boolean {
    return this.baseSequence !== NO_SEQUENCE;
  }

  lastSequence(): number {
    if (!this.hasSequence()) throw new Error(`lastSequence: batch for ${this.tpKey} has no sequence`);
    return incrementSequence(this.baseSequence, this.recordCount - 1);
  }

  isFull(batchSize: number): boolean {
    return this.sizeInBytes >= batchSize;
  }

  /** Appends unless the batch is closed or the record would overflow batch.size (the first record always fits). */
  tryAppend(record: SimpleRecord, callback: SendCallback, batchSize: number): boolean {
    if (this.closed || this.isDone()) return false;
    const size = estimateRecordSize(record);
    if (this.records.length > 0 && this.sizeInBytes + size > batchSize) return false;
    this.records.push(record);
    this.callbacks.push(callback);
    this.sizeInBytes += size;
    if (this.callbacks.length !== this.records.length) throw new Error('tryAppend: callbacks and records diverged');
    return true;
  }

  hasReachedDeliveryTimeout(deliveryTimeoutMs: number, nowMs: number): boolean {
    return nowMs - this.createdMs >= deliveryTimeoutMs;
  }

  setProducerState(producerId: number, producerEpoch: number, baseSequence: number): void {
    if (this.hasSequence()) throw new Error(`setProducerState: batch for ${this.tpKey} already has sequence ${this.baseSequence}`);
    if (baseSequence < 0) throw new Error(`setProducerState: negative sequence ${baseSequence}`);
    this.producerId = producerId;
    this.producerEpoch = producerEpoch;
    this.baseSequence = baseSequence;
  }

  /** An epoch bump renumbers the in-flight batches of a partition from 0 (Kafka's resetProducerState). */
  resetProducerState(producerId: number, producerEpoch: number, baseSequence: number): void {
    if (!this.hasSequence()) throw new Error(`resetProducerState: batch for ${this.tpKey} was never drained`);
    this.producerId = producerId;
    this.producerEpoch = producerEpoch;
    this.baseSequence = baseSequence;
    this.sequenceHasBeenReset = true;
  }

  toRecordBatch(): RecordBatch {
    if (this.records.length === 0) throw new Error(`toRecordBatch: empty batch for ${this.tpKey}`);
    return {
      baseOffset: 0,
      lastOffsetDelta: this.records.length - 1,
      partitionLeaderEpoch: -1,
      producerId: this.producerId,
      producerEpoch: this.producerEpoch,
      baseSequence: this.baseSequence,
      isTransactional: false,
      isControl: false,
      maxTimestampMs: this.records.reduce((max, record) => Math.max(max, record.timestampMs), Number.NEGATIVE_INFINITY),
      records: [...this.records],
    };
  }

  /** Success: each record's offset is baseOffset + its index, or -1 when baseOffset is unknown. */
  complete(baseOffset: number): boolean {
    if (this.finalState !== null) return false;
    this.finalState = 'succeeded';
    this.callbacks.forEach((callback, index) => {
      callback({ partition: this.partition, offset: baseOffset === INVALID_OFFSET ? INVALID_OFFSET : baseOffset + index });
    });
    return true;
  }

  completeExceptionally(error: ProducerError): boolean {
    if (this.finalState !== null) return false;
    if (error === 'NONE') throw new Error('completeExceptionally: NONE is not an error');
    this.finalState = 'failed';
    const definite = !this.maybeWritten;
    for (const callback of this.callbacks) callback({ partition: this.partition, error, definite });
    return true;
  }
}
