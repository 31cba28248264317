/**
 * The opt-in `client-clog` swarm family: a writer's link to a server, clogged for a fault window.
 * It must stay off unless a profile lists it (so every older seed keeps its plan), and, listed,
 * aim only at the clients that write.
 */
import { describe, expect, test } from 'vitest';
import { FAULT_FAMILIES, type FaultFamily } from '../../sim/faults/plan.js';
import { generateSwarmPlan, type SwarmInput } from '../../sim/faults/swarm.js';
import { loadScenario } from '../../sim/scenario/load.js';
import { realizeFaultPlan } from '../../sim/runner.js';

const input = (seed: number, overrides: Partial<SwarmInput> = {}): SwarmInput => ({
  seed,
  profile: {},
  supportedFamilies: FAULT_FAMILIES,
  servers: ['c1', 'b1', 'b2', 'b3'],
  clients: ['p1', 'p2', 'r1'],
  writers: ['p1', 'p2'],
  consumers: [],
  durationMs: 20_000,
  selectors: ['@leader', '@controller'],
  ...overrides,
});

describe('the client-clog swarm family', () => {
  test('stays off unless the profile lists it: every plan is the plan of a swarm that does not know the family', () => {
    const without = FAULT_FAMILIES.filter((family) => family !== 'client-clog');
    for (let seed = 0; seed < 60; seed++) {
      const plan = generateSwarmPlan(input(seed));
      expect(plan).toEqual(generateSwarmPlan(input(seed, { supportedFamilies: without })));
      expect(plan.some((fault) => fault.action.type === 'clog' && fault.action.durationMs > 2_000)).toBe(false);
    }
  });

  test('listed, it clogs a writer and a server (the leader half the time) for a fault window', () => {
    const plan = [1, 2, 3, 4, 5, 6].flatMap((seed) => generateSwarmPlan(input(seed, { profile: { families: ['client-clog' as FaultFamily], intensity: 3, maxWindowMs: 4_000 } })));
    expect(plan.length).toBeGreaterThan(20);
    const servers = new Set<string>();
    for (const { action } of plan) {
      if (action.type !== 'clog') throw new Error(`drew a ${action.type}`);
      const [client, server] = action.nodes;
      expect(['p1', 'p2']).toContain(client);
      expect(['@leader', 'c1', 'b1', 'b2', 'b3']).toContain(server);
      servers.add(server!);
      expect(action.durationMs).toBeGreaterThanOrEqual(200);
      expect(action.durationMs).toBeLessThanOrEqual(4_000);
    }
    expect(servers.has('@leader')).toBe(true);
    expect(servers.size).toBeGreaterThan(2);
  });

  test('a system that names no writers has every client drawn', () => {
    const plan = generateSwarmPlan(input(7, { writers: [], profile: { families: ['client-clog' as FaultFamily], intensity: 4 } }));
    const clients = new Set(plan.map(({ action }) => (action.type === 'clog' ? action.nodes[0] : undefined)));
    expect(clients).toEqual(new Set(['p1', 'p2', 'r1']));
  });

  test("kafka names its producers as the writers: the swarm twin's clogs strike p1 and p2 only", () => {
    const { scenario } = loadScenario('kafka-legacy-txn-without-verification-swarm', process.cwd());
    const plan = [1, 2, 3].flatMap((seed) => realizeFaultPlan(scenario, seed));
    expect(plan.length).toBeGreaterThan(5);
    for (const { action } of plan) expect(action.type === 'clog' && ['p1', 'p2'].includes(action.nodes[0]!)).toBe(true);
  });
});
