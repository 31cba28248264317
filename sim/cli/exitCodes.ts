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
/** Bad usage or bad input (sysexits.h EX_USAGE). */
export const EXIT_USAGE = 64;
/** A bug in ksim (sysexits.h EX_SOFTWARE). */
export const EXIT_INTERNAL = 70;
/** An output file (--html, --history-edn, ...) could not be written after the run (EX_IOERR). */
export const EXIT_IO = 74;

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
  '  64  bad usage or bad input (flag, seed, scenario file, replay file)',
  '  70  internal error (a bug in ksim)',
  '  74  an output file could not be written after the run',
  'With many seeds, the worst verdict decides: 3, then 1, then 2, then 0.',
  'The code reports the verdict, not whether it matched the scenario\'s `expect`.',
].join('\n');
