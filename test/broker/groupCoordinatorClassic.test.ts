/**
 * The classic group protocol's rules, one test each: the state table, KIP-394, static membership
 * (KIP-345), the fencing errors, the limits, and what a loaded coordinator restores. Driven through
 * the coordinator on a broker's real parts (groupCoordinatorDriver.ts); the transcript shows the
 * same rules in sequence.
 */
import { describe, expect, test } from 'vitest';
import { parseBrokerConfig } from '../../src/broker/config.js';
import { ClassicGroup } from '../../src/broker/groupCoordinatorClassicGroup.js';
import type { TxnOffsetCommitResponse } from '../../src/protocol/apis.js';
import { DATA_TOPIC } from './groupCoordinatorParts.js';
import { GROUP, GroupCoordinatorDriver } from './groupCoordinatorDriver.js';

/** A driver whose writes commit at once (ISR b1). */
function loaded(config: ConstructorParameters<typeof GroupCoordinatorDriver>[1] = {}): GroupCoordinatorDriver {
  const driver = new GroupCoordinatorDriver(['b1'], { classicGroupInitialRebalanceDelayMs: 0, ...config });
  driver.run('lead epoch=1');
  return driver;
}

/** Two members c1 (leader) and c2 in a Stable generation 1 with c1: 0,1 and c2: 2,3. */
function stableGroup(driver: GroupCoordinatorDriver): void {
  driver.run('join c1');
  driver.run('join c1');
  driver.run('join c2');
  driver.run('join c2');
  driver.run('tick 1');
  driver.run('sync c2');
  driver.run('sync c1 assign=c1:0,1/c2:2,3');
  expect(driver.state()).toContain('Stable');
}

