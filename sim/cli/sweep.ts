/**
 * A sweep: which seeds one `ksim explore` job runs, and the summary of what they gave — the one
 * shape that explore prints, writes with `--summary-json`, and that `ksim merge` reads back from
 * several shard jobs and combines.
 *
 * Seeds. A job runs seeds `from .. from+seeds-1`; with `--shard i/n`, only every n-th of them,
 * starting at the i-th (round robin, so a stretch of slow seeds is shared out rather than landing
 * on one shard). The n shards of one sweep therefore run exactly the seeds one job would, each once.
 * A job stopped early (a time budget, Ctrl-C) has run a prefix of its shard's seeds, in order.
 *
 * Summary. Only tallies and the failing seeds are kept, never the reports, so a long sweep runs in
 * flat memory (a passing seed costs one number: its wall time, for JUnit). Merging is exact: counts
 * add up, failing seeds are sorted back into seed order, and for each allowed anomaly the example
 * is the lowest seed that showed it — what one job over the same seeds would have said.
 *
 * Invariants: `failing` is in increasing seed order; `seedsRun` ≤ the shard's seed count;
 * `wallMsBySeed.length === seedsRun`.
 */
import type { RunReport } from '../report/runReport.js';
import { firstProblem } from '../report/runReport.js';
import type { Verdict } from '../scenario/types.js';
import { shortMessage } from './format.js';

/** The format of a summary file; bumped when its shape changes. */
export const SWEEP_SUMMARY_FORMAT = 1;

/** `--shard i/n`: this job is shard `index` (1-based) of `count`. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** Everything that decides which seeds a sweep runs and how: shards of one sweep agree on all of it. */
export interface SweepOptions {
  readonly from: number;
  /** Seeds in the whole sweep (all shards together); with a time budget and no --seeds, the most it may run. */
  readonly seeds: number;
  readonly checkDeterminism: boolean;
  /** `--time-budget`, in wall ms; null when the sweep runs every seed. */
  readonly timeBudgetMs: number | null;
}

/** Why a sweep stopped: it ran every seed, its time budget ran out, or it was interrupted. */
export type SweepEnd = 'complete' | 'time-budget' | 'interrupted';

export interface FailingSeed {
  seed: number;
  verdict: Verdict;
  invariant: string;
  /** The first problem's message, shortened as the FAIL line shows it. */
  message: string;
  replayFile: string;
}

export interface AnomalyTally {
  seeds: number;
  count: number;
}

export interface SweepSummary {
  ksimSweepSummary: typeof SWEEP_SUMMARY_FORMAT;
  ksimVersion: string;
  scenario: { name: string; system: string; expected: Verdict; sha256: string };
  options: SweepOptions;
  shards: Shard[];
  /** Per shard (same order as `shards`): how many of its seeds ran, a prefix of them. */
  seedsRun: number[];
  end: SweepEnd[];
  counts: Record<Verdict, number>;
  failing: FailingSeed[];
  violations: Record<string, AnomalyTally>;
  anomalies: Record<string, AnomalyTally>;
  /** Per allowed anomaly: the lowest seed that showed it, and the contract's reason there. */
  anomalyExamples: Record<string, { seed: number; reason: string }>;
  events: number;
  wallMs: number;
  /** Per shard, each seed's wall time in its order (for JUnit's per-test time). */
  wallMsBySeed: number[][];
}

/** The i-th seed (0-based) a shard runs. */
export function shardSeed(options: SweepOptions, shard: Shard, position: number): number {
  return options.from + (shard.index - 1) + position * shard.count;
}

/** How many seeds of the sweep fall to a shard. */
export function shardSeedCount(options: SweepOptions, shard: Shard): number {
  const offset = shard.index - 1;
  return offset >= options.seeds ? 0 : Math.floor((options.seeds - 1 - offset) / shard.count) + 1;
}

export function newSweepSummary(version: string, scenario: SweepSummary['scenario'], options: SweepOptions, shard: Shard): SweepSummary {
  return {
    ksimSweepSummary: SWEEP_SUMMARY_FORMAT,
    ksimVersion: version,
    scenario,
    options,
    shards: [shard],
    seedsRun: [0],
    end: ['complete'],
    counts: { pass: 0, violation: 0, liveness: 0, nondeterministic: 0 },
    failing: [],
    violations: {},
    anomalies: {},
    anomalyExamples: {},
    events: 0,
    wallMs: 0,
    wallMsBySeed: [[]],
  };
}

/** The FAIL line's facts of a failing report whose run folder was written. */
export function failingSeedOf(report: RunReport, replayFile: string): FailingSeed {
  const problem = firstProblem(report);
  return {
    seed: report.seed,
    verdict: report.verdict,
    invariant: problem?.invariant ?? '',
    message: problem === undefined ? '' : shortMessage(problem.message),
    replayFile,
  };
}

