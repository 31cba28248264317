/**
 * `ksim explore <scenario|file> --seeds N [--from S]`: seeds S..S+N-1 in this process. Each
 * failing seed writes its run folder and prints its FAIL line as soon as it is found; the summary
 * comes last. Progress is one updating line on stderr, shown only when stderr is a terminal, so
 * logs and pipes stay clean. With `--json`, stdout holds one RunReport per seed (JSON lines) and a
 * final summary object marked `"summary": true`.
 *
 * Only tallies are kept across seeds, never the reports, so a long sweep runs in flat memory.
 */
import type { RunReport } from '../report/runReport.js';
import { loadScenario } from '../scenario/load.js';
import type { Verdict } from '../scenario/types.js';
import { wallClockMs } from '../wallclock.js';
import { SEED_MAX } from './arguments.js';
import { UsageError } from './errors.js';
import { exitCodeOf, VERDICTS_BY_SEVERITY, worstVerdict } from './exitCodes.js';
import { executeSeed, recordFailure } from './execute.js';
import { eventsPerSecond, faultSource, formatInteger, optionsHeader, table, verdictLabel } from './format.js';
import type { Terminal } from './io.js';
import type { VerbContext } from './run.js';

export interface ExploreArguments {
  scenario: string;
  seeds: number;
  from: number;
  json: boolean;
  checkDeterminism: boolean;
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

export function exploreVerb(terminal: Terminal, args: ExploreArguments, context: VerbContext): number {
  const lastSeed = args.from + args.seeds - 1;
  if (lastSeed > SEED_MAX) {
    throw new UsageError(`--from ${args.from} with --seeds ${args.seeds} would go past the largest seed, ${SEED_MAX}.`, 'explore');
  }
  const loaded = loadScenario(args.scenario, terminal.io.cwd, context.lookup);
  const scenario = loaded.scenario;
  const colour = terminal.colour;
  if (!args.json) {
    terminal.line(
      optionsHeader(colour, 'explore', context.version, [
        ['scenario', `${scenario.name} (${loaded.source.path})`],
        ['system', scenario.system],
        ['seeds', `${args.from}..${lastSeed} (${args.seeds})`],
        ['durationMs', String(scenario.durationMs)],
        ['livenessMs', String(scenario.livenessMs)],
        ['faults', faultSource(scenario)],
        ['check-determinism', args.checkDeterminism ? 'on' : 'off'],
      ]),
    );
  }

  const tally: Tally = {
    counts: { pass: 0, violation: 0, liveness: 0, nondeterministic: 0 },
    failing: [],
    anomalies: new Map(),
    anomalyExamples: new Map(),
    violations: new Map(),
    events: 0,
  };
  const startMs = wallClockMs();
  let progressShownAtMs = -Infinity;
  for (let seed = args.from; seed <= lastSeed; seed++) {
    const nowMs = wallClockMs();
    if (nowMs - progressShownAtMs >= PROGRESS_INTERVAL_MS) {
      progressShownAtMs = nowMs;
      terminal.progress(progressLine(seed - args.from, args.seeds, seed, tally, nowMs - startMs));
    }
    terminal.activity = `exploring ${scenario.name}, at seed ${seed}`;
    let report = executeSeed(scenario, seed, { checkDeterminism: args.checkDeterminism });
    if (report.verdict !== 'pass') {
      report = recordFailure(
        { terminal, loaded, version: context.version, json: args.json, replayOptions: { command: context.command, checkDeterminism: args.checkDeterminism } },
        report,
      );
    }
    addToTally(tally, report);
    if (args.json) terminal.line(JSON.stringify(report));
  }
  terminal.activity = undefined;
  terminal.clearProgress();
  const wallMs = Math.round(wallClockMs() - startMs);

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

function progressLine(done: number, total: number, seed: number, tally: Tally, elapsedMs: number): string {
  const failing = tally.counts.violation + tally.counts.liveness + tally.counts.nondeterministic;
  return `[${done}/${total}] seed ${seed}  failing ${failing}  ${formatInteger(eventsPerSecond(tally.events, elapsedMs))} events/s`;
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