describe('the classic group state machine', () => {
  test('illegal transitions throw, as Kafka states its transition table', () => {
    const group = new ClassicGroup('g', 'Empty', 0, null, null, null, () => {});
    expect(() => group.transitionTo('Stable')).toThrow(/illegal transition from Empty to Stable/);
    expect(() => group.transitionTo('CompletingRebalance')).toThrow(/illegal transition/);
    group.transitionTo('PreparingRebalance');
    expect(() => group.transitionTo('PreparingRebalance')).toThrow(/illegal transition/);
    group.transitionTo('Dead');
    expect(group.state).toBe('Dead');
  });

  test('KIP-394: a first join only hands out a member id; joining with it adds the member', () => {
    const driver = loaded();
    expect(driver.run('join c1')).toEqual(['c1 ← JoinGroup MEMBER_ID_REQUIRED member m1']);
    expect(driver.state()).toContain('members -');
    expect(driver.run('join c1')).toEqual([]);
    expect(driver.state()).toContain('members m1(joining)');
  });

  test('KIP-394: a member id handed out and never used holds up a rebalance until its session expires, then is gone', () => {
    const driver = loaded();
    stableGroup(driver);
    expect(driver.run('join c3')).toEqual(['c3 ← JoinGroup MEMBER_ID_REQUIRED member m3']);
    driver.run('join c1');
    // Every member has rejoined, but m3 was handed out: the join phase waits for it.
    expect(driver.run('join c2')).toEqual([]);
    expect(driver.run('tick 9999')).toEqual([]);
    expect(driver.run('tick 1').join('\n')).toContain('c1 ← JoinGroup NONE member m1 generation 2');
    expect(driver.run('join c3 member=m3')).toEqual(['c3 ← JoinGroup UNKNOWN_MEMBER_ID member m3']);
  });

  test('fencing: SyncGroup and Heartbeat with an unknown member or another generation are refused', () => {
    const driver = loaded();
    stableGroup(driver);
    expect(driver.run('heartbeat c1 generation=0')).toEqual(['c1 ← Heartbeat ILLEGAL_GENERATION']);
    expect(driver.run('sync c2 generation=2')).toEqual(['c2 ← SyncGroup ILLEGAL_GENERATION']);
    driver.run('join c3');
    expect(driver.run('heartbeat c3')).toEqual(['c3 ← Heartbeat UNKNOWN_MEMBER_ID']);
    // A rejoining leader forces a rebalance; the others learn of it from their heartbeat.
    driver.run('join c1');
    expect(driver.run('heartbeat c2')).toEqual(['c2 ← Heartbeat REBALANCE_IN_PROGRESS']);
    expect(driver.run('sync c2')).toEqual(['c2 ← SyncGroup REBALANCE_IN_PROGRESS']);
  });

  test('a member that heartbeats but does not rejoin is dropped when the rebalance timeout ends the join phase', () => {
    const driver = loaded();
    stableGroup(driver);
    driver.run('join c1');
    // c2 stays alive (heartbeats) but never rejoins; c1 waits in the join phase without heartbeats.
    for (let i = 0; i < 5; i++) {
      driver.run('tick 5000');
      expect(driver.run('heartbeat c2')).toEqual(['c2 ← Heartbeat REBALANCE_IN_PROGRESS']);
    }
    expect(driver.run('tick 4999')).toEqual([]);
    expect(driver.run('tick 1')).toEqual(['c1 ← JoinGroup NONE member m1 generation 2 protocol range leader m1 members [m1]']);
    expect(driver.run('heartbeat c2')).toEqual(['c2 ← Heartbeat UNKNOWN_MEMBER_ID']);
  });

  test('KIP-345: a static member rejoining with a new id replaces the old one, whose held JoinGroup is fenced', () => {
    const driver = loaded();
    driver.run('join c1 instance=i1');
    driver.run('join c2 instance=i2');
    driver.run('tick 1');
    driver.run('sync c2 instance=i2');
    driver.run('sync c1 instance=i1 assign=c1:0,1/c2:2,3');
    // c2 rejoins (a rebalance), then its instance restarts as c3 while the old c2 still waits.
    driver.run('join c2 instance=i2');
    expect(driver.run('join c3 instance=i2')).toEqual(['static member i2: m2 replaced by m3', 'c2 ← JoinGroup FENCED_INSTANCE_ID member m2']);
    const completed = driver.run('join c1 instance=i1').join('\n');
    expect(completed).toContain('c1 ← JoinGroup NONE member m1 generation 2 protocol range leader m1 members [m1 m3]');
    expect(completed).toContain('c3 ← JoinGroup NONE member m3 generation 2');
    expect(driver.run('heartbeat c2 instance=i2')).toEqual(['c2 ← Heartbeat FENCED_INSTANCE_ID']);
    expect(driver.run('commit c2 0=1 instance=i2').join('\n')).toContain('OffsetCommit 0 FENCED_INSTANCE_ID');
  });

  test('KIP-345: LeaveGroup by instance id alone removes the static member', () => {
    const driver = loaded();
    driver.run('join c1 instance=i1');
    driver.run('tick 1');
    driver.run('sync c1 instance=i1 assign=c1:0,1,2,3');
    expect(driver.run('leave c9 instance=i1').join('\n')).toContain('c9 ← LeaveGroup NONE -/i1: NONE');
    expect(driver.state()).toContain('group g: Empty');
    expect(driver.run('leave c9 instance=i1').join('\n')).toContain('-/i1: UNKNOWN_MEMBER_ID');
  });

  test('group.max.size: a new member beyond it is refused with GROUP_MAX_SIZE_REACHED', () => {
    const driver = loaded({ classicGroupMaxSize: 1 });
    driver.run('join c1 instance=i1');
    driver.run('tick 1');
    expect(driver.run('join c2 instance=i2')).toEqual(['c2 ← JoinGroup GROUP_MAX_SIZE_REACHED member -']);
  });

  test('a session timeout outside group.min/max.session.timeout.ms is INVALID_SESSION_TIMEOUT', () => {
    const driver = loaded();
    expect(driver.run('join c1 session=5999')).toEqual(['c1 ← JoinGroup INVALID_SESSION_TIMEOUT member -']);
    expect(driver.run('join c1 session=1800001')).toEqual(['c1 ← JoinGroup INVALID_SESSION_TIMEOUT member -']);
  });

  test('a member whose protocols share none with the group is INCONSISTENT_GROUP_PROTOCOL', () => {
    const driver = loaded();
    stableGroup(driver);
    expect(driver.run('join c3 protocols=roundrobin')).toEqual(['c3 ← JoinGroup INCONSISTENT_GROUP_PROTOCOL member -']);
  });

  test('an offset commit from a fenced member never reaches the log', () => {
    const driver = loaded();
    stableGroup(driver);
    const before = driver.parts.replicaManager.getPartition('__consumer_offsets', 0)!.log.logEndOffset;
    expect(driver.run('commit c1 0=5 generation=7').join('\n')).toContain('ILLEGAL_GENERATION');
    expect(driver.run('commit c3 0=5 generation=1').join('\n')).toContain('UNKNOWN_MEMBER_ID');
    expect(driver.parts.replicaManager.getPartition('__consumer_offsets', 0)!.log.logEndOffset).toBe(before);
    expect(driver.run('commit c1 0=5').join('\n')).toContain('OffsetCommit 0 NONE');
  });

  test('a commit from outside the group (generation -1) is accepted only while the group is empty', () => {
    const driver = loaded();
    expect(driver.run('commit c9 0=3 generation=-1').join('\n')).toContain('OffsetCommit 0 NONE');
    stableGroup(driver);
    expect(driver.run('commit c9 0=4 generation=-1').join('\n')).toContain('OffsetCommit 0 UNKNOWN_MEMBER_ID');
  });

  test('loading the log after a failover restores a Stable group with its members, assignment and offsets', () => {
    const driver = loaded();
    stableGroup(driver);
    driver.run('commit c1 0=10 1=20');
    const before = driver.state();
    driver.run('resign epoch=2');
    expect(driver.run('heartbeat c1')).toEqual(['c1 ← Heartbeat NOT_COORDINATOR']);
    driver.run('lead epoch=3');
    expect(driver.state()).toBe(before);
    expect(driver.run('sync c2')).toEqual(['c2 ← SyncGroup NONE assigned 2,3']);
    expect(driver.run('heartbeat c1')).toEqual(['c1 ← Heartbeat NONE']);
  });

  test('unloading answers held JoinGroups with NOT_COORDINATOR', () => {
    const driver = loaded();
    stableGroup(driver);
    driver.run('join c1');
    expect(driver.run('resign epoch=2')).toEqual(['unloaded at coordinator epoch 1', 'c1 ← JoinGroup NOT_COORDINATOR member m1']);
  });
});

