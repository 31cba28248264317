/**
 * `ksim explore <scenario|file> [--seeds N] [--from S] [--shard i/n] [--time-budget D] [--workers W]`:
 * seeds S..S+N-1 (with `--shard i/n`, every n-th of them from the i-th: sweep.ts), on W worker
 * threads (seedPool.ts; default: the machine's cores) or, with `--workers 1`, in this thread.
 * Each failing seed writes its run folder and prints its FAIL line in seed order, as soon as every
 * earlier seed is done; the summary comes last. Everything on stdout and the exit code are the
 * same whatever W is. Progress is one updating line on stderr — seeds done, seeds per minute,
 * failures so far — shown only when stderr is a terminal, so logs and pipes stay clean. With
 * `--json`, stdout holds one RunReport per seed (JSON lines) and a final summary object marked
 * `"summary": true`.
 *
 * Without `--from` the sweep starts at a seed the bin shim draws from the operating system (sim/
 * itself never reads ambient randomness), printed first so the sweep can be repeated. With a
 * `--time-budget`, no seed starts once it is spent: the running seeds finish, and the summary says
 * which seeds were covered. Ctrl-C does the same at once and exits 130 after the summary.
 *
 * Only tallies are kept across seeds, never the reports, so a long sweep runs in flat memory.
 */
import type { RunReport } from '../report/runReport.js';
import { scenarioRunSha256 } from '../report/replay.js';
import { loadScenario } from '../scenario/load.js';
import type { LoadedScenario } from '../scenario/types.js';
import { wallClockMs } from '../wallclock.js';
import { SEED_MAX } from './arguments.js';
import { UsageError } from './errors.js';
import { EXIT_INTERRUPTED, exitCodeOf } from './exitCodes.js';
import { executeSeed, recordFailure } from './execute.js';
import { eventsPerSecond, faultSource, formatInteger, optionsHeader } from './format.js';
import type { Terminal } from './io.js';
import type { VerbContext } from './run.js';
import { type PendingExitCode, runSeedsInThisThread, runSeedsOnWorkers } from './seedPool.js';
import {
  addReport,
  newSweepSummary,
  seedsCovered,
  type Shard,
  shardSeed,
  shardSeedCount,
  type SweepOptions,
  type SweepSummary,
  verdictOfSweep,
} from './sweep.js';
import { type SweepOutputs, summaryJsonLine, sweepSummaryLines, writeSweepOutputs } from './sweepOutput.js';

export interface ExploreArguments extends SweepOutputs {
  scenario: string;
  /** How many seeds; undefined with a time budget (run until it is spent). */
  seeds: number | undefined;
  /** The first seed; undefined: a random one. */
  from: number | undefined;
  shard: Shard | undefined;
  /** Wall milliseconds after which no seed starts. */
  timeBudgetMs: number | undefined;
  json: boolean;
  checkDeterminism: boolean;
  /** Worker threads; 1 runs every seed in this thread. */
  workers: number;
}

/** The most seeds one explore may run; a larger sweep belongs in several processes or shards. */
export const EXPLORE_SEEDS_MAX = 100_000_000;
/** The progress line is redrawn at most this often. */
const PROGRESS_INTERVAL_MS = 100;

