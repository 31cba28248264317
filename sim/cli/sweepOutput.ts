/**
 * What a sweep says when it ends, in each form a person or a CI reads: the summary lines on
 * stdout, the `"summary": true` JSON line, and the files asked for with `--summary-json` (the
 * summary `ksim merge` reads back), `--junit` (one test case per seed; a failing one carries the
 * anomaly and the replay command) and `--summary-md` (a short table for a job summary page).
 * `ksim explore` and `ksim merge` print the same things from the same summary, so a merged sweep
 * reads exactly like one job over the same seeds.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ChalkInstance } from 'chalk';
import type { Verdict } from '../scenario/types.js';
import { writingFile } from './errors.js';
import { eventsPerSecond, formatInteger, table, verdictLabel } from './format.js';
import type { Terminal } from './io.js';
import { type FailingSeed, seedsCovered, shardSeed, shardSeedCount, type SweepSummary, verdictOfSweep } from './sweep.js';

/** The files a sweep may write when it ends. */
export interface SweepOutputs {
  summaryJson?: string | undefined;
  junit?: string | undefined;
  summaryMd?: string | undefined;
}

/** Failing seeds listed in the human summary; their FAIL lines above list them all. */
const FAILING_SEEDS_SHOWN_MAX = 20;
/** Failing seeds listed in the Markdown summary. */
const FAILING_SEEDS_IN_MARKDOWN_MAX = 50;
/** The summary table's rows. */
const VERDICTS_IN_TABLE: readonly Verdict[] = ['pass', 'violation', 'liveness', 'nondeterministic'];

/** `FAIL seed=<N> <verdict> <first invariant>: <message> — replay: npx ksim replay <file>` */
export function failLineOf(failure: FailingSeed, failLabel = 'FAIL'): string {
  const what = failure.invariant === '' ? '' : ` ${failure.invariant}: ${failure.message}`;
  return `${failLabel} seed=${failure.seed} ${failure.verdict}${what} — ${replayCommandOf(failure)}`;
}

function replayCommandOf(failure: FailingSeed): string {
  return `replay: npx ksim replay ${failure.replayFile}`;
}

/** The summary that ends the human output of explore and merge. */
export function sweepSummaryLines(colour: ChalkInstance, summary: SweepSummary): string[] {
  const covered = seedsCovered(summary);
  const lines: string[] = [''];
  lines.push(colour.bold(`explored ${formatInteger(covered)} ${covered === 1 ? 'seed' : 'seeds'} (expected verdict: ${summary.scenario.expected})`));
  lines.push(...coverageLines(summary));
  const rows: string[][] = [['verdict', 'seeds']];
  // A verdict no seed reached is not news: only counts above zero get the verdict's colour.
  for (const verdict of VERDICTS_IN_TABLE) rows.push([summary.counts[verdict] > 0 ? verdictLabel(colour, verdict) : verdict, formatInteger(summary.counts[verdict])]);
  for (const line of table(rows, [1])) lines.push(`  ${line}`);
  lines.push(`violations found: ${namedCounts(summary.violations)}`);
  lines.push(`allowed anomalies: ${namedCounts(summary.anomalies)}`);
  const names = Object.keys(summary.anomalyExamples).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (names.length > 0) {
    // Without the reason, "allowed" reads like an excuse: say what the contract says, once each.
    lines.push(colour.dim('why each is allowed (the first seed that showed it):'));
    for (const name of names) {
      const example = summary.anomalyExamples[name]!;
      lines.push(`  ${name} (seed ${example.seed}): ${example.reason}`);
    }
  }
  lines.push(`events: ${formatInteger(summary.events)} in ${formatInteger(summary.wallMs)} wall ms (${formatInteger(eventsPerSecond(summary.events, summary.wallMs))} events/s)`);
  if (summary.failing.length === 0) return lines;
  lines.push(`failing seeds (${summary.failing.length}):`);
  const rowsFailing = summary.failing
    .slice(0, FAILING_SEEDS_SHOWN_MAX)
    .map((failure) => [`seed ${failure.seed}`, failure.verdict, failure.invariant, `npx ksim replay ${failure.replayFile}`]);
  for (const line of table(rowsFailing)) lines.push(`  ${line}`);
  if (summary.failing.length > FAILING_SEEDS_SHOWN_MAX) {
    lines.push(`  … and ${summary.failing.length - FAILING_SEEDS_SHOWN_MAX} more (each has its FAIL line above)`);
  }
  return lines;
}

/**
 * Which seeds ran, when that is not simply all of them from one job: each shard's share, and
 * where a time budget or Ctrl-C stopped it (a prefix of its seeds, so the rest can be run later).
 */
