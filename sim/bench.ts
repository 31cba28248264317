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
 * - `kafka-basic`: the built-in scenario as written, no faults — the default cluster's real-time factor.
 * - `kafka-group-swarm-classic`, `kafka-group-swarm-kip848`: the built-in group swarms as written —
 *   three consumers of one group (classic, KIP-848) beside the producers, group checker on.
 * - `kafka-basic-<N>min`: the same with its safety phase stretched to N simulated minutes, short and
 *   long; events/s should not fall as a run grows. The long run goes first, so the process's peak
 *   RSS (a high-water mark) after it is that run's, not inflated by anything measured before.
 * - `explore`: `ksim explore kafka-swarm --workers 2`, run as a child process of the built CLI.
 * - `startup`: a child `ksim run kafka-basic --json`, its wall time less the run's own: what the
 *   process spends before its first event (and the little after its last).
 * - `html-report-kafka-swarm-<N>min`: `ksim run kafka-swarm --seed 3 --html` with its safety phase
 *   stretched to N simulated minutes: the recorded run and its page, and the page's size (the
 *   target is under 5 MB; how fast it opens is measured in the browser test, test/browser/).
 *
 * The targets beside these figures are judged in benchTargets.ts.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DiskCompletion, Host, NodeId, ProtocolNode } from '../src/host.js';
import { judgeTargets, type TargetInputs, type TargetVerdict } from './benchTargets.js';
import { renderHtmlReport } from './report/html/document.js';
import { recordRun } from './report/html/recorder.js';
import { runScenario } from './runner.js';
import { loadScenario } from './scenario/load.js';
import { packageRoot } from './scenario/paths.js';
import type { Scenario } from './scenario/types.js';
import { wallClockMs } from './wallclock.js';
import { type NodeSpec, World } from './world.js';

export interface BenchFigure {
  name: string;
  events: number;
  wallMs: number;
  eventsPerSecond: number;
  simSecondsPerWallSecond?: number;
  /** The process's peak resident set size after this figure (long runs only). */
  peakRssBytes?: number;
  /** Whole seeds per wall minute (explore only). */
  seedsPerMinute?: number;
  /** The HTML report's size (html-report only). */
  reportBytes?: number;
  note: string;
}

