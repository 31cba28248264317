/**
 * `npm run mutants`: measures the checker with the mutation catalogue (catalogue.ts). The
 * repository is copied once to a scratch folder outside it (the system's temporary directory,
 * node_modules linked, never copied) and built there with an incremental tsc; each mutation is
 * then a copy of that build with its edits applied and rebuilt, explored with the scratch copy's
 * own `ksim explore --json` in chunks of seeds, scenario after scenario, until the first seed with
 * a safety violation or the seed budget. The report goes to reports/mutants.md.
 *
 * Invariants: the repository itself is never written except for the report; a mutation whose
 * edits do not apply exactly once is never built (it is reported NOT APPLIED and the run fails);
 * the first catching seed does not depend on --workers (explore reports seeds in order).
 * Left out: running mutations side by side — the machine this was written on is shared, and one
 * explore already takes --workers.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { wallClockMs } from '../wallclock.js';
import { MUTATIONS, type Mutation, mutationNamed } from './catalogue.js';
import { MUTANTS_EXIT, type MutationOutcome, firstCatch, livenessSeeds, markdownReport, mutantsExitCode, outcomeSummary, parseExploreLines } from './outcome.js';
import { applyEdits, planEdits } from './patch.js';


const SEEDS_DEFAULT = 500;
/** Seeds per explore process, per worker: a catch costs at most this many seeds more. */
const CHUNK_SEEDS_PER_WORKER = 4;
/** What the scratch copy needs to build and run ksim; tests, reports and dist stay behind. */
const COPIED = ['src', 'sim', 'bin', 'scenarios', 'scripts', 'package.json', 'tsconfig.json', 'tsconfig.build.json'];
const BUILD_INFO = 'mutants.tsbuildinfo';
const OUTPUT_TAIL_CHARS = 4000;

export interface MutantsArguments {
  readonly seeds: number;
  readonly workers: number;
  readonly only: readonly Mutation[];
  readonly out: string;
  readonly keep: boolean;
}

class MutantsUsageError extends Error {}

const USAGE = 'npm run mutants -- [--seeds N (default 500)] [--workers W (default 1)] [--only id,id] [--out FILE (default reports/mutants.md)] [--keep]';

/** Parses the command line; throws MutantsUsageError with one paragraph on a mistake. */
export function parseMutantsArguments(argv: readonly string[], root: string): MutantsArguments {
  let seeds = SEEDS_DEFAULT;
  let workers = 1;
  let only: readonly Mutation[] = MUTATIONS;
  let out = join(root, 'reports', 'mutants.md');
  let keep = false;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = (): string => {
      const next = argv[++i];
      if (next === undefined) throw new MutantsUsageError(`${flag} needs a value. Usage: ${USAGE}`);
      return next;
    };
    switch (flag) {
      case '--seeds':
        seeds = positiveInteger(flag, value());
        break;
      case '--workers':
        workers = positiveInteger(flag, value());
        break;
      case '--only':
        only = value().split(',').map((id) => {
          const mutation = mutationNamed(id.trim());
          if (mutation === undefined) throw new MutantsUsageError(`--only names "${id}", which is not in the catalogue. Allowed: ${MUTATIONS.map((m) => m.id).join(', ')}.`);
          return mutation;
        });
        break;
      case '--out':
        out = resolve(value());
        break;
      case '--keep':
        keep = true;
        break;
      default:
        throw new MutantsUsageError(`Unknown option "${flag}". Usage: ${USAGE}`);
    }
  }
  return { seeds, workers, only, out, keep };
}

function positiveInteger(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1) throw new MutantsUsageError(`${flag} must be a whole number of at least 1, not "${text}". Usage: ${USAGE}`);
  return value;
}

/** Runs the catalogue (or the mutations named) and writes the report; returns the exit code. */
export function runMutants(argv: readonly string[], root: string): number {
  let args: MutantsArguments;
  try {
    args = parseMutantsArguments(argv, root);
  } catch (error) {
    if (!(error instanceof MutantsUsageError)) throw error;
    process.stderr.write(`mutants: ${error.message}\n`);
    return MUTANTS_EXIT.usage;
  }
  // The commit the sources were copied at, not the one checked out when a long run ends.
  const commit = commitOf(root);
  const scratch = mkdtempSync(join(tmpdir(), 'ksim-mutants-'));
  try {
    const base = join(scratch, 'base');
    copyRepository(root, base);
    log(`building the unmutated copy in ${base}`);
    const baseBuild = build(base, true);
    if (baseBuild !== null) {
      process.stderr.write(`mutants: the unmutated repository does not build in ${base}:\n${baseBuild}\n`);
      return MUTANTS_EXIT.notTested;
    }
    const outcomes = new Map<string, MutationOutcome>();
    for (const mutation of args.only) {
      const outcome = runOneMutation(mutation, base, join(scratch, mutation.id), args);
      outcomes.set(mutation.id, outcome);
      log(`${mutation.id}: ${outcomeSummary(outcome)}`);
    }
    const report = markdownReport(args.only, outcomes, { commit, seedsMax: args.seeds, workers: args.workers });
    try {
      writeFileSync(args.out, report);
    } catch {
      process.stderr.write(`mutants: cannot write the report to ${args.out}.\n`);
      return MUTANTS_EXIT.io;
    }
    process.stdout.write(report);
    return mutantsExitCode(outcomes);
  } finally {
    if (args.keep) log(`scratch copies kept in ${scratch}`);
    else rmSync(scratch, { recursive: true, force: true });
  }
}

