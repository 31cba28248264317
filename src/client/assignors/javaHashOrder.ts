/**
 * The iteration order of Java's HashMap and HashSet, for the places where Kafka's sticky assignor
 * lets that order decide an answer (which member keeps a contested partition, which member keeps
 * maxQuota, which partition a reversed movement picks). Emulating it makes ksim give Kafka's answer
 * on the same inputs, deterministically.
 *
 * What it models (java.util.HashMap, OpenJDK 8 and later):
 * - a key's hash is its hashCode spread as `h ^ (h >>> 16)`; its bucket is `hash & (capacity - 1)`;
 * - the table starts at 16 buckets (or the power of two at least an initial capacity) and doubles
 *   when the size passes three quarters of it; it never shrinks;
 * - iteration visits buckets in index order and, within a bucket, keys in the order they were
 *   inserted (a resize splits a bucket's chain keeping that order; removing a key and inserting it
 *   again puts it last).
 * - String.hashCode over UTF-16 code units and Kafka's TopicPartition.hashCode, in 32-bit arithmetic.
 *
 * Left out: treeified buckets (eight or more colliding keys in a table of at least 64), which the
 * group sizes ksim runs never reach.
 */

import type { TopicPartition } from '../../protocol/apis.js';

const DEFAULT_INITIAL_CAPACITY = 16;
const LOAD_FACTOR = 0.75;

/** java.lang.String.hashCode. */
export function javaStringHashCode(value: string): number {
  let hash = 0;
  for (let index = 0; index < value.length; index++) hash = (Math.imul(hash, 31) + value.charCodeAt(index)) | 0;
  return hash;
}

/** org.apache.kafka.common.TopicPartition.hashCode. */
export function topicPartitionHashCode(partition: TopicPartition): number {
  return (Math.imul(31, 31 + partition.partition) + javaStringHashCode(partition.topic)) | 0;
}

/** HashMap.hash: the high half of the hash code folded into the low half. */
function spread(hashCode: number): number {
  return hashCode ^ (hashCode >>> 16);
}

/** HashMap.tableSizeFor: the smallest power of two at least the requested capacity. */
function tableSizeFor(capacity: number): number {
  let size = 1;
  while (size < capacity) size *= 2;
  return size;
}

/** The keys of a HashMap built by inserting them in this order (no removals), in its iteration order. */
export function javaHashMapOrder(keysInInsertionOrder: readonly string[], initialCapacity = DEFAULT_INITIAL_CAPACITY): string[] {
  const order = new JavaHashOrder<string>(javaStringHashCode, initialCapacity);
  for (const key of keysInInsertionOrder) order.add(key, key);
  return order.values();
}

/**
 * A HashSet (or a HashMap's key set) that keeps Java's iteration order: keys are identified by a
 * string identity, hashed by Java's hashCode of the value.
 */
export class JavaHashOrder<T> {
  private capacity: number;
  private insertions = 0;
  private readonly entries = new Map<string, { readonly value: T; readonly hash: number; readonly sequence: number }>();

  constructor(
    private readonly hashCode: (value: T) => number,
    initialCapacity = DEFAULT_INITIAL_CAPACITY,
  ) {
    this.capacity = tableSizeFor(initialCapacity);
  }

  get size(): number {
    return this.entries.size;
  }

  has(identity: string): boolean {
    return this.entries.has(identity);
  }

  /** Adds the value unless its identity is present (a present key keeps its place, as in Java). */
  add(identity: string, value: T): void {
    if (this.entries.has(identity)) return;
    this.entries.set(identity, { value, hash: spread(this.hashCode(value)), sequence: this.insertions++ });
    // HashMap.putVal resizes once the size exceeds capacity × load factor.
    while (this.entries.size > this.capacity * LOAD_FACTOR) this.capacity *= 2;
  }

  delete(identity: string): boolean {
    return this.entries.delete(identity);
  }

  /** The values in Java's iteration order: by bucket, then by insertion within a bucket. */
  values(): T[] {
    const mask = this.capacity - 1;
    return [...this.entries.values()]
      .sort((a, b) => (a.hash & mask) - (b.hash & mask) || a.sequence - b.sequence)
      .map((entry) => entry.value);
  }
}
