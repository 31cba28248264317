/**
 * The log of one partition replica (Kafka's UnifiedLog over LocalLog): the segments of the directory
 * `<topic>-<partition>/`, its leader-epoch cache and producer state, and the offsets that describe
 * it.
 *
 * Offsets (invariants, checked where they change):
 *   logStartOffset ≤ highWatermark ≤ logEndOffset, and logStartOffset ≤ recoveryPoint ≤ logEndOffset.
 * - logStartOffset: the first offset readable. For a partition it is the first segment's base
 *   offset; the metadata log moves it past a snapshot (`maybeIncrementLogStartOffset`, Kafka's
 *   SnapshotGenerated reason), inside a segment, and then deletes the segments wholly below it.
 * - logEndOffset (LEO): the offset the next batch gets.
 * - highWatermark: set by the owner (the partition) and only clamped here; the log never derives it.
 * - recoveryPoint: everything below it is known fsynced. It advances only when a segment fsync that
 *   this log issued completes and the owner routes the completion to `onFsyncComplete`.
 * Segments are contiguous: each starts where the previous ends; the last is the active segment.
 *
 * Durability: writes land in the page cache. Segments are fsynced when rolled (as Kafka does), when
 * flush.messages / flush.ms demand it (`maybeFlush`, which appends call and the owner's timer calls),
 * and when the owner calls `flush`. Nothing is acknowledged from here: the owner decides what must be
 * durable before it answers (DESIGN.md §3).
 *
 * Reads (`read`, Kafka's LocalLog.read) return the stored batches as bytes (MemoryRecords), picked
 * by their header fields and never decoded; `readBatches` decodes them for the owners that
 * interpret their own records. A follower's append stores the bytes it received.
 *
 * Recovery (`load`, Kafka's LogLoader): every segment is recovered — not only those above a
 * recovery-point checkpoint, which ksim does not keep — so a torn tail from a power loss and a
 * flipped bit anywhere are both found. (Kafka skips recovery after a clean shutdown, which ksim's
 * brokers never have: every stop is a fault or a halt; and after an unclean one it recovers from
 * the recovery point, which with Kafka's default flush policy and segment.bytes stays below the
 * only, active segment of these runs: the whole segment is recovered there too.) As in Kafka, the first segment with an invalid tail is
 * truncated there and every later segment is deleted. The epoch cache is loaded from its checkpoint,
 * re-assigned from every recovered batch and truncated to the log; producer state is rebuilt by
 * replaying every batch. The indexes are rebuilt in memory. After load the recovery point is the log
 * start offset: data that survived a process crash may still be only in the page cache.
 *
 * Storage errors: an append that the disk refuses (ENOSPC) leaves the log unchanged and answers
 * KAFKA_STORAGE_ERROR; Kafka would also take the whole log directory offline, which is the owner's
 * call here.
 *
 * Left out: the log-start-offset checkpoint and DeleteRecords (a loaded log starts at its first
 * segment's base offset; the metadata log restores its start from its snapshot), the recovery-point
 * checkpoint, compaction, the time index (a lookup by timestamp scans the segment it picks), tiered
 * storage, and the delayed asynchronous deletion of segment files (they are deleted at once).
 *
 * Transactions (KIP-98): transactional batches open a producer's transaction, a control batch with
 * a COMMIT or ABORT marker (`appendAsLeader` with `isControl`, from the transaction coordinator's
 * WriteTxnMarkers) ends it. An ABORT is indexed in the segment holding its marker (the segment's
 * `txnIndex`), with the last stable offset at that moment. The last stable offset (LSO) is the
 * smaller of the high watermark and the first offset of a transaction not yet both ended and
 * replicated; read_committed consumers read below it, and `collectAbortedTransactions` tells them
 * which producers' records to drop. Both the producer state and the indexes are rebuilt by replay
 * on load and after a truncation.
 */

import type { Disk, DiskCompletion } from '../host.js';
import type { LogConfig } from './config.js';
import { NEVER } from './config.js';
import type { LogErrorCode } from './errors.js';
import { type EpochCheckpointLoad, type EpochEndOffset, type EpochEntry, LeaderEpochFileCache, UNDEFINED_EPOCH } from './leaderEpochCache.js';
import { PendingFlushes } from './pendingFlushes.js';
import { type AppendOrigin, type CompletedTxn, type ProducerStateEntry, ProducerStateManager } from './producerState.js';
import {
  type DecodeStop,
  EMPTY_RECORDS,
  type EncodedBatch,
  type MemoryRecords,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  NO_SEQUENCE,
  type RecordBatch,
  type SimpleRecord,
  decodeVerifiedRecords,
  encodeBatch,
  lastOffset,
  nextOffset,
} from './recordBatch.js';
import { LogSegment, parseSegmentBaseOffset, segmentFileName, type TimestampAndOffset } from './segment.js';
import type { AbortedTransaction } from './transactionIndex.js';

