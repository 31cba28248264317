/**
 * Swarm testing (Groce et al., "Swarm Testing", ISSTA 2012): instead of running every fault family
 * at once in every run, each seed turns on a random subset of families, each at a random rate.
 * Runs with few families reach deep states that a constant storm of every fault would interrupt.
 *
 * The plan is generated from the seed alone (stream `faults/plan`) before the run starts, so it is
 * data: it is printed, recorded in replay files, and can be shrunk. Limits:
 * - at most `maxDown` servers are down at once (default: a minority, so a majority-based system can
 *   make progress and the contract stays meaningful);
 * - every fault ends inside the safety phase or is healed at its end.
 */
import type { NodeId, TrafficClass } from '../../src/host.js';
import { TRAFFIC_CLASSES } from '../../src/host.js';
import { RandomRoot, type SeededRandom } from '../random.js';
import type { SwarmProfile } from '../scenario/types.js';
import { type CrashMode, FAULT_FAMILIES, type FaultAction, type FaultFamily, type TimedFault } from './plan.js';

export interface SwarmInput {
  seed: number;
  profile: SwarmProfile;
  supportedFamilies: readonly FaultFamily[];
  servers: readonly NodeId[];
  clients: readonly NodeId[];
  durationMs: number;
  /** Selectors the system resolves (e.g. `@leader`), used as crash targets part of the time. */
  selectors?: readonly string[];
}

/** The mean time between two faults of one family at intensity 1. */
const FAMILY_MEAN_INTERVAL_MS: Record<FaultFamily, number> = {
  'process-crash': 4_000,
  'power-loss': 6_000,
  'disk-loss': 15_000,
  pause: 5_000,
  'clock-skew': 8_000,
  partition: 5_000,
  'one-way-partition': 6_000,
  'class-partition': 6_000,
  'connection-reset': 3_000,
  'latency-spike': 5_000,
  clog: 5_000,
  'slow-fsync': 6_000,
  'disk-full': 10_000,
  'bit-flip': 10_000,
  isolate: 6_000,
};

const DOWN_MS_MIN = 100;
const DOWN_MS_MAX = 4_000;
const WINDOW_MS_MIN = 200;
const WINDOW_MS_MAX = 5_000;

export interface SwarmChoice {
  families: FaultFamily[];
  /** The rate multiplier each enabled family got. */
  rates: Partial<Record<FaultFamily, number>>;
}

/** Which families this seed turns on, and at what rates. */
export function chooseFamilies(random: SeededRandom, input: SwarmInput): SwarmChoice {
  const allowed = (input.profile.families ?? [...input.supportedFamilies]).filter((family) => input.supportedFamilies.includes(family));
  const ordered = FAULT_FAMILIES.filter((family) => allowed.includes(family));
  if (ordered.length === 0) return { families: [], rates: {} };
  let families = ordered.filter(() => random.chance(0.5));
  if (families.length === 0) families = [random.pick(ordered)];
  const intensity = input.profile.intensity ?? 1;
  const rates: Partial<Record<FaultFamily, number>> = {};
  for (const family of families) rates[family] = intensity * (0.25 + random.nextFloat() * 1.75);
  return { families, rates };
}

export function generateSwarmPlan(input: SwarmInput): TimedFault[] {
  const random = new RandomRoot(input.seed).stream('faults/plan');
  const choice = chooseFamilies(random, input);
  const maxDown = input.profile.maxDown ?? Math.max(0, Math.floor((input.servers.length - 1) / 2));
  const downWindows: Array<[number, number]> = [];
  const planned: TimedFault[] = [];
  for (const family of choice.families) {
    const meanMs = FAMILY_MEAN_INTERVAL_MS[family] / choice.rates[family]!;
    let atMs = random.nextInt(0, Math.max(1, Math.round(meanMs)));
    while (atMs < input.durationMs) {
      const action = makeAction(family, random, input, atMs, maxDown, downWindows);
      if (action !== undefined) planned.push({ atMs, action });
      atMs += Math.max(1, random.nextInt(Math.round(meanMs / 2), Math.round((meanMs * 3) / 2) + 1));
    }
  }
  // Stable sort by time: ties keep family order, which is itself fixed.
  return planned.sort((a, b) => a.atMs - b.atMs);
}

