/**
 * A small deterministic world for the raft unit tests (not the real simulator in sim/).
 *
 * - One event queue ordered by (time, sequence number); time is a manual integer clock.
 * - An in-memory disk per node whose writes are visible at once; an fsync completes on the next
 *   step (an event at the current time), in issue order. `powerLoss` drops what was not fsynced.
 * - Messages between two nodes arrive in send order after a fixed latency, unless the link is
 *   partitioned (then they are dropped silently, as a partition does).
 * - Crash discards the node object; restart builds a new one from the same disk.
 * - Randomness is a seeded mulberry32 stream per node and incarnation.
 */

import type {
  Disk,
  DiskCompletion,
  DiskOpId,
  DiskResult,
  Host,
  NodeFactory,
  NodeId,
  ProtocolNode,
  TimerId,
  TraceEvent,
  TrafficClass,
} from '../../src/host.js';
import { mulberry32 } from '../support/mulberry32.js';

export { mulberry32 };


const ok = <T>(value: T): DiskResult<T> => ({ ok: true, value });
const err = <T>(code: 'ENOENT' | 'EINVAL', message: string): DiskResult<T> => ({ ok: false, error: { code, message } });

/** An in-memory disk: `files` is the page cache, `durable` what survives a power loss. */
export class MemoryDisk implements Disk {
  files = new Map<string, Uint8Array>();
  durable = new Map<string, Uint8Array>();
  private opIdNext = 1;
  constructor(private readonly scheduleFsync: (completion: DiskCompletion, apply: () => void) => void) {}

  list(): string[] {
    return [...this.files.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }
  exists(name: string): boolean {
    return this.files.has(name);
  }
  size(name: string): DiskResult<number> {
    const file = this.files.get(name);
    return file === undefined ? err('ENOENT', name) : ok(file.length);
  }
  read(name: string, offset = 0, length?: number): DiskResult<Uint8Array> {
    const file = this.files.get(name);
    if (file === undefined) return err('ENOENT', name);
    const end = length === undefined ? file.length : offset + length;
    if (offset > file.length || end > file.length) return err('EINVAL', `read past end of ${name}`);
    return ok(file.slice(offset, end));
  }
  append(name: string, data: Uint8Array): DiskResult<void> {
    const file = this.files.get(name) ?? new Uint8Array(0);
    const next = new Uint8Array(file.length + data.length);
    next.set(file);
    next.set(data, file.length);
    this.files.set(name, next);
    return ok(undefined);
  }
  truncate(name: string, size: number): DiskResult<void> {
    const file = this.files.get(name);
    if (file === undefined) return err('ENOENT', name);
    if (size > file.length) return err('EINVAL', `truncate grows ${name}`);
    this.files.set(name, file.slice(0, size));
    return ok(undefined);
  }
  rename(from: string, to: string): DiskResult<void> {
    const file = this.files.get(from);
    if (file === undefined) return err('ENOENT', from);
    this.files.delete(from);
    this.files.set(to, file);
    return ok(undefined);
  }
  delete(name: string): DiskResult<void> {
    if (!this.files.delete(name)) return err('ENOENT', name);
    return ok(undefined);
  }
  /** A simplification: a completed fsync makes the whole directory durable as of its call. */
  fsync(name: string): DiskOpId {
    const opId = this.opIdNext++;
    const snapshot = new Map(this.files);
    this.scheduleFsync({ opId, kind: 'fsync', file: name }, () => {
      this.durable = snapshot;
    });
    return opId;
  }
  powerLoss(): void {
    this.files = new Map(this.durable);
  }
}

interface QueuedEvent {
  readonly time: number;
  readonly seq: number;
  readonly run: () => void;
  cancelled: boolean;
}

export interface TraceRecord {
  readonly time: number;
  readonly nodeId: NodeId;
  readonly incarnation: number;
  readonly event: TraceEvent;
}

interface Slot<M> {
  node: ProtocolNode<M> | null;
  incarnation: number;
  readonly disk: MemoryDisk;
  timers: Map<TimerId, QueuedEvent>;
}

export class Harness<M> {
  now = 0;
  private seq = 0;
  private queue: QueuedEvent[] = [];
  private readonly slots = new Map<NodeId, Slot<M>>();
  private readonly blocked = new Set<string>();
  private timerIdNext = 1;
  readonly traces: TraceRecord[] = [];
  latencyMs = 2;
  /** How long an fsync takes; 0 completes it on the next step. */
  fsyncLatencyMs = 0;
  /** Test hooks, run synchronously when a node traces or sends: invariant checks at the exact moment. */
  onTrace: (record: TraceRecord) => void = () => {};
  onSend: (from: NodeId, to: NodeId, message: M) => void = () => {};

  constructor(
    private readonly factory: NodeFactory<M>,
    readonly nodeIds: readonly NodeId[],
    private readonly seed = 1,
  ) {
    for (const nodeId of nodeIds) {
      const slot: Slot<M> = { node: null, incarnation: 0, timers: new Map(), disk: undefined as unknown as MemoryDisk };
      (slot as { disk: MemoryDisk }).disk = new MemoryDisk((completion, apply) => {
        // The completion belongs to the incarnation that issued the fsync, as in sim/world.ts.
        const incarnation = slot.incarnation;
        this.schedule(this.fsyncLatencyMs, () => {
          apply();
          this.runOn(nodeId, incarnation, (node) => node.onDiskComplete(completion));
        });
      });
      this.slots.set(nodeId, slot);
    }
  }

