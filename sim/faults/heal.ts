/**
 * Heal: every fault in force ends at once — cuts, clogs and latency spikes end (broken connections
 * are reset and both ends told), disks are no longer full or slow, clocks are set right, paused
 * nodes wake, and crashed nodes restart. The world heals this way at the end of the safety phase,
 * so that the liveness phase can demand convergence; a plan may also heal earlier. Each part of
 * the world heals its own state, so a new family's state heals with the part that holds it.
 */
import type { FaultKind } from './fault.js';

export type HealAction = { type: 'heal' };

export const healFault: FaultKind<HealAction> = {
  type: 'heal',
  fields: { properties: {}, required: [] },
  describe: () => 'heal everything',
  apply(_action, world) {
    world.network.removeAllCuts((id) => world.nodes.isUp(id));
    world.network.clearDelays();
    for (const node of world.nodes.nodeIds()) world.nodes.heal(node);
    return 'all';
  },
  swarm: [],
};
