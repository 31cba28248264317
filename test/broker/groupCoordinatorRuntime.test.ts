/**
 * The coordinator runtime and the service around it: where a group lives (Java's String.hashCode),
 * COORDINATOR_LOAD_IN_PROGRESS while loading and NOT_COORDINATOR after resigning, answers held
 * until their records commit, append errors as clients hear them, the record serde, and the group
 * coordinator's configuration with Kafka's defaults and checks.
 */
import { describe, expect, test } from 'vitest';
import { javaStringHashCode, partitionForGroup } from '../../src/broker/groupCoordinator.js';
import { DEFAULT_GROUP_COORDINATOR_CONFIG, parseGroupCoordinatorConfig } from '../../src/broker/groupCoordinatorConfig.js';
import { deserializeRecord, serializeRecord } from '../../src/broker/groupCoordinatorRecords.js';
import { appendErrorToResponseError, CoordinatorTimer, TIMER_RETRY_BACKOFF_MS } from '../../src/broker/groupCoordinatorRuntime.js';
import { Timers } from '../../src/broker/timers.js';
import { parseBrokerConfig } from '../../src/broker/config.js';
import { CoordinatorParts } from './groupCoordinatorParts.js';
import { GroupCoordinatorDriver } from './groupCoordinatorDriver.js';

describe('where a group lives', () => {
  test("String.hashCode as Java computes it, and Kafka's Utils.abs for Integer.MIN_VALUE", () => {
    expect(javaStringHashCode('')).toBe(0);
    expect(javaStringHashCode('abc')).toBe(96354);
    expect(javaStringHashCode('hello')).toBe(99162322);
    expect(javaStringHashCode('Aa')).toBe(javaStringHashCode('BB'));
    // Overflowing 32 bits wraps, as Java's int arithmetic does: this one lands on Integer.MIN_VALUE.
    expect(javaStringHashCode('polygenelubricants')).toBe(-2_147_483_648);
    expect(partitionForGroup('polygenelubricants', 50)).toBe(0);
    expect(partitionForGroup('hello', 50)).toBe(99162322 % 50);
  });
});

/** A CoordinatorTimer over fake timers whose writes fail `failures` times, then succeed. */
function timerWithFailingWrites(failures: number) {
  const pending: { id: number; delayMs: number }[] = [];
  let nextId = 0;
  const timers = new Timers({ setTimer: (delayMs) => { pending.push({ id: nextId, delayMs }); return nextId++; }, cancelTimer: () => {} });
  const runs: number[] = [];
  let failuresLeft = failures;
  const timer = new CoordinatorTimer(timers, (operation, onWriteFailed) => {
    operation();
    runs.push(pending.length);
    if (failuresLeft-- > 0) onWriteFailed();
  }, 'group');
  const fireNext = () => timers.fire(pending.shift()!.id);
  return { timer, pending, runs, fireNext };
}

describe('coordinator timers', () => {
  test('a timer scheduled with retry runs again after the retry backoff when its write fails (EventBasedCoordinatorTimer)', () => {
    const { timer, pending, runs, fireNext } = timerWithFailingWrites(2);
    timer.schedule('session/g/m', 10_000, () => ({ records: [], response: null, replayRecords: true }), true);
    expect(pending.map((entry) => entry.delayMs)).toEqual([10_000]);
    fireNext();
    expect(pending.map((entry) => entry.delayMs)).toEqual([TIMER_RETRY_BACKOFF_MS]);
    fireNext();
    fireNext();
    // Two failures, two retries; the third write succeeded and nothing is scheduled any more.
    expect(runs).toHaveLength(3);
    expect(pending).toEqual([]);
    expect(timer.isScheduled('session/g/m')).toBe(false);
  });

  test('a timer without retry runs once even if its write fails', () => {
    const { timer, pending, runs, fireNext } = timerWithFailingWrites(1);
    timer.schedule('heartbeat/g/m', 10_000, () => ({ records: [], response: null, replayRecords: true }));
    fireNext();
    expect(runs).toHaveLength(1);
    expect(pending).toEqual([]);
  });
});

