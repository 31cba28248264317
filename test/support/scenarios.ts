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

/** A raft scenario (3 voters by default); its config takes Kafka's key names. */
export function raftScenario(overrides: Partial<Scenario> = {}): Scenario {
  return counterScenario({ name: 'test-raft', description: 'a raft scenario built by a test', system: 'raft', cluster: {}, ...overrides });
}

/** A kafka scenario (3 controllers, 3 brokers, 2 producers by default); config has one section per component. */
export function kafkaScenario(overrides: Partial<Scenario> = {}): Scenario {
  return counterScenario({ name: 'test-kafka', description: 'a kafka scenario built by a test', system: 'kafka', cluster: {}, ...overrides });
}
