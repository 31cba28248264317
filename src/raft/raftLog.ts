/**
 * The replicated metadata log of one KRaft replica: segments on disk, the entries from the log
 * start offset in memory, the leader-epoch cache, the latest snapshot, and what has been fsynced.
 *
 * What it models: Kafka's ReplicatedLog / KafkaMetadataLog — appendAsLeader, appendAsFollower,
 * truncateTo, truncateToEndOffset, endOffsetForEpoch, validateOffsetAndEpoch, snapshots that
 * advance the log start offset (KIP-630), and recovery that truncates a torn or corrupt tail.
 *
 * Invariants:
 * - Entries are contiguous: entries[i].offset === logStartOffset + i; epochs never decrease.
 * - logStartOffset ≤ flushedOffset ≤ logEndOffset: flushedOffset is the end of what an fsync has
 *   made durable, the only offset a replica may report to its leader or count towards a majority.
 * - When a snapshot exists, logStartOffset === snapshot.endOffset: the prefix it covers is dropped
 *   from memory at once and from disk segment by segment (a segment goes when the next one starts
 *   at or below the log start offset).
 * - Writes always go to the last (active) segment; a roll fsyncs the old one first, so fsyncs of
 *   the active segment, which complete in issue order, cover every earlier entry.
 * - Recovery only reads and truncates garbage; it deletes older snapshots and segments below the
 *   log start only after the recovered state is fsynced (`cleanAfterRecovery`).
 *
 * Left out: Kafka's batches, indexes, time-based retention, and keeping more than one snapshot.
 */

import type { Disk } from '../host.js';
import { FsyncTracker, checkDisk } from './fsyncTracker.js';
import { LeaderEpochCache, UNDEFINED_EPOCH_OFFSET } from './leaderEpochCache.js';
import { type LogEntry, type LogEntryKind, decodeLogEntry, encodeLogEntry } from './logEntry.js';
import type { OffsetAndEpoch, SnapshotId } from './messages.js';
import {
  type Snapshot,
  decodeSnapshot,
  encodeSnapshot,
  isSnapshotPartFile,
  parseSnapshotFileName,
  snapshotFileName,
  snapshotPartFileName,
} from './snapshotFile.js';

/** Kafka's ValidOffsetAndEpoch: how a leader answers a follower's (fetchOffset, lastFetchedEpoch). */
export type ValidOffsetAndEpoch =
  | { readonly kind: 'valid'; readonly offsetAndEpoch: OffsetAndEpoch }
  | { readonly kind: 'diverging'; readonly offsetAndEpoch: OffsetAndEpoch }
  | { readonly kind: 'snapshot'; readonly offsetAndEpoch: OffsetAndEpoch };

export interface RecoveryReport {
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  /** Why recovery stopped reading early, when it did: a torn or corrupt frame, a gap, an epoch regression. */
  readonly truncatedAt: { readonly file: string; readonly position: number; readonly reason: string } | null;
  readonly snapshotId: SnapshotId | null;
}

interface Segment {
  readonly baseOffset: number;
  readonly name: string;
  sizeBytes: number;
}

interface PendingFlush {
  endOffset: number;
}

export class RaftLog {
  private entries: LogEntry[] = [];
  /** Byte position of each in-memory entry inside its segment; parallel to `entries`. */
  private positions: number[] = [];
  private segments: Segment[] = [];
  private readonly epochCache = new LeaderEpochCache();
  private snapshot: Snapshot | null = null;
  private startOffset = 0;
  private flushed = 0;
  private readonly pendingFlushes: PendingFlush[] = [];
  private snapshotWriteInProgress = false;

  private constructor(
    private readonly disk: Disk,
    private readonly fsyncs: FsyncTracker,
    private readonly dir: string,
    private readonly segmentBytes: number,
  ) {}

  /** Reads the log directory as the previous incarnation left it (in the page cache). */
  static recover(
    disk: Disk,
    fsyncs: FsyncTracker,
    dir: string,
    segmentBytes: number,
  ): { log: RaftLog; report: RecoveryReport } {
    const log = new RaftLog(disk, fsyncs, dir, segmentBytes);
    log.recoverSnapshot();
    const truncatedAt = log.recoverSegments();
    log.flushed = log.startOffset;
    const report: RecoveryReport = {
      logStartOffset: log.startOffset,
      logEndOffset: log.logEndOffset,
      truncatedAt,
      snapshotId: log.snapshot?.id ?? null,
    };
    return { log, report };
  }

