/**
 * ksim as a library: what `import { ... } from 'ksim'` gives a user's project. Scenarios are run,
 * explored and replayed exactly as the CLI runs them — synchronously, in this process, the same seed
 * giving the same trace hash — and the checker's findings come back as data. The vitest helper is
 * `ksim/vitest` (vitestHelper.ts).
 *
 * A scenario is given as a built-in name (`kafka-swarm`), a path to a .yaml/.yml/.json file, or an
 * object with a scenario file's fields; an object is validated like a file, and a mistake throws a
 * ScenarioError naming the field and what is allowed.
 *
 * Left out: worker threads (`ksim explore --workers N` is the CLI's; a library call runs its seeds
 * one after the other), and the CLI's printing.
 */
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { failLineWith, writeFailingRunFolder } from './cli/execute.js';
import { buildReplay, readReplayFile, type ReplayFile } from './report/replay.js';
import type { RunReport } from './report/runReport.js';
import { type RunResult, runScenario } from './runner.js';
import { loadScenario, validateScenario } from './scenario/load.js';
import { ksimVersion } from './scenario/paths.js';
import type { LoadedScenario } from './scenario/types.js';

export type { AllowedAnomaly, Excuse, FaultCitation, Violation } from './checker/types.js';
export { Findings } from './checker/findings.js';
export { History, type Operation, type OpOutcome } from './checker/history.js';
export {
  contractTable,
  KAFKA_ANOMALIES,
  LOSS_RULES,
  neverAllowed,
  type ContractInputs,
  type ContractRow,
  type KafkaAnomaly,
  type LossRule,
} from './systems/kafka/contract.js';
export { ScenarioError } from './scenario/errors.js';
export { ReplayError, type ReplayFile } from './report/replay.js';
export type { RunResult, RunStats, RunObserver } from './runner.js';
export type { Scenario, LoadedScenario, Verdict } from './scenario/types.js';
export type { FaultPlan, TimedFault, FaultAction, FaultFamily } from './faults/plan.js';
export { recordRun, type RecordedRunResult, type HeardRun } from './report/html/recorder.js';
export { renderHtmlReport, writeHtmlReport } from './report/html/document.js';
export type { RecordedRun } from './report/html/recordedRun.js';
export { jepsenHistoryEdn, jepsenHistoryJson, jepsenOperations, type JepsenOperation } from './report/exports/jepsenHistory.js';
export { shivizLog } from './report/exports/shivizLog.js';

/** The source path of a scenario given as an object: there is no file to name in a command. */
const OBJECT_SOURCE_PREFIX = 'object:';

/** A built-in scenario's name, a scenario file's path, or a scenario file's fields as an object. */
export type ScenarioInput = string | ScenarioObject;

/** A scenario file's fields (see the README's "Scenario files"); `name` defaults to `scenario`. */
export interface ScenarioObject {
  name?: string;
  [field: string]: unknown;
}

export interface ScenarioOptions {
  /** Where relative paths are resolved, and where run folders are written (default: process.cwd()). */
  cwd?: string;
}

/** Loads and validates a scenario, filling in every default. Throws ScenarioError on a mistake. */
export function scenario(input: ScenarioInput, options: ScenarioOptions = {}): LoadedScenario {
  const cwd = options.cwd ?? process.cwd();
  if (typeof input === 'string') return loadScenario(input, cwd);
  const { name = 'scenario', ...fields } = input;
  const text = JSON.stringify(fields);
  const validated = validateScenario(fields, name, `${name} (an object given to ksim)`);
  return {
    scenario: validated,
    source: { kind: 'file', path: `${OBJECT_SOURCE_PREFIX}${name}`, text, sha256: createHash('sha256').update(text).digest('hex') },
  };
}

export interface RunOptions extends ScenarioOptions {
  /** The seed, a whole number (default 1). */
  seed?: number;
}

/** Runs one scenario with one seed and returns the checker's verdict, findings and figures. */
export function run(input: ScenarioInput | LoadedScenario, options: RunOptions = {}): RunResult {
  const loaded = isLoaded(input) ? input : scenario(input, options);
  return runScenario(loaded.scenario, options.seed ?? 1);
}

