import { describe, expect, test } from 'vitest';
import type { NodeId } from '../../src/host.js';
import { FileQuorumStateStore } from '../../src/log/fileQuorumStateStore.js';
import { KafkaMetadataLog } from '../../src/log/kafkaMetadataLog.js';
import { DEFAULT_RAFT_CONFIG } from '../../src/raft/config.js';
import { RAFT_LOG_DIR } from '../../src/raft/kafkaRaftClient.js';
import type { RaftMessage } from '../../src/raft/messages.js';
import { RandomRoot } from '../../sim/random.js';
import { TestCluster } from '../support/cluster.js';
import { raftScenario } from '../support/scenarios.js';
import { TestDisk } from '../support/testDisk.js';

/**
 * The ordering contract, checked at the exact moment a node acts: what it promises must already be
 * on its disk durably (what a power loss would leave). Each check reads the durable files only.
 */
const voters: NodeId[] = ['c1', 'c2', 'c3'];

function durableLogEnd(h: TestCluster, nodeId: NodeId): number {
  return KafkaMetadataLog.load(TestDisk.durableImageOf(h.disk(nodeId)), RAFT_LOG_DIR, DEFAULT_RAFT_CONFIG.segmentBytes, () => 0).logEndOffset;
}

function durableElection(h: TestCluster, nodeId: NodeId) {
  return new FileQuorumStateStore(TestDisk.durableImageOf(h.disk(nodeId)), RAFT_LOG_DIR).readElectionState();
}

function runChecked(seed: number): { checks: Record<string, number> } {
  const h = TestCluster.ofSystem(
    raftScenario({
      cluster: { voters: voters.length },
      config: { 'ksim.metadata.log.max.records.between.snapshots': 30 },
      workload: { proposalIntervalMs: 2 },
      // No background writeback: what is durable is exactly what the nodes fsynced.
      disk: { fsyncLatencyMs: 4, fsyncJitterMs: 0, pageCacheFlushIntervalMs: 1_000_000_000 },
    }),
    seed,
  );
  const checks = { state: 0, vote: 0, fetch: 0, hw: 0 };
  h.world.onTrace(({ node: nodeId, event }) => {
    if (event.type === 'raft.state') {
      checks.state += 1;
      expect(durableElection(h, nodeId), `${nodeId} acts in ${JSON.stringify(event)}`).toEqual({
        epoch: event.epoch,
        leaderId: event.leaderId,
        votedId: event.votedId,
      });
    } else if (event.type === 'raft.vote' && event.granted === true && event.preVote === false) {
      checks.vote += 1;
      expect(durableElection(h, nodeId)).toMatchObject({ epoch: event.epoch, votedId: event.candidateId });
    } else if (event.type === 'raft.hw') {
      checks.hw += 1;
      const holders = voters.filter((id) => durableLogEnd(h, id) >= (event.highWatermark as number));
      expect(holders.length, `hw ${event.highWatermark} on ${nodeId} held durably by ${holders.join(',')}`).toBeGreaterThanOrEqual(2);
    }
  });
  h.world.onSend((from, _to, sent) => {
    const message = sent as RaftMessage;
    if (message.api !== 'Fetch') return;
    checks.fetch += 1;
    expect(durableLogEnd(h, from), `${from} fetches from ${message.fetchOffset}`).toBeGreaterThanOrEqual(message.fetchOffset);
  });
  const faults = new RandomRoot(seed).stream('test/faults');
  for (let round = 0; round < 12; round++) {
    h.runFor(faults.nextInt(100, 900));
    const target = faults.pick(voters);
    if (h.isUp(target)) h.crash(target, 'power');
    else h.restart(target);
  }
  for (const id of voters) if (!h.isUp(id)) h.restart(id);
  h.runFor(5000);
  return { checks };
}

describe('durability before action', () => {
  for (const seed of [1, 2, 3]) {
    test(`seed ${seed}: states, votes, fetch offsets and high watermarks are backed by durable data`, () => {
      const { checks } = runChecked(seed);
      expect(checks.state).toBeGreaterThan(5);
      expect(checks.vote).toBeGreaterThan(0);
      expect(checks.fetch).toBeGreaterThan(50);
      expect(checks.hw).toBeGreaterThan(20);
    });
  }
});
