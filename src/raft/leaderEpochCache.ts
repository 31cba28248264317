/**
 * The leader-epoch cache: for each epoch that has entries in the log, the offset of its first entry.
 *
 * What it models: Kafka's LeaderEpochFileCache, whose `endOffsetFor` answers "where does epoch E end
 * in my log?" — the question behind log divergence (KIP-101, KIP-279 in the ISR protocol; the
 * `divergingEpoch` of KIP-595's Fetch here).
 *
 * Invariants: entries are strictly increasing in both epoch and startOffset. Assigning an entry
 * that breaks monotonicity first removes the entries it conflicts with, as Kafka does.
 *
 * Left out: the `leader-epoch-checkpoint` file. Every log entry carries its epoch, so the raft log
 * rebuilds this cache from the snapshot id and the entries on recovery instead of persisting it.
 */

import type { OffsetAndEpoch } from './messages.js';

export const UNDEFINED_EPOCH = -1;
export const UNDEFINED_EPOCH_OFFSET = -1;

export interface EpochEntry {
  readonly epoch: number;
  readonly startOffset: number;
}

export class LeaderEpochCache {
  private entries: EpochEntry[] = [];

  /** Records that `epoch` starts at `startOffset`; returns whether the cache changed. */
  assign(epoch: number, startOffset: number): boolean {
    if (epoch < 0 || startOffset < 0) throw new Error(`assign: negative epoch ${epoch} or offset ${startOffset}`);
    const latest = this.latestEntry();
    const isUpdateNeeded = latest === undefined || epoch !== latest.epoch || startOffset < latest.startOffset;
    if (!isUpdateNeeded) return false;
    // An entry that is not newer than every existing one means the log was truncated or rewritten:
    // the conflicting entries describe a history that is gone.
    this.entries = this.entries.filter((entry) => entry.epoch < epoch && entry.startOffset < startOffset);
    this.entries.push({ epoch, startOffset });
    return true;
  }

  latestEpoch(): number {
    return this.latestEntry()?.epoch ?? UNDEFINED_EPOCH;
  }

  /**
   * Kafka's `endOffsetFor`: the end offset (exclusive) of the largest epoch ≤ `requestedEpoch`,
   * paired with that epoch. For the latest epoch it is the log end offset. For an epoch below the
   * first known one it is the first start offset, paired with the requested epoch. For an epoch
   * above every known one, or UNDEFINED_EPOCH, it is (UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET).
   */
  endOffsetFor(requestedEpoch: number, logEndOffset: number): OffsetAndEpoch {
    const undefinedResult = { epoch: UNDEFINED_EPOCH, offset: UNDEFINED_EPOCH_OFFSET };
    if (requestedEpoch === UNDEFINED_EPOCH) return undefinedResult;
    if (requestedEpoch === this.latestEpoch()) return { epoch: requestedEpoch, offset: logEndOffset };
    const higherIndex = this.entries.findIndex((entry) => entry.epoch > requestedEpoch);
    const higher = this.entries[higherIndex];
    if (higher === undefined) return undefinedResult;
    const floor = this.entries[higherIndex - 1];
    if (floor === undefined) return { epoch: requestedEpoch, offset: higher.startOffset };
    return { epoch: floor.epoch, offset: higher.startOffset };
  }

  /** Removes the epochs that start at or after `endOffset`: the log was truncated there. */
  truncateFromEnd(endOffset: number): void {
    this.entries = this.entries.filter((entry) => entry.startOffset < endOffset);
  }

  /**
   * Removes the epochs that lie wholly below `startOffset` and moves the epoch that contains it to
   * start there: the log prefix was deleted after a snapshot.
   */
  truncateFromStart(startOffset: number): void {
    let floor: EpochEntry | undefined;
    while (this.entries.length > 0 && this.entries[0]!.startOffset <= startOffset) floor = this.entries.shift();
    if (floor !== undefined) this.entries.unshift({ epoch: floor.epoch, startOffset });
  }

  clear(): void {
    this.entries = [];
  }

  epochEntries(): readonly EpochEntry[] {
    return this.entries;
  }

  private latestEntry(): EpochEntry | undefined {
    return this.entries[this.entries.length - 1];
  }
}
