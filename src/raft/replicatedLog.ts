/**
 * The metadata log as the Raft protocol sees it (Kafka's ReplicatedLog): what KafkaRaftClient may
 * ask of its log, and nothing of how it is stored. The implementation is `KafkaMetadataLog`
 * (src/log/kafkaMetadataLog.ts), over the same UnifiedLog, segments, leader-epoch cache and record
 * batches as every partition.
 *
 * Assumptions the protocol makes, and no more:
 * - Records are record batches; a batch is appended whole and truncated whole. Offsets are
 *   contiguous from `logStartOffset` to `logEndOffset`; epochs never decrease along the log.
 * - Nothing is durable until a `flush` continuation says so; `lastFlushedOffset` is the end of what
 *   is (the only offset a replica may report to its leader or count towards a majority), and it
 *   never passes the log end.
 * - A snapshot is durable (`onFrozen`) before anything it covers may leave the log, and the client
 *   decides when the prefix goes (`deleteBeforeSnapshot`, `truncateToLatestSnapshot`).
 * - A write the disk refuses throws KafkaStorageException (the client halts); any other exception
 *   is a broken invariant.
 *
 * Kafka's default methods of ReplicatedLog — how a leader answers a Fetch (`validateOffsetAndEpoch`)
 * and where a follower truncates (`truncateToEndOffset`) — are protocol, so they are functions here
 * over any ReplicatedLog.
 */

import type { DiskCompletion } from '../host.js';
import type { RecordBatch, SimpleRecord } from '../log/recordBatch.js';
import type { OffsetAndEpoch, SnapshotId } from './messages.js';

/** Kafka's LogAppendInfo: the offsets one append was given. */
export interface LogAppendInfo {
  readonly firstOffset: number;
  readonly lastOffset: number;
}

/** What recovery found at start, for the `raft.recovered` trace: entries ≥ logEndOffset are gone. */
export interface LogRecovery {
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  /** Why recovery stopped reading early, when it did: a torn or corrupt batch, or a gap. */
  readonly truncatedAt: { readonly file: string; readonly position: number; readonly reason: string } | null;
}

/** A durable snapshot: the file as stored (what FetchSnapshot ships) and the state it holds. */
export interface RawSnapshot {
  readonly id: SnapshotId;
  readonly bytes: Uint8Array;
  /** The application's state after every record below `id.endOffset`. */
  readonly payload: Uint8Array;
}

/** Kafka's ValidOffsetAndEpoch: how a leader answers a follower's (fetchOffset, lastFetchedEpoch). */
export type ValidOffsetAndEpoch =
  | { readonly kind: 'valid'; readonly offsetAndEpoch: OffsetAndEpoch }
  | { readonly kind: 'diverging'; readonly offsetAndEpoch: OffsetAndEpoch }
  | { readonly kind: 'snapshot'; readonly offsetAndEpoch: OffsetAndEpoch };

export type Isolation = 'committed' | 'uncommitted';

export interface ReplicatedLog {
  readonly recovery: LogRecovery;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  /** Kafka's lastFlushedOffset: every record below it is durable. */
  readonly lastFlushedOffset: number;

  /** The epoch of the last record, or of the snapshot the log starts at, or 0 (the primordial epoch). */
  lastFetchedEpoch(): number;
  /** The log end offset and `lastFetchedEpoch()`. */
  endOffset(): OffsetAndEpoch;
  /** The largest epoch ≤ `epoch` this log knows and where it ends (Kafka's endOffsetForEpoch). */
  endOffsetForEpoch(epoch: number): OffsetAndEpoch;
  /** The epoch of the record at `offset`, which must lie in [logStartOffset, logEndOffset). */
  epochForOffset(offset: number): number;

