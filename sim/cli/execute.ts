/**
 * Running one seed for the CLI, and what happens when it fails. `run` and `explore` share this:
 * the optional second run for --check-determinism, the run folder with its replay file, and the
 * one FAIL line that comes first, carrying the seed, the first problem and the replay command.
 */
import { join } from 'node:path';
import { writeHtmlReport } from '../report/html/document.js';
import { recordRun, type RunRecorder } from '../report/html/recorder.js';
import { buildReplay, type ReplayOptions } from '../report/replay.js';
import { runFolderOf, writeRunFolder } from '../report/runFolder.js';
import { firstProblem, type RunReport } from '../report/runReport.js';
import { type RunObserver, runScenario } from '../runner.js';
import type { LoadedScenario, Scenario } from '../scenario/types.js';
import { writingFile } from './errors.js';
import { failingSeedOf } from './sweep.js';
import { failLineOf } from './sweepOutput.js';
import { shortMessage } from './format.js';
import type { Terminal } from './io.js';

export interface SeedOptions {
  checkDeterminism: boolean;
  traceSink?: (line: string) => void;
  /** Watches the first run as it happens (narration). */
  observer?: RunObserver;
  /** Records the first run for the HTML report and the exports. */
  recorder?: RunRecorder;
}

/** Runs one seed (twice with checkDeterminism, tracing and recording only the first run). */
export function executeSeed(scenario: Scenario, seed: number, options: SeedOptions): RunReport {
  const observer = options.recorder !== undefined ? options.recorder.observer(options.observer) : options.observer;
  const first = runScenario(scenario, seed, {
    ...(options.traceSink !== undefined ? { traceSink: options.traceSink } : {}),
    ...(observer !== undefined ? { observer } : {}),
  });
  if (!options.checkDeterminism) return first;
  const second = runScenario(scenario, seed);
  const deterministic = first.traceHash === second.traceHash;
  return {
    ...first,
    verdict: deterministic ? first.verdict : 'nondeterministic',
    determinism: { traceHashes: [first.traceHash, second.traceHash], deterministic },
  };
}

export interface FailureContext {
  terminal: Terminal;
  loaded: LoadedScenario;
  version: string;
  /** In --json mode the FAIL line goes to stderr, so stdout holds only JSON. */
  json: boolean;
  replayOptions: ReplayOptions;
  /** The recorder of the failing run, if it was recorded; otherwise the seed is run again to record it. */
  recorder?: RunRecorder;
}

/**
 * Writes the run folder of a failing seed and prints its FAIL line. Returns the report with
 * `replayFile` set. Call it before printing anything else about the seed's outcome.
 */
export function recordFailure(context: FailureContext, report: RunReport): RunReport {
  if (report.verdict === 'pass') throw new Error('recordFailure called for a passing run');
  const replay = buildReplay(context.loaded, report, context.version, context.replayOptions);
  const { folder, replayFile } = writingFile('the run folder', runFolderOf(replay.scenario.name, replay.seed), () => writeRunFolder(context.terminal.io.cwd, replay, report));
  writeFailureReport(context, report, join(context.terminal.io.cwd, ...folder.split('/'), 'report.html'), `npx ksim replay ${replayFile}`);
  const recorded: RunReport = { ...report, replayFile };
  if (context.json) {
    context.terminal.errorLine(failLine(recorded, replayFile, context.terminal.colourStderr.red.bold('FAIL')));
  } else {
    context.terminal.line(failLine(recorded, replayFile, context.terminal.colour.red.bold('FAIL')));
  }
  return recorded;
}

/**
 * The run folder's report.html: the failing run as a page (sim/report/html/). A run recorded as it
 * happened is written from its recording; otherwise the seed is run again with a recorder, which
 * gives the same run (the same seed gives the same trace).
 */
function writeFailureReport(context: FailureContext, report: RunReport, path: string, replayCommand: string): void {
  const recording = context.recorder !== undefined
    ? context.recorder.finish(report, replayCommand)
    : recordRun(context.loaded.scenario, report.seed, replayCommand).recording;
  writingFile('the HTML report', path, () => writeHtmlReport(recording, path));
}

/** `FAIL seed=<N> <verdict> <first invariant>: <message> — replay: npx ksim replay <file>` */
export function failLine(report: RunReport, replayFile: string, failLabel = 'FAIL'): string {
  return failLineOf(failingSeedOf(report, replayFile), failLabel);
}

/** The FAIL line with any command that reproduces the run (the library's, for a run without a folder). */
export function failLineWith(report: RunReport, replayCommand: string, failLabel = 'FAIL'): string {
  const problem = firstProblem(report);
  const what = problem === undefined ? '' : ` ${problem.invariant}: ${shortMessage(problem.message)}`;
  return `${failLabel} seed=${report.seed} ${report.verdict}${what} — replay: ${replayCommand}`;
}

/** The command that re-runs a scenario with a seed, for messages. */
export function runCommandOf(loaded: LoadedScenario, seed: number): string {
  const argument = loaded.source.kind === 'builtin' ? loaded.scenario.name : loaded.source.path;
  return `npx ksim run ${argument} --seed ${seed}`;
}