function coverageLines(summary: SweepSummary): string[] {
  // Every shard ran all its seeds: the sweep is whole, however many jobs ran it.
  const complete = summary.end.every((end) => end === 'complete');
  if (complete && summary.shards.length === (summary.shards[0]?.count ?? 1)) return [];
  const lines: string[] = [];
  summary.shards.forEach((shard, i) => {
    const total = shardSeedCount(summary.options, shard);
    const ran = summary.seedsRun[i] ?? 0;
    const end = summary.end[i] ?? 'complete';
    const which = shard.count === 1 ? 'seeds' : `shard ${shard.index}/${shard.count}`;
    const range = ran === 0 ? 'none' : ran === 1 ? `seed ${shardSeed(summary.options, shard, 0)}` : `seeds ${shardSeed(summary.options, shard, 0)}..${shardSeed(summary.options, shard, ran - 1)}${shard.count > 1 ? ` (every ${ordinal(shard.count)})` : ''}`;
    const why = end === 'time-budget' ? ', then the time budget ran out' : end === 'interrupted' ? ', then it was interrupted' : '';
    lines.push(`covered: ${which}: ${formatInteger(ran)} of ${formatInteger(total)}, ${range}${why}`);
  });
  return lines;
}

function ordinal(count: number): string {
  const suffix = count % 100 >= 11 && count % 100 <= 13 ? 'th' : count % 10 === 1 ? 'st' : count % 10 === 2 ? 'nd' : count % 10 === 3 ? 'rd' : 'th';
  return `${count}${suffix}`;
}

/** `lost-ack in 2 seeds (×5), torn-write in 1 seed (×1)`, most seeds first, or `none`. */
function namedCounts(counts: Record<string, { seeds: number; count: number }>): string {
  const entries = Object.entries(counts);
  if (entries.length === 0) return 'none';
  return entries
    .sort(([nameA, a], [nameB, b]) => b.seeds - a.seeds || (nameA < nameB ? -1 : nameA > nameB ? 1 : 0))
    .map(([name, entry]) => `${name} in ${entry.seeds} ${entry.seeds === 1 ? 'seed' : 'seeds'} (×${entry.count})`)
    .join(', ');
}

/** The `"summary": true` JSON line that ends `--json` output. */
export function summaryJsonLine(summary: SweepSummary): string {
  return JSON.stringify({
    summary: true,
    ksimVersion: summary.ksimVersion,
    scenario: summary.scenario.name,
    system: summary.scenario.system,
    expected: summary.scenario.expected,
    verdict: verdictOfSweep(summary),
    seeds: seedsCovered(summary),
    from: summary.options.from,
    shards: summary.shards.map((shard) => `${shard.index}/${shard.count}`),
    end: summary.end,
    ...summary.counts,
    failingSeeds: summary.failing.map((failure) => failure.seed),
    violations: summary.violations,
    anomalies: summary.anomalies,
    events: summary.events,
    wallMs: summary.wallMs,
    eventsPerSecond: eventsPerSecond(summary.events, summary.wallMs),
  });
}

/** Writes the files a sweep was asked for; a path it cannot write is exit 74 (IoError). */
export function writeSweepOutputs(terminal: Terminal, outputs: SweepOutputs, summary: SweepSummary, command: string): void {
  const write = (what: string, path: string | undefined, text: () => string): void => {
    if (path === undefined) return;
    writingFile(what, path, () => writeFileSync(resolve(terminal.io.cwd, path), text()));
  };
  write('the summary file', outputs.summaryJson, () => `${JSON.stringify(summary, null, 2)}\n`);
  write('the JUnit file', outputs.junit, () => junitXml(summary));
  write('the Markdown summary', outputs.summaryMd, () => summaryMarkdown(summary, command));
}

/**
 * JUnit XML, as Jenkins, GitLab, GitHub's test reporters and most CI tools read it (the Jenkins
 * JUnit schema): one `testsuite` for the sweep, one `testcase` per seed that ran, in seed order;
 * a violation or liveness failure is a `failure`, non-determinism an `error` (the run itself
 * cannot be trusted), each carrying the anomaly and the replay command.
 */
