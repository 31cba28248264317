/**
 * The idempotent producer's bookkeeping (the idempotence half of Kafka's TransactionManager): the
 * producer id and epoch, and per partition the next sequence, the last acknowledged sequence and
 * the batches in flight ordered by sequence.
 *
 * Rules, as Kafka's client applies them (KIP-98, with KIP-360's recovery, Kafka 2.5+):
 * - A batch gets its base sequence when it is first drained; the partition's next sequence then
 *   advances by the batch's record count. A retried batch keeps its sequence, and only the lowest
 *   in-flight sequence of a partition may be re-sent while retries are pending, so with up to 5
 *   requests in flight the log still receives batches in sequence order (KAFKA-5494).
 * - OUT_OF_ORDER_SEQUENCE_NUMBER for a batch that is not the next expected one is retried as is
 *   (an earlier batch is missing and will be retried first). For the next expected batch it means a
 *   real gap: the epoch is bumped and the partition's in-flight batches are renumbered from 0.
 * - UNKNOWN_PRODUCER_ID (the broker lost this producer's state) also bumps the epoch and renumbers.
 * - A batch that expires after it was sent leaves its sequence unresolved: no new batch is drained
 *   for that partition until the in-flight ones finish; if the last acknowledged sequence then
 *   does not meet the next one, the epoch is bumped (a retry could otherwise never fill the gap).
 * - After a bump, a partition that still has in-flight batches of the old epoch drains no new
 *   batch until they finish; then it restarts at sequence 0 under the new epoch.
 * - PRODUCER_FENCED and INVALID_PRODUCER_EPOCH are fatal: the producer fails everything.
 *
 * One deliberate difference: Kafka's idempotent-only producer bumps its epoch locally
 * (bumpIdempotentProducerEpoch) and the broker accepts epoch+1 at sequence 0. ksim asks the broker
 * with InitProducerId carrying the current id and epoch, as KIP-360 does for the transactional
 * producer, so the bump is visible to the cluster; the answer may be the same id with a higher epoch
 * or a fresh id, and both work. The bump is sent only once the affected partitions have no
 * unanswered request, so no old-epoch attempt can land after the renumbering.
 *
 * Left out: transactions (transactional.id, AddPartitionsToTxn, EndTxn, abortable errors), and
 * Kafka's logStartOffset-based handling of UNKNOWN_PRODUCER_ID (ksim's broker never answers it
 * since KIP-360; should one arrive, a bump is always safe).
 */

import { NO_PRODUCER_EPOCH, NO_PRODUCER_ID, incrementSequence } from '../log/recordBatch.js';
import type { KafkaErrorCode } from '../protocol/errors.js';
import { isRetriable } from '../protocol/errors.js';
import type { ProducerBatch } from './producerBatch.js';

export interface ProducerIdAndEpoch {
  readonly producerId: number;
  readonly epoch: number;
}

export const PRODUCER_ID_AND_EPOCH_NONE: ProducerIdAndEpoch = { producerId: NO_PRODUCER_ID, epoch: NO_PRODUCER_EPOCH };
const NO_LAST_ACKED_SEQUENCE_NUMBER = -1;

/** States of the idempotent producer: UNINITIALIZED → INITIALIZING → READY ⇄ (bump) INITIALIZING; any → FATAL_ERROR. */
export type IdempotenceState = 'UNINITIALIZED' | 'INITIALIZING' | 'READY' | 'FATAL_ERROR';

const TRANSITIONS: Readonly<Record<IdempotenceState, readonly IdempotenceState[]>> = {
  UNINITIALIZED: ['INITIALIZING', 'FATAL_ERROR'],
  INITIALIZING: ['READY', 'UNINITIALIZED', 'FATAL_ERROR'],
  READY: ['INITIALIZING', 'FATAL_ERROR'],
  FATAL_ERROR: [],
};

class TopicPartitionEntry {
  nextSequence = 0;
  lastAckedSequence = NO_LAST_ACKED_SEQUENCE_NUMBER;
  /** Invariant: sorted by baseSequence; every batch has a sequence and is not done. */
  readonly inflightBatchesBySequence: ProducerBatch[] = [];
  constructor(public producerIdAndEpoch: ProducerIdAndEpoch) {}
}

