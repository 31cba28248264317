/**
 * `ksim explore <scenario|file> --seeds N [--from S] [--workers W]`: seeds S..S+N-1, on W worker
 * threads (seedPool.ts; default: the machine's cores) or, with `--workers 1`, in this thread.
 * Each failing seed writes its run folder and prints its FAIL line in seed order, as soon as every
 * earlier seed is done; the summary comes last. Everything on stdout and the exit code are the
 * same whatever W is. Progress is one updating line on stderr — seeds done, seeds per minute,
 * failures so far — shown only when stderr is a terminal, so logs and pipes stay clean. With
 * `--json`, stdout holds one RunReport per seed (JSON lines) and a final summary object marked
 * `"summary": true`.
 *
 * Only tallies are kept across seeds, never the reports, so a long sweep runs in flat memory.
 */
import type { RunReport } from '../report/runReport.js';
import { loadScenario } from '../scenario/load.js';
import type { LoadedScenario, Verdict } from '../scenario/types.js';
import { wallClockMs } from '../wallclock.js';
import { SEED_MAX } from './arguments.js';
import { UsageError } from './errors.js';
import { exitCodeOf, VERDICTS_BY_SEVERITY, worstVerdict } from './exitCodes.js';
import { executeSeed, recordFailure } from './execute.js';
import { eventsPerSecond, faultSource, formatInteger, optionsHeader, table, verdictLabel } from './format.js';
import type { Terminal } from './io.js';
import type { VerbContext } from './run.js';
import { type PendingExitCode, runSeedsOnWorkers } from './seedPool.js';

export interface ExploreArguments {
  scenario: string;
  seeds: number;
  from: number;
  json: boolean;
  checkDeterminism: boolean;
  /** Worker threads; 1 runs every seed in this thread. */
  workers: number;
}

/** Failing seeds listed in the human summary; their FAIL lines above list them all. */
const FAILING_SEEDS_SHOWN_MAX = 20;
/** The summary table's rows, in the order of the JSON summary's fields. */
const VERDICTS_IN_TABLE: readonly Verdict[] = ['pass', 'violation', 'liveness', 'nondeterministic'];
/** The progress line is redrawn at most this often. */
const PROGRESS_INTERVAL_MS = 100;

interface Tally {
  counts: Record<Verdict, number>;
  failing: Array<{ seed: number; verdict: Verdict; invariant: string; replayFile: string }>;
  /** Per anomaly or violation name: in how many seeds it appeared, and how often in all. */
  anomalies: Map<string, { seeds: number; count: number }>;
  /** Per allowed anomaly: the first seed that showed it, and the contract's reason there. */
  anomalyExamples: Map<string, { seed: number; reason: string }>;
  violations: Map<string, { seeds: number; count: number }>;
  events: number;
}

export function exploreVerb(terminal: Terminal, args: ExploreArguments, context: VerbContext): number | PendingExitCode {
  const lastSeed = args.from + args.seeds - 1;
  if (lastSeed > SEED_MAX) {
    throw new UsageError(`--from ${args.from} with --seeds ${args.seeds} would go past the largest seed, ${SEED_MAX}.`, 'explore');
  }
  const loaded = loadScenario(args.scenario, terminal.io.cwd, context.lookup);
  const scenario = loaded.scenario;
  // More workers than seeds would only start threads that never run one.
  const workers = Math.min(args.workers, args.seeds);
  if (!args.json) {
    terminal.line(
      optionsHeader(terminal.colour, 'explore', context.version, [
        ['scenario', `${scenario.name} (${loaded.source.path})`],
        ['system', scenario.system],
        ['seeds', `${args.from}..${lastSeed} (${args.seeds})`],
        ['durationMs', String(scenario.durationMs)],
        ['livenessMs', String(scenario.livenessMs)],
        ['faults', faultSource(scenario)],
        ['check-determinism', args.checkDeterminism ? 'on' : 'off'],
        ['workers', String(workers)],
      ]),
    );
  }
  const exploration = new Exploration(terminal, args, loaded, context);
  if (workers === 1) {
    for (let seed = args.from; seed <= lastSeed; seed++) {
      exploration.showProgress(seed);
      terminal.activity = `exploring ${scenario.name}, at seed ${seed}`;
      const report = executeSeed(scenario, seed, { checkDeterminism: args.checkDeterminism });
      exploration.onSeedDone(report);
      exploration.onReport(report);
    }
    return exploration.finish();
  }
  terminal.activity = `exploring ${scenario.name} on ${workers} worker threads`;
  exploration.showProgress(args.from);
  return runSeedsOnWorkers({
    scenario,
    firstSeed: args.from,
    seedCount: args.seeds,
    workers,
    checkDeterminism: args.checkDeterminism,
    onSeedDone: (report) => exploration.onSeedDone(report),
    onReport: (report) => exploration.onReport(report),
  }).then(() => exploration.finish());
}

