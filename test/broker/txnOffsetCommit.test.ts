/**
 * TxnOffsetCommit on the group coordinator (KIP-98, KIP-447): offsets committed in a transaction
 * stay pending until the transaction's marker reaches `__consumer_offsets`; COMMIT makes them the
 * group's offsets once the marker is committed, ABORT drops them; OffsetFetch with requireStable
 * answers UNSTABLE_OFFSET_COMMIT meanwhile; a fenced consumer (generation, member, instance id) or
 * a fenced producer (an older epoch) commits nothing. Driven through the coordinator on a broker's
 * real parts, with broken inputs for each refusal.
 */
import { describe, expect, test } from 'vitest';
import { parseBrokerConfig } from '../../src/broker/config.js';
import { ClassicGroup } from '../../src/broker/groupCoordinatorClassicGroup.js';
import { GROUP_METADATA_TOPIC_NAME } from '../../src/broker/groupCoordinatorRecords.js';
import type { OffsetFetchResponse, TxnOffsetCommitRequest, TxnOffsetCommitResponse } from '../../src/protocol/apis.js';
import { DATA_TOPIC } from './groupCoordinatorParts.js';
import { GroupCoordinatorDriver, GROUP } from './groupCoordinatorDriver.js';

const PRODUCER_ID = 7000;

/** A loaded coordinator (ISR as given) with a Stable classic group: c1 holds 0,1 and c2 holds 2,3, generation 1. */
function withStableGroup(isr: Array<'b1' | 'b2'> = ['b1'], config: ConstructorParameters<typeof GroupCoordinatorDriver>[1] = {}): GroupCoordinatorDriver {
  const driver = new GroupCoordinatorDriver(isr, { classicGroupInitialRebalanceDelayMs: 0, ...config });
  driver.run('lead epoch=1');
  if (isr.length > 1) driver.run('replicate');
  for (const line of ['join c1', 'join c1', 'join c2', 'join c2', 'tick 1', 'sync c2', 'sync c1 assign=c1:0,1/c2:2,3']) {
    driver.run(line);
    if (isr.length > 1) driver.run('replicate');
  }
  expect(driver.state()).toContain('Stable');
  return driver;
}

function group(driver: GroupCoordinatorDriver): ClassicGroup {
  const found = driver.parts.shard().groups.get(GROUP);
  if (!(found instanceof ClassicGroup)) throw new Error('no classic group g');
  return found;
}

/** The member id of the group's leader (c1). */
function memberIds(driver: GroupCoordinatorDriver): { leader: string } {
  const leader = group(driver).allMembers().find((member) => group(driver).isLeader(member.memberId))!.memberId;
  return { leader };
}

function txnOffsetCommit(driver: GroupCoordinatorDriver, fields: Partial<TxnOffsetCommitRequest> & { offsets: Record<number, number> }): string {
  const { offsets, ...rest } = fields;
  driver.parts.takeSent();
  driver.parts.coordinator.handleTxnOffsetCommit('producer', {
    api: 'TxnOffsetCommit',
    correlationId: 1,
    transactionalId: 'tx-1',
    groupId: GROUP,
    producerId: PRODUCER_ID,
    producerEpoch: 0,
    generationId: rest.generationId ?? group(driver).generationId,
    memberId: rest.memberId ?? memberIds(driver).leader,
    groupInstanceId: null,
    topics: [{ name: DATA_TOPIC, partitions: Object.entries(offsets).map(([partition, offset]) => ({ partitionIndex: Number(partition), committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: null })) }],
    ...rest,
  });
  const answers = driver.parts.takeSent().map((sent) => sent.response).filter((response): response is TxnOffsetCommitResponse => response.api === 'TxnOffsetCommitResponse');
  return answers.map((answer) => answer.topics.flatMap((topic) => topic.partitions.map((partition) => `${partition.partitionIndex}:${partition.errorCode}`)).join(' ')).join(' | ');
}

function writeMarker(driver: GroupCoordinatorDriver, committed: boolean, producerEpoch = 0): void {
  driver.parts.replicaManager.handleWriteTxnMarkers('tc', {
    api: 'WriteTxnMarkers',
    correlationId: 2,
    markers: [{ producerId: PRODUCER_ID, producerEpoch, transactionResult: committed, topics: [{ name: GROUP_METADATA_TOPIC_NAME, partitions: [0] }], coordinatorEpoch: 0 }],
  });
}

/** The group's offsets as OffsetFetch answers them (requireStable), `partition:offset` or `partition:ERROR`. */
function fetchOffsets(driver: GroupCoordinatorDriver, requireStable = true): string {
  driver.parts.takeSent();
  driver.parts.coordinator.handleOffsetFetch('admin', {
    api: 'OffsetFetch',
    correlationId: 3,
    groups: [{ groupId: GROUP, memberId: null, memberEpoch: -1, topics: [{ name: DATA_TOPIC, partitionIndexes: [0, 1] }] }],
    requireStable,
  });
  const answer = driver.parts.takeSent().map((sent) => sent.response).find((response): response is OffsetFetchResponse => response.api === 'OffsetFetchResponse')!;
  return answer.groups[0]!.topics.flatMap((topic) => topic.partitions.map((p) => `${p.partitionIndex}:${p.errorCode === 'NONE' ? p.committedOffset : p.errorCode}`)).join(' ');
}

