/**
 * KIP-848's consumer protocol (ConsumerMembershipManager) against the testbed's scripted
 * coordinator: joining with epoch 0, reconciliation (revoke, commit, ack, then assign), revocation
 * before reassignment across two members, fencing, the poll timeout (leave with epoch -1, or -2 for
 * a static member, then rejoin), commits retried on STALE_MEMBER_EPOCH, and leaving on close.
 */
import { describe, expect, test } from 'vitest';
import type { ConsumerMembershipManager } from '../../src/client/consumerMembershipManager.js';
import type { ConsumerTestbed, TestConsumerNode } from './consumerTestbed.js';
import { TOPIC, TOPIC_ID, startConsumers } from './consumerTestbed.js';

const CONSUMER = { 'group.id': 'g', 'group.protocol': 'consumer', 'auto.offset.reset': 'earliest' };

function keepPolling(bed: ConsumerTestbed, node: TestConsumerNode, timeoutMs = 100): void {
  // A poll that throws returns at once: the application waits a little before it polls again.
  const loop = () => node.consumer.poll(timeoutMs, (result) => {
    node.polls.push({ atMs: node.host.nowMs(), result });
    node.host.setTimer(result.ok ? 0 : timeoutMs, 'test.poll');
  });
  const original = node.onTimer.bind(node);
  node.onTimer = (tag, id) => (tag === 'test.poll' ? loop() : original(tag, id));
  loop();
  bed.runFor(0);
}

const partitionsOf = (node: TestConsumerNode) => node.consumer.assignment().map((p) => `${p.topic}-${p.partition}`);
const stateOf = (node: TestConsumerNode) => node.consumer.groupMetadata()!.state;
const epochOf = (node: TestConsumerNode) => node.consumer.groupMetadata()!.generationId;

