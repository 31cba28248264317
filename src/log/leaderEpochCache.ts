/**
 * The leader-epoch cache of one partition (Kafka's LeaderEpochFileCache): for each leader epoch that
 * has batches in the log, the offset of its first batch. It answers OffsetsForLeaderEpoch — "where
 * does epoch E end in your log?" — which is how a follower finds where its log diverges from the
 * leader's and truncates exactly there instead of to its high watermark (KIP-101; KIP-279 fixed the
 * case of several leader changes in a row by returning the largest epoch ≤ the requested one).
 *
 * Invariants: entries strictly increase in both epoch and startOffset. `assign` of an entry that is
 * not newer than all others first drops the entries it conflicts with, as Kafka does.
 *
 * Persistence: the cache is written to `<dir>/leader-epoch-checkpoint` through a CheckpointFile
 * (temp + fsync + rename, completed when the owner routes the fsync completion here) after every
 * change. The checkpoint may lag the memory by a write or two when the process dies; that is safe
 * because UnifiedLog.load re-assigns every batch's epoch from the log it recovers and then truncates
 * the cache to the log — the checkpoint only contributes what the log no longer shows (the epoch of
 * an empty log whose segments retention deleted).
 *
 * Semantics follow Kafka's code and its LeaderEpochFileCacheTest, including one case where the
 * ksim issue text differs: an epoch below the first known one answers (requestedEpoch, first start
 * offset) — Kafka's shouldReturnFirstEpochIfRequestedEpochLessThanFirstEpoch — not UNDEFINED, so a
 * follower truncates to the leader's first known offset instead of keeping a prefix the leader lost.
 */

import type { Disk, DiskCompletion } from '../host.js';
import { CheckpointFile, type CheckpointRead } from './checkpointFile.js';

export const UNDEFINED_EPOCH = -1;
export const UNDEFINED_EPOCH_OFFSET = -1;
export const LEADER_EPOCH_CHECKPOINT_FILE = 'leader-epoch-checkpoint';
const CHECKPOINT_VERSION = 0;

export interface EpochEntry {
  readonly epoch: number;
  readonly startOffset: number;
}

/** The answer to OffsetsForLeaderEpoch: an epoch and its end offset (exclusive). */
export interface EpochEndOffset {
  readonly epoch: number;
  readonly endOffset: number;
}

export type EpochCheckpointLoad = CheckpointRead['kind'] | 'malformed';

export class LeaderEpochFileCache {
  private entries: EpochEntry[] = [];
  /** While > 0, changes mark the cache dirty instead of writing the checkpoint at once. */
  private deferDepth = 0;
  private dirty = false;

  constructor(private readonly checkpoint: CheckpointFile | null = null) {}

  /** Loads `<dir>/leader-epoch-checkpoint`; an unreadable checkpoint loads as empty. */
  static load(disk: Disk, dir: string): { cache: LeaderEpochFileCache; checkpoint: EpochCheckpointLoad } {
    const file = new CheckpointFile(disk, `${dir}/${LEADER_EPOCH_CHECKPOINT_FILE}`);
    file.removeStaleTemp();
    const cache = new LeaderEpochFileCache(file);
    const read = file.read();
    if (read.kind !== 'ok') return { cache, checkpoint: read.kind };
    const entries = parseEntries(read.lines);
    if (entries === null) return { cache, checkpoint: 'malformed' };
    cache.entries = entries;
    return { cache, checkpoint: 'ok' };
  }

  /** Records that `epoch` starts at `startOffset`; returns whether the cache changed. */
  assign(epoch: number, startOffset: number): boolean {
    if (epoch < 0 || startOffset < 0) throw new Error(`assign: negative epoch ${epoch} or start offset ${startOffset}`);
    const latest = this.latestEntry();
    const isUpdateNeeded = latest === undefined || epoch !== latest.epoch || startOffset < latest.startOffset;
    if (!isUpdateNeeded) return false;
    // An entry not newer than every other means the log was truncated or rewritten below it: the
    // entries it conflicts with describe a history that is gone.
    this.entries = this.entries.filter((entry) => entry.epoch < epoch && entry.startOffset < startOffset);
    this.entries.push({ epoch, startOffset });
    this.changed();
    return true;
  }

  latestEpoch(): number {
    return this.latestEntry()?.epoch ?? UNDEFINED_EPOCH;
  }

  latestEntry(): EpochEntry | undefined {
    return this.entries[this.entries.length - 1];
  }

