/**
 * What the CLI reports about one seed: the runner's RunResult, with the verdict widened to
 * `nondeterministic` when `--check-determinism` ran the seed twice and the two trace hashes
 * differed. This is what `--json` prints and what a run folder's verdict.json holds.
 */
import type { RunResult } from '../runner.js';
import type { Verdict } from '../scenario/types.js';

export interface RunReport extends Omit<RunResult, 'verdict'> {
  verdict: Verdict;
  /** Present when the seed was run twice: the trace hash of each run. */
  determinism?: { traceHashes: [string, string]; deterministic: boolean };
  /** The replay file written for a failing run, relative to the working directory. */
  replayFile?: string;
}

/** The first violation's invariant and message, or the determinism failure, in one short line. */
export function firstProblem(report: RunReport): { invariant: string; message: string } | undefined {
  if (report.determinism !== undefined && !report.determinism.deterministic) {
    const [first, second] = report.determinism.traceHashes;
    return { invariant: 'trace-hash', message: `run 1 gave ${first}, run 2 gave ${second}` };
  }
  const violation = report.violations[0];
  return violation === undefined ? undefined : { invariant: violation.invariant, message: violation.message };
}
