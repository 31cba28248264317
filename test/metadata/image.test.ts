/**
 * MetadataImage replay: registrations, topics and partitions build up as Kafka's MetadataDelta
 * does, partition changes bump epochs as PartitionRegistration.merge does, broken records are
 * refused, and an image survives a snapshot round trip.
 */
import { describe, expect, test } from 'vitest';
import {
  decodeImage,
  emptyImage,
  encodeImage,
  liveBrokers,
  partitionOf,
  partitionsLedBy,
  partitionsReplicatedOn,
  replay,
  replayBatch,
  topicConfig,
} from '../../src/metadata/image.js';
import { encodeMetadataBatch } from '../../src/metadata/records.js';
import type { MetadataImage, MetadataRecord } from '../../src/metadata/types.js';

function build(records: readonly MetadataRecord[]): MetadataImage {
  return records.reduce((image, record, index) => replay(image, index, record), emptyImage());
}

const CLUSTER: MetadataRecord[] = [
  { type: 'RegisterBrokerRecord', brokerId: 'b1', brokerEpoch: 0, incarnationId: 'i1', fenced: true, rack: null },
  { type: 'RegisterBrokerRecord', brokerId: 'b2', brokerEpoch: 1, incarnationId: 'i2', fenced: true, rack: null },
  { type: 'RegisterBrokerRecord', brokerId: 'b10', brokerEpoch: 2, incarnationId: 'i3', fenced: true, rack: null },
  { type: 'BrokerRegistrationChangeRecord', brokerId: 'b1', brokerEpoch: 0, fenced: false, inControlledShutdown: false },
  { type: 'BrokerRegistrationChangeRecord', brokerId: 'b10', brokerEpoch: 2, fenced: false, inControlledShutdown: false },
  { type: 'BrokerRegistrationChangeRecord', brokerId: 'b2', brokerEpoch: 1, fenced: false, inControlledShutdown: false },
  { type: 'TopicRecord', name: 't', topicId: 'T' },
  { type: 'ConfigRecord', resourceType: 'TOPIC', resourceName: 't', name: 'min.insync.replicas', value: '2' },
  { type: 'PartitionRecord', topicId: 'T', partitionId: 0, replicas: ['b1', 'b2', 'b10'], isr: ['b1', 'b2', 'b10'], eligibleLeaderReplicas: [], leader: 'b1', leaderEpoch: 0, partitionEpoch: 0 },
  { type: 'PartitionRecord', topicId: 'T', partitionId: 1, replicas: ['b2', 'b10'], isr: ['b2', 'b10'], eligibleLeaderReplicas: [], leader: 'b2', leaderEpoch: 0, partitionEpoch: 0 },
];

