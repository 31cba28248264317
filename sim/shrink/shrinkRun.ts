/**
 * Shrinking a failing run to a smaller one that fails the same way: the same verdict and the same
 * first violated invariant, with the same seed. The seed stays; what decides the run around it is
 * cut down, one kind of thing at a time, each cut kept only if the run still fails the same way:
 * 1. the fault plan as realized for the seed becomes a written plan (a swarm's draws become data),
 *    and delta debugging (ddmin.ts) drops every fault the failure does not need;
 * 2. each remaining fault's window (durationMs, restartAfterMs) is halved while it still fails;
 * 3. fewer records: fewer producing clients, a longer interval between sends, a safety phase that
 *    ends soon after the last fault;
 * 4. fewer brokers (or replicas, or voters), where the scenario stays valid without them.
 * Every candidate is a scenario validated like a file (a cut that makes it invalid is skipped),
 * and every run is deterministic, so the result replays exactly.
 *
 * Why delta debugging and not fast-check's shrinking: fast-check shrinks values it generated itself,
 * along its arbitraries' shrink trees; a failing run here is a concrete replay file whose plan came
 * from ksim's own seeded swarm, and what is cut (faults, windows, clients, brokers) is data with
 * an oracle, which is exactly what ddmin takes (docs/decisions.md).
 */
import type { TimedFault } from '../faults/plan.js';
import { type RunResult, realizeFaultPlan, runScenario } from '../runner.js';
import { ScenarioError } from '../scenario/errors.js';
import { withoutSkippedFaults } from '../scenario/faultOverlaps.js';
import { toScenarioFile, validateScenario } from '../scenario/load.js';
import type { Scenario, Verdict } from '../scenario/types.js';
import { ddmin } from './ddmin.js';

/** How the original run failed; a candidate must fail the same way. */
export interface ShrinkTarget {
  readonly verdict: Verdict;
  /** The first violation's invariant; empty for a failure without one. */
  readonly invariant: string;
}

export interface ShrinkStep {
  /** What this step cut, in a few words. */
  readonly what: string;
  readonly faults: number;
  readonly runs: number;
}

export interface ShrinkOutcome {
  readonly scenario: Scenario;
  /** The run of the shrunk scenario, which fails like the original. */
  readonly result: RunResult;
  readonly steps: ShrinkStep[];
  readonly runs: number;
  /** True when the run budget ran out before every cut was tried. */
  readonly budgetSpent: boolean;
}

export interface ShrinkOptions {
  /** The most runs shrinking may make. */
  readonly maxRuns: number;
  /** Told of each cut that was kept, as it is kept. */
  readonly onStep?: (step: ShrinkStep) => void;
}

/** Why a run cannot be shrunk (it passes, or its plan does not reproduce it); the user's to fix. */
export class ShrinkError extends Error {
  override readonly name = 'ShrinkError';
}

/** The window fields of a fault action, each with the least value it may be cut to. */
const WINDOW_FIELDS: ReadonlyArray<readonly [string, number]> = [['durationMs', 1], ['restartAfterMs', 0]];
/** A longer send interval is tried up to this many times the original. */
const INTERVAL_FACTOR_MAX = 8;
/** The safety phase is cut to end this long after the last fault's window, at the least. */
const SAFETY_MARGIN_MS = 1_000;

export function shrinkRun(original: Scenario, seed: number, target: ShrinkTarget, options: ShrinkOptions): ShrinkOutcome {
  if (target.verdict === 'pass') throw new ShrinkError('the run passes: there is no failure to shrink.');
  const state = new Shrinker(original.name, seed, target, options);
  // Faults the injector skipped (a crash drawn while its node was down) are left out: a written
  // plan may not hold them, and the run never felt them.
  // foundAtSeed belongs to swarm scenarios only.
  const { foundAtSeed: _foundAtSeed, ...withoutSwarmFields } = original;
  const asPlan: Scenario = { ...withoutSwarmFields, faults: { plan: withoutSkippedFaults(realizeFaultPlan(original, seed)) } };
  if (!state.fails(asPlan)) {
    throw new ShrinkError(`the fault plan realized for seed ${seed}, written out as a plan, does not fail the same way (${target.verdict}${target.invariant === '' ? '' : ` ${target.invariant}`}), so it cannot be shrunk.`);
  }
  state.accept(asPlan, 'the realized fault plan, as a written plan');
  state.dropFaults();
  state.shortenWindows();
  state.fewerRecords();
  state.fewerServers();
  // Fewer clients or servers may leave faults with nothing to do: try dropping again.
  state.dropFaults();
  return { scenario: state.current, result: state.currentResult, steps: state.steps, runs: state.runs, budgetSpent: state.budgetSpent };
}

class Shrinker {
  current!: Scenario;
  currentResult!: RunResult;
  readonly steps: ShrinkStep[] = [];
  runs = 0;
  budgetSpent = false;
  private lastResult: RunResult | undefined;

  constructor(
    private readonly name: string,
    private readonly seed: number,
    private readonly target: ShrinkTarget,
    private readonly options: ShrinkOptions,
  ) {}