describe('the coordinator runtime', () => {
  test('COORDINATOR_LOAD_IN_PROGRESS while the partition loads, NOT_COORDINATOR when not led; a Heartbeat while loading is answered NONE', () => {
    const parts = new CoordinatorParts();
    parts.coordinator.handleHeartbeat('c1', { api: 'Heartbeat', correlationId: 1, groupId: 'g', generationId: 1, memberId: 'm', groupInstanceId: null });
    expect(parts.takeSent().map((sent) => sent.response)).toEqual([{ api: 'HeartbeatResponse', correlationId: 1, errorCode: 'NOT_COORDINATOR' }]);
    // Elected: loading takes a simulated moment, during which requests are told to wait.
    const loading = parts;
    loading.publishImage('b1', 1, ['b1']);
    expect(loading.coordinator.runtime.partitionState(0)).toBe('loading');
    loading.coordinator.handleSyncGroup('c1', { api: 'SyncGroup', correlationId: 2, groupId: 'g', generationId: 1, memberId: 'm', groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
    loading.coordinator.handleHeartbeat('c1', { api: 'Heartbeat', correlationId: 3, groupId: 'g', generationId: 1, memberId: 'm', groupInstanceId: null });
    expect(loading.takeSent().map((sent) => [sent.response.api, (sent.response as { errorCode: string }).errorCode])).toEqual([
      ['SyncGroupResponse', 'COORDINATOR_LOAD_IN_PROGRESS'],
      ['HeartbeatResponse', 'NONE'],
    ]);
    loading.advance(1);
    expect(loading.coordinator.runtime.partitionState(0)).toBe('active');
  });

  test('an answer waits until its records are committed, and an offset fetch sees only committed offsets', () => {
    const driver = new GroupCoordinatorDriver(['b1', 'b2']);
    driver.run('lead epoch=1');
    expect(driver.run('commit c9 0=5 generation=-1')).toEqual(['offset commit by - at -1: 0=5 NONE']);
    expect(driver.run('fetch-offsets')).toEqual(['admin ← OffsetFetch 0=-1 1=-1 2=-1 3=-1']);
    expect(driver.run('replicate')).toEqual(['c9 ← OffsetCommit 0 NONE']);
    expect(driver.run('fetch-offsets')).toEqual(['admin ← OffsetFetch 0=5 1=-1 2=-1 3=-1']);
  });

  test('a write not committed within offsets.commit.timeout.ms is answered COORDINATOR_NOT_AVAILABLE, and what waited on it too', () => {
    const driver = new GroupCoordinatorDriver(['b1', 'b2'], { offsetsCommitTimeoutMs: 5_000 });
    driver.run('lead epoch=1');
    driver.run('commit c9 0=5 generation=-1');
    driver.run('fetch-offsets');
    expect(driver.run('heartbeat c1')).toEqual([]);
    expect(driver.run('tick 5000')).toEqual(['c9 ← OffsetCommit 0 COORDINATOR_NOT_AVAILABLE', 'c1 ← Heartbeat COORDINATOR_NOT_AVAILABLE']);
  });

  test('resigning fails every held answer with NOT_COORDINATOR', () => {
    const driver = new GroupCoordinatorDriver(['b1', 'b2']);
    driver.run('lead epoch=1');
    driver.run('commit c9 0=5 generation=-1');
    expect(driver.run('resign epoch=2')).toEqual(['unloaded at coordinator epoch 1', 'c9 ← OffsetCommit 0 NOT_COORDINATOR']);
  });

  test('an election at an epoch no newer than the loaded one changes nothing; a newer one while loaded keeps the state', () => {
    const driver = new GroupCoordinatorDriver(['b1']);
    driver.run('lead epoch=5');
    driver.run('commit c9 0=5 generation=-1');
    expect(driver.run('lead epoch=5')).toEqual([]);
    driver.parts.lead(6);
    expect(driver.parts.takeTraces().map((event) => event.type)).toContain('group.coordinator-epoch');
    expect(driver.state()).toContain('committed 0=5');
  });

  test("append errors as clients hear them (Kafka's appendGroupMetadataErrorToResponseError)", () => {
    expect(appendErrorToResponseError('NOT_ENOUGH_REPLICAS')).toBe('COORDINATOR_NOT_AVAILABLE');
    expect(appendErrorToResponseError('REQUEST_TIMED_OUT')).toBe('COORDINATOR_NOT_AVAILABLE');
    expect(appendErrorToResponseError('NOT_LEADER_OR_FOLLOWER')).toBe('NOT_COORDINATOR');
    expect(appendErrorToResponseError('KAFKA_STORAGE_ERROR')).toBe('NOT_COORDINATOR');
    expect(appendErrorToResponseError('MESSAGE_TOO_LARGE')).toBe('UNKNOWN_SERVER_ERROR');
    expect(appendErrorToResponseError('INVALID_REQUEST')).toBe('INVALID_REQUEST');
  });

  test('clients may not produce to __consumer_offsets', () => {
    const parts = new CoordinatorParts();
    parts.lead(1);
    parts.replicaManager.handleProduceRequest('p1', {
      api: 'Produce',
      correlationId: 9,
      acks: 1,
      timeoutMs: 1000,
      topicData: [{ name: '__consumer_offsets', partitionData: [{ index: 0, records: { baseOffset: 0, lastOffsetDelta: 0, partitionLeaderEpoch: -1, producerId: -1, producerEpoch: -1, baseSequence: -1, isTransactional: false, isControl: false, maxTimestampMs: 0, records: [{ key: 'k', value: 'v', timestampMs: 0 }] } }] }],
    });
    const answer = parts.takeSent()[0]!.response;
    expect(answer).toMatchObject({ api: 'ProduceResponse', responses: [{ name: '__consumer_offsets', partitionResponses: [{ errorCode: 'INVALID_TOPIC_EXCEPTION' }] }] });
  });
});

describe('records', () => {
  test('a record decodes to exactly what was encoded; a tombstone has a null value; anything else throws', () => {
    const record = { type: 'OffsetCommit' as const, key: { groupId: 'g', topic: 'orders', partition: 3 }, value: { offset: 42, leaderEpoch: 2, metadata: '', commitTimestampMs: 7 } };
    expect(deserializeRecord(serializeRecord(record, 7))).toEqual(record);
    const tombstone = { type: 'ConsumerGroupMemberMetadata' as const, key: { groupId: 'g', memberId: 'm' }, value: null };
    expect(serializeRecord(tombstone, 0).value).toBeNull();
    expect(deserializeRecord(serializeRecord(tombstone, 0))).toEqual(tombstone);
    expect(() => deserializeRecord({ key: null, value: 'x' })).toThrow(/without a key/);
    expect(() => deserializeRecord({ key: '{"type":"Nonsense"}', value: null })).toThrow(/unknown record type/);
  });
});

describe('the group coordinator configuration', () => {
  test("Kafka 4's defaults, but for the offsets topic's partition count", () => {
    expect(DEFAULT_GROUP_COORDINATOR_CONFIG).toMatchObject({
      offsetsTopicNumPartitions: 5,
      offsetsTopicReplicationFactor: 3,
      offsetsCommitTimeoutMs: 5_000,
      classicGroupInitialRebalanceDelayMs: 3_000,
      classicGroupMinSessionTimeoutMs: 6_000,
      classicGroupMaxSessionTimeoutMs: 1_800_000,
      consumerGroupSessionTimeoutMs: 45_000,
      consumerGroupHeartbeatIntervalMs: 5_000,
      consumerGroupAssignors: ['uniform', 'range'],
      rebalanceProtocols: ['classic', 'consumer'],
    });
    expect(parseBrokerConfig({}).groupCoordinator).toEqual(DEFAULT_GROUP_COORDINATOR_CONFIG);
  });

  test('values are parsed from properties and checked as ConfigDef checks them', () => {
    expect(parseGroupCoordinatorConfig({ 'offsets.topic.num.partitions': '5', 'group.consumer.assignors': 'range,uniform' })).toMatchObject({ offsetsTopicNumPartitions: 5, consumerGroupAssignors: ['range', 'uniform'] });
    expect(parseGroupCoordinatorConfig({ 'group.consumer.assignors': 'org.apache.kafka.coordinator.group.assignor.RangeAssignor' }).consumerGroupAssignors).toEqual(['range']);
    expect(() => parseGroupCoordinatorConfig({ 'offsets.topic.num.partitions': 0 })).toThrow(/offsets.topic.num.partitions/);
    expect(() => parseGroupCoordinatorConfig({ 'group.consumer.assignors': 'sticky' })).toThrow(/group.consumer.assignors/);
    expect(() => parseGroupCoordinatorConfig({ 'group.coordinator.rebalance.protocols': 'consumer' })).toThrow(/classic/);
    expect(() => parseGroupCoordinatorConfig({ 'group.coordinator.rebalance.protocols': 'classic,share' })).toThrow(/classic, consumer/);
    expect(() => parseGroupCoordinatorConfig({ 'group.consumer.heartbeat.interval.ms': 45_000, 'group.consumer.max.heartbeat.interval.ms': 60_000 })).toThrow(/must be less than group.consumer.session.timeout.ms/);
    expect(() => parseGroupCoordinatorConfig({ 'group.min.session.timeout.ms': 10, 'group.max.session.timeout.ms': 5 })).toThrow(/group.max.session.timeout.ms/);
  });
});
