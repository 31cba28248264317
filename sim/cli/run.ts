/**
 * `ksim run <scenario|file> --seed N`: one scenario, one seed. Human output starts with a line
 * holding every option (so a pasted log says exactly what ran), then — for a failing run — the
 * FAIL line with the replay command, then the fault plan, the verdict and the figures. `--json`
 * prints exactly one JSON object on stdout and nothing else there.
 */
import { loadScenario, type ScenarioLookup } from '../scenario/load.js';
import { exitCodeOf, expectedExitCodeOf } from './exitCodes.js';
import { RunRecorder, type RecordedRunResult } from '../report/html/recorder.js';
import type { RunReport } from '../report/runReport.js';
import { executeSeed, recordFailure, runCommandOf } from './execute.js';
import { NO_OUTPUTS, type OutputRequests, OutputFiles } from './outputFiles.js';
import { faultSource, formatFaultPlan, formatRunReport, optionsHeader } from './format.js';
import type { Terminal } from './io.js';
import { narrationObserver } from './narrate.js';
import { TraceFile } from './traceFile.js';

export interface RunArguments {
  scenario: string;
  seed: number;
  json: boolean;
  trace: string | undefined;
  checkDeterminism: boolean;
  narrate?: boolean;
  /** --expect: exit 0 when the verdict is the scenario's `expect` (a lesson's failure is success). */
  expect?: boolean;
  /** --html, --history-edn, --history-json, --shiviz. */
  outputs?: OutputRequests;
}

export interface VerbContext {
  version: string;
  lookup: ScenarioLookup;
  /** The command line as typed, recorded in replay files. */
  command: string;
}

export function runVerb(terminal: Terminal, args: RunArguments, context: VerbContext): number {
  const loaded = loadScenario(args.scenario, terminal.io.cwd, context.lookup);
  const scenario = loaded.scenario;
  const traceFile = args.trace !== undefined ? new TraceFile(terminal.io.cwd, args.trace) : undefined;
  const outputFiles = new OutputFiles(terminal.io.cwd, args.outputs ?? NO_OUTPUTS, 'run');
  const recorder = outputFiles.wanted ? new RunRecorder(scenario) : undefined;
  const colour = terminal.colour;
  if (!args.json) {
    terminal.line(
      optionsHeader(colour, 'run', context.version, [
        ['scenario', `${scenario.name} (${loaded.source.path})`],
        ['system', scenario.system],
        ['seed', String(args.seed)],
        ['durationMs', String(scenario.durationMs)],
        ['livenessMs', String(scenario.livenessMs)],
        ['faults', faultSource(scenario)],
        ['check-determinism', args.checkDeterminism ? 'on' : 'off'],
        ['trace', args.trace ?? 'off'],
        ...(args.outputs?.html !== undefined ? [['html', args.outputs.html] as [string, string]] : []),
      ]),
    );
  }
  const observer = args.narrate === true ? narrationObserver(terminal, scenario.system, args.json) : undefined;

  terminal.activity = `running ${scenario.name} with seed ${args.seed}`;
  let report = executeSeed(scenario, args.seed, {
    checkDeterminism: args.checkDeterminism,
    ...(traceFile !== undefined ? { traceSink: traceFile.sink } : {}),
    ...(observer !== undefined ? { observer } : {}),
    ...(recorder !== undefined ? { recorder } : {}),
  });
  traceFile?.flush();
  terminal.activity = undefined;

  if (report.verdict !== 'pass') {
    report = recordFailure(
      { terminal, loaded, version: context.version, json: args.json, replayOptions: { command: context.command, checkDeterminism: args.checkDeterminism }, ...(recorder !== undefined ? { recorder } : {}) },
      report,
    );
  }
  const written = recorder !== undefined ? outputFiles.write(recordedResult(recorder, report, report.replayFile !== undefined ? `npx ksim replay ${report.replayFile}` : runCommandOf(loaded, args.seed))) : [];
  const verdict = report.verdict;
  const exitCode = () => (args.expect === true ? expectedExitCodeOf(verdict, scenario.expect) : exitCodeOf(verdict));
  if (args.json) {
    for (const line of written) terminal.errorLine(line);
    terminal.line(JSON.stringify({ ...report, ksimVersion: context.version }));
    return exitCode();
  }
  for (const line of formatFaultPlan(report.faultPlan)) terminal.line(line);
  for (const line of formatRunReport(colour, report)) terminal.line(line);
  if (traceFile !== undefined) terminal.line(`trace: ${traceFile.lines} lines written to ${args.trace}`);
  for (const line of written) terminal.line(line);
  if (report.replayFile !== undefined) terminal.line(`run folder: ${report.replayFile.replace(/\/replay\.json$/, '/')} (replay.json, verdict.json, history.jsonl, trace.jsonl, report.html)`);
  if (scenario.lesson !== undefined) {
    terminal.line('');
    terminal.line(colour.bold('lesson:'));
    for (const line of scenario.lesson.trimEnd().split('\n')) terminal.line(`  ${line}`);
  }
  return exitCode();
}

/** The recorded run behind a report, for the output files. */
export function recordedResult(recorder: RunRecorder, report: RunReport, replayCommand: string): RecordedRunResult<RunReport> {
  return { result: report, recording: recorder.finish(report, replayCommand), heard: recorder.heard() };
}
