/**
 * Finds, reads, parses and validates scenario files. A scenario is named (`lost-ack`, looked up
 * among the built-ins in scenarios/) or given as a path (anything with a `/` or a .yaml, .yml or
 * .json extension, relative to the working directory). Validation happens in full before any run:
 * the file's own schema (schema.ts), then the system's schemas for `cluster`, `config` and
 * `workload`, then the checks a schema cannot express — selectors the system knows, node ids the
 * cluster has, faults inside the safety phase. Every problem of a stage is reported at once, in
 * one ScenarioError, so a user fixes a file in few round trips; the last stage runs only on a
 * file that passed the schemas, because it needs a scenario it can build.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, relative, resolve, sep } from 'node:path';
import type { ValidateFunction } from 'ajv';
import type { FaultAction, FaultFamily, TimedFault } from '../faults/plan.js';
import { SYSTEMS } from '../systems/index.js';
import type { SystemDefinition } from '../systems/system.js';
import { ScenarioError, type ScenarioIssue } from './errors.js';
import { issuesFromAjv, joinPath, nearestName } from './issues.js';
import { overlappingFaultIssues } from './faultOverlaps.js';
import { describeJsonError } from './jsonText.js';
import { builtinScenariosDir, packageRoot } from './paths.js';
import { FAULT_NODE_FIELDS, scenarioValidator } from './schema.js';
import type { FaultSpec, LoadedScenario, Scenario, ScenarioSource, SwarmProfile } from './types.js';
import { sectionValidatorName, validatorFor } from './validators.js';
import { parseYaml } from './yaml.js';

export const SCENARIO_EXTENSIONS: readonly string[] = ['.yaml', '.yml', '.json'];

export interface ScenarioLookup {
  /** Where scenario names are looked up; default: the built-in scenarios/ folder. */
  scenariosDir?: string;
}

export interface ScenarioListing {
  name: string;
  description: string;
  system: string;
  expect: Scenario['expect'];
}

/** True when the argument names a scenario (no folder, no extension) rather than giving a path to a file. */
export function isScenarioName(nameOrPath: string): boolean {
  return !nameOrPath.includes('/') && !nameOrPath.includes('\\') && extname(nameOrPath) === '';
}

export function loadScenario(nameOrPath: string, cwd: string, lookup: ScenarioLookup = {}): LoadedScenario {
  if (nameOrPath.trim() === '') {
    throw new ScenarioError('no scenario given: name a built-in scenario (see `ksim list`) or give the path of a scenario file.');
  }
  if (isScenarioName(nameOrPath)) return loadBuiltin(nameOrPath, lookup);
  if (!hasScenarioExtension(nameOrPath)) {
    throw new ScenarioError(
      `cannot load ${nameOrPath}: scenario files end in ${SCENARIO_EXTENSIONS.join(', ')}.`,
      nameOrPath,
    );
  }
  const absolute = resolve(cwd, nameOrPath);
  return loadFile(absolute, nameOrPath, { kind: 'file', path: absolute });
}

/** The scenarios of the lookup folder, sorted by name. */
export function listScenarios(lookup: ScenarioLookup = {}): ScenarioListing[] {
  const directory = scenariosDirOf(lookup);
  return [...scenarioFiles(directory).keys()].map((name) => {
    const { scenario } = loadBuiltin(name, lookup);
    return { name: scenario.name, description: scenario.description, system: scenario.system, expect: scenario.expect };
  });
}

/** Parses and validates a scenario file's text; `path` names the file in errors and gives the scenario its name. */
export function parseScenarioText(text: string, path: string): Scenario {
  const raw = extname(path).toLowerCase() === '.json' ? parseJson(text, path) : parseYaml(text, path);
  return validateScenario(raw, scenarioNameOf(path), path);
}

/** A scenario's name: its file's base name without the extension. */
export function scenarioNameOf(path: string): string {
  return basename(path, extname(path));
}

function hasScenarioExtension(nameOrPath: string): boolean {
  return SCENARIO_EXTENSIONS.includes(extname(nameOrPath).toLowerCase());
}

function scenariosDirOf(lookup: ScenarioLookup): string {
  return lookup.scenariosDir ?? builtinScenariosDir();
}