  get logStartOffset(): number {
    return this.startOffset;
  }

  get logEndOffset(): number {
    return this.startOffset + this.entries.length;
  }

  /** The end of what is durable: every entry below it has been fsynced. */
  get flushedOffset(): number {
    return this.flushed;
  }

  get latestSnapshot(): Snapshot | null {
    return this.snapshot;
  }

  get isSnapshotWriteInProgress(): boolean {
    return this.snapshotWriteInProgress;
  }

  /** The epoch of the last entry, or of the snapshot when the log is empty, or 0. */
  lastFetchedEpoch(): number {
    const latest = this.epochCache.latestEpoch();
    return latest < 0 ? 0 : latest;
  }

  /** Kafka's `endOffset()`: the log end offset with the epoch of the entry just before it. */
  endOffset(): OffsetAndEpoch {
    return { offset: this.logEndOffset, epoch: this.lastFetchedEpoch() };
  }

  entryAt(offset: number): LogEntry | undefined {
    return this.entries[offset - this.startOffset];
  }

  /** Entries from `fromOffset` (inclusive), at most `maxEntries`. */
  read(fromOffset: number, maxEntries: number): LogEntry[] {
    if (fromOffset < this.startOffset || fromOffset > this.logEndOffset) {
      throw new Error(`read: ${fromOffset} outside [${this.startOffset}, ${this.logEndOffset}]`);
    }
    const from = fromOffset - this.startOffset;
    return this.entries.slice(from, from + maxEntries);
  }

  appendAsLeader(records: ReadonlyArray<{ kind: LogEntryKind; record: Uint8Array }>, epoch: number): LogEntry[] {
    if (epoch < this.lastFetchedEpoch()) throw new Error(`appendAsLeader: epoch ${epoch} below ${this.lastFetchedEpoch()}`);
    const entries = records.map((r, i) => ({ offset: this.logEndOffset + i, epoch, kind: r.kind, record: r.record }));
    this.append(entries);
    return entries;
  }

  appendAsFollower(entries: readonly LogEntry[]): void {
    entries.forEach((entry, i) => {
      if (entry.offset !== this.logEndOffset + i) {
        throw new Error(`appendAsFollower: offset ${entry.offset} does not follow ${this.logEndOffset + i - 1}`);
      }
      const previousEpoch = i === 0 ? this.lastFetchedEpoch() : entries[i - 1]!.epoch;
      if (entry.epoch < previousEpoch) throw new Error(`appendAsFollower: epoch ${entry.epoch} after ${previousEpoch}`);
    });
    this.append(entries);
  }

  /** Removes every entry at or above `offset`. Committed entries are never truncated (the caller asserts). */
  truncateTo(offset: number): void {
    if (offset < this.startOffset) throw new Error(`truncateTo: ${offset} below log start ${this.startOffset}`);
    if (offset >= this.logEndOffset) return;
    const position = this.positions[offset - this.startOffset]!;
    const segmentIndex = this.segmentIndexFor(offset);
    for (const segment of this.segments.splice(segmentIndex + 1)) checkDisk(this.disk.delete(segment.name), 'delete segment');
    const segment = this.segments[segmentIndex]!;
    checkDisk(this.disk.truncate(segment.name, position), 'truncate segment');
    segment.sizeBytes = position;
    this.entries.length = offset - this.startOffset;
    this.positions.length = offset - this.startOffset;
    this.epochCache.truncateFromEnd(offset);
    this.flushed = Math.min(this.flushed, offset);
    for (const pending of this.pendingFlushes) pending.endOffset = Math.min(pending.endOffset, offset);
  }