/**
 * One sweep's state: the tallies (never the reports, so a long sweep runs in flat memory) and the
 * progress line. Reports must come in seed order; each failing one gets its run folder and FAIL
 * line here, in that order, whichever thread ran it.
 */
class Exploration {
  private readonly tally: Tally = {
    counts: { pass: 0, violation: 0, liveness: 0, nondeterministic: 0 },
    failing: [],
    anomalies: new Map(),
    anomalyExamples: new Map(),
    violations: new Map(),
    events: 0,
  };
  private readonly startMs = wallClockMs();
  private progressShownAtMs = -Infinity;
  /** Seeds finished, in whatever order; with workers, ahead of the seeds reported. */
  private seedsDone = 0;
  private failuresDone = 0;
  private nextSeed: number;

  constructor(
    private readonly terminal: Terminal,
    private readonly args: ExploreArguments,
    private readonly loaded: LoadedScenario,
    private readonly context: VerbContext,
  ) {
    this.nextSeed = args.from;
  }

  /** A seed finished (with workers, possibly before earlier seeds): progress only. */
  onSeedDone(report: RunReport): void {
    this.seedsDone++;
    if (report.verdict !== 'pass') this.failuresDone++;
    this.showProgress(this.nextSeed);
  }

  /** The next seed's report, in seed order. */
  onReport(report: RunReport): void {
    this.nextSeed = report.seed + 1;
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
    addToTally(this.tally, recorded);
    if (this.args.json) this.terminal.line(JSON.stringify(recorded));
  }

  showProgress(nextSeed: number): void {
    const nowMs = wallClockMs();
    if (nowMs - this.progressShownAtMs < PROGRESS_INTERVAL_MS) return;
    this.progressShownAtMs = nowMs;
    this.terminal.progress(progressLine(this.seedsDone, this.args.seeds, nextSeed, this.failuresDone, this.tally.events, nowMs - this.startMs));
  }

  /** Prints the summary; returns the exit code, the worst verdict of any seed. */
  finish(): number {
    const terminal = this.terminal;
    const tally = this.tally;
    const args = this.args;
    const scenario = this.loaded.scenario;
    terminal.activity = undefined;
    terminal.clearProgress();
    const wallMs = Math.round(wallClockMs() - this.startMs);
    if (args.json) {
      terminal.line(JSON.stringify({
        summary: true,
        scenario: scenario.name,
        system: scenario.system,
        expected: scenario.expect,
        seeds: args.seeds,
        from: args.from,
        ...tally.counts,
        failingSeeds: tally.failing.map((failure) => failure.seed),
        violations: Object.fromEntries(tally.violations),
        anomalies: Object.fromEntries(tally.anomalies),
        events: tally.events,
        wallMs,
        eventsPerSecond: eventsPerSecond(tally.events, wallMs),
      }));
    } else {
      for (const line of summaryLines(terminal, tally, args, scenario.expect, wallMs)) terminal.line(line);
    }
    return exitCodeOf(worstVerdict(VERDICTS_BY_SEVERITY.filter((verdict) => tally.counts[verdict] > 0)));
  }
}

