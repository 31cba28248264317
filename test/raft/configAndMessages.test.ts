import { describe, expect, test } from 'vitest';
import { DEFAULT_RAFT_CONFIG, RAFT_CONFIG_KEYS, parseRaftConfig } from '../../src/raft/config.js';
import { NO_PRODUCER_EPOCH, NO_PRODUCER_ID, NO_SEQUENCE, encodeBatch } from '../../src/log/recordBatch.js';
import { type FetchResponse, type RaftMessage, isRaftMessage, raftMessageSizeBytes } from '../../src/raft/messages.js';

describe('raft config', () => {
  test("defaults are Kafka's QuorumConfig defaults", () => {
    expect(parseRaftConfig({})).toEqual(DEFAULT_RAFT_CONFIG);
    expect(DEFAULT_RAFT_CONFIG).toMatchObject({
      electionTimeoutMs: 1000,
      fetchTimeoutMs: 2000,
      electionBackoffMaxMs: 1000,
      requestTimeoutMs: 2000,
      retryBackoffMs: 20,
      appendLingerMs: 25,
      maxRecordBytesBetweenSnapshots: 20 * 1024 * 1024,
      preVote: true,
    });
  });

  test('parses Kafka-named keys, numbers given as strings, and ignores unrelated keys', () => {
    const config = parseRaftConfig({
      'controller.quorum.election.timeout.ms': '300',
      [RAFT_CONFIG_KEYS.fetchTimeoutMs]: 600,
      'ksim.raft.pre.vote': 'false',
      'acks': 'all',
    });
    expect(config).toMatchObject({ electionTimeoutMs: 300, fetchTimeoutMs: 600, preVote: false, retryBackoffMs: 20 });
  });

  test('rejects wrong types and impossible values at construction', () => {
    expect(() => parseRaftConfig({ 'controller.quorum.fetch.timeout.ms': -1 })).toThrow(/non-negative/);
    expect(() => parseRaftConfig({ 'controller.quorum.election.timeout.ms': 0 })).toThrow(/positive/);
    expect(() => parseRaftConfig({ 'ksim.raft.pre.vote': 'yes' })).toThrow(/true or false/);
    expect(() => parseRaftConfig({ 'controller.quorum.append.linger.ms': 1.5 })).toThrow(/integer/);
  });
});

describe('raft messages', () => {
  const fetchResponse: RaftMessage = {
    api: 'FetchResponse',
    correlationId: 1,
    errorCode: 'NONE',
    currentLeader: { leaderId: 'c1', leaderEpoch: 2 },
    highWatermark: 3,
    logStartOffset: 0,
    divergingEpoch: null,
    snapshotId: null,
    records: [
      {
        baseOffset: 3,
        lastOffsetDelta: 1,
        partitionLeaderEpoch: 2,
        producerId: NO_PRODUCER_ID,
        producerEpoch: NO_PRODUCER_EPOCH,
        baseSequence: NO_SEQUENCE,
        isTransactional: false,
        isControl: false,
        maxTimestampMs: 7,
        records: [
          { key: null, value: 'x'.repeat(100), timestampMs: 7 },
          { key: 'k', value: 'y', timestampMs: 7 },
        ],
      },
    ],
  };

  test('isRaftMessage recognises the raft APIs only', () => {
    expect(isRaftMessage(fetchResponse)).toBe(true);
    expect(isRaftMessage({ api: 'Produce' })).toBe(false);
    expect(isRaftMessage(null)).toBe(false);
    expect(isRaftMessage('Vote')).toBe(false);
  });

  test('a FetchResponse weighs its batches as stored', () => {
    const empty = { ...fetchResponse, records: [] };
    const batch = (fetchResponse as FetchResponse).records[0]!;
    expect(raftMessageSizeBytes(fetchResponse) - raftMessageSizeBytes(empty)).toBe(encodeBatch(batch).length);
  });
});
