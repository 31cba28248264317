/**
 * The one event queue of a run: a binary min-heap ordered by (time, sequence number). The sequence
 * number is assigned at insertion, so events due at the same time run in the order they were
 * scheduled — never by chance or by object identity (DESIGN.md §2).
 *
 * Invariant: for every parent p and child c in the heap, key(p) <= key(c), where key = (atMs, seq).
 */

export interface Scheduled<E> {
  readonly atMs: number;
  readonly seq: number;
  readonly event: E;
}

export class EventQueue<E> {
  private readonly heap: Scheduled<E>[] = [];
  private nextSeq = 0;

  get size(): number {
    return this.heap.length;
  }

  /** Schedules an event; `atMs` must be an integer. Returns its sequence number. */
  push(atMs: number, event: E): number {
    if (!Number.isInteger(atMs)) throw new Error(`EventQueue.push: time ${atMs} is not an integer`);
    const seq = this.nextSeq++;
    this.heap.push({ atMs, seq, event });
    this.siftUp(this.heap.length - 1);
    return seq;
  }

  peek(): Scheduled<E> | undefined {
    return this.heap[0];
  }

  pop(): Scheduled<E> | undefined {
    const heap = this.heap;
    const top = heap[0];
    if (top === undefined) return undefined;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      this.siftDown(0);
    }
    return top;
  }

  private static before<E>(a: Scheduled<E>, b: Scheduled<E>): boolean {
    return a.atMs < b.atMs || (a.atMs === b.atMs && a.seq < b.seq);
  }

  private siftUp(index: number): void {
    const heap = this.heap;
    const item = heap[index]!;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = heap[parentIndex]!;
      if (!EventQueue.before(item, parent)) break;
      heap[index] = parent;
      index = parentIndex;
    }
    heap[index] = item;
  }

  private siftDown(index: number): void {
    const heap = this.heap;
    const length = heap.length;
    const item = heap[index]!;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= length) break;
      const right = left + 1;
      const child = right < length && EventQueue.before(heap[right]!, heap[left]!) ? right : left;
      if (!EventQueue.before(heap[child]!, item)) break;
      heap[index] = heap[child]!;
      index = child;
    }
    heap[index] = item;
  }
}
