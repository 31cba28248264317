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
 * Transactions (KIP-98), as Kafka's ProducerAppendInfo and ProducerStateManager keep them:
 * - A producer's first transactional batch opens its transaction at that batch's offset
 *   (currentTxnFirstOffset); the transaction is ongoing until a COMMIT or ABORT marker of that
 *   producer arrives. A non-transactional batch from a producer with an ongoing transaction is
 *   INVALID_TXN_STATE.
 * - A marker with an epoch older than the producer's is INVALID_PRODUCER_EPOCH; one from a
 *   coordinator epoch older than the last marker's is TRANSACTION_COORDINATOR_FENCED (a deposed
 *   coordinator). A marker may carry a newer producer epoch (transaction version 2 bumps it with
 *   every transaction, KIP-890), which then becomes the producer's.
 * - A completed transaction stays "unreplicated" until the high watermark passes its marker: until
 *   then it still holds the first unstable offset, so a read_committed consumer never reads past a
 *   marker that a failover could lose.
 * - The first unstable offset is the smallest first offset among ongoing and unreplicated
 *   transactions; the log's last stable offset is the smaller of it and the high watermark.
 *
 * Invariants: every entry holds ≤ NUM_BATCHES_TO_RETAIN batches, all of its current epoch, in
 * increasing offset order; a producer has at most one ongoing transaction, and `ongoingTxns` holds
 * exactly the producers whose currentTxnFirstOffset is set.
 *
 * Left out: producer-state snapshot files (UnifiedLog rebuilds this state by replaying the log on
 * load and after a truncation, so a producer whose every batch was deleted is forgotten across a
 * restart, where Kafka's snapshots would remember it); producer.id.expiration.ms; the verification
 * guard of KIP-890 part 1 (it is the partition's: see partition.ts).
 */

import { readEndTransactionMarker } from './controlRecord.js';
import { NO_PRODUCER_EPOCH, NO_SEQUENCE, type RecordBatch, lastOffset, lastSequence } from './recordBatch.js';

/** Who appends a batch (Kafka's AppendOrigin): a client's produce, or a coordinator's own write. */
export type AppendOrigin = 'client' | 'coordinator';

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
  /** The coordinator epoch of the last marker written for this producer, or -1. */
  readonly coordinatorEpoch: number;
  /** The first offset of the producer's ongoing transaction, or null. */
  readonly currentTxnFirstOffset: number | null;
}

export type ProducerCheck =
  | { readonly kind: 'ok' }
  | { readonly kind: 'duplicate'; readonly error: 'DUPLICATE_SEQUENCE_NUMBER'; readonly firstOffset: number; readonly lastOffset: number }
  | { readonly kind: 'rejected'; readonly error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' | 'INVALID_PRODUCER_EPOCH' | 'INVALID_TXN_STATE' | 'TRANSACTION_COORDINATOR_FENCED' };

/** Kafka's CompletedTxn: a transaction a marker ended, from its first offset to the marker's. */
export interface CompletedTxn {
  readonly producerId: number;
  readonly firstOffset: number;
  readonly lastOffset: number;
  readonly isAborted: boolean;
}

const OK: ProducerCheck = { kind: 'ok' };
const NO_COORDINATOR_EPOCH = -1;

interface MutableEntry {
  readonly producerId: number;
  producerEpoch: number;
  batches: BatchMetadata[];
  coordinatorEpoch: number;
  currentTxnFirstOffset: number | null;
}

export class ProducerStateManager {
  private readonly producers = new Map<number, MutableEntry>();
  /** Ongoing transactions: first offset → producer id, in first-offset order (appends come in offset order). */
  private readonly ongoingTxns = new Map<number, number>();
  /** Transactions whose marker is written but not yet below the high watermark. */
  private unreplicatedTxns: CompletedTxn[] = [];

  /**
   * Checks a batch from a client against the producer's state, before it is written. Batches
   * without a producer id always pass. Changes nothing: `update` applies the batch once written.
   */
  checkAndPrepare(batch: RecordBatch, origin: AppendOrigin = 'client', fencesOlderEpochs = true): ProducerCheck {
    if (batch.producerId < 0) return OK;
    if (batch.isControl) return this.checkEndTxnMarker(batch);
    const entry = this.producers.get(batch.producerId);
    // A coordinator's own transactional write (TxnOffsetCommit) has no sequence to check or
    // deduplicate; only its epoch is fenced (Kafka checks sequences for AppendOrigin.CLIENT only).
    if (origin === 'coordinator') return entry !== undefined && batch.producerEpoch < entry.producerEpoch ? { kind: 'rejected', error: 'INVALID_PRODUCER_EPOCH' } : OK;
    if (entry === undefined) return OK;
    const rejected = this.checkEpochAndSequence(batch, entry, fencesOlderEpochs);
    if (rejected !== null) return rejected;
    // Kafka checks this after the epoch and sequence, whatever the epoch: a bumped epoch does not
    // end the producer's transaction (kafka-storage 4.1.1 conformance, kafka-producer-state.json case 3 step 7).
    if (!batch.isTransactional && entry.currentTxnFirstOffset !== null) return { kind: 'rejected', error: 'INVALID_TXN_STATE' };
    return OK;
  }

  /**
   * A retry of one of the last batches, a fenced epoch, or a sequence gap; null when the batch may
   * follow. Without `fencesOlderEpochs` (the legacy switch ksim.legacy.no.producer.epoch.fencing)
   * an older epoch is taken as any other change of epoch, as Kafka's checkSequence would: from
   * sequence 0.
   */
  private checkEpochAndSequence(batch: RecordBatch, entry: MutableEntry, fencesOlderEpochs: boolean): Exclude<ProducerCheck, { kind: 'ok' }> | null {
    const firstSeq = batch.baseSequence;
    if (batch.producerEpoch === entry.producerEpoch) {
      const lastSeq = lastSequence(batch);
      const duplicate = entry.batches.find((meta) => meta.firstSeq === firstSeq && meta.lastSeq === lastSeq);
      if (duplicate !== undefined) {
        const { firstOffset, lastOffset: duplicateLastOffset } = duplicate;
        return { kind: 'duplicate', error: 'DUPLICATE_SEQUENCE_NUMBER', firstOffset, lastOffset: duplicateLastOffset };
      }
    }
    if (batch.producerEpoch < entry.producerEpoch && fencesOlderEpochs) return { kind: 'rejected', error: 'INVALID_PRODUCER_EPOCH' };
    if (batch.producerEpoch !== entry.producerEpoch) {
      // A new epoch starts a fresh sequence (the entry of an unknown epoch accepts anything).
      if (firstSeq !== 0 && entry.producerEpoch !== NO_PRODUCER_EPOCH) return { kind: 'rejected', error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' };
      return null;
    }
    const currentLastSeq = entry.batches[entry.batches.length - 1]?.lastSeq ?? NO_SEQUENCE;
    if (!inSequence(currentLastSeq, firstSeq)) return { kind: 'rejected', error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' };
    return null;
  }

  /** Kafka's appendEndTxnMarker checks: the producer epoch, then the coordinator epoch. */
  private checkEndTxnMarker(batch: RecordBatch): ProducerCheck {
    const marker = batch.records[0] === undefined ? null : readEndTransactionMarker(batch.records[0]);
    if (marker === null) throw new Error(`producer ${batch.producerId}: a control batch at the leader that is not a transaction marker`);
    const entry = this.producers.get(batch.producerId);
    if (entry === undefined) return OK;
    if (batch.producerEpoch < entry.producerEpoch) return { kind: 'rejected', error: 'INVALID_PRODUCER_EPOCH' };
    if (marker.coordinatorEpoch < entry.coordinatorEpoch) return { kind: 'rejected', error: 'TRANSACTION_COORDINATOR_FENCED' };
    return OK;
  }

  /**
   * Applies a written batch (from the leader's append, replication, or recovery replay). Returns
   * the transaction a marker completed, for the log to index an abort; null for anything else.
   */
  update(batch: RecordBatch): CompletedTxn | null {
    if (batch.producerId < 0) return null;
    if (batch.isControl) return this.updateEndTxnMarker(batch);
    const entry = this.entryForEpoch(batch.producerId, batch.producerEpoch);
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
    if (batch.isTransactional && entry.currentTxnFirstOffset === null) {
      entry.currentTxnFirstOffset = batch.baseOffset;
      this.ongoingTxns.set(batch.baseOffset, batch.producerId);
    }
    return null;
  }

  /** The producer's entry, at `producerEpoch`: a new epoch (or whatever the leader wrote) starts a fresh batch history. */
  private entryForEpoch(producerId: number, producerEpoch: number): MutableEntry {
    let entry = this.producers.get(producerId);
    if (entry === undefined) {
      entry = { producerId, producerEpoch, batches: [], coordinatorEpoch: NO_COORDINATOR_EPOCH, currentTxnFirstOffset: null };
      this.producers.set(producerId, entry);
    }
    if (entry.producerEpoch !== producerEpoch) {
      entry.producerEpoch = producerEpoch;
      entry.batches = [];
    }
    return entry;
  }

  /**
   * A marker ends the producer's transaction (Kafka's appendEndTxnMarker and completeTxn). A marker
   * for a producer with no ongoing transaction here (the coordinator writes one to every partition
   * of the transaction, data or not) completes nothing: as in Kafka, it only moves the producer's
   * epochs, and has no entry in the aborted-transaction index and no hold on the first unstable
   * offset (kafka-storage 4.1.1 conformance, kafka-producer-state.json case 0 step 6).
   */
  private updateEndTxnMarker(batch: RecordBatch): CompletedTxn | null {
    const marker = batch.records[0] === undefined ? null : readEndTransactionMarker(batch.records[0]);
    if (marker === null) return null;
    const entry = this.entryForEpoch(batch.producerId, batch.producerEpoch);
    entry.coordinatorEpoch = marker.coordinatorEpoch;
    const firstOffset = entry.currentTxnFirstOffset;
    if (firstOffset === null) return null;
    this.ongoingTxns.delete(firstOffset);
    entry.currentTxnFirstOffset = null;
    const completed: CompletedTxn = { producerId: batch.producerId, firstOffset, lastOffset: batch.baseOffset, isAborted: marker.result === 'ABORT' };
    this.unreplicatedTxns.push(completed);
    return completed;
  }

  /**
   * Kafka's lastStableOffset(completedTxn): just after a transaction completed, the first offset
   * of the oldest transaction still ongoing, or the offset after the marker.
   */
  lastStableOffsetAfter(completed: CompletedTxn): number {
    const firstOngoing = this.ongoingTxns.keys().next();
    return firstOngoing.done === true ? completed.lastOffset + 1 : firstOngoing.value;
  }

  /** The smallest first offset of an ongoing or unreplicated transaction, or null when there is none. */
  firstUnstableOffset(): number | null {
    let first: number | null = null;
    for (const txn of this.unreplicatedTxns) first = first === null ? txn.firstOffset : Math.min(first, txn.firstOffset);
    const firstOngoing = this.ongoingTxns.keys().next();
    if (firstOngoing.done !== true) first = first === null ? firstOngoing.value : Math.min(first, firstOngoing.value);
    return first;
  }

  /** The high watermark moved: transactions whose marker it passed are stable (Kafka's onHighWatermarkUpdated). */
  onHighWatermarkUpdated(highWatermark: number): void {
    if (this.unreplicatedTxns.length === 0) return;
    this.unreplicatedTxns = this.unreplicatedTxns.filter((txn) => txn.lastOffset >= highWatermark);
  }

  /** Ongoing transactions as [first offset, producer id], in first-offset order. */
  ongoingTransactions(): Array<readonly [number, number]> {
    return [...this.ongoingTxns.entries()];
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
    this.ongoingTxns.clear();
    this.unreplicatedTxns = [];
  }

  /**
   * Keeps only the producers whose every retained batch lies below `offset` (a truncation at or
   * above it cannot touch them), ready for the log to replay its batches from `offset` on.
   */
  retainEntriesBelow(offset: number): void {
    for (const [producerId, entry] of [...this.producers.entries()]) {
      const last = entry.batches[entry.batches.length - 1];
      if (last !== undefined && last.lastOffset < offset) continue;
      this.producers.delete(producerId);
      if (entry.currentTxnFirstOffset !== null) this.ongoingTxns.delete(entry.currentTxnFirstOffset);
    }
    this.unreplicatedTxns = this.unreplicatedTxns.filter((txn) => txn.lastOffset < offset);
  }
}

/** Kafka's inSequence: the next sequence, with the wrap from Int32 max to 0. */
function inSequence(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === INT32_MAX);
}