export function junitXml(summary: SweepSummary): string {
  const failing = new Map(summary.failing.map((failure) => [failure.seed, failure]));
  const cases: Array<{ seed: number; wallMs: number }> = [];
  summary.shards.forEach((shard, i) => {
    const times = summary.wallMsBySeed[i] ?? [];
    for (let position = 0; position < (summary.seedsRun[i] ?? 0); position++) cases.push({ seed: shardSeed(summary.options, shard, position), wallMs: times[position] ?? 0 });
  });
  cases.sort((a, b) => a.seed - b.seed);
  const failures = summary.counts.violation + summary.counts.liveness;
  const errors = summary.counts.nondeterministic;
  const seconds = (ms: number): string => (ms / 1000).toFixed(3);
  const classname = `ksim.${summary.scenario.name}`;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="ksim explore" tests="${cases.length}" failures="${failures}" errors="${errors}" time="${seconds(summary.wallMs)}">`,
    `  <testsuite name="${xmlAttribute(classname)}" tests="${cases.length}" failures="${failures}" errors="${errors}" skipped="0" time="${seconds(summary.wallMs)}">`,
    '    <properties>',
    ...[
      ['ksimVersion', summary.ksimVersion],
      ['scenario', summary.scenario.name],
      ['system', summary.scenario.system],
      ['expected', summary.scenario.expected],
      ['from', String(summary.options.from)],
      ['seeds', String(summary.options.seeds)],
      ['shards', summary.shards.map((shard) => `${shard.index}/${shard.count}`).join(',')],
    ].map(([name, value]) => `      <property name="${xmlAttribute(name!)}" value="${xmlAttribute(value!)}"/>`),
    '    </properties>',
  ];
  for (const { seed, wallMs } of cases) {
    const failure = failing.get(seed);
    const open = `    <testcase name="seed ${seed}" classname="${xmlAttribute(classname)}" time="${seconds(wallMs)}"`;
    if (failure === undefined) {
      lines.push(`${open}/>`);
      continue;
    }
    const element = failure.verdict === 'nondeterministic' ? 'error' : 'failure';
    const message = `${failure.verdict}${failure.invariant === '' ? '' : ` ${failure.invariant}: ${failure.message}`}`;
    lines.push(`${open}>`);
    lines.push(`      <${element} type="${failure.verdict}" message="${xmlAttribute(message)}">${xmlText(`${failLineOf(failure)}\nnpx ksim replay ${failure.replayFile}`)}</${element}>`);
    lines.push('    </testcase>');
  }
  lines.push('  </testsuite>', '</testsuites>', '');
  return lines.join('\n');
}

function xmlText(text: string): string {
  // XML 1.0 allows no control characters but tab, newline and carriage return.
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\x00-\x08\x0b\x0c\x0e-\x1f]/g, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function xmlAttribute(text: string): string {
  return xmlText(text).replace(/"/g, '&quot;').replace(/\n/g, '&#10;');
}

/** A short Markdown summary for a CI job's summary page: the verdict, the counts, the failing seeds with their replay commands. */
export function summaryMarkdown(summary: SweepSummary, command: string): string {
  const verdict = verdictOfSweep(summary);
  const mark = verdict === 'pass' ? '✅' : '❌';
  const covered = seedsCovered(summary);
  const lines = [
    `### ${mark} ksim ${summary.ksimVersion}: \`${summary.scenario.name}\` — ${verdict} over ${formatInteger(covered)} ${covered === 1 ? 'seed' : 'seeds'}`,
    '',
    `\`${command}\``,
    '',
    ...coverageLines(summary).map((line) => `- ${line}`),
    ...(coverageLines(summary).length > 0 ? [''] : []),
    '| verdict | seeds |',
    '| --- | ---: |',
    ...VERDICTS_IN_TABLE.map((name) => `| ${name} | ${summary.counts[name]} |`),
    '',
    `Violations found: ${markdownCell(namedCounts(summary.violations))}. Allowed anomalies: ${markdownCell(namedCounts(summary.anomalies))}.`,
  ];
  if (summary.failing.length > 0) {
    lines.push('', '| seed | verdict | anomaly | replay |', '| ---: | --- | --- | --- |');
    for (const failure of summary.failing.slice(0, FAILING_SEEDS_IN_MARKDOWN_MAX)) {
      lines.push(`| ${failure.seed} | ${failure.verdict} | ${markdownCell(failure.invariant === '' ? '' : `${failure.invariant}: ${failure.message}`)} | \`npx ksim replay ${markdownCell(failure.replayFile)}\` |`);
    }
    if (summary.failing.length > FAILING_SEEDS_IN_MARKDOWN_MAX) lines.push('', `… and ${summary.failing.length - FAILING_SEEDS_IN_MARKDOWN_MAX} more failing seeds (see the JUnit file or the job log).`);
  }
  return `${lines.join('\n')}\n`;
}

function markdownCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
