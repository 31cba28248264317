/**
 * The iteration order of Java's HashMap and HashSet, for the places where Kafka's assignors let
 * that order decide an answer (the client sticky assignor: which member keeps a contested
 * partition, which member keeps maxQuota, which partition a reversed movement picks; the server's
 * uniform assignor: which member keeps which partitions). Emulating it makes ksim give Kafka's
 * answer on the same inputs, deterministically.
 *
 * What it models (java.util.HashMap, OpenJDK 8 and later):
 * - a key's hash is its hashCode spread as `h ^ (h >>> 16)`; its bucket is `hash & (capacity - 1)`;
 * - the table starts at 16 buckets (or the power of two at least an initial capacity) and doubles
 *   when the size passes three quarters of it; it never shrinks;
 * - iteration visits buckets in index order and, within a bucket, keys in the order they were
 *   inserted (a resize splits a bucket's chain keeping that order; removing a key and inserting it
 *   again puts it last).
 * - String.hashCode over UTF-16 code units, Integer.hashCode, Kafka's TopicPartition.hashCode and
 *   Uuid.hashCode (for ksim's 32-hex-digit topic ids), in 32-bit arithmetic;
 * - `new HashSet<>(collection)` and `new HashMap<>(n)`: the initial capacities they choose.
 *
 * Left out: treeified buckets (eight or more colliding keys in a table of at least 64), which the
 * group sizes ksim runs never reach.
 */

import type { TopicPartition } from '../protocol/apis.js';

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

const UUID_HEX = /^[0-9a-f]{32}$/;

/**
 * org.apache.kafka.common.Uuid.hashCode, for a topic id of 32 hex digits (most then least
 * significant half). Any other id (a test's "t1") is no Uuid; it hashes as a String.
 */
export function uuidHashCode(hexTopicId: string): number {
  if (!UUID_HEX.test(hexTopicId)) return javaStringHashCode(hexTopicId);
  const xor = BigInt.asUintN(64, BigInt(`0x${hexTopicId.slice(0, 16)}`) ^ BigInt(`0x${hexTopicId.slice(16, 32)}`));
  return Number(BigInt.asIntN(32, xor >> 32n)) ^ Number(BigInt.asIntN(32, xor));
}

/** Uuid.compareTo: the most significant halves, then the least, each as a signed long. */
export function compareUuids(a: string, b: string): number {
  if (!UUID_HEX.test(a) || !UUID_HEX.test(b)) return a < b ? -1 : a > b ? 1 : 0;
  const signed = (hex: string) => BigInt.asIntN(64, BigInt(`0x${hex}`));
  const most = signed(a.slice(0, 16)) - signed(b.slice(0, 16));
  if (most !== 0n) return most < 0n ? -1 : 1;
  const least = signed(a.slice(16, 32)) - signed(b.slice(16, 32));
  return least === 0n ? 0 : least < 0n ? -1 : 1;
}

/** Integer.hashCode. */
export function integerHashCode(value: number): number {
  return value | 0;
}

/** The capacity `new HashSet<>(collection)` starts with: room for the collection at the load factor, at least 16. */
export function capacityForCollection(size: number): number {
  return Math.max(Math.floor(size / LOAD_FACTOR) + 1, DEFAULT_INITIAL_CAPACITY);
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
