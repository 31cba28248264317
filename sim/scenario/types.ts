/**
 * A scenario: the data that decides a run, together with the seed. Scenario files live in
 * `scenarios/` (YAML or JSON) and are validated against the schema in schema.ts before any run;
 * the system named by `system` validates its own `cluster`, `config` and `workload` sections.
 */
import type { DiskConfig } from '../disk.js';
import type { FaultFamily, TimedFault } from '../faults/plan.js';
import type { NetworkConfig } from '../network.js';

export type Verdict = 'pass' | 'violation' | 'liveness' | 'nondeterministic';

/** Swarm testing: each seed turns on a random subset of these families, with random intensities. */
export interface SwarmProfile {
  /** The families a seed may turn on; default: every family the system supports. */
  families?: FaultFamily[];
  /** Scales every family's rate (1 = the default rates). */
  intensity?: number;
  /** At most this many server nodes down (crashed) at once; default: a minority of the servers. */
  maxDown?: number;
  /** The longest a partition, latency spike, slow fsync or full disk lasts; default 5000 ms. */
  maxWindowMs?: number;
  /** The longest a crashed server stays down; default 4000 ms. */
  maxDownMs?: number;
}

export type FaultSpec = { plan: TimedFault[] } | { swarm: SwarmProfile } | { none: true };

export interface Scenario {
  name: string;
  description: string;
  /** Which system runs: `counter` (the kernel's test protocol), later `raft`, `kafka`. */
  system: string;
  cluster: Record<string, unknown>;
  /** Kafka configuration keys, with Kafka's names (`acks`, `min.insync.replicas`, ...). */
  config: Record<string, unknown>;
  workload: Record<string, unknown>;
  network: Partial<NetworkConfig>;
  disk: Partial<DiskConfig>;
  faults: FaultSpec;
  /** The safety phase, with faults. */
  durationMs: number;
  /** The liveness phase: everything healed, convergence demanded. */
  livenessMs: number;
  expect: Exclude<Verdict, 'nondeterministic'>;
  /** Text for a learner: what this scenario shows and why. */
  lesson?: string;
  /**
   * A swarm scenario that expects a violation may name the first seed where `ksim explore` found
   * it; the scenario suite checks that seed still does.
   */
  foundAtSeed?: number;
}

export interface ScenarioSource {
  /** `builtin` when named from scenarios/, `file` when given as a path. */
  kind: 'builtin' | 'file';
  path: string;
  /** The file's text, as read. */
  text: string;
  /** sha256 of `text`, hex. */
  sha256: string;
}

export interface LoadedScenario {
  scenario: Scenario;
  source: ScenarioSource;
}
