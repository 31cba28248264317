/**
 * The QuorumController's request handling, driven directly with a fake raft that commits on cue:
 * broker registration and heartbeats (fencing, unfencing, session expiry, controlled shutdown),
 * CreateTopics, AlterPartition's checks in Kafka's order, elections (clean, unclean, none),
 * producer id blocks, and what a controller that loses leadership answers.
 */
import { describe, expect, test } from 'vitest';
import { partitionOf } from '../../src/metadata/image.js';
import type {
  AllocateProducerIdsResponse,
  AlterPartitionRequest,
  AlterPartitionResponse,
  BrokerHeartbeatResponse,
  BrokerRegistrationResponse,
  CreateTopicsResponse,
} from '../../src/protocol/apis.js';
import { type TestController, activeController, createTopic, heartbeat, registration } from './support.js';

const BROKERS = ['b1', 'b2', 'b3'];

/** Registers and unfences the brokers; returns their epochs. */
function startBrokers(t: TestController, brokers: readonly string[] = BROKERS): Map<string, number> {
  const epochs = new Map<string, number>();
  for (const id of brokers) {
    const response = t.call<BrokerRegistrationResponse>(id, registration(id));
    expect(response.errorCode).toBe('NONE');
    epochs.set(id, response.brokerEpoch);
  }
  for (const id of brokers) heartbeatOk(t, id, epochs.get(id)!);
  return epochs;
}

function heartbeatOk(t: TestController, id: string, epoch: number, flags: { wantShutDown?: boolean } = {}): BrokerHeartbeatResponse {
  const response = t.call<BrokerHeartbeatResponse>(id, heartbeat(id, epoch, t.controller.committedImage.offset, flags));
  expect(response.errorCode).toBe('NONE');
  return response;
}

interface Roles {
  /** The partition's first replica, its leader. */
  readonly l: string;
  /** The second and third replicas, in replica order. */
  readonly f1: string;
  readonly f2: string;
}

/** A topic with one partition on all three brokers; returns who holds which replica. */
function topicOnAll(t: TestController, name = 't', configs: Record<string, string> = {}): Roles {
  const response = t.call<CreateTopicsResponse>('admin', createTopic(name, 1, 3, configs));
  expect(response.topics[0]!.errorCode).toBe('NONE');
  const partition = partitionOf(t.controller.committedImage, name, 0)!;
  expect(partition.leader).toBe(partition.replicas[0]);
  const [l, f1, f2] = partition.replicas as [string, string, string];
  return { l, f1, f2 };
}

function without(epochs: ReadonlyMap<string, number>, ...ids: string[]): Map<string, number> {
  return new Map([...epochs].filter(([id]) => !ids.includes(id)));
}

function alter(brokerId: string, brokerEpoch: number, fields: { leaderEpoch: number; partitionEpoch: number; isr: Array<[string, number]> }): AlterPartitionRequest {
  return {
    api: 'AlterPartition',
    correlationId: 99,
    brokerId,
    brokerEpoch,
    topics: [
      {
        topicName: 't',
        partitions: [
          {
            partitionIndex: 0,
            leaderEpoch: fields.leaderEpoch,
            partitionEpoch: fields.partitionEpoch,
            newIsrWithEpochs: fields.isr.map(([id, epoch]) => ({ brokerId: id, brokerEpoch: epoch })),
          },
        ],
      },
    ],
  };
}

/** Lets time pass, with the listed brokers heartbeating every 2 s (broker.heartbeat.interval.ms). */
function passTime(t: TestController, ms: number, alive: ReadonlyMap<string, number>): void {
  for (let elapsed = 0; elapsed < ms; elapsed += 2_000) {
    t.advance(Math.min(2_000, ms - elapsed));
    t.raft.commitAll();
    for (const [id, epoch] of alive) heartbeatOk(t, id, epoch);
  }
}

