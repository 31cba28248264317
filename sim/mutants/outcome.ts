/**
 * What exploring one mutation found, and the Markdown report of a whole catalogue run. Pure
 * functions over the per-seed results `ksim explore --json` prints, so the classification is tested
 * without building or running anything.
 *
 * A mutation is *caught* by the first seed whose verdict is a safety violation; a liveness failure
 * is noted but does not count, since every mutation breaks a safety rule and the checker's job is
 * to name it. A mutation whose patch no longer applies, whose build fails or whose exploration
 * errs is neither caught nor missed: the report says so, and the run fails.
 */
import type { Mutation } from './catalogue.js';
import type { EditProblem } from './patch.js';

/** One seed's result, as much of an explore JSON line as the classification needs. */
export interface SeedResult {
  readonly seed: number;
  readonly verdict: string;
  readonly invariant?: string;
  readonly message?: string;
}

export interface Catch {
  readonly scenario: string;
  readonly seed: number;
  readonly invariant: string;
  readonly message: string;
}

export type MutationOutcome =
  | { readonly kind: 'caught'; readonly caught: Catch; readonly seedsRun: number; readonly wallMs: number }
  | { readonly kind: 'missed'; readonly seedsRun: number; readonly livenessSeeds: readonly number[]; readonly wallMs: number }
  | { readonly kind: 'not-applied'; readonly problems: readonly EditProblem[] }
  | { readonly kind: 'build-failed'; readonly output: string }
  | { readonly kind: 'explore-failed'; readonly scenario: string; readonly exitCode: number | null; readonly output: string };

/**
 * Reads the JSON lines of one `ksim explore --json` run into seed results, skipping the final
 * summary and anything that is not a run report.
 */
export function parseExploreLines(stdout: string): SeedResult[] {
  const results: SeedResult[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    // A run report has a `summary` object of its own; the final summary line is `summary: true`.
    const report = value as { seed?: unknown; verdict?: unknown; violations?: unknown; summary?: unknown };
    if (report.summary === true) continue;
    if (typeof report.seed !== 'number' || typeof report.verdict !== 'string') continue;
    const first = Array.isArray(report.violations) ? (report.violations[0] as { invariant?: unknown; message?: unknown } | undefined) : undefined;
    results.push({
      seed: report.seed,
      verdict: report.verdict,
      ...(typeof first?.invariant === 'string' ? { invariant: first.invariant } : {}),
      ...(typeof first?.message === 'string' ? { message: first.message } : {}),
    });
  }
  return results;
}

/** The lowest seed with a safety violation, as a catch in `scenario`; null when there is none. */
export function firstCatch(scenario: string, results: readonly SeedResult[]): Catch | null {
  let first: SeedResult | null = null;
  for (const result of results) {
    if (result.verdict !== 'violation') continue;
    if (first === null || result.seed < first.seed) first = result;
  }
  if (first === null) return null;
  return { scenario, seed: first.seed, invariant: first.invariant ?? 'unnamed', message: first.message ?? '' };
}

/** Seeds that ended in a liveness failure, in order. */
export function livenessSeeds(results: readonly SeedResult[]): number[] {
  return results.filter((result) => result.verdict === 'liveness').map((result) => result.seed).sort((a, b) => a - b);
}

/** Whether every mutation was caught: the run's success. */
export function allCaught(outcomes: ReadonlyMap<string, MutationOutcome>): boolean {
  return [...outcomes.values()].every((outcome) => outcome.kind === 'caught');
}

/**
 * The exit codes of `npm run mutants`. They never reuse 1, which across ksim means a safety
 * violation in ksim's own Kafka: a surviving mutation is a weakness of the checker or the fault mix,
 * not a violation, and a CI job must be able to tell the two apart.
 */
export const MUTANTS_EXIT = {
  /** Every mutation was caught. */
  allCaught: 0,
  /** At least one mutation survived its seed budget: the checker or the swarm's fault mix is too weak. */
  mutationSurvived: 4,
  /** Bad usage (sysexits.h EX_USAGE), as ksim's own. */
  usage: 64,
  /**
   * A mutation could not be tested: its patch no longer applies to the sources, its build failed or
   * its exploration erred (sysexits.h EX_SOFTWARE, as ksim's internal error). Worse than a survivor:
   * the run says nothing about that mutation at all.
   */
  notTested: 70,
  /** The report or the scratch copy could not be written (sysexits.h EX_IOERR). */
  io: 74,
} as const;

