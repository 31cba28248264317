/** Builds scenario objects in tests without going through files. */
import type { Scenario } from '../../sim/scenario/types.js';

export function counterScenario(overrides: Partial<Scenario> = {}): Scenario {
  return {
    name: 'test-counter',
    description: 'a counter scenario built by a test',
    system: 'counter',
    cluster: { replicas: 3, clients: 2 },
    config: {},
    workload: {},
    network: {},
    disk: {},
    faults: { none: true },
    durationMs: 5_000,
    livenessMs: 5_000,
    expect: 'pass',
    ...overrides,
  };
}
