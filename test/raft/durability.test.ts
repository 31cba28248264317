import { describe, expect, test } from 'vitest';
import type { NodeId } from '../../src/host.js';
import { FileQuorumStateStore } from '../../src/log/fileQuorumStateStore.js';
import { KafkaMetadataLog } from '../../src/log/kafkaMetadataLog.js';
import { DEFAULT_RAFT_CONFIG } from '../../src/raft/config.js';
import { RAFT_LOG_DIR } from '../../src/raft/kafkaRaftClient.js';
import type { RaftMessage } from '../../src/raft/messages.js';
import { createQuorumNode } from '../../sim/systems/raft/quorumNode.js';
import { Harness, MemoryDisk, mulberry32 } from './harness.js';

/**
 * The ordering contract, checked at the exact moment a node acts: what it promises must already be
 * on its disk durably (what a power loss would leave). Each check reads the durable files only.
 */
const voters: NodeId[] = ['c1', 'c2', 'c3'];

/** A copy of what a power loss would leave on the node's disk. */
function durableCopy(h: Harness<RaftMessage>, nodeId: NodeId): MemoryDisk {
  const disk = new MemoryDisk(() => {});
  disk.files = new Map(h.disk(nodeId).durable);
  return disk;
}

function durableLogEnd(h: Harness<RaftMessage>, nodeId: NodeId): number {
  return KafkaMetadataLog.load(durableCopy(h, nodeId), RAFT_LOG_DIR, DEFAULT_RAFT_CONFIG.segmentBytes, () => 0).logEndOffset;
}

function durableElection(h: Harness<RaftMessage>, nodeId: NodeId) {
  return new FileQuorumStateStore(durableCopy(h, nodeId), RAFT_LOG_DIR).readElectionState();
}

function runChecked(seed: number): { checks: Record<string, number> } {
  const config = { ...DEFAULT_RAFT_CONFIG, maxRecordsBetweenSnapshots: 30 };
  const h = new Harness<RaftMessage>(createQuorumNode(config, voters, { proposalIntervalMs: 2 }), voters, seed);
  h.fsyncLatencyMs = 4;
  const checks = { state: 0, vote: 0, fetch: 0, hw: 0 };
  h.onTrace = ({ nodeId, event }) => {
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
  };
  h.onSend = (from, _to, message) => {
    if (message.api !== 'Fetch') return;
    checks.fetch += 1;
    expect(durableLogEnd(h, from), `${from} fetches from ${message.fetchOffset}`).toBeGreaterThanOrEqual(message.fetchOffset);
  };
  const faults = mulberry32(seed);
  h.startAll();
  for (let round = 0; round < 12; round++) {
    h.runFor(faults.nextInt(100, 900));
    const target = faults.pick(voters);
    if (h.isUp(target)) h.crash(target, { powerLoss: true });
    else h.start(target);
  }
  for (const id of voters) if (!h.isUp(id)) h.start(id);
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