describe('TxnOffsetCommit: pending offsets and the transaction marker', () => {
  test('offsets stay pending (UNSTABLE_OFFSET_COMMIT) until the COMMIT marker, then become the group offsets', () => {
    const driver = withStableGroup();
    expect(txnOffsetCommit(driver, { offsets: { 0: 5, 1: 9 } })).toBe('0:NONE 1:NONE');
    expect(fetchOffsets(driver)).toBe('0:UNSTABLE_OFFSET_COMMIT 1:UNSTABLE_OFFSET_COMMIT');
    // Without requireStable the pending commit is simply not there yet.
    expect(fetchOffsets(driver, false)).toBe('0:-1 1:-1');
    writeMarker(driver, true);
    expect(fetchOffsets(driver)).toBe('0:5 1:9');
    expect(driver.parts.takeTraces().some((event) => event.type === 'group.txn-offsets-completed' && event.committed === true)).toBe(true);
  });

  test('the ABORT marker drops the pending offsets: the earlier commit stays', () => {
    const driver = withStableGroup();
    driver.run('commit c1 0=2');
    txnOffsetCommit(driver, { offsets: { 0: 5 } });
    writeMarker(driver, false);
    expect(fetchOffsets(driver)).toBe('0:2 1:-1');
  });

  test('a COMMIT marker not yet replicated keeps the partition unstable; once committed the new offset shows', () => {
    const driver = withStableGroup(['b1', 'b2']);
    txnOffsetCommit(driver, { offsets: { 0: 5 } });
    driver.run('replicate');
    writeMarker(driver, true);
    expect(fetchOffsets(driver)).toBe('0:UNSTABLE_OFFSET_COMMIT 1:-1');
    driver.run('replicate');
    expect(fetchOffsets(driver)).toBe('0:5 1:-1');
  });

  test('a plain commit written after the transactional one wins when the transaction commits (the higher record offset)', () => {
    const driver = withStableGroup();
    txnOffsetCommit(driver, { offsets: { 0: 5 } });
    driver.run('commit c1 0=8');
    writeMarker(driver, true);
    expect(fetchOffsets(driver)).toBe('0:8 1:-1');
  });

  test('a coordinator that loads the partition restores pending offsets and settles them by the markers in the log', () => {
    const driver = withStableGroup();
    txnOffsetCommit(driver, { offsets: { 0: 5 } });
    txnOffsetCommit(driver, { offsets: { 1: 3 }, producerId: PRODUCER_ID + 1, transactionalId: 'tx-2' });
    writeMarker(driver, true);
    driver.run('resign epoch=2');
    driver.run('lead epoch=3');
    // The first transaction's marker is in the log; the second has none yet.
    expect(fetchOffsets(driver)).toBe('0:5 1:UNSTABLE_OFFSET_COMMIT');
  });
});

