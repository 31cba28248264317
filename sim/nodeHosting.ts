/**
 * Node hosting: the processes of the world. Each node has a disk that outlives its processes and a
 * run of incarnations; this file boots them, hands each incarnation its inputs one at a time
 * through its host (src/host.ts), and ends them.
 *
 * Process model:
 * - A crash discards the node object and all its memory; a restart builds a new one from what its
 *   disk still holds, so recovery code runs on every restart. A process crash keeps the page cache
 *   and the OS closes the dead process's sockets at once; a power loss drops what was not durable
 *   and the machine answers nothing until it comes back; a disk loss wipes the disk.
 * - A paused node (a GC pause, a VM stall) runs nothing: its inputs wait, then run in order when it
 *   wakes, late. Its timers measure running time, so they fire late too.
 * - Each node's wall clock may be skewed; timers are not.
 * - Supervision: a process that halted itself (`host.halt`), or died of an exception the contract
 *   excuses, is restarted after `SUPERVISOR_RESTART_DELAY_MS`, as systemd or Kubernetes would. An
 *   exception the contract does not excuse stops the run: it is a bug to replay.
 *
 * Invariant: an input for one incarnation is never delivered to another; once an incarnation is
 * gone, everything its host does is ignored.
 */
import type { Host, NodeFactory, NodeId, ProtocolNode, TimerId, TraceEvent, TrafficClass } from '../src/host.js';
import { type DiskConfig, SimDisk } from './disk.js';
import type { InputEvent, Kernel, WorldEvent } from './events.js';
import type { Delivery, SimNetwork } from './network.js';
import type { RandomRoot, SeededRandom } from './random.js';
import type { TraceRecorder } from './traceRecorder.js';

export type NodeRole = 'server' | 'client';

/**
 * A process that halted itself, or died of an exception the contract excuses, is restarted by its
 * supervisor (systemd, Kubernetes) after this long, in either phase, as a real deployment would.
 */
export const SUPERVISOR_RESTART_DELAY_MS = 1_000;

export interface NodeSpec {
  readonly id: NodeId;
  readonly role: NodeRole;
  readonly factory: NodeFactory<unknown>;
}

export type CrashMode =
  /** The process dies; the OS and its page cache survive. */
  | 'process'
  /** The machine loses power: what was not fsynced is gone, the last write may be torn. */
  | 'power'
  /** The disk is lost: the node restarts empty. */
  | 'disk';

/** An exception thrown by protocol code: a broken invariant inside a node, i.e. a bug. */
export interface NodeError {
  readonly atMs: number;
  readonly node: NodeId;
  readonly incarnation: number;
  readonly input: InputEvent['kind'];
  readonly message: string;
  readonly stack: string;
  /** Why the system's contract allows it, or null: then it is a violation and the run stops. */
  readonly excusedBecause: string | null;
}

export interface ProcessStats {
  crashes: number;
  restarts: number;
  /** Processes that ended themselves with `host.halt`. */
  halts: number;
}

/** Hears a message a node sends, when it sends it (a test hook; see World.onSend). */
export type SendListener = (from: NodeId, to: NodeId, message: unknown, trafficClass: TrafficClass) => void;
/** Hears a message that reached its destination's machine (the same object its SendListener heard). */
export type DeliverListener = (delivery: Delivery) => void;

/** What the hosting needs besides the kernel: the parts a process touches. */
export interface HostingParts {
  readonly network: SimNetwork;
  readonly recorder: TraceRecorder;
  readonly random: RandomRoot;
  readonly diskConfig: DiskConfig;
  /** The size of a message on the wire, for the network's byte counts and the trace hash. */
  readonly sizeOf: (message: unknown) => number;
}

interface NodeRecord {
  readonly spec: NodeSpec;
  readonly disk: SimDisk;
  incarnation: number;
  instance: ProtocolNode<unknown> | null;
  host: NodeHost | null;
  liveTimers: Set<TimerId>;
  pausedUntilMs: number;
  pauseId: number;
  deferred: InputEvent[];
  skewMs: number;
  /** The machine itself is off (power loss), not just the process: nothing answers, not even with a reset. */
  machineDown: boolean;
}

export class NodeHosting {
  readonly stats: ProcessStats = { crashes: 0, restarts: 0, halts: 0 };
  private readonly nodes = new Map<NodeId, NodeRecord>();
  private readonly nodeOrder: NodeId[] = [];
  private readonly errors: NodeError[] = [];
  private readonly sendListeners: SendListener[] = [];
  private readonly deliverListeners: DeliverListener[] = [];
  private nodeErrorJudge: ((error: Omit<NodeError, 'excusedBecause'>) => string | null) | null = null;
  private nextTimerId = 1;