/** What the producer should send as InitProducerId, when it should. */
export interface InitProducerIdArgs {
  readonly producerId: number;
  readonly producerEpoch: number;
}

export class TransactionManager {
  /**
   * A transactional producer's gate on draining (transactions.ts): under transaction version 1 no
   * batch of a partition goes out before the coordinator has added it. Null without transactions.
   */
  sendToPartitionAllowed: ((tp: string) => boolean) | null = null;
  private producerIdAndEpochValue: ProducerIdAndEpoch = PRODUCER_ID_AND_EPOCH_NONE;
  private stateValue: IdempotenceState = 'UNINITIALIZED';
  private readonly partitions = new Map<string, TopicPartitionEntry>();
  private epochBumpRequired = false;
  private readonly partitionsToRewriteSequences = new Set<string>();
  /** The partitions a bump in flight will renumber. */
  private bumpingPartitions: string[] = [];
  /** Per unresolved partition, the sequence that follows the expired batches. */
  private readonly partitionsWithUnresolvedSequences = new Map<string, number>();
  private lastErrorValue: KafkaErrorCode | null = null;

  get state(): IdempotenceState {
    return this.stateValue;
  }

  get producerIdAndEpoch(): ProducerIdAndEpoch {
    return this.producerIdAndEpochValue;
  }

  get lastError(): KafkaErrorCode | null {
    return this.lastErrorValue;
  }

  hasFatalError(): boolean {
    return this.stateValue === 'FATAL_ERROR';
  }

  /** Whether batches may be drained: a producer id, no bump pending or in flight. */
  canSend(): boolean {
    return this.stateValue === 'READY' && !this.epochBumpRequired;
  }

  /**
   * The InitProducerId to send now, if any: a fresh one before the first id, or a bump once no
   * partition that needs renumbering has an unanswered request. Moves to INITIALIZING.
   */
  nextInitProducerId(hasUnansweredRequest: (tp: string) => boolean): InitProducerIdArgs | null {
    if (this.stateValue === 'UNINITIALIZED') {
      this.transitionTo('INITIALIZING');
      this.bumpingPartitions = [];
      return { producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH };
    }
    if (this.stateValue !== 'READY' || !this.epochBumpRequired) return null;
    const affected = [...this.partitionsToRewriteSequences];
    if (affected.some(hasUnansweredRequest)) return null;
    this.transitionTo('INITIALIZING');
    this.bumpingPartitions = affected;
    this.partitionsToRewriteSequences.clear();
    this.epochBumpRequired = false;
    return { producerId: this.producerIdAndEpochValue.producerId, producerEpoch: this.producerIdAndEpochValue.epoch };
  }

  /** InitProducerId failed (an error or a lost request): try again later, as a fresh request after fencing. */
  handleInitProducerIdFailure(error: KafkaErrorCode): void {
    if (this.stateValue !== 'INITIALIZING') throw new Error(`handleInitProducerIdFailure in ${this.stateValue}`);
    // The partitions of a failed bump still need renumbering: ask again.
    for (const tp of this.bumpingPartitions) this.requestEpochBumpForPartition(tp);
    this.bumpingPartitions = [];
    if (error === 'PRODUCER_FENCED' || error === 'INVALID_PRODUCER_EPOCH') {
      // The broker will not bump this id: start over with a fresh one (Kafka's resetIdempotentProducerId).
      // Partitions that were not asked to renumber keep their old-id batches, which may already be in a
      // log; they restart at sequence 0 only once those have finished (maybeUpdateProducerIdAndEpoch).
      this.producerIdAndEpochValue = PRODUCER_ID_AND_EPOCH_NONE;
      this.transitionTo('UNINITIALIZED');
      return;
    }
    // The bump itself is still owed, even one that named no partition (a transactional producer's after an abort).
    if (this.producerIdAndEpochValue.producerId !== NO_PRODUCER_ID) this.epochBumpRequired = true;
    this.transitionTo(this.producerIdAndEpochValue.producerId === NO_PRODUCER_ID ? 'UNINITIALIZED' : 'READY');
  }