  /** Appends `records` as one batch of `epoch` (a control batch when `isControl`). */
  appendAsLeader(records: readonly SimpleRecord[], epoch: number, isControl: boolean): LogAppendInfo;
  /** Appends the leader's batches as they are; they must start at the log end offset. */
  appendAsFollower(batches: readonly RecordBatch[]): LogAppendInfo;
  /** Whole batches from `startOffset`, up to the high watermark (committed) or the log end. */
  read(startOffset: number, isolation: Isolation): RecordBatch[];
  /** Removes every record at or above `offset`; never below the high watermark. */
  truncateTo(offset: number): void;
  /** The high watermark the client computed; committed reads stop there. */
  updateHighWatermark(offset: number): void;

  /** Starts making everything appended durable; `onDurable` runs once `lastFlushedOffset` covers it. */
  flush(onDurable: () => void): void;

  latestSnapshot(): RawSnapshot | null;
  readonly isSnapshotWriteInProgress: boolean;
  /** Writes a snapshot of `payload` (the state below `id.endOffset`); `onFrozen` once it is durable. */
  createSnapshot(id: SnapshotId, payload: Uint8Array, onFrozen: () => void): void;
  /** Writes a snapshot fetched from the leader (its file `bytes`); `onFrozen` once it is durable. */
  storeFetchedSnapshot(id: SnapshotId, bytes: Uint8Array, onFrozen: () => void): void;
  /** Moves the log start to the latest snapshot, which this log's records lead up to (Kafka's). */
  deleteBeforeSnapshot(id: SnapshotId): boolean;
  /**
   * Empties the log and restarts it at the latest snapshot when the log does not hold the
   * snapshot's last record (Kafka's truncateToLatestSnapshot); returns whether it did.
   */
  truncateToLatestSnapshot(): boolean;

  /** Handles a disk completion if it is one of the log's; false for anyone else's. */
  onFsyncComplete(completion: DiskCompletion): boolean;
}

/**
 * Kafka's `validateOffsetAndEpoch`, run by the leader on a follower's Fetch: the follower must fetch
 * the snapshot when it is below the log start (or its epoch is older than the snapshot's), must
 * truncate when its last epoch ends earlier here, and is otherwise consistent. ksim keeps one
 * snapshot, so the earliest snapshot Kafka compares with is the latest.
 */
export function validateOffsetAndEpoch(log: ReplicatedLog, offset: number, epoch: number): ValidOffsetAndEpoch {
  if (log.logStartOffset === 0 && offset === 0) return { kind: 'valid', offsetAndEpoch: { offset: 0, epoch: 0 } };
  const snapshotId = log.latestSnapshot()?.id;
  if (
    snapshotId !== undefined &&
    (offset < log.logStartOffset || (offset === log.logStartOffset && epoch !== snapshotId.epoch) || epoch < snapshotId.epoch)
  ) {
    return { kind: 'snapshot', offsetAndEpoch: { offset: snapshotId.endOffset, epoch: snapshotId.epoch } };
  }
  const endOffsetAndEpoch = log.endOffsetForEpoch(epoch);
  if (endOffsetAndEpoch.epoch !== epoch || endOffsetAndEpoch.offset < offset) {
    return { kind: 'diverging', offsetAndEpoch: endOffsetAndEpoch };
  }
  return { kind: 'valid', offsetAndEpoch: { offset, epoch } };
}

/**
 * Kafka's `truncateToEndOffset`: truncates to where the leader's `divergingEpoch` and this log
 * agree, and returns that offset. The follower's own end of that epoch may be shorter than the
 * leader's, and a different epoch at the leader's end offset means the follower's log ends there.
 */
export function truncateToEndOffset(log: ReplicatedLog, endOffset: OffsetAndEpoch): number {
  let truncationOffset: number;
  if (endOffset.epoch === 0) {
    truncationOffset = Math.min(endOffset.offset, log.logEndOffset);
  } else {
    const local = log.endOffsetForEpoch(endOffset.epoch);
    truncationOffset = local.epoch === endOffset.epoch ? Math.min(local.offset, endOffset.offset) : local.offset;
  }
  log.truncateTo(truncationOffset);
  return truncationOffset;
}
