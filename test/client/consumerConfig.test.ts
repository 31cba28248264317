/** ConsumerConfig: Kafka 4.0's names and defaults, ConfigDef validation as errors as data, and the cross-checks. */
import { describe, expect, test } from 'vitest';
import { DEFAULT_CONSUMER_CONFIG, parseConsumerConfig } from '../../src/client/consumerConfig.js';

function errorsOf(properties: Record<string, unknown>): readonly string[] {
  const result = parseConsumerConfig(properties);
  return result.ok ? [] : result.errors;
}

function configOf(properties: Record<string, unknown>) {
  const result = parseConsumerConfig(properties);
  if (!result.ok) throw new Error(result.errors.join('; '));
  return result.config;
}

describe('ConsumerConfig defaults', () => {
  test("are Kafka 4.0's: classic protocol, 45 s sessions, [range, cooperative-sticky], latest, auto-commit every 5 s", () => {
    const config = configOf({ 'group.id': 'g' });
    expect(config).toEqual({ ...DEFAULT_CONSUMER_CONFIG, groupId: 'g' });
    expect(config.groupProtocol).toBe('classic');
    expect(config.sessionTimeoutMs).toBe(45_000);
    expect(config.heartbeatIntervalMs).toBe(3_000);
    expect(config.maxPollIntervalMs).toBe(300_000);
    expect(config.maxPollRecords).toBe(500);
    expect(config.partitionAssignmentStrategy).toEqual(['range', 'cooperative-sticky']);
    expect(config.enableAutoCommit).toBe(true);
    expect(config.autoCommitIntervalMs).toBe(5_000);
    expect(config.autoOffsetReset).toBe('latest');
    expect(config.fetchMaxWaitMs).toBe(500);
    expect(config.fetchMaxBytes).toBe(52_428_800);
    expect(config.isolationLevel).toBe('read_uncommitted');
  });

  test('without group.id, auto-commit is off by default and an explicit true is an error', () => {
    expect(configOf({}).enableAutoCommit).toBe(false);
    expect(errorsOf({ 'enable.auto.commit': true })).toEqual(['enable.auto.commit cannot be set to true when default group id (null) is used']);
  });
});

describe('ConsumerConfig validation', () => {
  test('accepts strings as a properties file gives them, and class names simple or qualified', () => {
    const config = configOf({
      'group.id': 'g',
      'max.poll.records': '10',
      'enable.auto.commit': 'false',
      'group.protocol': 'CLASSIC',
      'partition.assignment.strategy': 'org.apache.kafka.clients.consumer.RoundRobinAssignor, StickyAssignor',
    });
    expect(config).toMatchObject({ maxPollRecords: 10, enableAutoCommit: false, groupProtocol: 'classic', partitionAssignmentStrategy: ['roundrobin', 'sticky'] });
  });

  test('every bad value is reported at once, naming the key, what is allowed and what it got', () => {
    const errors = errorsOf({
      'group.id': 'g',
      'max.poll.records': 0,
      'auto.offset.reset': 'smallest',
      'group.protocol': 'eager',
      'isolation.level': 'serializable',
      'fetch.min.bytes': -1,
      'partition.assignment.strategy': ['RangeAssignor', 'RangeAssignor'],
      'enable.auto.commit': 'yes',
      'sesion.timeout.ms': 10,
    });
    expect(errors).toEqual([
      "unknown consumer config 'sesion.timeout.ms'",
      'group.protocol: expected one of classic, consumer, got "eager"',
      expect.stringMatching(/^partition\.assignment\.strategy: expected a non-empty list without duplicates of org\.apache\.kafka\.clients\.consumer\.RangeAssignor, .*, got \["RangeAssignor","RangeAssignor"\]$/),
      'max.poll.records: expected an integer ≥ 1, got 0',
      'enable.auto.commit: expected true or false, got "yes"',
      'auto.offset.reset: expected one of latest, earliest, none, got "smallest"',
      'fetch.min.bytes: expected an integer ≥ 0, got -1',
      'isolation.level: expected one of read_committed, read_uncommitted, got "serializable"',
    ]);
  });

  test('an unknown assignor class is refused', () => {
    expect(errorsOf({ 'partition.assignment.strategy': 'com.example.MyAssignor' })).toHaveLength(1);
  });

  test('heartbeat.interval.ms must be lower than session.timeout.ms under the classic protocol', () => {
    expect(errorsOf({ 'group.id': 'g', 'session.timeout.ms': 3000 })).toEqual(['heartbeat.interval.ms (3000) must be lower than session.timeout.ms (3000)']);
    expect(errorsOf({ 'group.id': 'g', 'session.timeout.ms': 6000, 'heartbeat.interval.ms': 2000 })).toEqual([]);
  });

  test('group.protocol=consumer refuses the keys the coordinator owns; classic refuses group.remote.assignor', () => {
    expect(errorsOf({ 'group.id': 'g', 'group.protocol': 'consumer', 'session.timeout.ms': 10_000, 'partition.assignment.strategy': 'RangeAssignor' })).toEqual([
      'partition.assignment.strategy, session.timeout.ms cannot be set when group.protocol=consumer',
    ]);
    expect(errorsOf({ 'group.id': 'g', 'group.remote.assignor': 'uniform' })).toEqual(['group.remote.assignor cannot be set when group.protocol=classic']);
    expect(configOf({ 'group.id': 'g', 'group.protocol': 'consumer', 'group.remote.assignor': 'range' }).groupRemoteAssignor).toBe('range');
  });

  test('group.instance.id must be a legal, non-empty id', () => {
    expect(errorsOf({ 'group.id': 'g', 'group.instance.id': '' })).toEqual(['group.instance.id: expected a non-empty string, got ""']);
    expect(errorsOf({ 'group.id': 'g', 'group.instance.id': 'a b' })).toHaveLength(1);
    expect(configOf({ 'group.id': 'g', 'group.instance.id': 'member-1' }).groupInstanceId).toBe('member-1');
  });

  test('a base backoff above its cap raises the cap, as Kafka does', () => {
    const config = configOf({ 'retry.backoff.ms': 5000, 'reconnect.backoff.ms': 3000 });
    expect(config.retryBackoffMaxMs).toBe(5000);
    expect(config.reconnectBackoffMaxMs).toBe(3000);
  });
});