describe('QuorumController: brokers', () => {
  test('registration writes a fenced RegisterBrokerRecord whose offset is the broker epoch, answered once committed', () => {
    const t = activeController();
    const expectedEpoch = t.raft.nextOffset();
    t.request('b1', registration('b1', -1, 'b1-inc'));
    expect(t.sent).toEqual([]);
    expect(t.raft.pendingRecords()).toEqual([
      { type: 'RegisterBrokerRecord', brokerId: 'b1', brokerEpoch: expectedEpoch, incarnationId: 'b1-inc', fenced: true, rack: null },
    ]);
    t.raft.commitAll();
    expect(t.takeSent().map((sent) => sent.message)).toEqual([
      { api: 'BrokerRegistrationResponse', correlationId: expect.any(Number), errorCode: 'NONE', brokerEpoch: expectedEpoch },
    ]);
    expect(t.traces()).toContainEqual(expect.objectContaining({ type: 'metadata.broker', brokerId: 'b1', brokerEpoch: expectedEpoch, fenced: true }));
  });

  test('a heartbeat unfences a broker only once it has replayed its own registration', () => {
    const t = activeController();
    const epoch = t.call<BrokerRegistrationResponse>('b1', registration('b1')).brokerEpoch;
    const behind = t.call<BrokerHeartbeatResponse>('b1', heartbeat('b1', epoch, epoch - 1));
    expect(behind).toMatchObject({ errorCode: 'NONE', isCaughtUp: false, isFenced: true, shouldShutDown: false });
    expect(t.controller.committedImage.brokers.get('b1')!.fenced).toBe(true);
    const caughtUp = t.call<BrokerHeartbeatResponse>('b1', heartbeat('b1', epoch, epoch));
    expect(caughtUp).toMatchObject({ errorCode: 'NONE', isCaughtUp: true, isFenced: false, shouldShutDown: false });
    expect(t.controller.committedImage.brokers.get('b1')!.fenced).toBe(false);
  });

  test('a heartbeat with a stale broker epoch, or from an unregistered broker, is STALE_BROKER_EPOCH', () => {
    const t = activeController();
    const epochs = startBrokers(t, ['b1']);
    t.call<BrokerRegistrationResponse>('b1', registration('b1'));
    expect(t.call<BrokerHeartbeatResponse>('b1', heartbeat('b1', epochs.get('b1')!, 100)).errorCode).toBe('STALE_BROKER_EPOCH');
    expect(t.call<BrokerHeartbeatResponse>('b9', heartbeat('b9', 1, 100)).errorCode).toBe('STALE_BROKER_EPOCH');
  });

  test('a broker whose session expires is fenced: leadership moves to another ISR member and the ISRs shrink', () => {
    const t = activeController();
    const epochs = startBrokers(t);
    const { l, f1, f2 } = topicOnAll(t);
    expect(partitionOf(t.controller.committedImage, 't', 0)).toMatchObject({ leader: l, leaderEpoch: 0 });
    passTime(t, 8_000, without(epochs, l));
    expect(t.controller.committedImage.brokers.get(l)!.fenced).toBe(false);
    passTime(t, 2_000, without(epochs, l));
    const image = t.controller.committedImage;
    expect(image.brokers.get(l)!.fenced).toBe(true);
    expect(partitionOf(image, 't', 0)).toMatchObject({ leader: f1, leaderEpoch: 1, partitionEpoch: 1, isr: [f1, f2] });
    expect(t.traces()).toContainEqual(expect.objectContaining({ type: 'metadata.partition', topic: 't', partition: 0, leader: f1, leaderEpoch: 1, isr: [f1, f2] }));
    expect(t.traces()).toContainEqual(expect.objectContaining({ type: 'metadata.broker', brokerId: l, fenced: true }));
  });

  test('a fenced broker that heartbeats again and has caught up is unfenced, and leads leaderless partitions it is in ISR of', () => {
    const t = activeController();
    const epochs = startBrokers(t, ['b1']);
    t.call<CreateTopicsResponse>('admin', createTopic('t', 1, 1));
    passTime(t, 10_000, new Map());
    expect(partitionOf(t.controller.committedImage, 't', 0)).toMatchObject({ leader: null, isr: ['b1'] });
    heartbeatOk(t, 'b1', epochs.get('b1')!);
    expect(partitionOf(t.controller.committedImage, 't', 0)).toMatchObject({ leader: 'b1', isr: ['b1'], leaderEpoch: 2 });
  });

  test('controlled shutdown moves leadership away first, then tells the broker to shut down', () => {
    const t = activeController();
    const epochs = startBrokers(t);
    const { l, f1, f2 } = topicOnAll(t);
    const first = heartbeatOk(t, l, epochs.get(l)!, { wantShutDown: true });
    expect(first).toMatchObject({ isFenced: false, shouldShutDown: false });
    expect(t.controller.committedImage.brokers.get(l)).toMatchObject({ inControlledShutdown: true, fenced: false });
    expect(partitionOf(t.controller.committedImage, 't', 0)).toMatchObject({ leader: f1, isr: [f1, f2] });
    // The others must have replayed the new leadership before the broker may go.
    const waiting = heartbeatOk(t, l, epochs.get(l)!, { wantShutDown: true });
    expect(waiting).toMatchObject({ isFenced: false, shouldShutDown: false });
    heartbeatOk(t, f1, epochs.get(f1)!);
    heartbeatOk(t, f2, epochs.get(f2)!);
    const second = heartbeatOk(t, l, epochs.get(l)!, { wantShutDown: true });
    expect(second).toMatchObject({ isFenced: true, shouldShutDown: true });
    expect(t.controller.committedImage.brokers.get(l)!.fenced).toBe(true);
  });

  test('a broker that leads nothing shuts down at once', () => {
    const t = activeController();
    const epochs = startBrokers(t);
    expect(heartbeatOk(t, 'b3', epochs.get('b3')!, { wantShutDown: true })).toMatchObject({ isFenced: true, shouldShutDown: true });
  });

  test('a restarted broker that registers again leaves every ISR and gets a new epoch', () => {
    const t = activeController();
    const epochs = startBrokers(t);
    const { l, f1, f2 } = topicOnAll(t);
    const again = t.call<BrokerRegistrationResponse>(l, registration(l));
    expect(again.brokerEpoch).toBeGreaterThan(epochs.get(l)!);
    expect(partitionOf(t.controller.committedImage, 't', 0)).toMatchObject({ leader: f1, isr: [f1, f2] });
    expect(t.controller.committedImage.brokers.get(l)).toMatchObject({ brokerEpoch: again.brokerEpoch, fenced: true });
  });
});

