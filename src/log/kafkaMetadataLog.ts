/**
 * KafkaMetadataLog: the KRaft metadata log (`__cluster_metadata-0`) as a ReplicatedLog over the same
 * UnifiedLog as every partition — the same segments, leader-epoch cache, record batches, recovery and
 * flush tracking — plus the snapshots that let its start move (KIP-630).
 *
 * What it adds to UnifiedLog, as Kafka's KafkaMetadataLog does:
 * - No partition-style retention: retention.ms and retention.bytes are -1. The log start offset
 *   moves only past a durable snapshot (`deleteBeforeSnapshot`), inside a segment if need be, and
 *   a segment is deleted once it lies wholly below the start.
 * - `lastFetchedEpoch` and `endOffsetForEpoch` answer from the snapshot where the log no longer
 *   can (an empty log at a snapshot; an epoch that ended before the log starts).
 * - Snapshot files (`snapshotFile.ts`), each written through a CheckpointFile: temp file, fsync,
 *   rename, fsync, and only then is it the latest snapshot.
 * - Storage errors throw KafkaStorageException (the raft client halts): a full disk, or a batch
 *   that fails its CRC when read back. Anything else that goes wrong is a broken invariant.
 *
 * Recovery (`load`): UnifiedLog's (every segment's CRCs checked, a torn or corrupt tail cut), then
 * the newest snapshot that decodes (corrupt ones are deleted, `.part` leftovers too). The log is
 * then fitted to the snapshot: it starts at the snapshot's end when it holds the snapshot's last
 * record, and is emptied and restarted there when it does not (Kafka's truncateToLatestSnapshot) or
 * when it starts past the snapshot (a gap no record can fill). Everything recovered was read from
 * the page cache, which a power loss could still roll back, so the snapshot and the segments are
 * fsynced first; older snapshots and the segments below the start are deleted only after that.
 *
 * Invariants: logStartOffset === latest snapshot's end offset, or 0 without a snapshot (once load
 * has fitted them); at most one snapshot write in flight; record values are text (the raft client's
 * payloads are UTF-8, see docs/decisions.md).
 * Left out: keeping more than one snapshot, and Kafka's delayed deletion of snapshot files.
 */

import type { Disk, DiskCompletion, DiskOpId } from '../host.js';
import type { OffsetAndEpoch, SnapshotId } from '../raft/messages.js';
import type { Isolation, LogAppendInfo, LogRecovery, RawSnapshot, ReplicatedLog } from '../raft/replicatedLog.js';
import { CheckpointFile } from './checkpointFile.js';
import { DEFAULT_LOG_CONFIG, type LogConfig } from './config.js';
import { KafkaStorageException } from './errors.js';
import { UNDEFINED_EPOCH } from './leaderEpochCache.js';
import type { RecordBatch, SimpleRecord } from './recordBatch.js';
import { segmentFileName } from './segment.js';
import {
  decodeSnapshot,
  encodeSnapshot,
  isSnapshotPartFile,
  parseSnapshotFileName,
  snapshotFileName,
  snapshotPartFileName,
} from './snapshotFile.js';
import { type LogError, UnifiedLog, isLogError } from './unifiedLog.js';

/** Kafka's KafkaRaftClient.MAX_BATCH_SIZE_BYTES, the metadata log's max.message.bytes. */
export const MAX_BATCH_SIZE_BYTES = 8 * 1024 * 1024;
/** Kafka's KafkaRaftClient.MAX_FETCH_SIZE_BYTES: the most one read (one FetchResponse) returns. */
export const MAX_FETCH_SIZE_BYTES = 8 * 1024 * 1024;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** The metadata log's LogConfig: Kafka's defaults, its segment size, no retention. */
export function metadataLogConfig(segmentBytes: number): LogConfig {
  return { ...DEFAULT_LOG_CONFIG, segmentBytes, retentionMs: -1, retentionBytes: -1, maxMessageBytes: MAX_BATCH_SIZE_BYTES, indexIntervalBytes: 0 };
}

export class KafkaMetadataLog implements ReplicatedLog {
  private snapshot: RawSnapshot | null;
  private snapshotWriter: CheckpointFile | null = null;
  /** Plain fsyncs of this log's own (a recovered snapshot file), with what to run when each completes. */
  private readonly ownFsyncs = new Map<DiskOpId, () => void>();

  private constructor(
    private readonly disk: Disk,
    readonly dir: string,
    private readonly log: UnifiedLog,
    snapshot: RawSnapshot | null,
    readonly recovery: LogRecovery,
    private readonly nowMs: () => number,
  ) {
    this.snapshot = snapshot;
  }

