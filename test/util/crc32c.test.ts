/**
 * CRC-32C: the standard check value, slicing-by-8 held to the byte-at-a-time definition, and
 * chaining — the CRC of a range continued from the running value of the bytes before it equals the
 * CRC of both at once, which lets a batch's checksum skip its own field without copying the batch.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { CRC32C_INITIAL, crc32c, crc32cFinish, crc32cUpdate } from '../../src/util/crc32c.js';

/** The byte-at-a-time definition, to hold the fast implementation to. */
function reference(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? 0x82f63b78 ^ (crc >>> 1) : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

describe('crc32c', () => {
  test('the standard check value: CRC-32C("123456789") = 0xe3069283', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });

  test('property: slicing-by-8 equals the bitwise definition, for any data and range', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.nat(), fc.nat(), (data, a, b) => {
        const start = data.length === 0 ? 0 : a % (data.length + 1);
        const end = start + (data.length - start === 0 ? 0 : b % (data.length - start + 1));
        expect(crc32c(data, start, end)).toBe(reference(data.subarray(start, end)));
      }),
    );
  });

  test('property: updating over two ranges equals one pass over both', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 60 }), fc.uint8Array({ maxLength: 60 }), (first, second) => {
        const joined = new Uint8Array([...first, ...second]);
        const running = crc32cUpdate(crc32cUpdate(CRC32C_INITIAL, first), second);
        expect(crc32cFinish(running)).toBe(crc32c(joined));
      }),
    );
  });

  test('property: continuing from the running value of a prefix of one buffer gives the CRC of the whole', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat(), (bytes, cut) => {
        const at = cut % (bytes.length + 1);
        const prefix = crc32cUpdate(CRC32C_INITIAL, bytes, 0, at);
        expect(crc32cFinish(crc32cUpdate(prefix, bytes, at, bytes.length))).toBe(crc32c(bytes));
      }),
    );
  });
});