/** The exit code a catalogue run ends with: untested mutations first, then survivors, else 0. */
export function mutantsExitCode(outcomes: ReadonlyMap<string, MutationOutcome>): number {
  const kinds = [...outcomes.values()].map((outcome) => outcome.kind);
  if (kinds.some((kind) => kind === 'not-applied' || kind === 'build-failed' || kind === 'explore-failed')) return MUTANTS_EXIT.notTested;
  if (kinds.some((kind) => kind === 'missed')) return MUTANTS_EXIT.mutationSurvived;
  return MUTANTS_EXIT.allCaught;
}

/** One cell of the report's result column. */
export function outcomeSummary(outcome: MutationOutcome): string {
  switch (outcome.kind) {
    case 'caught':
      return `caught: ${outcome.caught.scenario} seed ${outcome.caught.seed}, ${outcome.caught.invariant}`;
    case 'missed':
      return `MISSED in ${outcome.seedsRun} seeds${outcome.livenessSeeds.length > 0 ? ` (liveness failures at seeds ${outcome.livenessSeeds.slice(0, 5).join(', ')})` : ''}`;
    case 'not-applied':
      return `NOT APPLIED: ${outcome.problems.map((problem) => `${problem.file}: ${problem.problem}`).join('; ')}`;
    case 'build-failed':
      return 'BUILD FAILED';
    case 'explore-failed':
      return `EXPLORE FAILED on ${outcome.scenario} (exit ${outcome.exitCode ?? 'signal'})`;
    default: {
      const unreachable: never = outcome;
      return unreachable;
    }
  }
}

export interface ReportSettings {
  readonly commit: string;
  readonly seedsMax: number;
  readonly workers: number;
}

/** The Markdown report of a catalogue run: one row per mutation, then the details of each catch. */
export function markdownReport(mutations: readonly Mutation[], outcomes: ReadonlyMap<string, MutationOutcome>, settings: ReportSettings): string {
  const ran = mutations.filter((mutation) => outcomes.has(mutation.id));
  const caught = ran.filter((mutation) => outcomes.get(mutation.id)!.kind === 'caught').length;
  const lines = [
    '# Mutation check: does the checker catch broken protocol rules?',
    '',
    `Generated by \`npm run mutants\` at commit ${settings.commit}: each mutation is a small patch to \`src/\` that breaks one`,
    `rule (\`sim/mutants/catalogue.ts\`), built in a scratch copy and explored for up to ${settings.seedsMax} seeds of each scenario`,
    'named, stopping at the first seed whose verdict is a safety violation.',
    '',
    `**${caught} of ${ran.length} mutations caught.**`,
    '',
    '| mutation | rule it breaks | result | first catching seed | seeds run |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const mutation of ran) {
    const outcome = outcomes.get(mutation.id)!;
    const seed = outcome.kind === 'caught' ? `${outcome.caught.scenario} ${outcome.caught.seed}` : '—';
    const seedsRun = outcome.kind === 'caught' || outcome.kind === 'missed' ? String(outcome.seedsRun) : '—';
    lines.push(`| \`${mutation.id}\` | ${escapeCell(mutation.rule)} | ${escapeCell(outcomeSummary(outcome))} | ${seed} | ${seedsRun} |`);
  }
  lines.push('', '## What caught each mutation', '');
  for (const mutation of ran) {
    const outcome = outcomes.get(mutation.id)!;
    if (outcome.kind !== 'caught') continue;
    lines.push(`- \`${mutation.id}\` — ${outcome.caught.invariant}: ${escapeCell(outcome.caught.message)}`);
  }
  lines.push('', `Settings: \`--seeds ${settings.seedsMax} --workers ${settings.workers}\`. Reproduce one catch with`, '`npm run mutants -- --only <id>`.', '');
  return lines.join('\n');
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
