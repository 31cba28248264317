/**
 * ListOffsets and OffsetsForLeaderEpoch as the replica manager serves them. No client sends either
 * in a run yet, so these tests are where their rules are pinned: Kafka's errors in Kafka's order
 * (the caller's leader epoch, KIP-320, before leadership), the leader-epoch cache's answer
 * (KIP-101, KIP-279), lookups by time and by the largest timestamp (KIP-734), and
 * OFFSET_NOT_AVAILABLE while a new leader's high watermark lags its epoch (KIP-207).
 */
import { describe, expect, test } from 'vitest';
import type { NodeId, TraceEvent } from '../../src/host.js';
import type { PartitionRegistration } from '../../src/metadata/types.js';
import {
  CONSUMER_REPLICA_ID,
  DEBUGGING_REPLICA_ID,
  EARLIEST_TIMESTAMP,
  LATEST_TIMESTAMP,
  type ListOffsetsRequest,
  type ListOffsetsResponse,
  MAX_TIMESTAMP,
  type OffsetsForLeaderEpochResponse,
} from '../../src/protocol/apis.js';
import { brokerParts, imageSnapshot, partitionOn } from './brokerParts.js';

const TOPIC = 'events';

interface Query {
  readonly partition?: number;
  readonly timestamp: number;
  readonly currentLeaderEpoch?: number;
}

/**
 * b1 hosts events-0 (led by b1 at `leaderEpoch`, ISR `isr`) and events-1 (led by b2); events-2
 * lives on b2 and b3 only. Records are appended to events-0 with the given timestamps, one batch each.
 */
function broker(options: { leaderEpoch?: number; isr?: NodeId[] } = {}) {
  const parts = brokerParts('b1');
  parts.caughtUp.value = true;
  let metadataOffset = 10;
  const elect = (leaderEpoch: number, isr: NodeId[]) => {
    const notHere: PartitionRegistration = { ...partitionOn(TOPIC, 2, 'b2', 0), replicas: ['b2', 'b3'], isr: ['b2', 'b3'] };
    parts.publisher.handleLoadSnapshot(imageSnapshot(metadataOffset++, { [TOPIC]: [partitionOn(TOPIC, 0, 'b1', leaderEpoch, { isr }), partitionOn(TOPIC, 1, 'b2', 0), notHere] }));
  };
  elect(options.leaderEpoch ?? 1, options.isr ?? ['b1']);
  const leader = parts.replicaManager.getPartition(TOPIC, 0)!;
  const append = (...batches: number[][]) => {
    for (const timestamps of batches) {
      const records = timestamps.map((timestampMs) => ({ key: null, value: `v${timestampMs}`, timestampMs }));
      expect(leader.appendRecordsToLeader(records, null, 1, 0)).toMatchObject({ duplicate: false });
    }
  };
  /** One ListOffsets request naming every query's partition; the answers in order. */
  const listOffsetsTogether = (queries: Query[], replicaId: ListOffsetsRequest['replicaId'] = CONSUMER_REPLICA_ID, topic = TOPIC) => {
    parts.replicaManager.handleListOffsetsRequest('client', {
      api: 'ListOffsets',
      correlationId: 1,
      replicaId,
      isolationLevel: 0,
      topics: [{ name: topic, partitions: queries.map((q) => ({ partitionIndex: q.partition ?? 0, currentLeaderEpoch: q.currentLeaderEpoch ?? -1, timestamp: q.timestamp })) }],
    });
    return (parts.sent.at(-1)!.message as ListOffsetsResponse).topics[0]!.partitions.map(({ errorCode, timestamp, offset, leaderEpoch }) => ({ errorCode, timestamp, offset, leaderEpoch }));
  };
  /** One ListOffsets request per query (a partition named twice in one request is INVALID_REQUEST). */
  const listOffsets = (queries: Query[], replicaId: ListOffsetsRequest['replicaId'] = CONSUMER_REPLICA_ID, topic = TOPIC) =>
    queries.flatMap((query) => listOffsetsTogether([query], replicaId, topic));
  const offsetsForLeaderEpoch = (leaderEpoch: number, options: { partition?: number; currentLeaderEpoch?: number; topic?: string } = {}) => {
    parts.replicaManager.handleOffsetsForLeaderEpochRequest('c', {
      api: 'OffsetsForLeaderEpoch',
      correlationId: 2,
      replicaId: CONSUMER_REPLICA_ID,
      topics: [{ topic: options.topic ?? TOPIC, partitions: [{ partition: options.partition ?? 0, currentLeaderEpoch: options.currentLeaderEpoch ?? -1, leaderEpoch }] }],
    });
    const { errorCode, leaderEpoch: epoch, endOffset } = (parts.sent.at(-1)!.message as OffsetsForLeaderEpochResponse).topics[0]!.partitions[0]!;
    return { errorCode, leaderEpoch: epoch, endOffset };
  };
  return { ...parts, leader, elect, append, listOffsets, listOffsetsTogether, offsetsForLeaderEpoch };
}