  /** Reads the directory as the previous incarnation left it (in the page cache), and starts making it durable. */
  static load(disk: Disk, dir: string, segmentBytes: number, nowMs: () => number): KafkaMetadataLog {
    const log = UnifiedLog.load(disk, dir, metadataLogConfig(segmentBytes), nowMs());
    const snapshot = recoverSnapshot(disk, dir);
    const summary = log.loadSummary;
    let truncatedAt: LogRecovery['truncatedAt'] = summary.truncatedAt === null ? null : { ...summary.truncatedAt, reason: summary.stop };
    const snapshotEndOffset = snapshot?.id.endOffset ?? 0;
    if (log.logStartOffset > snapshotEndOffset) {
      // Records between the snapshot and the first segment are gone: nothing after them can be applied.
      truncatedAt = { file: segmentFileName(dir, log.logStartOffset), position: 0, reason: `gap: the log starts at ${log.logStartOffset}` };
      log.truncateFullyAndStartAt(snapshotEndOffset);
    } else if (snapshot !== null && !holdsLastRecordOf(log, snapshot.id)) {
      log.truncateFullyAndStartAt(snapshotEndOffset);
    } else {
      log.maybeIncrementLogStartOffset(snapshotEndOffset);
    }
    const recovery = { logStartOffset: log.logStartOffset, logEndOffset: log.logEndOffset, truncatedAt };
    const metadataLog = new KafkaMetadataLog(disk, dir, log, snapshot, recovery, nowMs);
    metadataLog.flushAfterRecovery();
    return metadataLog;
  }

  // ---- Offsets and epochs ----

  get logStartOffset(): number {
    return this.log.logStartOffset;
  }

  get logEndOffset(): number {
    return this.log.logEndOffset;
  }

  get lastFlushedOffset(): number {
    return this.log.recoveryPoint;
  }

  lastFetchedEpoch(): number {
    const latest = this.log.latestEpoch();
    if (latest !== UNDEFINED_EPOCH) return latest;
    const id = this.snapshot?.id;
    if (id === undefined) return 0;
    if (id.endOffset !== this.logStartOffset || id.endOffset !== this.logEndOffset) {
      throw new Error(`${this.dir}: no epoch in the log, and the snapshot ${snapshotName(id)} is not where the log starts and ends`);
    }
    return id.epoch;
  }

  endOffset(): OffsetAndEpoch {
    return { offset: this.logEndOffset, epoch: this.lastFetchedEpoch() };
  }

  /**
   * The epoch cache's answer, overridden by the snapshot id when the requested epoch ends where the
   * log starts, before the snapshot's epoch; and (log end, last epoch) when the epoch is newer than
   * anything the cache holds.
   */
  endOffsetForEpoch(epoch: number): OffsetAndEpoch {
    const found = this.log.endOffsetForEpoch(epoch);
    if (found.epoch === UNDEFINED_EPOCH) return this.endOffset();
    const id = this.snapshot?.id;
    if (id !== undefined && found.endOffset === id.endOffset && found.epoch < id.epoch) return { offset: id.endOffset, epoch: id.epoch };
    return { offset: found.endOffset, epoch: found.epoch };
  }

  epochForOffset(offset: number): number {
    const epoch = this.log.epochForOffset(offset);
    if (epoch === UNDEFINED_EPOCH) throw new Error(`${this.dir}: no epoch for offset ${offset} in [${this.logStartOffset}, ${this.logEndOffset})`);
    return epoch;
  }

  // ---- Appends, reads, truncation ----

  appendAsLeader(records: readonly SimpleRecord[], epoch: number, isControl: boolean): LogAppendInfo {
    if (records.length === 0) throw new Error(`${this.dir}: appendAsLeader of no records`);
    if (epoch < this.lastFetchedEpoch()) throw new Error(`${this.dir}: appendAsLeader at epoch ${epoch} below ${this.lastFetchedEpoch()}`);
    const result = this.log.appendAsLeader(records, epoch, null, this.nowMs(), { isControl });
    return this.appended(result, 'appendAsLeader');
  }

  appendAsFollower(batches: readonly RecordBatch[]): LogAppendInfo {
    if (batches.length === 0) throw new Error(`${this.dir}: appendAsFollower of no batches`);
    let previousEpoch = this.lastFetchedEpoch();
    for (const batch of batches) {
      if (batch.partitionLeaderEpoch < previousEpoch) throw new Error(`${this.dir}: appendAsFollower: epoch ${batch.partitionLeaderEpoch} after ${previousEpoch}`);
      previousEpoch = batch.partitionLeaderEpoch;
    }
    return this.appended(this.log.appendAsFollower(batches, this.nowMs()), 'appendAsFollower');
  }

