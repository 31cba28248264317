/**
 * Every built-in scenario runs with fixed seeds and must reach its expected verdict; each is also
 * run twice with its first seed, and the two trace hashes must match (the determinism check).
 * Long sweeps belong in `ksim explore`, not here.
 */
import { describe, expect, test } from 'vitest';
import { listScenarios, loadScenario } from '../sim/scenario/load.js';
import { runScenario } from '../sim/runner.js';

/** Seeds per scenario: swarm scenarios get more, since each seed is a different fault plan. */
const SEEDS_FIXED_PLAN = [1, 2, 3];
const SEEDS_SWARM = [1, 2, 3, 4, 5, 6, 7, 8];

describe.each(listScenarios().map((listing) => listing.name))('scenario %s', (name) => {
  const { scenario } = loadScenario(name, process.cwd());
  const seeds = 'swarm' in scenario.faults ? SEEDS_SWARM : SEEDS_FIXED_PLAN;
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
