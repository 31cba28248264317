/**
 * The v2 record batch (Kafka's DefaultRecordBatch) as ksim stores it on disk and ships it between
 * replicas.
 *
 * Layout, in Kafka's order and widths (61 bytes of header, RECORD_BATCH_OVERHEAD, as in Kafka):
 *   baseOffset int64 | batchLength int32 | partitionLeaderEpoch int32 | magic int8 (=2) | crc uint32 |
 *   attributes int16 | lastOffsetDelta int32 | baseTimestamp int64 | maxTimestamp int64 |
 *   producerId int64 | producerEpoch int16 | baseSequence int32 | recordCount int32 | records...
 * `batchLength` counts the bytes after itself, as Kafka's does, so a batch is 12 + batchLength long.
 * Attributes: bit 4 isTransactional, bit 5 isControl (Kafka's bits; compression bits stay 0).
 * Each record: attributes int8 | timestampDelta int64 | offsetDelta int32 | key | value |
 * headerCount int32 (always 0), with key and value as an int32 length (-1 for null) and UTF-8 bytes.
 *
 * Deliberate differences from Kafka:
 * - The CRC-32C covers the whole batch except the crc field itself. Kafka's covers only
 *   attributes..end, leaving baseOffset, batchLength, partitionLeaderEpoch and magic out so a leader
 *   can rewrite them in place without recomputing it; a flipped bit there then goes unnoticed until an
 *   offset check trips. We encode every batch afresh, so we can afford to cover them, and the
 *   simulated disk's bit flips are then always caught.
 * - Record fields use fixed-width integers instead of varints, and headers are left out.
 * - No compression, and no compaction: a batch always holds lastOffsetDelta + 1 records.
 * - The timestamp type bit is not stored: with LogAppendTime the log overwrites the records'
 *   timestamps with the append time instead.
 *
 * Decoding stops cleanly at the first batch that is short (a torn write: "torn") or fails its CRC or
 * structure checks ("corrupt"), and says where the valid prefix ends. A length field flipped to a
 * larger value is indistinguishable from a torn write; both end the valid prefix all the same.
 */

import { ByteReader, ByteWriter } from '../util/bytes.js';
import { CRC32C_INITIAL, crc32cFinish, crc32cUpdate } from '../util/crc32c.js';

export const MAGIC_V2 = 2;
export const NO_PRODUCER_ID = -1;
export const NO_PRODUCER_EPOCH = -1;
export const NO_SEQUENCE = -1;
export const NO_PARTITION_LEADER_EPOCH = -1;

/** baseOffset + batchLength: the bytes before what batchLength counts (Kafka's LOG_OVERHEAD). */
export const LOG_OVERHEAD = 12;
export const RECORD_BATCH_OVERHEAD = 61;
/** The smallest legal batchLength: a header with no records. */
const BATCH_LENGTH_MIN = RECORD_BATCH_OVERHEAD - LOG_OVERHEAD;
/** Where the crc field sits and how long it is. */
const CRC_OFFSET = 17;
const CRC_LENGTH = 4;

const ATTRIBUTE_TRANSACTIONAL = 1 << 4;
const ATTRIBUTE_CONTROL = 1 << 5;
const INT32_MAX = 0x7fff_ffff;

/** One record as a producer hands it over (Kafka's SimpleRecord; headers left out). */
export interface SimpleRecord {
  readonly key: string | null;
  readonly value: string | null;
  readonly timestampMs: number;
}

export interface RecordBatch {
  readonly baseOffset: number;
  /** Invariant: lastOffsetDelta === records.length - 1 (no compaction in ksim). */
  readonly lastOffsetDelta: number;
  readonly partitionLeaderEpoch: number;
  /** NO_PRODUCER_ID (-1) for a producer that is not idempotent. */
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly isTransactional: boolean;
  readonly isControl: boolean;
  readonly maxTimestampMs: number;
  readonly records: readonly SimpleRecord[];
}

export function lastOffset(batch: RecordBatch): number {
  return batch.baseOffset + batch.lastOffsetDelta;
}

export function nextOffset(batch: RecordBatch): number {
  return batch.baseOffset + batch.lastOffsetDelta + 1;
}

export function recordCount(batch: RecordBatch): number {
  return batch.records.length;
}

/** Kafka's DefaultRecordBatch.incrementSequence: sequences wrap from Int32 max to 0. */
export function incrementSequence(sequence: number, increment: number): number {
  if (sequence > INT32_MAX - increment) return increment - (INT32_MAX - sequence) - 1;
  return sequence + increment;
}

