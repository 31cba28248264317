/**
 * The simulated world's kernel: one clock and one event queue, and the parts it runs — the network
 * (network.ts), the nodes and their disks (nodeHosting.ts), the faults (faults/), and the trace
 * recorder (traceRecorder.ts).
 *
 * Each step pops the next event by (time, sequence number), folds it into the trace hash, and
 * hands it to the part it concerns: a fault to the injector, everything else to node hosting. Nodes
 * act only through their host (src/host.ts), which turns their actions into events on the queue.
 *
 * Invariants: simulated time never goes backwards; no event runs before its time; nothing runs
 * after the run was stopped.
 */
import type { NodeId, ProtocolNode } from '../src/host.js';
import { DEFAULT_DISK_CONFIG, type DiskConfig, type SimDisk } from './disk.js';
import { EventQueue } from './eventQueue.js';
import type { Kernel, WorldEvent } from './events.js';
import { type FaultListener, FaultInjector } from './faults/injector.js';
import type { FaultAction } from './faults/plan.js';
import { DEFAULT_NETWORK_CONFIG, type NetworkConfig, SimNetwork } from './network.js';
import { type DeliverListener, type NodeError, NodeHosting, type NodeRole, type NodeSpec, type SendListener } from './nodeHosting.js';
import { RandomRoot } from './random.js';
import { type TraceRecord, TraceRecorder } from './traceRecorder.js';

export { type DeliverListener, type NodeError, type NodeRole, type NodeSpec, type SendListener, SUPERVISOR_RESTART_DELAY_MS } from './nodeHosting.js';
export type { TraceRecord } from './traceRecorder.js';

export interface WorldOptions {
  readonly seed: number;
  readonly network?: Partial<NetworkConfig>;
  readonly disk?: Partial<DiskConfig>;
  /** The size of a message on the wire, for the network's byte counts and the trace hash. */
  readonly sizeOf: (message: unknown) => number;
  /** Resolves a node selector such as `@leader`; `@any` is resolved by the world itself. */
  readonly resolveSelector?: (selector: string, world: World) => NodeId | undefined;
  /** Receives one JSON line per executed event and per trace event (the `--trace FILE` option). */
  readonly traceSink?: (line: string) => void;
}

export interface WorldStats {
  events: number;
  traceEvents: number;
  crashes: number;
  restarts: number;
  /** Processes that ended themselves with `host.halt`. */
  halts: number;
}

export class World implements Kernel {
  readonly random: RandomRoot;
  readonly network: SimNetwork;
  private readonly queue = new EventQueue<WorldEvent>();
  private readonly recorder: TraceRecorder;
  private readonly nodes: NodeHosting;
  private readonly faults: FaultInjector;
  private timeMs = 0;
  private eventCount = 0;
  private stopReason: string | null = null;

  constructor(options: WorldOptions) {
    this.random = new RandomRoot(options.seed);
    const diskConfig = { ...DEFAULT_DISK_CONFIG, ...options.disk };
    this.recorder = new TraceRecorder(options.traceSink);
    this.network = new SimNetwork({ ...DEFAULT_NETWORK_CONFIG, ...options.network }, this.random.stream('network'), {
      nowMs: () => this.timeMs,
      schedule: (atMs, event) => this.schedule(atMs, event),
    });
    this.nodes = new NodeHosting(this, { network: this.network, recorder: this.recorder, random: this.random, diskConfig, sizeOf: options.sizeOf });
    this.faults = new FaultInjector(this, this.network, this.nodes, this.random.stream('faults/targets'), (selector) =>
      options.resolveSelector?.(selector, this),
    );
  }

  // ---- Building the world ----

  addNode(spec: NodeSpec): void {
    this.nodes.add(spec);
  }

  scheduleFault(atMs: number, action: FaultAction): void {
    this.schedule(atMs, { kind: 'fault', action });
  }

  onTrace(listener: (record: TraceRecord) => void): void {
    this.recorder.onTrace(listener);
  }

  onFault(listener: FaultListener): void {
    this.faults.onFault(listener);
  }

  /**
   * Hears every message a live node sends, at the moment it sends it, before the network has it.
   * For tests (one that checks what a node had made durable when it sent a Fetch, or that collects
   * a node's responses) and the HTML report's space-time diagram. Checkers see nodes through their
   * trace events instead.
   */
  onSend(listener: SendListener): void {
    this.nodes.onSend(listener);
  }

