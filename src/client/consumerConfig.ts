/**
 * The consumer's configuration under Kafka's own names (ConsumerConfig), with Kafka 4.0's defaults,
 * its ConfigDef validators, and the cross-checks KafkaConsumer makes at construction.
 *
 * What it models: the group (`group.id`, `group.instance.id`, `group.protocol`,
 * `group.remote.assignor`, `partition.assignment.strategy`, `session.timeout.ms`,
 * `heartbeat.interval.ms`, `max.poll.interval.ms`), polling and offsets (`max.poll.records`,
 * `enable.auto.commit`, `auto.commit.interval.ms`, `auto.offset.reset`), fetching
 * (`fetch.min.bytes`, `fetch.max.bytes`, `fetch.max.wait.ms`, `max.partition.fetch.bytes`,
 * `isolation.level`), and the network client (`request.timeout.ms`, `default.api.timeout.ms`,
 * `retry.backoff.ms`, `retry.backoff.max.ms`, `reconnect.backoff.ms`, `reconnect.backoff.max.ms`,
 * `metadata.max.age.ms`).
 *
 * Defaults are Kafka 4.0's: the classic group protocol (KIP-848's `consumer` protocol is chosen
 * with group.protocol=consumer), session.timeout.ms 45 s (KIP-735, Kafka 3.0; it was 10 s), and
 * [RangeAssignor, CooperativeStickyAssignor] as the assignment strategy (Kafka 3.0), so that one
 * rolling bounce that drops RangeAssignor turns on cooperative rebalancing (KIP-429).
 *
 * Cross-checks, as in Kafka:
 * - heartbeat.interval.ms must be below session.timeout.ms (the classic Heartbeat's constructor);
 * - with group.protocol=consumer, partition.assignment.strategy, session.timeout.ms and
 *   heartbeat.interval.ms cannot be set (the coordinator owns them under KIP-848); with classic,
 *   group.remote.assignor cannot be set (ConsumerConfig.checkUnsupportedConfigsPostProcess);
 * - without group.id, enable.auto.commit defaults to false, and an explicit true is an error;
 * - group.instance.id must be a legal id (JoinGroupRequest.validateGroupInstanceId).
 * Unlike Kafka, which only logs a warning, an unknown key is an error: in a scenario it is a typo.
 *
 * Left out: `auto.offset.reset=by_duration:...` (KIP-1106), `client.rack`, `check.crcs`,
 * `allow.auto.create.topics`, `exclude.internal.topics`, interceptors and deserializers.
 */

import {
  type ConfigKey,
  type ConfigKeys,
  booleanKey,
  integerKey,
  listKey,
  parseConfigKeys,
  stringKey,
  validStringKey,
} from '../util/configValues.js';

export type GroupProtocol = 'classic' | 'consumer';
export type AutoOffsetReset = 'earliest' | 'latest' | 'none';
export type IsolationLevelName = 'read_uncommitted' | 'read_committed';

/** The client-side assignors, by the protocol name each announces in JoinGroup (its `name()`). */
export type AssignorName = 'range' | 'roundrobin' | 'sticky' | 'cooperative-sticky';

/** Kafka's assignor classes and the protocol name of each. */
export const ASSIGNOR_CLASSES: ReadonlyArray<readonly [className: string, name: AssignorName]> = [
  ['org.apache.kafka.clients.consumer.RangeAssignor', 'range'],
  ['org.apache.kafka.clients.consumer.RoundRobinAssignor', 'roundrobin'],
  ['org.apache.kafka.clients.consumer.StickyAssignor', 'sticky'],
  ['org.apache.kafka.clients.consumer.CooperativeStickyAssignor', 'cooperative-sticky'],
];

export interface ConsumerConfig {
  /** group.id: null for a consumer that only assigns partitions to itself and commits nothing. */
  readonly groupId: string | null;
  /** group.instance.id: a static member's id (KIP-345), or null for a dynamic member. */
  readonly groupInstanceId: string | null;
  /** group.protocol: classic (JoinGroup/SyncGroup/Heartbeat) or consumer (KIP-848's ConsumerGroupHeartbeat). */
  readonly groupProtocol: GroupProtocol;
  /** group.remote.assignor: the coordinator's assignor under group.protocol=consumer; null lets it pick. */
  readonly groupRemoteAssignor: string | null;
  /** partition.assignment.strategy: the client-side assignors, by preference (classic protocol only). */
  readonly partitionAssignmentStrategy: readonly AssignorName[];
  /** session.timeout.ms: a member without a heartbeat this long is removed from the group. */
  readonly sessionTimeoutMs: number;
  /** heartbeat.interval.ms: how often a classic member heartbeats. */
  readonly heartbeatIntervalMs: number;
  /** max.poll.interval.ms: a member that does not poll this long leaves the group. */
  readonly maxPollIntervalMs: number;
  /** max.poll.records: the most records one poll returns. */
  readonly maxPollRecords: number;
  /** enable.auto.commit: commit the consumed positions every auto.commit.interval.ms. */
  readonly enableAutoCommit: boolean;
  readonly autoCommitIntervalMs: number;
  /** auto.offset.reset: where to start without a committed offset, or when the position is out of range. */
  readonly autoOffsetReset: AutoOffsetReset;
  readonly fetchMinBytes: number;
  readonly fetchMaxBytes: number;
  readonly fetchMaxWaitMs: number;
  readonly maxPartitionFetchBytes: number;
  readonly isolationLevel: IsolationLevelName;
  /** request.timeout.ms: how long one request may go unanswered before the connection is closed. */
  readonly requestTimeoutMs: number;
  /** default.api.timeout.ms: the bound of blocking calls without their own timeout (commitSync, ...). */
  readonly defaultApiTimeoutMs: number;
  readonly retryBackoffMs: number;
  readonly retryBackoffMaxMs: number;
  readonly reconnectBackoffMs: number;
  readonly reconnectBackoffMaxMs: number;
  readonly metadataMaxAgeMs: number;
}