describe('QuorumController: CreateTopics', () => {
  test('places replicas on unfenced brokers, leader first, ISR = replicas, epochs 0, configs as ConfigRecords', () => {
    const t = activeController();
    startBrokers(t);
    t.call<BrokerRegistrationResponse>('b4', registration('b4'));
    const response = t.call<CreateTopicsResponse>('admin', createTopic('orders', 6, 3, { 'min.insync.replicas': '2' }));
    expect(response.topics).toEqual([{ name: 'orders', errorCode: 'NONE', errorMessage: null }]);
    const topic = t.controller.committedImage.topics.get('orders')!;
    expect(topic.configs).toEqual({ 'min.insync.replicas': '2' });
    expect(topic.partitions).toHaveLength(6);
    for (const partition of topic.partitions) {
      expect(new Set(partition.replicas).size).toBe(3);
      expect(partition.replicas).not.toContain('b4');
      expect(partition).toMatchObject({ leader: partition.replicas[0], isr: partition.replicas, leaderEpoch: 0, partitionEpoch: 0 });
    }
  });

  test('rejects an existing topic, too few brokers and non-positive partition counts', () => {
    const t = activeController();
    startBrokers(t);
    topicOnAll(t);
    const errors = (name: string, partitions: number, rf: number): string =>
      t.call<CreateTopicsResponse>('admin', createTopic(name, partitions, rf)).topics[0]!.errorCode;
    expect(errors('t', 1, 1)).toBe('TOPIC_ALREADY_EXISTS');
    expect(errors('u', 1, 4)).toBe('INVALID_REPLICATION_FACTOR');
    expect(errors('u', 1, 0)).toBe('INVALID_REPLICATION_FACTOR');
    expect(errors('u', 0, 1)).toBe('INVALID_PARTITIONS');
    expect(t.controller.committedImage.topics.has('u')).toBe(false);
  });

  test('places replicas as a manual assignment says, and refuses a bad one with INVALID_REPLICA_ASSIGNMENT', () => {
    const t = activeController();
    startBrokers(t);
    const create = (name: string, assignments: string[][], counts = -1) =>
      t.call<CreateTopicsResponse>('admin', {
        api: 'CreateTopics',
        correlationId: 900 + assignments.length,
        topics: [{ name, numPartitions: counts, replicationFactor: counts, assignments: assignments.map((brokerIds, partitionIndex) => ({ partitionIndex, brokerIds })), configs: {} }],
      }).topics[0]!.errorCode;
    expect(create('m', [['b3', 'b1'], ['b2', 'b3']])).toBe('NONE');
    const topic = t.controller.committedImage.topics.get('m')!;
    expect(topic.partitions.map((p) => [p.leader, ...p.replicas])).toEqual([['b3', 'b3', 'b1'], ['b2', 'b2', 'b3']]);
    expect(create('x', [['b1', 'b1']])).toBe('INVALID_REPLICA_ASSIGNMENT');
    expect(create('x', [['b1', 'b9']])).toBe('INVALID_REPLICA_ASSIGNMENT');
    expect(create('x', [['b1', 'b2'], ['b3']])).toBe('INVALID_REPLICA_ASSIGNMENT');
    expect(create('x', [['b1']], 1)).toBe('INVALID_REQUEST');
    expect(t.controller.committedImage.topics.has('x')).toBe(false);
  });
});