/** The idempotent producer fields of a produce request's batch. */
export interface ProducerAppendInfo {
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
}

export type LogError = { readonly error: LogErrorCode };

export type LeaderAppendResult =
  | { readonly firstOffset: number; readonly lastOffset: number; readonly duplicate: boolean }
  | LogError;

export type FollowerAppendResult = { readonly firstOffset: number; readonly lastOffset: number } | LogError;

/** A read of the log (Kafka's FetchDataInfo): the stored batches, undecoded. */
export interface LogReadResult {
  readonly records: MemoryRecords;
  readonly error?: 'OFFSET_OUT_OF_RANGE' | 'CORRUPT_MESSAGE';
}

/** A read of the log, decoded, for the owners that interpret their own records (the metadata log, a coordinator loading). */
export interface LogBatchesResult {
  readonly batches: RecordBatch[];
  readonly error?: 'OFFSET_OUT_OF_RANGE' | 'CORRUPT_MESSAGE';
}

/** What recovery found, for the owner to trace (the log emits nothing itself). */
export interface LogLoadSummary {
  readonly segmentCount: number;
  /** Bytes cut from the first segment whose tail was torn or corrupt (0 for a clean log). */
  readonly truncatedBytes: number;
  readonly stop: DecodeStop;
  /** The segment whose tail was cut, and the size it was cut to; null for a clean log. */
  readonly truncatedAt: { readonly file: string; readonly position: number } | null;
  /** Segment files deleted because they followed a truncated one or did not fit the sequence. */
  readonly deletedSegmentFiles: readonly string[];
  readonly epochCheckpoint: EpochCheckpointLoad;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
}

export function isLogError<T extends object>(result: T | LogError): result is LogError {
  return 'error' in result;
}

export class UnifiedLog {
  private logStartOffsetValue: number;
  private highWatermarkValue: number;
  private lastFlushMs: number;
  /** The latest time an input told us; stands in for "now" where the API takes no time. */
  private lastNowMs: number;
  private readonly flushes: PendingFlushes;

  private constructor(
    private readonly disk: Disk,
    readonly dir: string,
    readonly config: LogConfig,
    /** Invariant: non-empty, contiguous, sorted by base offset; the last is the active segment. */
    private segments: LogSegment[],
    private readonly epochCache: LeaderEpochFileCache,
    private readonly producerState: ProducerStateManager,
    readonly loadSummary: LogLoadSummary,
    nowMs: number,
  ) {
    this.logStartOffsetValue = segments[0]!.baseOffset;
    this.highWatermarkValue = this.logStartOffsetValue;
    this.flushes = new PendingFlushes(this.logStartOffsetValue);
    this.lastFlushMs = nowMs;
    this.lastNowMs = nowMs;
  }

  // ---- Recovery ----

  static load(disk: Disk, dir: string, config: LogConfig, nowMs: number): UnifiedLog {
    const baseOffsets = disk
      .list()
      .map((name) => parseSegmentBaseOffset(dir, name))
      .filter((offset): offset is number => offset !== null)
      .sort((a, b) => a - b);
    const recovered = recoverSegments(disk, dir, config, baseOffsets, nowMs);
    if (recovered.segments.length === 0) recovered.segments.push(LogSegment.empty(disk, dir, 0, config.indexIntervalBytes, nowMs));
    const segments = recovered.segments;
    const logStartOffset = segments[0]!.baseOffset;
    const logEndOffset = segments[segments.length - 1]!.nextOffset;

    const { cache, checkpoint } = LeaderEpochFileCache.load(disk, dir);
    cache.withDeferredCheckpoint(() => {
      for (const batch of recovered.batches) {
        if (batch.partitionLeaderEpoch >= 0) cache.assign(batch.partitionLeaderEpoch, batch.baseOffset);
      }
      cache.truncateFromEnd(logEndOffset);
      cache.truncateFromStart(logStartOffset);
    });
    if (checkpoint === 'corrupt' || checkpoint === 'malformed') cache.writeCheckpoint();

    const producerState = new ProducerStateManager();
    replayProducerState(producerState, segments, recovered.batches);

    const summary: LogLoadSummary = {
      segmentCount: segments.length,
      truncatedBytes: recovered.truncatedBytes,
      stop: recovered.stop,
      truncatedAt: recovered.truncatedAt,
      deletedSegmentFiles: recovered.deletedSegmentFiles,
      epochCheckpoint: checkpoint,
      logStartOffset,
      logEndOffset,
    };
    return new UnifiedLog(disk, dir, config, segments, cache, producerState, summary, nowMs);
  }

