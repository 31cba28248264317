/**
 * Pause: a running node stops running for a while — a long GC pause, a VM stall, a SIGSTOP — and
 * then runs what waited, in order, late. Its timers measure running time, so they fire late too;
 * its peers see only silence. Why: a paused leader that wakes up still believing it leads is the
 * classic way to get two leaders, and what leader epochs and fencing exist to stop.
 */
import type { FaultKind } from './fault.js';
import { durationMs, nodeReference } from './fields.js';

export type PauseAction = { type: 'pause'; node: string; durationMs: number };

/** Consumer pauses straddle the session timeouts scenarios use (6 to 10 s), so some outlast them. */
const CONSUMER_PAUSE_MS_MIN = 100;
const CONSUMER_PAUSE_MS_MAX = 12_000;

export const pauseFault: FaultKind<PauseAction, 'pause' | 'consumer-pause'> = {
  type: 'pause',
  fields: { properties: { node: nodeReference, durationMs }, required: ['node', 'durationMs'] },
  describe: (action) => `pause ${action.node} for ${action.durationMs}ms`,
  apply(action, world) {
    const node = world.resolve(action.node);
    if (node === undefined || !world.nodes.isUp(node)) return 'skipped: no such node up';
    world.nodes.pause(node, action.durationMs);
    return node;
  },
  swarm: [
    {
      family: 'pause',
      meanIntervalMs: 5_000,
      draw: (swarm) => ({ type: 'pause', node: swarm.random.pick(swarm.servers), durationMs: swarm.random.nextInt(50, 3_000) }),
    },
    {
      // A stalled consumer (a long GC, a slow record): past its session timeout it is removed from
      // the group, and when it wakes it may still believe it owns its partitions.
      family: 'consumer-pause',
      meanIntervalMs: 6_000,
      requires: 'consumers',
      draw: (swarm) => ({ type: 'pause', node: swarm.random.pick(swarm.consumers), durationMs: swarm.random.nextInt(CONSUMER_PAUSE_MS_MIN, CONSUMER_PAUSE_MS_MAX + 1) }),
    },
  ],
};