const answer = (errorCode: string, offset = -1, leaderEpoch = -1, timestamp = -1) => ({ errorCode, timestamp, offset, leaderEpoch });

describe('ListOffsets', () => {
  test('earliest, latest, by time and the largest timestamp, each with the leader epoch of what it names (KIP-320)', () => {
    const { append, listOffsets } = broker();
    // Offsets 0 and 1 in one batch (times 100 and 200), offset 2 in the next (time 150).
    append([100, 200], [150]);
    expect(listOffsets([{ timestamp: EARLIEST_TIMESTAMP }, { timestamp: LATEST_TIMESTAMP }])).toEqual([answer('NONE', 0, 1), answer('NONE', 3, 1)]);
    // The first record whose timestamp reaches the target, in offset order: 200 at offset 1, not 150 at offset 2.
    expect(listOffsets([{ timestamp: 150 }, { timestamp: 100 }, { timestamp: 0 }])).toEqual([answer('NONE', 1, 1, 200), answer('NONE', 0, 1, 100), answer('NONE', 0, 1, 100)]);
    // Every record is older: no offset, and no error.
    expect(listOffsets([{ timestamp: 201 }])).toEqual([answer('NONE')]);
    expect(listOffsets([{ timestamp: MAX_TIMESTAMP }])).toEqual([answer('NONE', 1, 1, 200)]);
  });

  test('a client is never handed an offset at or past the high watermark; a replica may see up to the log end', () => {
    const { append, listOffsets } = broker({ isr: ['b1', 'b2'] });
    append([100], [200]);
    // b2 has not fetched: the high watermark is 0.
    expect(listOffsets([{ timestamp: LATEST_TIMESTAMP }, { timestamp: 100 }, { timestamp: MAX_TIMESTAMP }])).toEqual([answer('NONE', 0, 1), answer('NONE'), answer('NONE')]);
    expect(listOffsets([{ timestamp: LATEST_TIMESTAMP }, { timestamp: 100 }], 'b2')).toEqual([answer('NONE', 2, 1), answer('NONE', 0, 1, 100)]);
  });

  test('KIP-207: a new leader whose high watermark lags its epoch\'s start answers OFFSET_NOT_AVAILABLE for the latest offset', () => {
    const { append, elect, listOffsets, replicaManager, traces } = broker({ isr: ['b1', 'b2'] });
    append([100, 110, 120]);
    // Re-elected in epoch 2 at offset 3, with a high watermark still at 0.
    elect(2, ['b1', 'b2']);
    expect(listOffsets([{ timestamp: LATEST_TIMESTAMP }, { timestamp: 100 }, { timestamp: EARLIEST_TIMESTAMP }])).toEqual([
      answer('OFFSET_NOT_AVAILABLE'),
      answer('OFFSET_NOT_AVAILABLE'),
      answer('NONE', 0, 1),
    ]);
    expect(traces.filter((event) => event.type === 'partition.list-offsets').slice(0, 1)).toEqual<TraceEvent[]>([
      { type: 'partition.list-offsets', topic: TOPIC, partition: 0, role: 'leader', leaderEpoch: 2, timestampKind: 'latest', isolationLevel: 0, offset: -1, errorCode: 'OFFSET_NOT_AVAILABLE' },
    ]);
    // b2 fetches in epoch 2 from the epoch's start: the high watermark reaches it.
    replicaManager.handleFetchRequest('b2', {
      api: 'Fetch',
      correlationId: 3,
      replicaId: 'b2',
      replicaEpoch: 5,
      maxWaitMs: 0,
      minBytes: 1,
      maxBytes: 1 << 20,
      isolationLevel: 0,
      topics: [{ topic: TOPIC, partitions: [{ partition: 0, currentLeaderEpoch: 2, fetchOffset: 3, lastFetchedEpoch: 1, logStartOffset: 0, partitionMaxBytes: 1 << 20 }] }],
    });
    expect(listOffsets([{ timestamp: LATEST_TIMESTAMP }, { timestamp: 110 }])).toEqual([answer('NONE', 3, 2), answer('NONE', 1, 1, 110)]);
  });

  test('errors: the caller\'s leader epoch first (KIP-320), then leadership, then what this broker hosts', () => {
    const { listOffsets, listOffsetsTogether } = broker({ leaderEpoch: 3 });
    expect(listOffsets([{ timestamp: LATEST_TIMESTAMP, currentLeaderEpoch: 2 }, { timestamp: LATEST_TIMESTAMP, currentLeaderEpoch: 4 }])).toEqual([
      answer('FENCED_LEADER_EPOCH'),
      answer('UNKNOWN_LEADER_EPOCH'),
    ]);
    // events-1 is led by b2 in epoch 0: a newer epoch is unknown here before it is a matter of leadership.
    expect(listOffsets([{ partition: 1, timestamp: LATEST_TIMESTAMP, currentLeaderEpoch: 1 }, { partition: 1, timestamp: LATEST_TIMESTAMP, currentLeaderEpoch: 0 }])).toEqual([
      answer('UNKNOWN_LEADER_EPOCH'),
      answer('NOT_LEADER_OR_FOLLOWER'),
    ]);
    // A debugging tool may ask a follower.
    expect(listOffsets([{ partition: 1, timestamp: EARLIEST_TIMESTAMP }], DEBUGGING_REPLICA_ID)).toEqual([answer('NONE', 0)]);
    expect(listOffsets([{ partition: 2, timestamp: LATEST_TIMESTAMP }])).toEqual([answer('NOT_LEADER_OR_FOLLOWER')]);
    expect(listOffsets([{ timestamp: LATEST_TIMESTAMP }], CONSUMER_REPLICA_ID, 'nope')).toEqual([answer('UNKNOWN_TOPIC_OR_PARTITION')]);
    expect(listOffsetsTogether([{ timestamp: LATEST_TIMESTAMP }, { timestamp: EARLIEST_TIMESTAMP }])).toEqual([answer('INVALID_REQUEST'), answer('INVALID_REQUEST')]);
  });
});

