/**
 * Reset: every connection between two nodes is reset, as a middlebox or a flapping NIC would:
 * what is in flight is dropped and both ends, if alive, are told. Why: Kafka's clients and
 * fetchers must treat a dropped connection as "the request may or may not have arrived", which is
 * where duplicate and out-of-order writes come from without idempotence.
 */
import type { NodeId } from '../../src/host.js';
import type { FaultKind } from './fault.js';
import { nodeReferenceList } from './fields.js';

export type ResetAction = { type: 'reset'; nodes: [string, string] };

export const resetFault: FaultKind<ResetAction, 'connection-reset'> = {
  type: 'reset',
  fields: { properties: { nodes: nodeReferenceList(2, 2) }, required: ['nodes'] },
  describe: (action) => `reset connections ${action.nodes[0]}<->${action.nodes[1]}`,
  apply(action, world) {
    const [a, b] = world.resolveAll(action.nodes);
    if (a === undefined || b === undefined) return 'skipped: no such nodes';
    world.network.reset(a, b, [a, b].filter((id) => world.nodes.isUp(id)));
    return `${a}<->${b}`;
  },
  swarm: [
    {
      family: 'connection-reset',
      meanIntervalMs: 3_000,
      draw(swarm) {
        if (swarm.everyone.length < 2) return undefined;
        const [a, b] = swarm.random.shuffle(swarm.everyone) as [NodeId, NodeId];
        return { type: 'reset', nodes: [a, b] };
      },
    },
  ],
};