/** The sequence of the batch's last record, or NO_SEQUENCE for a batch without one. */
export function lastSequence(batch: RecordBatch): number {
  if (batch.baseSequence === NO_SEQUENCE) return NO_SEQUENCE;
  return incrementSequence(batch.baseSequence, batch.lastOffsetDelta);
}

export function encodeBatch(batch: RecordBatch): Uint8Array {
  assertWellFormed(batch);
  const baseTimestampMs = batch.records[0]!.timestampMs;
  // Sized for ASCII keys and values, so that the common batch is written without growing the buffer.
  const capacity = batch.records.reduce((total, record) => total + 25 + (record.key?.length ?? 0) + (record.value?.length ?? 0), RECORD_BATCH_OVERHEAD);
  const writer = new ByteWriter(capacity);
  writer.int64(batch.baseOffset).int32(0 /* batchLength, patched below */).int32(batch.partitionLeaderEpoch);
  writer.int8(MAGIC_V2).uint32(0 /* crc, patched below */);
  int16(writer, (batch.isTransactional ? ATTRIBUTE_TRANSACTIONAL : 0) | (batch.isControl ? ATTRIBUTE_CONTROL : 0));
  writer.int32(batch.lastOffsetDelta).int64(baseTimestampMs).int64(batch.maxTimestampMs);
  writer.int64(batch.producerId);
  int16(writer, batch.producerEpoch);
  writer.int32(batch.baseSequence).int32(batch.records.length);
  batch.records.forEach((record, offsetDelta) => {
    writer.int8(0).int64(record.timestampMs - baseTimestampMs).int32(offsetDelta);
    nullableString(writer, record.key);
    nullableString(writer, record.value);
    writer.int32(0);
  });
  writer.patchUint32(8, writer.size - LOG_OVERHEAD);
  const bytes = writer.finish();
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).setUint32(CRC_OFFSET, batchCrc(bytes, 0, bytes.length));
  return bytes;
}

/** Each record's fixed bytes in encodeBatch's layout: attributes, timestamp delta, offset delta, two lengths, header count. */
const RECORD_FIXED_BYTES = 1 + 8 + 4 + 4 + 4 + 4;

/** The batch's size as encodeBatch lays it out (on disk and on the wire), without encoding it. */
export function batchSizeInBytes(batch: RecordBatch): number {
  let size = RECORD_BATCH_OVERHEAD;
  for (const record of batch.records) size += RECORD_FIXED_BYTES + utf8Length(record.key) + utf8Length(record.value);
  return size;
}

function utf8Length(value: string | null): number {
  return value === null ? 0 : encoder.encode(value).length;
}

/** The size of the whole batch starting at `position`, from its header, or null if the header is short. */
export function batchSizeAt(bytes: Uint8Array, position: number): number | null {
  if (bytes.length - position < LOG_OVERHEAD) return null;
  // batchLength, a big-endian int32 after the int64 baseOffset.
  return LOG_OVERHEAD + int32At(bytes, position + 8);
}

/** The big-endian int32 at `position`, read without a DataView (this runs for every batch read). */
function int32At(bytes: Uint8Array, position: number): number {
  return (bytes[position]! << 24) | (bytes[position + 1]! << 16) | (bytes[position + 2]! << 8) | bytes[position + 3]!;
}

export type DecodeStop = 'end' | 'torn' | 'corrupt';

export type DecodedBatch =
  | { readonly kind: 'batch'; readonly batch: RecordBatch; readonly sizeInBytes: number }
  | { readonly kind: DecodeStop };

/** Decodes the one batch at `position`, or says why there is none. */
export function decodeBatchAt(bytes: Uint8Array, position: number): DecodedBatch {
  const remaining = bytes.length - position;
  if (remaining === 0) return { kind: 'end' };
  const sizeInBytes = batchSizeAt(bytes, position);
  if (sizeInBytes === null) return { kind: 'torn' };
  if (sizeInBytes - LOG_OVERHEAD < BATCH_LENGTH_MIN) return { kind: 'corrupt' };
  if (sizeInBytes > remaining) return { kind: 'torn' };
  const end = position + sizeInBytes;
  const storedCrc = int32At(bytes, position + CRC_OFFSET) >>> 0;
  if (storedCrc !== batchCrc(bytes, position, end)) return { kind: 'corrupt' };
  try {
    const batch = parseBatch(bytes.subarray(position, end));
    return batch === null ? { kind: 'corrupt' } : { kind: 'batch', batch, sizeInBytes };
  } catch {
    // A CRC-valid batch that does not parse: a CRC collision or a bug in encodeBatch. Either way the
    // bytes cannot be trusted, so they end the valid prefix like any other corruption.
    return { kind: 'corrupt' };
  }
}