export interface ExploreOptions extends ScenarioOptions {
  /** How many seeds to run. */
  seeds: number;
  /** The first seed (default 1). */
  from?: number;
  /**
   * Write each failing seed's run folder (reports/<scenario>-<seed>/ under cwd: replay.json,
   * verdict.json, history.jsonl, trace.jsonl, report.html), as `ksim explore` does. Default false.
   */
  runFolders?: boolean;
  /** Stop at the first failing seed (default false). */
  stopAtFirstFailure?: boolean;
}

/** One failing seed: what broke, and how to see it again. */
export interface ExploreFailure {
  seed: number;
  verdict: RunResult['verdict'];
  /** The first violation (the run stops at the first safety violation). */
  violation: RunResult['violations'][number] | undefined;
  /** The command that reproduces it: `npx ksim replay <file>` with run folders, else `npx ksim run ... --seed N`. */
  replayCommand: string;
  /** The one line the CLI prints first: seed, verdict, anomaly and replay command. */
  failLine: string;
  result: RunResult;
}

export interface ExploreResult {
  scenario: string;
  seedsRun: number;
  passed: number;
  failures: ExploreFailure[];
}

/** Runs seeds from..from+seeds-1 of one scenario, one after the other, and collects the failures. */
export function explore(input: ScenarioInput | LoadedScenario, options: ExploreOptions): ExploreResult {
  if (!Number.isInteger(options.seeds) || options.seeds < 1) throw new RangeError(`explore: seeds must be a whole number ≥ 1, not ${options.seeds}`);
  const loaded = isLoaded(input) ? input : scenario(input, options);
  const cwd = options.cwd ?? process.cwd();
  const from = options.from ?? 1;
  const failures: ExploreFailure[] = [];
  let seedsRun = 0;
  for (let seed = from; seed < from + options.seeds; seed++) {
    const result = runScenario(loaded.scenario, seed);
    seedsRun++;
    if (result.verdict === 'pass') continue;
    failures.push(describeFailure(loaded, result, cwd, options.runFolders === true));
    if (options.stopAtFirstFailure === true) break;
  }
  return { scenario: loaded.scenario.name, seedsRun, passed: seedsRun - failures.length, failures };
}

export interface ReplayResult {
  result: RunResult;
  /** The same trace hash and verdict as recorded. */
  reproduced: boolean;
  recorded: { traceHash: string; verdict: string };
}

/** Replays a recorded failure (a run folder's replay.json, or its parsed content). */
export function replay(file: string | ReplayFile, options: ScenarioOptions = {}): ReplayResult {
  const recorded = typeof file === 'string' ? readReplayFile(resolve(options.cwd ?? process.cwd(), file), file, ksimVersion()) : file;
  const result = runScenario(recorded.scenario.content, recorded.seed);
  const reproduced = result.traceHash === recorded.traceHash && (recorded.verdict === 'nondeterministic' || result.verdict === recorded.verdict);
  return { result, reproduced, recorded: { traceHash: recorded.traceHash, verdict: recorded.verdict } };
}

/** The version of ksim running (a replay is exact only within one version). */
export function version(): string {
  return ksimVersion();
}

function describeFailure(loaded: LoadedScenario, result: RunResult, cwd: string, writeFolder: boolean): ExploreFailure {
  const report: RunReport = result;
  let replayCommand: string;
  if (writeFolder) {
    const replayContent = buildReplay(loaded, report, ksimVersion(), { command: `ksim (library) explore ${loaded.scenario.name}`, checkDeterminism: false });
    const { replayFile } = writeFailingRunFolder(cwd, loaded.scenario, replayContent, report);
    replayCommand = `npx ksim replay ${replayFile}`;
  } else if (loaded.source.path.startsWith(OBJECT_SOURCE_PREFIX)) {
    replayCommand = `(a scenario given as an object has no file to run: explore with runFolders: true for a replay file) seed ${result.seed}`;
  } else {
    replayCommand = `npx ksim run ${loaded.source.kind === 'builtin' ? loaded.scenario.name : loaded.source.path} --seed ${result.seed}`;
  }
  return { seed: result.seed, verdict: result.verdict, violation: result.violations[0], replayCommand, failLine: failLineWith(report, replayCommand), result };
}

function isLoaded(input: ScenarioInput | LoadedScenario): input is LoadedScenario {
  return typeof input === 'object' && 'scenario' in input && 'source' in input && typeof (input as LoadedScenario).source?.kind === 'string';
}

