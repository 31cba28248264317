/**
 * `ksim replay <file>`: runs a replay file's embedded scenario with its seed, and checks that the
 * run reproduces: the same trace hash as recorded. A different hash from the same version of ksim
 * is non-determinism (exit 3, both hashes printed); otherwise the exit code is the verdict's.
 *
 * A replay of a built-in scenario also checks that the built-in has not changed since the
 * recording: replaying the old copy would then reproduce a failure the current scenario may no
 * longer have, so it is refused unless `--use-recorded` says that is what the user wants. Only
 * what decides the run is compared: formatting, comments and prose (description, lesson) are not
 * changes.
 */
import { resolve } from 'node:path';
import { readReplayFile, ReplayError, scenarioRunSha256 } from '../report/replay.js';
import type { RunReport } from '../report/runReport.js';
import { ScenarioError } from '../scenario/errors.js';
import { loadScenario } from '../scenario/load.js';
import type { ReplayFile } from '../report/replay.js';
import { EXIT_NONDETERMINISTIC, exitCodeOf } from './exitCodes.js';
import { RunRecorder } from '../report/html/recorder.js';
import { executeSeed } from './execute.js';
import { NO_OUTPUTS, type OutputRequests, OutputFiles } from './outputFiles.js';
import { recordedResult } from './run.js';
import { faultSource, formatFaultPlan, formatRunReport, optionsHeader } from './format.js';
import type { Terminal } from './io.js';
import type { VerbContext } from './run.js';
import { TraceFile } from './traceFile.js';

export interface ReplayArguments {
  file: string;
  useRecorded: boolean;
  json: boolean;
  trace: string | undefined;
  /** --html, --history-edn, --history-json, --shiviz. */
  outputs?: OutputRequests;
}

export function replayVerb(terminal: Terminal, args: ReplayArguments, context: VerbContext): number {
  const replay = readReplayFile(resolve(terminal.io.cwd, args.file), args.file, context.version);
  const builtinNote = checkBuiltinUnchanged(terminal, replay, args, context);
  const scenario = replay.scenario.content;
  const traceFile = args.trace !== undefined ? new TraceFile(terminal.io.cwd, args.trace) : undefined;
  const outputFiles = new OutputFiles(terminal.io.cwd, args.outputs ?? NO_OUTPUTS, 'replay');
  const recorder = outputFiles.wanted ? new RunRecorder(scenario) : undefined;
  const colour = terminal.colour;
  if (!args.json) {
    terminal.line(
      optionsHeader(colour, 'replay', context.version, [
        ['file', args.file],
        ['scenario', `${scenario.name} (${replay.scenario.source.kind} ${replay.scenario.source.path})`],
        ['system', scenario.system],
        ['seed', String(replay.seed)],
        ['durationMs', String(scenario.durationMs)],
        ['livenessMs', String(scenario.livenessMs)],
        ['faults', faultSource(scenario)],
        ['recorded', `${replay.verdict}, trace hash ${replay.traceHash}`],
      ]),
    );
    if (builtinNote !== undefined) terminal.line(colour.yellow(builtinNote));
  }

  terminal.activity = `replaying ${scenario.name} with seed ${replay.seed}`;
  const run = executeSeed(scenario, replay.seed, {
    checkDeterminism: false,
    ...(traceFile !== undefined ? { traceSink: traceFile.sink } : {}),
    ...(recorder !== undefined ? { recorder } : {}),
  });
  traceFile?.flush();
  terminal.activity = undefined;

  const sameHash = run.traceHash === replay.traceHash;
  // With the same trace the checker must judge the same; a different verdict is non-determinism too.
  const sameVerdict = replay.verdict === 'nondeterministic' || run.verdict === replay.verdict;
  const reproduced = sameHash && sameVerdict;
  const report: RunReport = reproduced
    ? run
    : { ...run, verdict: 'nondeterministic', determinism: { traceHashes: [replay.traceHash, run.traceHash], deterministic: false } };

  const written = recorder !== undefined ? outputFiles.write(recordedResult(recorder, report, `npx ksim replay ${args.file}`)) : [];
  if (args.json) {
    for (const line of written) terminal.errorLine(line);
    terminal.line(JSON.stringify({ ...report, ksimVersion: context.version, replay: { file: args.file, reproduced, recordedTraceHash: replay.traceHash, recordedVerdict: replay.verdict } }));
    return reproduced ? exitCodeOf(report.verdict) : EXIT_NONDETERMINISTIC;
  }
  if (reproduced) {
    terminal.line(colour.green(`reproduced: trace hash ${run.traceHash} matches the recording, verdict ${run.verdict}`));
  } else {
    terminal.line(colour.magenta.bold('NOT REPRODUCED') + ': this is non-determinism, since the replay was recorded by this same version of ksim.');
    terminal.line(`  recorded: trace hash ${replay.traceHash}, verdict ${replay.verdict}`);
    terminal.line(`  this run: trace hash ${run.traceHash}, verdict ${run.verdict}`);
    terminal.line('  Please report it with the replay file; `ksim run --check-determinism` checks a seed within one process.');
  }
  for (const line of formatFaultPlan(run.faultPlan)) terminal.line(line);
  for (const line of formatRunReport(colour, { ...run, verdict: run.verdict })) terminal.line(line);
  if (traceFile !== undefined) terminal.line(`trace: ${traceFile.lines} lines written to ${args.trace}`);
  for (const line of written) terminal.line(line);
  return reproduced ? exitCodeOf(run.verdict) : EXIT_NONDETERMINISTIC;
}

/**
 * Refuses (exit 64) a replay whose built-in scenario has changed or gone since the recording,
 * unless --use-recorded; returns a note to print when it goes ahead with the recorded copy.
 */
function checkBuiltinUnchanged(terminal: Terminal, replay: ReplayFile, args: ReplayArguments, context: VerbContext): string | undefined {
  if (replay.scenario.source.kind !== 'builtin') return undefined;
  const name = replay.scenario.name;
  let current: string;
  try {
    current = scenarioRunSha256(loadScenario(name, terminal.io.cwd, context.lookup).scenario);
  } catch (error) {
    if (!(error instanceof ScenarioError)) throw error;
    current = '';
  }
  if (current === scenarioRunSha256(replay.scenario.content)) return undefined;
  const what = current === ''
    ? `the built-in scenario "${name}" no longer loads (it was removed, renamed or broken)`
    : `the built-in scenario "${name}" changed since this replay was recorded`;
  if (args.useRecorded) return `note: ${what}; replaying the copy recorded in the replay file, as --use-recorded asks.`;
  throw new ReplayError(
    `cannot replay ${args.file} as is: ${what}, so the recording no longer describes the scenario of that name. ` +
      `Add --use-recorded to replay the copy embedded in the replay file, or run the scenario as it is now with \`ksim run ${name} --seed ${replay.seed}\`.`,
  );
}
