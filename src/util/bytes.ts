/**
 * A minimal binary writer and reader for on-disk formats (big-endian, as Kafka's wire and log
 * formats are). Numbers are written as int32 or as int64 through two 32-bit halves, so every value
 * must be a safe integer; strings are UTF-8 with an int32 length prefix.
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The parts, one after another, in one new array (record batches written as one file, say). */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const bytes = new Uint8Array(parts.reduce((total, part) => total + part.length, 0));
  let position = 0;
  for (const part of parts) {
    bytes.set(part, position);
    position += part.length;
  }
  return bytes;
}

export class ByteWriter {
  private buffer: Uint8Array;
  private view: DataView;
  private length = 0;

  constructor(initialCapacity = 64) {
    this.buffer = new Uint8Array(initialCapacity);
    this.view = new DataView(this.buffer.buffer);
  }

  private ensure(extra: number): void {
    const needed = this.length + extra;
    if (needed <= this.buffer.length) return;
    let capacity = this.buffer.length * 2;
    while (capacity < needed) capacity *= 2;
    const next = new Uint8Array(capacity);
    next.set(this.buffer.subarray(0, this.length));
    this.buffer = next;
    this.view = new DataView(next.buffer);
  }

  int8(value: number): this {
    this.ensure(1);
    this.view.setInt8(this.length, value);
    this.length += 1;
    return this;
  }

  int32(value: number): this {
    this.ensure(4);
    this.view.setInt32(this.length, value);
    this.length += 4;
    return this;
  }

  uint32(value: number): this {
    this.ensure(4);
    this.view.setUint32(this.length, value >>> 0);
    this.length += 4;
    return this;
  }

  /** A safe integer (|value| < 2^53), stored in 8 bytes. */
  int64(value: number): this {
    if (!Number.isSafeInteger(value)) throw new Error(`int64: ${value} is not a safe integer`);
    this.ensure(8);
    const high = Math.floor(value / 0x1_0000_0000);
    const low = value - high * 0x1_0000_0000;
    this.view.setInt32(this.length, high);
    this.view.setUint32(this.length + 4, low);
    this.length += 8;
    return this;
  }

  bytes(data: Uint8Array): this {
    this.int32(data.length);
    this.raw(data);
    return this;
  }

  raw(data: Uint8Array): this {
    this.ensure(data.length);
    this.buffer.set(data, this.length);
    this.length += data.length;
    return this;
  }

  string(value: string): this {
    return this.bytes(encoder.encode(value));
  }

  get size(): number {
    return this.length;
  }

  /** Overwrites 4 bytes at `offset` (used to fill in a length or CRC after the body is written). */
  patchUint32(offset: number, value: number): this {
    if (offset + 4 > this.length) throw new Error(`patchUint32: offset ${offset} past end ${this.length}`);
    this.view.setUint32(offset, value >>> 0);
    return this;
  }

  finish(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}

/** Thrown when a reader runs past the end of its data: a truncated or torn record. */
export class ShortReadError extends Error {}

export class ByteReader {
  private readonly view: DataView;
  private position: number;

  constructor(private readonly data: Uint8Array, offset = 0) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    this.position = offset;
  }

  get offset(): number {
    return this.position;
  }

  get remaining(): number {
    return this.data.length - this.position;
  }

  private need(count: number): void {
    if (count < 0 || this.position + count > this.data.length) {
      throw new ShortReadError(`short read: need ${count} bytes at ${this.position}, have ${this.remaining}`);
    }
  }

  int8(): number {
    this.need(1);
    const value = this.view.getInt8(this.position);
    this.position += 1;
    return value;
  }

  int32(): number {
    this.need(4);
    const value = this.view.getInt32(this.position);
    this.position += 4;
    return value;
  }

  uint32(): number {
    this.need(4);
    const value = this.view.getUint32(this.position);
    this.position += 4;
    return value;
  }

  int64(): number {
    this.need(8);
    const high = this.view.getInt32(this.position);
    const low = this.view.getUint32(this.position + 4);
    this.position += 8;
    return high * 0x1_0000_0000 + low;
  }

  raw(length: number): Uint8Array {
    this.need(length);
    const value = this.data.subarray(this.position, this.position + length);
    this.position += length;
    return value;
  }

  bytes(): Uint8Array {
    return this.raw(this.int32());
  }

  string(): string {
    return decoder.decode(this.bytes());
  }
}
