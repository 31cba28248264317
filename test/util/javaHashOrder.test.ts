/**
 * Java's hash codes and HashMap/HashSet iteration order, as util/javaHashOrder.ts emulates them.
 * Every expected value here was printed by Java 17 with kafka-clients 4.1.1 on the classpath.
 */
import { describe, expect, it } from 'vitest';
import {
  JavaHashOrder,
  capacityForCollection,
  compareUuids,
  integerHashCode,
  javaHashMapOrder,
  javaStringHashCode,
  topicPartitionHashCode,
  uuidHashCode,
} from '../../src/util/javaHashOrder.js';

describe('Java hash codes', () => {
  it('String, TopicPartition and Uuid hash as Java does', () => {
    expect(javaStringHashCode('consumer-1-abc')).toBe(-1790331857);
    expect(topicPartitionHashCode({ topic: 'orders', partition: 7 })).toBe(-1008769153);
    expect(uuidHashCode('f123456789abcdef0123456789abcdef')).toBe(-268435456);
  });

  it('Uuid.compareTo compares signed halves: a first digit of f is negative', () => {
    expect(compareUuids('f123456789abcdef0123456789abcdef', '00000000000000010000000000000000')).toBe(-1);
    expect(compareUuids('00000000000000010000000000000000', 'f123456789abcdef0123456789abcdef')).toBe(1);
  });
});

describe('Java iteration order', () => {
  it('a HashMap grown past 12 keys iterates by bucket of the doubled table, then by insertion', () => {
    const keys = Array.from({ length: 20 }, (_, index) => `member-${(index * 7919) % 1000}`);
    expect(javaHashMapOrder(keys)).toEqual([
      'member-461', 'member-352', 'member-595', 'member-271', 'member-28', 'member-190', 'member-919', 'member-704', 'member-947', 'member-838',
      'member-0', 'member-623', 'member-514', 'member-866', 'member-757', 'member-109', 'member-542', 'member-433', 'member-785', 'member-676',
    ]);
  });

  it('new HashSet<>(List.of(19, 3, 35, 0, 16)) iterates 0, 16, 19, 3, 35', () => {
    const set = new JavaHashOrder<number>(integerHashCode, capacityForCollection(5));
    for (const value of [19, 3, 35, 0, 16]) set.add(String(value), value);
    expect(set.values()).toEqual([0, 16, 19, 3, 35]);
  });

  it('a key removed and added again goes last in its bucket', () => {
    const set = new JavaHashOrder<number>(integerHashCode);
    for (const value of [0, 16, 32]) set.add(String(value), value);
    set.delete('0');
    set.add('0', 0);
    expect(set.values()).toEqual([16, 32, 0]);
  });
});