describe('the legacy switch ksim.legacy.commit.without.generation', () => {
  /** The answers to a commit of an older generation and to one from a member the group does not have. */
  function fencedCommits(config: ConstructorParameters<typeof GroupCoordinatorDriver>[1]): { stale: string; unknown: string; logGrew: boolean } {
    const driver = loaded(config);
    stableGroup(driver);
    const offsets = driver.parts.replicaManager.getPartition('__consumer_offsets', 0)!.log;
    const before = offsets.logEndOffset;
    const stale = driver.run('commit c1 0=5 generation=0').join('\n');
    const unknown = driver.run('commit c3 1=6 generation=1').join('\n');
    return { stale, unknown, logGrew: offsets.logEndOffset > before };
  }

  test('off (Kafka): the older generation is ILLEGAL_GENERATION, the unknown member UNKNOWN_MEMBER_ID, and nothing is written', () => {
    const { stale, unknown, logGrew } = fencedCommits({});
    expect(stale).toContain('OffsetCommit 0 ILLEGAL_GENERATION');
    expect(unknown).toContain('OffsetCommit 1 UNKNOWN_MEMBER_ID');
    expect(logGrew).toBe(false);
  });

  test('on: the coordinator takes both commits and writes them', () => {
    const { stale, unknown, logGrew } = fencedCommits({ commitWithoutGeneration: true });
    expect(stale).toContain('OffsetCommit 0 NONE');
    expect(unknown).toContain('OffsetCommit 1 NONE');
    expect(logGrew).toBe(true);
  });

  test('on: a TxnOffsetCommit of an older generation is still ILLEGAL_GENERATION (KIP-447 is not this switch)', () => {
    const driver = loaded({ commitWithoutGeneration: true });
    stableGroup(driver);
    const group = driver.parts.shard().groups.get(GROUP) as ClassicGroup;
    const memberId = group.allMembers()[0]!.memberId;
    driver.parts.takeSent();
    driver.parts.coordinator.handleTxnOffsetCommit('producer', {
      api: 'TxnOffsetCommit',
      correlationId: 1,
      transactionalId: 'tx-1',
      groupId: GROUP,
      producerId: 7000,
      producerEpoch: 0,
      generationId: 0,
      memberId,
      groupInstanceId: null,
      topics: [{ name: DATA_TOPIC, partitions: [{ partitionIndex: 0, committedOffset: 5, committedLeaderEpoch: -1, committedMetadata: null }] }],
    });
    const answers = driver.parts.takeSent().map((sent) => sent.response).filter((response): response is TxnOffsetCommitResponse => response.api === 'TxnOffsetCommitResponse');
    expect(answers.flatMap((answer) => answer.topics.flatMap((topic) => topic.partitions.map((partition) => partition.errorCode)))).toEqual(['ILLEGAL_GENERATION']);
  });

  test('the broker config key sets it, and it is off by default', () => {
    expect(parseBrokerConfig({}).groupCoordinator.commitWithoutGeneration).toBe(false);
    expect(parseBrokerConfig({ 'ksim.legacy.commit.without.generation': true }).groupCoordinator.commitWithoutGeneration).toBe(true);
    expect(parseBrokerConfig({ 'ksim.legacy.commit.without.generation': true }).legacy.commitWithoutGeneration).toBe(true);
    expect(parseBrokerConfig({ 'ksim.legacy.commit.without.generation': true }).groupCoordinator.commitWithoutMemberEpoch).toBe(false);
  });
});