describe('ConsumerMembershipManager: joining and reconciling', () => {
  test('joins with epoch 0 and every field, reconciles, and acknowledges with the partitions it owns', () => {
    const bed = startConsumers({ partitions: 2 }, CONSUMER);
    const node = bed.node('c1');
    node.consumer.subscribe([TOPIC], node.listener);
    keepPolling(bed, node);
    bed.runFor(200);
    const heartbeats = bed.requestsOf('ConsumerGroupHeartbeat');
    expect(heartbeats[0]).toMatchObject({ memberEpoch: 0, subscribedTopicNames: [TOPIC], rebalanceTimeoutMs: 300_000, topicPartitions: [], instanceId: null });
    expect(heartbeats[0]!.memberId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    // The acknowledgement: the member's epoch, and its owned partitions by topic id.
    expect(heartbeats[1]).toMatchObject({ memberEpoch: 1, subscribedTopicNames: null, topicPartitions: [{ topicId: TOPIC_ID, partitions: [0, 1] }] });
    expect(stateOf(node)).toBe('STABLE');
    expect(epochOf(node)).toBe(1);
    expect(partitionsOf(node)).toEqual(['t-0', 't-1']);
    expect(node.events).toEqual([{ atMs: expect.any(Number), kind: 'assigned', partitions: ['t-0', 't-1'] }]);
    const states = bed.tracesOf('consumer.member-state', 'c1').map((event) => event['state']);
    expect(states).toEqual(['JOINING', 'RECONCILING', 'ACKNOWLEDGING', 'STABLE']);
  });

  test('revoke before reassign: a partition reaches the second member only after the first acknowledged its revocation', () => {
    const bed = startConsumers({ partitions: 2, consumers: ['c1', 'c2'] }, CONSUMER);
    const [c1, c2] = [bed.node('c1'), bed.node('c2')];
    c1.consumer.subscribe([TOPIC], c1.listener);
    keepPolling(bed, c1);
    bed.runFor(200);
    c2.consumer.subscribe([TOPIC], c2.listener);
    keepPolling(bed, c2);
    for (let step = 0; step < 300; step++) {
      bed.runFor(10);
      expect(partitionsOf(c1).filter((partition) => partitionsOf(c2).includes(partition))).toEqual([]);
    }
    expect(partitionsOf(c1)).toHaveLength(1);
    expect(partitionsOf(c2)).toHaveLength(1);
    const moved = partitionsOf(c2);
    expect(c1.events.map((event) => [event.kind, event.partitions])).toEqual([
      ['assigned', ['t-0', 't-1']],
      ['revoked', moved],
      ['assigned', []],
    ]);
    expect(stateOf(c1)).toBe('STABLE');
    expect(stateOf(c2)).toBe('STABLE');
  });

  test('after a failed heartbeat the next one carries every field again (resetHeartbeatState), so a join is never INVALID_REQUEST', () => {
    const bed = startConsumers({ partitions: 1 }, CONSUMER);
    const node = bed.node('c1');
    bed.injectedErrors.set('ConsumerGroupHeartbeat', ['COORDINATOR_NOT_AVAILABLE']);
    node.consumer.subscribe([TOPIC], node.listener);
    keepPolling(bed, node);
    bed.runFor(500);
    const heartbeats = bed.requestsOf('ConsumerGroupHeartbeat');
    expect(heartbeats.length).toBeGreaterThan(1);
    expect(heartbeats[1]).toMatchObject({ memberEpoch: 0, subscribedTopicNames: [TOPIC], rebalanceTimeoutMs: 300_000 });
    // In the group too: after NOT_COORDINATOR the coordinator may have lost the last one.
    bed.injectedErrors.set('ConsumerGroupHeartbeat', ['NOT_COORDINATOR']);
    const sentBefore = bed.requestsOf('ConsumerGroupHeartbeat').length;
    bed.runFor(10_000);
    const after = bed.requestsOf('ConsumerGroupHeartbeat').slice(sentBefore);
    expect(after[1]).toMatchObject({ subscribedTopicNames: [TOPIC], rebalanceTimeoutMs: 300_000 });
    expect(stateOf(node)).toBe('STABLE');
  });

  test('FENCED_MEMBER_EPOCH: the partitions are lost at the next poll and the member rejoins with epoch 0', () => {
    const bed = startConsumers({ partitions: 1 }, CONSUMER);
    const node = bed.node('c1');
    node.consumer.subscribe([TOPIC], node.listener);
    keepPolling(bed, node);
    bed.runFor(200);
    bed.injectedErrors.set('ConsumerGroupHeartbeat', ['FENCED_MEMBER_EPOCH']);
    bed.runFor(2_000);
    expect(node.events.map((event) => [event.kind, event.partitions])).toEqual([
      ['assigned', ['t-0']],
      ['lost', ['t-0']],
      ['assigned', ['t-0']],
    ]);
    const epochs = bed.requestsOf('ConsumerGroupHeartbeat').map((request) => request.memberEpoch);
    expect(epochs).toContain(0);
    expect(epochs.lastIndexOf(0)).toBeGreaterThan(1);
  });
});

describe('ConsumerMembershipManager: the group gone from its coordinator', () => {
  test('GROUP_ID_NOT_FOUND on a heartbeat is fatal, as in the Java client: poll throws it and the member never heartbeats again', () => {
    const bed = startConsumers({ partitions: 1 }, CONSUMER);
    const node = bed.node('c1');
    node.consumer.subscribe([TOPIC], node.listener);
    keepPolling(bed, node);
    bed.runFor(200);
    bed.injectedErrors.set('ConsumerGroupHeartbeat', ['GROUP_ID_NOT_FOUND']);
    bed.runFor(3_000);
    expect(stateOf(node)).toBe('FATAL');
    const failed = node.polls.filter((poll) => !poll.result.ok).map((poll) => (poll.result.ok ? null : poll.result.exception));
    expect(failed[0]).toEqual({ kind: 'KafkaException', error: 'GROUP_ID_NOT_FOUND' });
    const sent = bed.requestsOf('ConsumerGroupHeartbeat').length;
    bed.runFor(10_000);
    expect(bed.requestsOf('ConsumerGroupHeartbeat')).toHaveLength(sent);
  });

  test('GROUP_ID_NOT_FOUND answering the leave heartbeat of a closed consumer is ignored', () => {
    const bed = startConsumers({ partitions: 1 }, CONSUMER);
    const node = bed.node('c1');
    node.consumer.subscribe([TOPIC], node.listener);
    node.poll(300);
    bed.runFor(400);
    bed.injectedErrors.set('ConsumerGroupHeartbeat', ['GROUP_ID_NOT_FOUND']);
    let closed = false;
    node.consumer.close(() => { closed = true; });
    bed.runFor(1_000);
    expect(bed.requestsOf('ConsumerGroupHeartbeat').at(-1)).toMatchObject({ memberEpoch: -1 });
    expect(closed).toBe(true);
    expect(stateOf(node)).toBe('UNSUBSCRIBED');
  });
});

describe('ConsumerMembershipManager: leaving', () => {
  test('the poll timeout sends a leave heartbeat (epoch -1); the member goes stale, loses its partitions, and rejoins when it polls', () => {
    const bed = startConsumers({ partitions: 1 }, { ...CONSUMER, 'max.poll.interval.ms': 2_000 });
    const node = bed.node('c1');
    node.consumer.subscribe([TOPIC], node.listener);
    node.poll(300);
    bed.runFor(400);
    bed.runFor(2_500);
    expect(bed.requestsOf('ConsumerGroupHeartbeat').some((request) => request.memberEpoch === -1)).toBe(true);
    expect(stateOf(node)).toBe('STALE');
    node.poll(500);
    bed.runFor(600);
    expect(node.events.map((event) => event.kind)).toEqual(['assigned', 'lost', 'assigned']);
    expect(stateOf(node)).toBe('STABLE');
  });

  test('a static member leaves with epoch -2, keeping its place for its return', () => {
    const bed = startConsumers({ partitions: 1 }, { ...CONSUMER, 'group.instance.id': 'i1' });
    const node = bed.node('c1');
    node.consumer.subscribe([TOPIC], node.listener);
    node.poll(300);
    bed.runFor(400);
    node.consumer.close(() => {});
    bed.runFor(50);
    const last = bed.requestsOf('ConsumerGroupHeartbeat').at(-1)!;
    expect(last).toMatchObject({ memberEpoch: -2, instanceId: 'i1' });
    expect(node.events.map((event) => event.kind)).toEqual(['assigned', 'revoked']);
  });

  test('close commits, revokes, and sends the leave heartbeat (epoch -1)', () => {
    const bed = startConsumers({ partitions: 1 }, CONSUMER);
    bed.append(0, 'a');
    const node = bed.node('c1');
    node.consumer.subscribe([TOPIC], node.listener);
    node.poll(300);
    bed.runFor(400);
    node.consumer.close(() => {});
    bed.runFor(50);
    expect(bed.committed.get('g')!.get(0)?.offset).toBe(1);
    expect(bed.requestsOf('OffsetCommit').at(-1)).toMatchObject({ generationIdOrMemberEpoch: 1 });
    expect(bed.requestsOf('ConsumerGroupHeartbeat').at(-1)).toMatchObject({ memberEpoch: -1 });
  });
});

describe('ConsumerMembershipManager: commits', () => {
  test('a sync commit refused with STALE_MEMBER_EPOCH is retried with the member\'s new epoch', () => {
    const bed = startConsumers({ partitions: 1 }, { ...CONSUMER, 'enable.auto.commit': false });
    bed.append(0, 'a');
    const node = bed.node('c1');
    node.consumer.subscribe([TOPIC], node.listener);
    node.poll(300);
    bed.runFor(400);
    const manager = (node.consumer as unknown as { group: ConsumerMembershipManager }).group;
    const epoch = manager.currentMemberEpoch;
    // The coordinator moved the member to a new epoch that the commit does not carry yet.
    bed.bumpMemberEpoch('g', manager.memberId);
    const results: unknown[] = [];
    node.consumer.commitSync(null, (result) => results.push(result));
    bed.runFor(5);
    // The next heartbeat brings the new epoch; the retry carries it.
    bed.runFor(2_000);
    expect(results).toEqual([{ ok: true }]);
    const commits = bed.requestsOf('OffsetCommit');
    expect(commits[0]!.generationIdOrMemberEpoch).toBe(epoch);
    expect(commits.at(-1)!.generationIdOrMemberEpoch).toBe(manager.currentMemberEpoch);
    expect(manager.currentMemberEpoch).toBeGreaterThan(epoch);
  });
});
