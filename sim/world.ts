/**
 * The simulated world: one event queue, one clock, the network, a disk per node, and the nodes.
 *
 * The world hands each node one input at a time — start, a message, a timer, a disk completion, a
 * broken connection — and every such input is one event: it is folded into the trace hash, written
 * to the trace file when one is asked for, and then handed to the node. Nodes act only through
 * their host (src/host.ts); the host turns their actions into events on the queue.
 *
 * Processes: a crash discards the node object and all its memory (a restart builds a new one from
 * what its disk still holds, so recovery code runs on every restart). A paused node runs nothing:
 * its inputs wait, then run in order when it wakes, late. Each node's wall clock may be skewed.
 *
 * Invariants: simulated time never goes backwards; no event runs before its time; an input for an
 * earlier incarnation of a node is never delivered to a later one.
 */
import type {
  DiskCompletion,
  Host,
  NodeFactory,
  NodeId,
  ProtocolNode,
  TimerId,
  TraceEvent,
  TrafficClass,
} from '../src/host.js';
import { DEFAULT_DISK_CONFIG, type DiskConfig, type PendingFsync, SimDisk } from './disk.js';
import { EventQueue } from './eventQueue.js';
import { type FaultAction, describeFault } from './faults/plan.js';
import { type Delivery, type DisconnectNotice, DEFAULT_NETWORK_CONFIG, type NetworkConfig, SimNetwork, compareIds } from './network.js';
import { RandomRoot, type SeededRandom } from './random.js';
import { TraceHash } from './traceHash.js';

/** An input for one node incarnation; a paused node's inputs wait and then run in order. */
export type InputEvent =
  | { kind: 'start'; node: NodeId; incarnation: number }
  | Delivery
  | DisconnectNotice
  | { kind: 'timer'; node: NodeId; incarnation: number; timerId: TimerId; tag: string }
  | { kind: 'disk-complete'; node: NodeId; incarnation: number; completion: DiskCompletion };

export type WorldEvent =
  | InputEvent
  | { kind: 'fsync-done'; node: NodeId; incarnation: number; pending: PendingFsync }
  | { kind: 'deferred-input'; node: NodeId; incarnation: number; input: InputEvent }
  | { kind: 'page-cache-flush'; node: NodeId }
  | { kind: 'fault'; action: FaultAction }
  | { kind: 'fault-end'; faultId: number; action: FaultAction }
  | { kind: 'restart'; node: NodeId }
  | { kind: 'resume'; node: NodeId; pauseId: number };

/** A trace event as the world records it: stamped with the time and the emitting node. */
export interface TraceRecord {
  readonly atMs: number;
  readonly node: NodeId;
  readonly incarnation: number;
  readonly event: TraceEvent;
}

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

export interface WorldStats {
  events: number;
  traceEvents: number;
  crashes: number;
  restarts: number;
  /** Processes that ended themselves with `host.halt`. */
  halts: number;
}

/** Every fault family needs at least the world's nodes and the network; this is the interface. */
export class World {
  readonly random: RandomRoot;
  readonly network: SimNetwork;
  readonly stats: WorldStats = { events: 0, traceEvents: 0, crashes: 0, restarts: 0, halts: 0 };
  private readonly queue = new EventQueue<WorldEvent>();
  private readonly hash = new TraceHash();
  private readonly nodes = new Map<NodeId, NodeRecord>();
  private readonly nodeOrder: NodeId[] = [];
  private readonly diskConfig: DiskConfig;
  private readonly faultRandom: SeededRandom;
  private readonly traceListeners: Array<(record: TraceRecord) => void> = [];
  private readonly faultListeners: Array<(atMs: number, action: FaultAction, note: string) => void> = [];
  private timeMs = 0;
  private nextTimerId = 1;
  private nextFaultId = 1;
  private stopReason: string | null = null;
  private readonly errors: NodeError[] = [];
  private nodeErrorJudge: ((error: Omit<NodeError, 'excusedBecause'>) => string | null) | null = null;

  constructor(private readonly options: WorldOptions) {
    this.random = new RandomRoot(options.seed);
    this.diskConfig = { ...DEFAULT_DISK_CONFIG, ...options.disk };
    this.faultRandom = this.random.stream('faults/targets');
    this.network = new SimNetwork({ ...DEFAULT_NETWORK_CONFIG, ...options.network }, this.random.stream('network'), {
      nowMs: () => this.timeMs,
      schedule: (atMs, event) => this.schedule(atMs, event),
    });
  }

  // ---- Building the world ----