  startAll(): void {
    for (const nodeId of this.nodeIds) this.start(nodeId);
  }

  start(nodeId: NodeId): void {
    const slot = this.slot(nodeId);
    if (slot.node !== null) throw new Error(`${nodeId} is running`);
    slot.incarnation += 1;
    slot.timers = new Map();
    slot.node = this.factory(this.makeHost(nodeId, slot));
    const incarnation = slot.incarnation;
    this.schedule(0, () => this.runOn(nodeId, incarnation, (node) => node.onStart()));
  }

  /** Discards the node object; the disk keeps its page cache (a process crash). */
  crash(nodeId: NodeId, options: { powerLoss?: boolean } = {}): void {
    const slot = this.slot(nodeId);
    slot.node = null;
    for (const timer of slot.timers.values()) timer.cancelled = true;
    if (options.powerLoss === true) slot.disk.powerLoss();
  }

  node(nodeId: NodeId): ProtocolNode<M> {
    const node = this.slot(nodeId).node;
    if (node === null) throw new Error(`${nodeId} is down`);
    return node;
  }

  isUp(nodeId: NodeId): boolean {
    return this.slot(nodeId).node !== null;
  }

  disk(nodeId: NodeId): MemoryDisk {
    return this.slot(nodeId).disk;
  }

  /** Drops messages in both directions between the two groups. */
  partition(groupA: readonly NodeId[], groupB: readonly NodeId[]): void {
    for (const a of groupA) for (const b of groupB) {
      this.blocked.add(`${a}|${b}`);
      this.blocked.add(`${b}|${a}`);
    }
  }

  isolate(nodeId: NodeId): void {
    this.partition([nodeId], this.nodeIds.filter((id) => id !== nodeId));
  }

  heal(): void {
    this.blocked.clear();
  }

  step(): boolean {
    const event = this.queue.shift();
    if (event === undefined) return false;
    this.now = event.time;
    if (!event.cancelled) event.run();
    return true;
  }

  runFor(durationMs: number): void {
    const end = this.now + durationMs;
    while (this.queue.length > 0 && this.queue[0]!.time <= end) this.step();
    this.now = end;
  }

  /** Runs until the predicate holds (checked after every event); throws after `timeoutMs`. */
  runUntil(predicate: () => boolean, timeoutMs = 60_000): void {
    const end = this.now + timeoutMs;
    while (!predicate()) {
      const next = this.queue[0];
      if (next === undefined || next.time > end) throw new Error(`runUntil: not reached by t=${end}`);
      this.step();
    }
  }

  tracesOf(type: string, nodeId?: NodeId): TraceRecord[] {
    return this.traces.filter((t) => t.event.type === type && (nodeId === undefined || t.nodeId === nodeId));
  }

  private slot(nodeId: NodeId): Slot<M> {
    const slot = this.slots.get(nodeId);
    if (slot === undefined) throw new Error(`unknown node ${nodeId}`);
    return slot;
  }

  private schedule(delayMs: number, run: () => void): QueuedEvent {
    const event: QueuedEvent = { time: this.now + delayMs, seq: this.seq++, run, cancelled: false };
    // Insert after every event with time ≤ ours: ties run in insertion order.
    let index = this.queue.length;
    while (index > 0 && this.queue[index - 1]!.time > event.time) index--;
    this.queue.splice(index, 0, event);
    return event;
  }

  private runOn(nodeId: NodeId, incarnation: number, action: (node: ProtocolNode<M>) => void): void {
    const slot = this.slot(nodeId);
    if (slot.node === null || slot.incarnation !== incarnation) return;
    action(slot.node);
  }

  private makeHost(nodeId: NodeId, slot: Slot<M>): Host<M> {
    const incarnation = slot.incarnation;
    const harness = this;
    return {
      nodeId,
      incarnation,
      nowMs: () => harness.now,
      send(to: NodeId, message: M, trafficClass: TrafficClass): void {
        harness.onSend(nodeId, to, message);
        if (harness.blocked.has(`${nodeId}|${to}`)) return;
        const target = harness.slot(to);
        const targetIncarnation = target.incarnation;
        harness.schedule(harness.latencyMs, () => {
          if (harness.blocked.has(`${nodeId}|${to}`)) return;
          harness.runOn(to, targetIncarnation, (node) => node.onMessage(nodeId, message, trafficClass));
        });
      },
      disconnect: () => {},
      setTimer(delayMs: number, tag: string): TimerId {
        const id = harness.timerIdNext++;
        const event = harness.schedule(delayMs, () => {
          slot.timers.delete(id);
          harness.runOn(nodeId, incarnation, (node) => node.onTimer(tag, id));
        });
        slot.timers.set(id, event);
        return id;
      },
      cancelTimer(id: TimerId): void {
        const event = slot.timers.get(id);
        if (event !== undefined) event.cancelled = true;
        slot.timers.delete(id);
      },
      disk: slot.disk,
      random: mulberry32(harness.seed * 7919 + harness.nodeIds.indexOf(nodeId) * 104729 + incarnation * 15485863),
      trace(event: TraceEvent): void {
        const record = { time: harness.now, nodeId, incarnation, event };
        harness.traces.push(record);
        harness.onTrace(record);
      },
      halt(reason: string): void {
        if (slot.node === null || slot.incarnation !== incarnation) return;
        harness.traces.push({ time: harness.now, nodeId, incarnation, event: { type: 'process.halt', reason } });
        harness.crash(nodeId);
      },
    };
  }
}
