/**
 * The replay file: everything needed to run a failing seed again, exactly, in one JSON file.
 *
 *   { "ksimReplay": 1, "ksimVersion": "0.1.0",
 *     "scenario": { "name", "source": { "kind", "path" }, "sha256", "content" },
 *     "seed", "options", "faultPlan", "traceHash", "verdict", "firstViolation" }
 *
 * The scenario is embedded (`content`, the loaded Scenario with every default filled in), so a
 * replay does not depend on a file that may have moved or changed. `sha256` is the hash of the
 * canonical JSON of `content` (canonical.ts) — of the content, not of the file's text, so that
 * reformatting or commenting a scenario file does not count as a change — and it lets `ksim
 * replay` tell that an embedded scenario was edited by hand. `faultPlan` is the plan as realized
 * for this seed (written or swarm-generated), recorded for the reader; `traceHash` is what the
 * replay must reproduce. Replays are exact only within one ksim version, because any change to
 * ksim's code may change the events a seed produces; the version is checked before anything runs.
 */
import { readFileSync } from 'node:fs';
import type { Violation } from '../checker/types.js';
import type { FaultPlan } from '../faults/plan.js';
import { issuesFromAjv } from '../scenario/issues.js';
import { describeJsonError } from '../scenario/jsonText.js';
import { toScenarioFile, validateScenario } from '../scenario/load.js';
import { ScenarioError } from '../scenario/errors.js';
import { validatorFor } from '../scenario/validators.js';
import type { LoadedScenario, Scenario, Verdict } from '../scenario/types.js';
import { canonicalSha256 } from './canonical.js';
import type { RunReport } from './runReport.js';

/** The replay file format's version; bumped when its shape changes. */
export const REPLAY_FORMAT = 1;

/**
 * How the run was asked for. Nothing here changes the run — the scenario and the seed decide it
 * completely — it is recorded so a reader knows which command found the failure.
 */
export interface ReplayOptions {
  command: string;
  checkDeterminism: boolean;
}

export interface ReplayFile {
  ksimReplay: typeof REPLAY_FORMAT;
  ksimVersion: string;
  scenario: {
    name: string;
    source: { kind: 'builtin' | 'file'; path: string };
    sha256: string;
    content: Scenario;
  };
  seed: number;
  options: ReplayOptions;
  faultPlan: FaultPlan;
  traceHash: string;
  verdict: Verdict;
  firstViolation: Violation | null;
}

/** A replay file that cannot be replayed: the user's input is at fault, so exit 64, no stack. */
export class ReplayError extends Error {
  override readonly name = 'ReplayError';
}

export function buildReplay(loaded: LoadedScenario, report: RunReport, version: string, options: ReplayOptions): ReplayFile {
  return {
    ksimReplay: REPLAY_FORMAT,
    ksimVersion: version,
    scenario: {
      name: loaded.scenario.name,
      source: { kind: loaded.source.kind, path: loaded.source.path },
      sha256: scenarioContentSha256(loaded.scenario),
      content: loaded.scenario,
    },
    seed: report.seed,
    options,
    faultPlan: report.faultPlan,
    traceHash: report.traceHash,
    verdict: report.verdict,
    firstViolation: report.violations[0] ?? null,
  };
}

export function scenarioContentSha256(scenario: Scenario): string {
  return canonicalSha256(scenario);
}

/**
 * A hash of what decides a run: the scenario without its prose (`description`, `lesson`), so that
 * rewording a lesson does not make every recorded replay of that scenario refuse to run.
 */
export function scenarioRunSha256(scenario: Scenario): string {
  return canonicalSha256({ ...scenario, description: undefined, lesson: undefined });
}