describe('OffsetsForLeaderEpoch', () => {
  test('the leader answers from its leader-epoch cache: the largest epoch at or below the one asked for, and where it ends (KIP-279)', () => {
    const { append, elect, offsetsForLeaderEpoch } = broker({ leaderEpoch: 1 });
    append([1, 2, 3]);
    elect(3, ['b1']);
    append([4, 5]);
    expect(offsetsForLeaderEpoch(1)).toEqual({ errorCode: 'NONE', leaderEpoch: 1, endOffset: 3 });
    // Epoch 2 never wrote here: the answer is epoch 1 and its end, so the asker truncates there.
    expect(offsetsForLeaderEpoch(2)).toEqual({ errorCode: 'NONE', leaderEpoch: 1, endOffset: 3 });
    expect(offsetsForLeaderEpoch(3)).toEqual({ errorCode: 'NONE', leaderEpoch: 3, endOffset: 5 });
    expect(offsetsForLeaderEpoch(4)).toEqual({ errorCode: 'NONE', leaderEpoch: -1, endOffset: -1 });
  });

  test('errors: FENCED_LEADER_EPOCH, UNKNOWN_LEADER_EPOCH, NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_OR_PARTITION', () => {
    const { offsetsForLeaderEpoch } = broker({ leaderEpoch: 2 });
    const failed = (errorCode: string) => ({ errorCode, leaderEpoch: -1, endOffset: -1 });
    expect(offsetsForLeaderEpoch(2, { currentLeaderEpoch: 1 })).toEqual(failed('FENCED_LEADER_EPOCH'));
    expect(offsetsForLeaderEpoch(2, { currentLeaderEpoch: 3 })).toEqual(failed('UNKNOWN_LEADER_EPOCH'));
    expect(offsetsForLeaderEpoch(2, { currentLeaderEpoch: 2 })).toEqual({ errorCode: 'NONE', leaderEpoch: 2, endOffset: 0 });
    expect(offsetsForLeaderEpoch(0, { partition: 1 })).toEqual(failed('NOT_LEADER_OR_FOLLOWER'));
    expect(offsetsForLeaderEpoch(0, { partition: 2 })).toEqual(failed('NOT_LEADER_OR_FOLLOWER'));
    expect(offsetsForLeaderEpoch(0, { topic: 'nope' })).toEqual(failed('UNKNOWN_TOPIC_OR_PARTITION'));
  });
});