  /** Runs a candidate (validated as a file would be) and says whether it fails the same way. */
  fails(candidate: Scenario): boolean {
    let scenario: Scenario;
    try {
      scenario = validateScenario(toScenarioFile(candidate), this.name, '(a shrink candidate)');
    } catch (error) {
      if (error instanceof ScenarioError) return false;
      throw error;
    }
    if (this.runs >= this.options.maxRuns) {
      this.budgetSpent = true;
      return false;
    }
    this.runs++;
    const result = runScenario(scenario, this.seed);
    this.lastResult = result;
    return result.verdict === this.target.verdict && (result.violations[0]?.invariant ?? '') === this.target.invariant;
  }

  /** Keeps a candidate that was just seen to fail the same way. */
  accept(candidate: Scenario, what: string): void {
    if (this.lastResult === undefined) throw new Error('accept needs a run of the candidate');
    this.current = candidate;
    this.currentResult = this.lastResult;
    const step = { what, faults: this.plan().length, runs: this.runs };
    this.steps.push(step);
    this.options.onStep?.(step);
  }

  /** Tries a candidate; keeps it when it fails the same way. */
  private attempt(candidate: Scenario, what: string): boolean {
    if (!this.fails(candidate)) return false;
    this.accept(candidate, what);
    return true;
  }

  private plan(): TimedFault[] {
    const faults = this.current.faults;
    return 'plan' in faults ? faults.plan : [];
  }

  private withPlan(plan: readonly TimedFault[]): Scenario {
    return { ...this.current, faults: { plan: [...plan] } };
  }

  dropFaults(): void {
    const before = this.plan();
    let lastFailing: Scenario | undefined;
    let lastFailingResult: RunResult | undefined;
    const kept = ddmin(before, (subset) => {
      const candidate = this.withPlan(subset);
      const fails = this.fails(candidate);
      if (fails) {
        lastFailing = candidate;
        lastFailingResult = this.lastResult;
      }
      return fails;
    });
    if (kept.length === before.length || lastFailing === undefined) return;
    // ddmin's last failing test is the sublist it returns; should that ever not hold, run it again.
    const keptScenario = this.withPlan(kept);
    const sameAsLast = 'plan' in lastFailing.faults && lastFailing.faults.plan.length === kept.length;
    if (sameAsLast) this.lastResult = lastFailingResult;
    else if (!this.fails(keptScenario)) return;
    this.accept(keptScenario, `dropped ${before.length - kept.length} of ${before.length} faults`);
  }

  shortenWindows(): void {
    this.plan().forEach((_, index) => {
      for (const [field, least] of WINDOW_FIELDS) {
        for (;;) {
          const fault = this.plan()[index]!;
          const value = (fault.action as unknown as Record<string, unknown>)[field];
          if (typeof value !== 'number' || value <= least) break;
          const shorter = Math.max(least, Math.floor(value / 2));
          const plan = this.plan().map((each, i) => (i === index ? { ...each, action: { ...each.action, [field]: shorter } as TimedFault['action'] } : each));
          if (!this.attempt(this.withPlan(plan), `fault ${index + 1}'s ${field} ${value} → ${shorter}`)) break;
        }
      }
    });
  }

  fewerRecords(): void {
    const clientsKey = this.current.system === 'kafka' ? 'producers' : this.current.system === 'counter' ? 'clients' : undefined;
    if (clientsKey !== undefined) this.decrementWhileFailing('cluster', clientsKey, 1, 'producing clients');
    const interval = this.current.workload['intervalMs'];
    if (typeof interval === 'number') {
      for (let factor = 2; factor <= INTERVAL_FACTOR_MAX; factor *= 2) {
        const candidate = { ...this.current, workload: { ...this.current.workload, intervalMs: interval * factor } };
        if (!this.attempt(candidate, `one send every ${interval * factor} ms instead of ${interval}`)) break;
      }
    }
    const lastFaultEndMs = Math.max(0, ...this.plan().map((fault) => fault.atMs + windowOf(fault)));
    const shorterMs = Math.ceil((lastFaultEndMs + SAFETY_MARGIN_MS) / 1_000) * 1_000;
    if (shorterMs < this.current.durationMs) {
      this.attempt({ ...this.current, durationMs: shorterMs }, `a safety phase of ${shorterMs} ms instead of ${this.current.durationMs}`);
    }
  }

  fewerServers(): void {
    const key = this.current.system === 'kafka' ? 'brokers' : this.current.system === 'counter' ? 'replicas' : 'voters';
    this.decrementWhileFailing('cluster', key, 1, key);
  }

  /** Lowers a whole-number field of a section one at a time, down to `least`, while the run still fails. */
  private decrementWhileFailing(section: 'cluster', key: string, least: number, noun: string): void {
    for (;;) {
      const value = this.current[section][key];
      if (typeof value !== 'number' || value <= least) return;
      const candidate = { ...this.current, [section]: { ...this.current[section], [key]: value - 1 } };
      if (!this.attempt(candidate, `${value - 1} ${noun} instead of ${value}`)) return;
    }
  }
}

/** How long a fault's window lasts after it fires (0 for an instant fault). */
function windowOf(fault: TimedFault): number {
  const action = fault.action as unknown as Record<string, unknown>;
  return Math.max(0, ...WINDOW_FIELDS.map(([field]) => (typeof action[field] === 'number' ? (action[field] as number) : 0)));
}