  handleInitProducerIdSuccess(producerId: number, epoch: number, hasUnansweredRequest: (tp: string) => boolean): void {
    if (this.stateValue !== 'INITIALIZING') throw new Error(`handleInitProducerIdSuccess in ${this.stateValue}`);
    if (producerId < 0 || epoch < 0) throw new Error(`handleInitProducerIdSuccess: invalid id ${producerId}/${epoch}`);
    this.producerIdAndEpochValue = { producerId, epoch };
    const rewrite = new Set([...this.bumpingPartitions, ...this.partitionsToRewriteSequences]);
    for (const tp of rewrite) {
      // A partition asked for during the bump may still have a request out: renumber it with the next bump.
      if (!this.bumpingPartitions.includes(tp) && hasUnansweredRequest(tp)) continue;
      this.startSequencesAtBeginning(tp);
      this.partitionsToRewriteSequences.delete(tp);
      this.partitionsWithUnresolvedSequences.delete(tp);
    }
    this.bumpingPartitions = [];
    this.epochBumpRequired = this.partitionsToRewriteSequences.size > 0;
    this.transitionTo('READY');
  }

  /**
   * A transactional producer under transaction version 1 owes an epoch bump of its own after an
   * abortable error (Kafka's clientSideEpochBumpRequired, KIP-360): once the abort completes it
   * sends InitProducerId with its current id and epoch, so that a batch of the aborted transaction
   * still on the wire carries an epoch older than the next transaction's.
   */
  requestTransactionEpochBump(): void {
    this.epochBumpRequired = true;
  }

  /**
   * The epoch was bumped for the whole producer: by the coordinator at EndTxn (transaction version
   * 2, KIP-890 part 2), or at the producer's own request after an abort (version 1). Every
   * partition restarts at sequence 0 under it once its batches are done (they all are after EndTxn).
   */
  onTransactionEpochBump(producerId: number, epoch: number): void {
    if (this.stateValue !== 'READY') throw new Error(`onTransactionEpochBump in ${this.stateValue}`);
    this.producerIdAndEpochValue = { producerId, epoch };
    this.partitionsToRewriteSequences.clear();
    this.partitionsWithUnresolvedSequences.clear();
    this.epochBumpRequired = false;
  }

  transitionToFatalError(error: KafkaErrorCode): void {
    if (this.stateValue === 'FATAL_ERROR') return;
    this.lastErrorValue = error;
    this.transitionTo('FATAL_ERROR');
  }

  // ---- drain ----

  /** Kafka's RecordAccumulator.shouldStopDrainBatchesForPartition, the idempotence part. */
  shouldStopDrainBatchesForPartition(first: ProducerBatch): boolean {
    if (this.sendToPartitionAllowed !== null && !this.sendToPartitionAllowed(first.tpKey)) return true;
    const entry = this.entry(first.tpKey);
    if (!first.hasSequence()) {
      // A new batch (sequence 0 under the new epoch) must not overtake old-epoch batches still in flight.
      if (entry.inflightBatchesBySequence.length > 0 && this.hasStaleProducerIdAndEpoch(first.tpKey)) return true;
      // Until the expired batches' fate is known, the next sequence is unknown too.
      if (this.partitionsWithUnresolvedSequences.has(first.tpKey)) return true;
    }
    const firstInFlight = entry.inflightBatchesBySequence[0];
    // A retried batch goes out only when it is the lowest sequence in flight: this keeps the log in
    // sequence order, at the price of one batch in flight for the partition while it recovers.
    if (firstInFlight !== undefined && first.hasSequence() && first.baseSequence !== firstInFlight.baseSequence) return true;
    return false;
  }

  /** Stamps a batch on its first drain with the producer id, epoch and the partition's next sequence. */
  onDrain(batch: ProducerBatch): void {
    if (batch.hasSequence()) return;
    this.maybeUpdateProducerIdAndEpoch(batch.tpKey);
    const entry = this.entry(batch.tpKey);
    batch.setProducerState(this.producerIdAndEpochValue.producerId, this.producerIdAndEpochValue.epoch, entry.nextSequence);
    entry.nextSequence = incrementSequence(entry.nextSequence, batch.recordCount);
    this.addInFlightBatch(batch);
  }