function addToTally(tally: Tally, report: RunReport): void {
  tally.counts[report.verdict]++;
  tally.events += report.stats.events;
  if (report.verdict !== 'pass') {
    tally.failing.push({
      seed: report.seed,
      verdict: report.verdict,
      invariant: report.violations[0]?.invariant ?? (report.verdict === 'nondeterministic' ? 'trace-hash' : ''),
      replayFile: report.replayFile ?? '',
    });
  }
  const violationCounts = new Map<string, number>();
  for (const violation of report.violations) violationCounts.set(violation.invariant, (violationCounts.get(violation.invariant) ?? 0) + 1);
  for (const [name, count] of violationCounts) addCount(tally.violations, name, count);
  for (const anomaly of report.anomalies) {
    addCount(tally.anomalies, anomaly.anomaly, anomaly.count);
    if (!tally.anomalyExamples.has(anomaly.anomaly)) tally.anomalyExamples.set(anomaly.anomaly, { seed: report.seed, reason: anomaly.reason });
  }
}

function addCount(counts: Map<string, { seeds: number; count: number }>, name: string, count: number): void {
  const entry = counts.get(name) ?? { seeds: 0, count: 0 };
  entry.seeds++;
  entry.count += count;
  counts.set(name, entry);
}

/** `[12/100] seed 13  640 seeds/min  failing 1  52,000 events/s`: seeds done, the next seed in order, the rate and the failures so far. */
function progressLine(done: number, total: number, seed: number, failing: number, events: number, elapsedMs: number): string {
  const seedsPerMinute = elapsedMs > 0 ? Math.round((done * 60_000) / elapsedMs) : 0;
  return `[${done}/${total}] seed ${seed}  ${formatInteger(seedsPerMinute)} seeds/min  failing ${failing}  ${formatInteger(eventsPerSecond(events, elapsedMs))} events/s`;
}

function summaryLines(terminal: Terminal, tally: Tally, args: ExploreArguments, expected: Verdict, wallMs: number): string[] {
  const colour = terminal.colour;
  const lines: string[] = [''];
  lines.push(colour.bold(`explored ${formatInteger(args.seeds)} ${args.seeds === 1 ? 'seed' : 'seeds'} (expected verdict: ${expected})`));
  const rows: string[][] = [['verdict', 'seeds']];
  for (const verdict of VERDICTS_IN_TABLE) rows.push([verdictLabel(colour, verdict), formatInteger(tally.counts[verdict])]);
  for (const line of table(rows, [1])) lines.push(`  ${line}`);
  lines.push(`violations found: ${namedCounts(tally.violations)}`);
  lines.push(`allowed anomalies: ${namedCounts(tally.anomalies)}`);
  if (tally.anomalyExamples.size > 0) {
    // Without the reason, "allowed" reads like an excuse: say what the contract says, once each.
    lines.push(colour.dim('why each is allowed (the first seed that showed it):'));
    const names = [...tally.anomalyExamples.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const name of names) {
      const example = tally.anomalyExamples.get(name)!;
      lines.push(`  ${name} (seed ${example.seed}): ${example.reason}`);
    }
  }
  lines.push(
    `events: ${formatInteger(tally.events)} in ${formatInteger(wallMs)} wall ms (${formatInteger(eventsPerSecond(tally.events, wallMs))} events/s)`,
  );
  if (tally.failing.length === 0) return lines;
  lines.push(`failing seeds (${tally.failing.length}):`);
  const rowsFailing = tally.failing
    .slice(0, FAILING_SEEDS_SHOWN_MAX)
    .map((failure) => [`seed ${failure.seed}`, failure.verdict, failure.invariant, `npx ksim replay ${failure.replayFile}`]);
  for (const line of table(rowsFailing)) lines.push(`  ${line}`);
  if (tally.failing.length > FAILING_SEEDS_SHOWN_MAX) {
    lines.push(`  … and ${tally.failing.length - FAILING_SEEDS_SHOWN_MAX} more (each has its FAIL line above)`);
  }
  return lines;
}

/** `lost-ack in 2 seeds (×5), torn-write in 1 seed (×1)`, most seeds first, or `none`. */
function namedCounts(counts: Map<string, { seeds: number; count: number }>): string {
  if (counts.size === 0) return 'none';
  return [...counts.entries()]
    .sort(([nameA, a], [nameB, b]) => b.seeds - a.seeds || (nameA < nameB ? -1 : nameA > nameB ? 1 : 0))
    .map(([name, entry]) => `${name} in ${entry.seeds} ${entry.seeds === 1 ? 'seed' : 'seeds'} (×${entry.count})`)
    .join(', ');
}