function runOneMutation(mutation: Mutation, base: string, directory: string, args: MutantsArguments): MutationOutcome {
  const startMs = wallClockMs();
  const planned = planEdits(base, mutation.edits);
  if ('problems' in planned) return { kind: 'not-applied', problems: planned.problems };
  copyBuild(base, directory);
  const problems = applyEdits(directory, mutation.edits);
  if (problems.length > 0) return { kind: 'not-applied', problems };
  log(`${mutation.id}: building`);
  const buildOutput = build(directory, false);
  if (buildOutput !== null) return { kind: 'build-failed', output: buildOutput };
  let seedsRun = 0;
  const liveness: number[] = [];
  try {
    for (const scenario of mutation.scenarios) {
      const chunkSeeds = CHUNK_SEEDS_PER_WORKER * args.workers;
      for (let from = 1; from <= args.seeds; from += chunkSeeds) {
        const count = Math.min(chunkSeeds, args.seeds - from + 1);
        log(`${mutation.id}: ${scenario} seeds ${from}..${from + count - 1}`);
        const explored = explore(directory, scenario, from, count, args.workers);
        if ('exitCode' in explored) return { kind: 'explore-failed', scenario, exitCode: explored.exitCode, output: explored.output };
        // A sweep that reports fewer seeds than it ran would count a miss that tested nothing.
        if (explored.results.length !== count) return { kind: 'explore-failed', scenario, exitCode: 0, output: `explore reported ${explored.results.length} of ${count} seeds` };
        seedsRun += explored.results.length;
        liveness.push(...livenessSeeds(explored.results));
        const caught = firstCatch(scenario, explored.results);
        if (caught !== null) return { kind: 'caught', caught, seedsRun, wallMs: Math.round(wallClockMs() - startMs) };
      }
    }
    return { kind: 'missed', seedsRun, livenessSeeds: liveness, wallMs: Math.round(wallClockMs() - startMs) };
  } finally {
    if (!args.keep) rmSync(directory, { recursive: true, force: true });
  }
}

/** One explore process; its per-seed results, or its exit code and output when it failed. */
function explore(directory: string, scenario: string, from: number, count: number, workers: number): { results: ReturnType<typeof parseExploreLines> } | { exitCode: number | null; output: string } {
  const run = spawnSync(
    process.execPath,
    [join(directory, 'bin', 'ksim.js'), 'explore', scenario, '--from', String(from), '--seeds', String(count), '--workers', String(workers), '--json'],
    { cwd: directory, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
  );
  // 0 pass, 1 violation, 2 liveness: the verdicts a mutation may give; anything else is a failure.
  if (run.status === null || run.status > 2) return { exitCode: run.status, output: tail(`${run.stdout ?? ''}${run.stderr ?? ''}`) };
  return { results: parseExploreLines(run.stdout) };
}

function copyRepository(root: string, base: string): void {
  mkdirSync(base, { recursive: true });
  for (const entry of COPIED) cpSync(join(root, entry), join(base, entry), { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(base, 'node_modules'), 'dir');
}

/** Copies the built base, node_modules linked again rather than copied. */
function copyBuild(base: string, directory: string): void {
  cpSync(base, directory, { recursive: true, verbatimSymlinks: true, filter: (source) => source !== join(base, 'node_modules') });
  symlinkSync(join(base, 'node_modules'), join(directory, 'node_modules'), 'dir');
}

/**
 * Compiles with an incremental tsc (a mutant recompiles only what its edits touch); the base also
 * precompiles the validators and scenarios, which no mutation changes. Returns null on success,
 * else the build's output.
 */
function build(directory: string, precompile: boolean): string | null {
  const tsc = join(directory, 'node_modules', 'typescript', 'bin', 'tsc');
  const steps: string[][] = [[tsc, '-p', 'tsconfig.build.json', '--incremental', '--tsBuildInfoFile', BUILD_INFO]];
  if (precompile) steps.push([join('scripts', 'precompile-validators.mjs')], [join('scripts', 'precompile-scenarios.mjs')]);
  for (const step of steps) {
    const run = spawnSync(process.execPath, step, { cwd: directory, encoding: 'utf8' });
    if (run.status !== 0) return tail(`${step.join(' ')}\n${run.stdout ?? ''}${run.stderr ?? ''}`);
  }
  return null;
}

function commitOf(root: string): string {
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' });
  const status = spawnSync('git', ['status', '--porcelain', '--', 'src'], { cwd: root, encoding: 'utf8' });
  const commit = head.status === 0 ? head.stdout.trim() : 'unknown';
  return status.status === 0 && status.stdout.trim() !== '' ? `${commit} (src/ modified)` : commit;
}

function tail(text: string): string {
  return text.length > OUTPUT_TAIL_CHARS ? `…${text.slice(-OUTPUT_TAIL_CHARS)}` : text;
}

function log(line: string): void {
  process.stderr.write(`mutants: ${line}\n`);
}
