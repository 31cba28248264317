/**
 * `ksim bench`: the kernel's own speed. Each figure runs a fixed simulated workload and measures
 * wall time around it (the only use of the wall clock, through wallclock.ts); nothing measured here
 * feeds a simulation. Benchmarks are not tests: CI never times anything.
 *
 * - `event-loop`: no-op nodes that only re-arm a timer — the cost of the queue and dispatch alone.
 * - `network`: nodes that ping-pong messages — adds the connection model and delivery.
 * - `disk`: nodes that append and fsync in a loop — adds the page cache and fsync completions.
 * - `counter-swarm`, `raft-swarm`, `kafka-swarm`: a system under swarm faults, checker on — whole
 *   runs (kafka-swarm is the default cluster: 3 controllers, 3 brokers, 2 producers, 3 partitions).
 */
import type { DiskCompletion, Host, NodeId, ProtocolNode } from '../src/host.js';
import { runScenario } from './runner.js';
import type { Scenario } from './scenario/types.js';
import { wallClockMs } from './wallclock.js';
import { type NodeSpec, World } from './world.js';

export interface BenchFigure {
  name: string;
  events: number;
  wallMs: number;
  eventsPerSecond: number;
  simSecondsPerWallSecond?: number;
  note: string;
}

export interface BenchOptions {
  /** A short run, for a smoke check of the command itself. */
  quick?: boolean;
}

const NODES = 10;

class TickNode implements ProtocolNode<unknown> {
  constructor(private readonly host: Host<unknown>) {}
  onStart(): void {
    this.host.setTimer(1, 'tick');
  }
  onTimer(): void {
    this.host.setTimer(1, 'tick');
  }
  onMessage(): void {}
  onDiskComplete(): void {}
  onDisconnect(): void {}
}

class PingNode implements ProtocolNode<unknown> {
  constructor(
    private readonly host: Host<unknown>,
    private readonly peer: NodeId,
  ) {}
  onStart(): void {
    for (let i = 0; i < 4; i++) this.host.send(this.peer, { api: 'Ping', n: i }, 'client');
  }
  onMessage(from: NodeId, message: unknown): void {
    this.host.send(from, message, 'client');
  }
  onTimer(): void {}
  onDiskComplete(): void {}
  onDisconnect(): void {}
}

class AppendNode implements ProtocolNode<unknown> {
  private readonly record = new Uint8Array(100);
  constructor(private readonly host: Host<unknown>) {}
  onStart(): void {
    this.write();
  }
  onDiskComplete(_completion: DiskCompletion): void {
    this.write();
  }
  private write(): void {
    // A segment roll keeps the file (and the fsync snapshot) from growing without bound.
    const size = this.host.disk.size('log');
    if (size.ok && size.value > 1 << 20) this.host.disk.delete('log');
    for (let i = 0; i < 4; i++) this.host.disk.append('log', this.record);
    this.host.disk.fsync('log');
  }
  onMessage(): void {}
  onTimer(): void {}
  onDisconnect(): void {}
}

function measureWorld(name: string, note: string, specs: NodeSpec[], simMs: number): BenchFigure {
  const world = new World({ seed: 1, sizeOf: () => 64 });
  for (const spec of specs) world.addNode(spec);
  const startMs = wallClockMs();
  world.runUntil(simMs);
  const wallMs = Math.max(wallClockMs() - startMs, 0.001);
  return figure(name, note, world.stats.events, wallMs, simMs);
}

function figure(name: string, note: string, events: number, wallMs: number, simMs: number): BenchFigure {
  return {
    name,
    events,
    wallMs: Math.round(wallMs),
    eventsPerSecond: Math.round(events / (wallMs / 1000)),
    simSecondsPerWallSecond: Math.round((simMs / wallMs) * 10) / 10,
    note,
  };
}

function swarmScenario(system: string, cluster: Record<string, unknown>, durationMs: number, livenessMs: number): Scenario {
  return {
    name: `bench-${system}-swarm`,
    description: `${system} under swarm faults`,
    system,
    cluster,
    config: {},
    workload: {},
    network: {},
    disk: {},
    faults: { swarm: {} },
    durationMs,
    livenessMs,
    expect: 'pass',
  };
}

function measureRuns(name: string, scenario: Scenario, seeds: number): BenchFigure {
  let events = 0;
  let simTotalMs = 0;
  const startMs = wallClockMs();
  for (let seed = 1; seed <= seeds; seed++) {
    const result = runScenario(scenario, seed);
    events += result.stats.events;
    simTotalMs += result.stats.simTimeMs;
  }
  const seconds = (scenario.durationMs + scenario.livenessMs) / 1000;
  return figure(name, `${seeds} seeds of a ${seconds} s ${scenario.system} run, swarm faults, checker on`, events, wallClockMs() - startMs, simTotalMs);
}

export function runBench(options: BenchOptions = {}): BenchFigure[] {
  const scale = options.quick === true ? 0.05 : 1;
  const simMs = Math.round(20_000 * scale);
  const ids = Array.from({ length: NODES }, (_, i) => `n${i}`);
  const figures: BenchFigure[] = [
    measureWorld(
      'event-loop',
      `${NODES} no-op nodes re-arming a 1 ms timer`,
      ids.map((id) => ({ id, role: 'server', factory: (host) => new TickNode(host) })),
      simMs,
    ),
    measureWorld(
      'network',
      `${NODES / 2} pairs ping-ponging 4 messages each`,
      ids.map((id, i) => ({ id, role: 'server', factory: (host) => new PingNode(host, ids[i ^ 1]!) })),
      simMs,
    ),
    measureWorld(
      'disk',
      `${NODES} nodes appending 4 × 100 B then fsync, in a loop`,
      ids.map((id) => ({ id, role: 'server', factory: (host) => new AppendNode(host) })),
      simMs,
    ),
  ];
  const seeds = options.quick === true ? 2 : 20;
  figures.push(measureRuns('counter-swarm', swarmScenario('counter', { replicas: 3, clients: 2 }, 30_000, 10_000), seeds));
  figures.push(measureRuns('raft-swarm', swarmScenario('raft', { voters: 3, observers: 1 }, 30_000, 15_000), seeds));
  const kafka = swarmScenario('kafka', { controllers: 3, brokers: 3, producers: 2 }, 30_000, 40_000);
  kafka.config = { topic: { 'min.insync.replicas': 2 }, broker: { 'replica.lag.time.max.ms': 10_000 } };
  kafka.workload = { topic: 'events', partitions: 3, replicationFactor: 3, intervalMs: 50 };
  figures.push(measureRuns('kafka-swarm', kafka, options.quick === true ? 1 : 5));
  return figures;
}
