/**
 * The group coordinator in a whole simulated cluster (three controllers, three brokers, the kafka
 * system's checker watching every replica): a raw protocol client finds the coordinator (which
 * creates `__consumer_offsets`), joins a classic group through KIP-394's second join, takes the
 * assignment it computed as leader, commits an offset and reads it back — then the coordinator's
 * broker crashes, another broker becomes leader of the group's partition, loads it from its
 * replica of the log, and answers with the same offset and the same generation.
 */
import { describe, expect, test } from 'vitest';
import type { NodeId } from '../../src/host.js';
import { type JoinGroupRequest, ZERO_TOPIC_ID } from '../../src/protocol/apis.js';
import { TestCluster } from '../support/cluster.js';
import { kafkaScenario } from '../support/scenarios.js';
import { partitionForGroup } from '../../src/broker/groupCoordinator.js';
import { call, probeSpec } from './groupProbe.js';

const PROBE = 'q1';
const GROUP = 'payments';
/** Longer than any test runs, so the system's final reader never starts. */
const PHASE_MS = 1_000_000;
const OFFSETS_PARTITIONS = 3;
const GROUP_PARTITION = partitionForGroup(GROUP, OFFSETS_PARTITIONS);

function buildCluster(seed: number): TestCluster {
  const scenario = kafkaScenario({
    cluster: { controllers: 3, brokers: 3, producers: 0 },
    config: { broker: { 'offsets.topic.num.partitions': OFFSETS_PARTITIONS } },
    workload: { topic: 'orders', partitions: 2, replicationFactor: 3 },
    durationMs: PHASE_MS,
    livenessMs: PHASE_MS,
  });
  return TestCluster.ofSystem(scenario, seed, [probeSpec(PROBE)]);
}

/** Asks `broker` for the group's coordinator until one is available (the first ask creates the topic). */
function findCoordinator(cluster: TestCluster, broker: NodeId): NodeId {
  for (let attempt = 0; attempt < 100; attempt++) {
    const response = call(cluster, PROBE, broker, { api: 'FindCoordinator', keyType: 0, coordinatorKeys: [GROUP] });
    const coordinator = response.coordinators[0]!;
    if (coordinator.errorCode === 'NONE') return coordinator.nodeId as NodeId;
    expect(coordinator.errorCode).toBe('COORDINATOR_NOT_AVAILABLE');
    cluster.runFor(200);
  }
  throw new Error('no coordinator');
}

/** Whether `broker` has loaded the group's partition. */
function loadedOn(cluster: TestCluster, broker: NodeId): boolean {
  return cluster.eventsOf('group.loaded', broker).some((event) => event['partition'] === GROUP_PARTITION);
}

/** Crashes the coordinator's broker; returns the broker that took the group's partition over, once it has loaded it. */
function failOver(cluster: TestCluster, coordinator: NodeId): NodeId {
  cluster.crash(coordinator);
  const survivor = ['b1', 'b2', 'b3'].find((broker) => broker !== coordinator)!;
  let successor: NodeId = coordinator;
  cluster.runUntil(() => {
    successor = findCoordinator(cluster, survivor);
    return successor !== coordinator;
  }, 60_000);
  cluster.runUntil(() => loadedOn(cluster, successor), 10_000);
  return successor;
}

const joinRequest = (memberId: string): Omit<JoinGroupRequest, 'correlationId'> => ({
  api: 'JoinGroup',
  groupId: GROUP,
  sessionTimeoutMs: 45_000,
  rebalanceTimeoutMs: 300_000,
  memberId,
  groupInstanceId: null,
  protocolType: 'consumer',
  protocols: [{ name: 'range', metadata: { topics: ['orders'], userData: null, ownedPartitions: [], generationId: -1, rackId: null } }],
  reason: null,
});

