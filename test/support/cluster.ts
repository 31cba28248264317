/**
 * Clusters for tests, built from the simulator's own parts: a World (sim/world.ts) with its one
 * queue, its network, a SimDisk per node and the hosts that run protocol nodes — and the nodes a
 * test names, usually a system's own node factories (sim/systems/, src/), or a system built whole
 * from a scenario with its checker attached.
 *
 * What a test gets: stepping (run for a while, or until a predicate holds, event by event); faults
 * applied through the same fault families scenarios use; every trace event collected; the live
 * node objects, their disks and their pending timers to inspect; and every message sent, at the
 * moment it is sent (World.onSend).
 *
 * A test cluster fails loudly: a protocol node that throws stops the world (as in a run) and the
 * next step here throws that error, with the node's stack, instead of a later assertion failing
 * for no visible reason.
 */
import type { NodeId, TraceEvent, TrafficClass } from '../../src/host.js';
import type { Violation } from '../../sim/checker/types.js';
import type { DiskConfig, SimDisk } from '../../sim/disk.js';
import type { CrashMode } from '../../sim/nodeHosting.js';
import type { FaultAction } from '../../sim/faults/plan.js';
import type { NetworkConfig } from '../../sim/network.js';
import type { Scenario } from '../../sim/scenario/types.js';
import { getSystem } from '../../sim/systems/index.js';
import type { SystemChecker } from '../../sim/systems/system.js';
import { type NodeSpec, type TraceRecord, World, type WorldOptions } from '../../sim/world.js';

export interface ClusterOptions {
  readonly nodes: readonly NodeSpec[];
  readonly seed?: number;
  /** The size of a message on the wire; it only feeds byte counts and the trace hash. */
  readonly sizeOf?: (message: unknown) => number;
  readonly network?: Partial<NetworkConfig>;
  readonly disk?: Partial<DiskConfig>;
  readonly resolveSelector?: WorldOptions['resolveSelector'];
}

/** A message as a node sent it. */
export interface SentMessage {
  readonly atMs: number;
  readonly from: NodeId;
  readonly to: NodeId;
  readonly message: unknown;
  readonly trafficClass: TrafficClass;
}

/** A trace event with the time and node that stamped it, as one flat object. */
export type StampedEvent = TraceEvent & { readonly atMs: number; readonly node: NodeId };

/** Long enough that a fault a test applies lasts until the test heals it. */
const UNTIL_HEALED_MS = 1_000_000_000;

const DEFAULT_MESSAGE_SIZE_BYTES = 64;

export class TestCluster {
  readonly world: World;
  /** Every trace event, in the order emitted. */
  readonly traces: TraceRecord[] = [];
  /** The system's checker, for a cluster built from a scenario: its invariants hold after every event. */
  readonly checker: SystemChecker | null;

  constructor(options: ClusterOptions, attach?: (world: World) => SystemChecker) {
    this.world = new World({
      seed: options.seed ?? 1,
      sizeOf: options.sizeOf ?? (() => DEFAULT_MESSAGE_SIZE_BYTES),
      ...(options.network !== undefined ? { network: options.network } : {}),
      ...(options.disk !== undefined ? { disk: options.disk } : {}),
      ...(options.resolveSelector !== undefined ? { resolveSelector: options.resolveSelector } : {}),
    });
    this.world.onTrace((record) => this.traces.push(record));
    for (const spec of options.nodes) this.world.addNode(spec);
    this.checker = attach === undefined ? null : attach(this.world);
  }

  /**
   * A system built from a scenario exactly as a run builds it (its nodes, message sizes and
   * selectors), with its checker attached; `extraNodes` join it (probes a test talks through).
   */
  static ofSystem(scenario: Scenario, seed = 1, extraNodes: readonly NodeSpec[] = []): TestCluster {
    const built = getSystem(scenario.system).build(scenario, seed);
    return new TestCluster(
      {
        nodes: [...built.nodes, ...extraNodes],
        seed,
        sizeOf: (message) => built.sizeOf(message),
        network: scenario.network,
        disk: scenario.disk,
        resolveSelector: (selector, world) => built.resolveSelector(selector, world),
      },
      (world) => built.attach(world),
    );
  }

