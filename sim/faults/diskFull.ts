/**
 * Disk full: every append on one node's disk fails with ENOSPC, leaving the file unchanged, for
 * `durationMs`. Why: Kafka takes a log directory offline on a storage error and a broker with one
 * directory halts; the cluster must move leadership and lose nothing acknowledged.
 */
import type { FaultKind } from './fault.js';
import { durationMs, nodeReference } from './fields.js';

export type DiskFullAction = { type: 'disk-full'; node: string; durationMs: number };

export const diskFullFault: FaultKind<DiskFullAction, 'disk-full'> = {
  type: 'disk-full',
  fields: { properties: { node: nodeReference, durationMs }, required: ['node', 'durationMs'] },
  describe: (action) => `disk full on ${action.node} for ${action.durationMs}ms`,
  apply(action, world) {
    const node = world.resolve(action.node);
    if (node === undefined) return 'skipped: no such node';
    world.nodes.disk(node).setFull(true);
    // The end names the node the selector resolved to now, not whoever it names then.
    world.endAfter(action.durationMs, world.newFaultId(), { ...action, node });
    return node;
  },
  end(_faultId, action, world) {
    world.nodes.disk(action.node).setFull(false);
  },
  swarm: [
    {
      family: 'disk-full',
      meanIntervalMs: 10_000,
      draw: (swarm) => ({ type: 'disk-full', node: swarm.random.pick(swarm.servers), durationMs: swarm.windowMs() }),
    },
  ],
};
