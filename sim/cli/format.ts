/**
 * Human-readable output shared by the verbs: number formatting, aligned tables, verdict labels,
 * the options header printed at the start of every run, and the block that reports one run.
 * Nothing here depends on the locale, so output is the same on every machine.
 */
import type { ChalkInstance } from 'chalk';
import { describeFault, type FaultPlan } from '../faults/plan.js';
import type { RunReport } from '../report/runReport.js';
import type { Scenario, Verdict } from '../scenario/types.js';

/** At most this many violations are listed in full; verdict.json has them all. */
const VIOLATIONS_SHOWN_MAX = 10;
/** At most this many excused cases of one allowed anomaly are listed; verdict.json has them all. */
const EXCUSES_SHOWN_MAX = 3;
/** At most this many faults of a realized plan are listed. */
const FAULTS_SHOWN_MAX = 12;
/** Messages on the FAIL line are cut to this many characters. */
export const SHORT_MESSAGE_CHARS_MAX = 120;

/** 1234567 → "1,234,567" (fixed separators, not the locale's). */
export function formatInteger(value: number): string {
  const rounded = Math.round(value);
  const digits = String(Math.abs(rounded));
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return rounded < 0 ? `-${grouped}` : grouped;
}

export function formatDecimal(value: number, fractionDigits: number): string {
  return value.toFixed(fractionDigits);
}

export function shortMessage(message: string, lengthMax = SHORT_MESSAGE_CHARS_MAX): string {
  const oneLine = message.replace(/\s+/g, ' ').trim();
  return oneLine.length <= lengthMax ? oneLine : `${oneLine.slice(0, lengthMax - 1)}…`;
}

export function eventsPerSecond(events: number, wallMs: number): number {
  return wallMs <= 0 ? 0 : Math.round((events * 1000) / wallMs);
}

/** Left-aligned columns, except those listed in `rightAligned`; two spaces between columns. */
export function table(rows: readonly (readonly string[])[], rightAligned: readonly number[] = []): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, column) => {
      widths[column] = Math.max(widths[column] ?? 0, visibleLength(cell));
    });
  }
  return rows.map((row) =>
    row
      .map((cell, column) => {
        const padding = ' '.repeat((widths[column] ?? 0) - visibleLength(cell));
        if (column === row.length - 1 && !rightAligned.includes(column)) return cell;
        return rightAligned.includes(column) ? padding + cell : cell + padding;
      })
      .join('  '),
  );
}

function visibleLength(text: string): number {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, '').length;
}

export function verdictLabel(colour: ChalkInstance, verdict: Verdict): string {
  switch (verdict) {
    case 'pass':
      return colour.green('pass');
    case 'violation':
      return colour.red.bold('violation');
    case 'liveness':
      return colour.yellow.bold('liveness');
    case 'nondeterministic':
      return colour.magenta.bold('nondeterministic');
    default: {
      const unreachable: never = verdict;
      throw new Error(`unknown verdict ${String(unreachable)}`);
    }
  }
}

/** How a scenario gets its faults, in a few words: `plan (2 faults)`, `swarm`, `none`. */
export function faultSource(scenario: Scenario): string {
  const faults = scenario.faults;
  if ('plan' in faults) return `plan (${faults.plan.length} ${faults.plan.length === 1 ? 'fault' : 'faults'})`;
  if ('swarm' in faults) {
    const profile = faults.swarm;
    const parts = [
      profile.families !== undefined ? `families ${profile.families.join(',')}` : 'all families',
      ...(profile.intensity !== undefined ? [`intensity ${profile.intensity}`] : []),
      ...(profile.maxDown !== undefined ? [`maxDown ${profile.maxDown}`] : []),
      ...(profile.maxWindowMs !== undefined ? [`maxWindowMs ${profile.maxWindowMs}`] : []),
      ...(profile.maxDownMs !== undefined ? [`maxDownMs ${profile.maxDownMs}`] : []),
    ];
    return `swarm (${parts.join(', ')})`;
  }
  return 'none';
}

