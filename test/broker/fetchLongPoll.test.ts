/**
 * A consumer's fetch long-poll (fetch.min.bytes, fetch.max.wait.ms; Kafka's DelayedFetch): the
 * leader answers at once when it has at least minBytes to return, or an error; otherwise it holds
 * the fetch until appends bring minBytes, or until the max wait, when it answers with what it has.
 * isolation.level read_committed reads what read_uncommitted reads while there are no transactions.
 */
import { describe, expect, test } from 'vitest';
import { batchSizeInBytes, encodeBatch } from '../../src/log/recordBatch.js';
import type { FetchRequest, FetchResponse } from '../../src/protocol/apis.js';
import { CoordinatorParts } from './groupCoordinatorParts.js';

function consumerFetch(minBytes: number, maxWaitMs: number, isolationLevel: 0 | 1 = 0): FetchRequest {
  return {
    api: 'Fetch',
    correlationId: 5,
    replicaId: -1,
    replicaEpoch: -1,
    maxWaitMs,
    minBytes,
    maxBytes: 1 << 20,
    isolationLevel,
    topics: [{ topic: 'orders', partitions: [{ partition: 0, currentLeaderEpoch: 1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }],
  };
}

function produce(parts: CoordinatorParts, values: string[]): void {
  parts.replicaManager.handleProduceRequest('p1', {
    api: 'Produce',
    correlationId: 1,
    acks: 1,
    timeoutMs: 1000,
    topicData: [{ name: 'orders', partitionData: [{ index: 0, records: { baseOffset: 0, lastOffsetDelta: values.length - 1, partitionLeaderEpoch: -1, producerId: -1, producerEpoch: -1, baseSequence: -1, isTransactional: false, isControl: false, maxTimestampMs: 0, records: values.map((value) => ({ key: null, value, timestampMs: 0 })) } }] }],
  });
}

function fetchAnswers(parts: CoordinatorParts): FetchResponse[] {
  return parts.takeSent().filter((sent) => sent.response.api === 'FetchResponse').map((sent) => sent.response as FetchResponse);
}

function leading(): CoordinatorParts {
  const parts = new CoordinatorParts('b1', {}, 1, 'b1');
  parts.lead(1);
  parts.takeSent();
  return parts;
}

describe('fetch long-poll for consumers', () => {
  test('a batch counts its encoded size', () => {
    const batch = { baseOffset: 0, lastOffsetDelta: 1, partitionLeaderEpoch: 1, producerId: -1, producerEpoch: -1, baseSequence: -1, isTransactional: false, isControl: false, maxTimestampMs: 5, records: [{ key: 'k', value: 'wert', timestampMs: 5 }, { key: null, value: 'é', timestampMs: 5 }] };
    expect(batchSizeInBytes(batch)).toBe(encodeBatch(batch).length);
  });

  test('held until fetch.min.bytes have arrived, then answered at once with all of them', () => {
    const parts = leading();
    parts.replicaManager.handleFetchRequest('c1', consumerFetch(150, 500));
    produce(parts, ['a']);
    expect(fetchAnswers(parts)).toEqual([]);
    produce(parts, ['b'.repeat(100)]);
    const [answer] = fetchAnswers(parts);
    expect(answer!.responses[0]!.partitions[0]!.records.map((batch) => batch.records.map((record) => record.value))).toEqual([['a'], ['b'.repeat(100)]]);
  });

  test('answered at fetch.max.wait.ms with what there is, even below fetch.min.bytes', () => {
    const parts = leading();
    produce(parts, ['a']);
    parts.replicaManager.handleFetchRequest('c1', consumerFetch(10_000, 500, 1));
    parts.advance(499);
    expect(fetchAnswers(parts)).toEqual([]);
    parts.advance(1);
    const [answer] = fetchAnswers(parts);
    expect(answer!.responses[0]!.partitions[0]!.records).toHaveLength(1);
  });

  test('fetch.min.bytes already available (or 0) is answered at once', () => {
    const parts = leading();
    parts.replicaManager.handleFetchRequest('c1', consumerFetch(0, 500));
    expect(fetchAnswers(parts)).toHaveLength(1);
    produce(parts, ['a']);
    parts.replicaManager.handleFetchRequest('c1', consumerFetch(1, 500));
    expect(fetchAnswers(parts)).toHaveLength(1);
  });
});