  // ---- Offsets ----

  get logStartOffset(): number {
    return this.logStartOffsetValue;
  }

  get logEndOffset(): number {
    return this.activeSegment.nextOffset;
  }

  get highWatermark(): number {
    return this.highWatermarkValue;
  }

  get recoveryPoint(): number {
    return this.flushes.recoveryPoint;
  }

  /** Sets the high watermark, clamped to [logStartOffset, logEndOffset]; returns the value set. */
  updateHighWatermark(offset: number): number {
    this.highWatermarkValue = Math.min(Math.max(offset, this.logStartOffset), this.logEndOffset);
    this.producerState.onHighWatermarkUpdated(this.highWatermarkValue);
    return this.highWatermarkValue;
  }

  /** Raises the high watermark (clamped to the LEO), never lowers it; returns whether it moved. */
  maybeIncrementHighWatermark(offset: number): boolean {
    const clamped = Math.min(offset, this.logEndOffset);
    if (clamped <= this.highWatermarkValue) return false;
    this.highWatermarkValue = clamped;
    this.producerState.onHighWatermarkUpdated(clamped);
    return true;
  }

  /**
   * The first offset of a transaction that is ongoing, or ended by a marker the high watermark has
   * not passed yet (Kafka's firstUnstableOffset); null when there is none.
   */
  get firstUnstableOffset(): number | null {
    return this.producerState.firstUnstableOffset();
  }

  /** Kafka's lastStableOffset: read_committed consumers read below it. Without transactions it is the high watermark. */
  get lastStableOffset(): number {
    const firstUnstable = this.firstUnstableOffset;
    return firstUnstable === null ? this.highWatermarkValue : Math.min(firstUnstable, this.highWatermarkValue);
  }

  // ---- Appends ----

  /**
   * Appends a produce request's records as one batch: assigns offsets from the LEO, stamps the
   * leader epoch, runs the idempotent-producer checks, and records a new epoch in the epoch cache.
   * A duplicate of one of the producer's last 5 batches is not written again: it answers with the
   * original batch's offsets and `duplicate: true`, which the broker reports as success.
   * `fencesOlderProducerEpochs: false` is the legacy switch ksim.legacy.no.producer.epoch.fencing.
   */
  appendAsLeader(
    records: readonly SimpleRecord[],
    leaderEpoch: number,
    producer: ProducerAppendInfo | null,
    nowMs: number,
    options: { readonly isControl?: boolean; readonly isTransactional?: boolean; readonly origin?: AppendOrigin; readonly fencesOlderProducerEpochs?: boolean } = {},
  ): LeaderAppendResult {
    const isControl = options.isControl ?? false;
    const isTransactional = options.isTransactional ?? false;
    if (isControl && producer !== null && !isTransactional) throw new Error(`${this.dir}: only a transaction marker is a control batch with a producer`);
    if (leaderEpoch < 0 || leaderEpoch < this.latestEpoch()) {
      // The partition fences stale leaders before it appends; an older epoch here is a bug there.
      throw new Error(`${this.dir}: appendAsLeader at epoch ${leaderEpoch} below the log's latest ${this.latestEpoch()}`);
    }
    if (records.length === 0) return { error: 'INVALID_RECORD' };
    if (producer !== null && producer.producerId >= 0 && !validProducerFields(producer, isControl)) return { error: 'INVALID_RECORD' };
    if (isTransactional && (producer === null || producer.producerId < 0)) return { error: 'INVALID_RECORD' };
    const logAppendTime = this.config.messageTimestampType === 'LogAppendTime';
    const stamped = logAppendTime ? records.map((record) => ({ ...record, timestampMs: nowMs })) : records;
    const batch: RecordBatch = {
      baseOffset: this.logEndOffset,
      lastOffsetDelta: stamped.length - 1,
      partitionLeaderEpoch: leaderEpoch,
      producerId: producer?.producerId ?? NO_PRODUCER_ID,
      producerEpoch: producer?.producerEpoch ?? NO_PRODUCER_EPOCH,
      baseSequence: producer?.baseSequence ?? NO_SEQUENCE,
      isTransactional,
      isControl,
      maxTimestampMs: stamped.reduce((max, record) => Math.max(max, record.timestampMs), -1),
      records: stamped,
    };
    const encoded = encodeBatch(batch);
    if (encoded.length > this.config.maxMessageBytes) return { error: 'MESSAGE_TOO_LARGE' };
    if (encoded.length > this.config.segmentBytes) return { error: 'RECORD_LIST_TOO_LARGE' };
    const check = this.producerState.checkAndPrepare(batch, options.origin, options.fencesOlderProducerEpochs);
    if (check.kind === 'duplicate') return { firstOffset: check.firstOffset, lastOffset: check.lastOffset, duplicate: true };
    if (check.kind === 'rejected') return { error: check.error };
    const error = this.appendBatch(batch, encoded, nowMs);
    if (error !== null) return { error };
    this.maybeFlush(nowMs);
    return { firstOffset: batch.baseOffset, lastOffset: lastOffset(batch), duplicate: false };
  }

