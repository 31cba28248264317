/**
 * Helpers for the Kafka checker's tests: a checker for one partition `t-0` under the safe
 * configuration (acks=all, min.insync.replicas=2, three replicas, idempotence, clean elections),
 * trace events as brokers emit them, and faults as the world reports them. A step's time is its
 * index in the list, so "after" in a test reads top to bottom.
 */
import type { TraceEvent } from '../../src/host.js';
import type { ContractInputs } from '../../sim/systems/kafka/contract.js';
import { KafkaChecker } from '../../sim/systems/kafka/checker.js';
import type { FaultAction } from '../../sim/faults/plan.js';
import type { CrashMode } from '../../sim/nodeHosting.js';
import { World } from '../../sim/world.js';

export const safe: ContractInputs = {
  acks: -1,
  minInsyncReplicas: 2,
  replicationFactor: 3,
  uncleanLeaderElection: false,
  idempotence: true,
  maxInFlight: 5,
  flushMessages: Number.MAX_SAFE_INTEGER,
  controllers: ['c1', 'c2', 'c3'],
  eligibleLeaderReplicas: false,
  legacy: [],
};

/** A trace event of a node (in an incarnation, 1 by default), or a fault the world applied. */
export type Step = [node: string, event: TraceEvent, incarnation?: number] | { fault: FaultAction; note: string };

export function checker(contract: Partial<ContractInputs> = {}): KafkaChecker {
  return new KafkaChecker({ partitionKeys: ['t-0'], topic: 't', controllers: ['c1', 'c2', 'c3'] }, { ...safe, ...contract }, null);
}

export function feed(c: KafkaChecker, steps: Step[]): KafkaChecker {
  steps.forEach((step, atMs) => {
    if ('fault' in step) c.onFault(atMs, step.fault, step.note);
    else c.observe({ atMs, node: step[0], incarnation: step[2] ?? 1, event: step[1] });
  });
  return c;
}

export const p = { topic: 't', partition: 0 };

export const leader = (epoch: number, isr: string[] = [], epochStartOffset = 0): TraceEvent => ({
  type: 'partition.leader',
  ...p,
  leaderEpoch: epoch,
  isr,
  leaderEpochStartOffset: epochStartOffset,
  highWatermark: 0,
});
export const follower = (epoch: number, leaderId = 'b1'): TraceEvent => ({ type: 'partition.follower', ...p, leader: leaderId, leaderEpoch: epoch });
export const append = (base: number, values: string[], role = 'leader', epoch = 0): TraceEvent => ({
  type: 'partition.append',
  ...p,
  role,
  baseOffset: base,
  lastOffset: base + values.length - 1,
  epoch,
  values,
});
export const hw = (highWatermark: number, role = 'leader'): TraceEvent => ({ type: 'partition.hw', ...p, role, leaderEpoch: 0, highWatermark });
export const truncate = (offset: number): TraceEvent => ({ type: 'partition.truncate', ...p, offset, reason: 'diverging epoch' });
export const recovered = (logEndOffset: number, logStartOffset = 0): TraceEvent => ({ type: 'partition.recovered', ...p, logStartOffset, logEndOffset, truncatedBytes: 0 });
export const invoke = (id: number, value: string): Step => ['p1', { type: 'op.invoke', op: 'send', requestId: id, value }];
export const ok = (id: number, value: string, offset: number): Step => ['p1', { type: 'op.ok', op: 'send', requestId: id, value, partition: 0, offset }];
export const finalRead = (values: string[]): Step => ['r1', { type: 'kafka.final-read', ...p, records: values.map((v, i) => [i, v]) }];
export const crash = (node: string, mode: CrashMode): Step => ({ fault: { type: 'crash', node, mode, restartAfterMs: 100 }, note: node });
export const bitFlip = (node: string, file: string): Step => ({ fault: { type: 'bit-flip', node }, note: `${node}:${file}@12 bit 3` });

export const names = (c: KafkaChecker) => c.violations().map((v) => v.invariant);

export function finish(c: KafkaChecker) {
  const world = new World({ seed: 1, sizeOf: () => 1 });
  c.onHeal(world);
  return c.finish(world);
}
