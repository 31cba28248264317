/**
 * Determinism: the same seed gives the same trace hash, always; different seeds give different
 * runs. Random fault plans are generated from the seed too, so they are covered.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { generateSwarmPlan } from '../../sim/faults/swarm.js';
import { runScenario } from '../../sim/runner.js';
import { counterScenario } from '../support/scenarios.js';

const swarm = counterScenario({ durationMs: 8_000, livenessMs: 4_000, faults: { swarm: {} } });

describe('determinism', () => {
  test('a seed run twice, with swarm faults, gives the same trace hash (property)', () => {
    fc.assert(
      fc.property(fc.nat({ max: 1_000_000 }), (seed) => {
        const first = runScenario(swarm, seed);
        const second = runScenario(swarm, seed);
        expect(second.traceHash).toBe(first.traceHash);
        expect(second.stats.events).toBe(first.stats.events);
        expect(second.faultPlan).toEqual(first.faultPlan);
      }),
      { numRuns: 15 },
    );
  });

  test('different seeds give different trace hashes', () => {
    const hashes = new Set(Array.from({ length: 20 }, (_, seed) => runScenario(swarm, seed).traceHash));
    expect(hashes.size).toBe(20);
  });

  test('writing a trace does not change the run', () => {
    const lines: string[] = [];
    const traced = runScenario(swarm, 42, { traceSink: (line) => lines.push(line) });
    expect(traced.traceHash).toBe(runScenario(swarm, 42).traceHash);
    expect(lines.length).toBeGreaterThan(traced.stats.events);
    for (const line of lines.slice(0, 50)) expect(() => JSON.parse(line)).not.toThrow();
  });

  test('swarm plans: same seed, same plan; each seed enables a subset of the families', () => {
    const input = (seed: number) => ({
      seed,
      profile: {},
      supportedFamilies: ['process-crash', 'partition', 'clog', 'bit-flip'] as const,
      servers: ['r1', 'r2', 'r3'],
      clients: ['c1'],
      durationMs: 30_000,
    });
    expect(generateSwarmPlan(input(5))).toEqual(generateSwarmPlan(input(5)));
    const typesPerSeed = Array.from({ length: 30 }, (_, seed) => new Set(generateSwarmPlan(input(seed)).map((f) => f.action.type)).size);
    expect(Math.min(...typesPerSeed)).toBeGreaterThanOrEqual(1);
    expect(new Set(typesPerSeed).size).toBeGreaterThan(1);
  });

  test('swarm plans never take down more than a minority of servers at once', () => {
    for (let seed = 0; seed < 50; seed++) {
      const plan = generateSwarmPlan({
        seed,
        profile: { families: ['process-crash', 'power-loss', 'disk-loss'], intensity: 4 },
        supportedFamilies: ['process-crash', 'power-loss', 'disk-loss'],
        servers: ['r1', 'r2', 'r3', 'r4', 'r5'],
        clients: [],
        durationMs: 30_000,
      });
      for (const fault of plan) {
        if (fault.action.type !== 'crash') continue;
        const down = plan.filter((other) => other.action.type === 'crash' && other.atMs <= fault.atMs &&
          fault.atMs <= other.atMs + (other.action.restartAfterMs ?? 0));
        expect(down.length).toBeLessThanOrEqual(2);
      }
    }
  });
});