  /**
   * Appends batches fetched from the leader, offsets and epochs as the leader assigned them, and
   * stores each as the bytes it came in (the receiver checked their CRCs). They must start at this
   * log's LEO and be contiguous, else UNEXPECTED_APPEND_OFFSET and nothing is written. Producer
   * state is updated without checks (the leader checked). On a storage error the batches before the
   * failing one stay appended.
   */
  appendAsFollower(batches: readonly EncodedBatch[], nowMs: number): FollowerAppendResult {
    const firstOffset = this.logEndOffset;
    let expected = firstOffset;
    for (const { batch } of batches) {
      if (batch.baseOffset !== expected || batch.lastOffsetDelta !== batch.records.length - 1 || batch.records.length === 0) {
        return { error: 'UNEXPECTED_APPEND_OFFSET' };
      }
      expected = nextOffset(batch);
    }
    const error = this.epochCache.withDeferredCheckpoint(() => {
      for (const { batch, bytes } of batches) {
        const failed = this.appendBatch(batch, bytes, nowMs);
        if (failed !== null) return failed;
      }
      return null;
    });
    if (error !== null) return { error };
    this.maybeFlush(nowMs);
    return { firstOffset, lastOffset: this.logEndOffset - 1 };
  }

  private appendBatch(batch: RecordBatch, encoded: Uint8Array, nowMs: number): LogErrorCode | null {
    this.lastNowMs = Math.max(this.lastNowMs, nowMs);
    const rollError = this.maybeRoll(encoded.length, batch.maxTimestampMs, nowMs);
    if (rollError !== null) return rollError;
    const written = this.activeSegment.append(batch, encoded);
    if (!written.ok) return 'KAFKA_STORAGE_ERROR';
    if (batch.partitionLeaderEpoch >= 0) this.epochCache.assign(batch.partitionLeaderEpoch, batch.baseOffset);
    indexCompletedTxn(this.producerState, this.activeSegment, this.producerState.update(batch));
    return null;
  }

  /**
   * Kafka's maybeRoll: a new segment when the batch would take the active one past segment.bytes, or
   * when segment.ms has passed since its first batch. The sealed segment is fsynced first, as Kafka
   * flushes a segment when it rolls; issuing that fsync before creating the new file also means the
   * new file's name can only become durable after the old segment's data has.
   */
  private maybeRoll(batchSizeInBytes: number, batchMaxTimestampMs: number, nowMs: number): LogErrorCode | null {
    const active = this.activeSegment;
    if (active.isEmpty) return null;
    const full = active.size > this.config.segmentBytes - batchSizeInBytes;
    const aged = active.timeWaitedForRollMs(nowMs, batchMaxTimestampMs) > this.config.segmentMs;
    if (!full && !aged) return null;
    this.flush(this.logEndOffset);
    const created = LogSegment.create(this.disk, this.dir, this.logEndOffset, this.config.indexIntervalBytes, nowMs);
    if (!created.ok) return 'KAFKA_STORAGE_ERROR';
    this.segments.push(created.value);
    return null;
  }

  // ---- Reads ----

  /**
   * Reads whole batches from the one holding `startOffset`, up to `maxBytes` (but always at least one
   * batch, KIP-74), never including a batch that reaches `maxOffset` or beyond: the caller passes
   * the high watermark for consumers and the LEO for followers. A batch may start below
   * `startOffset`; the reader skips its earlier records, as Kafka's consumers do.
   */
  read(startOffset: number, maxBytes: number, maxOffset: number): LogReadResult {
    if (startOffset < this.logStartOffset || startOffset > this.logEndOffset) return { records: EMPTY_RECORDS, error: 'OFFSET_OUT_OF_RANGE' };
    const limit = Math.min(maxOffset, this.logEndOffset);
    if (startOffset >= limit) return { records: EMPTY_RECORDS };
    const batches: Uint8Array[] = [];
    let sizeInBytes = 0;
    for (let i = this.segmentIndexFor(startOffset); i < this.segments.length; i++) {
      const segment = this.segments[i]!;
      if (segment.baseOffset >= limit) break;
      const read = segment.read(startOffset, maxBytes - sizeInBytes, limit, batches.length === 0);
      for (const batch of read.batches) batches.push(batch);
      sizeInBytes += read.sizeInBytes;
      if (read.stop === 'corrupt') return batches.length === 0 ? { records: EMPTY_RECORDS, error: 'CORRUPT_MESSAGE' } : { records: { batches, sizeInBytes } };
      if (read.stop === 'limit') break;
    }
    return { records: { batches, sizeInBytes } };
  }