describe('QuorumController: AlterPartition', () => {
  function setup(): { t: TestController; epochs: Map<string, number>; roles: Roles; e: (id: string) => number } {
    const t = activeController();
    const epochs = startBrokers(t);
    const roles = topicOnAll(t);
    return { t, epochs, roles, e: (id) => epochs.get(id)! };
  }
  const errorOf = (response: AlterPartitionResponse): string => (response.errorCode !== 'NONE' ? response.errorCode : response.topics[0]!.partitions[0]!.errorCode);

  test('the leader shrinks the ISR: a PartitionChangeRecord, answered with the new partition epoch once committed', () => {
    const { t, roles, e } = setup();
    const { l, f1 } = roles;
    t.request(l, alter(l, e(l), { leaderEpoch: 0, partitionEpoch: 0, isr: [[l, e(l)], [f1, e(f1)]] }));
    expect(t.sent).toEqual([]);
    expect(t.raft.pendingRecords()).toEqual([expect.objectContaining({ type: 'PartitionChangeRecord', isr: [l, f1] })]);
    t.raft.commitAll();
    const response = t.takeSent()[0]!.message as AlterPartitionResponse;
    expect(response.topics[0]!.partitions[0]).toEqual({ partitionIndex: 0, errorCode: 'NONE', leaderId: l, leaderEpoch: 0, isr: [l, f1], partitionEpoch: 1 });
    expect(partitionOf(t.controller.committedImage, 't', 0)).toMatchObject({ isr: [l, f1], leaderEpoch: 0, partitionEpoch: 1 });
  });

  test('each rejection, in Kafka order', () => {
    const { t, epochs, roles, e } = setup();
    const { l, f1, f2 } = roles;
    const all: Array<[string, number]> = [[l, e(l)], [f1, e(f1)], [f2, e(f2)]];
    expect(errorOf(t.call(l, alter(l, e(l) - 1, { leaderEpoch: 0, partitionEpoch: 0, isr: all })))).toBe('STALE_BROKER_EPOCH');
    expect(errorOf(t.call(f1, alter(f1, e(f1), { leaderEpoch: 0, partitionEpoch: 0, isr: all })))).toBe('NOT_LEADER_OR_FOLLOWER');
    // A newer epoch than the controller knows means another controller wrote it.
    expect(errorOf(t.call(l, alter(l, e(l), { leaderEpoch: 1, partitionEpoch: 0, isr: all })))).toBe('NOT_CONTROLLER');
    expect(errorOf(t.call(l, alter(l, e(l), { leaderEpoch: 0, partitionEpoch: 0, isr: [[l, e(l)]] })))).toBe('NONE');
    expect(errorOf(t.call(l, alter(l, e(l), { leaderEpoch: 0, partitionEpoch: 0, isr: all })))).toBe('INVALID_UPDATE_VERSION');
    // KIP-903: f1's epoch in the request is not its registered one (it restarted in between).
    expect(errorOf(t.call(l, alter(l, e(l), { leaderEpoch: 0, partitionEpoch: 1, isr: [[l, e(l)], [f1, e(f1) - 1]] })))).toBe('INELIGIBLE_REPLICA');
    // An ISR without the leader, or with a non-replica, is refused.
    expect(errorOf(t.call(l, alter(l, e(l), { leaderEpoch: 0, partitionEpoch: 1, isr: [[f1, e(f1)]] })))).toBe('INELIGIBLE_REPLICA');
    expect(errorOf(t.call(l, alter(l, e(l), { leaderEpoch: 0, partitionEpoch: 1, isr: [[l, e(l)], ['b9', 1]] })))).toBe('INELIGIBLE_REPLICA');
    expect(partitionOf(t.controller.committedImage, 't', 0)).toMatchObject({ isr: [l], partitionEpoch: 1 });
    // The leader is fenced; f1 is not in the ISR, so nobody leads; f1 asking with the old epoch is fenced.
    passTime(t, 10_000, without(epochs, l));
    expect(partitionOf(t.controller.committedImage, 't', 0)).toMatchObject({ leader: null, leaderEpoch: 1 });
    expect(errorOf(t.call(f1, alter(f1, e(f1), { leaderEpoch: 0, partitionEpoch: 1, isr: [[f1, e(f1)]] })))).toBe('FENCED_LEADER_EPOCH');
  });

  test('a fenced replica, or one in controlled shutdown, may not join the ISR', () => {
    const { t, epochs, roles, e } = setup();
    const { l, f1, f2 } = roles;
    t.call(l, alter(l, e(l), { leaderEpoch: 0, partitionEpoch: 0, isr: [[l, e(l)]] }));
    // f2 leads a topic of its own, so wanting to shut down puts it in controlled shutdown.
    t.call<CreateTopicsResponse>('admin', createTopic('solo', 3, 1));
    expect(partitionOf(t.controller.committedImage, 'solo', 0)).toBeDefined();
    const f2Leads = t.controller.committedImage.topics.get('solo')!.partitions.some((p) => p.leader === f2);
    expect(f2Leads).toBe(true);
    heartbeatOk(t, f2, e(f2), { wantShutDown: true });
    expect(t.controller.committedImage.brokers.get(f2)!.inControlledShutdown).toBe(true);
    expect(errorOf(t.call(l, alter(l, e(l), { leaderEpoch: 0, partitionEpoch: 1, isr: [[l, e(l)], [f2, e(f2)]] })))).toBe('INELIGIBLE_REPLICA');
    passTime(t, 10_000, without(epochs, f1, f2));
    expect(t.controller.committedImage.brokers.get(f1)!.fenced).toBe(true);
    const current = partitionOf(t.controller.committedImage, 't', 0)!;
    expect(errorOf(t.call(l, alter(l, e(l), { leaderEpoch: current.leaderEpoch, partitionEpoch: current.partitionEpoch, isr: [[l, e(l)], [f1, e(f1)]] })))).toBe('INELIGIBLE_REPLICA');
    // -1 skips the broker epoch check (requests from before KIP-903), but not the fencing check.
    expect(errorOf(t.call(l, alter(l, e(l), { leaderEpoch: current.leaderEpoch, partitionEpoch: current.partitionEpoch, isr: [[l, -1]] })))).toBe('NONE');
  });
});

