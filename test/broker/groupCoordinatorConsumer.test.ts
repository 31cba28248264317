/**
 * The consumer protocol's rules (KIP-848), one test each: the reconciliation engine and its
 * revoke-before-assign rule (pure, and enforced by the group's partition epochs), the server-side
 * assignors, epoch fencing, timeouts, static members, the protocol switch, and what a loaded
 * coordinator restores.
 */
import { describe, expect, test } from 'vitest';
import { parseBrokerConfig } from '../../src/broker/config.js';
import { ASSIGNORS, type AssignmentMemberSpec } from '../../src/broker/groupCoordinatorAssignors.js';
import { ConsumerGroup, type ConsumerGroupMember, newMember } from '../../src/broker/groupCoordinatorConsumerGroup.js';
import { reconcile } from '../../src/broker/groupCoordinatorReconciliation.js';
import { GroupCoordinatorDriver } from './groupCoordinatorDriver.js';

const T = 'orders-id';
const tp = (...partitions: number[]) => (partitions.length === 0 ? [] : [{ topicId: T, partitions }]);

function member(overrides: Partial<ConsumerGroupMember>): ConsumerGroupMember {
  return { ...newMember('m1'), subscribedTopicNames: ['orders'], ...overrides };
}

describe('reconciliation (CurrentAssignmentBuilder)', () => {
  const free = () => -1;

  test('a STABLE member behind the target keeps what it may, and is asked to revoke the rest first', () => {
    const next = reconcile(member({ memberEpoch: 1, assignedPartitions: tp(0, 1, 2, 3) }), { targetAssignmentEpoch: 2, targetAssignment: tp(0, 1), currentPartitionEpoch: free, ownedTopicPartitions: tp(0, 1, 2, 3) });
    expect(next).toMatchObject({ state: 'UNREVOKED_PARTITIONS', memberEpoch: 1, assignedPartitions: tp(0, 1), partitionsPendingRevocation: tp(2, 3) });
  });

  test('revocation comes before assignment: nothing new while anything is pending revocation', () => {
    const next = reconcile(member({ memberEpoch: 1, assignedPartitions: tp(0, 1) }), { targetAssignmentEpoch: 2, targetAssignment: tp(1, 2), currentPartitionEpoch: free, ownedTopicPartitions: tp(0, 1) });
    expect(next).toMatchObject({ state: 'UNREVOKED_PARTITIONS', memberEpoch: 1, assignedPartitions: tp(1), partitionsPendingRevocation: tp(0) });
  });

  test('a member that no longer reports the revoked partitions moves to the target epoch', () => {
    const revoking = member({ state: 'UNREVOKED_PARTITIONS', memberEpoch: 1, assignedPartitions: tp(1), partitionsPendingRevocation: tp(0) });
    expect(reconcile(revoking, { targetAssignmentEpoch: 2, targetAssignment: tp(1, 2), currentPartitionEpoch: free, ownedTopicPartitions: tp(0, 1) })).toBe(revoking);
    expect(reconcile(revoking, { targetAssignmentEpoch: 2, targetAssignment: tp(1, 2), currentPartitionEpoch: free, ownedTopicPartitions: null })).toBe(revoking);
    expect(reconcile(revoking, { targetAssignmentEpoch: 2, targetAssignment: tp(1, 2), currentPartitionEpoch: free, ownedTopicPartitions: tp(1) })).toMatchObject({
      state: 'STABLE',
      memberEpoch: 2,
      previousMemberEpoch: 1,
      assignedPartitions: tp(1, 2),
      partitionsPendingRevocation: [],
    });
  });

  test('a partition another member still owns is withheld (UNRELEASED_PARTITIONS) until it is free', () => {
    const ownedElsewhere = (_topicId: string, partition: number) => (partition === 3 ? 1 : -1);
    const joining = member({ memberEpoch: 0 });
    const next = reconcile(joining, { targetAssignmentEpoch: 2, targetAssignment: tp(2, 3), currentPartitionEpoch: ownedElsewhere, ownedTopicPartitions: [] });
    expect(next).toMatchObject({ state: 'UNRELEASED_PARTITIONS', memberEpoch: 2, assignedPartitions: tp(2) });
    expect(reconcile(next, { targetAssignmentEpoch: 2, targetAssignment: tp(2, 3), currentPartitionEpoch: free, ownedTopicPartitions: tp(2) })).toMatchObject({ state: 'STABLE', memberEpoch: 2, assignedPartitions: tp(2, 3) });
  });
});

