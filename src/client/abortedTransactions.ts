/**
 * The read_committed consumer's filter of aborted transactions (Kafka's CompletedFetch with
 * IsolationLevel.READ_COMMITTED): a fetch at read_committed returns records below the last stable
 * offset and the list of transactions aborted in that range (producer id and first offset); the
 * consumer drops every record of an aborted transaction and every control batch.
 *
 * The rule, as Kafka's client applies it, walking the batches in offset order:
 * - An aborted transaction becomes active when the walk reaches its first offset: from then on, the
 *   transactional batches of that producer are dropped.
 * - A control batch is never returned. An ABORT marker of a producer whose aborted transaction is
 *   active ends it; a COMMIT marker changes nothing (its producer's records were kept).
 * - Non-transactional batches are always kept.
 *
 * The consumer's fetcher (fetcher.ts) applies it to every fetch at read_committed; the checker's
 * final read_committed read uses it too.
 *
 * Invariants: the output is a subsequence of the input records, in offset order; no control record
 * is in it.
 */
import { controlRecordType } from '../log/controlRecord.js';
import type { RecordBatch, SimpleRecord } from '../log/recordBatch.js';
import type { AbortedTransaction } from '../log/transactionIndex.js';

/** One record the application gets, with its offset. */
export interface ConsumedRecord {
  readonly offset: number;
  readonly record: SimpleRecord;
  /** The leader epoch of its batch (KIP-320: a consumer remembers it with its position). */
  readonly leaderEpoch: number;
}

/**
 * The records of `batches` a read_committed consumer hands to the application, from `fetchOffset`
 * on, given the fetch response's aborted transactions.
 */
export function filterAbortedTransactions(batches: readonly RecordBatch[], abortedTransactions: readonly AbortedTransaction[], fetchOffset: number): ConsumedRecord[] {
  // Kafka keeps them in a priority queue by first offset; the list is short, so a sorted copy does.
  const pending = [...abortedTransactions].sort((a, b) => a.firstOffset - b.firstOffset || a.producerId - b.producerId);
  const active = new Set<number>();
  const out: ConsumedRecord[] = [];
  for (const batch of batches) {
    while (pending.length > 0 && pending[0]!.firstOffset <= batch.baseOffset + batch.lastOffsetDelta) active.add(pending.shift()!.producerId);
    if (batch.isControl) {
      const first = batch.records[0];
      if (first !== undefined && controlRecordType(first) === 'ABORT') active.delete(batch.producerId);
      continue;
    }
    if (batch.isTransactional && active.has(batch.producerId)) continue;
    batch.records.forEach((record, index) => {
      const offset = batch.baseOffset + index;
      if (offset >= fetchOffset) out.push({ offset, record, leaderEpoch: batch.partitionLeaderEpoch });
    });
  }
  return out;
}