  // ---- completion ----

  handleCompletedBatch(batch: ProducerBatch): void {
    const entry = this.entry(batch.tpKey);
    const sameEpoch = sameProducer(entry.producerIdAndEpoch, { producerId: batch.producerId, epoch: batch.producerEpoch });
    if (sameEpoch && batch.lastSequence() > entry.lastAckedSequence) entry.lastAckedSequence = batch.lastSequence();
    this.removeInFlightBatch(batch);
  }

  /**
   * A batch failed for good. `adjustSequenceNumbers`: the broker rejected it for sure, so later
   * sequences would leave a gap; an idempotent producer then bumps the epoch (Kafka's handleFailedBatch).
   */
  handleFailedBatch(batch: ProducerBatch, error: KafkaErrorCode | 'TIMEOUT' | 'TRANSACTION_ABORTED', adjustSequenceNumbers: boolean): void {
    // A transactional producer hears INVALID_PRODUCER_EPOCH as abortable (KIP-588): the abort's
    // EndTxn then tells it whether it was fenced.
    if (error === 'PRODUCER_FENCED' || (error === 'INVALID_PRODUCER_EPOCH' && !this.isTransactional())) this.transitionToFatalError(error);
    this.removeInFlightBatch(batch);
    if (this.hasFatalError() || !batch.hasSequence()) return;
    if (error === 'OUT_OF_ORDER_SEQUENCE_NUMBER' || error === 'UNKNOWN_PRODUCER_ID' || adjustSequenceNumbers) {
      this.requestEpochBumpForPartition(batch.tpKey);
    }
  }

  /**
   * Kafka's TransactionManager.canRetry. A batch that is not the next one after the last
   * acknowledged is retried on OUT_OF_ORDER_SEQUENCE_NUMBER; one that is the next has a real gap
   * behind it. The idempotent producer then bumps the epoch and retries; a transactional producer
   * lets the batch fail (OutOfOrderSequenceException is not retriable): the transaction becomes
   * abortable, and the abort (with its epoch bump under transaction version 1) starts over.
   */
  canRetry(error: KafkaErrorCode, batch: ProducerBatch): boolean {
    const tp = batch.tpKey;
    if (error === 'UNKNOWN_PRODUCER_ID') {
      if (!batch.sequenceHasBeenReset) this.requestEpochBumpForPartition(tp);
      return true;
    }
    if (error === 'OUT_OF_ORDER_SEQUENCE_NUMBER') {
      const unresolved = this.partitionsWithUnresolvedSequences.get(tp);
      if (unresolved === undefined && (batch.sequenceHasBeenReset || !this.isNextSequence(tp, batch.baseSequence))) return true;
      // A real gap: the idempotent producer bumps its epoch and retries; a transactional producer
      // fails the batch, which aborts the transaction (an abortable error), as Kafka's canRetry. It
      // cannot bump the epoch in the middle of a transaction, and a commit waiting for the batch
      // would wait for good (kafka-transactions-swarm seed 1100).
      if (this.isTransactional()) return false;
      if (unresolved === undefined || unresolved === batch.baseSequence) this.requestEpochBumpForPartition(tp);
      return true;
    }
    return isRetriable(error);
  }

  /** An expired batch that was sent may or may not be in the log: hold the partition until that is known. */
  markSequenceUnresolved(batch: ProducerBatch): void {
    const next = incrementSequence(batch.lastSequence(), 1);
    const current = this.partitionsWithUnresolvedSequences.get(batch.tpKey);
    this.partitionsWithUnresolvedSequences.set(batch.tpKey, current === undefined ? next : Math.max(current, next));
  }

  /** Kafka's maybeResolveSequences: once nothing is in flight, either the sequences meet, or bump. */
  maybeResolveSequences(hasUnansweredRequest: (tp: string) => boolean): void {
    for (const tp of [...this.partitionsWithUnresolvedSequences.keys()]) {
      const entry = this.entry(tp);
      // An expired batch's request may still be answered, and a success would resolve the sequence.
      if (entry.inflightBatchesBySequence.length > 0 || hasUnansweredRequest(tp)) continue;
      if (!this.isNextSequence(tp, entry.nextSequence)) this.requestEpochBumpForPartition(tp);
      this.partitionsWithUnresolvedSequences.delete(tp);
    }
  }

