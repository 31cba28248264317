/**
 * The metadata record encoding: every record type survives a round trip, alone and in a batch,
 * and a payload that is not a well-formed record is refused.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { decodeMetadataBatch, decodeMetadataRecord, encodeMetadataBatch, encodeMetadataRecord } from '../../src/metadata/records.js';
import type { MetadataRecord } from '../../src/metadata/types.js';

const EXAMPLES: MetadataRecord[] = [
  { type: 'RegisterBrokerRecord', brokerId: 'b1', brokerEpoch: 7, incarnationId: 'b1-1', fenced: true, rack: null },
  { type: 'BrokerRegistrationChangeRecord', brokerId: 'b1', brokerEpoch: 7, fenced: false, inControlledShutdown: false },
  { type: 'UnregisterBrokerRecord', brokerId: 'b1', brokerEpoch: 7 },
  { type: 'TopicRecord', name: 'orders', topicId: 'abcd' },
  { type: 'PartitionRecord', topicId: 'abcd', partitionId: 0, replicas: ['b1', 'b2'], isr: ['b1', 'b2'], eligibleLeaderReplicas: [], leader: 'b1', leaderEpoch: 0, partitionEpoch: 0 },
  { type: 'PartitionChangeRecord', topicId: 'abcd', partitionId: 0, isr: ['b1'] },
  { type: 'PartitionChangeRecord', topicId: 'abcd', partitionId: 0, leader: null },
  { type: 'PartitionChangeRecord', topicId: 'abcd', partitionId: 0, leader: 'b2', isr: ['b2'], leaderRecoveryState: 'RECOVERING', eligibleLeaderReplicas: ['b1'] },
  { type: 'ConfigRecord', resourceType: 'TOPIC', resourceName: 'orders', name: 'min.insync.replicas', value: '2' },
  { type: 'ConfigRecord', resourceType: 'TOPIC', resourceName: 'orders', name: 'min.insync.replicas', value: null },
  { type: 'ProducerIdsRecord', brokerId: 'b1', brokerEpoch: 7, nextProducerId: 1000 },
];

describe('metadata records', () => {
  test.each(EXAMPLES.map((record) => [record.type, record] as const))('%s round-trips', (_type, record) => {
    expect(decodeMetadataRecord(encodeMetadataRecord(record))).toEqual(record);
  });

  test('a change record keeps "leader: null" (no leader) apart from an absent leader (no change)', () => {
    const noLeader = decodeMetadataRecord(encodeMetadataRecord(EXAMPLES[6]!));
    const noChange = decodeMetadataRecord(encodeMetadataRecord(EXAMPLES[5]!));
    expect(noLeader.type === 'PartitionChangeRecord' && noLeader.leader).toBe(null);
    expect('leader' in noChange).toBe(false);
  });

  test('a batch round-trips in order, and an empty batch is refused', () => {
    expect(decodeMetadataBatch(encodeMetadataBatch(EXAMPLES))).toEqual(EXAMPLES);
    expect(() => encodeMetadataBatch([])).toThrow(/empty/);
  });

  test('any batch of partition changes round-trips (property)', () => {
    const id = fc.constantFrom('b1', 'b2', 'b3', 'b10');
    const change = fc.record(
      {
        type: fc.constant('PartitionChangeRecord' as const),
        topicId: fc.string({ minLength: 1, maxLength: 8 }),
        partitionId: fc.nat(100),
        isr: fc.uniqueArray(id, { maxLength: 4 }),
        leader: fc.option(id, { nil: null }),
        eligibleLeaderReplicas: fc.uniqueArray(id, { maxLength: 4 }),
        leaderRecoveryState: fc.constantFrom('RECOVERED' as const, 'RECOVERING' as const),
      },
      { requiredKeys: ['type', 'topicId', 'partitionId'] },
    );
    fc.assert(
      fc.property(fc.array(change, { minLength: 1, maxLength: 5 }), (records) => {
        expect(decodeMetadataBatch(encodeMetadataBatch(records))).toEqual(records);
      }),
    );
  });

  test('malformed payloads are refused', () => {
    const encode = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));
    expect(() => decodeMetadataRecord(encode({ type: 'NoSuchRecord' }))).toThrow(/unknown type/);
    expect(() => decodeMetadataRecord(encode({ type: 'TopicRecord', name: 'x' }))).toThrow(/missing field topicId/);
    expect(() => decodeMetadataBatch(encode([]))).toThrow(/non-empty/);
    expect(() => decodeMetadataBatch(encode(EXAMPLES[0]))).toThrow(/non-empty array/);
  });
});