/** Adds the next seed's report (in the shard's order) to a one-shard summary. */
export function addReport(summary: SweepSummary, report: RunReport): void {
  if (summary.shards.length !== 1) throw new Error('reports are added to one shard\'s summary only');
  summary.seedsRun[0] = (summary.seedsRun[0] ?? 0) + 1;
  summary.wallMsBySeed[0]!.push(report.stats.wallMs);
  summary.counts[report.verdict]++;
  summary.events += report.stats.events;
  if (report.verdict !== 'pass') summary.failing.push(failingSeedOf(report, report.replayFile ?? ''));
  const violationCounts = new Map<string, number>();
  for (const violation of report.violations) violationCounts.set(violation.invariant, (violationCounts.get(violation.invariant) ?? 0) + 1);
  for (const [name, count] of violationCounts) addTally(summary.violations, name, { seeds: 1, count });
  for (const anomaly of report.anomalies) {
    addTally(summary.anomalies, anomaly.anomaly, { seeds: 1, count: anomaly.count });
    if (summary.anomalyExamples[anomaly.anomaly] === undefined) summary.anomalyExamples[anomaly.anomaly] = { seed: report.seed, reason: anomaly.reason };
  }
}

function addTally(tallies: Record<string, AnomalyTally>, name: string, tally: AnomalyTally): void {
  const entry = tallies[name] ?? { seeds: 0, count: 0 };
  entry.seeds += tally.seeds;
  entry.count += tally.count;
  tallies[name] = entry;
}

/** The worst verdict of any seed the summary covers. */
export function verdictOfSweep(summary: SweepSummary): Verdict {
  for (const verdict of ['nondeterministic', 'violation', 'liveness'] as const) if (summary.counts[verdict] > 0) return verdict;
  return 'pass';
}

/** Seeds the summary covers, all shards together. */
export function seedsCovered(summary: SweepSummary): number {
  return summary.seedsRun.reduce((total, count) => total + count, 0);
}

/**
 * Combines shard summaries into the summary of the whole sweep. The caller has checked that they
 * belong together (mergeProblems); shards are put in index order.
 */
export function mergeSweepSummaries(summaries: readonly SweepSummary[]): SweepSummary {
  const first = summaries[0];
  if (first === undefined) throw new Error('nothing to merge');
  const parts = summaries.flatMap((summary) => summary.shards.map((shard, i) => ({ summary, shard, i }))).sort((a, b) => a.shard.index - b.shard.index);
  const merged: SweepSummary = {
    ...newSweepSummary(first.ksimVersion, first.scenario, first.options, { index: 1, count: 1 }),
    shards: parts.map((part) => part.shard),
    seedsRun: parts.map((part) => part.summary.seedsRun[part.i] ?? 0),
    end: parts.map((part) => part.summary.end[part.i] ?? 'complete'),
    wallMsBySeed: parts.map((part) => part.summary.wallMsBySeed[part.i] ?? []),
  };
  for (const summary of summaries) {
    for (const verdict of Object.keys(merged.counts) as Verdict[]) merged.counts[verdict] += summary.counts[verdict];
    merged.failing.push(...summary.failing);
    for (const [name, tally] of Object.entries(summary.violations)) addTally(merged.violations, name, tally);
    for (const [name, tally] of Object.entries(summary.anomalies)) addTally(merged.anomalies, name, tally);
    for (const [name, example] of Object.entries(summary.anomalyExamples)) {
      const known = merged.anomalyExamples[name];
      if (known === undefined || example.seed < known.seed) merged.anomalyExamples[name] = example;
    }
    merged.events += summary.events;
    merged.wallMs += summary.wallMs;
  }
  merged.failing.sort((a, b) => a.seed - b.seed);
  return merged;
}

/**
 * Why these summaries cannot be merged into one sweep, or an empty list: each must be a sweep
 * summary of this ksim version, of the same scenario (by what decides its runs) with the same
 * options, cut into the same number of shards, each shard present exactly once.
 */
export function mergeProblems(summaries: ReadonlyArray<{ file: string; summary: SweepSummary }>, ourVersion: string): string[] {
  const problems: string[] = [];
  const first = summaries[0];
  if (first === undefined) return ['no summary files were given'];
  for (const { file, summary } of summaries) {
    if (summary.ksimVersion !== ourVersion) problems.push(`${file} was written by ksim ${summary.ksimVersion}, this is ksim ${ourVersion} (seeds give other runs in other versions)`);
    if (summary.scenario.name !== first.summary.scenario.name || summary.scenario.sha256 !== first.summary.scenario.sha256) {
      problems.push(`${file} is a sweep of scenario ${summary.scenario.name} (${summary.scenario.sha256.slice(0, 12)}), ${first.file} of ${first.summary.scenario.name} (${first.summary.scenario.sha256.slice(0, 12)})`);
    }
    const options = JSON.stringify(summary.options);
    if (options !== JSON.stringify(first.summary.options)) problems.push(`${file} ran with other options (${options}) than ${first.file} (${JSON.stringify(first.summary.options)})`);
  }
  const shards = summaries.flatMap(({ file, summary }) => summary.shards.map((shard) => ({ file, shard })));
  const count = shards[0]?.shard.count ?? 1;
  if (shards.some(({ shard }) => shard.count !== count)) problems.push(`the summaries cut the sweep into different numbers of shards (${[...new Set(shards.map(({ shard }) => shard.count))].join(' and ')})`);
  for (let index = 1; index <= count; index++) {
    const holders = shards.filter(({ shard }) => shard.index === index);
    if (holders.length === 0) problems.push(`shard ${index}/${count} is missing`);
    if (holders.length > 1) problems.push(`shard ${index}/${count} is given twice (${holders.map(({ file }) => file).join(', ')})`);
  }
  return problems;
}
