/**
 * `ksim/vitest`: a scenario as a test. `expectScenario(scenario).toHoldFor({ seeds: 200 })` runs
 * the seeds and throws at the first failing one, with a message whose first line is the CLI's FAIL
 * line — the seed, the anomaly and the command that replays it — so a red test says exactly what
 * to run next, as fast-check prints its seed and path. The failing seed's run folder (replay.json,
 * verdict.json, report.html) is written under the working directory, as `ksim explore` writes it.
 *
 * It imports nothing from vitest: a thrown Error fails a test in vitest, jest or node:test alike.
 */
import { type ExploreFailure, explore, type ScenarioInput, scenario, type ScenarioOptions } from './library.js';
import type { LoadedScenario } from './scenario/types.js';

export interface HoldOptions extends ScenarioOptions {
  /** How many seeds must pass. */
  seeds: number;
  /** The first seed (default 1). */
  from?: number;
  /** Write the failing seed's run folder under cwd (default true). */
  runFolders?: boolean;
}

export class ScenarioFailedError extends Error {
  override readonly name = 'ScenarioFailedError';

  constructor(readonly failure: ExploreFailure, scenarioName: string, seedsRange: string) {
    super(failureMessage(failure, scenarioName, seedsRange));
  }
}

export interface ScenarioExpectation {
  /** Passes when every seed of the range passes; throws ScenarioFailedError at the first that does not. */
  toHoldFor(options: HoldOptions): void;
}

export function expectScenario(input: ScenarioInput, options: ScenarioOptions = {}): ScenarioExpectation {
  const loaded: LoadedScenario = scenario(input, options);
  return {
    toHoldFor(hold: HoldOptions): void {
      const from = hold.from ?? 1;
      const outcome = explore(loaded, {
        seeds: hold.seeds,
        from,
        cwd: hold.cwd ?? options.cwd ?? process.cwd(),
        runFolders: hold.runFolders ?? true,
        stopAtFirstFailure: true,
      });
      const failure = outcome.failures[0];
      if (failure !== undefined) throw new ScenarioFailedError(failure, loaded.scenario.name, `${from}..${from + hold.seeds - 1}`);
    },
  };
}

function failureMessage(failure: ExploreFailure, scenarioName: string, seedsRange: string): string {
  const lines = [failure.failLine, `scenario ${scenarioName} does not hold for seeds ${seedsRange}: seed ${failure.seed} gave ${failure.verdict}`];
  const violation = failure.violation;
  if (violation !== undefined) {
    lines.push(`${violation.invariant} (${violation.kind}) at ${violation.atMs}ms: ${violation.message}`);
    if (violation.details !== undefined) lines.push(`details: ${JSON.stringify(violation.details)}`);
  }
  lines.push(`replay: ${failure.replayCommand}`);
  return lines.join('\n');
}