describe('QuorumController: elections when the ISR has no live member', () => {
  /** Shrinks the ISR to the leader, then lets the leader's session expire. */
  function shrinkToLeaderThenFence(configs: Record<string, string>, controllerConfig = {}): { t: TestController; roles: Roles } {
    const t = activeController(controllerConfig);
    const epochs = startBrokers(t);
    const e = (id: string): number => epochs.get(id)!;
    const roles = topicOnAll(t, 't', configs);
    t.call(roles.l, alter(roles.l, e(roles.l), { leaderEpoch: 0, partitionEpoch: 0, isr: [[roles.l, e(roles.l)]] }));
    passTime(t, 10_000, without(epochs, roles.l));
    return { t, roles };
  }

  test('unclean election off (the default): the partition has no leader, and the ISR keeps its last member', () => {
    const { t, roles } = shrinkToLeaderThenFence({});
    expect(partitionOf(t.controller.committedImage, 't', 0)).toMatchObject({ leader: null, isr: [roles.l], leaderEpoch: 1 });
  });

  test('unclean election on (topic config): a live out-of-sync replica leads, alone in the ISR, RECOVERING', () => {
    const { t, roles } = shrinkToLeaderThenFence({ 'unclean.leader.election.enable': 'true' });
    expect(partitionOf(t.controller.committedImage, 't', 0)).toMatchObject({ leader: roles.f1, isr: [roles.f1], leaderEpoch: 1, leaderRecoveryState: 'RECOVERING' });
  });

  test('unclean election on as the cluster default, off for the topic: the topic wins', () => {
    const { t } = shrinkToLeaderThenFence({ 'unclean.leader.election.enable': 'false' }, { uncleanLeaderElectionEnable: true });
    expect(partitionOf(t.controller.committedImage, 't', 0)).toMatchObject({ leader: null });
  });

  test('the leader of a RECOVERING partition returns it to RECOVERED with its next ISR change', () => {
    const { t, roles } = shrinkToLeaderThenFence({ 'unclean.leader.election.enable': 'true' });
    const { f1, f2 } = roles;
    const epochOf = (id: string): number => t.controller.committedImage.brokers.get(id)!.brokerEpoch;
    const response = t.call<AlterPartitionResponse>(f1, alter(f1, epochOf(f1), { leaderEpoch: 1, partitionEpoch: 2, isr: [[f1, epochOf(f1)], [f2, epochOf(f2)]] }));
    expect(response.topics[0]!.partitions[0]!.errorCode).toBe('NONE');
    expect(partitionOf(t.controller.committedImage, 't', 0)).toMatchObject({ leader: f1, isr: [f1, f2], leaderRecoveryState: 'RECOVERED' });
  });

  test('ELR on (KIP-966): fenced ISR members go to the ELR below min ISR, and lead again once unfenced', () => {
    const t = activeController({ eligibleLeaderReplicasEnable: true });
    const epochs = startBrokers(t);
    const e = (id: string): number => epochs.get(id)!;
    const { l, f1, f2 } = topicOnAll(t, 't', { 'min.insync.replicas': '2' });
    t.call(l, alter(l, e(l), { leaderEpoch: 0, partitionEpoch: 0, isr: [[l, e(l)], [f1, e(f1)]] }));
    passTime(t, 10_000, without(epochs, l));
    expect(partitionOf(t.controller.committedImage, 't', 0)).toMatchObject({ leader: f1, isr: [f1], eligibleLeaderReplicas: [l] });
    passTime(t, 10_000, without(epochs, l, f1));
    const leaderless = partitionOf(t.controller.committedImage, 't', 0)!;
    expect(leaderless).toMatchObject({ leader: null, isr: [] });
    expect(new Set(leaderless.eligibleLeaderReplicas)).toEqual(new Set([l, f1]));
    expect(t.controller.committedImage.brokers.get(f2)!.fenced).toBe(false);
    heartbeatOk(t, f1, e(f1));
    expect(partitionOf(t.controller.committedImage, 't', 0)).toMatchObject({ leader: f1, isr: [f1], eligibleLeaderReplicas: [l] });
  });
});