export const DEFAULT_CONSUMER_CONFIG: ConsumerConfig = {
  groupId: null,
  groupInstanceId: null,
  groupProtocol: 'classic',
  groupRemoteAssignor: null,
  partitionAssignmentStrategy: ['range', 'cooperative-sticky'],
  sessionTimeoutMs: 45_000,
  heartbeatIntervalMs: 3_000,
  maxPollIntervalMs: 300_000,
  maxPollRecords: 500,
  enableAutoCommit: true,
  autoCommitIntervalMs: 5_000,
  autoOffsetReset: 'latest',
  fetchMinBytes: 1,
  fetchMaxBytes: 52_428_800,
  fetchMaxWaitMs: 500,
  maxPartitionFetchBytes: 1_048_576,
  isolationLevel: 'read_uncommitted',
  requestTimeoutMs: 30_000,
  defaultApiTimeoutMs: 60_000,
  retryBackoffMs: 100,
  retryBackoffMaxMs: 1_000,
  reconnectBackoffMs: 50,
  reconnectBackoffMaxMs: 1_000,
  metadataMaxAgeMs: 300_000,
};

/** A class name, fully qualified as Kafka wants it or simple (`RangeAssignor`), as an assignor name. */
function assignorOfClass(text: string): AssignorName | null {
  const entry = ASSIGNOR_CLASSES.find(([className]) => className === text || className.endsWith(`.${text}`));
  return entry === undefined ? null : entry[1];
}

const defaults = DEFAULT_CONSUMER_CONFIG;

/** ConsumerConfig's ConfigDef, for the keys ksim models. */
const CONSUMER_CONFIG_KEYS: ConfigKeys<ConsumerConfig> = {
  groupId: stringKey('group.id', defaults.groupId),
  groupInstanceId: stringKey('group.instance.id', defaults.groupInstanceId, { nonEmpty: true }),
  groupProtocol: validStringKey('group.protocol', defaults.groupProtocol, ['classic', 'consumer'], { caseInsensitive: true }),
  groupRemoteAssignor: stringKey('group.remote.assignor', defaults.groupRemoteAssignor),
  partitionAssignmentStrategy: listKey(
    'partition.assignment.strategy',
    defaults.partitionAssignmentStrategy,
    assignorOfClass,
    ASSIGNOR_CLASSES.map(([className]) => className).join(', '),
  ),
  sessionTimeoutMs: integerKey('session.timeout.ms', defaults.sessionTimeoutMs),
  heartbeatIntervalMs: integerKey('heartbeat.interval.ms', defaults.heartbeatIntervalMs),
  maxPollIntervalMs: integerKey('max.poll.interval.ms', defaults.maxPollIntervalMs, { min: 1 }),
  maxPollRecords: integerKey('max.poll.records', defaults.maxPollRecords, { min: 1 }),
  enableAutoCommit: booleanKey('enable.auto.commit', defaults.enableAutoCommit),
  autoCommitIntervalMs: integerKey('auto.commit.interval.ms', defaults.autoCommitIntervalMs, { min: 0 }),
  autoOffsetReset: validStringKey('auto.offset.reset', defaults.autoOffsetReset, ['latest', 'earliest', 'none']),
  fetchMinBytes: integerKey('fetch.min.bytes', defaults.fetchMinBytes, { min: 0 }),
  fetchMaxBytes: integerKey('fetch.max.bytes', defaults.fetchMaxBytes, { min: 0 }),
  fetchMaxWaitMs: integerKey('fetch.max.wait.ms', defaults.fetchMaxWaitMs, { min: 0 }),
  maxPartitionFetchBytes: integerKey('max.partition.fetch.bytes', defaults.maxPartitionFetchBytes, { min: 0 }),
  isolationLevel: validStringKey('isolation.level', defaults.isolationLevel, ['read_committed', 'read_uncommitted']),
  requestTimeoutMs: integerKey('request.timeout.ms', defaults.requestTimeoutMs, { min: 0 }),
  defaultApiTimeoutMs: integerKey('default.api.timeout.ms', defaults.defaultApiTimeoutMs, { min: 0 }),
  retryBackoffMs: integerKey('retry.backoff.ms', defaults.retryBackoffMs, { min: 0, long: true }),
  retryBackoffMaxMs: integerKey('retry.backoff.max.ms', defaults.retryBackoffMaxMs, { min: 0, long: true }),
  reconnectBackoffMs: integerKey('reconnect.backoff.ms', defaults.reconnectBackoffMs, { min: 0, long: true }),
  reconnectBackoffMaxMs: integerKey('reconnect.backoff.max.ms', defaults.reconnectBackoffMaxMs, { min: 0, long: true }),
  metadataMaxAgeMs: integerKey('metadata.max.age.ms', defaults.metadataMaxAgeMs, { min: 0, long: true }),
};

