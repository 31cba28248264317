/**
 * Golden trace hashes: a few (scenario, seed) pairs whose hashes are committed. Any change to the
 * kernel, a protocol or a scenario that changes what runs changes a hash here, so drift is never
 * silent. When a change is meant to alter runs, regenerate with `UPDATE_GOLDEN=1 npx vitest run
 * test/determinism/golden.test.ts` and commit the new file with the change that caused it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { loadScenario } from '../../sim/scenario/load.js';
import { runScenario } from '../../sim/runner.js';

const GOLDEN_FILE = join(import.meta.dirname, 'golden-hashes.json');
const PAIRS: Array<[string, number]> = [
  ['counter-basic', 7],
  ['counter-power-loss', 1],
  ['counter-partitions', 3],
  ['counter-swarm', 7],
  ['counter-swarm', 1234],
  ['raft-initial-election', 1],
  ['raft-leader-partitioned', 2],
  ['raft-swarm', 7],
  ['raft-swarm', 2024],
];

test('golden trace hashes are unchanged', () => {
  const actual: Record<string, string> = {};
  for (const [name, seed] of PAIRS) actual[`${name}@${seed}`] = runScenario(loadScenario(name, process.cwd()).scenario, seed).traceHash;
  if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(GOLDEN_FILE, `${JSON.stringify(actual, null, 2)}\n`);
  const golden = JSON.parse(readFileSync(GOLDEN_FILE, 'utf8')) as Record<string, string>;
  expect(actual).toEqual(golden);
});