  /**
   * Hears every message that reaches its destination's machine, when it arrives (not one dropped
   * by a cut or a reset). With onSend, the HTML report pairs each send with its arrival to draw
   * the arrow; like onSend, it never feeds the run.
   */
  onDeliver(listener: DeliverListener): void {
    this.nodes.onDeliver(listener);
  }

  /**
   * The system's contract for exceptions thrown by its nodes: returns why one is allowed (e.g. a
   * node that found its log contradicting a committed offset after stable storage was lost), or
   * null. Without a judge, every exception is a violation.
   */
  judgeNodeErrors(judge: (error: Omit<NodeError, 'excusedBecause'>) => string | null): void {
    this.nodes.judgeNodeErrors(judge);
  }

  // ---- Running ----

  get nowMs(): number {
    return this.timeMs;
  }

  get traceHash(): string {
    return this.recorder.digest;
  }

  get stopped(): string | null {
    return this.stopReason;
  }

  get stats(): WorldStats {
    return { events: this.eventCount, traceEvents: this.recorder.traceEvents, ...this.nodes.stats };
  }

  /** Exceptions thrown by protocol code; the first one the contract does not excuse stops the run. */
  get nodeErrors(): readonly NodeError[] {
    return this.nodes.nodeErrors;
  }

  /** Ends the run after the current event (a checker found a violation). */
  stop(reason: string): void {
    if (this.stopReason === null) this.stopReason = reason;
  }

  /** Runs events until the queue is empty, the time passes `untilMs`, or the run is stopped. */
  runUntil(untilMs: number): void {
    while (this.step(untilMs));
    if (this.stopReason === null && untilMs > this.timeMs) this.timeMs = untilMs;
  }

  /**
   * Runs the next event if it is due by `untilMs` and the run was not stopped; returns whether it
   * ran. Time moves to the event's time, never to `untilMs` (see runUntil). Tests step the world
   * one event at a time to stop the moment something holds.
   */
  step(untilMs = Number.POSITIVE_INFINITY): boolean {
    if (this.stopReason !== null) return false;
    const next = this.queue.peek();
    if (next === undefined || next.atMs > untilMs) return false;
    this.queue.pop();
    if (next.atMs < this.timeMs) throw new Error(`time went backwards: ${next.atMs} < ${this.timeMs}`);
    this.timeMs = next.atMs;
    this.execute(next.event);
    return true;
  }

  schedule(atMs: number, event: WorldEvent): void {
    if (atMs < this.timeMs) throw new Error(`cannot schedule in the past: ${atMs} < ${this.timeMs}`);
    this.queue.push(atMs, event);
  }

  // ---- What checkers and systems may look at ----

  nodeIds(role?: NodeRole): NodeId[] {
    return this.nodes.nodeIds(role);
  }

  isUp(node: NodeId): boolean {
    return this.nodes.isUp(node);
  }

  incarnation(node: NodeId): number {
    return this.nodes.incarnation(node);
  }

  disk(node: NodeId): SimDisk {
    return this.nodes.disk(node);
  }

  /** The live protocol object of a node, for systems that drive a workload (never for checkers). */
  instance(node: NodeId): ProtocolNode<unknown> | null {
    return this.nodes.instance(node);
  }

  /** How many timers the node's live incarnation has set that have neither fired nor been cancelled (for tests). */
  pendingTimerCount(node: NodeId): number {
    return this.nodes.pendingTimerCount(node);
  }

  // ---- Faults ----

  /** Applies a fault action now. Selectors are resolved here, when the fault fires. */
  applyFault(action: FaultAction): void {
    this.faults.apply(action);
  }

  /** Heals everything: the start of the liveness phase. */
  healAll(): void {
    this.applyFault({ type: 'heal' });
  }

  // ---- The event loop's one step ----

  private execute(event: WorldEvent): void {
    this.eventCount++;
    this.recorder.recordEvent(this.timeMs, event);
    switch (event.kind) {
      case 'fault':
        return this.faults.apply(event.action);
      case 'fault-end':
        return this.faults.end(event.faultId, event.action);
      default:
        return this.nodes.execute(event);
    }
  }
}
