/**
 * Kafka's purgatories, for operations that must wait:
 * - a delayed produce (acks=all) waits until the high watermark covers every partition's write, or
 *   until its timeout (REQUEST_TIMED_OUT for what is still short); the answer for a partition whose
 *   ISR shrank below min.insync.replicas meanwhile is NOT_ENOUGH_REPLICAS_AFTER_APPEND;
 * - a delayed fetch waits until there is something to return, or until its max wait.
 * Both are re-checked whenever a partition they touch changes (an append, a high watermark move, a
 * leadership change) and completed at most once.
 */
import type { NodeId } from '../host.js';
import type { KafkaErrorCode } from '../protocol/errors.js';
import type { TimerHandle } from './timers.js';

export interface DelayedProducePartition {
  readonly topic: string;
  readonly partition: number;
  /** One past the write's last offset: the high watermark that commits it. */
  readonly requiredOffset: number;
  readonly baseOffset: number;
  /** Set once this partition's outcome is known. */
  error: KafkaErrorCode | null;
}

export interface DelayedProduce {
  readonly kind: 'produce';
  readonly id: number;
  readonly partitions: DelayedProducePartition[];
  readonly timer: TimerHandle;
  /**
   * Kafka's responseCallback: told every partition's outcome once all are known — a
   * ProduceResponse for a client, a completion for a coordinator's own write.
   */
  readonly onComplete: (partitions: readonly DelayedProducePartition[]) => void;
}

export interface DelayedFetch<R> {
  readonly kind: 'fetch';
  readonly id: number;
  readonly from: NodeId;
  readonly request: R;
  readonly partitionKeys: readonly string[];
  readonly timer: TimerHandle;
}

export type DelayedOperation<R> = DelayedProduce | DelayedFetch<R>;

/** Watches delayed operations by partition key; completion is the owner's, this only finds them. */
export class Purgatory<R> {
  private readonly operations = new Map<number, DelayedOperation<R>>();
  private readonly byPartition = new Map<string, Set<number>>();
  private nextId = 1;

  newId(): number {
    return this.nextId++;
  }

  add(operation: DelayedOperation<R>, partitionKeys: readonly string[]): void {
    this.operations.set(operation.id, operation);
    for (const key of partitionKeys) {
      let watchers = this.byPartition.get(key);
      if (watchers === undefined) {
        watchers = new Set();
        this.byPartition.set(key, watchers);
      }
      watchers.add(operation.id);
    }
  }

  get(id: number): DelayedOperation<R> | undefined {
    return this.operations.get(id);
  }

  /** Removes an operation (completed or expired); returns it if it was still waiting. */
  remove(id: number): DelayedOperation<R> | undefined {
    const operation = this.operations.get(id);
    if (operation === undefined) return undefined;
    this.operations.delete(id);
    for (const watchers of this.byPartition.values()) watchers.delete(id);
    return operation;
  }

  /** The operations watching a partition, oldest first. */
  watching(partitionKey: string): DelayedOperation<R>[] {
    const ids = [...(this.byPartition.get(partitionKey) ?? [])].sort((a, b) => a - b);
    return ids.map((id) => this.operations.get(id)).filter((op): op is DelayedOperation<R> => op !== undefined);
  }

  get size(): number {
    return this.operations.size;
  }
}