export interface BenchResult {
  figures: BenchFigure[];
  targets: TargetVerdict[];
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

function measureRuns(name: string, scenario: Scenario, seeds: number, what = `${scenario.system} run, swarm faults, checker on`): BenchFigure {
  let events = 0;
  let simTotalMs = 0;
  const startMs = wallClockMs();
  for (let seed = 1; seed <= seeds; seed++) {
    const result = runScenario(scenario, seed);
    events += result.stats.events;
    simTotalMs += result.stats.simTimeMs;
  }
  const seconds = (scenario.durationMs + scenario.livenessMs) / 1000;
  return figure(name, `${seeds} ${seeds === 1 ? 'seed' : 'seeds'} of a ${seconds} s ${what}`, events, wallClockMs() - startMs, simTotalMs);
}

/** The built-in group swarms as written, one figure per group protocol. */
function measureGroupSwarms(quick: boolean): BenchFigure[] {
  return ['kafka-group-swarm-classic', 'kafka-group-swarm-kip848'].map((name) =>
    measureRuns(name, loadScenario(name, packageRoot()).scenario, quick ? 1 : 3, 'kafka run with a consumer group, swarm faults, both checkers on'),
  );
}

/** The built-in kafka-basic scenario, its safety phase stretched to `minutes` if given. */
function kafkaBasic(minutes?: number): Scenario {
  const { scenario } = loadScenario('kafka-basic', packageRoot());
  return minutes === undefined ? scenario : { ...scenario, durationMs: minutes * 60_000 };
}

function measureLongRun(minutes: number): BenchFigure {
  return measureRuns(`kafka-basic-${minutes}min`, kafkaBasic(minutes), 1, 'kafka-basic run (no faults, checker on)');
}

/** The process's peak RSS so far, on the figure and in its note. */
function withPeakRss(measured: BenchFigure): BenchFigure {
  const peakRssBytes = process.resourceUsage().maxRSS * 1024;
  return { ...measured, peakRssBytes, note: `${measured.note}; process peak RSS ${Math.round(peakRssBytes / 1_000_000)} MB` };
}

/** Runs the built CLI in a child process; the wall time is measured around it. */
function runCli(args: string[], cwd: string): { status: number | null; stdout: string; stderr: string; wallMs: number } {
  const startMs = wallClockMs();
  const child = spawnSync(process.execPath, [join(packageRoot(), 'bin', 'ksim.js'), ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    maxBuffer: 1 << 30,
  });
  return { status: child.status, stdout: child.stdout, stderr: child.stderr, wallMs: wallClockMs() - startMs };
}

function inScratchFolder<T>(body: (cwd: string) => T): T {
  const cwd = mkdtempSync(join(tmpdir(), 'ksim-bench-'));
  try {
    return body(cwd);
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

/** The last line of a child's stdout as JSON, or an error naming what the child said. */
function lastJsonLine(outcome: { status: number | null; stdout: string; stderr: string }, what: string): Record<string, unknown> {
  const line = outcome.stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    throw new Error(`bench: ${what} printed no JSON (exit ${outcome.status}): ${outcome.stderr.trim().slice(0, 500)}`);
  }
}

function measureExplore(seeds: number, workers: number): BenchFigure {
  return inScratchFolder((cwd) => {
    const outcome = runCli(['explore', 'kafka-swarm', '--seeds', String(seeds), '--from', '1', '--workers', String(workers), '--json'], cwd);
    const summary = lastJsonLine(outcome, 'ksim explore');
    const wallMs = Number(summary['wallMs']);
    const events = Number(summary['events']);
    const seedsPerMinute = Math.round((seeds * 60_000) / Math.max(wallMs, 1));
    const { scenario } = loadScenario('kafka-swarm', packageRoot());
    return {
      ...figure('explore', '', events, wallMs, seeds * (scenario.durationMs + scenario.livenessMs)),
      seedsPerMinute,
      note: `ksim explore kafka-swarm --seeds ${seeds} --workers ${workers}: ${seedsPerMinute} seeds/min (its own wall time, worker start included)`,
    };
  });
}

function measureStartup(samples: number): BenchFigure {
  const startupsMs = inScratchFolder((cwd) =>
    Array.from({ length: samples }, () => {
      const outcome = runCli(['run', 'kafka-basic', '--json'], cwd);
      const report = lastJsonLine(outcome, 'ksim run') as { stats?: { wallMs?: number } };
      return outcome.wallMs - Number(report.stats?.wallMs);
    }).sort((a, b) => a - b),
  );
  const medianMs = startupsMs[Math.floor(startupsMs.length / 2)]!;
  return {
    name: 'startup',
    events: 0,
    wallMs: Math.round(medianMs),
    eventsPerSecond: 0,
    note: `ksim run kafka-basic as a child process, its wall time less the run's own (median of ${samples}: ${startupsMs.map((ms) => Math.round(ms)).join(', ')} ms)`,
  };
}

/** A long kafka-swarm run recorded and written as an HTML report: the time both take, and the page's size. */
function measureHtmlReport(minutes: number): BenchFigure {
  const { scenario } = loadScenario('kafka-swarm', packageRoot());
  const seed = 3;
  const startMs = wallClockMs();
  const recorded = recordRun({ ...scenario, durationMs: minutes * 60_000 }, seed, `npx ksim run kafka-swarm --seed ${seed}`);
  const reportBytes = Buffer.byteLength(renderHtmlReport(recorded.recording));
  const measured = figure(`html-report-kafka-swarm-${minutes}min`, '', recorded.result.stats.events, wallClockMs() - startMs, recorded.result.stats.simTimeMs);
  return {
    ...measured,
    reportBytes,
    note: `ksim run kafka-swarm --seed ${seed} --html, safety phase ${minutes} simulated min: run, recording and page; the page is ${(reportBytes / 1_000_000).toFixed(1)} MB (target: under 5 MB)`,
  };
}

export function runBench(options: BenchOptions = {}): BenchResult {
  const quick = options.quick === true;
  // The long run comes first: peak RSS is a high-water mark of the whole process.
  const longRunMinutes = quick ? { short: 1, long: 6 } : { short: 10, long: 60 };
  const longRun = withPeakRss(measureLongRun(longRunMinutes.long));
  const shortRun = measureLongRun(longRunMinutes.short);
  const figures = [...measureKernelAndSwarms(quick)];
  const basic = measureRuns('kafka-basic', kafkaBasic(), quick ? 1 : 5, 'kafka-basic run as written (no faults, checker on)');
  figures.push(basic, ...measureGroupSwarms(quick), shortRun, longRun);
  const explore = measureExplore(quick ? 4 : 40, 2);
  const startup = measureStartup(quick ? 1 : 3);
  figures.push(explore, startup, measureHtmlReport(quick ? 1 : 10));
  const named = (name: string) => figures.find((candidate) => candidate.name === name);
  const inputs: TargetInputs = {
    eventLoopEventsPerSecond: named('event-loop')?.eventsPerSecond,
    kafkaSwarmEventsPerSecond: named('kafka-swarm')?.eventsPerSecond,
    kafkaBasicSimSecondsPerWallSecond: basic.simSecondsPerWallSecond,
    longRunShortEventsPerSecond: shortRun.eventsPerSecond,
    longRunLongEventsPerSecond: longRun.eventsPerSecond,
    longRunPeakRssBytes: longRun.peakRssBytes,
    exploreSeedsPerMinute: explore.seedsPerMinute,
    startupMs: startup.wallMs,
  };
  return { figures, targets: judgeTargets(inputs, longRunMinutes) };
}

function measureKernelAndSwarms(quick: boolean): BenchFigure[] {
  const scale = quick ? 0.05 : 1;
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
  const seeds = quick ? 2 : 20;
  figures.push(measureRuns('counter-swarm', swarmScenario('counter', { replicas: 3, clients: 2 }, 30_000, 10_000), seeds));
  figures.push(measureRuns('raft-swarm', swarmScenario('raft', { voters: 3, observers: 1 }, 30_000, 15_000), seeds));
  const kafka = swarmScenario('kafka', { controllers: 3, brokers: 3, producers: 2 }, 30_000, 40_000);
  kafka.config = { topic: { 'min.insync.replicas': 2 }, broker: { 'replica.lag.time.max.ms': 10_000 } };
  kafka.workload = { topic: 'events', partitions: 3, replicationFactor: 3, intervalMs: 50 };
  figures.push(measureRuns('kafka-swarm', kafka, quick ? 1 : 5));
  return figures;
}
