/**
 * Isolate: one node cut off from every other node, on all traffic or on one class, for
 * `durationMs` — a partition with the node alone on one side (it is applied, and healed, as that
 * partition). Why: it is the nemesis Jepsen uses most, and the one that asks the sharpest question
 * of a leader: does it notice it is alone before it acknowledges anything? In swarm testing it aims
 * at the leader or a follower 30% of the time, where the system resolves those selectors.
 */
import type { TrafficClass } from '../../src/host.js';
import { TRAFFIC_CLASSES } from '../../src/host.js';
import type { FaultKind } from './fault.js';
import { durationMs, nodeReference, trafficClass } from './fields.js';
import { applyPartition } from './partition.js';

/** Cuts one node off from every other node. */
export type IsolateAction = { type: 'isolate'; node: string; trafficClass: TrafficClass | null; durationMs: number };

export const isolateFault: FaultKind<IsolateAction, 'isolate'> = {
  type: 'isolate',
  fields: { properties: { node: nodeReference, trafficClass, durationMs }, required: ['node', 'durationMs'] },
  describe: (action) => `isolate ${action.node} (${action.trafficClass ?? 'all'} traffic) for ${action.durationMs}ms`,
  apply(action, world) {
    const node = world.resolve(action.node);
    if (node === undefined) return 'skipped: no such node';
    const others = world.nodes.nodeIds().filter((id) => id !== node);
    return applyPartition(
      { type: 'partition', sides: [[node], others], oneWay: false, trafficClass: action.trafficClass, durationMs: action.durationMs },
      world,
    );
  },
  swarm: [
    {
      family: 'isolate',
      meanIntervalMs: 6_000,
      draw(swarm) {
        const random = swarm.random;
        const drawnClass: TrafficClass | null = random.chance(0.5) ? null : random.pick(TRAFFIC_CLASSES);
        const roles = ['@leader', '@follower'].filter((selector) => swarm.selectors.includes(selector));
        const node = roles.length > 0 && random.chance(0.3) ? random.pick(roles) : random.pick(swarm.servers);
        return { type: 'isolate', node, trafficClass: drawnClass, durationMs: swarm.windowMs() };
      },
    },
  ],
};
