/**
 * The producer's built-in partitioner: where a record goes when the application names no partition.
 *
 * What it models:
 * - Keyed records: `toPositive(murmur2(keyBytes)) % numPartitions` over the key's UTF-8 bytes, exactly
 *   as Kafka's BuiltInPartitioner.partitionForKey, so a key lands on the same partition number as it
 *   would in a real cluster with the same partition count.
 * - Unkeyed records (or every record with `partitioner.ignore.keys`): sticky partitioning. The
 *   partitioner sticks to one partition until the accumulator needs a new batch for it, then
 *   switches to another partition chosen with the node's random stream (KIP-480, "onNewBatch").
 *   Sticking fills batches instead of spraying one-record batches over every partition.
 *
 * Simplified: Kafka 3.3+'s KIP-794 switches after `batch.size` bytes were produced to the partition
 * and weighs partitions by queue length (adaptive partitioning); ksim keeps KIP-480's switch on a new
 * batch, uniformly over the partitions that have a leader.
 */

import type { Random } from '../host.js';

const encoder = new TextEncoder();

/** Kafka's Utils.murmur2: the 32-bit MurmurHash2 with Kafka's seed, as a signed Java int. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  const seed = 0x9747b28c;
  const m = 0x5bd1e995;
  const r = 24;
  let h = (seed ^ length) | 0;
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = (data[i4]! & 0xff) | ((data[i4 + 1]! & 0xff) << 8) | ((data[i4 + 2]! & 0xff) << 16) | ((data[i4 + 3]! & 0xff) << 24);
    k = Math.imul(k, m);
    k ^= k >>> r;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const tail = length & ~3;
  const rest = length % 4;
  // Java's switch falls through from case 3 to case 1; the ifs below do the same.
  if (rest >= 3) h ^= (data[tail + 2]! & 0xff) << 16;
  if (rest >= 2) h ^= (data[tail + 1]! & 0xff) << 8;
  if (rest >= 1) {
    h ^= data[tail]! & 0xff;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** Kafka's Utils.toPositive: clears the sign bit (not Math.abs, which overflows on Int.MIN). */
export function toPositive(value: number): number {
  return value & 0x7fffffff;
}

export function partitionForKey(key: string, numPartitions: number): number {
  if (!Number.isSafeInteger(numPartitions) || numPartitions <= 0) throw new Error(`partitionForKey: bad partition count ${numPartitions}`);
  const partition = toPositive(murmur2(encoder.encode(key))) % numPartitions;
  if (partition < 0 || partition >= numPartitions) throw new Error(`partitionForKey: ${partition} out of range`);
  return partition;
}

export class BuiltInPartitioner {
  /** The sticky partition per topic, for unkeyed records. */
  private readonly stickyPartitions = new Map<string, number>();

  constructor(
    private readonly random: Random,
    private readonly ignoreKeys: boolean,
  ) {}

  /**
   * The partition for a record. `availablePartitions` are the ones with a known leader; when none
   * has one, any partition will do (the record then waits in the accumulator for a leader).
   */
  partition(topic: string, key: string | null, numPartitions: number, availablePartitions: readonly number[]): number {
    if (numPartitions <= 0) throw new Error(`partition: topic ${topic} has no partitions`);
    if (key !== null && !this.ignoreKeys) return partitionForKey(key, numPartitions);
    const sticky = this.stickyPartitions.get(topic);
    if (sticky !== undefined && sticky < numPartitions) return sticky;
    return this.choose(topic, numPartitions, availablePartitions, null);
  }

  /**
   * The accumulator needs a new batch for `previousPartition`: if that was the sticky partition,
   * switch to another one (KIP-480). A switch away from a partition happens once per batch.
   */
  onNewBatch(topic: string, numPartitions: number, availablePartitions: readonly number[], previousPartition: number): void {
    if (this.stickyPartitions.get(topic) !== previousPartition) return;
    this.choose(topic, numPartitions, availablePartitions, previousPartition);
  }

  private choose(topic: string, numPartitions: number, availablePartitions: readonly number[], avoid: number | null): number {
    const all = Array.from({ length: numPartitions }, (_, partition) => partition);
    const candidates = availablePartitions.length > 0 ? availablePartitions : all;
    const others = candidates.filter((partition) => partition !== avoid);
    const chosen = this.random.pick(others.length > 0 ? others : candidates);
    if (chosen < 0 || chosen >= numPartitions) throw new Error(`partitioner: chose ${chosen} of ${numPartitions}`);
    this.stickyPartitions.set(topic, chosen);
    return chosen;
  }
}
