/**
 * Every built-in scenario runs with fixed seeds and must reach its expected verdict; each is also
 * run twice with its first seed, and the two trace hashes must match (the determinism check).
 * Long sweeps belong in `ksim explore`, not here.
 *
 * The suite is split into shards, one test file each (`shard-<k>-of-<n>.test.ts`), because vitest
 * runs the tests of one file one after another and only files in parallel. Scenarios are dealt to
 * the shards by their estimated cost, largest first, back and forth (1, 2, …, n, n, …, 2, 1), so the
 * shards take about as long as each other. Every scenario lands in exactly one shard; the
 * partition test in `shards.test.ts` holds that.
 */
import { describe, expect, test } from 'vitest';
import { listScenarios, loadScenario } from '../../sim/scenario/load.js';
import { runScenario } from '../../sim/runner.js';
import type { Scenario } from '../../sim/scenario/types.js';

/** Seeds per scenario: swarm scenarios get more, since each seed is a different fault plan. */
const SEEDS_FIXED_PLAN = [1, 2, 3];
const SEEDS_SWARM = [1, 2, 3, 4, 5, 6, 7, 8];

/** How many shard files there are; each must exist as `shard-<k>-of-<SHARD_COUNT>.test.ts`. */
export const SHARD_COUNT = 4;

/** A system's relative cost per simulated second (a Kafka cluster runs far more events than a counter). */
const SYSTEM_COST: Record<string, number> = { kafka: 10, raft: 2, counter: 1 };

function seedsOf(scenario: Scenario): number[] {
  return 'swarm' in scenario.faults ? SEEDS_SWARM : SEEDS_FIXED_PLAN;
}

/** Runs the scenario's tests make, times its simulated length, times its system's cost. */
function estimatedCost(scenario: Scenario): number {
  const runs = seedsOf(scenario).length + (scenario.foundAtSeed !== undefined ? 1 : 0) + 2;
  return runs * (scenario.durationMs + scenario.livenessMs) * (SYSTEM_COST[scenario.system] ?? 10);
}

/** The built-in scenarios' names in each shard (index 0 is shard 1). */
export function scenarioShards(shardCount = SHARD_COUNT): string[][] {
  const scenarios = listScenarios().map((listing) => loadScenario(listing.name, process.cwd()).scenario);
  const byCost = scenarios
    .map((scenario) => ({ name: scenario.name, cost: estimatedCost(scenario) }))
    .sort((a, b) => b.cost - a.cost || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const shards: string[][] = Array.from({ length: shardCount }, () => []);
  byCost.forEach(({ name }, rank) => {
    const round = Math.floor(rank / shardCount);
    const position = rank % shardCount;
    shards[round % 2 === 0 ? position : shardCount - 1 - position]!.push(name);
  });
  return shards.map((names) => names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Declares the tests of shard `shard` (1-based) of the suite. */
export function describeScenarioShard(shard: number): void {
  const names = scenarioShards()[shard - 1];
  if (names === undefined) throw new Error(`no shard ${shard} of ${SHARD_COUNT}`);
  describe.each(names)('scenario %s', (name) => {
    const { scenario } = loadScenario(name, process.cwd());
    const seeds = seedsOf(scenario);
    // A swarm lesson that expects a violation is a claim about exploration: some seed finds it (not
    // every seed draws the faults that trigger it), and no seed fails any other way.
    const findsAViolation = 'swarm' in scenario.faults && scenario.expect === 'violation';

    test.runIf(findsAViolation)('exploring its seeds finds the violation it teaches', () => {
      // A lesson whose violation is rare names the seed where exploring found it first.
      const explored = scenario.foundAtSeed !== undefined ? [...seeds, scenario.foundAtSeed] : seeds;
      const verdicts = explored.map((seed) => runScenario(scenario, seed).verdict);
      if (scenario.foundAtSeed !== undefined) expect(verdicts[verdicts.length - 1]).toBe('violation');
      expect(verdicts).toContain('violation');
      expect(verdicts.filter((v) => v !== 'violation' && v !== 'pass')).toEqual([]);
    });

    test.runIf(!findsAViolation).each(seeds)(`seed %i reaches the expected verdict (${scenario.expect})`, (seed) => {
      const result = runScenario(scenario, seed);
      const found = result.violations.map((v) => `${v.invariant}: ${v.message}`);
      expect({ verdict: result.verdict, found }).toMatchObject({ verdict: scenario.expect });
    });

    test('the same seed twice gives the same trace hash', () => {
      expect(runScenario(scenario, seeds[0]!).traceHash).toBe(runScenario(scenario, seeds[0]!).traceHash);
    });
  });
}
