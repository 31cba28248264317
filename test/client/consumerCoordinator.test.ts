/**
 * The classic group protocol (ConsumerCoordinator over AbstractCoordinator) against the testbed's
 * scripted coordinator: joining with MEMBER_ID_REQUIRED, eager and cooperative rebalances and the
 * listener's callbacks at the right moments, fencing (ILLEGAL_GENERATION, FENCED_INSTANCE_ID),
 * max.poll.interval.ms, static membership, and offsets (auto-commit on poll, before a revocation and
 * on close; commitSync's retries; commitAsync's callbacks; committed offsets on assignment).
 */
import { describe, expect, test } from 'vitest';
import type { ConsumerTestbed, TestConsumerNode } from './consumerTestbed.js';
import { TOPIC, startConsumers } from './consumerTestbed.js';

/** Fast group timings for tests; everything else at Kafka's defaults. */
const FAST = { 'group.id': 'g', 'auto.offset.reset': 'earliest', 'session.timeout.ms': 1_000, 'heartbeat.interval.ms': 100 };

/** A poll loop: each time a poll completes, the next one starts (with no processing time). */
function keepPolling(bed: ConsumerTestbed, node: TestConsumerNode, timeoutMs = 100): void {
  const loop = () => node.consumer.poll(timeoutMs, (result) => {
    node.polls.push({ atMs: node.host.nowMs(), result });
    node.host.setTimer(0, 'test.poll');
  });
  const original = node.onTimer.bind(node);
  node.onTimer = (tag, id) => (tag === 'test.poll' ? loop() : original(tag, id));
  loop();
  bed.runFor(0);
}

function generationOf(node: TestConsumerNode): number {
  return node.consumer.groupMetadata()!.generationId;
}

const partitionsOf = (node: TestConsumerNode) => node.consumer.assignment().map((p) => `${p.topic}-${p.partition}`);

describe('ConsumerCoordinator: joining', () => {
  test('a first JoinGroup gets MEMBER_ID_REQUIRED and a member id, joins again with it, then syncs (KIP-394)', () => {
    const bed = startConsumers({ partitions: 2 }, FAST);
    const node = bed.node('c1');
    node.consumer.subscribe([TOPIC], node.listener);
    keepPolling(bed, node);
    bed.runFor(300);
    const joins = bed.requestsOf('JoinGroup');
    expect(joins.map((join) => join.memberId)).toEqual(['', 'c1-m1']);
    expect(joins[1]).toMatchObject({ sessionTimeoutMs: 1_000, rebalanceTimeoutMs: 300_000, protocolType: 'consumer', groupInstanceId: null });
    expect(joins[1]!.protocols.map((protocol) => protocol.name)).toEqual(['range', 'cooperative-sticky']);
    expect(generationOf(node)).toBe(1);
    expect(partitionsOf(node)).toEqual(['t-0', 't-1']);
    expect(node.events).toEqual([{ atMs: expect.any(Number), kind: 'assigned', partitions: ['t-0', 't-1'] }]);
    // Heartbeats every heartbeat.interval.ms once stable.
    expect(bed.requestsOf('Heartbeat').length).toBeGreaterThanOrEqual(2);
  });

  test('FENCED_INSTANCE_ID on JoinGroup is fatal: poll raises it', () => {
    const bed = startConsumers({ partitions: 1 }, { ...FAST, 'group.instance.id': 'i1' });
    bed.injectedErrors.set('JoinGroup', ['FENCED_INSTANCE_ID']);
    const node = bed.node('c1');
    node.consumer.subscribe([TOPIC], node.listener);
    node.poll(1_000);
    bed.runFor(100);
    expect(node.lastPoll()).toEqual({ ok: false, exception: { kind: 'FencedInstanceId' } });
  });
});

