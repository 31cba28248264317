/**
 * CRC-32C (Castagnoli), the checksum Kafka's record batches carry (KIP-98 moved batches to CRC-32C).
 * Logs check it on recovery, so a torn write or a flipped bit on disk is detected, never trusted.
 */

const TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/**
 * The CRC-32C of data[start, end). Pass the CRC of the bytes before them as `previous` to get the
 * CRC of both together, so a checksum that skips a field needs no copy of the rest.
 */
export function crc32c(data: Uint8Array, start = 0, end = data.length, previous = 0): number {
  let crc = (previous ^ 0xffffffff) >>> 0;
  for (let i = start; i < end; i++) {
    crc = TABLE[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}
