/**
 * The aborted-transaction index of one log segment (Kafka's TransactionIndex, the `.txnindex`
 * file): one entry per transaction whose ABORT marker lies in this segment, so that a
 * read_committed fetch can tell the consumer which producers' records in the range it reads were
 * aborted (the consumer drops them; KIP-98).
 *
 * Each entry (Kafka's AbortedTxn) holds the producer, the transaction's first offset, the offset
 * of its ABORT marker (lastOffset), and the last stable offset just after the marker was written:
 * a search for the aborted transactions below some upper bound may stop at the first entry whose
 * last stable offset reaches that bound, since every transaction aborted later began at or above it.
 *
 * Invariants: entries are in marker-offset order; every lastOffset lies in the segment.
 * Left out: the file. Like the offset index it lives in memory and is rebuilt when the segment is
 * recovered (Kafka rebuilds a missing or corrupt `.txnindex` the same way, by replaying the
 * segment's batches through the producer state).
 */

/** Kafka's AbortedTxn. */
export interface AbortedTxn {
  readonly producerId: number;
  readonly firstOffset: number;
  readonly lastOffset: number;
  readonly lastStableOffset: number;
}

/** What a fetch response carries for each aborted transaction (FetchResponse's AbortedTransactions). */
export interface AbortedTransaction {
  readonly producerId: number;
  readonly firstOffset: number;
}

/** Kafka's TxnIndexSearchResult: the entries found, and whether no later segment can hold more. */
export interface TxnIndexSearchResult {
  readonly abortedTransactions: readonly AbortedTxn[];
  readonly isComplete: boolean;
}

export class TransactionIndex {
  private entries: AbortedTxn[] = [];

  append(abortedTxn: AbortedTxn): void {
    const last = this.entries[this.entries.length - 1];
    if (last !== undefined && abortedTxn.lastOffset <= last.lastOffset) {
      throw new Error(`transaction index: marker at ${abortedTxn.lastOffset} not after ${last.lastOffset}`);
    }
    this.entries.push(abortedTxn);
  }

  /**
   * Kafka's collectAbortedTxns: the transactions aborted at or after `fetchOffset` that began
   * below `upperBoundOffset`.
   */
  collectAbortedTxns(fetchOffset: number, upperBoundOffset: number): TxnIndexSearchResult {
    const found: AbortedTxn[] = [];
    for (const entry of this.entries) {
      if (entry.lastOffset >= fetchOffset && entry.firstOffset < upperBoundOffset) found.push(entry);
      if (entry.lastStableOffset >= upperBoundOffset) return { abortedTransactions: found, isComplete: true };
    }
    return { abortedTransactions: found, isComplete: false };
  }

  /** Removes the entries whose marker lies at or above `offset` (Kafka's truncateTo). */
  truncateTo(offset: number): void {
    this.entries = this.entries.filter((entry) => entry.lastOffset < offset);
  }

  clear(): void {
    this.entries = [];
  }

  allAbortedTxns(): readonly AbortedTxn[] {
    return this.entries;
  }
}