  addNode(spec: NodeSpec): void {
    if (this.nodes.has(spec.id)) throw new Error(`duplicate node id ${spec.id}`);
    // An fsync is issued synchronously by the node's current incarnation, which is the only one
    // its completion may reach.
    const disk = new SimDisk(spec.id, this.diskConfig, this.random.stream(`disk/${spec.id}`), () => this.timeMs, (pending) =>
      this.schedule(pending.completeAtMs, { kind: 'fsync-done', node: spec.id, incarnation: this.record(spec.id).incarnation, pending }),
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
    this.schedule(this.diskConfig.pageCacheFlushIntervalMs, { kind: 'page-cache-flush', node: spec.id });
  }

  scheduleFault(atMs: number, action: FaultAction): void {
    this.schedule(atMs, { kind: 'fault', action });
  }

  onTrace(listener: (record: TraceRecord) => void): void {
    this.traceListeners.push(listener);
  }

  onFault(listener: (atMs: number, action: FaultAction, note: string) => void): void {
    this.faultListeners.push(listener);
  }

  /**
   * The system's contract for exceptions thrown by its nodes: returns why one is allowed (e.g. a
   * node that found its log contradicting a committed offset after stable storage was lost), or
   * null. Without a judge, every exception is a violation.
   */
  judgeNodeErrors(judge: (error: Omit<NodeError, 'excusedBecause'>) => string | null): void {
    this.nodeErrorJudge = judge;
  }

  // ---- Running ----

  get nowMs(): number {
    return this.timeMs;
  }

  get traceHash(): string {
    return this.hash.digest();
  }

  get stopped(): string | null {
    return this.stopReason;
  }

  /** Exceptions thrown by protocol code; the first one the contract does not excuse stops the run. */
  get nodeErrors(): readonly NodeError[] {
    return this.errors;
  }

  /** Ends the run after the current event (a checker found a violation). */
  stop(reason: string): void {
    if (this.stopReason === null) this.stopReason = reason;
  }

  /** Runs events until the queue is empty, the time passes `untilMs`, or the run is stopped. */
  runUntil(untilMs: number): void {
    for (;;) {
      if (this.stopReason !== null) return;
      const next = this.queue.peek();
      if (next === undefined || next.atMs > untilMs) break;
      this.queue.pop();
      if (next.atMs < this.timeMs) throw new Error(`time went backwards: ${next.atMs} < ${this.timeMs}`);
      this.timeMs = next.atMs;
      this.execute(next.event);
    }
    if (this.stopReason === null && untilMs > this.timeMs) this.timeMs = untilMs;
  }

  // ---- What checkers and systems may look at ----

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

  /** The live protocol object of a node, for systems that drive a workload (never for checkers). */
  instance(node: NodeId): ProtocolNode<unknown> | null {
    return this.record(node).instance;
  }

  // ---- Faults ----

  /** Applies a fault action now. Selectors are resolved here, when the fault fires. */
  applyFault(action: FaultAction): void {
    const note = this.applyFaultAction(action);
    for (const listener of this.faultListeners) listener(this.timeMs, action, note);
  }

  /** Heals everything: the start of the liveness phase. */
  healAll(): void {
    this.applyFault({ type: 'heal' });
  }

  private applyFaultAction(action: FaultAction): string {
    switch (action.type) {
      case 'crash': {
        const node = this.resolve(action.node);
        if (node === undefined || !this.isUp(node)) return 'skipped: no such node up';
        this.crash(node, action.mode);
        if (action.restartAfterMs !== null) this.schedule(this.timeMs + action.restartAfterMs, { kind: 'restart', node });
        return node;
      }
      case 'restart': {
        const node = this.resolve(action.node);
        if (node === undefined || this.isUp(node)) return 'skipped: no such node down';
        this.restart(node);
        return node;
      }
      case 'pause': {
        const node = this.resolve(action.node);
        if (node === undefined || !this.isUp(node)) return 'skipped: no such node up';
        const record = this.record(node);
        record.pausedUntilMs = Math.max(record.pausedUntilMs, this.timeMs + action.durationMs);
        record.pauseId++;
        this.schedule(record.pausedUntilMs, { kind: 'resume', node, pauseId: record.pauseId });
        return node;
      }
      case 'clock-skew': {
        const node = this.resolve(action.node);
        if (node === undefined) return 'skipped: no such node';
        this.record(node).skewMs = action.skewMs;
        return node;
      }
      case 'partition': {
        const [left, right] = action.sides.map((side) => this.resolveAll(side)) as [NodeId[], NodeId[]];
        const trafficClass = action.trafficClass ?? undefined;
        const faultId = this.nextFaultId++;
        this.network.addCut({ faultId, from: new Set(left), to: new Set(right), trafficClass });
        if (!action.oneWay) this.network.addCut({ faultId, from: new Set(right), to: new Set(left), trafficClass });
        this.schedule(this.timeMs + action.durationMs, { kind: 'fault-end', faultId, action });
        return `${left.join(',')} / ${right.join(',')}`;
      }
      case 'isolate': {
        const node = this.resolve(action.node);
        if (node === undefined) return 'skipped: no such node';
        const others = this.nodeOrder.filter((id) => id !== node);
        return this.applyFaultAction({
          type: 'partition',
          sides: [[node], others],
          oneWay: false,
          trafficClass: action.trafficClass,
          durationMs: action.durationMs,
        });
      }
      case 'reset': {
        const [a, b] = this.resolveAll(action.nodes);
        if (a === undefined || b === undefined) return 'skipped: no such nodes';
        this.network.reset(a, b, [a, b].filter((id) => this.isUp(id)));
        return `${a}<->${b}`;
      }
      case 'latency-spike': {
        const faultId = this.nextFaultId++;
        const nodes = action.nodes === null ? undefined : this.resolveAll(action.nodes);
        this.network.addLatencySpike(faultId, nodes, action.extraMs);
        this.schedule(this.timeMs + action.durationMs, { kind: 'fault-end', faultId, action });
        return nodes === undefined ? 'every link' : nodes.join(',');
      }
      case 'clog': {
        const faultId = this.nextFaultId++;
        const nodes = this.resolveAll(action.nodes);
        this.network.addClog(faultId, nodes, this.timeMs + action.durationMs);
        this.schedule(this.timeMs + action.durationMs, { kind: 'fault-end', faultId, action });
        return nodes.join('<->');
      }
      case 'slow-fsync': {
        const node = this.resolve(action.node);
        if (node === undefined) return 'skipped: no such node';
        this.record(node).disk.setFsyncSlowFactor(action.factor);
        this.schedule(this.timeMs + action.durationMs, { kind: 'fault-end', faultId: this.nextFaultId++, action: { ...action, node } });
        return node;
      }
      case 'disk-full': {
        const node = this.resolve(action.node);
        if (node === undefined) return 'skipped: no such node';
        this.record(node).disk.setFull(true);
        this.schedule(this.timeMs + action.durationMs, { kind: 'fault-end', faultId: this.nextFaultId++, action: { ...action, node } });
        return node;
      }
      case 'bit-flip': {
        const node = this.resolve(action.node);
        if (node === undefined) return 'skipped: no such node';
        const flipped = this.record(node).disk.flipBit();
        return flipped === undefined ? `${node}: no durable data to flip` : `${node}:${flipped.file}@${flipped.offset} bit ${flipped.bit}`;
      }
      case 'heal':
        this.heal();
        return 'all';
      default: {
        const unreachable: never = action;
        throw new Error(`unknown fault ${JSON.stringify(unreachable)}`);
      }
    }
  }

  private endFault(faultId: number, action: FaultAction): void {
    switch (action.type) {
      case 'partition':
      case 'isolate':
        this.network.removeCut(faultId, (id) => this.isUp(id));
        return;
      case 'latency-spike':
        this.network.removeLatencySpike(faultId);
        return;
      case 'clog':
        this.network.removeClog(faultId);
        return;
      case 'slow-fsync':
        this.record(action.node).disk.setFsyncSlowFactor(1);
        return;
      case 'disk-full':
        this.record(action.node).disk.setFull(false);
        return;
      default:
        throw new Error(`fault ${action.type} has no end`);
    }
  }

  private heal(): void {
    this.network.removeAllCuts((id) => this.isUp(id));
    this.network.clearDelays();
    for (const id of this.nodeOrder) {
      const record = this.record(id);
      record.disk.setFull(false);
      record.disk.setFsyncSlowFactor(1);
      record.skewMs = 0;
      if (record.pausedUntilMs > this.timeMs) this.resume(id);
      if (record.instance === null) this.restart(id);
    }
  }

  private crash(node: NodeId, mode: 'process' | 'power' | 'disk'): void {
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
    if (mode === 'process') this.network.resetNode(node, this.nodeOrder.filter((id) => id !== node && this.isUp(id)));
  }

  private restart(node: NodeId): void {
    this.stats.restarts++;
    this.network.resetNode(node, this.nodeOrder.filter((id) => id !== node && this.isUp(id)));
    this.boot(node);
  }

  private boot(node: NodeId): void {
    const record = this.record(node);
    record.incarnation++;
    record.machineDown = false;
    record.liveTimers = new Set();
    const host = new NodeHost(this, record, this.random.stream(`node/${node}/${record.incarnation}`));
    record.host = host;
    record.instance = record.spec.factory(host);
    this.schedule(this.timeMs, { kind: 'start', node, incarnation: record.incarnation });
  }

  private resume(node: NodeId): void {
    const record = this.record(node);
    record.pausedUntilMs = 0;
    const deferred = record.deferred;
    record.deferred = [];
    for (const input of deferred) {
      this.schedule(this.timeMs, { kind: 'deferred-input', node, incarnation: record.incarnation, input });
    }
  }

  // ---- The event loop's one step ----

  schedule(atMs: number, event: WorldEvent): void {
    if (atMs < this.timeMs) throw new Error(`cannot schedule in the past: ${atMs} < ${this.timeMs}`);
    this.queue.push(atMs, event);
  }

  private execute(event: WorldEvent): void {
    this.stats.events++;
    this.hashEvent(event);
    switch (event.kind) {
      case 'start':
      case 'disconnect':
        return this.input(event.node, this.record(event.node).incarnation, event);
      case 'deliver': {
        const record = this.record(event.to);
        if (this.network.arrive(event) !== 'deliver') return;
        if (record.instance === null) {
          // No process listens on a machine that is up: its OS refuses the connection, and the
          // sender hears of it at once (a machine without power answers nothing).
          if (!record.machineDown && this.isUp(event.from)) this.network.reset(event.from, event.to, [event.from]);
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
        this.schedule(this.timeMs + this.diskConfig.pageCacheFlushIntervalMs, event);
        return;
      case 'fault':
        return this.applyFault(event.action);
      case 'fault-end':
        return this.endFault(event.faultId, event.action);
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

  /** Hands an input to a node incarnation, or holds it while the node is paused. */
  private input(nodeId: NodeId, incarnation: number, input: InputEvent): void {
    const record = this.record(nodeId);
    const node = record.instance;
    if (node === null || record.incarnation !== incarnation) return;
    if (record.pausedUntilMs > this.timeMs) {
      record.deferred.push(input);
      return;
    }
    try {
      this.dispatch(node, input);
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
      atMs: this.timeMs,
      node: nodeId,
      incarnation,
      input: input.kind,
      message: thrown.message,
      stack: thrown.stack ?? thrown.message,
    };
    const excusedBecause = this.nodeErrorJudge?.(facts) ?? null;
    this.errors.push({ ...facts, excusedBecause });
    this.crash(nodeId, 'process');
    if (excusedBecause === null) this.stop(`${nodeId} threw: ${thrown.message}`);
    else this.schedule(this.timeMs + SUPERVISOR_RESTART_DELAY_MS, { kind: 'restart', node: nodeId });
  }

  private dispatch(node: ProtocolNode<unknown>, input: InputEvent): void {
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

  private hashEvent(event: WorldEvent): void {
    const hash = this.hash;
    hash.beginEvent();
    hash.int(this.timeMs);
    hash.string(event.kind);
    switch (event.kind) {
      case 'start':
        hash.string(event.node);
        hash.int(event.incarnation);
        break;
      case 'deliver':
        hash.string(event.from);
        hash.string(event.to);
        hash.string(event.trafficClass);
        hash.string(messageApi(event.message));
        hash.int(event.sizeBytes);
        break;
      case 'disconnect':
        hash.string(event.node);
        hash.string(event.peer);
        hash.string(event.trafficClass);
        break;
      case 'timer':
        hash.string(event.node);
        hash.int(event.incarnation);
        hash.string(event.tag);
        break;
      case 'fsync-done':
      case 'disk-complete':
        hash.string(event.node);
        hash.int(event.incarnation);
        break;
      case 'deferred-input':
        hash.string(event.node);
        hash.string(event.input.kind);
        break;
      case 'page-cache-flush':
      case 'restart':
        hash.string(event.node);
        break;
      case 'resume':
        hash.string(event.node);
        hash.int(event.pauseId);
        break;
      case 'fault':
      case 'fault-end':
        hash.value(event.action);
        break;
    }
    if (this.options.traceSink !== undefined) this.options.traceSink(eventLine(this.timeMs, event));
  }

  /** Called by a node's host when the node emits a trace event. */
  emitTrace(record: NodeRecord, event: TraceEvent): void {
    this.stats.traceEvents++;
    this.hash.value(event);
    const stamped: TraceRecord = { atMs: this.timeMs, node: record.spec.id, incarnation: record.incarnation, event };
    if (this.options.traceSink !== undefined) {
      this.options.traceSink(JSON.stringify({ t: this.timeMs, node: stamped.node, inc: stamped.incarnation, trace: event }, jsonReplacer));
    }
    for (const listener of this.traceListeners) listener(stamped);
  }

  /** A node ended its own process (`host.halt`): a process crash, restarted by the heal. */
  haltNode(record: NodeRecord, reason: string): void {
    this.stats.halts++;
    this.emitTrace(record, { type: 'process.halt', reason });
    this.crash(record.spec.id, 'process');
    this.schedule(this.timeMs + SUPERVISOR_RESTART_DELAY_MS, { kind: 'restart', node: record.spec.id });
  }

  newTimerId(): TimerId {
    return this.nextTimerId++;
  }

  clockMs(record: NodeRecord): number {
    return this.timeMs + record.skewMs;
  }

  sizeOf(message: unknown): number {
    return this.options.sizeOf(message);
  }

  isLive(record: NodeRecord, host: NodeHost): boolean {
    return record.host === host;
  }

  private resolve(selector: string): NodeId | undefined {
    if (!selector.startsWith('@')) return this.nodes.has(selector) ? selector : undefined;
    if (selector === '@any') {
      const candidates = this.nodeIds('server');
      return candidates.length === 0 ? undefined : this.faultRandom.pick(candidates);
    }
    if (selector === '@any-up') {
      const candidates = this.nodeIds('server').filter((id) => this.isUp(id));
      return candidates.length === 0 ? undefined : this.faultRandom.pick(candidates);
    }
    return this.options.resolveSelector?.(selector, this);
  }

  private resolveAll(selectors: readonly string[]): NodeId[] {
    const resolved = new Set<NodeId>();
    for (const selector of selectors) {
      const node = this.resolve(selector);
      if (node !== undefined) resolved.add(node);
    }
    return [...resolved].sort(compareIds);
  }

  private record(node: NodeId): NodeRecord {
    const record = this.nodes.get(node);
    if (record === undefined) throw new Error(`unknown node ${node}`);
    return record;
  }
}

/** The host of one node incarnation. Once the incarnation dies, everything it does is ignored. */
class NodeHost implements Host<unknown> {
  readonly nodeId: NodeId;
  readonly incarnation: number;

  constructor(
    private readonly world: World,
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
    return this.world.clockMs(this.record);
  }

  send(to: NodeId, message: unknown, trafficClass: TrafficClass): void {
    if (!this.world.isLive(this.record, this)) return;
    this.world.network.send(this.nodeId, to, message, trafficClass, this.world.sizeOf(message));
  }

  disconnect(peer: NodeId): void {
    if (!this.world.isLive(this.record, this)) return;
    this.world.network.reset(this.nodeId, peer, this.world.isUp(peer) ? [peer] : []);
  }

  setTimer(delayMs: number, tag: string): TimerId {
    if (!Number.isInteger(delayMs) || delayMs < 0) throw new Error(`${this.nodeId}: timer delay must be an integer >= 0, got ${delayMs}`);
    const timerId = this.world.newTimerId();
    if (!this.world.isLive(this.record, this)) return timerId;
    this.record.liveTimers.add(timerId);
    this.world.schedule(this.world.nowMs + delayMs, { kind: 'timer', node: this.nodeId, incarnation: this.incarnation, timerId, tag });
    return timerId;
  }

  cancelTimer(id: TimerId): void {
    if (this.world.isLive(this.record, this)) this.record.liveTimers.delete(id);
  }

  trace(event: TraceEvent): void {
    if (this.world.isLive(this.record, this)) this.world.emitTrace(this.record, event);
  }

  halt(reason: string): void {
    if (this.world.isLive(this.record, this)) this.world.haltNode(this.record, reason);
  }
}

export function messageApi(message: unknown): string {
  if (typeof message === 'object' && message !== null) {
    const api = (message as { api?: unknown }).api;
    if (typeof api === 'string') return api;
  }
  return 'message';
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return `<${value.length} bytes>`;
  return value;
}

function eventLine(atMs: number, event: WorldEvent): string {
  switch (event.kind) {
    case 'deliver':
      return JSON.stringify(
        { t: atMs, event: 'deliver', from: event.from, to: event.to, class: event.trafficClass, bytes: event.sizeBytes, message: event.message },
        jsonReplacer,
      );
    case 'fsync-done':
      return JSON.stringify({ t: atMs, event: 'fsync-done', node: event.node, file: event.pending.completion.file });
    case 'deferred-input':
      return JSON.stringify({ t: atMs, event: 'deferred-input', node: event.node, input: event.input.kind });
    case 'fault':
      return JSON.stringify({ t: atMs, event: 'fault', action: event.action, description: describeFault(event.action) });
    default:
      return JSON.stringify({ t: atMs, event: event.kind, ...event });
  }
}
