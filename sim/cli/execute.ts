/**
 * Running one seed for the CLI, and what happens when it fails. `run` and `explore` share this:
 * the optional second run for --check-determinism, the run folder with its replay file, and the
 * one FAIL line that comes first, carrying the seed, the first problem and the replay command.
 */
import { buildReplay, type ReplayOptions } from '../report/replay.js';
import { JepsenHistory } from '../report/history.js';
import { makeRunFolder, runFolderOf, TRACE_FILE, writeRunFolder } from '../report/runFolder.js';
import type { RunReport } from '../report/runReport.js';
import { type RunObserver, runScenario } from '../runner.js';
import type { LoadedScenario, Scenario } from '../scenario/types.js';
import { writingFile } from './errors.js';
import { failingSeedOf } from './sweep.js';
import { failLineOf } from './sweepOutput.js';
import { TraceFile } from './traceFile.js';
import type { Terminal } from './io.js';

export interface SeedOptions {
  checkDeterminism: boolean;
  traceSink?: (line: string) => void;
  /** Watches the first run as it happens (narration). */
  observer?: RunObserver;
}

/** Runs one seed (twice with checkDeterminism, tracing only the first run). */
export function executeSeed(scenario: Scenario, seed: number, options: SeedOptions): RunReport {
  const first = runScenario(scenario, seed, {
    ...(options.traceSink !== undefined ? { traceSink: options.traceSink } : {}),
    ...(options.observer !== undefined ? { observer: options.observer } : {}),
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
}

/**
 * Writes the run folder of a failing seed and prints its FAIL line. Returns the report with
 * `replayFile` set. Call it before printing anything else about the seed's outcome.
 */
export function recordFailure(context: FailureContext, report: RunReport): RunReport {
  if (report.verdict === 'pass') throw new Error('recordFailure called for a passing run');
  const replay = buildReplay(context.loaded, report, context.version, context.replayOptions);
  const cwd = context.terminal.io.cwd;
  const { replayFile } = writingFile('the run folder', runFolderOf(replay.scenario.name, replay.seed), () => {
    // The run is not kept in memory: run the seed once more (it gives the same run) with the trace
    // going into the folder and the client history collected.
    const folder = makeRunFolder(cwd, replay.scenario.name, replay.seed);
    const trace = new TraceFile(folder, TRACE_FILE);
    const history = new JepsenHistory();
    runScenario(context.loaded.scenario, report.seed, { traceSink: trace.sink, observer: history.observer });
    trace.flush();
    return writeRunFolder(cwd, replay, report, history.jsonLines());
  });
  const recorded: RunReport = { ...report, replayFile };
  if (context.json) {
    context.terminal.errorLine(failLine(recorded, replayFile, context.terminal.colourStderr.red.bold('FAIL')));
  } else {
    context.terminal.line(failLine(recorded, replayFile, context.terminal.colour.red.bold('FAIL')));
  }
  return recorded;
}

/** `FAIL seed=<N> <verdict> <first invariant>: <message> — replay: npx ksim replay <file>` */
export function failLine(report: RunReport, replayFile: string, failLabel = 'FAIL'): string {
  return failLineOf(failingSeedOf(report, replayFile), failLabel);
}

/** The command that re-runs a scenario with a seed, for messages. */
export function runCommandOf(loaded: LoadedScenario, seed: number): string {
  const argument = loaded.source.kind === 'builtin' ? loaded.scenario.name : loaded.source.path;
  return `npx ksim run ${argument} --seed ${seed}`;
}
