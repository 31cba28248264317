/**
 * Crash: a server's process dies, in one of three ways that differ in what survives (DESIGN.md §4).
 * - `process`: the process dies; the OS and its page cache survive, so nothing written is lost, and
 *   the OS closes the dead process's sockets, so peers hear of it at once.
 * - `power`: the machine loses power; what was not fsynced is gone, the first unsynced write of a
 *   file may survive torn, and peers hear nothing until timeouts.
 * - `disk`: the disk is lost; the node restarts empty, as a replaced machine would.
 * Why: every durability promise Kafka makes (acks=all, the high watermark, the leader epoch cache,
 * the quorum's vote) is a promise about which of these it survives.
 *
 * The node restarts after `restartAfterMs`, or at the heal when that is null. In swarm testing,
 * crashes aim at the leader 30% of the time where the system resolves `@leader`, and never leave
 * more than `maxDown` servers down at once; the `consumer-crash` family kills consumers instead.
 */
import type { CrashMode } from '../nodeHosting.js';
import type { FaultKind } from './fault.js';
import { nodeReference } from './fields.js';

export type CrashAction = { type: 'crash'; node: string; mode: CrashMode; restartAfterMs: number | null };

const DRAWN_MODES = { 'process-crash': 'process', 'power-loss': 'power', 'disk-loss': 'disk' } as const;

type CrashFamily = keyof typeof DRAWN_MODES | 'consumer-crash';

function crashDraw(family: keyof typeof DRAWN_MODES, meanIntervalMs: number): FaultKind<CrashAction, CrashFamily>['swarm'][number] {
  return {
    family,
    meanIntervalMs,
    draw(swarm) {
      const restartAfterMs = swarm.downMs();
      if (!swarm.reserveDown(restartAfterMs)) return undefined;
      const leaderSelector = swarm.selectors.includes('@leader') && swarm.random.chance(0.3);
      return { type: 'crash', node: leaderSelector ? '@leader' : swarm.random.pick(swarm.servers), mode: DRAWN_MODES[family], restartAfterMs };
    },
  };
}

export const crashFault: FaultKind<CrashAction, CrashFamily> = {
  type: 'crash',
  fields: {
    properties: {
      node: nodeReference,
      mode: { enum: ['process', 'power', 'disk'], default: 'process', description: 'what survives the crash' },
      restartAfterMs: { type: ['integer', 'null'], minimum: 0, default: null, description: 'null: stays down until the heal' },
    },
    required: ['node'],
  },
  describe(action) {
    const verb = action.mode === 'process' ? 'crash' : action.mode === 'power' ? 'power loss on' : 'disk loss on';
    return `${verb} ${action.node}` + (action.restartAfterMs === null ? '' : `, restart after ${action.restartAfterMs}ms`);
  },
  apply(action, world) {
    const node = world.resolve(action.node);
    if (node === undefined || !world.nodes.isUp(node)) return 'skipped: no such node up';
    world.nodes.crash(node, action.mode);
    if (action.restartAfterMs !== null) world.nodes.restartAfter(node, action.restartAfterMs);
    return node;
  },
  swarm: [
    crashDraw('process-crash', 4_000),
    crashDraw('power-loss', 6_000),
    crashDraw('disk-loss', 15_000),
    {
      // A consumer's process dies mid-poll or mid-commit; its partitions wait for its session to end
      // (or for it to come back, as the same static member).
      family: 'consumer-crash',
      meanIntervalMs: 6_000,
      requires: 'consumers',
      draw: (swarm) => ({ type: 'crash', node: swarm.random.pick(swarm.consumers), mode: 'process', restartAfterMs: swarm.downMs() }),
    },
  ],
};