describe('QuorumController: registering again (KIP-966 clean and unclean shutdowns)', () => {
  /** ELR on, min.insync.replicas=2, ISR [l, f1]; then l's session expires and it waits in the ELR. */
  function leaderFencedIntoElr() {
    const t = activeController({ eligibleLeaderReplicasEnable: true });
    const epochs = startBrokers(t);
    const e = (id: string): number => epochs.get(id)!;
    const roles = topicOnAll(t, 't', { 'min.insync.replicas': '2' });
    const { l, f1 } = roles;
    t.call(l, alter(l, e(l), { leaderEpoch: 0, partitionEpoch: 0, isr: [[l, e(l)], [f1, e(f1)]] }));
    passTime(t, 10_000, without(epochs, l));
    expect(partitionOf(t.controller.committedImage, 't', 0)).toMatchObject({ leader: f1, isr: [f1], eligibleLeaderReplicas: [l] });
    return { t, epochs, ...roles };
  }

  test('the same incarnation registering again is no restart: it keeps its place in the ELR', () => {
    const { t, epochs, l } = leaderFencedIntoElr();
    const incarnationId = t.controller.committedImage.brokers.get(l)!.incarnationId;
    const again = t.call<BrokerRegistrationResponse>(l, registration(l, -1, incarnationId));
    expect(again.brokerEpoch).toBeGreaterThan(epochs.get(l)!);
    expect(t.controller.committedImage.brokers.get(l)).toMatchObject({ brokerEpoch: again.brokerEpoch, incarnationId, fenced: true });
    expect(partitionOf(t.controller.committedImage, 't', 0)!.eligibleLeaderReplicas).toEqual([l]);
  });

  test('a new incarnation without the previous broker epoch is an unclean restart: it leaves the ELR', () => {
    const { t, l } = leaderFencedIntoElr();
    t.call<BrokerRegistrationResponse>(l, registration(l, -1));
    expect(partitionOf(t.controller.committedImage, 't', 0)!.eligibleLeaderReplicas).toEqual([]);
  });

  test('a new incarnation naming the broker epoch the controller holds is a clean restart: it stays in the ELR', () => {
    const { t, epochs, l } = leaderFencedIntoElr();
    t.call<BrokerRegistrationResponse>(l, registration(l, epochs.get(l)!));
    expect(partitionOf(t.controller.committedImage, 't', 0)!.eligibleLeaderReplicas).toEqual([l]);
  });
});