  /** `read`, decoded: for the owners that interpret the records they store (the metadata log, a coordinator loading its state). */
  readBatches(startOffset: number, maxBytes: number, maxOffset: number): LogBatchesResult {
    const read = this.read(startOffset, maxBytes, maxOffset);
    const batches = decodeVerifiedRecords(read.records);
    return read.error === undefined ? { batches } : { batches, error: read.error };
  }

  /**
   * The bytes a read of [startOffset, endOffset) would cover, from the batches' positions alone,
   * nothing read (Kafka's LogOffsetMetadata.positionDiff, which DelayedFetch sums): from the start of
   * the batch holding `startOffset` to the start of the one holding `endOffset`.
   */
  sizeInBytesBetween(startOffset: number, endOffset: number): number {
    let total = 0;
    for (let i = this.segmentIndexFor(startOffset); i < this.segments.length; i++) {
      const segment = this.segments[i]!;
      if (segment.baseOffset >= endOffset) break;
      total += segment.positionOf(endOffset) - segment.positionOf(Math.max(startOffset, segment.baseOffset));
    }
    return total;
  }

  // ---- Lookups by timestamp (ListOffsets) ----

  /**
   * Kafka's fetchOffsetByTimestamp for a time: in the first segment whose largest timestamp reaches
   * `targetTimestampMs`, the first record at or after the log start whose timestamp does. Null when
   * no segment reaches it (every record is older), as in Kafka.
   */
  offsetForTimestamp(targetTimestampMs: number): TimestampAndOffset | null {
    const segment = this.segments.find((candidate) => candidate.largestTimestampMs >= targetTimestampMs);
    return segment?.findOffsetByTimestamp(targetTimestampMs, this.logStartOffset) ?? null;
  }

  /** The first record with the largest timestamp in the log (MAX_TIMESTAMP, KIP-734), or null for an empty log. */
  offsetOfMaxTimestamp(): TimestampAndOffset | null {
    let latest: LogSegment | undefined;
    for (const segment of this.segments) if (latest === undefined || segment.maxTimestampSoFarMs > latest.maxTimestampSoFarMs) latest = segment;
    return latest?.findMaxTimestamp() ?? null;
  }

  /**
   * Kafka's collectAbortedTransactions: the transactions aborted at or after `startOffset` that
   * began below `upperBoundOffset`, searching the segments from the one holding `startOffset`
   * until an index says no later segment can hold more.
   */
  collectAbortedTransactions(startOffset: number, upperBoundOffset: number): AbortedTransaction[] {
    const found: AbortedTransaction[] = [];
    for (let i = this.segmentIndexFor(startOffset); i < this.segments.length; i++) {
      const search = this.segments[i]!.txnIndex.collectAbortedTxns(startOffset, upperBoundOffset);
      for (const txn of search.abortedTransactions) found.push({ producerId: txn.producerId, firstOffset: txn.firstOffset });
      if (search.isComplete) break;
    }
    return found;
  }

  // ---- Truncation ----

  /**
   * Removes every batch holding an offset ≥ `offset` (a batch straddling it goes whole), and truncates
   * the epoch cache, producer state, recovery point and high watermark to match. Returns whether
   * anything was removed. At or below the log start offset this is truncateFullyAndStartAt.
   */
  truncateTo(offset: number): boolean {
    if (!Number.isSafeInteger(offset) || offset < 0) throw new Error(`${this.dir}: truncateTo(${offset})`);
    if (offset >= this.logEndOffset) return false;
    if (offset <= this.logStartOffset) {
      this.truncateFullyAndStartAt(offset);
      return true;
    }
    while (this.segments.length > 1 && this.activeSegment.baseOffset > offset) {
      this.activeSegment.deleteFile();
      this.segments.pop();
    }
    this.activeSegment.truncateTo(offset);
    const logEndOffset = this.logEndOffset;
    this.epochCache.truncateFromEnd(logEndOffset);
    this.flushes.onTruncated(logEndOffset);
    this.highWatermarkValue = Math.min(this.highWatermarkValue, logEndOffset);
    this.rebuildProducerState();
    return true;
  }

