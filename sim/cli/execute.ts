/**
 * Running one seed for the CLI, and what happens when it fails. `run` and `explore` share this:
 * the optional second run for --check-determinism, the run folder with its replay file, and the
 * one FAIL line that comes first, carrying the seed, the first problem and the replay command.
 */
import { join } from 'node:path';
import { writeHtmlReport } from '../report/html/document.js';
import { RunRecorder } from '../report/html/recorder.js';
import { buildReplay, type ReplayFile, type ReplayOptions } from '../report/replay.js';
import { JepsenHistory } from '../report/history.js';
import { makeRunFolder, runFolderOf, TRACE_FILE, type WrittenRunFolder, writeRunFolder } from '../report/runFolder.js';
import { firstProblem, type RunReport } from '../report/runReport.js';
import { type RunObserver, runScenario } from '../runner.js';
import type { LoadedScenario, Scenario } from '../scenario/types.js';
import { writingFile } from './errors.js';
import { failingSeedOf } from './sweep.js';
import { failLineOf } from './sweepOutput.js';
import { shortMessage } from './format.js';
import { TraceFile } from './traceFile.js';
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
  const { replayFile } = writeFailingRunFolder(context.terminal.io.cwd, context.loaded.scenario, replay, report, context.recorder);
  const recorded: RunReport = { ...report, replayFile };
  if (context.json) {
    context.terminal.errorLine(failLine(recorded, replayFile, context.terminal.colourStderr.red.bold('FAIL')));
  } else {
    context.terminal.line(failLine(recorded, replayFile, context.terminal.colour.red.bold('FAIL')));
  }
  return recorded;
}

/**
 * Writes a failing run's folder (sim/report/runFolder.ts) with its trace, its client history and
 * report.html. The run is not kept in memory: the seed is run once more (it gives the same run) with
 * the trace going into the folder, the history collected and — unless `recorder` recorded the run as
 * it happened — a recorder for the page.
 */
export function writeFailingRunFolder(cwd: string, scenario: Scenario, replay: ReplayFile, report: RunReport, recorded?: RunRecorder): WrittenRunFolder {
  const recorder = recorded ?? new RunRecorder(scenario);
  const written = writingFile('the run folder', runFolderOf(replay.scenario.name, replay.seed), () => {
    const absoluteFolder = makeRunFolder(cwd, replay.scenario.name, replay.seed);
    const trace = new TraceFile(absoluteFolder, TRACE_FILE);
    const history = new JepsenHistory();
    runScenario(scenario, report.seed, { traceSink: trace.sink, observer: recorded !== undefined ? history.observer : recorder.observer(history.observer) });
    trace.flush();
    return writeRunFolder(cwd, replay, report, history.jsonLines());
  });
  const reportPath = join(cwd, ...written.folder.split('/'), 'report.html');
  writingFile('the HTML report', reportPath, () => writeHtmlReport(recorder.finish(report, `npx ksim replay ${written.replayFile}`), reportPath));
  return { ...written, files: [...written.files, 'report.html'] };
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
