/**
 * The CLI's exit codes (DESIGN.md §6), and how verdicts map onto them. When many seeds run, the
 * exit code is the worst verdict, in this order of severity: nondeterministic (3) — nothing else
 * the run says can be trusted — then a safety violation (1), then a liveness failure (2), then
 * pass (0).
 */
import type { Verdict } from '../scenario/types.js';

export const EXIT_PASS = 0;
export const EXIT_VIOLATION = 1;
export const EXIT_LIVENESS = 2;
export const EXIT_NONDETERMINISTIC = 3;
/** `run --expect`: the run did not reach the scenario's expected verdict, and passed (a lesson not shown). */
export const EXIT_EXPECTATION_UNMET = 4;
/** Bad usage or bad input (sysexits.h EX_USAGE). */
export const EXIT_USAGE = 64;
/** A bug in ksim (sysexits.h EX_SOFTWARE). */
export const EXIT_INTERNAL = 70;
/** A file or stream ksim needed could not be written: a full disk, an unwritable folder (sysexits.h EX_IOERR). */
export const EXIT_IO_ERROR = 74;
/** Interrupted (Ctrl-C): 128 + SIGINT, as a shell reports it. */
export const EXIT_INTERRUPTED = 130;

const EXIT_CODE_OF: Record<Verdict, number> = {
  pass: EXIT_PASS,
  violation: EXIT_VIOLATION,
  liveness: EXIT_LIVENESS,
  nondeterministic: EXIT_NONDETERMINISTIC,
};

/** Verdicts from the worst to the best. */
export const VERDICTS_BY_SEVERITY: readonly Verdict[] = ['nondeterministic', 'violation', 'liveness', 'pass'];

export function exitCodeOf(verdict: Verdict): number {
  return EXIT_CODE_OF[verdict];
}

/**
 * `run --expect`: 0 when the verdict is the one the scenario expects (a lesson whose failure
 * appeared, a scenario that passed as it should); otherwise the verdict's own code, or 4 when the
 * run passed where the scenario expected a failure (no other code says "nothing went wrong, and that
 * is wrong").
 */
export function expectedExitCodeOf(verdict: Verdict, expected: Verdict): number {
  if (verdict === expected) return EXIT_PASS;
  return verdict === 'pass' ? EXIT_EXPECTATION_UNMET : exitCodeOf(verdict);
}

export function worstVerdict(verdicts: Iterable<Verdict>): Verdict {
  let worst: Verdict = 'pass';
  for (const verdict of verdicts) {
    if (VERDICTS_BY_SEVERITY.indexOf(verdict) < VERDICTS_BY_SEVERITY.indexOf(worst)) worst = verdict;
  }
  return worst;
}

/** The exit-code table, as the help text prints it. */
export const EXIT_CODES_HELP = [
  'Exit codes:',
  '  0   pass',
  '  1   safety violation',
  '  2   liveness failure (no convergence after the heal)',
  '  3   non-determinism (the same seed gave two different traces)',
  '  4   run --expect only: the run passed where the scenario expects a failure (the lesson was not shown)',
  '  64  bad usage or bad input (flag, seed, scenario file, replay file)',
  '  70  internal error (a bug in ksim)',
  '  74  I/O error: a file or stream could not be written (full disk, unwritable folder)',
  '  130 interrupted (Ctrl-C); explore prints the summary of the seeds that finished first',
  'With many seeds, the worst verdict decides: 3, then 1, then 2, then 0.',
  'The code reports the verdict, not whether it matched the scenario\'s `expect`; with run --expect, 0 means it matched.',
].join('\n');