function makeAction(
  family: FaultFamily,
  random: SeededRandom,
  input: SwarmInput,
  atMs: number,
  maxDown: number,
  downWindows: Array<[number, number]>,
): FaultAction | undefined {
  const servers = input.servers;
  if (servers.length === 0) return undefined;
  const everyone = [...servers, ...input.clients];
  const windowMs = () => random.nextInt(WINDOW_MS_MIN, (input.profile.maxWindowMs ?? WINDOW_MS_MAX) + 1);
  switch (family) {
    case 'process-crash':
    case 'power-loss':
    case 'disk-loss': {
      const restartAfterMs = random.nextInt(DOWN_MS_MIN, (input.profile.maxDownMs ?? DOWN_MS_MAX) + 1);
      const overlapping = downWindows.filter(([start, end]) => start <= atMs + restartAfterMs && atMs <= end).length;
      if (overlapping >= maxDown) return undefined;
      downWindows.push([atMs, atMs + restartAfterMs]);
      const mode: CrashMode = family === 'process-crash' ? 'process' : family === 'power-loss' ? 'power' : 'disk';
      const leaderSelector = input.selectors?.includes('@leader') === true && random.chance(0.3);
      return { type: 'crash', node: leaderSelector ? '@leader' : random.pick(servers), mode, restartAfterMs };
    }
    case 'pause':
      return { type: 'pause', node: random.pick(servers), durationMs: random.nextInt(50, 3_000) };
    case 'clock-skew':
      return { type: 'clock-skew', node: random.pick(servers), skewMs: random.nextInt(-60_000, 60_001) };
    case 'partition':
    case 'one-way-partition':
    case 'class-partition': {
      const [left, right] = split(random, everyone);
      const trafficClass: TrafficClass | null = family === 'class-partition' ? random.pick(TRAFFIC_CLASSES) : null;
      return { type: 'partition', sides: [left, right], oneWay: family === 'one-way-partition', trafficClass, durationMs: windowMs() };
    }
    case 'isolate': {
      // Jepsen's favourite: one server cut off from everyone, on all traffic or on one class.
      // Like crashes, it aims at the leader or a follower some of the time, where systems have them.
      const trafficClass: TrafficClass | null = random.chance(0.5) ? null : random.pick(TRAFFIC_CLASSES);
      const roles = ['@leader', '@follower'].filter((selector) => input.selectors?.includes(selector) === true);
      const node = roles.length > 0 && random.chance(0.3) ? random.pick(roles) : random.pick(servers);
      return { type: 'isolate', node, trafficClass, durationMs: windowMs() };
    }
    case 'connection-reset': {
      if (everyone.length < 2) return undefined;
      const [a, b] = random.shuffle(everyone) as [NodeId, NodeId];
      return { type: 'reset', nodes: [a, b] };
    }
    case 'latency-spike':
      return {
        type: 'latency-spike',
        nodes: random.chance(0.5) ? null : [random.pick(everyone)],
        extraMs: random.nextInt(5, 300),
        durationMs: windowMs(),
      };
    case 'clog': {
      const nodes = random.chance(0.5) ? [random.pick(servers)] : random.shuffle(everyone).slice(0, 2);
      return { type: 'clog', nodes, durationMs: random.nextInt(50, 2_000) };
    }
    case 'slow-fsync':
      return { type: 'slow-fsync', node: random.pick(servers), factor: random.nextInt(2, 51), durationMs: windowMs() };
    case 'disk-full':
      return { type: 'disk-full', node: random.pick(servers), durationMs: windowMs() };
    case 'bit-flip':
      return { type: 'bit-flip', node: random.pick(servers) };
    default: {
      const unreachable: never = family;
      throw new Error(`unknown fault family ${String(unreachable)}`);
    }
  }
}

/** Splits nodes into two non-empty sides; the smaller side has between 1 and half the nodes. */
function split(random: SeededRandom, nodes: readonly NodeId[]): [NodeId[], NodeId[]] {
  const shuffled = random.shuffle(nodes);
  const leftSize = random.nextInt(1, Math.max(2, Math.floor(shuffled.length / 2) + 1));
  const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return [shuffled.slice(0, leftSize).sort(byName), shuffled.slice(leftSize).sort(byName)];
}
