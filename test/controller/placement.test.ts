/**
 * Replica placement and the PartitionChangeBuilder's elections: placement never puts two replicas
 * of a partition on one broker and spreads leaders; elections follow Kafka's order (keep a valid
 * leader, then the ISR in replica order, then ELR, then — only if unclean — any live replica).
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { PartitionChangeBuilder, type PartitionChangeOptions } from '../../src/controller/partitionChangeBuilder.js';
import { placeReplicas } from '../../src/controller/replicaPlacer.js';
import type { PartitionRegistration } from '../../src/metadata/types.js';
import { RandomRoot } from '../../sim/random.js';

describe('placeReplicas', () => {
  test('never places two replicas of a partition on one broker, and uses only the given brokers (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 40 }), fc.nat(), fc.nat(8), (brokerCount, numPartitions, seed, rfSeed) => {
        const brokers = Array.from({ length: brokerCount }, (_, i) => `b${i + 1}`);
        const replicationFactor = 1 + (rfSeed % brokerCount);
        const assignment = placeReplicas({ numPartitions, replicationFactor, brokers }, new RandomRoot(seed).stream('placement'));
        expect(assignment).toHaveLength(numPartitions);
        for (const replicas of assignment) {
          expect(replicas).toHaveLength(replicationFactor);
          expect(new Set(replicas).size).toBe(replicationFactor);
          for (const id of replicas) expect(brokers).toContain(id);
        }
      }),
    );
  });

  test('leaders (first replicas) spread evenly over the brokers', () => {
    const brokers = ['b1', 'b2', 'b3'];
    const assignment = placeReplicas({ numPartitions: 6, replicationFactor: 2, brokers }, new RandomRoot(7).stream('placement'));
    const leaders = assignment.map((replicas) => replicas[0]!);
    for (const id of brokers) expect(leaders.filter((leader) => leader === id)).toHaveLength(2);
  });

  test('a replication factor above the broker count is a caller bug', () => {
    expect(() => placeReplicas({ numPartitions: 1, replicationFactor: 4, brokers: ['b1', 'b2', 'b3'] }, new RandomRoot(1).stream('placement'))).toThrow(/replication factor/);
  });
});

function partition(fields: Partial<PartitionRegistration> = {}): PartitionRegistration {
  return {
    topic: 't',
    topicId: 'T',
    partitionId: 0,
    replicas: ['b1', 'b2', 'b3'],
    isr: ['b1', 'b2', 'b3'],
    eligibleLeaderReplicas: [],
    lastKnownElr: [],
    leader: 'b1',
    leaderEpoch: 4,
    partitionEpoch: 9,
    leaderRecoveryState: 'RECOVERED',
    ...fields,
  };
}

function options(live: readonly string[], fields: Partial<PartitionChangeOptions> = {}): PartitionChangeOptions {
  return { isAcceptableLeader: (id) => live.includes(id), election: 'ONLINE', minIsr: 1, eligibleLeaderReplicasEnabled: false, ...fields };
}

describe('PartitionChangeBuilder', () => {
  test('an ISR shrink that keeps the leader changes only the ISR (no leader epoch bump)', () => {
    const record = new PartitionChangeBuilder(partition(), options(['b1', 'b2', 'b3'])).setTargetIsr(['b1', 'b2']).build();
    expect(record).toEqual({ type: 'PartitionChangeRecord', topicId: 'T', partitionId: 0, isr: ['b1', 'b2'] });
  });

  test('a leader leaving the ISR is replaced by the first live ISR member in replica order', () => {
    const record = new PartitionChangeBuilder(partition(), options(['b2', 'b3'])).setTargetIsr(['b3', 'b2']).build();
    expect(record).toMatchObject({ leader: 'b2', isr: ['b3', 'b2'] });
  });

  test('no change builds no record', () => {
    expect(new PartitionChangeBuilder(partition(), options(['b1', 'b2', 'b3'])).build()).toBeNull();
  });

  test('without a live ISR member: no leader, and the last ISR member stays in the ISR', () => {
    const record = new PartitionChangeBuilder(partition({ isr: ['b1'] }), options(['b2', 'b3'])).setTargetIsr([]).build();
    expect(record).toEqual({ type: 'PartitionChangeRecord', topicId: 'T', partitionId: 0, leader: null });
  });

  test('an unclean election picks a live out-of-sync replica, makes it the ISR, and marks it RECOVERING', () => {
    const record = new PartitionChangeBuilder(partition({ isr: ['b1'] }), options(['b2', 'b3'], { election: 'UNCLEAN' })).setTargetIsr([]).build();
    expect(record).toMatchObject({ leader: 'b2', isr: ['b2'], leaderRecoveryState: 'RECOVERING' });
  });

  test('an unclean election still prefers a live ISR member', () => {
    const record = new PartitionChangeBuilder(partition(), options(['b3'], { election: 'UNCLEAN' })).setTargetIsr(['b2', 'b3']).build();
    expect(record).toMatchObject({ leader: 'b3', isr: ['b2', 'b3'] });
    expect(record?.leaderRecoveryState).toBeUndefined();
  });

  test('ELR (KIP-966): members lost below min ISR join the ELR, and the ELR leads when the ISR is empty', () => {
    const elr = { eligibleLeaderReplicasEnabled: true, minIsr: 2 };
    const shrunk = new PartitionChangeBuilder(partition({ isr: ['b1', 'b2'], leader: 'b1' }), options(['b2'], elr)).setTargetIsr(['b2']).build();
    expect(shrunk).toMatchObject({ leader: 'b2', isr: ['b2'], eligibleLeaderReplicas: ['b1'] });
    const empty = new PartitionChangeBuilder(partition({ isr: ['b2'], eligibleLeaderReplicas: ['b1'], leader: 'b2' }), options([], elr)).setTargetIsr([]).build();
    expect(empty).toMatchObject({ leader: null, isr: [], eligibleLeaderReplicas: ['b1', 'b2'] });
    const elected = new PartitionChangeBuilder(partition({ isr: [], eligibleLeaderReplicas: ['b1', 'b2'], leader: null }), options(['b2'], elr)).build();
    expect(elected).toMatchObject({ leader: 'b2', isr: ['b2'], eligibleLeaderReplicas: ['b1'] });
  });

  test('ELR: a replica that shut down uncleanly leaves the ELR; back at min ISR the ELR empties', () => {
    const elr = { eligibleLeaderReplicasEnabled: true, minIsr: 2 };
    const unclean = new PartitionChangeBuilder(partition({ isr: [], eligibleLeaderReplicas: ['b1', 'b2'], leader: null }), options([], elr))
      .setUncleanShutdownReplicas(['b1'])
      .build();
    expect(unclean).toMatchObject({ eligibleLeaderReplicas: ['b2'] });
    const healed = new PartitionChangeBuilder(partition({ isr: ['b2'], eligibleLeaderReplicas: ['b1'], leader: 'b2' }), options(['b2', 'b3'], elr))
      .setTargetIsr(['b2', 'b3'])
      .build();
    expect(healed).toMatchObject({ isr: ['b2', 'b3'], eligibleLeaderReplicas: [] });
  });

  test('ELR: when ISR and ELR both empty, the last leader is remembered and elected uncleanly when back (KIP-966 balanced recovery)', () => {
    const elr = { eligibleLeaderReplicasEnabled: true, minIsr: 2 };
    // b2, the last ISR member and leader, restarts after an unclean shutdown: it leaves ISR and ELR.
    const emptied = new PartitionChangeBuilder(partition({ isr: ['b2'], eligibleLeaderReplicas: [], leader: 'b2' }), options([], elr))
      .setUncleanShutdownReplicas(['b2'])
      .setTargetIsr([])
      .build();
    expect(emptied).toMatchObject({ leader: null, isr: [], lastKnownElr: ['b2'] });
    const offline = partition({ isr: [], eligibleLeaderReplicas: [], leader: null, lastKnownElr: ['b2'] });
    // Another replica that was never in the ISR may not lead; the last leader may, once it is back.
    expect(new PartitionChangeBuilder(offline, options(['b3'], elr)).build()).toBeNull();
    const elected = new PartitionChangeBuilder(offline, options(['b2', 'b3'], elr)).build();
    expect(elected).toMatchObject({ leader: 'b2', isr: ['b2'], leaderRecoveryState: 'RECOVERING', lastKnownElr: [] });
    // With ELR off there is no last known leader: the ISR never empties.
    const off = new PartitionChangeBuilder(partition({ isr: ['b2'], leader: 'b2' }), options([], { minIsr: 2 })).setTargetIsr([]).build();
    expect(off).toMatchObject({ leader: null });
    expect(off).not.toHaveProperty('lastKnownElr');
  });
});