  /**
   * Empties the log and restarts it at `offset` (a follower whose fetch offset the leader no longer
   * has). One segment file is renamed and emptied rather than a new one created, so this cannot fail
   * for lack of space; an fsync is issued at once so the deletions reach the disk soon.
   */
  truncateFullyAndStartAt(offset: number): void {
    if (!Number.isSafeInteger(offset) || offset < 0) throw new Error(`${this.dir}: truncateFullyAndStartAt(${offset})`);
    const withFile = this.segments.filter((segment) => segment.fileExists);
    const reused = withFile.find((segment) => segment.baseOffset === offset) ?? withFile[0];
    for (const segment of this.segments) if (segment !== reused) segment.deleteFile();
    const fresh = reused === undefined ? this.createSegmentOrEmpty(offset) : reused.renameToEmpty(this.dir, offset, this.lastNowMs);
    this.segments = [fresh];
    this.logStartOffsetValue = offset;
    this.highWatermarkValue = offset;
    this.epochCache.clear();
    this.producerState.clear();
    fresh.txnIndex.clear();
    this.flushes.reset(offset);
    if (fresh.fileExists) this.flushes.track(this.disk.fsync(fresh.file), fresh.file, offset);
  }

  /**
   * A new segment file at `offset`; when even an empty file cannot be created (a full disk), an
   * in-memory segment whose file the next append creates. Only a log that never held a file gets
   * here, and should the process die before that append, it restarts empty at offset 0.
   */
  private createSegmentOrEmpty(offset: number): LogSegment {
    const created = LogSegment.create(this.disk, this.dir, offset, this.config.indexIntervalBytes, this.lastNowMs);
    return created.ok ? created.value : LogSegment.empty(this.disk, this.dir, offset, this.config.indexIntervalBytes, this.lastNowMs);
  }

  /** Replays the log into fresh producer state, keeping producers whose batches all lie below the log start. */
  private rebuildProducerState(): void {
    this.producerState.retainEntriesBelow(this.logStartOffset);
    const batches = this.segments.flatMap((segment) => segment.readAll().batches);
    replayProducerState(this.producerState, this.segments, batches);
    this.producerState.onHighWatermarkUpdated(this.highWatermarkValue);
  }

  // ---- Leader epochs ----

  /**
   * A new leader's epoch begins at its log end before it holds any record of that epoch (Kafka's
   * maybeAssignEpochStartOffset in Partition.makeLeader), so it can answer a follower's lookup for
   * an epoch it never wrote in with the end of the epoch before.
   */
  assignEpochStartOffset(epoch: number): void {
    if (epoch >= this.epochCache.latestEpoch()) this.epochCache.assign(epoch, this.logEndOffset);
  }

  endOffsetForEpoch(epoch: number): EpochEndOffset {
    return this.epochCache.endOffsetFor(epoch, this.logEndOffset);
  }

  latestEpoch(): number {
    return this.epochCache.latestEpoch();
  }

  /** The epoch of the batch holding `offset` (Kafka's epochForOffset), or UNDEFINED_EPOCH. */
  epochForOffset(offset: number): number {
    if (offset < this.logStartOffset || offset >= this.logEndOffset) return UNDEFINED_EPOCH;
    return this.epochCache.epochForOffset(offset);
  }

  epochEntries(): readonly EpochEntry[] {
    return this.epochCache.epochEntries();
  }

  // ---- Retention ----

  /**
   * Deletes the oldest segments that retention.ms and then retention.bytes let go (Kafka's
   * deleteRetentionMsBreachedSegments and deleteRetentionSizeBreachedSegments): never the active
   * segment, never one holding an offset at or above the high watermark. Advances the log start
   * offset and truncates the epoch cache from the start. Returns how many segments were deleted.
   */
  deleteOldSegments(nowMs: number): number {
    let deleted = 0;
    if (this.config.retentionMs >= 0) {
      deleted += this.deleteSegmentsWhile((segment) => nowMs - segment.largestTimestampMs > this.config.retentionMs);
    }
    if (this.config.retentionBytes >= 0) {
      let excessBytes = this.sizeInBytes - this.config.retentionBytes;
      deleted += this.deleteSegmentsWhile((segment) => {
        if (excessBytes - segment.size < 0) return false;
        excessBytes -= segment.size;
        return true;
      });
    }
    return deleted;
  }