/** Scenario names → file paths in a folder, sorted by name; a missing folder holds none. */
function scenarioFiles(directory: string): Map<string, string> {
  let entries: string[];
  try {
    entries = readdirSync(directory);
  } catch {
    return new Map();
  }
  const files = new Map<string, string>();
  const names = entries.filter(hasScenarioExtension).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const entry of names) {
    const name = scenarioNameOf(entry);
    const existing = files.get(name);
    if (existing !== undefined) {
      throw new ScenarioError(
        `two files in ${directory} define the scenario "${name}": ${basename(existing)} and ${entry}; keep one of them.`,
        resolve(directory, entry),
      );
    }
    files.set(name, resolve(directory, entry));
  }
  return files;
}

function loadBuiltin(name: string, lookup: ScenarioLookup): LoadedScenario {
  const directory = scenariosDirOf(lookup);
  const files = scenarioFiles(directory);
  const file = files.get(name);
  if (file === undefined) throw unknownScenario(name, directory, [...files.keys()]);
  return loadFile(file, displayPath(file), { kind: 'builtin', path: displayPath(file) });
}

function unknownScenario(name: string, directory: string, known: readonly string[]): ScenarioError {
  const nearest = nearestName(name, known);
  const knownText = known.length === 0
    ? `there are no scenarios in ${directory}`
    : `the built-in scenarios are: ${known.join(', ')}`;
  return new ScenarioError(
    `unknown scenario "${name}"${nearest !== undefined ? ` (did you mean "${nearest}"?)` : ''}: ${knownText}. ` +
      '`ksim list` describes each; to run a scenario file, give its path (like ./my-scenario.yaml).',
  );
}

/** Built-in scenarios are shown relative to the package (`scenarios/lost-ack.yaml`), others absolute. */
function displayPath(file: string): string {
  const fromRoot = relative(packageRoot(), file);
  return fromRoot.startsWith('..') || fromRoot === file ? file : fromRoot.split(sep).join('/');
}

function loadFile(absolute: string, shown: string, source: Pick<ScenarioSource, 'kind' | 'path'>): LoadedScenario {
  const text = readScenarioText(absolute, shown);
  const raw = extname(absolute).toLowerCase() === '.json' ? parseJson(text, shown) : parseYaml(text, shown);
  const scenario = validateScenario(raw, scenarioNameOf(absolute), shown);
  return { scenario, source: { ...source, text, sha256: createHash('sha256').update(text).digest('hex') } };
}

function readScenarioText(absolute: string, shown: string): string {
  try {
    if (statSync(absolute).isDirectory()) {
      throw new ScenarioError(`cannot read scenario file ${shown}: it is a folder, not a file.`, shown);
    }
    return readFileSync(absolute, 'utf8');
  } catch (error) {
    if (error instanceof ScenarioError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String((error as Error).message);
    throw new ScenarioError(`cannot read scenario file ${shown}: ${reason}.`, shown);
  }
}

function parseJson(text: string, shown: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ScenarioError(`scenario file ${shown} is not valid JSON: ${describeJsonError(text, error)}.`, shown);
  }
}

/**
 * Validates a parsed scenario (from a file, or embedded in a replay file) and returns it complete,
 * with every default filled in. `name` is the name it must have; `file` names it in errors.
 */
