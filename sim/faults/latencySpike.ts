/**
 * Latency spike: every message on the links of some nodes (or on every link) takes `extraMs`
 * longer, for `durationMs`; connections still deliver in order. Why: timeouts that are right for
 * a quiet network fire spuriously under a slow one — elections, ISR shrinks, producer retries —
 * and each must stay safe when it does.
 */
import type { FaultKind } from './fault.js';
import { durationMs, nodeReference } from './fields.js';

export type LatencySpikeAction = { type: 'latency-spike'; nodes: string[] | null; extraMs: number; durationMs: number };

export const latencySpikeFault: FaultKind<LatencySpikeAction, 'latency-spike'> = {
  type: 'latency-spike',
  fields: {
    properties: {
      nodes: { type: ['array', 'null'], items: nodeReference, minItems: 1, default: null, description: 'null: every link' },
      extraMs: { type: 'integer', minimum: 1 },
      durationMs,
    },
    required: ['extraMs', 'durationMs'],
  },
  describe: (action) =>
    `latency +${action.extraMs}ms on ${action.nodes === null ? 'every link' : action.nodes.join(',')} for ${action.durationMs}ms`,
  apply(action, world) {
    const faultId = world.newFaultId();
    const nodes = action.nodes === null ? undefined : world.resolveAll(action.nodes);
    world.network.addLatencySpike(faultId, nodes, action.extraMs);
    world.endAfter(action.durationMs, faultId, action);
    return nodes === undefined ? 'every link' : nodes.join(',');
  },
  end(faultId, _action, world) {
    world.network.removeLatencySpike(faultId);
  },
  swarm: [
    {
      family: 'latency-spike',
      meanIntervalMs: 5_000,
      draw: (swarm) => ({
        type: 'latency-spike',
        nodes: swarm.random.chance(0.5) ? null : [swarm.random.pick(swarm.everyone)],
        extraMs: swarm.random.nextInt(5, 300),
        durationMs: swarm.windowMs(),
      }),
    },
  ],
};