  private deleteSegmentsWhile(shouldDelete: (segment: LogSegment) => boolean): number {
    let deleted = 0;
    while (this.segments.length > 1) {
      const oldest = this.segments[0]!;
      const upperBoundOffset = this.segments[1]!.baseOffset;
      if (this.highWatermark < upperBoundOffset || !shouldDelete(oldest)) break;
      oldest.deleteFile();
      this.segments.shift();
      deleted++;
    }
    if (deleted > 0) {
      this.logStartOffsetValue = Math.max(this.logStartOffsetValue, this.segments[0]!.baseOffset);
      this.epochCache.truncateFromStart(this.logStartOffset);
      this.flushes.onLogStartOffsetAdvanced(this.logStartOffset);
    }
    return deleted;
  }

  // ---- The log start offset ----

  /**
   * Moves the log start offset forward to `offset`, inside a segment if need be (Kafka's
   * maybeIncrementLogStartOffset): the metadata log does so once a snapshot covering everything
   * below `offset` is durable. The high watermark is raised to it if lower, since nothing below the
   * log start can still be uncommitted. Segments are deleted separately
   * (`deleteLogStartOffsetBreachedSegments`), so the owner decides when that is safe. Returns
   * whether the start moved.
   */
  maybeIncrementLogStartOffset(offset: number): boolean {
    if (offset <= this.logStartOffset) return false;
    if (offset > this.logEndOffset) throw new Error(`${this.dir}: log start ${offset} beyond the log end ${this.logEndOffset}`);
    this.logStartOffsetValue = offset;
    this.highWatermarkValue = Math.max(this.highWatermarkValue, offset);
    this.epochCache.truncateFromStart(offset);
    this.flushes.onLogStartOffsetAdvanced(offset);
    return true;
  }

  /** Deletes the segments that hold nothing at or above the log start offset; returns how many. */
  deleteLogStartOffsetBreachedSegments(): number {
    let deleted = 0;
    while (this.segments.length > 1 && this.segments[1]!.baseOffset <= this.logStartOffset) {
      this.segments.shift()!.deleteFile();
      deleted++;
    }
    return deleted;
  }

  // ---- Flushing ----

  /**
   * Issues the fsyncs that flush.messages and flush.ms demand (Kafka's defaults never demand any),
   * and retries a checkpoint write that the disk refused. Appends call it; the owner calls it from a
   * timer (see `timeUntilFlushMs`).
   */
  maybeFlush(nowMs: number): void {
    this.epochCache.retryCheckpoint();
    const unflushedMessages = this.logEndOffset - this.flushes.requestedOffset;
    if (unflushedMessages <= 0) return;
    if (unflushedMessages >= this.config.flushMessages || nowMs - this.lastFlushMs >= this.config.flushMs) {
      this.flush(this.logEndOffset);
      this.lastFlushMs = nowMs;
    }
  }

  /** How long until flush.ms demands a flush, or null when nothing is unflushed or flush.ms is never. */
  timeUntilFlushMs(nowMs: number): number | null {
    if (this.config.flushMs >= NEVER || this.logEndOffset <= this.flushes.requestedOffset) return null;
    return Math.max(0, this.lastFlushMs + this.config.flushMs - nowMs);
  }

  /**
   * Starts fsyncs of every segment holding data below `upToOffset` that no issued fsync covers yet.
   * The recovery point advances as their completions come back through `onFsyncComplete`.
   * `onDurable`, when given, runs once the recovery point has reached `upToOffset` (or the log end,
   * if a truncation came in between): at the completion that gets it there, or at once when it is
   * there already.
   */
  flush(upToOffset: number, onDurable?: () => void): void {
    const target = Math.min(upToOffset, this.logEndOffset);
    for (const segment of this.segments) {
      if (segment.baseOffset >= target) break;
      if (segment.isEmpty || segment.nextOffset <= this.flushes.requestedOffset) continue;
      this.flushes.track(this.disk.fsync(segment.file), segment.file, segment.nextOffset);
    }
    if (onDurable !== undefined) this.flushes.afterIssuedFsyncs(onDurable);
  }

  /** Handles a disk completion if it is one of this log's fsyncs; returns false for anyone else's. */
  onFsyncComplete(completion: DiskCompletion): boolean {
    return this.flushes.onComplete(completion) || this.epochCache.onFsyncComplete(completion);
  }

  /** Fsyncs issued by this log that have not completed yet. */
  get pendingFsyncCount(): number {
    return this.flushes.inFlightCount;
  }

  // ---- Introspection (for the owner's traces and for tests) ----

  get sizeInBytes(): number {
    return this.segments.reduce((total, segment) => total + segment.size, 0);
  }

  segmentBaseOffsets(): number[] {
    return this.segments.map((segment) => segment.baseOffset);
  }

  producerStateEntry(producerId: number): ProducerStateEntry | undefined {
    return this.producerState.lastEntry(producerId);
  }

  producerStateEntries(): ProducerStateEntry[] {
    return this.producerState.entries();
  }