export function exploreVerb(terminal: Terminal, args: ExploreArguments, context: VerbContext): number | PendingExitCode {
  const { options, shard, randomFrom } = sweepOf(terminal, args);
  const loaded = loadScenario(args.scenario, terminal.io.cwd, context.lookup);
  const scenario = loaded.scenario;
  const seedCount = shardSeedCount(options, shard);
  if (seedCount === 0) throw new UsageError(`--shard ${shard.index}/${shard.count} gets no seeds of a sweep of ${options.seeds}; use at most ${options.seeds} shards.`, 'explore');
  // More workers than seeds would only start threads that never run one.
  const workers = Math.min(args.workers, seedCount);
  if (randomFrom) {
    const note = `random first seed ${options.from}: repeat this sweep with --from ${options.from}`;
    if (args.json) terminal.errorLine(note);
    else terminal.line(note);
  }
  if (!args.json) terminal.line(optionsHeader(terminal.colour, 'explore', context.version, headerFields(loaded, options, shard, seedCount, args, workers)));

  const exploration = new Exploration(terminal, args, loaded, context, newSweepSummary(context.version, {
    name: scenario.name,
    system: scenario.system,
    expected: scenario.expect,
    sha256: scenarioRunSha256(scenario),
  }, options, shard), seedCount);
  terminal.io.onInterrupt?.(() => exploration.interrupt());
  const pool = {
    firstSeed: shardSeed(options, shard, 0),
    seedCount,
    seedStride: shard.count,
    stopRequested: () => exploration.stopRequested(),
    onSeedDone: (report: RunReport) => exploration.onSeedDone(report),
    onReport: (report: RunReport) => exploration.onReport(report),
  };
  const runSeed = (seed: number): RunReport => {
    terminal.activity = `exploring ${scenario.name}, at seed ${seed}`;
    return executeSeed(scenario, seed, { checkDeterminism: args.checkDeterminism });
  };
  exploration.showProgress(pool.firstSeed);
  if (workers === 1 && terminal.io.onInterrupt !== undefined) {
    // The real process: one seed per turn of the event loop, so Ctrl-C is heard between seeds.
    return runSeedsInThisThread(pool, runSeed).then(() => exploration.finish());
  }
  if (workers === 1) {
    for (let position = 0; position < seedCount && !exploration.stopRequested(); position++) {
      const report = runSeed(shardSeed(options, shard, position));
      exploration.onSeedDone(report);
      exploration.onReport(report);
    }
    return exploration.finish();
  }
  terminal.activity = `exploring ${scenario.name} on ${workers} worker threads`;
  return runSeedsOnWorkers({ ...pool, scenario, workers, checkDeterminism: args.checkDeterminism }).then(() => exploration.finish());
}

/** The sweep the arguments ask for; a random first seed when --from is not given. */
function sweepOf(terminal: Terminal, args: ExploreArguments): { options: SweepOptions; shard: Shard; randomFrom: boolean } {
  if (args.seeds === undefined && args.timeBudgetMs === undefined) {
    throw new UsageError('say how many seeds to run with --seeds N, or give a --time-budget (like 10m) to run seeds until it is spent.', 'explore');
  }
  if (args.from === undefined && args.shard !== undefined) {
    throw new UsageError('--shard needs --from: every shard of a sweep must start from the same seed, so choose one (any whole number) and give it to each.', 'explore');
  }
  const drawn = args.from === undefined;
  const from = args.from ?? randomFirstSeed(terminal);
  const seeds = args.seeds ?? Math.min(EXPLORE_SEEDS_MAX, SEED_MAX - from + 1);
  if (from + seeds - 1 > SEED_MAX) {
    throw new UsageError(`--from ${from} with --seeds ${seeds} would go past the largest seed, ${SEED_MAX}.`, 'explore');
  }
  return {
    options: { from, seeds, checkDeterminism: args.checkDeterminism, timeBudgetMs: args.timeBudgetMs ?? null },
    shard: args.shard ?? { index: 1, count: 1 },
    randomFrom: drawn,
  };
}

function randomFirstSeed(terminal: Terminal): number {
  const draw = terminal.io.randomSeed;
  if (draw === undefined) throw new UsageError('no --from was given and this ksim has no source of random seeds; give --from S.', 'explore');
  return draw();
}

function headerFields(loaded: LoadedScenario, options: SweepOptions, shard: Shard, seedCount: number, args: ExploreArguments, workers: number): Array<[string, string]> {
  const scenario = loaded.scenario;
  const lastSeed = options.from + options.seeds - 1;
  return [
    ['scenario', `${scenario.name} (${loaded.source.path})`],
    ['system', scenario.system],
    ['seeds', args.seeds === undefined ? `${options.from}.. (until the time budget is spent)` : `${options.from}..${lastSeed} (${options.seeds})`],
    ...(shard.count > 1 ? [['shard', `${shard.index}/${shard.count} (${seedCount} seeds)`] as [string, string]] : []),
    ...(options.timeBudgetMs !== null ? [['time-budget', formatDuration(options.timeBudgetMs)] as [string, string]] : []),
    ['durationMs', String(scenario.durationMs)],
    ['livenessMs', String(scenario.livenessMs)],
    ['faults', faultSource(scenario)],
    ['check-determinism', args.checkDeterminism ? 'on' : 'off'],
    ['workers', String(workers)],
  ];
}

