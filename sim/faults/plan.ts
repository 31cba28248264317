/**
 * A fault plan is data: a list of timed fault actions. It is written in a scenario, or generated
 * from the seed (see swarm.ts); either way the realized plan is recorded in the replay file.
 *
 * Node references are node ids (`b1`) or selectors that the system resolves when the fault fires
 * (`@leader` — the node leading right then, `@any` — a node drawn from the fault stream), so a
 * scenario can say "crash the leader" without knowing who will lead.
 *
 * Every fault with a `durationMs` heals itself; at the end of the safety phase everything heals:
 * crashed nodes restart, cuts and clogs and spikes end, disks are no longer full or slow, paused
 * nodes wake, clocks are set right.
 *
 * The actions themselves are declared by the fault families, one file each (crash.ts, pause.ts,
 * partition.ts, ...), and listed in registry.ts; `FaultAction` is the union of theirs.
 */
import type { ActionOf, FaultKind, SwarmFamilyOf } from './fault.js';
import { FAULT_KINDS } from './registry.js';

type FaultKindOfTable = (typeof FAULT_KINDS)[number];

/** Every fault action, discriminated by `type`: the union of the actions of registry.ts's families. */
export type FaultAction = ActionOf<FaultKindOfTable>;

export type FaultType = FaultAction['type'];

export interface TimedFault {
  readonly atMs: number;
  readonly action: FaultAction;
}

export type FaultPlan = readonly TimedFault[];

/** The swarm families the fault files declare (`process-crash`, `one-way-partition`, ...). */
export type FaultFamily = SwarmFamilyOf<FaultKindOfTable>;

/**
 * The fault families that swarm testing turns on and off per seed, in the order the swarm draws
 * them. The order is part of what every seed means (which families a seed turns on, and every
 * draw after), so a new family is appended at the end, never inserted.
 */
export const FAULT_FAMILIES = [
  'process-crash',
  'power-loss',
  'disk-loss',
  'pause',
  'clock-skew',
  'partition',
  'one-way-partition',
  'class-partition',
  'connection-reset',
  'latency-spike',
  'clog',
  'slow-fsync',
  'disk-full',
  'bit-flip',
  // Appended last so that adding it left every earlier family's draws, and so every older swarm
  // plan's faults, unchanged.
  'isolate',
  // The consumer families: off in systems without consumers, so older plans keep all their draws.
  'consumer-crash',
  'consumer-pause',
  'consumer-partition',
  // Opt-in (only when a profile lists it), so no seed of an older profile changes.
  'client-clog',
] as const satisfies readonly FaultFamily[];

const KIND_BY_TYPE = new Map<string, FaultKind<FaultAction, FaultFamily>>(
  FAULT_KINDS.map((kind) => [kind.type, kind as unknown as FaultKind<FaultAction, FaultFamily>]),
);

/** The family that implements an action (registry.ts's table, looked up by `type`). */
export function faultKindOf(type: FaultType): FaultKind<FaultAction, FaultFamily> {
  const kind = KIND_BY_TYPE.get(type);
  if (kind === undefined) throw new Error(`unknown fault type ${JSON.stringify(type)}`);
  return kind;
}

/** A one-line human description of an action, for narration and reports. */
export function describeFault(action: FaultAction): string {
  return faultKindOf(action.type).describe(action);
}