  read(startOffset: number, isolation: Isolation): RecordBatch[] {
    const maxOffset = isolation === 'committed' ? this.log.highWatermark : this.logEndOffset;
    const result = this.log.read(startOffset, MAX_FETCH_SIZE_BYTES, maxOffset);
    if (result.error === 'CORRUPT_MESSAGE') throw new KafkaStorageException(`${this.dir}: a batch at or after ${startOffset} fails its CRC`);
    if (result.error !== undefined) throw new Error(`${this.dir}: read(${startOffset}): ${result.error}`);
    return result.batches;
  }

  /**
   * The batch holding `offset` goes whole. Truncation decodes the segment it cuts, so it may find a
   * batch that fails its CRC below `offset` and cut there instead: that is a storage error (the
   * client halts, and recovery cuts the same tail), never a quiet loss of committed records.
   */
  truncateTo(offset: number): void {
    if (offset < this.log.highWatermark) throw new Error(`truncation to ${offset} below the high watermark ${this.log.highWatermark}`);
    if (offset >= this.logEndOffset) return;
    const expectedEnd = offset <= this.logStartOffset ? offset : Math.min(offset, this.batchHolding(offset).baseOffset);
    this.log.truncateTo(offset);
    if (this.logEndOffset < expectedEnd) {
      throw new KafkaStorageException(`${this.dir}: truncation to ${offset} met a batch that fails its CRC; the log now ends at ${this.logEndOffset}`);
    }
  }

  updateHighWatermark(offset: number): void {
    this.log.updateHighWatermark(offset);
  }

  flush(onDurable: () => void): void {
    this.log.flush(this.logEndOffset, onDurable);
  }

  onFsyncComplete(completion: DiskCompletion): boolean {
    if (this.log.onFsyncComplete(completion)) return true;
    if (this.snapshotWriter?.onFsyncComplete(completion) === true) return true;
    const onDurable = this.ownFsyncs.get(completion.opId);
    if (onDurable === undefined) return false;
    this.ownFsyncs.delete(completion.opId);
    onDurable();
    return true;
  }

  // ---- Snapshots ----

  latestSnapshot(): RawSnapshot | null {
    return this.snapshot;
  }

  get isSnapshotWriteInProgress(): boolean {
    return this.snapshotWriter !== null;
  }

  createSnapshot(id: SnapshotId, payload: Uint8Array, onFrozen: () => void): void {
    if (id.endOffset <= this.logStartOffset || this.epochForOffset(id.endOffset - 1) !== id.epoch) {
      throw new Error(`${this.dir}: createSnapshot ${snapshotName(id)}: not a prefix of this log`);
    }
    const bytes = encodeSnapshot(id, decoder.decode(payload), this.nowMs());
    this.writeSnapshot({ id, bytes, payload: payload.slice() }, onFrozen);
  }

  storeFetchedSnapshot(id: SnapshotId, bytes: Uint8Array, onFrozen: () => void): void {
    const payload = decodeSnapshot(bytes, id);
    if (payload === null) throw new Error(`${this.dir}: the snapshot ${snapshotName(id)} fetched from the leader does not decode`);
    this.writeSnapshot({ id, bytes: bytes.slice(), payload: encoder.encode(payload) }, onFrozen);
  }

  deleteBeforeSnapshot(id: SnapshotId): boolean {
    this.assertLatest(id);
    if (!this.log.maybeIncrementLogStartOffset(id.endOffset)) return false;
    this.log.deleteLogStartOffsetBreachedSegments();
    this.deleteOtherSnapshots();
    return true;
  }

  /**
   * Kafka's condition (the snapshot's epoch is newer than the log's, or as new and past its end),
   * widened to any log whose record at the snapshot's last offset is of another epoch: such a log
   * diverged from the history the snapshot summarizes.
   */
  truncateToLatestSnapshot(): boolean {
    const id = this.snapshot?.id;
    if (id === undefined || holdsLastRecordOf(this.log, id)) return false;
    this.log.truncateFullyAndStartAt(id.endOffset);
    this.deleteOtherSnapshots();
    return true;
  }

  // ---- Internals ----

  /** The batch that holds `offset` (which lies in [logStartOffset, logEndOffset)). */
  private batchHolding(offset: number): RecordBatch {
    const result = this.log.read(offset, 1, this.logEndOffset);
    if (result.error === 'CORRUPT_MESSAGE') throw new KafkaStorageException(`${this.dir}: the batch holding ${offset} fails its CRC`);
    const batch = result.batches[0];
    if (batch === undefined) throw new Error(`${this.dir}: no batch holds ${offset} in [${this.logStartOffset}, ${this.logEndOffset})`);
    return batch;
  }

