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
 * How each family draws one fault, and how often it strikes, is in its own fault file (crash.ts,
 * partition.ts, ...); this file turns families on and lays their draws out in time.
 */
import type { NodeId } from '../../src/host.js';
import { RandomRoot, type SeededRandom } from '../random.js';
import type { SwarmProfile } from '../scenario/types.js';
import type { SwarmContext, SwarmDraw } from './fault.js';
import { FAULT_FAMILIES, type FaultAction, type FaultFamily, type TimedFault } from './plan.js';
import { FAULT_KINDS } from './registry.js';

export interface SwarmInput {
  seed: number;
  profile: SwarmProfile;
  supportedFamilies: readonly FaultFamily[];
  servers: readonly NodeId[];
  clients: readonly NodeId[];
  /** The consumer nodes among the clients; families that strike consumers stay off without any. */
  consumers?: readonly NodeId[];
  /** The clients that write; every client when the system names none. */
  writers?: readonly NodeId[];
  durationMs: number;
  /** Selectors the system resolves (e.g. `@leader`), used as crash targets part of the time. */
  selectors?: readonly string[];
}

const DOWN_MS_MIN = 100;
const DOWN_MS_MAX = 4_000;
const WINDOW_MS_MIN = 200;
const WINDOW_MS_MAX = 5_000;

/** Each swarm family's draw, from the fault files; every family in the draw order has exactly one. */
const DRAWS = new Map<FaultFamily, SwarmDraw<FaultAction, FaultFamily>>(
  FAULT_KINDS.flatMap((kind) => kind.swarm.map((draw): [FaultFamily, SwarmDraw<FaultAction, FaultFamily>] => [draw.family, draw])),
);
if (DRAWS.size !== FAULT_FAMILIES.length || FAULT_FAMILIES.some((family) => !DRAWS.has(family))) {
  throw new Error(`FAULT_FAMILIES (${FAULT_FAMILIES.join(', ')}) must name every swarm family of the fault files (${[...DRAWS.keys()].join(', ')})`);
}

function drawOf(family: FaultFamily): SwarmDraw<FaultAction, FaultFamily> {
  return DRAWS.get(family)!;
}

export interface SwarmChoice {
  families: FaultFamily[];
  /** The rate multiplier each enabled family got. */
  rates: Partial<Record<FaultFamily, number>>;
}

/** Which families this seed turns on, and at what rates. */
export function chooseFamilies(random: SeededRandom, input: SwarmInput): SwarmChoice {
  const hasConsumers = (input.consumers ?? []).length > 0;
  const allowed = (input.profile.families ?? input.supportedFamilies.filter((family) => drawOf(family).optIn !== true)).filter(
    (family) => input.supportedFamilies.includes(family) && (hasConsumers || drawOf(family).requires !== 'consumers'),
  );
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
    const meanMs = drawOf(family).meanIntervalMs / choice.rates[family]!;
    let atMs = random.nextInt(0, Math.max(1, Math.round(meanMs)));
    while (atMs < input.durationMs) {
      const action = drawAction(family, swarmContext(random, input, atMs, maxDown, downWindows));
      if (action !== undefined) planned.push({ atMs, action });
      atMs += Math.max(1, random.nextInt(Math.round(meanMs / 2), Math.round((meanMs * 3) / 2) + 1));
    }
  }
  // Stable sort by time: ties keep family order, which is itself fixed.
  return planned.sort((a, b) => a.atMs - b.atMs);
}

function drawAction(family: FaultFamily, swarm: SwarmContext): FaultAction | undefined {
  if (swarm.servers.length === 0) return undefined;
  return drawOf(family).draw(swarm);
}

/** The limits every draw shares: fault windows, down times, and at most `maxDown` servers down at once. */
function swarmContext(
  random: SeededRandom,
  input: SwarmInput,
  atMs: number,
  maxDown: number,
  downWindows: Array<[number, number]>,
): SwarmContext {
  return {
    random,
    servers: input.servers,
    everyone: [...input.servers, ...input.clients],
    consumers: input.consumers ?? [],
    writers: (input.writers ?? []).length > 0 ? input.writers! : input.clients,
    selectors: input.selectors ?? [],
    windowMs: () => random.nextInt(WINDOW_MS_MIN, (input.profile.maxWindowMs ?? WINDOW_MS_MAX) + 1),
    downMs: () => random.nextInt(DOWN_MS_MIN, (input.profile.maxDownMs ?? DOWN_MS_MAX) + 1),
    reserveDown(durationMs) {
      const overlapping = downWindows.filter(([start, end]) => start <= atMs + durationMs && atMs <= end).length;
      if (overlapping >= maxDown) return false;
      downWindows.push([atMs, atMs + durationMs]);
      return true;
    },
  };
}