  /** Ongoing transactions as [first offset, producer id], in first-offset order. */
  ongoingTransactions(): Array<readonly [number, number]> {
    return this.producerState.ongoingTransactions();
  }

  private get activeSegment(): LogSegment {
    return this.segments[this.segments.length - 1]!;
  }

  /** The index of the last segment whose base offset is ≤ `offset` (0 if none). */
  private segmentIndexFor(offset: number): number {
    let index = 0;
    while (index + 1 < this.segments.length && this.segments[index + 1]!.baseOffset <= offset) index++;
    return index;
  }
}

/** An idempotent batch needs an int16 epoch and an int32 sequence, both ≥ 0; a marker has no sequence. */
function validProducerFields(producer: ProducerAppendInfo, isControl: boolean): boolean {
  const { producerEpoch, baseSequence } = producer;
  const epochOk = Number.isInteger(producerEpoch) && producerEpoch >= 0 && producerEpoch <= 0x7fff;
  if (isControl) return epochOk && baseSequence === NO_SEQUENCE;
  return epochOk && Number.isInteger(baseSequence) && baseSequence >= 0 && baseSequence <= 0x7fff_ffff;
}

/**
 * Replays `batches` (the whole of `segments`, in order) into the producer state and rebuilds every
 * segment's aborted-transaction index from the markers met on the way (Kafka rebuilds `.txnindex`
 * while recovering a segment the same way).
 */
function replayProducerState(producerState: ProducerStateManager, segments: readonly LogSegment[], batches: readonly RecordBatch[]): void {
  for (const segment of segments) segment.txnIndex.clear();
  let segmentIndex = 0;
  for (const batch of batches) {
    while (segmentIndex + 1 < segments.length && segments[segmentIndex + 1]!.baseOffset <= batch.baseOffset) segmentIndex++;
    indexCompletedTxn(producerState, segments[segmentIndex]!, producerState.update(batch));
  }
}

/** An aborted transaction goes into the index of the segment holding its marker, with the LSO just after it. */
function indexCompletedTxn(producerState: ProducerStateManager, segment: LogSegment, completed: CompletedTxn | null): void {
  if (completed === null || !completed.isAborted) return;
  segment.txnIndex.append({ ...completed, lastStableOffset: producerState.lastStableOffsetAfter(completed) });
}

interface RecoveredSegments {
  segments: LogSegment[];
  batches: RecordBatch[];
  truncatedBytes: number;
  stop: DecodeStop;
  truncatedAt: { file: string; position: number } | null;
  deletedSegmentFiles: string[];
}

/**
 * Recovers the segment files in base-offset order. The first one with an invalid tail is truncated
 * and every later one deleted (Kafka's LogLoader). Two shapes that only an interrupted operation can
 * leave are resolved too: a segment that starts inside the previous one's offsets is stale (from
 * before a truncation whose deletions did not reach the disk) and goes with everything after it; a
 * segment that starts past the previous one's end follows a truncateFullyAndStartAt whose deletions
 * did not reach the disk, so the segments before it go.
 */
function recoverSegments(disk: Disk, dir: string, config: LogConfig, baseOffsets: readonly number[], nowMs: number): RecoveredSegments {
  const out: RecoveredSegments = { segments: [], batches: [], truncatedBytes: 0, stop: 'end', truncatedAt: null, deletedSegmentFiles: [] };
  const deleteFrom = (index: number): void => {
    for (const baseOffset of baseOffsets.slice(index)) {
      const file = segmentFileName(dir, baseOffset);
      disk.delete(file);
      out.deletedSegmentFiles.push(file);
    }
  };
  for (let i = 0; i < baseOffsets.length; i++) {
    const baseOffset = baseOffsets[i]!;
    const previous = out.segments[out.segments.length - 1];
    if (previous !== undefined && baseOffset < previous.nextOffset) {
      deleteFrom(i);
      break;
    }
    if (previous !== undefined && baseOffset > previous.nextOffset) {
      for (const segment of out.segments) {
        segment.deleteFile();
        out.deletedSegmentFiles.push(segment.file);
      }
      out.segments = [];
      out.batches = [];
    }
    const segment = LogSegment.open(disk, dir, baseOffset, config.indexIntervalBytes, nowMs);
    const recovery = segment.recover();
    out.segments.push(segment);
    out.batches.push(...recovery.batches);
    if (recovery.truncatedBytes > 0) {
      out.truncatedBytes = recovery.truncatedBytes;
      out.stop = recovery.stop;
      out.truncatedAt = { file: segment.file, position: segment.size };
      deleteFrom(i + 1);
      break;
    }
  }
  return out;
}
