/**
 * Idempotent-producer state of one partition (Kafka's ProducerStateManager, ProducerStateEntry and
 * the checks of ProducerAppendInfo): per producerId, the current producer epoch and the metadata of
 * its last 5 batches, so that the leader can reject gaps and fencing violations and recognise a
 * retried batch.
 *
 * Rules, as Kafka applies them to appends from clients (appends through replication and recovery
 * replay only update the state — the leader already validated them):
 * - A batch with the same epoch and the exact sequence range of one of the last 5 batches is a
 *   duplicate: the broker answers it with the ORIGINAL batch's offsets and success instead of writing
 *   it again. Five, because an idempotent producer may have up to 5 requests in flight (KAFKA-5494).
 * - An epoch below the current one is INVALID_PRODUCER_EPOCH (Kafka 2.7+, KIP-588, answers produce with
 *   this retriable-by-abort code; PRODUCER_FENCED is what the transactional APIs answer).
 * - A higher epoch (a bump) must start at sequence 0, else OUT_OF_ORDER_SEQUENCE_NUMBER.
 * - The same epoch must continue at lastSeq + 1 (wrapping from Int32 max to 0), else
 *   OUT_OF_ORDER_SEQUENCE_NUMBER.
 * - A producer with no state (new, or whose batches retention deleted) may start at any sequence:
 *   since KIP-360 (Kafka 2.5) the leader no longer answers UNKNOWN_PRODUCER_ID on produce, so this
 *   module never returns it.
 *
 * Invariants: every entry holds ≤ NUM_BATCHES_TO_RETAIN batches, all of its current epoch, in
 * increasing offset order.
 *
 * Left out: producer-state snapshot files (UnifiedLog rebuilds this state by replaying the log on
 * load and after a truncation, so a producer whose every batch was deleted is forgotten across a
 * restart, where Kafka's snapshots would remember it); producer.id.expiration.ms; transactions
 * (ongoing transactions, control markers, coordinator epochs, the LSO) — the batch carries
 * isTransactional and isControl so they can be added here.
 */

import { NO_PRODUCER_EPOCH, NO_SEQUENCE, type RecordBatch, lastOffset, lastSequence } from './recordBatch.js';

export const NUM_BATCHES_TO_RETAIN = 5;
const INT32_MAX = 0x7fff_ffff;

export interface BatchMetadata {
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly firstOffset: number;
  readonly lastOffset: number;
}

export interface ProducerStateEntry {
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly batches: readonly BatchMetadata[];
}

export type ProducerCheck =
  | { readonly kind: 'ok' }
  | { readonly kind: 'duplicate'; readonly error: 'DUPLICATE_SEQUENCE_NUMBER'; readonly firstOffset: number; readonly lastOffset: number }
  | { readonly kind: 'rejected'; readonly error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' | 'INVALID_PRODUCER_EPOCH' };

const OK: ProducerCheck = { kind: 'ok' };

interface MutableEntry {
  readonly producerId: number;
  producerEpoch: number;
  batches: BatchMetadata[];
}

export class ProducerStateManager {
  private readonly producers = new Map<number, MutableEntry>();

  /**
   * Checks a batch from a client against the producer's state, before it is written. Batches
   * without a producer id always pass. Changes nothing: `update` applies the batch once written.
   */
  checkAndPrepare(batch: RecordBatch): ProducerCheck {
    if (batch.producerId < 0) return OK;
    const entry = this.producers.get(batch.producerId);
    if (entry === undefined) return OK;
    const firstSeq = batch.baseSequence;
    if (batch.producerEpoch === entry.producerEpoch) {
      const lastSeq = lastSequence(batch);
      const duplicate = entry.batches.find((meta) => meta.firstSeq === firstSeq && meta.lastSeq === lastSeq);
      if (duplicate !== undefined) {
        const { firstOffset, lastOffset: duplicateLastOffset } = duplicate;
        return { kind: 'duplicate', error: 'DUPLICATE_SEQUENCE_NUMBER', firstOffset, lastOffset: duplicateLastOffset };
      }
    }
    if (batch.producerEpoch < entry.producerEpoch) return { kind: 'rejected', error: 'INVALID_PRODUCER_EPOCH' };
    if (batch.producerEpoch > entry.producerEpoch) {
      // An epoch bump starts a fresh sequence (the entry of an unknown epoch accepts anything).
      if (firstSeq !== 0 && entry.producerEpoch !== NO_PRODUCER_EPOCH) return { kind: 'rejected', error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' };
      return OK;
    }
    const currentLastSeq = entry.batches[entry.batches.length - 1]?.lastSeq ?? NO_SEQUENCE;
    if (!inSequence(currentLastSeq, firstSeq)) return { kind: 'rejected', error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' };
    return OK;
  }

  /** Applies a written batch (from the leader's append, replication, or recovery replay). */
  update(batch: RecordBatch): void {
    if (batch.producerId < 0 || batch.isControl) return;
    let entry = this.producers.get(batch.producerId);
    if (entry === undefined) {
      entry = { producerId: batch.producerId, producerEpoch: batch.producerEpoch, batches: [] };
      this.producers.set(batch.producerId, entry);
    }
    if (entry.producerEpoch !== batch.producerEpoch) {
      // A new epoch (or, through replication, whatever the leader wrote) starts a fresh history.
      entry.producerEpoch = batch.producerEpoch;
      entry.batches = [];
    }
    const previous = entry.batches[entry.batches.length - 1];
    if (previous !== undefined && batch.baseOffset <= previous.lastOffset) {
      throw new Error(`producer ${batch.producerId}: batch at ${batch.baseOffset} not after ${previous.lastOffset}`);
    }
    entry.batches.push({
      firstSeq: batch.baseSequence,
      lastSeq: lastSequence(batch),
      firstOffset: batch.baseOffset,
      lastOffset: lastOffset(batch),
    });
    if (entry.batches.length > NUM_BATCHES_TO_RETAIN) entry.batches.shift();
  }

  lastEntry(producerId: number): ProducerStateEntry | undefined {
    return this.producers.get(producerId);
  }

  /** Every producer's state, in the order producers first appeared. */
  entries(): ProducerStateEntry[] {
    return [...this.producers.values()];
  }

  get producerCount(): number {
    return this.producers.size;
  }

  clear(): void {
    this.producers.clear();
  }

  /**
   * Keeps only the producers whose every retained batch lies below `offset` (a truncation at or
   * above it cannot touch them), ready for the log to replay its batches from `offset` on.
   */
  retainEntriesBelow(offset: number): void {
    for (const [producerId, entry] of [...this.producers.entries()]) {
      const last = entry.batches[entry.batches.length - 1];
      if (last === undefined || last.lastOffset >= offset) this.producers.delete(producerId);
    }
  }
}

/** Kafka's inSequence: the next sequence, with the wrap from Int32 max to 0. */
function inSequence(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === INT32_MAX);
}
