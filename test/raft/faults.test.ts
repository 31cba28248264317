import { describe, expect, test } from 'vitest';
import type { NodeId } from '../../src/host.js';
import { RandomRoot } from '../../sim/random.js';
import type { QuorumNode } from '../../sim/systems/raft/quorumNode.js';
import { TestCluster } from '../support/cluster.js';
import { raftScenario } from '../support/scenarios.js';

/**
 * A small swarm run: random crashes (some with power loss), restarts, isolations and heals for a
 * safety phase, then a healed liveness phase. Checks Kafka's RaftEventSimulationTest invariants
 * over the trace — one leader per epoch, consistent committed state everywhere — and the raft
 * system's checker, which held them after every event.
 */
function runWithFaults(seed: number): TestCluster {
  const voters: NodeId[] = ['c1', 'c2', 'c3', 'c4', 'c5'];
  const h = TestCluster.ofSystem(
    raftScenario({
      cluster: { voters: voters.length },
      config: { 'ksim.metadata.log.max.records.between.snapshots': 40 },
      workload: { proposalIntervalMs: 30 },
    }),
    seed,
  );
  const faults = new RandomRoot(seed).stream('test/faults');
  for (let round = 0; round < 25; round++) {
    h.runFor(faults.nextInt(200, 1200));
    const target = faults.pick(voters);
    const action = faults.nextInt(0, 4);
    if (action === 0 && h.isUp(target)) h.crash(target, faults.chance(0.5) ? 'power' : 'process');
    else if (action === 1 && !h.isUp(target)) h.restart(target);
    else if (action === 2) h.isolate(target, faults.nextInt(200, 3000));
    else if (action === 3) h.heal();
  }
  h.heal();
  h.runFor(15_000);
  return h;
}

describe('safety and liveness under random faults', () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    test(`seed ${seed}: invariants hold, and the healed cluster converges on one leader`, () => {
      const h = runWithFaults(seed);
      expect(h.violations()).toEqual([]);
      const leaders = new Map<number, Set<NodeId>>();
      for (const t of h.tracesOf('raft.state')) {
        if (t.event.role === 'leader') leaders.set(t.event.epoch as number, (leaders.get(t.event.epoch as number) ?? new Set()).add(t.node));
      }
      for (const [epoch, nodes] of leaders) expect(nodes.size, `leaders of epoch ${epoch}`).toBe(1);
      const byOffset = new Map<number, string>();
      for (const t of h.tracesOf('raft.apply')) {
        const state = `${t.event.count}/${t.event.digest}`;
        const seen = byOffset.get(t.event.offset as number);
        if (seen === undefined) byOffset.set(t.event.offset as number, state);
        else expect(state, `state after ${t.event.offset} on ${t.node}`).toBe(seen);
      }
      const current = h.nodeIds().map((id) => h.instance<QuorumNode>(id).client.describe());
      const leadersNow = current.filter((d) => d.role === 'leader');
      expect(leadersNow).toHaveLength(1);
      const highWatermark = leadersNow[0]!.highWatermark!;
      for (const d of current) expect(d.nextOffsetToApply).toBeGreaterThan(highWatermark - 10);
    });
  }
});
