/**
 * Slow fsync: one node's fsyncs take `factor` times longer, for `durationMs` (a disk that is
 * failing, or shared with a noisy neighbour). Why: every reply that waits for durability — a Raft
 * vote, a fetch acknowledgement, acks=all under a flush policy — waits longer, and a protocol that
 * answers before the fsync completes is caught by the power loss that follows.
 */
import type { FaultKind } from './fault.js';
import { durationMs, nodeReference } from './fields.js';

export type SlowFsyncAction = { type: 'slow-fsync'; node: string; factor: number; durationMs: number };

export const slowFsyncFault: FaultKind<SlowFsyncAction, 'slow-fsync'> = {
  type: 'slow-fsync',
  fields: {
    properties: { node: nodeReference, factor: { type: 'number', minimum: 1 }, durationMs },
    required: ['node', 'factor', 'durationMs'],
  },
  describe: (action) => `fsync ${action.factor}x slower on ${action.node} for ${action.durationMs}ms`,
  apply(action, world) {
    const node = world.resolve(action.node);
    if (node === undefined) return 'skipped: no such node';
    world.nodes.disk(node).setFsyncSlowFactor(action.factor);
    // The end names the node the selector resolved to now, not whoever it names then.
    world.endAfter(action.durationMs, world.newFaultId(), { ...action, node });
    return node;
  },
  end(_faultId, action, world) {
    world.nodes.disk(action.node).setFsyncSlowFactor(1);
  },
  swarm: [
    {
      family: 'slow-fsync',
      meanIntervalMs: 6_000,
      draw: (swarm) => ({
        type: 'slow-fsync',
        node: swarm.random.pick(swarm.servers),
        factor: swarm.random.nextInt(2, 51),
        durationMs: swarm.windowMs(),
      }),
    },
  ],
};
