/**
 * Partition: the network drops every message that crosses a cut between two sets of nodes, for
 * `durationMs`. A cut may be one-way (only `sides[0]` → `sides[1]`) and may cut one traffic class
 * only (client, replication or controller). As with TCP, a connection that lost a message delivers
 * nothing more until it is reset; when the cut heals, broken connections are reset and both ends
 * told (network.ts has the whole network fault model).
 * Why: partitions are the faults distributed protocols are designed against; one-way cuts break
 * the symmetry that failure detectors assume, and a cut of client traffic alone is how Jepsen lost
 * Kafka's acknowledged writes in 2013 (the leader kept its replication links and its ISR).
 */
import type { NodeId, TrafficClass } from '../../src/host.js';
import { TRAFFIC_CLASSES } from '../../src/host.js';
import type { SeededRandom } from '../random.js';
import type { FaultContext, FaultKind, SwarmContext } from './fault.js';
import { durationMs, nodeReferenceList, trafficClass } from './fields.js';

/** Cuts traffic between two node sets; one-way cuts only `sides[0]` → `sides[1]`. */
export type PartitionAction = { type: 'partition'; sides: [string[], string[]]; oneWay: boolean; trafficClass: TrafficClass | null; durationMs: number };

type PartitionFamily = 'partition' | 'one-way-partition' | 'class-partition' | 'consumer-partition';

/** Cuts the links now and schedules the heal of this cut; isolate.ts applies its faults through it. */
export function applyPartition(action: PartitionAction, world: FaultContext): string {
  const [left, right] = action.sides.map((side) => world.resolveAll(side)) as [NodeId[], NodeId[]];
  const cutClass = action.trafficClass ?? undefined;
  const faultId = world.newFaultId();
  world.network.addCut({ faultId, from: new Set(left), to: new Set(right), trafficClass: cutClass });
  if (!action.oneWay) world.network.addCut({ faultId, from: new Set(right), to: new Set(left), trafficClass: cutClass });
  world.endAfter(action.durationMs, faultId, action);
  return `${left.join(',')} / ${right.join(',')}`;
}

/** Splits nodes into two non-empty sides; the smaller side has between 1 and half the nodes. */
function split(random: SeededRandom, nodes: readonly NodeId[]): [NodeId[], NodeId[]] {
  const shuffled = random.shuffle(nodes);
  const leftSize = random.nextInt(1, Math.max(2, Math.floor(shuffled.length / 2) + 1));
  const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return [shuffled.slice(0, leftSize).sort(byName), shuffled.slice(leftSize).sort(byName)];
}

function partitionDraw(family: Exclude<PartitionFamily, 'consumer-partition'>, meanIntervalMs: number): FaultKind<PartitionAction, PartitionFamily>['swarm'][number] {
  return {
    family,
    meanIntervalMs,
    draw(swarm: SwarmContext) {
      const [left, right] = split(swarm.random, swarm.everyone);
      const drawnClass: TrafficClass | null = family === 'class-partition' ? swarm.random.pick(TRAFFIC_CLASSES) : null;
      return { type: 'partition', sides: [left, right], oneWay: family === 'one-way-partition', trafficClass: drawnClass, durationMs: swarm.windowMs() };
    },
  };
}

export const partitionFault: FaultKind<PartitionAction, PartitionFamily> = {
  type: 'partition',
  fields: {
    properties: {
      sides: { type: 'array', items: nodeReferenceList(1), minItems: 2, maxItems: 2, description: 'two lists of nodes' },
      oneWay: { type: 'boolean', default: false },
      trafficClass,
      durationMs,
    },
    required: ['sides', 'durationMs'],
  },
  describe: (action) =>
    `${action.oneWay ? 'one-way ' : ''}partition ${action.trafficClass ?? 'all'} traffic ` +
    `[${action.sides[0].join(',')}] ${action.oneWay ? '->' : '|'} [${action.sides[1].join(',')}] for ${action.durationMs}ms`,
  apply: applyPartition,
  end(faultId, _action, world) {
    world.network.removeCut(faultId, (id) => world.nodes.isUp(id));
  },
  swarm: [
    partitionDraw('partition', 5_000),
    partitionDraw('one-way-partition', 6_000),
    partitionDraw('class-partition', 6_000),
    {
      // A consumer cut off from its group's coordinator (resolved when the cut begins): it can still
      // fetch, but neither heartbeat nor commit.
      family: 'consumer-partition',
      meanIntervalMs: 6_000,
      requires: 'consumers',
      draw: (swarm) => ({ type: 'partition', sides: [[swarm.random.pick(swarm.consumers)], ['@coordinator']], oneWay: false, trafficClass: null, durationMs: swarm.windowMs() }),
    },
  ],
};
