/**
 * One entry of the replicated metadata log, and its on-disk frame.
 *
 * What it models: Kafka's record (offset, partition leader epoch, value) inside a batch, reduced to
 * one record per entry. An entry is either application data or a control record; the only control
 * record ksim writes is LeaderChange, which a new leader appends at the start of its epoch (KIP-595)
 * so that it has a record of its own epoch to commit.
 *
 * Frame on disk (big-endian): int32 bodyLength, uint32 crc32c(body), body = int64 offset,
 * int32 epoch, int8 kind, bytes record. A frame whose length runs past the end of the file or whose
 * CRC does not match is a torn or corrupt tail: recovery truncates the log there and never trusts it.
 *
 * Invariants: offset ≥ 0 and epoch ≥ 0 are safe integers; the record bytes are never mutated after
 * the entry is built (entries are shared between the log, fetch responses and the listener).
 *
 * Left out: Kafka's batches with base offsets, producer ids, timestamps and compression.
 */

import { ByteReader, ByteWriter, ShortReadError } from '../util/bytes.js';
import { crc32c } from '../util/crc32c.js';

export type LogEntryKind = 'data' | 'leaderChange';

export interface LogEntry {
  readonly offset: number;
  readonly epoch: number;
  readonly kind: LogEntryKind;
  readonly record: Uint8Array;
}

/** Bytes before the body: the body length and its CRC. */
export const FRAME_HEADER_BYTES = 8;
/** A body larger than this cannot be a real frame: it is corruption of the length field. */
const FRAME_BODY_BYTES_MAX = 64 * 1024 * 1024;

const KIND_CODES: Record<LogEntryKind, number> = { data: 0, leaderChange: 1 };

export function encodeLogEntry(entry: LogEntry): Uint8Array {
  const writer = new ByteWriter(FRAME_HEADER_BYTES + 24 + entry.record.length);
  writer.int32(0).uint32(0);
  writer.int64(entry.offset).int32(entry.epoch).int8(KIND_CODES[entry.kind]).bytes(entry.record);
  const frame = writer.finish();
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  view.setInt32(0, frame.length - FRAME_HEADER_BYTES);
  view.setUint32(4, crc32c(frame, FRAME_HEADER_BYTES));
  return frame;
}

export type DecodedFrame =
  | { readonly ok: true; readonly entry: LogEntry; readonly frameBytes: number }
  | { readonly ok: false; readonly reason: 'torn' | 'corrupt' };

/** Decodes the frame at `position`, reporting a torn or corrupt frame instead of throwing. */
export function decodeLogEntry(data: Uint8Array, position: number): DecodedFrame {
  if (data.length - position < FRAME_HEADER_BYTES) return { ok: false, reason: 'torn' };
  const header = new ByteReader(data, position);
  const bodyLength = header.int32();
  const crc = header.uint32();
  if (bodyLength < 0 || bodyLength > FRAME_BODY_BYTES_MAX) return { ok: false, reason: 'corrupt' };
  const bodyStart = position + FRAME_HEADER_BYTES;
  if (data.length - bodyStart < bodyLength) return { ok: false, reason: 'torn' };
  if (crc32c(data, bodyStart, bodyStart + bodyLength) !== crc) return { ok: false, reason: 'corrupt' };
  try {
    const body = new ByteReader(data.subarray(bodyStart, bodyStart + bodyLength));
    const offset = body.int64();
    const epoch = body.int32();
    const kind = decodeKind(body.int8());
    const record = body.bytes().slice();
    if (kind === null || body.remaining !== 0 || offset < 0 || epoch < 0) return { ok: false, reason: 'corrupt' };
    return { ok: true, entry: { offset, epoch, kind, record }, frameBytes: FRAME_HEADER_BYTES + bodyLength };
  } catch (error) {
    // A CRC-valid body that does not parse was written by a different format: treat it as corrupt.
    if (error instanceof ShortReadError) return { ok: false, reason: 'corrupt' };
    throw error;
  }
}

function decodeKind(code: number): LogEntryKind | null {
  if (code === KIND_CODES.data) return 'data';
  if (code === KIND_CODES.leaderChange) return 'leaderChange';
  return null;
}

/** The digest the trace carries for an entry, so the checker can compare logs without the bytes. */
export function recordDigest(record: Uint8Array): number {
  return crc32c(record);
}
