/**
 * The on-disk format and naming of a metadata snapshot (KIP-630).
 *
 * What it models: Kafka's `<endOffset:20 digits>-<epoch:10 digits>.checkpoint` files, written as a
 * `.checkpoint.part` file that is fsynced and then renamed, so a snapshot is either whole or absent.
 * The content is opaque application bytes (the state machine's own encoding), framed with the
 * snapshot id and a CRC-32C so a corrupt snapshot is detected on recovery.
 *
 * Invariants: a snapshot named (endOffset, epoch) holds the state after applying every entry below
 * endOffset, and epoch is the epoch of the entry at endOffset - 1; the id in the name and in the
 * body agree, or the file is treated as corrupt.
 *
 * Left out: Kafka's snapshot header/footer control records and record batches inside the snapshot.
 */

import { ByteReader, ByteWriter, ShortReadError } from '../util/bytes.js';
import { crc32c } from '../util/crc32c.js';
import type { SnapshotId } from './messages.js';

const SNAPSHOT_MAGIC = 0x6b726674; // "krft"
const SUFFIX = '.checkpoint';
const PART_SUFFIX = '.checkpoint.part';

export interface Snapshot {
  readonly id: SnapshotId;
  readonly data: Uint8Array;
}

export function snapshotFileName(dir: string, id: SnapshotId): string {
  return `${dir}/${String(id.endOffset).padStart(20, '0')}-${String(id.epoch).padStart(10, '0')}${SUFFIX}`;
}

export function snapshotPartFileName(dir: string, id: SnapshotId): string {
  return `${snapshotFileName(dir, id).slice(0, -SUFFIX.length)}${PART_SUFFIX}`;
}

/** Parses a complete snapshot's file name, or returns null for any other file. */
export function parseSnapshotFileName(dir: string, name: string): SnapshotId | null {
  const match = new RegExp(`^${escape(dir)}/(\\d{20})-(\\d{10})${escape(SUFFIX)}$`).exec(name);
  if (match === null) return null;
  return { endOffset: Number(match[1]), epoch: Number(match[2]) };
}

export function isSnapshotPartFile(dir: string, name: string): boolean {
  return name.startsWith(`${dir}/`) && name.endsWith(PART_SUFFIX);
}

export function encodeSnapshot(snapshot: Snapshot): Uint8Array {
  const writer = new ByteWriter(32 + snapshot.data.length);
  writer.int32(SNAPSHOT_MAGIC).int64(snapshot.id.endOffset).int32(snapshot.id.epoch).bytes(snapshot.data);
  const body = writer.finish();
  return new ByteWriter(body.length + 4).raw(body).uint32(crc32c(body)).finish();
}

/** Decodes a snapshot file, or returns null when it is torn, corrupt, or names another id. */
export function decodeSnapshot(bytes: Uint8Array, expectedId: SnapshotId): Snapshot | null {
  if (bytes.length < 4) return null;
  const bodyLength = bytes.length - 4;
  const storedCrc = new ByteReader(bytes, bodyLength).uint32();
  if (crc32c(bytes, 0, bodyLength) !== storedCrc) return null;
  try {
    const reader = new ByteReader(bytes.subarray(0, bodyLength));
    if (reader.int32() !== SNAPSHOT_MAGIC) return null;
    const id = { endOffset: reader.int64(), epoch: reader.int32() };
    const data = reader.bytes().slice();
    if (reader.remaining !== 0) return null;
    if (id.endOffset !== expectedId.endOffset || id.epoch !== expectedId.epoch) return null;
    return { id, data };
  } catch (error) {
    if (error instanceof ShortReadError) return null;
    throw error;
  }
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
