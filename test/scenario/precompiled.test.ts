/**
 * What `npm run build` prepares ahead of time must behave exactly like what it replaces: the
 * precompiled validators (dist/sim/scenario/validators.generated.cjs) like ajv compiling the same
 * schemas now — the same verdicts, the same filled-in defaults, the same errors — and the
 * pre-parsed built-in scenarios (dist/sim/scenario/scenarios.generated.json) like parsing their
 * YAML now. Reads the build's output, which `npm test` makes first.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { REPLAY_SCHEMA } from '../../sim/report/replay.js';
import { SCENARIO_SCHEMA } from '../../sim/scenario/schema.js';
import { type PrecompiledValidators, PRECOMPILED_FILE, createAjv, schemaDigest, sectionValidatorName } from '../../sim/scenario/validators.js';
import { PREPARSED_FILE, parseYamlNow, yamlTextDigest } from '../../sim/scenario/yaml.js';
import { SYSTEMS } from '../../sim/systems/index.js';
import { REPO_ROOT } from '../cli/harness.js';

const BUILT = join(REPO_ROOT, 'dist', 'sim', 'scenario');
const SECTIONS = ['cluster', 'config', 'workload'] as const;

function schemas(): Map<string, object> {
  const all = new Map<string, object>([['scenario', SCENARIO_SCHEMA], ['replay', REPLAY_SCHEMA]]);
  for (const system of SYSTEMS) for (const section of SECTIONS) all.set(sectionValidatorName(system.name, section), system.schemas[section]);
  return all;
}

function builtinScenarios(): Array<{ file: string; text: string; value: Record<string, unknown> }> {
  const directory = join(REPO_ROOT, 'scenarios');
  return readdirSync(directory)
    .filter((file) => file.endsWith('.yaml'))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((file) => {
      const text = readFileSync(join(directory, file), 'utf8');
      return { file, text, value: parseYamlNow(text, file) as Record<string, unknown> };
    });
}

/** Inputs for a validator: every built-in's value for it, and broken copies of each. */
function inputsFor(name: string): unknown[] {
  const values = builtinScenarios().map(({ value }) => {
    const [, section] = name.split('.');
    return section === undefined ? value : (value[section] ?? {});
  });
  const broken = values.flatMap((value) => [
    { ...(value as object), unknownKey: 1 },
    { ...(value as object), durationMs: -5, system: 'kafak', replicas: 'three', 'min.insync.replicas': 'two', partitions: 0 },
    'not an object',
    null,
  ]);
  return [...values, ...broken];
}

describe('precompiled validators', () => {
  const precompiled = createRequire(import.meta.url)(join(BUILT, PRECOMPILED_FILE)) as PrecompiledValidators;

  test('there is one for every schema, compiled from the schema as it is now (else run `npm run build`)', () => {
    const expected = Object.fromEntries([...schemas()].map(([name, schema]) => [name, schemaDigest(schema)]));
    expect(precompiled.digests).toEqual(expected);
  });

  test.each([...schemas().keys()])('%s gives the verdicts, defaults and errors ajv gives', (name) => {
    const compiledNow = createAjv().compile(schemas().get(name)!);
    const validator = precompiled.validators[name]!;
    for (const input of inputsFor(name)) {
      const [mine, theirs] = [structuredClone(input), structuredClone(input)];
      expect(validator(mine)).toBe(compiledNow(theirs));
      expect(mine).toEqual(theirs);
      expect(validator.errors ?? null).toEqual(compiledNow.errors ?? null);
    }
  });
});

describe('pre-parsed built-in scenarios', () => {
  test('every built-in scenario is there, under its text\'s digest, as parsing its YAML gives it', () => {
    const preparsed = JSON.parse(readFileSync(join(BUILT, PREPARSED_FILE), 'utf8')) as Record<string, unknown>;
    const scenarios = builtinScenarios();
    expect(Object.keys(preparsed)).toHaveLength(scenarios.length);
    for (const { file, text, value } of scenarios) expect(preparsed[yamlTextDigest(text)], file).toEqual(value);
  });
});
