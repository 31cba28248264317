import { describe, expect, test } from 'vitest';
import type { NodeId } from '../../src/host.js';
import { DEFAULT_RAFT_CONFIG } from '../../src/raft/config.js';
import type { RaftMessage } from '../../src/raft/messages.js';
import { QuorumNode, createQuorumNode } from '../../sim/systems/raft/quorumNode.js';
import { Harness, mulberry32 } from './harness.js';

/**
 * A small swarm run: random crashes (some with power loss), restarts and partitions for a safety
 * phase, then a healed liveness phase. Checks Kafka's RaftEventSimulationTest invariants over the
 * trace: one leader per epoch, monotonic high watermarks, consistent committed state everywhere.
 */
function runWithFaults(seed: number): Harness<RaftMessage> {
  const voters: NodeId[] = ['c1', 'c2', 'c3', 'c4', 'c5'];
  const config = { ...DEFAULT_RAFT_CONFIG, maxRecordsBetweenSnapshots: 40 };
  const h = new Harness<RaftMessage>(createQuorumNode(config, voters, { proposalIntervalMs: 30 }), voters, seed);
  const faults = mulberry32(seed * 31 + 7);
  h.startAll();
  for (let round = 0; round < 25; round++) {
    h.runFor(faults.nextInt(200, 1200));
    const target = faults.pick(voters);
    const action = faults.nextInt(0, 4);
    if (action === 0 && h.isUp(target)) h.crash(target, { powerLoss: faults.chance(0.5) });
    else if (action === 1 && !h.isUp(target)) h.start(target);
    else if (action === 2) h.isolate(target);
    else h.heal();
  }
  h.heal();
  for (const id of voters) if (!h.isUp(id)) h.start(id);
  h.runFor(15_000);
  return h;
}

describe('safety and liveness under random faults', () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    test(`seed ${seed}: invariants hold, and the healed cluster converges on one leader`, () => {
      const h = runWithFaults(seed);
      const leaders = new Map<number, Set<NodeId>>();
      for (const t of h.tracesOf('raft.state')) {
        if (t.event.role === 'leader') leaders.set(t.event.epoch as number, (leaders.get(t.event.epoch as number) ?? new Set()).add(t.nodeId));
      }
      for (const [epoch, nodes] of leaders) expect(nodes.size, `leaders of epoch ${epoch}`).toBe(1);
      const byOffset = new Map<number, string>();
      for (const t of h.tracesOf('raft.apply')) {
        const state = `${t.event.count}/${t.event.digest}`;
        const seen = byOffset.get(t.event.offset as number);
        if (seen === undefined) byOffset.set(t.event.offset as number, state);
        else expect(state, `state after ${t.event.offset} on ${t.nodeId}`).toBe(seen);
      }
      const current = h.nodeIds.map((id) => (h.node(id) as QuorumNode).client.describe());
      const leadersNow = current.filter((d) => d.role === 'leader');
      expect(leadersNow).toHaveLength(1);
      const highWatermark = leadersNow[0]!.highWatermark!;
      for (const d of current) expect(d.nextOffsetToApply).toBeGreaterThan(highWatermark - 10);
    });
  }
});
