/**
 * Golden trace hashes: every built-in scenario's trace hash at its documented seed (its
 * `foundAtSeed` when it names one, else seed 1), plus a few extra swarm seeds, is committed in
 * `golden-hashes.json`. Any change to the kernel, a protocol or a scenario that changes what runs
 * changes a hash here, so drift is never silent. A change that is meant to alter runs regenerates
 * them with `npm run golden` and its commit says which hashes changed and why.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { listScenarios, loadScenario } from '../../sim/scenario/load.js';
import { runScenario } from '../../sim/runner.js';

const GOLDEN_FILE = join(import.meta.dirname, 'golden-hashes.json');
const UPDATE = process.env['UPDATE_GOLDEN'] === '1';

/** Extra seeds of the swarms, where one seed alone covers little of the fault space. */
const EXTRA_PAIRS: Array<[string, number]> = [
  ['counter-swarm', 1234],
  ['raft-swarm', 2024],
  ['kafka-swarm', 2024],
];

function documentedPairs(): Array<[string, number]> {
  return listScenarios().map((listing) => {
    const { scenario } = loadScenario(listing.name, process.cwd());
    return [listing.name, scenario.foundAtSeed ?? 1];
  });
}

const PAIRS = [...documentedPairs(), ...EXTRA_PAIRS];
const golden = UPDATE ? {} : (JSON.parse(readFileSync(GOLDEN_FILE, 'utf8')) as Record<string, string>);
const actual: Record<string, string> = {};

test('every scenario has a committed golden hash, and no hash is left over', () => {
  if (UPDATE) return;
  const keys = PAIRS.map(([name, seed]) => `${name}@${seed}`).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  expect(Object.keys(golden).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(keys);
});

test.each(PAIRS)('%s at seed %i has its golden trace hash', (name, seed) => {
  const hash = runScenario(loadScenario(name, process.cwd()).scenario, seed).traceHash;
  actual[`${name}@${seed}`] = hash;
  if (!UPDATE) expect(hash).toBe(golden[`${name}@${seed}`]);
});

afterAll(() => {
  if (!UPDATE) return;
  const sorted = Object.fromEntries(Object.entries(actual).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  writeFileSync(GOLDEN_FILE, `${JSON.stringify(sorted, null, 2)}\n`);
});