  constructor(
    private readonly kernel: Kernel,
    private readonly parts: HostingParts,
  ) {}

  // ---- Building ----

  add(spec: NodeSpec): void {
    if (this.nodes.has(spec.id)) throw new Error(`duplicate node id ${spec.id}`);
    const kernel = this.kernel;
    const diskConfig = this.parts.diskConfig;
    // An fsync is issued synchronously by the node's current incarnation, which is the only one
    // its completion may reach.
    const disk = new SimDisk(spec.id, diskConfig, this.parts.random.stream(`disk/${spec.id}`), () => kernel.nowMs, (pending) =>
      kernel.schedule(pending.completeAtMs, { kind: 'fsync-done', node: spec.id, incarnation: this.record(spec.id).incarnation, pending }),
    );
    this.nodes.set(spec.id, {
      spec,
      disk,
      incarnation: 0,
      instance: null,
      host: null,
      liveTimers: new Set(),
      pausedUntilMs: 0,
      pauseId: 0,
      deferred: [],
      skewMs: 0,
      machineDown: false,
    });
    this.nodeOrder.push(spec.id);
    this.boot(spec.id);
    kernel.schedule(diskConfig.pageCacheFlushIntervalMs, { kind: 'page-cache-flush', node: spec.id });
  }

  /**
   * The system's contract for exceptions thrown by its nodes: returns why one is allowed, or null.
   * Without a judge, every exception is a violation.
   */
  judgeNodeErrors(judge: (error: Omit<NodeError, 'excusedBecause'>) => string | null): void {
    this.nodeErrorJudge = judge;
  }

  // ---- What the world may look at ----

  has(node: NodeId): boolean {
    return this.nodes.has(node);
  }

  nodeIds(role?: NodeRole): NodeId[] {
    return this.nodeOrder.filter((id) => role === undefined || this.record(id).spec.role === role);
  }

  isUp(node: NodeId): boolean {
    return this.record(node).instance !== null;
  }

  incarnation(node: NodeId): number {
    return this.record(node).incarnation;
  }

  disk(node: NodeId): SimDisk {
    return this.record(node).disk;
  }

  instance(node: NodeId): ProtocolNode<unknown> | null {
    return this.record(node).instance;
  }

  get nodeErrors(): readonly NodeError[] {
    return this.errors;
  }

  pendingTimerCount(node: NodeId): number {
    return this.record(node).liveTimers.size;
  }

  onSend(listener: SendListener): void {
    this.sendListeners.push(listener);
  }

  onDeliver(listener: DeliverListener): void {
    this.deliverListeners.push(listener);
  }

  // ---- Process faults ----

  crash(node: NodeId, mode: CrashMode): void {
    const record = this.record(node);
    record.instance = null;
    record.host = null;
    record.liveTimers = new Set();
    record.deferred = [];
    record.pausedUntilMs = 0;
    this.stats.crashes++;
    record.machineDown = mode === 'power';
    if (mode === 'power') record.disk.powerLoss();
    if (mode === 'disk') record.disk.wipe();
    // A dead process's sockets are closed by its OS, so peers hear of it at once; a machine that
    // lost power sends nothing, and its peers find out by timeouts (or when it comes back).
    if (mode === 'process') this.parts.network.resetNode(node, this.nodeOrder.filter((id) => id !== node && this.isUp(id)));
  }

  restart(node: NodeId): void {
    this.stats.restarts++;
    this.parts.network.resetNode(node, this.nodeOrder.filter((id) => id !== node && this.isUp(id)));
    this.boot(node);
  }

  /** Restarts the node after `delayMs`, unless something else restarted it first. */
  restartAfter(node: NodeId, delayMs: number): void {
    this.kernel.schedule(this.kernel.nowMs + delayMs, { kind: 'restart', node });
  }

  /** Pauses a running node for `durationMs` more (a longer pause already in force wins). */
  pause(node: NodeId, durationMs: number): void {
    const record = this.record(node);
    record.pausedUntilMs = Math.max(record.pausedUntilMs, this.kernel.nowMs + durationMs);
    record.pauseId++;
    this.kernel.schedule(record.pausedUntilMs, { kind: 'resume', node, pauseId: record.pauseId });
  }

  setClockSkew(node: NodeId, skewMs: number): void {
    this.record(node).skewMs = skewMs;
  }

