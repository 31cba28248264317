/**
 * The scenario suite's shards cover every built-in scenario exactly once, and a file exists for
 * each shard: a scenario that fell between shards would silently never run.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { listScenarios } from '../../sim/scenario/load.js';
import { SHARD_COUNT, scenarioShards } from './suite.js';

test('every built-in scenario is in exactly one shard, and every shard has its file', () => {
  const shards = scenarioShards();
  expect(shards).toHaveLength(SHARD_COUNT);
  const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  expect(shards.flat().sort(byName)).toEqual(listScenarios().map((listing) => listing.name).sort(byName));
  for (let shard = 1; shard <= SHARD_COUNT; shard++) {
    expect(existsSync(join(import.meta.dirname, `shard-${shard}-of-${SHARD_COUNT}.test.ts`)), `shard-${shard}-of-${SHARD_COUNT}.test.ts`).toBe(true);
    expect(shards[shard - 1]!.length).toBeGreaterThan(0);
  }
});
