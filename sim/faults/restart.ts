/**
 * Restart: a node that is down starts again, building its state from what its disk still holds.
 * Why: a plan can keep a node down across other faults (a crash with no `restartAfterMs`) and
 * bring it back exactly when a lesson needs it. Restarts are not drawn by the swarm: every swarm
 * crash restarts on its own.
 */
import type { FaultKind } from './fault.js';
import { nodeReference } from './fields.js';

export type RestartAction = { type: 'restart'; node: string };

export const restartFault: FaultKind<RestartAction> = {
  type: 'restart',
  fields: { properties: { node: nodeReference }, required: ['node'] },
  describe: (action) => `restart ${action.node}`,
  apply(action, world) {
    const node = world.resolve(action.node);
    if (node === undefined || world.nodes.isUp(node)) return 'skipped: no such node down';
    world.nodes.restart(node);
    return node;
  },
  swarm: [],
};
