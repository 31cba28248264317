/**
 * A system is what runs in the world: the kernel's test protocol (`counter`), the KRaft quorum
 * (`raft`), a Kafka cluster (`kafka`). It declares the schema of its own scenario sections, builds
 * its nodes into a world, and brings its checker: invariants checked as trace events arrive (i.e.
 * after every event that changes the state they constrain), history checks at the end, and the
 * liveness demand after the heal.
 */
import type { JSONSchemaType } from 'ajv';
import type { AllowedAnomaly, Violation } from '../checker/types.js';
import type { FaultFamily } from '../faults/plan.js';
import type { ScenarioIssue } from '../scenario/errors.js';
import type { Scenario } from '../scenario/types.js';
import type { NodeId } from '../../src/host.js';
import type { NodeSpec, World } from '../world.js';

/** JSON Schemas (ajv) for the system's own scenario sections. */
export interface SystemSchemas {
  cluster: object;
  config: object;
  workload: object;
}

export interface SystemChecker {
  /** Safety violations found so far (invariants are checked as trace events arrive). */
  violations(): Violation[];
  /** Called when the safety phase ends and everything heals. */
  onHeal(world: World): void;
  /** Called at the end of the run: history checks and the liveness demand. */
  finish(world: World): { violations: Violation[]; anomalies: AllowedAnomaly[]; summary: Record<string, unknown> };
  /**
   * The configuration's contract, one row per anomaly: allowed or not, and why (for reports).
   * Systems whose checks are all invariants of every run have none.
   */
  contractTable?(): ContractRow[];
}

/** One row of a system's contract table (sim/systems/kafka/contract.ts for Kafka). */
export interface ContractRow {
  anomaly: string;
  allowed: boolean;
  reason: string;
}

export interface BuiltSystem {
  nodes: NodeSpec[];
  /** The consumer nodes among the clients, which the consumer fault families aim at (none: those families stay off). */
  consumers?: readonly NodeId[];
  /** The clients that write (producers, pipeline instances), which `client-clog` aims at (none named: every client). */
  writers?: readonly NodeId[];
  sizeOf(message: unknown): number;
  /** Resolves selectors such as `@leader` when a fault fires. */
  resolveSelector(selector: string, world: World): NodeId | undefined;
  /** Wires the checker to the world (subscribes to trace events). */
  attach(world: World): SystemChecker;
}

/** One narrated line: what happened, in a sentence a learner can follow. */
export interface Narration {
  /** Picks the colour: faults, elections, leadership, progress, recovery, other. */
  tone: 'fault' | 'election' | 'leader' | 'progress' | 'recovery' | 'info';
  text: string;
}

/** Turns a system's trace events into narration; it may keep state (e.g. each node's role). */
export interface Narrator {
  onTrace(atMs: number, node: NodeId, event: { type: string; [field: string]: unknown }): Narration | null;
}

export interface SystemDefinition {
  name: string;
  description: string;
  schemas: SystemSchemas;
  /** The fault families this system can meaningfully face in swarm testing. */
  faultFamilies: readonly FaultFamily[];
  /** The selectors it resolves, for validation and docs (e.g. `@leader`). */
  selectors: readonly string[];
  /**
   * Builds the nodes and the checker wiring. Must be pure and cheap: it is also called to learn
   * the node ids (validation, swarm plans), and node ids must not depend on the seed.
   */
  build(scenario: Scenario, seed: number): BuiltSystem;
  /**
   * Checks that need more than a schema (names that must match the cluster, fields that must
   * agree). `raw` is the scenario as written, before defaults were filled in.
   */
  check?(scenario: Scenario, raw: Readonly<Record<string, unknown>>): ScenarioIssue[];
  /** Narration for `ksim run --narrate`; systems without one narrate faults and phases only. */
  narrator?(): Narrator;
  /**
   * The shortest liveness phase in which this system can converge after the heal, and why: a
   * shorter `livenessMs` can only end in a liveness failure, so it is refused as bad input.
   */
  livenessMsMin?: { readonly ms: number; readonly why: string };
}

/**
 * A scenario section with the defaults of its schema filled in. The schema is the one place a
 * default is written; scenarios loaded from files arrive filled already (ajv's useDefaults), and
 * scenarios built in code get the same values here.
 */
export function withSchemaDefaults<T extends object>(schema: object, section: Readonly<Record<string, unknown>>): T {
  const properties = (schema as { properties?: Record<string, { default?: unknown }> }).properties ?? {};
  const filled: Record<string, unknown> = {};
  for (const [key, property] of Object.entries(properties)) if (property.default !== undefined) filled[key] = property.default;
  return { ...filled, ...section } as T;
}

export type { JSONSchemaType };