  /**
   * Kafka's `truncateToEndOffset`: truncates to where the leader's `divergingEpoch` and this log
   * agree, and returns that offset. The follower's own end of that epoch may be shorter than the
   * leader's, and a different epoch at the leader's end offset means the follower's log ends there.
   */
  truncateToEndOffset(endOffset: OffsetAndEpoch): number {
    let truncationOffset: number;
    if (endOffset.epoch === 0) {
      truncationOffset = Math.min(endOffset.offset, this.logEndOffset);
    } else {
      const local = this.endOffsetForEpoch(endOffset.epoch);
      truncationOffset = local.epoch === endOffset.epoch ? Math.min(local.offset, endOffset.offset) : local.offset;
    }
    this.truncateTo(truncationOffset);
    return truncationOffset;
  }

  /**
   * Kafka's `endOffsetForEpoch` for the metadata log: the cache's answer, overridden by the snapshot
   * id when the requested epoch ends before the log starts, and (log end, last epoch) when the
   * requested epoch is newer than anything in this log.
   */
  endOffsetForEpoch(epoch: number): OffsetAndEpoch {
    const found = this.epochCache.endOffsetFor(epoch, this.logEndOffset);
    if (found.offset === UNDEFINED_EPOCH_OFFSET) return this.endOffset();
    const snapshotId = this.snapshot?.id;
    if (snapshotId !== undefined && found.offset === snapshotId.endOffset && found.epoch < snapshotId.epoch) {
      return { offset: snapshotId.endOffset, epoch: snapshotId.epoch };
    }
    return found;
  }

  /**
   * Kafka's `validateOffsetAndEpoch`, run by the leader on a follower's Fetch: the follower must
   * fetch a snapshot when it is below the log start (or its epoch is older than the snapshot's),
   * must truncate when its last epoch ends earlier here, and is otherwise consistent.
   */
  validateOffsetAndEpoch(offset: number, epoch: number): ValidOffsetAndEpoch {
    if (this.startOffset === 0 && offset === 0) return { kind: 'valid', offsetAndEpoch: { offset: 0, epoch: 0 } };
    const snapshotId = this.snapshot?.id;
    if (
      snapshotId !== undefined &&
      (offset < this.startOffset ||
        (offset === this.startOffset && epoch !== snapshotId.epoch) ||
        epoch < snapshotId.epoch)
    ) {
      return { kind: 'snapshot', offsetAndEpoch: { offset: snapshotId.endOffset, epoch: snapshotId.epoch } };
    }
    const endOffsetAndEpoch = this.endOffsetForEpoch(epoch);
    if (endOffsetAndEpoch.epoch !== epoch || endOffsetAndEpoch.offset < offset) {
      return { kind: 'diverging', offsetAndEpoch: endOffsetAndEpoch };
    }
    return { kind: 'valid', offsetAndEpoch: { offset, epoch } };
  }

  /** Fsyncs the active segment; `onDurable` runs once every entry appended so far is durable. */
  flush(onDurable: () => void): void {
    const active = this.segments[this.segments.length - 1];
    if (active === undefined) {
      this.flushed = this.logEndOffset;
      onDurable();
      return;
    }
    const pending: PendingFlush = { endOffset: this.logEndOffset };
    this.pendingFlushes.push(pending);
    this.fsyncs.fsync(active.name, () => {
      this.pendingFlushes.splice(this.pendingFlushes.indexOf(pending), 1);
      this.flushed = Math.max(this.flushed, Math.min(pending.endOffset, this.logEndOffset));
      onDurable();
    });
  }

  /**
   * Makes the recovered state durable (it was read from the page cache, which a power loss could
   * still roll back), then removes what the durable snapshot supersedes.
   */
  flushAfterRecovery(onDurable: () => void): void {
    const files = this.segments.map((segment) => segment.name);
    if (this.snapshot !== null) files.unshift(snapshotFileName(this.dir, this.snapshot.id));
    const last = files.pop();
    for (const file of files) this.fsyncs.fsync(file, () => {});
    const finish = (): void => {
      this.flushed = this.logEndOffset;
      this.cleanAfterSnapshot();
      onDurable();
    };
    if (last === undefined) finish();
    else this.fsyncs.fsync(last, finish);
  }

  /**
   * Writes a snapshot of the state after every entry below `id.endOffset`, then advances the log
   * start offset to it. The prefix is deleted only once the snapshot is durable and renamed.
   */
  createSnapshot(id: SnapshotId, data: Uint8Array, onDone: () => void): void {
    const entry = this.entryAt(id.endOffset - 1);
    if (entry === undefined || entry.epoch !== id.epoch) throw new Error(`createSnapshot: ${JSON.stringify(id)} not in log`);
    this.writeSnapshot({ id, data }, () => {
      this.advanceLogStartTo(id);
      onDone();
    });
  }

