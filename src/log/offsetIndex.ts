/**
 * The sparse offset index of one segment (Kafka's OffsetIndex): offset → file position, one entry
 * for roughly every `index.interval.bytes` appended, so a read can start near its offset instead of
 * scanning the segment from the top.
 *
 * As in Kafka, an entry maps the LAST offset of a batch to the position where that batch starts,
 * and `lookup(target)` returns the position of the greatest entry ≤ target (or 0): the batch that
 * holds `target` starts there or later.
 *
 * Invariants: offsets and positions strictly increase; every position is a batch boundary below the
 * segment's size.
 *
 * Left out: the `.index` file. Kafka memory-maps it and rebuilds it anyway after an unclean shutdown;
 * ksim recovers every segment on load (see unifiedLog.ts), so it rebuilds the index from the segment
 * each time and never persists it. Also left out: the time index (`.timeindex`) and ListOffsets by
 * timestamp, and the index-full roll condition (this index is unbounded).
 */

export class OffsetIndex {
  private readonly offsets: number[] = [];
  private readonly positions: number[] = [];
  private bytesSinceLastEntry = 0;

  constructor(private readonly indexIntervalBytes: number) {
    if (!(indexIntervalBytes >= 0)) throw new Error(`OffsetIndex: bad index interval ${indexIntervalBytes}`);
  }

  /** Kafka's rule from LogSegment.append: index a batch once more than the interval was appended since the last entry. */
  onBatchAppended(batchLastOffset: number, position: number, sizeInBytes: number): void {
    if (this.bytesSinceLastEntry > this.indexIntervalBytes) {
      this.append(batchLastOffset, position);
      this.bytesSinceLastEntry = 0;
    }
    this.bytesSinceLastEntry += sizeInBytes;
  }

  append(offset: number, position: number): void {
    const last = this.offsets.length - 1;
    if (last >= 0 && (offset <= this.offsets[last]! || position <= this.positions[last]!)) {
      throw new Error(`OffsetIndex.append: (${offset}, ${position}) not above (${this.offsets[last]}, ${this.positions[last]})`);
    }
    this.offsets.push(offset);
    this.positions.push(position);
  }

  /** The position to start scanning at for `targetOffset`: that of the greatest entry ≤ it, else 0. */
  lookup(targetOffset: number): number {
    let low = 0;
    let high = this.offsets.length - 1;
    let found = -1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      if (this.offsets[middle]! <= targetOffset) {
        found = middle;
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    return found < 0 ? 0 : this.positions[found]!;
  }

  /** Removes the entries at or above `offset` (Kafka's OffsetIndex.truncateTo). */
  truncateTo(offset: number): void {
    while (this.offsets.length > 0 && this.offsets[this.offsets.length - 1]! >= offset) {
      this.offsets.pop();
      this.positions.pop();
    }
    this.bytesSinceLastEntry = 0;
  }

  get entryCount(): number {
    return this.offsets.length;
  }

  entries(): Array<{ offset: number; position: number }> {
    return this.offsets.map((offset, index) => ({ offset, position: this.positions[index]! }));
  }
}
