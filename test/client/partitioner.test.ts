/**
 * The built-in partitioner: Kafka's murmur2 bit for bit (UtilsTest.testMurmur2's vectors), keyed
 * placement, and KIP-480 sticky placement of unkeyed records.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { BuiltInPartitioner, murmur2, partitionForKey, toPositive } from '../../src/client/partitioner.js';
import { SeededRandom } from '../../sim/random.js';

/** The partitioner's random stream, as a node's host would give it (sim/random.ts). */
const randomOf = (seed: number) => new SeededRandom('partitioner', String(seed));

const encoder = new TextEncoder();

describe('murmur2', () => {
  test('matches the vectors of Kafka UtilsTest.testMurmur2', () => {
    const cases: Array<[Uint8Array, number]> = [
      [encoder.encode('21'), -973932308],
      [encoder.encode('foobar'), -790332482],
      [encoder.encode('a-little-bit-long-string'), -985981536],
      [encoder.encode('a-little-bit-longer-string'), -1486304829],
      [encoder.encode('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8'), -58897971],
      [new Uint8Array([0x61, 0x62, 0x63]), 479470107],
    ];
    for (const [bytes, expected] of cases) expect(murmur2(bytes)).toBe(expected);
  });

  test('returns a signed 32-bit integer for any input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const hash = murmur2(bytes);
        expect(Number.isInteger(hash)).toBe(true);
        expect(hash).toBeGreaterThanOrEqual(-0x8000_0000);
        expect(hash).toBeLessThanOrEqual(0x7fff_ffff);
      }),
    );
  });

  test('toPositive clears the sign bit instead of negating (Int.MIN stays in range)', () => {
    expect(toPositive(-973932308)).toBe(-973932308 & 0x7fffffff);
    expect(toPositive(-0x8000_0000)).toBe(0);
    expect(toPositive(5)).toBe(5);
  });
});

describe('keyed records', () => {
  test('a key maps to toPositive(murmur2(utf8(key))) % numPartitions', () => {
    expect(partitionForKey('21', 7)).toBe(toPositive(-973932308) % 7);
    expect(partitionForKey('foobar', 3)).toBe(toPositive(-790332482) % 3);
  });

  test('the same key always lands on the same partition, whatever the random stream', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 1, max: 64 }), fc.integer(), (key, partitions, seed) => {
        const partitioner = new BuiltInPartitioner(randomOf(seed), false);
        const partition = partitioner.partition('t', key, partitions, []);
        expect(partition).toBe(partitionForKey(key, partitions));
        expect(partition).toBeGreaterThanOrEqual(0);
        expect(partition).toBeLessThan(partitions);
      }),
    );
  });

  test('partitioner.ignore.keys spreads keyed records like unkeyed ones', () => {
    const partitioner = new BuiltInPartitioner(randomOf(1), true);
    const first = partitioner.partition('t', 'k', 8, []);
    partitioner.onNewBatch('t', 8, [], first);
    expect(partitioner.partition('t', 'k', 8, [])).not.toBe(first);
  });
});

describe('sticky partitioning of unkeyed records (KIP-480)', () => {
  test('sticks until a new batch is needed, then switches to another available partition', () => {
    const partitioner = new BuiltInPartitioner(randomOf(7), false);
    const available = [0, 2, 3];
    const first = partitioner.partition('t', null, 4, available);
    expect(available).toContain(first);
    for (let i = 0; i < 10; i++) expect(partitioner.partition('t', null, 4, available)).toBe(first);
    partitioner.onNewBatch('t', 4, available, first);
    const second = partitioner.partition('t', null, 4, available);
    expect(second).not.toBe(first);
    expect(available).toContain(second);
  });

  test('onNewBatch for a partition that is no longer sticky does not switch again', () => {
    const partitioner = new BuiltInPartitioner(randomOf(3), false);
    const first = partitioner.partition('t', null, 5, []);
    partitioner.onNewBatch('t', 5, [], first);
    const second = partitioner.partition('t', null, 5, []);
    partitioner.onNewBatch('t', 5, [], first);
    expect(partitioner.partition('t', null, 5, [])).toBe(second);
  });

  test('the same seed chooses the same partitions (determinism)', () => {
    const run = (seed: number): number[] => {
      const partitioner = new BuiltInPartitioner(randomOf(seed), false);
      const chosen: number[] = [];
      for (let i = 0; i < 20; i++) {
        const partition = partitioner.partition('t', null, 6, []);
        chosen.push(partition);
        partitioner.onNewBatch('t', 6, [], partition);
      }
      return chosen;
    };
    expect(run(11)).toEqual(run(11));
    expect(new Set(run(11)).size).toBeGreaterThan(1);
  });
});