describe('ConsumerCoordinator: rebalances', () => {
  test('eager (the default [range, cooperative-sticky]): every partition revoked before the rejoin, then the new split', () => {
    const bed = startConsumers({ partitions: 2, consumers: ['c1', 'c2'] }, FAST);
    const [c1, c2] = [bed.node('c1'), bed.node('c2')];
    c1.consumer.subscribe([TOPIC], c1.listener);
    keepPolling(bed, c1);
    bed.runFor(300);
    c2.consumer.subscribe([TOPIC], c2.listener);
    keepPolling(bed, c2);
    bed.runFor(1_000);
    expect(c1.events.map((event) => [event.kind, event.partitions])).toEqual([
      ['assigned', ['t-0', 't-1']],
      ['revoked', ['t-0', 't-1']],
      ['assigned', [partitionsOf(c1)[0]]],
    ]);
    expect([...partitionsOf(c1), ...partitionsOf(c2)].sort()).toEqual(['t-0', 't-1']);
    expect(generationOf(c1)).toBe(2);
    expect(generationOf(c2)).toBe(2);
  });

  test('cooperative (cooperative-sticky alone): only the moving partition is revoked, and a second rebalance hands it over', () => {
    const config = { ...FAST, 'partition.assignment.strategy': 'CooperativeStickyAssignor' };
    const bed = startConsumers({ partitions: 2, consumers: ['c1', 'c2'] }, config);
    const [c1, c2] = [bed.node('c1'), bed.node('c2')];
    c1.consumer.subscribe([TOPIC], c1.listener);
    keepPolling(bed, c1);
    bed.runFor(300);
    c2.consumer.subscribe([TOPIC], c2.listener);
    keepPolling(bed, c2);
    // At no moment do the two consumers both hold a partition.
    for (let step = 0; step < 100; step++) {
      bed.runFor(10);
      const both = partitionsOf(c1).filter((partition) => partitionsOf(c2).includes(partition));
      expect(both).toEqual([]);
    }
    const moved = partitionsOf(c2);
    expect(moved).toHaveLength(1);
    // onPartitionsAssigned runs after every rebalance under the cooperative protocol, even with nothing added.
    expect(c1.events.map((event) => [event.kind, event.partitions])).toEqual([
      ['assigned', ['t-0', 't-1']],
      ['revoked', moved],
      ['assigned', []],
      ['assigned', []],
    ]);
    expect(c2.events.map((event) => [event.kind, event.partitions])).toEqual([
      ['assigned', []],
      ['assigned', moved],
    ]);
    expect(generationOf(c1)).toBe(3);
    const joins = bed.requestsOf('JoinGroup', 'c1');
    // The rejoin after the revocation reports what c1 still owns, with its generation.
    expect(joins[joins.length - 1]!.protocols[0]!.metadata).toMatchObject({ ownedPartitions: [{ topic: TOPIC, partitions: partitionsOf(c1).map((p) => Number(p.slice(2))) }], generationId: 2 });
  });

  test('ILLEGAL_GENERATION on a heartbeat resets the member: its partitions are lost at the next poll, and it rejoins', () => {
    const bed = startConsumers({ partitions: 1 }, FAST);
    const node = bed.node('c1');
    node.consumer.subscribe([TOPIC], node.listener);
    keepPolling(bed, node);
    bed.runFor(300);
    bed.injectedErrors.set('Heartbeat', ['ILLEGAL_GENERATION']);
    // The coordinator still counts the old member until its session (1 s) runs out.
    bed.runFor(2_000);
    expect(node.events.map((event) => [event.kind, event.partitions])).toEqual([
      ['assigned', ['t-0']],
      ['lost', ['t-0']],
      ['assigned', ['t-0']],
    ]);
    expect(bed.tracesOf('consumer.fenced', 'c1')).toMatchObject([{ error: 'ILLEGAL_GENERATION', generationId: 1 }]);
  });

  test('max.poll.interval.ms without a poll: a dynamic member sends LeaveGroup, and loses its partitions when it polls again', () => {
    const bed = startConsumers({ partitions: 1 }, { ...FAST, 'max.poll.interval.ms': 2_000 });
    const node = bed.node('c1');
    node.consumer.subscribe([TOPIC], node.listener);
    node.poll(200);
    bed.runFor(300);
    expect(partitionsOf(node)).toEqual(['t-0']);
    bed.runFor(2_500);
    expect(bed.requestsOf('LeaveGroup')).toMatchObject([{ groupId: 'g', members: [{ memberId: 'c1-m1', groupInstanceId: null, reason: 'consumer poll timeout has expired' }] }]);
    node.poll(500);
    bed.runFor(500);
    expect(node.events.map((event) => event.kind)).toEqual(['assigned', 'lost', 'assigned']);
  });

  test('a static member (group.instance.id) never sends LeaveGroup, not on the poll timeout nor on close (KIP-345)', () => {
    const bed = startConsumers({ partitions: 1 }, { ...FAST, 'group.instance.id': 'instance-1', 'max.poll.interval.ms': 2_000 });
    const node = bed.node('c1');
    node.consumer.subscribe([TOPIC], node.listener);
    node.poll(200);
    bed.runFor(2_500);
    node.poll(500);
    bed.runFor(500);
    node.consumer.close(() => {});
    bed.runFor(100);
    expect(bed.requestsOf('LeaveGroup')).toEqual([]);
    expect(bed.requestsOf('JoinGroup')[0]!.groupInstanceId).toBe('instance-1');
  });
});

