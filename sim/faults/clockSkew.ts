/**
 * Clock skew: one node's wall clock is set off by `skewMs` (ahead or behind) until the heal. Only
 * `host.nowMs()` moves; timers measure durations and are not affected. Why: Kafka measures some
 * things on the wall clock (ISR lag against replica.lag.time.max.ms, record timestamps, retention),
 * and a protocol must never let a wrong clock break safety.
 */
import type { FaultKind } from './fault.js';
import { nodeReference } from './fields.js';

export type ClockSkewAction = { type: 'clock-skew'; node: string; skewMs: number };

export const clockSkewFault: FaultKind<ClockSkewAction, 'clock-skew'> = {
  type: 'clock-skew',
  fields: { properties: { node: nodeReference, skewMs: { type: 'integer' } }, required: ['node', 'skewMs'] },
  describe: (action) => `skew ${action.node}'s clock by ${action.skewMs}ms`,
  apply(action, world) {
    const node = world.resolve(action.node);
    if (node === undefined) return 'skipped: no such node';
    world.nodes.setClockSkew(node, action.skewMs);
    return node;
  },
  swarm: [
    {
      family: 'clock-skew',
      meanIntervalMs: 8_000,
      draw: (swarm) => ({ type: 'clock-skew', node: swarm.random.pick(swarm.servers), skewMs: swarm.random.nextInt(-60_000, 60_001) }),
    },
  ],
};