  /** Ends every fault in force on one node: its disk's, its clock's, its pause; a dead process restarts. */
  heal(node: NodeId): void {
    const record = this.record(node);
    record.disk.setFull(false);
    record.disk.setFsyncSlowFactor(1);
    record.skewMs = 0;
    if (record.pausedUntilMs > this.kernel.nowMs) this.resume(node);
    if (record.instance === null) this.restart(node);
  }

  // ---- Events for nodes ----

  /** Executes an event addressed to a node: an input, or the node's disk, restart or pause. */
  execute(event: Exclude<WorldEvent, { kind: 'fault' | 'fault-end' }>): void {
    switch (event.kind) {
      case 'start':
      case 'disconnect':
        return this.input(event.node, this.record(event.node).incarnation, event);
      case 'deliver': {
        const record = this.record(event.to);
        if (this.parts.network.arrive(event) !== 'deliver') return;
        for (const listener of this.deliverListeners) listener(event);
        if (record.instance === null) {
          // No process listens on a machine that is up: its OS refuses the connection, and the
          // sender hears of it at once (a machine without power answers nothing).
          if (!record.machineDown && this.isUp(event.from)) this.parts.network.reset(event.from, event.to, [event.from]);
          return;
        }
        return this.input(event.to, record.incarnation, event);
      }
      case 'timer': {
        const record = this.record(event.node);
        if (record.incarnation !== event.incarnation || !record.liveTimers.delete(event.timerId)) return;
        return this.input(event.node, event.incarnation, event);
      }
      case 'fsync-done': {
        // Durability is the OS's business and happens even if the process died or is paused;
        // only the completion input is the node's, and only the incarnation that asked gets it.
        if (!this.record(event.node).disk.completeFsync(event.pending)) return;
        return this.input(event.node, event.incarnation, {
          kind: 'disk-complete',
          node: event.node,
          incarnation: event.incarnation,
          completion: event.pending.completion,
        });
      }
      case 'disk-complete':
        return this.input(event.node, event.incarnation, event);
      case 'deferred-input':
        return this.input(event.node, event.incarnation, event.input);
      case 'page-cache-flush':
        this.record(event.node).disk.flushPageCache();
        this.kernel.schedule(this.kernel.nowMs + this.parts.diskConfig.pageCacheFlushIntervalMs, event);
        return;
      case 'restart':
        if (!this.isUp(event.node)) this.restart(event.node);
        return;
      case 'resume': {
        const record = this.record(event.node);
        if (record.pauseId === event.pauseId && record.pausedUntilMs > 0) this.resume(event.node);
        return;
      }
      default: {
        const unreachable: never = event;
        throw new Error(`unknown event ${JSON.stringify(unreachable)}`);
      }
    }
  }

  // ---- What a node's host does ----

  newTimerId(): TimerId {
    return this.nextTimerId++;
  }

  clockMs(record: NodeRecord): number {
    return this.kernel.nowMs + record.skewMs;
  }

  isLive(record: NodeRecord, host: NodeHost): boolean {
    return record.host === host;
  }

  send(from: NodeId, to: NodeId, message: unknown, trafficClass: TrafficClass): void {
    for (const listener of this.sendListeners) listener(from, to, message, trafficClass);
    this.parts.network.send(from, to, message, trafficClass, this.parts.sizeOf(message));
  }

  disconnect(node: NodeId, peer: NodeId): void {
    this.parts.network.reset(node, peer, this.isUp(peer) ? [peer] : []);
  }

  setTimer(record: NodeRecord, delayMs: number, tag: string, timerId: TimerId): void {
    record.liveTimers.add(timerId);
    this.kernel.schedule(this.kernel.nowMs + delayMs, { kind: 'timer', node: record.spec.id, incarnation: record.incarnation, timerId, tag });
  }

  trace(record: NodeRecord, event: TraceEvent): void {
    this.parts.recorder.recordTrace({ atMs: this.kernel.nowMs, node: record.spec.id, incarnation: record.incarnation, event });
  }

  /** A node ended its own process (`host.halt`): a process crash, restarted by its supervisor. */
  halt(record: NodeRecord, reason: string): void {
    this.stats.halts++;
    this.trace(record, { type: 'process.halt', reason });
    this.crash(record.spec.id, 'process');
    this.restartAfter(record.spec.id, SUPERVISOR_RESTART_DELAY_MS);
  }

  // ---- Inside ----

  private boot(node: NodeId): void {
    const record = this.record(node);
    record.incarnation++;
    record.machineDown = false;
    record.liveTimers = new Set();
    const host = new NodeHost(this, record, this.parts.random.stream(`node/${node}/${record.incarnation}`));
    record.host = host;
    record.instance = record.spec.factory(host);
    this.kernel.schedule(this.kernel.nowMs, { kind: 'start', node, incarnation: record.incarnation });
  }