describe('revoke before assign is an invariant of the group', () => {
  test('giving a partition still owned (assigned or pending revocation) to another member throws', () => {
    const group = new ConsumerGroup('g', () => {});
    group.updateMember({ ...newMember('m1'), memberEpoch: 1, assignedPartitions: tp(0), partitionsPendingRevocation: tp(1) });
    expect(() => group.updateMember({ ...newMember('m2'), memberEpoch: 2, assignedPartitions: tp(1) })).toThrow(/still owned at epoch 1/);
    expect(() => group.updateMember({ ...newMember('m3'), memberEpoch: 2, assignedPartitions: tp(0) })).toThrow(/still owned at epoch 1/);
    // Once m1 has revoked partition 1, it is free.
    group.updateMember({ ...newMember('m1'), memberEpoch: 1, assignedPartitions: tp(0) });
    expect(group.currentPartitionEpoch(T, 1)).toBe(-1);
    group.updateMember({ ...newMember('m2'), memberEpoch: 2, assignedPartitions: tp(1) });
    expect(group.currentPartitionEpoch(T, 1)).toBe(2);
  });
});

describe('server-side assignors', () => {
  const specs = (ids: string[], current: Record<string, number[]> = {}): AssignmentMemberSpec[] => ids.map((memberId) => ({ memberId, subscribedTopicIds: [T], currentTarget: tp(...(current[memberId] ?? [])) }));
  const counts = (result: ReadonlyMap<string, readonly { partitions: readonly number[] }[]>) => [...result.values()].map((assignment) => assignment.flatMap((entry) => entry.partitions).length);

  test('uniform balances to within one partition and covers every partition once', () => {
    const result = ASSIGNORS.uniform(specs(['a', 'b', 'c']), new Map([[T, 7]]));
    expect(counts(result).sort((x, y) => x - y)).toEqual([2, 2, 3]);
    const all = [...result.values()].flatMap((assignment) => assignment.flatMap((entry) => entry.partitions)).sort((x, y) => x - y);
    expect(all).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  test('uniform is sticky: a joining member takes partitions from the others, who keep the rest', () => {
    const result = ASSIGNORS.uniform(specs(['a', 'b', 'c'], { a: [0, 1, 2], b: [3, 4, 5] }), new Map([[T, 6]]));
    const a = result.get('a')![0]!.partitions;
    const b = result.get('b')![0]!.partitions;
    expect(a.every((partition) => [0, 1, 2].includes(partition))).toBe(true);
    expect(b.every((partition) => [3, 4, 5].includes(partition))).toBe(true);
    expect(counts(result)).toEqual([2, 2, 2]);
  });

  test('uniform gives a partition only to a member subscribed to its topic', () => {
    const other = 'payments-id';
    const result = ASSIGNORS.uniform(
      [
        { memberId: 'a', subscribedTopicIds: [T], currentTarget: [] },
        { memberId: 'b', subscribedTopicIds: [T, other], currentTarget: [] },
      ],
      new Map([
        [T, 2],
        [other, 2],
      ]),
    );
    expect(result.get('a')!.some((entry) => entry.topicId === other)).toBe(false);
    expect(counts(result)).toEqual([2, 2]);
  });

  test('range gives contiguous ranges in member-id order, the first taking the extra one', () => {
    const result = ASSIGNORS.range(specs(['b', 'a']), new Map([[T, 5]]));
    expect(result.get('a')).toEqual(tp(0, 1, 2));
    expect(result.get('b')).toEqual(tp(3, 4));
  });
});

describe('ConsumerGroupHeartbeat', () => {
  function loaded(config: ConstructorParameters<typeof GroupCoordinatorDriver>[1] = {}): GroupCoordinatorDriver {
    const driver = new GroupCoordinatorDriver(['b1'], config);
    driver.run('lead epoch=1');
    return driver;
  }

  test('a member stuck revoking past its rebalance timeout is fenced, and its partitions go to the others', () => {
    const driver = loaded();
    driver.run('cgh c1 rebalance=20000');
    driver.run('cgh c2');
    expect(driver.run('cgh c1 owned=0,1,2,3')).toEqual(['c1 ← ConsumerGroupHeartbeat NONE member m1 epoch 1 assigned 0,1']);
    // c1 keeps heartbeating but never lets go of 2,3.
    driver.run('tick 10000');
    driver.run('cgh c1 owned=0,1,2,3');
    driver.run('cgh c2');
    expect(driver.run('tick 10000')).toContain('fenced: m1 (rebalance-timeout)');
    expect(driver.run('cgh c2').join('\n')).toContain('assigned 0,1,2,3');
    expect(driver.run('cgh c1')).toEqual(['c1 ← ConsumerGroupHeartbeat UNKNOWN_MEMBER_ID']);
  });

  test('a dynamic member that leaves (epoch -1) frees its partitions at once', () => {
    const driver = loaded();
    driver.run('cgh c1');
    driver.run('cgh c2');
    driver.run('cgh c1 owned=0,1');
    driver.run('cgh c2');
    expect(driver.run('cgh c2 leave')).toEqual(['fenced: m2 (left)', 'c2 ← ConsumerGroupHeartbeat NONE member m2 epoch -1 no assignment']);
    expect(driver.run('cgh c1').join('\n')).toContain('assigned 0,1,2,3');
  });

  test('a static member that leaves with epoch -2 keeps its partitions; its restart takes them over, another claim is UNRELEASED_INSTANCE_ID', () => {
    const driver = loaded();
    driver.run('cgh c1 instance=i1');
    driver.run('cgh c2 instance=i2');
    driver.run('cgh c1 instance=i1 owned=0,1');
    driver.run('cgh c2 instance=i2');
    // A third instance claiming i2 while c2 holds it is refused.
    expect(driver.run('cgh c3 instance=i2')).toEqual(['c3 ← ConsumerGroupHeartbeat UNRELEASED_INSTANCE_ID']);
    expect(driver.run('cgh c2 instance=i2 leave-static')).toEqual(['c2 ← ConsumerGroupHeartbeat NONE member m2 epoch -2 no assignment']);
    // Its partitions are still held for it: c1 does not get them.
    expect(driver.run('cgh c1 instance=i1').join('\n')).not.toContain('assigned');
    expect(driver.state()).toContain('m2(i2) epoch -2 STABLE owns 2,3');
    const rejoined = driver.run('cgh c3 instance=i2').join('\n');
    expect(rejoined).toContain('static member i2: m2 replaced by m3');
    expect(rejoined).toContain('c3 ← ConsumerGroupHeartbeat NONE member m3 epoch 2 assigned 2,3');
  });

  test('a static member gone past its session loses its partitions', () => {
    const driver = loaded();
    driver.run('cgh c1 instance=i1');
    driver.run('cgh c2 instance=i2');
    driver.run('cgh c1 instance=i1 owned=0,1');
    driver.run('cgh c2 instance=i2');
    driver.run('cgh c2 instance=i2 leave-static');
    driver.run('tick 30000');
    driver.run('cgh c1 instance=i1');
    expect(driver.run('tick 16000')).toContain('fenced: m2 (session-timeout)');
    expect(driver.run('cgh c1 instance=i1').join('\n')).toContain('assigned 0,1,2,3');
  });

  test('requests the protocol forbids are refused: unknown assignor, empty member id, bad epochs', () => {
    const driver = loaded();
    expect(driver.run('cgh c1 assignor=sticky')).toEqual(['c1 ← ConsumerGroupHeartbeat UNSUPPORTED_ASSIGNOR']);
    expect(driver.run('cgh c1 epoch=3')).toEqual(['c1 ← ConsumerGroupHeartbeat GROUP_ID_NOT_FOUND']);
    driver.run('cgh c1');
    expect(driver.run('cgh c2 epoch=1')).toEqual(['c2 ← ConsumerGroupHeartbeat UNKNOWN_MEMBER_ID']);
    expect(driver.run('cgh c1 epoch=-3')).toEqual(['c1 ← ConsumerGroupHeartbeat INVALID_REQUEST']);
  });

  test('group.coordinator.rebalance.protocols without consumer turns the API off (UNSUPPORTED_VERSION)', () => {
    const driver = loaded({ rebalanceProtocols: ['classic'] });
    expect(driver.run('cgh c1')).toEqual(['c1 ← ConsumerGroupHeartbeat UNSUPPORTED_VERSION']);
  });

  test('range, asked for by the members, is used instead of the default', () => {
    const driver = loaded();
    driver.run('cgh c1 assignor=range');
    driver.run('cgh c2 assignor=range');
    driver.run('cgh c1 owned=0,1');
    expect(driver.run('cgh c2').join('\n')).toContain('assigned 2,3');
  });

  test('one protocol per group: a classic JoinGroup to a consumer group with members is INCONSISTENT_GROUP_PROTOCOL, and the reverse GROUP_ID_NOT_FOUND', () => {
    const driver = loaded();
    driver.run('cgh c1');
    expect(driver.run('join c2')).toEqual(['c2 ← JoinGroup INCONSISTENT_GROUP_PROTOCOL member -']);
    const classic = loaded({ classicGroupInitialRebalanceDelayMs: 0 });
    classic.run('join c1 instance=i1');
    expect(classic.run('cgh c2')).toEqual(['c2 ← ConsumerGroupHeartbeat GROUP_ID_NOT_FOUND']);
  });

  test('loading the log after a failover restores every member, epoch, target and partition owner', () => {
    const driver = loaded();
    driver.run('cgh c1');
    driver.run('cgh c2');
    driver.run('cgh c3');
    driver.run('cgh c1 owned=0,1,2,3');
    driver.run('commit c2 0=5');
    const before = driver.state();
    driver.run('resign epoch=2');
    driver.run('lead epoch=3');
    expect(driver.state()).toBe(before);
    // Who owns what came back too: the partitions c1 is revoking are still withheld from the others.
    const group = driver.parts.shard().groups.get('g') as ConsumerGroup;
    expect([0, 1, 2, 3].map((partition) => group.currentPartitionEpoch(T, partition))).toEqual([1, 1, 1, 1]);
  });
});

describe('the legacy switch ksim.legacy.commit.without.member.epoch', () => {
  function committedAfterFencing(config: ConstructorParameters<typeof GroupCoordinatorDriver>[1]): string[] {
    const driver = new GroupCoordinatorDriver(['b1'], config);
    driver.run('lead epoch=1');
    driver.run('cgh c1');
    driver.run('cgh c2');
    driver.run('tick 45000');
    // c1 stopped heartbeating long ago and was fenced; it commits at the epoch it last had.
    return driver.run('commit c1 0=7');
  }

  test('off (Kafka): a fenced member\'s commit is refused with UNKNOWN_MEMBER_ID', () => {
    expect(committedAfterFencing({}).join('\n')).toContain('UNKNOWN_MEMBER_ID');
  });

  test('on: the coordinator takes the commit of a member it no longer has', () => {
    const events = committedAfterFencing({ commitWithoutMemberEpoch: true }).join('\n');
    expect(events).not.toContain('UNKNOWN_MEMBER_ID');
    expect(events).toContain('0=7 NONE');
  });

  test('the broker config key sets it, and it is off by default', () => {
    expect(parseBrokerConfig({}).groupCoordinator.commitWithoutMemberEpoch).toBe(false);
    expect(parseBrokerConfig({ 'ksim.legacy.commit.without.member.epoch': true }).groupCoordinator.commitWithoutMemberEpoch).toBe(true);
    expect(parseBrokerConfig({ 'ksim.legacy.commit.without.member.epoch': true }).legacy.commitWithoutMemberEpoch).toBe(true);
  });
});