describe('the group coordinator in a cluster', () => {
  test('a member joins, commits an offset and reads it back after the coordinator fails over', () => {
    const cluster = buildCluster(7);
    cluster.runUntil(() => cluster.eventsOf('broker.caught-up').length >= 3, 30_000);
    cluster.runFor(2_000);

    const coordinator = findCoordinator(cluster, 'b1');
    expect(cluster.eventsOf('group.create-offsets-topic').length).toBe(1);
    cluster.runUntil(() => loadedOn(cluster, coordinator), 10_000);

    // KIP-394: the first JoinGroup only hands out a member id.
    const first = call(cluster, PROBE, coordinator, joinRequest(''));
    expect(first.errorCode).toBe('MEMBER_ID_REQUIRED');
    expect(first.memberId).not.toBe('');

    // The second is held through group.initial.rebalance.delay.ms, then answered: generation 1, led by us.
    const joinedAtMs = cluster.nowMs;
    const joined = call(cluster, PROBE, coordinator, joinRequest(first.memberId));
    expect(joined).toMatchObject({ errorCode: 'NONE', generationId: 1, leader: first.memberId, memberId: first.memberId, protocolName: 'range' });
    expect(joined.members.map((member) => member.memberId)).toEqual([first.memberId]);
    expect(cluster.nowMs - joinedAtMs).toBeGreaterThanOrEqual(3_000);

    const assignment = { assignedPartitions: [{ topic: 'orders', partitions: [0, 1] }], userData: null };
    const synced = call(cluster, PROBE, coordinator, {
      api: 'SyncGroup',
      groupId: GROUP,
      generationId: 1,
      memberId: first.memberId,
      groupInstanceId: null,
      protocolType: 'consumer',
      protocolName: 'range',
      assignments: [{ memberId: first.memberId, assignment }],
    });
    expect(synced).toMatchObject({ errorCode: 'NONE', assignment });

    const committed = call(cluster, PROBE, coordinator, {
      api: 'OffsetCommit',
      groupId: GROUP,
      generationIdOrMemberEpoch: 1,
      memberId: first.memberId,
      groupInstanceId: null,
      topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 42, committedLeaderEpoch: 0, committedMetadata: null }] }],
    });
    expect(committed.topics[0]!.partitions[0]!.errorCode).toBe('NONE');

    const fetchRequest = { api: 'OffsetFetch' as const, groups: [{ groupId: GROUP, memberId: null, memberEpoch: -1, topics: [{ name: 'orders', partitionIndexes: [0, 1] }] }], requireStable: true };
    const fetched = call(cluster, PROBE, coordinator, fetchRequest);
    expect(fetched.groups[0]!.topics[0]!.partitions.map((partition) => partition.committedOffset)).toEqual([42, -1]);

    // The coordinator's broker dies; another leads the partition, loads it and serves the group.
    const successor = failOver(cluster, coordinator);
    // OffsetFetch reads committed state: the new leader's high watermark must first catch up with
    // the commit its predecessor acknowledged (its followers' next fetches move it).
    const load = cluster.eventsOf('group.loaded', successor).find((event) => event['partition'] === GROUP_PARTITION)!;
    const highWatermark = () => Math.max(0, ...cluster.eventsOf('partition.hw', successor).filter((event) => event['topic'] === '__consumer_offsets' && event['partition'] === GROUP_PARTITION).map((event) => event['highWatermark'] as number));
    cluster.runUntil(() => highWatermark() >= (load['logEndOffset'] as number), 10_000);
    const refetched = call(cluster, PROBE, successor, fetchRequest);
    expect(refetched.groups[0]!.errorCode).toBe('NONE');
    expect(refetched.groups[0]!.topics[0]!.partitions.map((partition) => partition.committedOffset)).toEqual([42, -1]);

    // The group came back Stable in generation 1, with our membership.
    const heartbeat = call(cluster, PROBE, successor, { api: 'Heartbeat', groupId: GROUP, generationId: 1, memberId: first.memberId, groupInstanceId: null });
    expect(heartbeat.errorCode).toBe('NONE');
    expect(cluster.violations()).toEqual([]);
  });

  test('a KIP-848 member keeps its epoch and assignment, and its commit, across a coordinator failover', () => {
    const cluster = buildCluster(11);
    cluster.runUntil(() => cluster.eventsOf('broker.caught-up').length >= 3, 30_000);
    cluster.runFor(2_000);
    const coordinator = findCoordinator(cluster, 'b2');
    cluster.runUntil(() => loadedOn(cluster, coordinator), 10_000);
    // ConsumerGroupHeartbeat names topics by id: the consumer learns them from Metadata.
    let ordersId = '';
    cluster.runUntil(() => {
      ordersId = call(cluster, PROBE, coordinator, { api: 'Metadata', topics: ['orders'] }).topics[0]!.topicId;
      return ordersId !== ZERO_TOPIC_ID;
    }, 30_000);

    const heartbeat = (broker: NodeId, memberEpoch: number, owned: number[] | null) =>
      call(cluster, PROBE, broker, {
        api: 'ConsumerGroupHeartbeat',
        groupId: GROUP,
        memberId: 'q1-member',
        memberEpoch,
        instanceId: null,
        rackId: null,
        rebalanceTimeoutMs: memberEpoch === 0 ? 300_000 : -1,
        subscribedTopicNames: memberEpoch === 0 ? ['orders'] : null,
        serverAssignor: null,
        topicPartitions: owned === null ? null : owned.length === 0 ? [] : [{ topicId: ordersId, partitions: owned }],
      });
    const joined = heartbeat(coordinator, 0, []);
    expect(joined).toMatchObject({ errorCode: 'NONE', memberEpoch: 1, assignment: { topicPartitions: [{ topicId: ordersId, partitions: [0, 1] }] } });

    const committed = call(cluster, PROBE, coordinator, {
      api: 'OffsetCommit',
      groupId: GROUP,
      generationIdOrMemberEpoch: 1,
      memberId: 'q1-member',
      groupInstanceId: null,
      topics: [{ name: 'orders', partitions: [{ partitionIndex: 1, committedOffset: 7, committedLeaderEpoch: 0, committedMetadata: null }] }],
    });
    expect(committed.topics[0]!.partitions[0]!.errorCode).toBe('NONE');

    const successor = failOver(cluster, coordinator);
    // The member's epoch is still valid at the new coordinator: it was in the log.
    const after = heartbeat(successor, 1, [0, 1]);
    expect(after).toMatchObject({ errorCode: 'NONE', memberEpoch: 1 });
    const fetchAsMember = { api: 'OffsetFetch' as const, groups: [{ groupId: GROUP, memberId: 'q1-member', memberEpoch: 1, topics: [{ name: 'orders', partitionIndexes: [1] }] }], requireStable: false };
    cluster.runUntil(() => call(cluster, PROBE, successor, fetchAsMember).groups[0]!.topics[0]?.partitions[0]?.committedOffset === 7, 10_000);
    expect(cluster.violations()).toEqual([]);
  });
});