  /**
   * Installs a snapshot fetched from the leader (FetchSnapshot). As Kafka's
   * `truncateToLatestSnapshot`, the whole log is replaced when it does not contain the snapshot's
   * last entry; otherwise only the prefix goes.
   */
  installSnapshot(snapshot: Snapshot, onDone: () => void): void {
    this.writeSnapshot(snapshot, () => {
      const last = this.entryAt(snapshot.id.endOffset - 1);
      if (snapshot.id.endOffset > this.logEndOffset || last?.epoch !== snapshot.id.epoch) this.resetTo(snapshot.id);
      else this.advanceLogStartTo(snapshot.id);
      onDone();
    });
  }

  private writeSnapshot(snapshot: Snapshot, onDurable: () => void): void {
    if (this.snapshotWriteInProgress) throw new Error('writeSnapshot: a snapshot write is already in progress');
    if (snapshot.id.endOffset <= (this.snapshot?.id.endOffset ?? 0)) throw new Error('writeSnapshot: not newer');
    this.snapshotWriteInProgress = true;
    const part = snapshotPartFileName(this.dir, snapshot.id);
    const file = snapshotFileName(this.dir, snapshot.id);
    if (this.disk.exists(part)) checkDisk(this.disk.delete(part), 'delete snapshot part');
    checkDisk(this.disk.append(part, encodeSnapshot(snapshot)), 'write snapshot');
    this.fsyncs.fsync(part, () => {
      checkDisk(this.disk.rename(part, file), 'rename snapshot');
      this.fsyncs.fsync(file, () => {
        this.snapshotWriteInProgress = false;
        this.snapshot = snapshot;
        onDurable();
      });
    });
  }

  private advanceLogStartTo(id: SnapshotId): void {
    if (id.endOffset <= this.startOffset) return;
    const dropped = id.endOffset - this.startOffset;
    this.entries.splice(0, dropped);
    this.positions.splice(0, dropped);
    this.startOffset = id.endOffset;
    this.flushed = Math.max(this.flushed, this.startOffset);
    this.epochCache.truncateFromStart(this.startOffset);
    this.cleanAfterSnapshot();
  }

  private resetTo(id: SnapshotId): void {
    for (const segment of this.segments) checkDisk(this.disk.delete(segment.name), 'delete segment');
    this.segments = [];
    this.entries = [];
    this.positions = [];
    this.startOffset = id.endOffset;
    this.flushed = id.endOffset;
    for (const pending of this.pendingFlushes) pending.endOffset = id.endOffset;
    this.epochCache.clear();
    this.epochCache.assign(id.epoch, id.endOffset);
    this.cleanAfterSnapshot();
  }

  /** Deletes older snapshots and the segments that lie wholly below the log start offset. */
  private cleanAfterSnapshot(): void {
    const keep = this.snapshot === null ? null : snapshotFileName(this.dir, this.snapshot.id);
    for (const name of this.disk.list()) {
      if (name !== keep && parseSnapshotFileName(this.dir, name) !== null) checkDisk(this.disk.delete(name), 'delete snapshot');
    }
    while (this.segments.length >= 2 && this.segments[1]!.baseOffset <= this.startOffset) {
      checkDisk(this.disk.delete(this.segments.shift()!.name), 'delete segment');
    }
  }

  private append(entries: readonly LogEntry[]): void {
    if (entries.length === 0) return;
    const active = this.activeSegmentForAppend();
    const frames = entries.map(encodeLogEntry);
    const bytes = new Uint8Array(frames.reduce((total, frame) => total + frame.length, 0));
    let position = 0;
    const positions: number[] = [];
    for (const frame of frames) {
      bytes.set(frame, position);
      positions.push(active.sizeBytes + position);
      position += frame.length;
    }
    checkDisk(this.disk.append(active.name, bytes), 'append to segment');
    active.sizeBytes += bytes.length;
    for (const [i, entry] of entries.entries()) {
      this.entries.push(entry);
      this.positions.push(positions[i]!);
      this.epochCache.assign(entry.epoch, entry.offset);
    }
  }

