/**
 * Bit flip: one bit of one durable byte on a node's disk changes in place, chosen from the disk's
 * own stream; every later read sees it. Why: disks and controllers corrupt data silently, and the
 * log's CRCs must catch it — a corrupt batch read back is a storage error, never data.
 */
import type { FaultKind } from './fault.js';
import { nodeReference } from './fields.js';

export type BitFlipAction = { type: 'bit-flip'; node: string };

export const bitFlipFault: FaultKind<BitFlipAction, 'bit-flip'> = {
  type: 'bit-flip',
  fields: { properties: { node: nodeReference }, required: ['node'] },
  describe: (action) => `flip a bit on ${action.node}'s disk`,
  apply(action, world) {
    const node = world.resolve(action.node);
    if (node === undefined) return 'skipped: no such node';
    const flipped = world.nodes.disk(node).flipBit();
    return flipped === undefined ? `${node}: no durable data to flip` : `${node}:${flipped.file}@${flipped.offset} bit ${flipped.bit}`;
  },
  swarm: [
    {
      family: 'bit-flip',
      meanIntervalMs: 10_000,
      draw: (swarm) => ({ type: 'bit-flip', node: swarm.random.pick(swarm.servers) }),
    },
  ],
};
