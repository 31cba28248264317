/**
 * Clog: everything to or from one node, or on the link between two, waits until the clog ends,
 * then arrives in order — delayed, never dropped (FoundationDB's "clogging"). Why: unlike a
 * partition, a clog breaks no connection, so nothing tells the ends; only their timeouts can, and
 * then a flood of stale messages arrives at once.
 */
import type { FaultKind } from './fault.js';
import { durationMs, nodeReferenceList } from './fields.js';

/** Delays (never drops) everything on a node (one id) or a link (two ids). */
export type ClogAction = { type: 'clog'; nodes: string[]; durationMs: number };

export const clogFault: FaultKind<ClogAction, 'clog'> = {
  type: 'clog',
  fields: { properties: { nodes: nodeReferenceList(1, 2), durationMs }, required: ['nodes', 'durationMs'] },
  describe: (action) => `clog ${action.nodes.join('<->')} for ${action.durationMs}ms`,
  apply(action, world) {
    const faultId = world.newFaultId();
    const nodes = world.resolveAll(action.nodes);
    world.network.addClog(faultId, nodes, world.nowMs + action.durationMs);
    world.endAfter(action.durationMs, faultId, action);
    return nodes.join('<->');
  },
  end(faultId, _action, world) {
    world.network.removeClog(faultId);
  },
  swarm: [
    {
      family: 'clog',
      meanIntervalMs: 5_000,
      draw(swarm) {
        const random = swarm.random;
        const nodes = random.chance(0.5) ? [random.pick(swarm.servers)] : random.shuffle(swarm.everyone).slice(0, 2);
        return { type: 'clog', nodes, durationMs: random.nextInt(50, 2_000) };
      },
    },
  ],
};