/** `10m`, `90s`, `1h30m` as written back for people. */
export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1_000 === 0) return `${ms / 1_000}s`;
  return `${ms}ms`;
}

/**
 * One sweep's state: the summary (tallies and failing seeds only, never the reports) and the
 * progress line. Reports must come in seed order; each failing one gets its run folder and FAIL
 * line here, in that order, whichever thread ran it.
 */
class Exploration {
  private readonly startMs = wallClockMs();
  private progressShownAtMs = -Infinity;
  /** Seeds finished, in whatever order; with workers, ahead of the seeds reported. */
  private seedsDone = 0;
  private failuresDone = 0;
  private nextSeed = 0;
  private interrupted = false;
  private budgetSpent = false;

  constructor(
    private readonly terminal: Terminal,
    private readonly args: ExploreArguments,
    private readonly loaded: LoadedScenario,
    private readonly context: VerbContext,
    private readonly summary: SweepSummary,
    private readonly seedCount: number,
  ) {}

  /** Ctrl-C: no new seed starts; the running ones finish, then the summary of those that did. */
  interrupt(): void {
    if (this.interrupted) return;
    this.interrupted = true;
    this.terminal.errorLine('interrupted: finishing the seeds that are running, then the summary (Ctrl-C again stops at once)');
  }

  /** Asked before each seed starts. */
  stopRequested(): boolean {
    const budget = this.summary.options.timeBudgetMs;
    if (budget !== null && !this.budgetSpent && wallClockMs() - this.startMs >= budget) this.budgetSpent = true;
    return this.interrupted || this.budgetSpent;
  }

  /** A seed finished (with workers, possibly before earlier seeds): progress only. */
  onSeedDone(report: RunReport): void {
    this.seedsDone++;
    if (report.verdict !== 'pass') this.failuresDone++;
    this.showProgress(this.nextSeed);
  }

  /** The next seed's report, in seed order. */
  onReport(report: RunReport): void {
    this.nextSeed = report.seed + this.summary.shards[0]!.count;
    const recorded = report.verdict === 'pass'
      ? report
      : recordFailure(
        {
          terminal: this.terminal,
          loaded: this.loaded,
          version: this.context.version,
          json: this.args.json,
          replayOptions: { command: this.context.command, checkDeterminism: this.args.checkDeterminism },
        },
        report,
      );
    addReport(this.summary, recorded);
    if (this.args.json) this.terminal.line(JSON.stringify({ ...recorded, ksimVersion: this.context.version }));
  }

  showProgress(nextSeed: number): void {
    const nowMs = wallClockMs();
    if (nowMs - this.progressShownAtMs < PROGRESS_INTERVAL_MS) return;
    this.progressShownAtMs = nowMs;
    this.terminal.progress(progressLine(this.seedsDone, this.seedCount, nextSeed, this.failuresDone, this.summary.events, nowMs - this.startMs));
  }

  /** Prints the summary and writes the requested files; returns the exit code. */
  finish(): number {
    const terminal = this.terminal;
    const summary = this.summary;
    terminal.activity = undefined;
    terminal.clearProgress();
    summary.wallMs = Math.round(wallClockMs() - this.startMs);
    summary.end[0] = this.interrupted ? 'interrupted' : this.budgetSpent && seedsCovered(summary) < this.seedCount ? 'time-budget' : 'complete';
    if (this.args.json) terminal.line(summaryJsonLine(summary));
    else for (const line of sweepSummaryLines(terminal.colour, summary)) terminal.line(line);
    writeSweepOutputs(terminal, this.args, summary, this.context.command);
    if (this.interrupted) return EXIT_INTERRUPTED;
    return exitCodeOf(verdictOfSweep(summary));
  }
}

/** `[12/100] seed 13  640 seeds/min  failing 1  52,000 events/s`: seeds done, the next seed in order, the rate and the failures so far. */
function progressLine(done: number, total: number, seed: number, failing: number, events: number, elapsedMs: number): string {
  const seedsPerMinute = elapsedMs > 0 ? Math.round((done * 60_000) / elapsedMs) : 0;
  return `[${done}/${total}] seed ${seed}  ${formatInteger(seedsPerMinute)} seeds/min  failing ${failing}  ${formatInteger(eventsPerSecond(events, elapsedMs))} events/s`;
}
