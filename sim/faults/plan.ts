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
 */
import type { TrafficClass } from '../../src/host.js';

export type CrashMode =
  /** The process dies; the OS and its page cache survive. */
  | 'process'
  /** The machine loses power: what was not fsynced is gone, the last write may be torn. */
  | 'power'
  /** The disk is lost: the node restarts empty. */
  | 'disk';

export type FaultAction =
  | { type: 'crash'; node: string; mode: CrashMode; restartAfterMs: number | null }
  | { type: 'restart'; node: string }
  | { type: 'pause'; node: string; durationMs: number }
  | { type: 'clock-skew'; node: string; skewMs: number }
  /** Cuts traffic between two node sets; one-way cuts only `sides[0]` → `sides[1]`. */
  | { type: 'partition'; sides: [string[], string[]]; oneWay: boolean; trafficClass: TrafficClass | null; durationMs: number }
  /** Cuts one node off from every other node. */
  | { type: 'isolate'; node: string; trafficClass: TrafficClass | null; durationMs: number }
  | { type: 'reset'; nodes: [string, string] }
  | { type: 'latency-spike'; nodes: string[] | null; extraMs: number; durationMs: number }
  /** Delays (never drops) everything on a node (one id) or a link (two ids). */
  | { type: 'clog'; nodes: string[]; durationMs: number }
  | { type: 'slow-fsync'; node: string; factor: number; durationMs: number }
  | { type: 'disk-full'; node: string; durationMs: number }
  | { type: 'bit-flip'; node: string }
  | { type: 'heal' };

export type FaultType = FaultAction['type'];

export interface TimedFault {
  readonly atMs: number;
  readonly action: FaultAction;
}

export type FaultPlan = readonly TimedFault[];

/** The fault families that swarm testing turns on and off per seed. */
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
] as const;

export type FaultFamily = (typeof FAULT_FAMILIES)[number];

/** A one-line human description of an action, for narration and reports. */
export function describeFault(action: FaultAction): string {
  switch (action.type) {
    case 'crash':
      return `${action.mode === 'process' ? 'crash' : action.mode === 'power' ? 'power loss on' : 'disk loss on'} ${action.node}` +
        (action.restartAfterMs === null ? '' : `, restart after ${action.restartAfterMs}ms`);
    case 'restart':
      return `restart ${action.node}`;
    case 'pause':
      return `pause ${action.node} for ${action.durationMs}ms`;
    case 'clock-skew':
      return `skew ${action.node}'s clock by ${action.skewMs}ms`;
    case 'partition':
      return `${action.oneWay ? 'one-way ' : ''}partition ${action.trafficClass ?? 'all'} traffic ` +
        `[${action.sides[0].join(',')}] ${action.oneWay ? '->' : '|'} [${action.sides[1].join(',')}] for ${action.durationMs}ms`;
    case 'isolate':
      return `isolate ${action.node} (${action.trafficClass ?? 'all'} traffic) for ${action.durationMs}ms`;
    case 'reset':
      return `reset connections ${action.nodes[0]}<->${action.nodes[1]}`;
    case 'latency-spike':
      return `latency +${action.extraMs}ms on ${action.nodes === null ? 'every link' : action.nodes.join(',')} for ${action.durationMs}ms`;
    case 'clog':
      return `clog ${action.nodes.join('<->')} for ${action.durationMs}ms`;
    case 'slow-fsync':
      return `fsync ${action.factor}x slower on ${action.node} for ${action.durationMs}ms`;
    case 'disk-full':
      return `disk full on ${action.node} for ${action.durationMs}ms`;
    case 'bit-flip':
      return `flip a bit on ${action.node}'s disk`;
    case 'heal':
      return 'heal everything';
    default: {
      const unreachable: never = action;
      throw new Error(`unknown fault ${JSON.stringify(unreachable)}`);
    }
  }
}