  private activeSegmentForAppend(): Segment {
    const active = this.segments[this.segments.length - 1];
    if (active !== undefined && active.sizeBytes < this.segmentBytes) return active;
    // Rolling fsyncs the old segment first, so later fsyncs of the new one (which complete after it)
    // imply that every earlier entry is durable.
    if (active !== undefined) this.flush(() => {});
    const segment = { baseOffset: this.logEndOffset, name: this.segmentFileName(this.logEndOffset), sizeBytes: 0 };
    this.segments.push(segment);
    return segment;
  }

  private segmentIndexFor(offset: number): number {
    for (let i = this.segments.length - 1; i >= 0; i--) if (this.segments[i]!.baseOffset <= offset) return i;
    throw new Error(`segmentIndexFor: no segment holds offset ${offset}`);
  }

  private segmentFileName(baseOffset: number): string {
    return `${this.dir}/${String(baseOffset).padStart(20, '0')}.log`;
  }

  private parseSegmentFileName(name: string): number | null {
    const match = /^(\d{20})\.log$/.exec(name.slice(this.dir.length + 1));
    return name.startsWith(`${this.dir}/`) && match !== null ? Number(match[1]) : null;
  }

  private recoverSnapshot(): void {
    const candidates: SnapshotId[] = [];
    for (const name of this.disk.list()) {
      if (isSnapshotPartFile(this.dir, name)) checkDisk(this.disk.delete(name), 'delete snapshot part');
      const id = parseSnapshotFileName(this.dir, name);
      if (id !== null) candidates.push(id);
    }
    candidates.sort((a, b) => b.endOffset - a.endOffset);
    for (const id of candidates) {
      const snapshot = decodeSnapshot(checkDisk(this.disk.read(snapshotFileName(this.dir, id)), 'read snapshot'), id);
      if (snapshot !== null) {
        this.snapshot = snapshot;
        this.startOffset = id.endOffset;
        this.epochCache.assign(id.epoch, id.endOffset);
        return;
      }
      // A corrupt snapshot is never trusted; an older one (or the log) takes its place.
      checkDisk(this.disk.delete(snapshotFileName(this.dir, id)), 'delete corrupt snapshot');
    }
  }

  /** Reads the segments in order, keeping the longest valid contiguous run from the log start. */
  private recoverSegments(): RecoveryReport['truncatedAt'] {
    const bases: Array<{ baseOffset: number; name: string }> = [];
    for (const name of this.disk.list()) {
      const baseOffset = this.parseSegmentFileName(name);
      if (baseOffset !== null) bases.push({ baseOffset, name });
    }
    bases.sort((a, b) => a.baseOffset - b.baseOffset);
    let truncatedAt: RecoveryReport['truncatedAt'] = null;
    for (const { baseOffset, name } of bases) {
      if (truncatedAt !== null) {
        checkDisk(this.disk.delete(name), 'delete segment after corruption');
        continue;
      }
      const stop = this.recoverSegment(name);
      this.segments.push({ baseOffset, name, sizeBytes: stop?.position ?? checkDisk(this.disk.size(name), 'size') });
      if (stop !== null) {
        checkDisk(this.disk.truncate(name, stop.position), 'truncate torn tail');
        truncatedAt = { file: name, ...stop };
      }
    }
    return truncatedAt;
  }

  private recoverSegment(name: string): { position: number; reason: string } | null {
    const data = checkDisk(this.disk.read(name), 'read segment');
    let position = 0;
    while (position < data.length) {
      const decoded = decodeLogEntry(data, position);
      if (!decoded.ok) return { position, reason: decoded.reason };
      const { entry } = decoded;
      const belowStart = this.entries.length === 0 && entry.offset < this.startOffset;
      if (!belowStart) {
        if (entry.offset !== this.logEndOffset) return { position, reason: `gap: ${entry.offset} after ${this.logEndOffset}` };
        if (entry.epoch < this.lastFetchedEpoch()) return { position, reason: `epoch ${entry.epoch} regresses` };
        this.entries.push(entry);
        this.positions.push(position);
        this.epochCache.assign(entry.epoch, entry.offset);
      }
      position += decoded.frameBytes;
    }
    return null;
  }
}