export function validateScenario(raw: unknown, name: string, file: string): Scenario {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw ScenarioError.invalid(file, [{
      path: '',
      message: `the file must be a mapping of keys (description, system, cluster, config, workload, faults, durationMs, livenessMs, expect), not ${raw === null || raw === undefined ? 'empty' : Array.isArray(raw) ? 'a list' : `a ${typeof raw}`}`,
    }]);
  }
  // Work on a copy: ajv writes the defaults into what it validates.
  const data = structuredClone(raw) as Record<string, unknown>;
  const issues: ScenarioIssue[] = [];
  if (data['name'] !== undefined && data['name'] !== name) {
    issues.push({
      path: 'name',
      message: `is ${JSON.stringify(data['name'])} but the file is named "${name}": a scenario's name is its file's base name, so remove \`name\` or rename the file`,
    });
  }
  const validate = scenarioValidator();
  if (!validate(data)) issues.push(...issuesFromAjv(validate.errors ?? [], ''));

  const system = typeof data['system'] === 'string' ? systemOrIssue(data['system'], issues) : undefined;
  if (system !== undefined) {
    const sections = sectionValidators(system);
    for (const section of ['cluster', 'config', 'workload'] as const) {
      const value = data[section];
      if (value === null || typeof value !== 'object' || Array.isArray(value)) continue;
      const validateSection = sections[section];
      if (!validateSection(value)) issues.push(...issuesFromAjv(validateSection.errors ?? [], section));
    }
  }
  if (issues.length > 0) throw ScenarioError.invalid(file, inFileOrder(issues, Object.keys(raw)));
  if (system === undefined) throw new Error('a validated scenario must name a system');

  const scenario = assemble(data, name);
  if (scenario.foundAtSeed !== undefined && !('swarm' in scenario.faults && scenario.expect === 'violation')) {
    issues.push({ path: 'foundAtSeed', message: 'is only for a swarm scenario that expects a violation (faults.swarm and expect: violation): it names the seed where exploring found it' });
  }
  if (system.livenessMsMin !== undefined && scenario.livenessMs < system.livenessMsMin.ms) {
    issues.push({
      path: 'livenessMs',
      message: `is ${scenario.livenessMs}, too short for the ${system.name} system to converge after the heal: it must be at least ${system.livenessMsMin.ms} (${system.livenessMsMin.why})`,
    });
  }
  issues.push(...(system.check?.(scenario, raw as Record<string, unknown>) ?? []));
  // Naming the plan's nodes builds the cluster, which a config the check refused cannot do.
  issues.push(...checkFaultsAgainstSystem(scenario, system, issues.length === 0));
  if (issues.length > 0) throw ScenarioError.invalid(file, issues);
  return scenario;
}

/**
 * Orders issues as their top-level keys appear in the file (missing keys last), so the message
 * reads top to bottom like the file. The sort is stable: within a key, ajv's order is kept.
 */