  // ---- views for the producer and tests ----

  nextSequence(tp: string): number {
    return this.entry(tp).nextSequence;
  }

  lastAckedSequence(tp: string): number {
    return this.entry(tp).lastAckedSequence;
  }

  hasInflightBatches(tp: string): boolean {
    return this.entry(tp).inflightBatchesBySequence.length > 0;
  }

  isEpochBumpPending(): boolean {
    return this.epochBumpRequired || (this.stateValue === 'INITIALIZING' && this.bumpingPartitions.length > 0);
  }

  // ---- internals ----

  /** Whether a transactional producer owns this bookkeeping (its gate on draining is set). */
  private isTransactional(): boolean {
    return this.sendToPartitionAllowed !== null;
  }

  private requestEpochBumpForPartition(tp: string): void {
    this.epochBumpRequired = true;
    this.partitionsToRewriteSequences.add(tp);
  }

  private hasStaleProducerIdAndEpoch(tp: string): boolean {
    return !sameProducer(this.producerIdAndEpochValue, this.entry(tp).producerIdAndEpoch);
  }

  private maybeUpdateProducerIdAndEpoch(tp: string): void {
    if (this.hasStaleProducerIdAndEpoch(tp) && !this.hasInflightBatches(tp)) this.startSequencesAtBeginning(tp);
  }

  /** Renumbers the partition's in-flight batches from 0 under the current id and epoch. */
  private startSequencesAtBeginning(tp: string): void {
    const entry = this.entry(tp);
    let sequence = 0;
    for (const batch of entry.inflightBatchesBySequence) {
      if (batch.inRequest !== null) throw new Error(`startSequencesAtBeginning: ${tp} has a batch in an unanswered request`);
      batch.resetProducerState(this.producerIdAndEpochValue.producerId, this.producerIdAndEpochValue.epoch, sequence);
      sequence = incrementSequence(sequence, batch.recordCount);
    }
    entry.producerIdAndEpoch = this.producerIdAndEpochValue;
    entry.nextSequence = sequence;
    entry.lastAckedSequence = NO_LAST_ACKED_SEQUENCE_NUMBER;
  }

  private isNextSequence(tp: string, sequence: number): boolean {
    return sequence - this.entry(tp).lastAckedSequence === 1;
  }

  private addInFlightBatch(batch: ProducerBatch): void {
    if (!batch.hasSequence()) throw new Error(`addInFlightBatch: ${batch.tpKey} batch has no sequence`);
    const batches = this.entry(batch.tpKey).inflightBatchesBySequence;
    const last = batches[batches.length - 1];
    if (last !== undefined && sameProducer(batchProducer(last), batchProducer(batch)) && last.baseSequence >= batch.baseSequence) {
      throw new Error(`addInFlightBatch: ${batch.tpKey} sequence ${batch.baseSequence} after ${last.baseSequence}`);
    }
    batches.push(batch);
  }

  private removeInFlightBatch(batch: ProducerBatch): void {
    const batches = this.entry(batch.tpKey).inflightBatchesBySequence;
    const index = batches.indexOf(batch);
    if (index >= 0) batches.splice(index, 1);
  }

  private entry(tp: string): TopicPartitionEntry {
    let entry = this.partitions.get(tp);
    if (entry === undefined) {
      entry = new TopicPartitionEntry(this.producerIdAndEpochValue);
      this.partitions.set(tp, entry);
    }
    return entry;
  }

  private transitionTo(next: IdempotenceState): void {
    if (!TRANSITIONS[this.stateValue].includes(next)) throw new Error(`TransactionManager: illegal transition ${this.stateValue} → ${next}`);
    this.stateValue = next;
  }
}

function sameProducer(a: ProducerIdAndEpoch, b: ProducerIdAndEpoch): boolean {
  return a.producerId === b.producerId && a.epoch === b.epoch;
}

function batchProducer(batch: ProducerBatch): ProducerIdAndEpoch {
  return { producerId: batch.producerId, epoch: batch.producerEpoch };
}