describe('ConsumerCoordinator: offsets', () => {
  test('auto-commit: the consumed positions, from poll every auto.commit.interval.ms, and before a revocation', () => {
    const bed = startConsumers({ partitions: 1 }, { ...FAST, 'auto.commit.interval.ms': 1_000 });
    const node = bed.node('c1');
    bed.append(0, 'a', 'b');
    node.consumer.subscribe([TOPIC], node.listener);
    keepPolling(bed, node);
    bed.runFor(500);
    expect(bed.requestsOf('OffsetCommit')).toEqual([]);
    bed.runFor(1_000);
    const commits = bed.requestsOf('OffsetCommit');
    expect(commits.length).toBeGreaterThanOrEqual(1);
    expect(commits[0]).toMatchObject({ generationIdOrMemberEpoch: 1, memberId: 'c1-m1', topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, committedOffset: 2, committedLeaderEpoch: 0 }] }] });
    bed.append(0, 'c');
    bed.runFor(100);
    const before = bed.requestsOf('OffsetCommit').length;
    bed.triggerRebalance('g');
    bed.runFor(400);
    const revocationCommit = bed.requestsOf('OffsetCommit')[before];
    expect(revocationCommit?.topics[0]!.partitions[0]!.committedOffset).toBe(3);
    const revokedAt = node.events.find((event) => event.kind === 'revoked')!.atMs;
    const commitAt = bed.requests.filter((entry) => entry.request.api === 'OffsetCommit')[before]!.atMs;
    expect(commitAt).toBeLessThan(revokedAt);
  });

  test('commitSync retries retriable errors (COORDINATOR_LOAD_IN_PROGRESS, NOT_COORDINATOR) until it lands', () => {
    const bed = startConsumers({ partitions: 1 }, { ...FAST, 'enable.auto.commit': false });
    const node = bed.node('c1');
    bed.append(0, 'a');
    node.consumer.subscribe([TOPIC], node.listener);
    node.poll(1_000);
    bed.runFor(300);
    bed.injectedErrors.set('OffsetCommit', ['COORDINATOR_LOAD_IN_PROGRESS', 'NOT_COORDINATOR']);
    const results: unknown[] = [];
    node.consumer.commitSync(null, (result) => results.push(result));
    bed.runFor(1_000);
    expect(results).toEqual([{ ok: true }]);
    expect(bed.requestsOf('OffsetCommit')).toHaveLength(3);
    expect(bed.committed.get('g')!.get(0)).toEqual({ offset: 1, leaderEpoch: 0 });
  });

  test('a commit refused with ILLEGAL_GENERATION fails with CommitFailed and resets the generation', () => {
    const bed = startConsumers({ partitions: 1 }, { ...FAST, 'enable.auto.commit': false });
    const node = bed.node('c1');
    bed.append(0, 'a');
    node.consumer.subscribe([TOPIC], node.listener);
    node.poll(1_000);
    bed.runFor(300);
    bed.injectedErrors.set('OffsetCommit', ['ILLEGAL_GENERATION']);
    const results: unknown[] = [];
    node.consumer.commitSync(null, (result) => results.push(result));
    bed.runFor(100);
    expect(results).toEqual([{ ok: false, exception: { kind: 'CommitFailed', error: 'ILLEGAL_GENERATION' } }]);
    expect(generationOf(node)).toBe(-1);
  });

  test("commitAsync's callback runs inside the application's next poll, not before", () => {
    const bed = startConsumers({ partitions: 1 }, { ...FAST, 'enable.auto.commit': false });
    const node = bed.node('c1');
    bed.append(0, 'a');
    node.consumer.subscribe([TOPIC], node.listener);
    node.poll(1_000);
    bed.runFor(300);
    const calls: number[] = [];
    node.consumer.commitAsync(null, () => calls.push(bed.nowMs));
    bed.runFor(500);
    expect(calls).toEqual([]);
    expect(bed.committed.get('g')!.get(0)?.offset).toBe(1);
    node.poll(10);
    bed.runFor(0);
    expect(calls).toEqual([800]);
  });

  test('a newly assigned partition starts at its committed offset (OffsetFetch), validated with the committed epoch', () => {
    const bed = startConsumers({ partitions: 1 }, FAST);
    bed.committed.set('g', new Map([[0, { offset: 2, leaderEpoch: 0 }]]));
    bed.append(0, 'a', 'b', 'c');
    const node = bed.node('c1');
    node.consumer.subscribe([TOPIC], node.listener);
    node.poll(1_000);
    bed.runFor(300);
    expect(node.values()).toEqual(['c']);
    expect(bed.requestsOf('OffsetFetch')[0]!.groups[0]).toMatchObject({ groupId: 'g', topics: [{ name: TOPIC, partitionIndexes: [0] }] });
    expect(bed.requestsOf('OffsetsForLeaderEpoch')).toHaveLength(1);
    expect(bed.requestsOf('ListOffsets')).toHaveLength(0);
  });

  test('close commits (auto-commit), revokes, and leaves', () => {
    const bed = startConsumers({ partitions: 1 }, FAST);
    const node = bed.node('c1');
    bed.append(0, 'a');
    node.consumer.subscribe([TOPIC], node.listener);
    node.poll(1_000);
    bed.runFor(300);
    let closedAt = -1;
    node.consumer.close(() => {
      closedAt = bed.nowMs;
    });
    bed.runFor(100);
    expect(closedAt).toBeGreaterThan(0);
    expect(bed.committed.get('g')!.get(0)?.offset).toBe(1);
    expect(node.events.map((event) => event.kind)).toEqual(['assigned', 'revoked']);
    expect(bed.requestsOf('LeaveGroup')).toHaveLength(1);
  });
});
