/**
 * One log segment (Kafka's LogSegment): the file `<dir>/<20-digit baseOffset>.log` holding the
 * record batches from `baseOffset` up to the next segment's, plus its in-memory offset index.
 *
 * Invariants: the file holds whole batches only, contiguous in offset from `baseOffset` to
 * `nextOffset` (exclusive); `size` equals the file's size; the index points at batch boundaries.
 * A segment that failed an append (ENOSPC) is unchanged, because the disk applies an append whole
 * or not at all.
 *
 * `recover()` is Kafka's LogSegment.recover: read every batch, keep the valid prefix, truncate a torn
 * or corrupt tail, rebuild the index. A segment must be recovered (or freshly created) before use.
 *
 * Left out: the time index, Kafka's relative-offset overflow roll (offsets are JavaScript numbers),
 * and the `.deleted` rename before asynchronous deletion (files are deleted at once).
 */

import type { Disk, DiskResult } from '../host.js';
import { OffsetIndex } from './offsetIndex.js';
import {
  type DecodeStop,
  LOG_OVERHEAD,
  type RecordBatch,
  batchSizeAt,
  decodeBatchAt,
  decodeBatches,
  lastOffset,
  nextOffset,
} from './recordBatch.js';

const BASE_OFFSET_DIGITS = 20;
/** How much a read takes from the file at once; a batch larger than this is read whole. */
const READ_AHEAD_BYTES = 4096;
const SEGMENT_SUFFIX = '.log';
/** No timestamp yet (Kafka's RecordBatch.NO_TIMESTAMP). */
export const NO_TIMESTAMP = -1;

export function segmentFileName(dir: string, baseOffset: number): string {
  return `${dir}/${String(baseOffset).padStart(BASE_OFFSET_DIGITS, '0')}${SEGMENT_SUFFIX}`;
}

/** The base offset named by a segment file of `dir`, or null when `name` is not one. */
export function parseSegmentBaseOffset(dir: string, name: string): number | null {
  const prefix = `${dir}/`;
  if (!name.startsWith(prefix)) return null;
  const match = /^(\d{20})\.log$/.exec(name.slice(prefix.length));
  return match === null ? null : Number(match[1]);
}

export interface SegmentRecovery {
  /** The valid batches, in order (the log replays them into its epoch cache and producer state). */
  readonly batches: RecordBatch[];
  readonly truncatedBytes: number;
  /** Why the valid data ended: 'end' for a clean file. */
  readonly stop: DecodeStop;
}

export interface SegmentRead {
  readonly batches: RecordBatch[];
  readonly sizeInBytes: number;
  /** 'limit' when maxBytes or maxOffset stopped the read; 'corrupt' when a batch failed to decode. */
  readonly stop: 'end' | 'limit' | 'corrupt';
}

export class LogSegment {
  private sizeBytes = 0;
  private nextOffsetValue: number;
  private maxTimestampValueMs = NO_TIMESTAMP;
  /** The first batch's max timestamp: what segment.ms measures from (Kafka's rollingBasedTimestamp). */
  private firstBatchTimestampMs: number | null = null;
  private index: OffsetIndex;
  private ready = false;

  private constructor(
    private readonly disk: Disk,
    readonly file: string,
    readonly baseOffset: number,
    private readonly indexIntervalBytes: number,
    /** When this incarnation created or opened the segment; stands in for the file's mtime. */
    readonly createdMs: number,
  ) {
    if (!Number.isSafeInteger(baseOffset) || baseOffset < 0) throw new Error(`LogSegment: bad base offset ${baseOffset}`);
    this.nextOffsetValue = baseOffset;
    this.index = new OffsetIndex(indexIntervalBytes);
  }

  /** Creates an empty segment file, replacing an empty leftover of the same name (as Kafka's roll does). */
  static create(disk: Disk, dir: string, baseOffset: number, indexIntervalBytes: number, nowMs: number): DiskResult<LogSegment> {
    const file = segmentFileName(dir, baseOffset);
    if (disk.exists(file)) checkDisk(disk.delete(file), 'delete leftover segment');
    const created = disk.append(file, new Uint8Array(0));
    if (!created.ok) return created;
    const segment = new LogSegment(disk, file, baseOffset, indexIntervalBytes, nowMs);
    segment.ready = true;
    return { ok: true, value: segment };
  }

  /**
   * An empty segment whose file the first append creates (appends create missing files). Used for
   * the first segment of a brand-new log, where a missing file and an empty one mean the same.
   */
  static empty(disk: Disk, dir: string, baseOffset: number, indexIntervalBytes: number, nowMs: number): LogSegment {
    const segment = new LogSegment(disk, segmentFileName(dir, baseOffset), baseOffset, indexIntervalBytes, nowMs);
    segment.ready = true;
    return segment;
  }

