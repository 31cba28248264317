/**
 * The one interface every fault family implements, in one file per family beside this one; the
 * table in registry.ts lists them. A family brings everything about itself:
 * - its action (the data a fault plan holds) and the scenario schema of its fields;
 * - `describe`, one line for narration, reports and the trace file;
 * - `apply`, which makes the fault happen now, through the parts of the world it may touch
 *   (`FaultContext`), and `end`, which undoes it when its window closes;
 * - its swarm draws: the families a seed may turn on, each with its rate and how it draws one
 *   action (see swarm.ts for the limits every draw shares).
 *
 * What ends a fault at the heal is not here: each part of the world heals its own state (the
 * network its cuts, clogs and spikes; node hosting a node's disk faults, clock, pause and process),
 * so the heal ends every fault whatever family put it in force.
 */
import type { NodeId } from '../../src/host.js';
import type { SimNetwork } from '../network.js';
import type { NodeHosting } from '../nodeHosting.js';
import type { SeededRandom } from '../random.js';
import type { FaultAction } from './plan.js';

/** What a fault may touch when it fires or ends. */
export interface FaultContext {
  readonly nowMs: number;
  readonly network: SimNetwork;
  readonly nodes: NodeHosting;
  /** A node id or a selector (`@leader`, `@any`), resolved now; undefined when it names no node. */
  resolve(selector: string): NodeId | undefined;
  /** Every node the selectors name right now, once each, sorted. */
  resolveAll(selectors: readonly string[]): NodeId[];
  /** A new id for a fault in force, by which the network finds the cut, clog or spike to remove. */
  newFaultId(): number;
  /** Ends the fault after `durationMs`: the family's `end` then gets `action` back. */
  endAfter(durationMs: number, faultId: number, action: FaultAction): void;
}

/** The scenario schema (JSON Schema, for ajv) of one action's fields besides `type` and `atMs`. */
export interface FaultFields {
  readonly properties: Record<string, object>;
  readonly required: string[];
}

/** What a swarm draw may use: the seed's plan stream and the limits of the swarm profile. */
export interface SwarmContext {
  readonly random: SeededRandom;
  /** The cluster's servers (never empty when a draw runs). */
  readonly servers: readonly NodeId[];
  /** Servers, then clients. */
  readonly everyone: readonly NodeId[];
  /** The consumer nodes among the clients (empty for systems without consumers). */
  readonly consumers: readonly NodeId[];
  /** The clients that write (producers, pipeline instances; every client when the system names none). */
  readonly writers: readonly NodeId[];
  /** The selectors the system resolves (`@leader`, `@follower`, ...). */
  readonly selectors: readonly string[];
  /** How long a partition, spike, slow fsync or full disk lasts, drawn within the profile's limit. */
  windowMs(): number;
  /** How long a crashed server stays down, drawn within the profile's limit. */
  downMs(): number;
  /** Reserves one more server down from now for `durationMs`; false when that would exceed maxDown. */
  reserveDown(durationMs: number): boolean;
}

/** One swarm family: a name a scenario can list, how often it strikes, and how it draws a fault. */
export interface SwarmDraw<A, F extends string> {
  readonly family: F;
  /** The mean time between two faults of this family at intensity 1. */
  readonly meanIntervalMs: number;
  /** A family that strikes consumers is off for a system that has none (so older plans keep every draw). */
  readonly requires?: 'consumers';
  /**
   * A family a seed may turn on only when the scenario's swarm profile lists it in `families`: it
   * aims at one race, and turning it on by default would change every other seed's plan.
   */
  readonly optIn?: true;
  /** Draws one action, or undefined to skip this turn. */
  draw(swarm: SwarmContext): A | undefined;
}

export interface FaultKind<A extends { readonly type: string }, F extends string = never> {
  readonly type: A['type'];
  readonly fields: FaultFields;
  describe(action: A): string;
  /** Applies the fault now; returns a note for narration (the nodes it hit, or why it was skipped). */
  apply(action: A, world: FaultContext): string;
  /** Undoes a fault whose window closed; only families that call `endAfter` have one. */
  end?(faultId: number, action: A, world: FaultContext): void;
  readonly swarm: readonly SwarmDraw<A, F>[];
}

/** The action type of a fault kind. */
export type ActionOf<K> = K extends FaultKind<infer A, string> ? A : never;

/** The swarm family names of a fault kind. */
export type SwarmFamilyOf<K> = K extends FaultKind<{ readonly type: string }, infer F> ? F : never;