describe('TxnOffsetCommit: fencing (KIP-447 and producer epochs), each with a broken request', () => {
  test('an old generation is ILLEGAL_GENERATION and writes nothing', () => {
    const driver = withStableGroup();
    const before = driver.parts.replicaManager.getPartition(GROUP_METADATA_TOPIC_NAME, 0)!.log.logEndOffset;
    expect(txnOffsetCommit(driver, { offsets: { 0: 5 }, generationId: 0 })).toBe('0:ILLEGAL_GENERATION');
    expect(driver.parts.replicaManager.getPartition(GROUP_METADATA_TOPIC_NAME, 0)!.log.logEndOffset).toBe(before);
    expect(fetchOffsets(driver)).toBe('0:-1 1:-1');
  });

  test('a member the group does not have is UNKNOWN_MEMBER_ID', () => {
    const driver = withStableGroup();
    expect(txnOffsetCommit(driver, { offsets: { 0: 5 }, memberId: 'not-a-member' })).toBe('0:UNKNOWN_MEMBER_ID');
  });

  test('a static member replaced by a newer instance is FENCED_INSTANCE_ID', () => {
    const driver = new GroupCoordinatorDriver(['b1'], { classicGroupInitialRebalanceDelayMs: 0 });
    driver.run('lead epoch=1');
    driver.run('join c1 instance=i1');
    driver.run('tick 1');
    driver.run('sync c1 instance=i1 assign=c1:0,1,2,3');
    const first = group(driver).staticMemberId('i1')!;
    driver.run('join c2 instance=i1');
    expect(group(driver).staticMemberId('i1')).not.toBe(first);
    expect(txnOffsetCommit(driver, { offsets: { 0: 5 }, memberId: first, groupInstanceId: 'i1' })).toBe('0:FENCED_INSTANCE_ID');
  });

  test('a group that does not exist takes a commit only from outside any group (generation -1)', () => {
    const driver = new GroupCoordinatorDriver(['b1']);
    driver.run('lead epoch=1');
    expect(txnOffsetCommit(driver, { offsets: { 0: 5 }, generationId: 3, memberId: 'm' })).toBe('0:ILLEGAL_GENERATION');
    expect(txnOffsetCommit(driver, { offsets: { 0: 5 }, generationId: -1, memberId: '' })).toBe('0:NONE');
  });

  test('a commit accepted during CompletingRebalance with the current generation (unlike OffsetCommit)', () => {
    const driver = withStableGroup();
    driver.run('join c2');
    driver.run('join c1');
    expect(group(driver).state).toBe('CompletingRebalance');
    expect(txnOffsetCommit(driver, { offsets: { 0: 5 } })).toBe('0:NONE');
  });

  test('a producer epoch older than the one the partition knows is INVALID_PRODUCER_EPOCH (a zombie)', () => {
    const driver = withStableGroup();
    expect(txnOffsetCommit(driver, { offsets: { 0: 5 }, producerEpoch: 3 })).toBe('0:NONE');
    writeMarker(driver, false, 4);
    expect(txnOffsetCommit(driver, { offsets: { 0: 9 }, producerEpoch: 3 })).toBe('0:INVALID_PRODUCER_EPOCH');
    expect(fetchOffsets(driver)).toBe('0:-1 1:-1');
  });

  test('unknown topics are refused before the coordinator; an empty group id is INVALID_GROUP_ID', () => {
    const driver = withStableGroup();
    driver.parts.takeSent();
    driver.parts.coordinator.handleTxnOffsetCommit('producer', {
      api: 'TxnOffsetCommit', correlationId: 1, transactionalId: 'tx-1', groupId: GROUP, producerId: PRODUCER_ID, producerEpoch: 0, generationId: 1, memberId: memberIds(driver).leader, groupInstanceId: null,
      topics: [{ name: 'no-such-topic', partitions: [{ partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: null }] }],
    });
    expect(JSON.stringify(driver.parts.takeSent()[0]!.response)).toContain('UNKNOWN_TOPIC_OR_PARTITION');
    expect(txnOffsetCommit(driver, { offsets: { 0: 5 }, groupId: '' })).toBe('0:INVALID_GROUP_ID');
  });
});

describe('the legacy switch ksim.legacy.txn.offset.commit.without.group.metadata (before KIP-447)', () => {
  const legacy = { txnOffsetCommitWithoutGroupMetadata: true };

  test('on: an old generation and a member the group does not have are taken, and their offsets commit', () => {
    const driver = withStableGroup(['b1'], legacy);
    expect(txnOffsetCommit(driver, { offsets: { 0: 5 }, generationId: 0 })).toBe('0:NONE');
    expect(txnOffsetCommit(driver, { offsets: { 1: 9 }, memberId: 'not-a-member' })).toBe('1:NONE');
    writeMarker(driver, true);
    expect(fetchOffsets(driver)).toBe('0:5 1:9');
  });

  test('on: a group that does not exist takes a commit that names a generation', () => {
    const driver = new GroupCoordinatorDriver(['b1'], legacy);
    driver.run('lead epoch=1');
    expect(txnOffsetCommit(driver, { offsets: { 0: 5 }, generationId: 3, memberId: 'm' })).toBe('0:NONE');
  });

  test('on: the producer epoch still fences (the switch turns off the group checks only)', () => {
    const driver = withStableGroup(['b1'], legacy);
    writeMarker(driver, false, 4);
    expect(txnOffsetCommit(driver, { offsets: { 0: 9 }, producerEpoch: 3 })).toBe('0:INVALID_PRODUCER_EPOCH');
  });

  test('off (Kafka since 2.5): the same old generation is ILLEGAL_GENERATION', () => {
    const driver = withStableGroup(['b1'], { txnOffsetCommitWithoutGroupMetadata: false });
    expect(txnOffsetCommit(driver, { offsets: { 0: 5 }, generationId: 0 })).toBe('0:ILLEGAL_GENERATION');
  });

  test('the broker config key sets it, and it is off by default', () => {
    const key = 'ksim.legacy.txn.offset.commit.without.group.metadata';
    expect(parseBrokerConfig({}).groupCoordinator.txnOffsetCommitWithoutGroupMetadata).toBe(false);
    expect(parseBrokerConfig({ [key]: true }).groupCoordinator.txnOffsetCommitWithoutGroupMetadata).toBe(true);
    expect(parseBrokerConfig({ [key]: true }).legacy.txnOffsetCommitWithoutGroupMetadata).toBe(true);
  });
});