  /** Opens an existing segment file; `recover()` must run before anything else. */
  static open(disk: Disk, dir: string, baseOffset: number, indexIntervalBytes: number, nowMs: number): LogSegment {
    return new LogSegment(disk, segmentFileName(dir, baseOffset), baseOffset, indexIntervalBytes, nowMs);
  }

  recover(): SegmentRecovery {
    const bytes = checkDisk(this.disk.read(this.file), 'read segment');
    const decoded = decodeBatches(bytes, 0);
    // A batch that does not continue the offsets cannot belong here, however good its CRC.
    let keep = 0;
    let expected = this.baseOffset;
    while (keep < decoded.batches.length && decoded.batches[keep]!.baseOffset === expected) {
      expected = nextOffset(decoded.batches[keep]!);
      keep++;
    }
    const validBytes = keep < decoded.batches.length ? decoded.positions[keep]! : decoded.validBytes;
    const stop: DecodeStop = keep < decoded.batches.length ? 'corrupt' : decoded.stop;
    if (validBytes < bytes.length) checkDisk(this.disk.truncate(this.file, validBytes), 'truncate segment');
    const batches = decoded.batches.slice(0, keep);
    this.rebuild(batches, decoded.positions, validBytes);
    this.ready = true;
    return { batches, truncatedBytes: bytes.length - validBytes, stop };
  }

  /** Appends one encoded batch, which must start at this segment's next offset. */
  append(batch: RecordBatch, encoded: Uint8Array): DiskResult<void> {
    this.assertReady();
    if (batch.baseOffset !== this.nextOffsetValue) {
      throw new Error(`${this.file}: append at ${batch.baseOffset}, expected ${this.nextOffsetValue}`);
    }
    const result = this.disk.append(this.file, encoded);
    if (!result.ok) return result;
    this.onAppended(batch, this.sizeBytes, encoded.length);
    return result;
  }

  /**
   * Reads whole batches that hold offsets ≥ `startOffset` and lie entirely below `maxOffset`,
   * up to `maxBytes` — except that with `minOneBatch` the first batch is returned whatever its size,
   * so a consumer always makes progress (KIP-74).
   */
  read(startOffset: number, maxBytes: number, maxOffset: number, minOneBatch: boolean): SegmentRead {
    this.assertReady();
    const batches: RecordBatch[] = [];
    let sizeInBytes = 0;
    let position = this.index.lookup(startOffset);
    // Bytes read ahead from the file, so that small batches cost one disk read between them.
    let window: Uint8Array = new Uint8Array(0);
    let windowStart = position;
    while (position < this.sizeBytes) {
      if (position + LOG_OVERHEAD > windowStart + window.length) {
        window = this.readAt(position, Math.min(READ_AHEAD_BYTES, this.sizeBytes - position));
        windowStart = position;
      }
      const batchSize = batchSizeAt(window, position - windowStart);
      if (batchSize === null || batchSize <= 0 || position + batchSize > this.sizeBytes) return { batches, sizeInBytes, stop: 'corrupt' };
      if (position + batchSize > windowStart + window.length) {
        window = this.readAt(position, Math.max(batchSize, Math.min(READ_AHEAD_BYTES, this.sizeBytes - position)));
        windowStart = position;
      }
      const decoded = decodeBatchAt(window.subarray(0, position - windowStart + batchSize), position - windowStart);
      if (decoded.kind !== 'batch') return { batches, sizeInBytes, stop: 'corrupt' };
      position += batchSize;
      const batch = decoded.batch;
      if (lastOffset(batch) < startOffset) continue;
      if (nextOffset(batch) > maxOffset) return { batches, sizeInBytes, stop: 'limit' };
      const first = batches.length === 0 && minOneBatch;
      if (sizeInBytes + batchSize > maxBytes && !first) return { batches, sizeInBytes, stop: 'limit' };
      batches.push(batch);
      sizeInBytes += batchSize;
    }
    return { batches, sizeInBytes, stop: 'end' };
  }

  private readAt(position: number, length: number): Uint8Array {
    return checkDisk(this.disk.read(this.file, position, length), 'read segment');
  }

  /** Every batch in the segment (for rebuilding producer state), and whether the read hit corruption. */
  readAll(): { batches: RecordBatch[]; corrupt: boolean } {
    this.assertReady();
    if (this.sizeBytes === 0) return { batches: [], corrupt: false };
    const decoded = decodeBatches(checkDisk(this.disk.read(this.file), 'read segment'), 0);
    return { batches: decoded.batches, corrupt: decoded.stop !== 'end' };
  }