  private appended(result: { firstOffset: number; lastOffset: number } | LogError, what: string): LogAppendInfo {
    if (!isLogError(result)) return { firstOffset: result.firstOffset, lastOffset: result.lastOffset };
    if (result.error === 'KAFKA_STORAGE_ERROR') throw new KafkaStorageException(`${this.dir}: ${what}: the disk refused the write`);
    throw new Error(`${this.dir}: ${what}: ${result.error}`);
  }

  private writeSnapshot(snapshot: RawSnapshot, onFrozen: () => void): void {
    if (this.snapshotWriter !== null) throw new Error(`${this.dir}: a snapshot write is already in progress`);
    if (snapshot.id.endOffset <= (this.snapshot?.id.endOffset ?? 0)) throw new Error(`${this.dir}: snapshot ${snapshotName(snapshot.id)} is not newer`);
    const writer = new CheckpointFile(this.disk, snapshotFileName(this.dir, snapshot.id), {
      tempName: snapshotPartFileName(this.dir, snapshot.id),
      onWriteFailure: 'throw',
    });
    this.snapshotWriter = writer;
    writer.writeBytes(snapshot.bytes, () => {
      this.snapshotWriter = null;
      this.snapshot = snapshot;
      onFrozen();
    });
  }

  private assertLatest(id: SnapshotId): void {
    const latest = this.snapshot?.id;
    if (latest?.endOffset !== id.endOffset || latest.epoch !== id.epoch) {
      throw new Error(`${this.dir}: ${snapshotName(id)} is not the latest snapshot (${latest === undefined ? 'none' : snapshotName(latest)})`);
    }
  }

  /** Deletes every snapshot file but the latest's. */
  private deleteOtherSnapshots(): void {
    const keep = this.snapshot === null ? null : snapshotFileName(this.dir, this.snapshot.id);
    for (const name of this.disk.list()) {
      if (name !== keep && parseSnapshotFileName(this.dir, name) !== null) checkDelete(this.disk, name);
    }
  }

  /**
   * Makes what recovery read durable — the snapshot first, then the segments — and only then deletes
   * what the snapshot supersedes: until both are on disk, a power loss could still take the snapshot
   * and leave only the records it replaced.
   */
  private flushAfterRecovery(): void {
    let pending = 1;
    const clean = (): void => {
      if (--pending > 0) return;
      this.log.deleteLogStartOffsetBreachedSegments();
      this.deleteOtherSnapshots();
    };
    if (this.snapshot !== null) {
      pending++;
      this.ownFsyncs.set(this.disk.fsync(snapshotFileName(this.dir, this.snapshot.id)), clean);
    }
    this.log.flush(this.logEndOffset, clean);
  }
}

/** Whether the log holds the snapshot's last record with the snapshot's epoch, or starts right after it. */
function holdsLastRecordOf(log: UnifiedLog, id: SnapshotId): boolean {
  if (id.endOffset > log.logEndOffset || id.endOffset < log.logStartOffset) return false;
  return id.endOffset === log.logStartOffset || log.epochForOffset(id.endOffset - 1) === id.epoch;
}

/** The newest snapshot that decodes; `.part` leftovers and snapshots that do not decode are deleted. */
function recoverSnapshot(disk: Disk, dir: string): RawSnapshot | null {
  const ids: SnapshotId[] = [];
  for (const name of disk.list()) {
    if (isSnapshotPartFile(dir, name)) checkDelete(disk, name);
    const id = parseSnapshotFileName(dir, name);
    if (id !== null) ids.push(id);
  }
  ids.sort((a, b) => b.endOffset - a.endOffset || b.epoch - a.epoch);
  for (const id of ids) {
    const name = snapshotFileName(dir, id);
    const read = disk.read(name);
    const payload = read.ok ? decodeSnapshot(read.value, id) : null;
    if (read.ok && payload !== null) return { id, bytes: read.value, payload: encoder.encode(payload) };
    // A corrupt snapshot is never trusted; an older one (or the log alone) takes its place.
    checkDelete(disk, name);
  }
  return null;
}

function checkDelete(disk: Disk, name: string): void {
  const deleted = disk.delete(name);
  if (!deleted.ok) throw new Error(`delete ${name}: ${deleted.error.code} ${deleted.error.message}`);
}

function snapshotName(id: SnapshotId): string {
  return `(${id.endOffset}, ${id.epoch})`;
}
