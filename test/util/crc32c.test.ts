/**
 * CRC-32C: the standard check value, and chaining — the CRC of a range continued from the CRC of
 * the bytes before it equals the CRC of both at once, which lets a batch's checksum skip its own
 * field without copying the batch.
 */
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { crc32c } from '../../src/util/crc32c.js';

test('the CRC-32C of "123456789" is the catalogued check value 0xE3069283', () => {
  expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
  expect(crc32c(new Uint8Array(0))).toBe(0);
});

test('continuing from the CRC of a prefix gives the CRC of the whole (property)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat(), (bytes, cut) => {
      const at = cut % (bytes.length + 1);
      expect(crc32c(bytes, at, bytes.length, crc32c(bytes, 0, at))).toBe(crc32c(bytes));
    }),
  );
});