  /**
   * Kafka's epochForOffset: the epoch of the batch holding `offset`, i.e. of the last entry that
   * starts at or below it; UNDEFINED_EPOCH below the first entry. The caller keeps `offset` below
   * the log end offset: only the latest entry may start where no batch is yet.
   */
  epochForOffset(offset: number): number {
    let epoch = UNDEFINED_EPOCH;
    for (const entry of this.entries) {
      if (entry.startOffset > offset) break;
      epoch = entry.epoch;
    }
    return epoch;
  }

  /**
   * Kafka's endOffsetFor: the largest epoch ≤ `requestedEpoch` and the offset where it ends (the
   * start of the next known epoch). The latest epoch ends at the log end offset. An epoch below the
   * first known one answers (requestedEpoch, first start offset). UNDEFINED_EPOCH, an empty cache, or
   * an epoch above every known one answer (UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET).
   */
  endOffsetFor(requestedEpoch: number, logEndOffset: number): EpochEndOffset {
    const undefinedResult = { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    if (requestedEpoch === UNDEFINED_EPOCH) return undefinedResult;
    const latest = this.latestEntry();
    if (latest !== undefined && latest.epoch === requestedEpoch) return { epoch: requestedEpoch, endOffset: logEndOffset };
    const higherIndex = this.entries.findIndex((entry) => entry.epoch > requestedEpoch);
    const higher = this.entries[higherIndex];
    if (higher === undefined) return undefinedResult;
    const floor = this.entries[higherIndex - 1];
    if (floor === undefined) return { epoch: requestedEpoch, endOffset: higher.startOffset };
    return { epoch: floor.epoch, endOffset: higher.startOffset };
  }

  /** Removes the epochs that start at or after `endOffset`: the log was truncated there. */
  truncateFromEnd(endOffset: number): void {
    if (endOffset < 0) return;
    const before = this.entries.length;
    this.entries = this.entries.filter((entry) => entry.startOffset < endOffset);
    if (this.entries.length !== before) this.changed();
  }

  /**
   * Removes the epochs wholly below `startOffset` and moves the one that contains it to start there:
   * the log's prefix was deleted.
   */
  truncateFromStart(startOffset: number): void {
    if (startOffset < 0) return;
    let floor: EpochEntry | undefined;
    let removed = 0;
    while (this.entries.length > 0 && this.entries[0]!.startOffset <= startOffset) {
      floor = this.entries.shift();
      removed++;
    }
    if (floor === undefined) return;
    this.entries.unshift({ epoch: floor.epoch, startOffset });
    if (removed > 1 || floor.startOffset !== startOffset) this.changed();
  }

  clear(): void {
    if (this.entries.length === 0) return;
    this.entries = [];
    this.changed();
  }

  epochEntries(): readonly EpochEntry[] {
    return this.entries;
  }

  /** Runs `update` with checkpoint writes held back, then writes once if anything changed. */
  withDeferredCheckpoint<T>(update: () => T): T {
    this.deferDepth++;
    try {
      return update();
    } finally {
      this.deferDepth--;
      if (this.deferDepth === 0 && this.dirty) this.writeCheckpoint();
    }
  }

  /** Writes the checkpoint now (load uses it when the file did not match the recovered log). */
  writeCheckpoint(): void {
    this.dirty = false;
    this.checkpoint?.write(formatEntries(this.entries));
  }

  /** Retries a checkpoint write that failed for lack of space. */
  retryCheckpoint(): void {
    this.checkpoint?.retry();
  }

  onFsyncComplete(completion: DiskCompletion): boolean {
    return this.checkpoint?.onFsyncComplete(completion) ?? false;
  }

  private changed(): void {
    if (this.deferDepth > 0) this.dirty = true;
    else this.writeCheckpoint();
  }
}

function formatEntries(entries: readonly EpochEntry[]): string[] {
  return [String(CHECKPOINT_VERSION), String(entries.length), ...entries.map((entry) => `${entry.epoch} ${entry.startOffset}`)];
}

/** Parses Kafka's checkpoint lines; null when they are not a valid, monotonic epoch history. */
function parseEntries(lines: readonly string[]): EpochEntry[] | null {
  if (lines[0] !== String(CHECKPOINT_VERSION)) return null;
  const count = Number(lines[1]);
  if (!Number.isSafeInteger(count) || count < 0 || lines.length !== count + 2) return null;
  const entries: EpochEntry[] = [];
  for (const line of lines.slice(2)) {
    const match = /^(\d+) (\d+)$/.exec(line);
    if (match === null) return null;
    const entry = { epoch: Number(match[1]), startOffset: Number(match[2]) };
    const previous = entries[entries.length - 1];
    if (previous !== undefined && (entry.epoch <= previous.epoch || entry.startOffset <= previous.startOffset)) return null;
    entries.push(entry);
  }
  return entries;
}