export const REPLAY_SCHEMA = {
  type: 'object',
  properties: {
    ksimReplay: { const: REPLAY_FORMAT },
    ksimVersion: { type: 'string' },
    scenario: {
      type: 'object',
      properties: {
        name: { type: 'string', minLength: 1 },
        source: {
          type: 'object',
          properties: { kind: { enum: ['builtin', 'file'] }, path: { type: 'string' } },
          required: ['kind', 'path'],
        },
        sha256: { type: 'string', pattern: '^[0-9a-f]{64}$', description: 'a sha256 in hex (64 characters 0-9a-f)' },
        content: { type: 'object' },
      },
      required: ['name', 'source', 'sha256', 'content'],
    },
    seed: { type: 'integer', minimum: 0 },
    options: { type: 'object' },
    faultPlan: { type: 'array', items: { type: 'object', properties: { atMs: { type: 'integer' }, action: { type: 'object' } }, required: ['atMs', 'action'] } },
    traceHash: { type: 'string', minLength: 1 },
    verdict: { enum: ['pass', 'violation', 'liveness', 'nondeterministic'] },
    firstViolation: { type: ['object', 'null'] },
  },
  required: ['ksimReplay', 'ksimVersion', 'scenario', 'seed', 'options', 'faultPlan', 'traceHash', 'verdict', 'firstViolation'],
} as const;

/**
 * Reads a replay file and checks that it can be replayed exactly: it is JSON, it has every field,
 * it was recorded by this version of ksim, and its embedded scenario is the one that was recorded
 * (its hash matches) and is still valid. `shown` names the file in messages.
 */
export function readReplayFile(absolutePath: string, shown: string, ourVersion: string): ReplayFile {
  let text: string;
  try {
    text = readFileSync(absolutePath, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ReplayError(`cannot read replay file ${shown}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : (error as Error).message}.`);
  }
  return parseReplayText(text, shown, ourVersion);
}

export function parseReplayText(text: string, shown: string, ourVersion: string): ReplayFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ReplayError(
      `replay file ${shown} is not JSON (${describeJsonError(text, error)}); a replay file is the replay.json that a failing \`ksim run\` or \`ksim explore\` writes under reports/runs/.`,
    );
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed) || !('ksimReplay' in parsed)) {
    throw new ReplayError(
      `${shown} is JSON but not a ksim replay file: it has no "ksimReplay" field. A replay file is the replay.json that a failing \`ksim run\` or \`ksim explore\` writes under reports/runs/.`,
    );
  }
  const record = parsed as Record<string, unknown>;
  if (record['ksimReplay'] !== REPLAY_FORMAT) {
    throw new ReplayError(`replay file ${shown} has format ${JSON.stringify(record['ksimReplay'])}; this ksim reads format ${REPLAY_FORMAT}.`);
  }
  const recordedVersion = record['ksimVersion'];
  if (typeof recordedVersion === 'string' && recordedVersion !== ourVersion) {
    throw new ReplayError(
      `replay file ${shown} was recorded by ksim ${recordedVersion}, this is ksim ${ourVersion}: replays are only exact within one version; ` +
        `re-run the scenario with \`ksim run ${replayScenarioArgument(record)} --seed ${replaySeedText(record)}\`.`,
    );
  }
  const replayValidator = validatorFor('replay', REPLAY_SCHEMA);
  if (!replayValidator(parsed)) {
    const issues = issuesFromAjv(replayValidator.errors ?? [], '');
    const list = issues.slice(0, 4).map((issue) => (issue.path === '' ? issue.message : `${issue.path} ${issue.message}`)).join('; ');
    throw new ReplayError(`replay file ${shown} is damaged: ${list}.`);
  }
  const replay = parsed as unknown as ReplayFile;
  if (scenarioContentSha256(replay.scenario.content) !== replay.scenario.sha256) {
    throw new ReplayError(
      `the scenario embedded in replay file ${shown} was modified after it was recorded (its sha256 no longer matches scenario.sha256), ` +
        'so replaying it would not reproduce the recorded run. Restore the file, or run the changed scenario as a new run with `ksim run <file> --seed N`.',
    );
  }
  try {
    validateScenario(toScenarioFile(replay.scenario.content), replay.scenario.name, `embedded in ${shown}`);
  } catch (error) {
    if (error instanceof ScenarioError) throw new ReplayError(`replay file ${shown} cannot be replayed: ${error.message}`);
    throw error;
  }
  return replay;
}

function replayScenarioArgument(record: Record<string, unknown>): string {
  const scenario = record['scenario'] as { name?: unknown; source?: { kind?: unknown; path?: unknown } } | undefined;
  if (scenario?.source?.kind === 'file' && typeof scenario.source.path === 'string') return scenario.source.path;
  return typeof scenario?.name === 'string' ? scenario.name : '<scenario>';
}

function replaySeedText(record: Record<string, unknown>): string {
  return typeof record['seed'] === 'number' ? String(record['seed']) : 'N';
}