function inFileOrder(issues: readonly ScenarioIssue[], fileKeys: readonly string[]): ScenarioIssue[] {
  const rank = (issue: ScenarioIssue): number => {
    const key = /^[^.[]*/.exec(issue.path)?.[0] ?? '';
    const index = fileKeys.indexOf(key);
    return index === -1 ? fileKeys.length : index;
  };
  return [...issues].sort((a, b) => rank(a) - rank(b));
}

function systemOrIssue(name: string, issues: ScenarioIssue[]): SystemDefinition | undefined {
  const system = SYSTEMS.find((candidate) => candidate.name === name);
  if (system === undefined) {
    const known = SYSTEMS.map((candidate) => candidate.name);
    const nearest = nearestName(name, known);
    issues.push({
      path: 'system',
      message: `must be one of ${known.join(', ')} (got "${name}"${nearest !== undefined ? `, did you mean ${nearest}?` : ''})`,
    });
  }
  return system;
}

interface SectionValidators {
  cluster: ValidateFunction;
  config: ValidateFunction;
  workload: ValidateFunction;
}

function sectionValidators(system: SystemDefinition): SectionValidators {
  return {
    cluster: validatorFor(sectionValidatorName(system.name, 'cluster'), system.schemas.cluster),
    config: validatorFor(sectionValidatorName(system.name, 'config'), system.schemas.config),
    workload: validatorFor(sectionValidatorName(system.name, 'workload'), system.schemas.workload),
  };
}

/** Builds the Scenario from validated data, in a fixed key order; plan entries become TimedFaults. */
function assemble(data: Record<string, unknown>, name: string): Scenario {
  const scenario: Scenario = {
    name,
    description: data['description'] as string,
    system: data['system'] as string,
    cluster: data['cluster'] as Record<string, unknown>,
    config: data['config'] as Record<string, unknown>,
    workload: data['workload'] as Record<string, unknown>,
    network: data['network'] as Scenario['network'],
    disk: data['disk'] as Scenario['disk'],
    faults: faultSpecOf(data['faults'] as Record<string, unknown>),
    durationMs: data['durationMs'] as number,
    livenessMs: data['livenessMs'] as number,
    expect: data['expect'] as Scenario['expect'],
  };
  if (typeof data['lesson'] === 'string') scenario.lesson = data['lesson'];
  if (typeof data['foundAtSeed'] === 'number') scenario.foundAtSeed = data['foundAtSeed'];
  return scenario;
}

function faultSpecOf(faults: Record<string, unknown>): FaultSpec {
  if (Array.isArray(faults['plan'])) {
    const plan = (faults['plan'] as Array<Record<string, unknown>>).map((entry): TimedFault => {
      const { atMs, ...action } = entry;
      return { atMs: atMs as number, action: action as unknown as FaultAction };
    });
    return { plan };
  }
  if (faults['swarm'] !== undefined) return { swarm: faults['swarm'] as SwarmProfile };
  return { none: true };
}

/** The checks the schema cannot make, because they depend on the system and the whole scenario. */
function checkFaultsAgainstSystem(scenario: Scenario, system: SystemDefinition, buildable: boolean): ScenarioIssue[] {
  const issues: ScenarioIssue[] = [];
  const faults = scenario.faults;
  if ('swarm' in faults) {
    (faults.swarm.families ?? []).forEach((family: FaultFamily, index) => {
      if (!system.faultFamilies.includes(family)) {
        issues.push({
          path: `faults.swarm.families[${index}]`,
          message: `is ${family}, which the ${system.name} system does not support; it supports ${system.faultFamilies.join(', ')}`,
        });
      }
    });
  }
  if (!('plan' in faults)) return issues;
  issues.push(...overlappingFaultIssues(faults.plan));
  if (!buildable) return issues;
  const nodeIds = system.build(scenario, 1).nodes.map((node) => node.id);
  faults.plan.forEach((fault, index) => {
    const path = `faults.plan[${index}]`;
    if (fault.atMs >= scenario.durationMs) {
      issues.push({
        path: `${path}.atMs`,
        message: `is ${fault.atMs}, not before the end of the safety phase (durationMs ${scenario.durationMs}); faults fire only in the safety phase`,
      });
    }
    for (const { reference, field } of nodeReferences(fault.action)) {
      const fieldPath = joinPath(path, field);
      if (reference.startsWith('@')) {
        if (!system.selectors.includes(reference)) {
          issues.push({
            path: fieldPath,
            message: `is the selector ${reference}, which the ${system.name} system does not resolve; it knows ${system.selectors.join(', ')}`,
          });
        }
      } else if (!nodeIds.includes(reference)) {
        const nearest = nearestName(reference, nodeIds);
        issues.push({
          path: fieldPath,
          message: `is ${reference}, which is not a node of this cluster${nearest !== undefined ? ` (did you mean ${nearest}?)` : ''}; its nodes are ${nodeIds.join(', ')}`,
        });
      }
    }
  });
  return issues;
}

/** Every node reference in a fault action, with the path segments of the field holding it. */
function nodeReferences(action: FaultAction): Array<{ reference: string; field: string[] }> {
  const references: Array<{ reference: string; field: string[] }> = [];
  const fields = action as unknown as Record<string, unknown>;
  for (const field of FAULT_NODE_FIELDS) {
    const value = fields[field];
    if (typeof value === 'string') references.push({ reference: value, field: [field] });
    else if (Array.isArray(value)) {
      value.forEach((item: unknown, i) => {
        if (typeof item === 'string') references.push({ reference: item, field: [field, String(i)] });
        else if (Array.isArray(item)) {
          item.forEach((inner: unknown, j) => {
            if (typeof inner === 'string') references.push({ reference: inner, field: [field, String(i), String(j)] });
          });
        }
      });
    }
  }
  return references;
}

/**
 * The inverse of loading: a Scenario in the shape of a scenario file (plan entries flat, with
 * `atMs` and `type` beside the action's fields), so that a scenario embedded in a replay file can
 * be validated again by the same rules, and written back out as a file.
 */
export function toScenarioFile(scenario: Scenario): Record<string, unknown> {
  const { name: _name, faults, ...rest } = scenario;
  const faultsFile: Record<string, unknown> = 'plan' in faults
    ? { plan: faults.plan.map((fault) => ({ atMs: fault.atMs, ...fault.action })) }
    : { ...faults };
  return { ...rest, faults: faultsFile };
}