  /** The safety violations the system's checker found so far (none for a cluster without one). */
  violations(): Violation[] {
    return this.checker?.violations() ?? [];
  }

  get nowMs(): number {
    return this.world.nowMs;
  }

  nodeIds(): NodeId[] {
    return this.world.nodeIds();
  }

  // ---- Running ----

  /** Runs the next event; false when there is none. */
  step(): boolean {
    const ran = this.world.step();
    this.throwIfStopped();
    return ran;
  }

  runFor(durationMs: number): void {
    this.world.runUntil(this.world.nowMs + durationMs);
    this.throwIfStopped();
  }

  runUntilMs(atMs: number): void {
    this.world.runUntil(atMs);
    this.throwIfStopped();
  }

  /** Runs event by event until the predicate holds (checked before each); throws after `timeoutMs`. */
  runUntil(predicate: () => boolean, timeoutMs = 60_000): void {
    const deadlineMs = this.world.nowMs + timeoutMs;
    while (!predicate()) {
      const ran = this.world.step(deadlineMs);
      this.throwIfStopped();
      if (!ran) throw new Error(`runUntil: the condition did not hold by t=${deadlineMs}`);
    }
  }

  // ---- Faults, through the fault families scenarios use ----

  fault(action: FaultAction): void {
    this.world.applyFault(action);
  }

  /** Crashes a running node; it stays down until `restart` or `heal`. */
  crash(node: NodeId, mode: CrashMode = 'process'): void {
    if (!this.world.isUp(node)) throw new Error(`crash: ${node} is down`);
    this.fault({ type: 'crash', node, mode, restartAfterMs: null });
  }

  restart(node: NodeId): void {
    if (this.world.isUp(node)) throw new Error(`restart: ${node} is running`);
    this.fault({ type: 'restart', node });
  }

  /** Cuts a node off from every other node, on all traffic, until the heal. */
  isolate(node: NodeId, durationMs = UNTIL_HEALED_MS): void {
    this.fault({ type: 'isolate', node, trafficClass: null, durationMs });
  }

  /** Ends every fault: cuts heal, clocks are set right, paused nodes wake, crashed nodes restart. */
  heal(): void {
    this.world.healAll();
  }

  // ---- Looking inside ----

  isUp(node: NodeId): boolean {
    return this.world.isUp(node);
  }

  /** The live node object; throws when the node is down. */
  instance<T>(node: NodeId): T {
    const instance = this.world.instance(node);
    if (instance === null) throw new Error(`${node} is down`);
    return instance as T;
  }

  disk(node: NodeId): SimDisk {
    return this.world.disk(node);
  }

  tracesOf(type: string, node?: NodeId): TraceRecord[] {
    return this.traces.filter((record) => record.event.type === type && (node === undefined || record.node === node));
  }

  /** Trace events of one type, each flattened with its time and node. */
  eventsOf(type: string, node?: NodeId): StampedEvent[] {
    return this.tracesOf(type, node).map((record) => ({ ...record.event, atMs: record.atMs, node: record.node }));
  }

  /** Collects every message the given node sends from now on. */
  recordSends(from: NodeId): SentMessage[] {
    const sent: SentMessage[] = [];
    this.world.onSend((sender, to, message, trafficClass) => {
      if (sender === from) sent.push({ atMs: this.world.nowMs, from: sender, to, message, trafficClass });
    });
    return sent;
  }

  private throwIfStopped(): void {
    const reason = this.world.stopped;
    if (reason === null) return;
    const error = this.world.nodeErrors.find((candidate) => candidate.excusedBecause === null);
    throw new Error(error === undefined ? `the run stopped: ${reason}` : `${reason}\n${error.stack}`);
  }
}