describe('MetadataImage replay', () => {
  test('registrations, topics, configs and partitions build up', () => {
    const image = build(CLUSTER);
    expect(image.offset).toBe(CLUSTER.length - 1);
    expect(liveBrokers(image)).toEqual(['b1', 'b2', 'b10']);
    expect(image.brokers.get('b2')).toMatchObject({ brokerEpoch: 1, fenced: false, inControlledShutdown: false });
    expect(topicConfig(image, 't', 'min.insync.replicas', '1')).toBe('2');
    expect(topicConfig(image, 't', 'unclean.leader.election.enable', 'false')).toBe('false');
    expect(partitionsLedBy(image, 'b2').map((p) => p.partitionId)).toEqual([1]);
    expect(partitionsReplicatedOn(image, 'b1').map((p) => p.partitionId)).toEqual([0]);
    expect(partitionsReplicatedOn(image, 'b10').map((p) => p.partitionId)).toEqual([0, 1]);
  });

  test('a change that sets the leader bumps leaderEpoch and partitionEpoch; an ISR change bumps only partitionEpoch', () => {
    let image = build(CLUSTER);
    image = replay(image, 20, { type: 'PartitionChangeRecord', topicId: 'T', partitionId: 0, isr: ['b1', 'b2'] });
    expect(partitionOf(image, 't', 0)).toMatchObject({ leader: 'b1', leaderEpoch: 0, partitionEpoch: 1, isr: ['b1', 'b2'] });
    image = replay(image, 21, { type: 'PartitionChangeRecord', topicId: 'T', partitionId: 0, leader: 'b2', isr: ['b2'] });
    expect(partitionOf(image, 't', 0)).toMatchObject({ leader: 'b2', leaderEpoch: 1, partitionEpoch: 2, isr: ['b2'] });
    // Kafka bumps the leader epoch whenever the record sets the leader, even to the same broker.
    image = replay(image, 22, { type: 'PartitionChangeRecord', topicId: 'T', partitionId: 0, leader: 'b2' });
    expect(partitionOf(image, 't', 0)).toMatchObject({ leader: 'b2', leaderEpoch: 2, partitionEpoch: 3 });
    image = replay(image, 23, { type: 'PartitionChangeRecord', topicId: 'T', partitionId: 0, leader: null });
    expect(partitionOf(image, 't', 0)).toMatchObject({ leader: null, leaderEpoch: 3, partitionEpoch: 4, isr: ['b2'] });
    image = replay(image, 24, { type: 'PartitionChangeRecord', topicId: 'T', partitionId: 0, leader: 'b1', isr: ['b1'], leaderRecoveryState: 'RECOVERING' });
    expect(partitionOf(image, 't', 0)).toMatchObject({ leader: 'b1', leaderEpoch: 4, partitionEpoch: 5, leaderRecoveryState: 'RECOVERING' });
    expect(partitionOf(image, 't', 1)).toMatchObject({ leaderEpoch: 0, partitionEpoch: 0 });
  });

  test('replay is pure: the old image is unchanged and unchanged parts are shared', () => {
    const before = build(CLUSTER);
    const after = replay(before, 30, { type: 'PartitionChangeRecord', topicId: 'T', partitionId: 0, isr: ['b1'] });
    expect(partitionOf(before, 't', 0)!.isr).toEqual(['b1', 'b2', 'b10']);
    expect(partitionOf(after, 't', 0)!.isr).toEqual(['b1']);
    expect(after.brokers).toBe(before.brokers);
    expect(partitionOf(after, 't', 1)).toBe(partitionOf(before, 't', 1));
  });

  test('records that break an invariant are refused', () => {
    const image = build(CLUSTER);
    const change = (fields: object): MetadataRecord => ({ type: 'PartitionChangeRecord', topicId: 'T', partitionId: 0, ...fields }) as MetadataRecord;
    expect(() => replay(image, 5, change({ isr: ['b1'] }))).toThrow(/behind/);
    expect(() => replay(image, 20, change({ leader: 'b2', isr: ['b1'] }))).toThrow(/not in ISR/);
    expect(() => replay(image, 20, change({ isr: ['b1', 'b9'] }))).toThrow(/not within replicas/);
    expect(() => replay(image, 20, change({ eligibleLeaderReplicas: ['b1'] }))).toThrow(/ELR/);
    expect(() => replay(image, 20, { type: 'BrokerRegistrationChangeRecord', brokerId: 'b1', brokerEpoch: 99, fenced: true, inControlledShutdown: false })).toThrow(/epoch/);
    expect(() => replay(image, 20, { type: 'TopicRecord', name: 't', topicId: 'X' })).toThrow(/already exists/);
    expect(() => replay(image, 20, { type: 'PartitionRecord', topicId: 'T', partitionId: 5, replicas: ['b1'], isr: ['b1'], eligibleLeaderReplicas: [], leader: 'b1', leaderEpoch: 0, partitionEpoch: 0 })).toThrow(/out of order/);
    expect(() => replay(image, 20, { type: 'ProducerIdsRecord', brokerId: 'b1', brokerEpoch: 0, nextProducerId: 0 })).toThrow(/went back/);
  });

  test('a batch replays every record at the entry offset', () => {
    const image = replayBatch(emptyImage(), 4, encodeMetadataBatch(CLUSTER.slice(0, 3)));
    expect(image.offset).toBe(4);
    expect([...image.brokers.keys()]).toEqual(['b1', 'b2', 'b10']);
  });

  test('an image survives a snapshot round trip', () => {
    const image = replay(build(CLUSTER), 40, { type: 'ProducerIdsRecord', brokerId: 'b1', brokerEpoch: 0, nextProducerId: 1000 });
    const decoded = decodeImage(encodeImage(image));
    expect(decoded).toEqual(image);
    expect(encodeImage(decoded)).toEqual(encodeImage(image));
    expect(decoded.nextProducerId).toBe(1000);
  });
});