export interface DecodedBatches {
  readonly batches: RecordBatch[];
  /** The absolute position of each batch in `bytes`. */
  readonly positions: number[];
  /** How many bytes from `startPosition` decode cleanly: the valid prefix ends at startPosition + validBytes. */
  readonly validBytes: number;
  readonly stop: DecodeStop;
}

/** Decodes batches from `startPosition` until the data ends or a batch is torn or corrupt. */
export function decodeBatches(bytes: Uint8Array, startPosition = 0): DecodedBatches {
  const batches: RecordBatch[] = [];
  const positions: number[] = [];
  let position = startPosition;
  for (;;) {
    const decoded = decodeBatchAt(bytes, position);
    if (decoded.kind !== 'batch') return { batches, positions, validBytes: position - startPosition, stop: decoded.kind };
    batches.push(decoded.batch);
    positions.push(position);
    position += decoded.sizeInBytes;
  }
}

/** CRC-32C of the batch at [start, end) with its crc field left out. */
function batchCrc(bytes: Uint8Array, start: number, end: number): number {
  const beforeCrcField = crc32cUpdate(CRC32C_INITIAL, bytes, start, start + CRC_OFFSET);
  return crc32cFinish(crc32cUpdate(beforeCrcField, bytes, start + CRC_OFFSET + CRC_LENGTH, end));
}

/** Parses one whole batch whose CRC already matched; null when its structure is inconsistent. */
function parseBatch(data: Uint8Array): RecordBatch | null {
  const reader = new ByteReader(data);
  const baseOffset = reader.int64();
  reader.int32();
  const partitionLeaderEpoch = reader.int32();
  if (reader.int8() !== MAGIC_V2) return null;
  reader.uint32();
  const attributes = readInt16(reader);
  const lastOffsetDelta = reader.int32();
  const baseTimestampMs = reader.int64();
  const maxTimestampMs = reader.int64();
  const producerId = reader.int64();
  const producerEpoch = readInt16(reader);
  const baseSequence = reader.int32();
  const count = reader.int32();
  if (count !== lastOffsetDelta + 1 || count < 1) return null;
  const records: SimpleRecord[] = [];
  for (let index = 0; index < count; index++) {
    reader.int8();
    const timestampMs = baseTimestampMs + reader.int64();
    if (reader.int32() !== index) return null;
    const key = readNullableString(reader);
    const value = readNullableString(reader);
    if (reader.int32() !== 0) return null;
    records.push({ key, value, timestampMs });
  }
  if (reader.remaining !== 0) return null;
  return {
    baseOffset,
    lastOffsetDelta,
    partitionLeaderEpoch,
    producerId,
    producerEpoch,
    baseSequence,
    isTransactional: (attributes & ATTRIBUTE_TRANSACTIONAL) !== 0,
    isControl: (attributes & ATTRIBUTE_CONTROL) !== 0,
    maxTimestampMs,
    records,
  };
}

function assertWellFormed(batch: RecordBatch): void {
  if (batch.records.length === 0) throw new Error('encodeBatch: a batch needs at least one record');
  if (batch.lastOffsetDelta !== batch.records.length - 1) {
    throw new Error(`encodeBatch: lastOffsetDelta ${batch.lastOffsetDelta} for ${batch.records.length} records`);
  }
  if (batch.baseOffset < 0) throw new Error(`encodeBatch: negative baseOffset ${batch.baseOffset}`);
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

function int16(writer: ByteWriter, value: number): void {
  writer.int8(value >> 8).int8(value & 0xff);
}

function readInt16(reader: ByteReader): number {
  const high = reader.int8();
  return (high << 8) | (reader.int8() & 0xff);
}

function nullableString(writer: ByteWriter, value: string | null): void {
  if (value === null) writer.int32(-1);
  else writer.bytes(encoder.encode(value));
}

function readNullableString(reader: ByteReader): string | null {
  const length = reader.int32();
  if (length === -1) return null;
  if (length < 0) throw new Error(`negative string length ${length}`);
  return decoder.decode(reader.raw(length));
}
