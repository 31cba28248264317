/**
 * `ksim shrink <replay-file> [--max-runs N]`: reduces a failing run to a smaller one that fails
 * the same way (sim/shrink/shrinkRun.ts), prints the shrunk fault plan and what each kept cut
 * was, and saves the smaller replay file beside the original (`shrunk-replay.json`), which
 * `ksim replay` runs like any other. The exit code is the shrunk run's verdict, as `replay`'s is.
 */
import { dirname, join, relative, resolve } from 'node:path';
import { writeFileSync } from 'node:fs';
import { buildReplay, readReplayFile } from '../report/replay.js';
import type { RunReport } from '../report/runReport.js';
import { shrinkRun } from '../shrink/shrinkRun.js';
import type { LoadedScenario } from '../scenario/types.js';
import { writingFile } from './errors.js';
import { exitCodeOf } from './exitCodes.js';
import { faultSource, formatFaultPlan, optionsHeader } from './format.js';
import type { Terminal } from './io.js';
import type { VerbContext } from './run.js';

export interface ShrinkArguments {
  file: string;
  maxRuns: number;
  json: boolean;
}

/** The shrunk replay file's name, beside the original. */
export const SHRUNK_REPLAY_FILE = 'shrunk-replay.json';

export function shrinkVerb(terminal: Terminal, args: ShrinkArguments, context: VerbContext): number {
  const replay = readReplayFile(resolve(terminal.io.cwd, args.file), args.file, context.version);
  const scenario = replay.scenario.content;
  const target = { verdict: replay.verdict, invariant: replay.firstViolation?.invariant ?? '' };
  if (!args.json) {
    terminal.line(optionsHeader(terminal.colour, 'shrink', context.version, [
      ['file', args.file],
      ['scenario', scenario.name],
      ['seed', String(replay.seed)],
      ['faults', `${faultSource(scenario)}, ${replay.faultPlan.length} realized`],
      ['fails', `${target.verdict}${target.invariant === '' ? '' : ` ${target.invariant}`}`],
      ['max-runs', String(args.maxRuns)],
    ]));
  }
  terminal.activity = `shrinking ${scenario.name} with seed ${replay.seed}`;
  const outcome = shrinkRun(scenario, replay.seed, target, {
    maxRuns: args.maxRuns,
    onStep: (step) => terminal.errorLine(`shrink: ${step.what} (${step.faults} ${step.faults === 1 ? 'fault' : 'faults'}, run ${step.runs})`),
  });
  terminal.activity = undefined;

  const report: RunReport = outcome.result;
  const loaded: LoadedScenario = {
    scenario: outcome.scenario,
    // A shrunk scenario is no longer the built-in of its name: replay it as the recorded copy.
    source: { kind: 'file', path: `${replay.scenario.source.path} (shrunk)`, text: '', sha256: '' },
  };
  const shrunk = buildReplay(loaded, report, context.version, { command: context.command, checkDeterminism: false });
  const path = join(dirname(resolve(terminal.io.cwd, args.file)), SHRUNK_REPLAY_FILE);
  const shown = relative(terminal.io.cwd, path).split('\\').join('/');
  writingFile('the shrunk replay file', shown, () => writeFileSync(path, `${JSON.stringify(shrunk, null, 2)}\n`));

  if (args.json) {
    terminal.line(JSON.stringify({ ksimVersion: context.version, file: shown, seed: replay.seed, verdict: report.verdict, invariant: target.invariant, faultsBefore: replay.faultPlan.length, faultsAfter: report.faultPlan.length, runs: outcome.runs, budgetSpent: outcome.budgetSpent, steps: outcome.steps, faultPlan: report.faultPlan, cluster: outcome.scenario.cluster, workload: outcome.scenario.workload, durationMs: outcome.scenario.durationMs }));
    return exitCodeOf(report.verdict);
  }
  terminal.line(`shrunk from ${replay.faultPlan.length} to ${report.faultPlan.length} ${report.faultPlan.length === 1 ? 'fault' : 'faults'} in ${outcome.runs} runs${outcome.budgetSpent ? ` (the run budget, --max-runs ${args.maxRuns}, ran out before every cut was tried)` : ''}; it still fails: ${report.verdict}${target.invariant === '' ? '' : ` ${target.invariant}`}`);
  for (const line of formatFaultPlan(report.faultPlan)) terminal.line(line);
  const changed = Object.entries(outcome.scenario.cluster).filter(([key, value]) => scenario.cluster[key] !== value).map(([key, value]) => `cluster.${key} ${String(scenario.cluster[key])} → ${String(value)}`);
  if (outcome.scenario.workload['intervalMs'] !== scenario.workload['intervalMs']) changed.push(`workload.intervalMs ${String(scenario.workload['intervalMs'])} → ${String(outcome.scenario.workload['intervalMs'])}`);
  if (outcome.scenario.durationMs !== scenario.durationMs) changed.push(`durationMs ${scenario.durationMs} → ${outcome.scenario.durationMs}`);
  if (changed.length > 0) terminal.line(`also: ${changed.join(', ')}`);
  terminal.line(`saved: ${shown} — replay: npx ksim replay ${shown}`);
  return exitCodeOf(report.verdict);
}
