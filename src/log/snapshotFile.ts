/**
 * A metadata log snapshot on disk (KIP-630): its file names and its content, after Kafka's
 * Snapshots and RecordsSnapshotWriter.
 *
 * Names: `<endOffset, 20 digits>-<epoch, 10 digits>.checkpoint`. A snapshot is written as
 * `<same>.checkpoint.part`, fsynced and renamed (a CheckpointFile), so it is either whole or absent;
 * a `.part` file found at start is the leftover of an interrupted write and is deleted.
 *
 * Content: record batches, as in Kafka — a control batch holding one SnapshotHeader record, the data
 * batch, and a control batch holding one SnapshotFooter record. Offsets inside the file start at 0
 * and every batch carries the snapshot's epoch, as RecordsSnapshotWriter writes them. Each batch has
 * its CRC, so a flipped bit or a torn file is found: a file that does not decode to exactly header,
 * data, footer is not a snapshot, and is never trusted.
 *
 * Invariants: a snapshot named (endOffset, epoch) holds the state after every record below
 * endOffset, and epoch is the epoch of the record at endOffset - 1.
 * Left out: the application's records as separate records — ksim's application hands its state
 * over as one payload, which is the one data record's value (text, like every record value here) —
 * and Kafka's `.checkpoint.deleted` renames before asynchronous deletion (files are deleted at once).
 */

import type { SnapshotId } from '../raft/messages.js';
import { type SnapshotFooterRecord, type SnapshotHeaderRecord, controlRecord, controlRecordType } from './controlRecord.js';
import { NO_PRODUCER_EPOCH, NO_PRODUCER_ID, NO_SEQUENCE, type RecordBatch, type SimpleRecord, decodeBatches, encodeBatch } from './recordBatch.js';
import { concatBytes } from '../util/bytes.js';

const SUFFIX = '.checkpoint';
const PART_SUFFIX = '.checkpoint.part';
const NAME_PATTERN = /^(\d{20})-(\d{10})\.checkpoint$/;

export function snapshotFileName(dir: string, id: SnapshotId): string {
  return `${dir}/${String(id.endOffset).padStart(20, '0')}-${String(id.epoch).padStart(10, '0')}${SUFFIX}`;
}

export function snapshotPartFileName(dir: string, id: SnapshotId): string {
  return `${snapshotFileName(dir, id).slice(0, -SUFFIX.length)}${PART_SUFFIX}`;
}

/** The id a complete snapshot's file name carries, or null for any other file. */
export function parseSnapshotFileName(dir: string, name: string): SnapshotId | null {
  if (!name.startsWith(`${dir}/`)) return null;
  const match = NAME_PATTERN.exec(name.slice(dir.length + 1));
  return match === null ? null : { endOffset: Number(match[1]), epoch: Number(match[2]) };
}

export function isSnapshotPartFile(dir: string, name: string): boolean {
  return name.startsWith(`${dir}/`) && name.endsWith(PART_SUFFIX);
}

/** The file content of a snapshot of `payload` (the application's state), as Kafka lays it out. */
export function encodeSnapshot(id: SnapshotId, payload: string, timestampMs: number): Uint8Array {
  const header: SnapshotHeaderRecord = { version: 0, lastContainedLogTimestamp: timestampMs };
  const footer: SnapshotFooterRecord = { version: 0 };
  const batches = [
    snapshotBatch(0, id.epoch, controlRecord('SNAPSHOT_HEADER', header, timestampMs), true),
    snapshotBatch(1, id.epoch, { key: null, value: payload, timestampMs }, false),
    snapshotBatch(2, id.epoch, controlRecord('SNAPSHOT_FOOTER', footer, timestampMs), true),
  ];
  return concatBytes(batches.map(encodeBatch));
}

/** The payload of a snapshot file, or null when it is torn, corrupt, or not a snapshot of epoch `id.epoch`. */
export function decodeSnapshot(bytes: Uint8Array, id: SnapshotId): string | null {
  const decoded = decodeBatches(bytes);
  if (decoded.stop !== 'end' || decoded.batches.length !== 3) return null;
  const [header, data, footer] = decoded.batches as [RecordBatch, RecordBatch, RecordBatch];
  if (decoded.batches.some((batch) => batch.partitionLeaderEpoch !== id.epoch || batch.records.length !== 1)) return null;
  if (!header.isControl || controlRecordType(header.records[0]!) !== 'SNAPSHOT_HEADER') return null;
  if (!footer.isControl || controlRecordType(footer.records[0]!) !== 'SNAPSHOT_FOOTER') return null;
  if (data.isControl) return null;
  return data.records[0]!.value;
}

function snapshotBatch(offset: number, epoch: number, record: SimpleRecord, isControl: boolean): RecordBatch {
  return {
    baseOffset: offset,
    lastOffsetDelta: 0,
    partitionLeaderEpoch: epoch,
    producerId: NO_PRODUCER_ID,
    producerEpoch: NO_PRODUCER_EPOCH,
    baseSequence: NO_SEQUENCE,
    isTransactional: false,
    isControl,
    maxTimestampMs: record.timestampMs,
    records: [record],
  };
}
