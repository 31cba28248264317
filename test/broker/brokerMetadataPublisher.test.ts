/**
 * The metadata publisher's leadership hook: the place where a group or transaction coordinator will
 * load and unload the partitions of its internal topic. A fake coordinator registered for
 * `__consumer_offsets` must hear, after the replica manager applied each image, exactly which of
 * that topic's partitions this broker began leading (with the new leader epoch) and which it
 * resigned — and nothing before the broker has caught up, nothing for ISR-only changes, nothing
 * for other topics.
 */
import { describe, expect, test } from 'vitest';
import type { PartitionLeadershipListener } from '../../src/broker/brokerMetadataPublisher.js';
import type { ReplicaManager } from '../../src/broker/replicaManager.js';
import { brokerParts, imageSnapshot as image, partitionOn } from './brokerParts.js';

const OFFSETS_TOPIC = '__consumer_offsets';

const partition = (topic: string, partitionId: number, leader: string, leaderEpoch: number, partitionEpoch = leaderEpoch) => partitionOn(topic, partitionId, leader, leaderEpoch, { partitionEpoch });

/** A coordinator stand-in: records what it hears, and what the replica manager said at that moment. */
function recordingListener(replicaManager: ReplicaManager, topic: string) {
  const heard: string[] = [];
  const listener: PartitionLeadershipListener = {
    onElection: (partitionIndex, partitionLeaderEpoch) =>
      heard.push(`election ${partitionIndex} epoch ${partitionLeaderEpoch} (replica ${replicaManager.getPartition(topic, partitionIndex)?.role})`),
    onResignation: (partitionIndex, partitionLeaderEpoch) =>
      heard.push(`resignation ${partitionIndex} epoch ${partitionLeaderEpoch} (replica ${replicaManager.getPartition(topic, partitionIndex)?.role})`),
  };
  return { listener, heard };
}

describe('BrokerMetadataPublisher leadership listeners', () => {
  test('a coordinator hears elections and resignations of its topic, with their leader epochs, after the replica manager applied them', () => {
    const { publisher, replicaManager, caughtUp } = brokerParts('b1');
    const offsets = recordingListener(replicaManager, OFFSETS_TOPIC);
    publisher.addPartitionLeadershipListener(OFFSETS_TOPIC, offsets.listener);

    // Before catch-up the image is loaded but not acted on: no partition, no election.
    publisher.handleLoadSnapshot(image(10, { [OFFSETS_TOPIC]: [partition(OFFSETS_TOPIC, 0, 'b1', 1), partition(OFFSETS_TOPIC, 1, 'b2', 4)] }));
    expect(offsets.heard).toEqual([]);
    expect(replicaManager.getPartition(OFFSETS_TOPIC, 0)).toBeUndefined();

    // Caught up: the first publish takes up every partition; following one is a resignation, as in Kafka.
    caughtUp.value = true;
    publisher.publish();
    expect(offsets.heard.splice(0)).toEqual(['election 0 epoch 1 (replica leader)', 'resignation 1 epoch 4 (replica follower)']);

    // Leadership moves both ways.
    publisher.handleLoadSnapshot(image(20, { [OFFSETS_TOPIC]: [partition(OFFSETS_TOPIC, 0, 'b2', 2), partition(OFFSETS_TOPIC, 1, 'b1', 5)] }));
    expect(offsets.heard.splice(0)).toEqual(['resignation 0 epoch 2 (replica follower)', 'election 1 epoch 5 (replica leader)']);

    // An ISR-only change (new partition epoch, same leader epoch) and a repeat of the same image say nothing.
    publisher.handleLoadSnapshot(image(30, { [OFFSETS_TOPIC]: [partition(OFFSETS_TOPIC, 0, 'b2', 2, 3), partition(OFFSETS_TOPIC, 1, 'b1', 5, 6)] }));
    publisher.publish();
    expect(offsets.heard).toEqual([]);

    // A new epoch of the same leader is a new election: the coordinator reloads at the new epoch.
    publisher.handleLoadSnapshot(image(40, { [OFFSETS_TOPIC]: [partition(OFFSETS_TOPIC, 0, 'b2', 2, 3), partition(OFFSETS_TOPIC, 1, 'b1', 7)] }));
    expect(offsets.heard).toEqual(['election 1 epoch 7 (replica leader)']);
  });

  test('a listener hears only its own topic, and every listener of a topic hears it', () => {
    const { publisher, replicaManager, caughtUp } = brokerParts('b1');
    const groups = recordingListener(replicaManager, OFFSETS_TOPIC);
    const second = recordingListener(replicaManager, OFFSETS_TOPIC);
    const transactions = recordingListener(replicaManager, '__transaction_state');
    publisher.addPartitionLeadershipListener(OFFSETS_TOPIC, groups.listener);
    publisher.addPartitionLeadershipListener(OFFSETS_TOPIC, second.listener);
    publisher.addPartitionLeadershipListener('__transaction_state', transactions.listener);
    caughtUp.value = true;
    publisher.handleLoadSnapshot(image(10, { events: [partition('events', 0, 'b1', 1)], [OFFSETS_TOPIC]: [partition(OFFSETS_TOPIC, 0, 'b3', 1)] }));
    expect(groups.heard).toEqual(['resignation 0 epoch 1 (replica follower)']);
    expect(second.heard).toEqual(groups.heard);
    expect(transactions.heard).toEqual([]);
    expect(replicaManager.getPartition('events', 0)?.role).toBe('leader');
  });
});