  /**
   * Removes every batch holding an offset ≥ `offset` (Kafka's LogSegment.truncateTo). A batch that
   * straddles `offset` goes whole: the log never keeps part of a batch. Returns the bytes removed.
   */
  truncateTo(offset: number): number {
    this.assertReady();
    if (offset >= this.nextOffsetValue || this.sizeBytes === 0) return 0;
    const decoded = decodeBatches(checkDisk(this.disk.read(this.file), 'read segment'), 0);
    let keep = 0;
    while (keep < decoded.batches.length && lastOffset(decoded.batches[keep]!) < offset) keep++;
    // Corruption found on the way cuts the segment there too: nothing past it can be trusted.
    const position = keep < decoded.batches.length ? decoded.positions[keep]! : decoded.validBytes;
    const dropped = this.sizeBytes - position;
    checkDisk(this.disk.truncate(this.file, position), 'truncate segment');
    this.rebuild(decoded.batches.slice(0, keep), decoded.positions, position);
    return dropped;
  }

  deleteFile(): void {
    if (this.disk.exists(this.file)) checkDisk(this.disk.delete(this.file), 'delete segment');
    this.ready = false;
  }

  get fileExists(): boolean {
    return this.disk.exists(this.file);
  }

  /**
   * Turns this segment's file into an empty segment starting at `baseOffset` by renaming and
   * truncating it — neither can fail for lack of space, unlike creating a file. Should only the
   * rename reach the disk before a power loss, the old batches under the new name do not start at
   * its base offset, so recovery drops them.
   */
  renameToEmpty(dir: string, baseOffset: number, nowMs: number): LogSegment {
    this.assertReady();
    const file = segmentFileName(dir, baseOffset);
    if (file !== this.file) checkDisk(this.disk.rename(this.file, file), 'rename segment');
    checkDisk(this.disk.truncate(file, 0), 'truncate segment');
    this.ready = false;
    const segment = new LogSegment(this.disk, file, baseOffset, this.indexIntervalBytes, nowMs);
    segment.ready = true;
    return segment;
  }

  /** Kafka's timeWaitedForRoll: measured between batch timestamps, or from creation while empty. */
  timeWaitedForRollMs(nowMs: number, incomingMaxTimestampMs: number): number {
    if (this.firstBatchTimestampMs !== null && this.firstBatchTimestampMs >= 0) {
      return incomingMaxTimestampMs - this.firstBatchTimestampMs;
    }
    return nowMs - this.createdMs;
  }

  get size(): number {
    return this.sizeBytes;
  }

  get nextOffset(): number {
    return this.nextOffsetValue;
  }

  get isEmpty(): boolean {
    return this.sizeBytes === 0;
  }

  /** Kafka's LogSegment.largestTimestamp: the largest record timestamp, or the creation time while empty. */
  get largestTimestampMs(): number {
    return this.maxTimestampValueMs === NO_TIMESTAMP ? this.createdMs : this.maxTimestampValueMs;
  }

  get offsetIndex(): OffsetIndex {
    return this.index;
  }

  private onAppended(batch: RecordBatch, position: number, sizeInBytes: number): void {
    this.index.onBatchAppended(lastOffset(batch), position, sizeInBytes);
    this.sizeBytes += sizeInBytes;
    this.nextOffsetValue = nextOffset(batch);
    this.maxTimestampValueMs = Math.max(this.maxTimestampValueMs, batch.maxTimestampMs);
    if (this.firstBatchTimestampMs === null) this.firstBatchTimestampMs = batch.maxTimestampMs;
  }

  /** Resets the in-memory state to the given batches, which fill the file up to `size`. */
  private rebuild(batches: readonly RecordBatch[], positions: readonly number[], size: number): void {
    this.sizeBytes = 0;
    this.nextOffsetValue = this.baseOffset;
    this.maxTimestampValueMs = NO_TIMESTAMP;
    this.firstBatchTimestampMs = null;
    this.index = new OffsetIndex(this.indexIntervalBytes);
    batches.forEach((batch, i) => {
      const end = i + 1 < batches.length ? positions[i + 1]! : size;
      if (positions[i] !== this.sizeBytes) throw new Error(`${this.file}: batch ${i} at ${positions[i]}, expected ${this.sizeBytes}`);
      this.onAppended(batch, positions[i]!, end - positions[i]!);
    });
    if (this.sizeBytes !== size) throw new Error(`${this.file}: rebuilt ${this.sizeBytes} bytes, file has ${size}`);
  }

  private assertReady(): void {
    if (!this.ready) throw new Error(`${this.file}: used before recover() or after deleteFile()`);
  }
}

/** Unwraps a disk result whose failure would mean our own bookkeeping is wrong (not ENOSPC). */
function checkDisk<T>(result: DiskResult<T>, what: string): T {
  if (!result.ok) throw new Error(`${what}: ${result.error.code} ${result.error.message}`);
  return result.value;
}