/** The options line printed before a run starts: everything that decides or shapes it. */
export function optionsHeader(colour: ChalkInstance, verb: string, version: string, fields: ReadonlyArray<[string, string]>): string {
  return `${colour.bold(`ksim ${version} ${verb}`)}  ${fields.map(([key, value]) => `${colour.dim(`${key}=`)}${value}`).join('  ')}`;
}

export function formatFaultPlan(plan: FaultPlan): string[] {
  if (plan.length === 0) return ['faults: none'];
  const lines = [`faults (${plan.length}, as realized for this seed):`];
  const rows = plan.slice(0, FAULTS_SHOWN_MAX).map((fault) => [`${fault.atMs}ms`, describeFault(fault.action)]);
  for (const line of table(rows, [0])) lines.push(`  ${line}`);
  if (plan.length > FAULTS_SHOWN_MAX) lines.push(`  … and ${plan.length - FAULTS_SHOWN_MAX} more (see the replay file or --json)`);
  return lines;
}

/** Each excused case: what was lost, the rule that excuses it, and the fault events it rests on. */
function formatExcuses(excuses: NonNullable<RunReport['anomalies'][number]['excuses']>): string[] {
  const lines = excuses.slice(0, EXCUSES_SHOWN_MAX).map((excuse) => {
    const faults = excuse.faults.map((fault) => `${fault.node} ${fault.kind} at ${fault.atMs}ms`).join(', ');
    return `    ${excuse.subject} — ${excuse.rule}${faults === '' ? '' : `: ${faults}`}`;
  });
  if (excuses.length > EXCUSES_SHOWN_MAX) lines.push(`    … and ${excuses.length - EXCUSES_SHOWN_MAX} more (verdict.json lists each)`);
  return lines;
}

/** The report of one run: verdict, violations, allowed anomalies, stats, summary, expectation. */
export function formatRunReport(colour: ChalkInstance, report: RunReport): string[] {
  const lines: string[] = [];
  lines.push(`verdict: ${verdictLabel(colour, report.verdict)}`);
  if (report.determinism !== undefined) {
    const [first, second] = report.determinism.traceHashes;
    lines.push(
      report.determinism.deterministic
        ? `determinism: both runs gave trace hash ${first}`
        : colour.magenta(`determinism: run 1 gave trace hash ${first}, run 2 gave ${second}`),
    );
  }
  if (report.violations.length > 0) {
    lines.push(`violations (${report.violations.length}):`);
    for (const violation of report.violations.slice(0, VIOLATIONS_SHOWN_MAX)) {
      lines.push(`  ${colour.red(violation.invariant)} (${violation.kind}) at ${violation.atMs}ms: ${violation.message}`);
    }
    if (report.violations.length > VIOLATIONS_SHOWN_MAX) {
      lines.push(`  … and ${report.violations.length - VIOLATIONS_SHOWN_MAX} more (see verdict.json or --json)`);
    }
  }
  if (report.anomalies.length === 0) {
    lines.push('allowed anomalies: none');
  } else {
    lines.push('allowed anomalies (the configuration permits these):');
    for (const anomaly of report.anomalies) {
      lines.push(`  ${colour.yellow(anomaly.anomaly)} ×${anomaly.count}: ${anomaly.reason}`);
      lines.push(...formatExcuses(anomaly.excuses ?? []));
    }
  }
  const stats = report.stats;
  lines.push(
    `stats: ${formatInteger(stats.events)} events, ${formatDecimal(stats.simTimeMs / 1000, 1)} simulated s, ` +
      `${formatInteger(stats.wallMs)} wall ms, ${formatInteger(eventsPerSecond(stats.events, stats.wallMs))} events/s, ` +
      `trace hash ${report.traceHash}`,
  );
  const summary = Object.entries(report.summary);
  if (summary.length > 0) {
    lines.push(`${report.system}: ${summary.map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`).join(' ')}`);
  }
  const met = report.verdict === report.expected;
  // A lesson that expects a failure has done its job when the failure appears: say so, so the FAIL
  // line above does not read like a bug.
  const shown = met && report.verdict !== 'pass' ? ' — the lesson is shown: this failure is what the scenario demonstrates' : '';
  lines.push(`expected: ${report.expected} ${met ? colour.green('✓') : colour.red('✗')}${shown}`);
  return lines;
}