  private resume(node: NodeId): void {
    const record = this.record(node);
    record.pausedUntilMs = 0;
    const deferred = record.deferred;
    record.deferred = [];
    for (const input of deferred) {
      this.kernel.schedule(this.kernel.nowMs, { kind: 'deferred-input', node, incarnation: record.incarnation, input });
    }
  }

  /** Hands an input to a node incarnation, or holds it while the node is paused. */
  private input(nodeId: NodeId, incarnation: number, input: InputEvent): void {
    const record = this.record(nodeId);
    const node = record.instance;
    if (node === null || record.incarnation !== incarnation) return;
    if (record.pausedUntilMs > this.kernel.nowMs) {
      record.deferred.push(input);
      return;
    }
    try {
      dispatch(node, input);
    } catch (error) {
      // A node that halted during this input is gone: what its stack did next never happened.
      if (record.instance !== node) return;
      this.onNodeError(nodeId, incarnation, input, error);
    }
  }

  /**
   * A protocol node threw: one of its own invariants broke. Like Kafka, which halts a process
   * that finds itself in an impossible state, the node's process dies here (the heal restarts it).
   * Unless the contract excuses it, that is a bug to replay: the run stops and reports it, instead
   * of taking an exploration down with it.
   */
  private onNodeError(nodeId: NodeId, incarnation: number, input: InputEvent, error: unknown): void {
    const thrown = error instanceof Error ? error : new Error(String(error));
    const facts = {
      atMs: this.kernel.nowMs,
      node: nodeId,
      incarnation,
      input: input.kind,
      message: thrown.message,
      stack: thrown.stack ?? thrown.message,
    };
    const excusedBecause = this.nodeErrorJudge?.(facts) ?? null;
    this.errors.push({ ...facts, excusedBecause });
    this.crash(nodeId, 'process');
    if (excusedBecause === null) this.kernel.stop(`${nodeId} threw: ${thrown.message}`);
    else this.restartAfter(nodeId, SUPERVISOR_RESTART_DELAY_MS);
  }

  private record(node: NodeId): NodeRecord {
    const record = this.nodes.get(node);
    if (record === undefined) throw new Error(`unknown node ${node}`);
    return record;
  }
}

function dispatch(node: ProtocolNode<unknown>, input: InputEvent): void {
  switch (input.kind) {
    case 'start':
      return node.onStart();
    case 'deliver':
      return node.onMessage(input.from, input.message, input.trafficClass);
    case 'disconnect':
      return node.onDisconnect(input.peer, input.trafficClass);
    case 'timer':
      return node.onTimer(input.tag, input.timerId);
    case 'disk-complete':
      return node.onDiskComplete(input.completion);
    default: {
      const unreachable: never = input;
      throw new Error(`unknown input ${JSON.stringify(unreachable)}`);
    }
  }
}

/** The host of one node incarnation. Once the incarnation dies, everything it does is ignored. */
class NodeHost implements Host<unknown> {
  readonly nodeId: NodeId;
  readonly incarnation: number;

  constructor(
    private readonly hosting: NodeHosting,
    private readonly record: NodeRecord,
    readonly random: SeededRandom,
  ) {
    this.nodeId = record.spec.id;
    this.incarnation = record.incarnation;
  }

  get disk(): SimDisk {
    return this.record.disk;
  }

  nowMs(): number {
    return this.hosting.clockMs(this.record);
  }

  send(to: NodeId, message: unknown, trafficClass: TrafficClass): void {
    if (this.live) this.hosting.send(this.nodeId, to, message, trafficClass);
  }

  disconnect(peer: NodeId): void {
    if (this.live) this.hosting.disconnect(this.nodeId, peer);
  }

  setTimer(delayMs: number, tag: string): TimerId {
    if (!Number.isInteger(delayMs) || delayMs < 0) throw new Error(`${this.nodeId}: timer delay must be an integer >= 0, got ${delayMs}`);
    const timerId = this.hosting.newTimerId();
    if (this.live) this.hosting.setTimer(this.record, delayMs, tag, timerId);
    return timerId;
  }

  cancelTimer(id: TimerId): void {
    if (this.live) this.record.liveTimers.delete(id);
  }

  trace(event: TraceEvent): void {
    if (this.live) this.hosting.trace(this.record, event);
  }

  halt(reason: string): void {
    if (this.live) this.hosting.halt(this.record, reason);
  }

  private get live(): boolean {
    return this.hosting.isLive(this.record, this);
  }
}
