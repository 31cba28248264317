/**
 * Runs one scenario with one seed: builds the world and the system, lays out the fault plan, runs
 * the safety phase, heals everything, runs the liveness phase, and asks the checker for its
 * verdict. Every option that decides the run is in the result, so a failure can be replayed.
 */
import type { AllowedAnomaly, Violation } from './checker/types.js';
import { type FaultPlan, describeFault } from './faults/plan.js';
import { generateSwarmPlan } from './faults/swarm.js';
import type { Scenario, Verdict } from './scenario/types.js';
import { getSystem } from './systems/index.js';
import type { SystemChecker } from './systems/system.js';
import { wallClockMs } from './wallclock.js';
import { World } from './world.js';

export interface RunOptions {
  /** Receives the trace as JSON lines (`--trace FILE`). */
  traceSink?: (line: string) => void;
  /** Receives every fault as it fires, and every trace event (narration). */
  observer?: RunObserver;
}

export interface RunObserver {
  onFault?(atMs: number, description: string, note: string): void;
  onTrace?(atMs: number, node: string, event: { type: string; [field: string]: unknown }): void;
  onPhase?(atMs: number, phase: 'safety' | 'liveness' | 'end'): void;
  /**
   * Called once the world is built and the checker attached, before anything runs: a recorder
   * (the HTML report) subscribes to the world here and reads the checker's contract. It must
   * only listen: the run's trace hash does not depend on it.
   */
  onAttached?(world: World, checker: SystemChecker): void;
}

export interface RunStats {
  events: number;
  traceEvents: number;
  simTimeMs: number;
  wallMs: number;
  messagesSent: number;
  messagesDropped: number;
  bytesSent: number;
  crashes: number;
  restarts: number;
}

export interface RunResult {
  scenario: string;
  system: string;
  seed: number;
  traceHash: string;
  verdict: Exclude<Verdict, 'nondeterministic'>;
  expected: Exclude<Verdict, 'nondeterministic'>;
  violations: Violation[];
  anomalies: AllowedAnomaly[];
  /** The fault plan as realized for this seed (written or generated). */
  faultPlan: FaultPlan;
  /** The system's own end-of-run figures (e.g. writes acknowledged, final values). */
  summary: Record<string, unknown>;
  stats: RunStats;
}

/** Node exceptions the contract allows, counted as one anomaly per reason. */
function excusedNodeErrors(world: World): AllowedAnomaly[] {
  const byReason = new Map<string, number>();
  for (const error of world.nodeErrors) {
    if (error.excusedBecause !== null) byReason.set(error.excusedBecause, (byReason.get(error.excusedBecause) ?? 0) + 1);
  }
  return [...byReason.entries()].map(([reason, count]) => ({ anomaly: 'node-halt', count, reason }));
}

export function realizeFaultPlan(scenario: Scenario, seed: number): FaultPlan {
  const faults = scenario.faults;
  if ('plan' in faults) return faults.plan;
  if ('swarm' in faults) {
    const system = getSystem(scenario.system);
    const built = system.build(scenario, seed);
    return generateSwarmPlan({
      seed,
      profile: faults.swarm,
      supportedFamilies: system.faultFamilies,
      servers: built.nodes.filter((node) => node.role === 'server').map((node) => node.id),
      clients: built.nodes.filter((node) => node.role === 'client').map((node) => node.id),
      consumers: built.consumers ?? [],
      writers: built.writers ?? [],
      durationMs: scenario.durationMs,
      selectors: system.selectors,
    });
  }
  return [];
}

export function runScenario(scenario: Scenario, seed: number, options: RunOptions = {}): RunResult {
  const wallStartMs = wallClockMs();
  const system = getSystem(scenario.system);
  const built = system.build(scenario, seed);
  const world = new World({
    seed,
    network: scenario.network,
    disk: scenario.disk,
    sizeOf: (message) => built.sizeOf(message),
    resolveSelector: (selector, w) => built.resolveSelector(selector, w),
    ...(options.traceSink !== undefined ? { traceSink: options.traceSink } : {}),
  });
  const observer = options.observer;
  if (observer?.onFault !== undefined) {
    const onFault = observer.onFault;
    world.onFault((atMs, action, note) => onFault(atMs, describeFault(action), note));
  }
  if (observer?.onTrace !== undefined) {
    const onTrace = observer.onTrace;
    world.onTrace((record) => onTrace(record.atMs, record.node, record.event));
  }
  for (const node of built.nodes) world.addNode(node);
  const checker = built.attach(world);
  observer?.onAttached?.(world, checker);
  const faultPlan = realizeFaultPlan(scenario, seed);
  for (const fault of faultPlan) {
    // The loader refuses such plans with a clear message; a plan built in code must obey too.
    if (!(fault.atMs >= 0 && fault.atMs < scenario.durationMs)) {
      throw new Error(`fault at ${fault.atMs}ms is outside the safety phase [0, ${scenario.durationMs})`);
    }
    world.scheduleFault(fault.atMs, fault.action);
  }

  observer?.onPhase?.(0, 'safety');
  world.runUntil(scenario.durationMs);
  const safetyViolations = checker.violations();
  if (safetyViolations.length === 0 && world.stopped === null) {
    world.healAll();
    checker.onHeal(world);
    observer?.onPhase?.(world.nowMs, 'liveness');
    world.runUntil(scenario.durationMs + scenario.livenessMs);
  }
  const finished = checker.finish(world);
  observer?.onPhase?.(world.nowMs, 'end');

  const violations = [
    ...world.nodeErrors.filter((error) => error.excusedBecause === null).map((error): Violation => ({
      invariant: 'node-exception',
      kind: 'safety',
      message: `${error.node} (incarnation ${error.incarnation}) threw on ${error.input}: ${error.message}`,
      atMs: error.atMs,
      details: { node: error.node, stack: error.stack },
    })),
    ...finished.violations,
  ];
  const verdict: RunResult['verdict'] = violations.some((v) => v.kind === 'safety')
    ? 'violation'
    : violations.some((v) => v.kind === 'liveness')
      ? 'liveness'
      : 'pass';
  const network = world.network.stats;
  return {
    scenario: scenario.name,
    system: scenario.system,
    seed,
    traceHash: world.traceHash,
    verdict,
    expected: scenario.expect,
    violations,
    anomalies: [...finished.anomalies, ...excusedNodeErrors(world)],
    faultPlan,
    summary: finished.summary,
    stats: {
      events: world.stats.events,
      traceEvents: world.stats.traceEvents,
      simTimeMs: world.nowMs,
      wallMs: Math.round(wallClockMs() - wallStartMs),
      messagesSent: network.messagesSent,
      messagesDropped: network.messagesDropped,
      bytesSent: network.bytesSent.client + network.bytesSent.replication + network.bytesSent.controller,
      crashes: world.stats.crashes,
      restarts: world.stats.restarts,
    },
  };
}