describe('QuorumController: producer ids and leadership', () => {
  test('AllocateProducerIds hands out consecutive blocks of 1000, and checks the broker epoch', () => {
    const t = activeController();
    const epochs = startBrokers(t, ['b1']);
    const request = (epoch: number) => ({ api: 'AllocateProducerIds' as const, correlationId: 5, brokerId: 'b1', brokerEpoch: epoch });
    expect(t.call<AllocateProducerIdsResponse>('b1', request(epochs.get('b1')!))).toMatchObject({ errorCode: 'NONE', producerIdStart: 0, producerIdLen: 1000 });
    expect(t.call<AllocateProducerIdsResponse>('b1', request(epochs.get('b1')!))).toMatchObject({ errorCode: 'NONE', producerIdStart: 1000, producerIdLen: 1000 });
    expect(t.call<AllocateProducerIdsResponse>('b1', request(0)).errorCode).toBe('STALE_BROKER_EPOCH');
    expect(t.controller.committedImage.nextProducerId).toBe(2000);
  });

  test('two requests in flight decide on the pending image: the second create of a topic fails', () => {
    const t = activeController();
    startBrokers(t);
    t.request('admin', createTopic('x', 1, 1));
    t.request('admin', createTopic('x', 1, 1));
    t.raft.commitAll();
    const codes = t.takeSent().map((sent) => (sent.message as CreateTopicsResponse).topics[0]!.errorCode);
    expect(codes).toEqual(['NONE', 'TOPIC_ALREADY_EXISTS']);
  });

  test('a controller that loses leadership answers what waits, and then everything, with NOT_CONTROLLER', () => {
    const t = activeController();
    startBrokers(t, ['b1']);
    t.request('b2', registration('b2'));
    expect(t.pendingTimerCount()).toBeGreaterThan(0);
    t.raft.loseLeadership();
    t.controller.handleLeaderChange('c2', 2);
    expect(t.takeSent().map((sent) => sent.message)).toEqual([expect.objectContaining({ api: 'BrokerRegistrationResponse', errorCode: 'NOT_CONTROLLER' })]);
    expect(t.traces()).toContainEqual({ type: 'controller.inactive' });
    expect(t.controller.isActive).toBe(false);
    expect(t.controller.committedImage.brokers.has('b2')).toBe(false);
    t.request('admin', createTopic('t', 1, 1));
    expect(t.takeSent().map((sent) => sent.message)).toEqual([expect.objectContaining({ api: 'CreateTopicsResponse', topics: [expect.objectContaining({ errorCode: 'NOT_CONTROLLER' })] })]);
    expect(t.pendingTimerCount()).toBe(0);
  });

  test('a proposal refused by raft (leadership already gone) steps the controller down', () => {
    const t = activeController();
    t.raft.leader = false;
    t.request('b1', registration('b1'));
    expect(t.takeSent().map((sent) => sent.message)).toEqual([expect.objectContaining({ errorCode: 'NOT_CONTROLLER' })]);
    expect(t.controller.isActive).toBe(false);
  });
});