/** The consumer's config keys by Kafka name, in ConsumerConfig's order. */
export const CONSUMER_CONFIG_NAMES: readonly string[] = Object.values<ConfigKey<unknown>>(CONSUMER_CONFIG_KEYS).map((key) => key.name);

/** Keys the coordinator owns under KIP-848 (ConsumerConfig's CONSUMER_PROTOCOL_UNSUPPORTED_CONFIGS). */
const CONSUMER_PROTOCOL_UNSUPPORTED = ['partition.assignment.strategy', 'heartbeat.interval.ms', 'session.timeout.ms'];
/** Keys only KIP-848's protocol uses (CLASSIC_PROTOCOL_UNSUPPORTED_CONFIGS). */
const CLASSIC_PROTOCOL_UNSUPPORTED = ['group.remote.assignor'];

/** Kafka's limit on a group instance id's length, and its legal characters (Topic.LEGAL_CHARS). */
const GROUP_INSTANCE_ID_LENGTH_MAX = 249;
const GROUP_INSTANCE_ID_PATTERN = /^[a-zA-Z0-9._-]+$/;

export type ConsumerConfigResult = { readonly ok: true; readonly config: ConsumerConfig } | { readonly ok: false; readonly errors: readonly string[] };

export function parseConsumerConfig(properties: Readonly<Record<string, unknown>>): ConsumerConfigResult {
  const parsed = parseConfigKeys('consumer', CONSUMER_CONFIG_KEYS, properties);
  if (!parsed.ok) return parsed;
  const config = { ...parsed.config };
  const errors: string[] = [];
  const unsupported = config.groupProtocol === 'consumer' ? CONSUMER_PROTOCOL_UNSUPPORTED : CLASSIC_PROTOCOL_UNSUPPORTED;
  const setButUnsupported = unsupported.filter((name) => parsed.explicit.has(name));
  if (setButUnsupported.length > 0) errors.push(`${setButUnsupported.join(', ')} cannot be set when group.protocol=${config.groupProtocol}`);
  if (config.groupProtocol === 'classic' && config.heartbeatIntervalMs >= config.sessionTimeoutMs) {
    errors.push(`heartbeat.interval.ms (${config.heartbeatIntervalMs}) must be lower than session.timeout.ms (${config.sessionTimeoutMs})`);
  }
  if (config.groupId === null) {
    if (parsed.explicit.has('enable.auto.commit') && config.enableAutoCommit) errors.push('enable.auto.commit cannot be set to true when default group id (null) is used');
    config.enableAutoCommit = false;
  }
  const instanceId = config.groupInstanceId;
  if (instanceId !== null && (instanceId.length > GROUP_INSTANCE_ID_LENGTH_MAX || !GROUP_INSTANCE_ID_PATTERN.test(instanceId))) {
    errors.push(`group.instance.id: expected at most ${GROUP_INSTANCE_ID_LENGTH_MAX} of the characters a-z, A-Z, 0-9, '.', '_' and '-', got ${JSON.stringify(instanceId)}`);
  }
  // As in Kafka (KIP-580, KIP-144): a base backoff above its cap wins over the cap.
  if (config.retryBackoffMaxMs < config.retryBackoffMs) config.retryBackoffMaxMs = config.retryBackoffMs;
  if (config.reconnectBackoffMaxMs < config.reconnectBackoffMs) config.reconnectBackoffMaxMs = config.reconnectBackoffMs;
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, config };
}

/** Parses, or throws with every error: for callers whose config is code, not user input. */
export function consumerConfigOrThrow(properties: Readonly<Record<string, unknown>>): ConsumerConfig {
  const result = parseConsumerConfig(properties);
  if (!result.ok) throw new Error(`invalid consumer config: ${result.errors.join('; ')}`);
  return result.config;
}
