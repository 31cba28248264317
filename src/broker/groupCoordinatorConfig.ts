/**
 * The group coordinator's configuration (Kafka's GroupCoordinatorConfig and the `offsets.topic.*`
 * settings of the group metadata topic), under Kafka 4's names and real defaults, validated as
 * Kafka's ConfigDef and the GroupCoordinatorConfig constructor validate them: each value against
 * its own bound, then the cross-checks between values. A bad value is a configuration error at
 * construction, never during a run.
 *
 * One default departs from Kafka's: `offsets.topic.num.partitions` is 5 here, not 50. A simulated
 * cluster pays for every partition of `__consumer_offsets` on every broker (a log, a replica, an
 * entry in every fetch, ISR and flush checks), and 50 made a quiet three-broker cluster run about
 * three times slower than without the topic, where 5 costs about half again (docs/decisions.md);
 * the count changes which broker coordinates which group, and nothing a group sees. A scenario
 * sets 50 to match a real cluster. Every other default is Kafka 4's.
 *
 * Left out: offsets.retention.minutes and offsets.retention.check.interval.ms (committed offsets
 * never expire in a run), offsets.load.buffer.size (loading reads the whole log at once),
 * group.consumer.migration.policy (no online migration between the classic and consumer protocols:
 * a non-empty group keeps its protocol), group.consumer.regex.refresh.interval.ms (no regular
 * expression subscriptions), and the share-group and streams-group settings.
 */
import { parseConfigFields } from '../util/configValues.js';

export type GroupProtocol = 'classic' | 'consumer';

/** The server-side assignors of the consumer protocol (KIP-848), by the names clients ask for. */
export type ServerAssignorName = 'uniform' | 'range';

export interface GroupCoordinatorConfig {
  /** offsets.topic.num.partitions: partitions of `__consumer_offsets`, fixed when it is created. */
  readonly offsetsTopicNumPartitions: number;
  /** offsets.topic.replication.factor */
  readonly offsetsTopicReplicationFactor: number;
  /** offsets.topic.segment.bytes: the topic's segment.bytes. */
  readonly offsetsTopicSegmentBytes: number;
  /** offsets.commit.timeout.ms: how long a coordinator write may wait to be committed. */
  readonly offsetsCommitTimeoutMs: number;
  /** offset.metadata.max.bytes: the longest metadata string an offset commit may carry. */
  readonly offsetMetadataMaxBytes: number;
  /** group.coordinator.rebalance.protocols: the protocols this cluster serves; classic always. */
  readonly rebalanceProtocols: readonly GroupProtocol[];
  /** group.min.session.timeout.ms (classic) */
  readonly classicGroupMinSessionTimeoutMs: number;
  /** group.max.session.timeout.ms (classic) */
  readonly classicGroupMaxSessionTimeoutMs: number;
  /** group.initial.rebalance.delay.ms: how long a new classic group waits for more members. */
  readonly classicGroupInitialRebalanceDelayMs: number;
  /** group.max.size (classic) */
  readonly classicGroupMaxSize: number;
  /** group.consumer.session.timeout.ms */
  readonly consumerGroupSessionTimeoutMs: number;
  /** group.consumer.min.session.timeout.ms */
  readonly consumerGroupMinSessionTimeoutMs: number;
  /** group.consumer.max.session.timeout.ms */
  readonly consumerGroupMaxSessionTimeoutMs: number;
  /** group.consumer.heartbeat.interval.ms */
  readonly consumerGroupHeartbeatIntervalMs: number;
  /** group.consumer.min.heartbeat.interval.ms */
  readonly consumerGroupMinHeartbeatIntervalMs: number;
  /** group.consumer.max.heartbeat.interval.ms */
  readonly consumerGroupMaxHeartbeatIntervalMs: number;
  /** group.consumer.max.size */
  readonly consumerGroupMaxSize: number;
  /** group.consumer.assignors: the first is the default when no member names one. */
  readonly consumerGroupAssignors: readonly ServerAssignorName[];
  /** The legacy switch ksim.legacy.commit.without.member.epoch (src/broker/config.ts), set by the broker's config. */
  readonly commitWithoutMemberEpoch: boolean;
  /** The legacy switch ksim.legacy.commit.without.generation (src/broker/config.ts), set by the broker's config. */
  readonly commitWithoutGeneration: boolean;
  /** The legacy switch ksim.legacy.txn.offset.commit.without.group.metadata (src/broker/config.ts), set by the broker's config. */
  readonly txnOffsetCommitWithoutGroupMetadata: boolean;
}

/** Java's Integer.MAX_VALUE, Kafka's "no limit" for group sizes. */
const INT32_MAX = 2_147_483_647;

export const DEFAULT_GROUP_COORDINATOR_CONFIG: GroupCoordinatorConfig = {
  offsetsTopicNumPartitions: 5,
  offsetsTopicReplicationFactor: 3,
  offsetsTopicSegmentBytes: 104_857_600,
  offsetsCommitTimeoutMs: 5_000,
  offsetMetadataMaxBytes: 4_096,
  rebalanceProtocols: ['classic', 'consumer'],
  classicGroupMinSessionTimeoutMs: 6_000,
  classicGroupMaxSessionTimeoutMs: 1_800_000,
  classicGroupInitialRebalanceDelayMs: 3_000,
  classicGroupMaxSize: INT32_MAX,
  consumerGroupSessionTimeoutMs: 45_000,
  consumerGroupMinSessionTimeoutMs: 45_000,
  consumerGroupMaxSessionTimeoutMs: 60_000,
  consumerGroupHeartbeatIntervalMs: 5_000,
  consumerGroupMinHeartbeatIntervalMs: 5_000,
  consumerGroupMaxHeartbeatIntervalMs: 15_000,
  consumerGroupMaxSize: INT32_MAX,
  consumerGroupAssignors: ['uniform', 'range'],
  commitWithoutMemberEpoch: false,
  commitWithoutGeneration: false,
  txnOffsetCommitWithoutGroupMetadata: false,
};

type IntField = Exclude<keyof GroupCoordinatorConfig, 'rebalanceProtocols' | 'consumerGroupAssignors' | 'commitWithoutMemberEpoch' | 'commitWithoutGeneration' | 'txnOffsetCommitWithoutGroupMetadata'>;

/** Each integer config's Kafka key. */
const INT_CONFIG_KEYS: Readonly<Record<IntField, string>> = {
  offsetsTopicNumPartitions: 'offsets.topic.num.partitions',
  offsetsTopicReplicationFactor: 'offsets.topic.replication.factor',
  offsetsTopicSegmentBytes: 'offsets.topic.segment.bytes',
  offsetsCommitTimeoutMs: 'offsets.commit.timeout.ms',
  offsetMetadataMaxBytes: 'offset.metadata.max.bytes',
  classicGroupMinSessionTimeoutMs: 'group.min.session.timeout.ms',
  classicGroupMaxSessionTimeoutMs: 'group.max.session.timeout.ms',
  classicGroupInitialRebalanceDelayMs: 'group.initial.rebalance.delay.ms',
  classicGroupMaxSize: 'group.max.size',
  consumerGroupSessionTimeoutMs: 'group.consumer.session.timeout.ms',
  consumerGroupMinSessionTimeoutMs: 'group.consumer.min.session.timeout.ms',
  consumerGroupMaxSessionTimeoutMs: 'group.consumer.max.session.timeout.ms',
  consumerGroupHeartbeatIntervalMs: 'group.consumer.heartbeat.interval.ms',
  consumerGroupMinHeartbeatIntervalMs: 'group.consumer.min.heartbeat.interval.ms',
  consumerGroupMaxHeartbeatIntervalMs: 'group.consumer.max.heartbeat.interval.ms',
  consumerGroupMaxSize: 'group.consumer.max.size',
};

/** The least value each ConfigDef validator accepts (atLeast); the rest are atLeast(1). */
const LEAST_VALUES: Readonly<Record<string, number>> = {
  'offset.metadata.max.bytes': 0,
  'group.min.session.timeout.ms': 0,
  'group.max.session.timeout.ms': 0,
  'group.initial.rebalance.delay.ms': 0,
};

const REBALANCE_PROTOCOLS_KEY = 'group.coordinator.rebalance.protocols';
const ASSIGNORS_KEY = 'group.consumer.assignors';

/** Kafka's class names of its server-side assignors, accepted beside the short names. */
const ASSIGNOR_CLASS_NAMES: Readonly<Record<string, ServerAssignorName>> = {
  'org.apache.kafka.coordinator.group.assignor.UniformAssignor': 'uniform',
  'org.apache.kafka.coordinator.group.assignor.RangeAssignor': 'range',
};

/** Every key this file reads, for a scenario schema to accept. */
export const GROUP_COORDINATOR_CONFIG_KEYS: readonly string[] = [...Object.values(INT_CONFIG_KEYS), REBALANCE_PROTOCOLS_KEY, ASSIGNORS_KEY];

/** Parses Kafka-named keys over Kafka's defaults; unknown keys are left to the broker's other parts. */
export function parseGroupCoordinatorConfig(properties: Readonly<Record<string, unknown>>): GroupCoordinatorConfig {
  const { rebalanceProtocols: _protocols, consumerGroupAssignors: _assignors, commitWithoutMemberEpoch: _memberEpochSwitch, commitWithoutGeneration: _generationSwitch, txnOffsetCommitWithoutGroupMetadata: _transactionalSwitch, ...intDefaults } = DEFAULT_GROUP_COORDINATOR_CONFIG;
  const ints = parseConfigFields(intDefaults, INT_CONFIG_KEYS, properties, (key, value) => parseIntAtLeast(key, value, LEAST_VALUES[key] ?? 1));
  const config: { -readonly [K in keyof GroupCoordinatorConfig]: GroupCoordinatorConfig[K] } = { ...DEFAULT_GROUP_COORDINATOR_CONFIG, ...(ints as Record<IntField, number>) };
  if (properties[REBALANCE_PROTOCOLS_KEY] !== undefined) config.rebalanceProtocols = parseRebalanceProtocols(properties[REBALANCE_PROTOCOLS_KEY]);
  if (properties[ASSIGNORS_KEY] !== undefined) config.consumerGroupAssignors = parseAssignors(properties[ASSIGNORS_KEY]);
  checkRelations(config);
  return config;
}

/** The GroupCoordinatorConfig constructor's cross-checks, with Kafka's messages. */
function checkRelations(config: GroupCoordinatorConfig): void {
  const require = (holds: boolean, message: string) => {
    if (!holds) throw new Error(message);
  };
  require(config.classicGroupMaxSessionTimeoutMs >= config.classicGroupMinSessionTimeoutMs, 'group.max.session.timeout.ms must be greater than or equal to group.min.session.timeout.ms');
  require(config.consumerGroupMaxHeartbeatIntervalMs >= config.consumerGroupMinHeartbeatIntervalMs, 'group.consumer.max.heartbeat.interval.ms must be greater than or equal to group.consumer.min.heartbeat.interval.ms');
  require(config.consumerGroupHeartbeatIntervalMs >= config.consumerGroupMinHeartbeatIntervalMs, 'group.consumer.heartbeat.interval.ms must be greater than or equal to group.consumer.min.heartbeat.interval.ms');
  require(config.consumerGroupHeartbeatIntervalMs <= config.consumerGroupMaxHeartbeatIntervalMs, 'group.consumer.heartbeat.interval.ms must be less than or equal to group.consumer.max.heartbeat.interval.ms');
  require(config.consumerGroupMaxSessionTimeoutMs >= config.consumerGroupMinSessionTimeoutMs, 'group.consumer.max.session.timeout.ms must be greater than or equal to group.consumer.min.session.timeout.ms');
  require(config.consumerGroupSessionTimeoutMs >= config.consumerGroupMinSessionTimeoutMs, 'group.consumer.session.timeout.ms must be greater than or equal to group.consumer.min.session.timeout.ms');
  require(config.consumerGroupSessionTimeoutMs <= config.consumerGroupMaxSessionTimeoutMs, 'group.consumer.session.timeout.ms must be less than or equal to group.consumer.max.session.timeout.ms');
  require(config.consumerGroupHeartbeatIntervalMs < config.consumerGroupSessionTimeoutMs, 'group.consumer.heartbeat.interval.ms must be less than group.consumer.session.timeout.ms');
}

function parseIntAtLeast(key: string, value: unknown, least: number): number {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isSafeInteger(number) || number < least || number > INT32_MAX) {
    throw new Error(`Invalid value ${JSON.stringify(value)} for configuration ${key}: must be an integer from ${least} to ${INT32_MAX}`);
  }
  return number;
}

/** A LIST config: a comma-separated string (as in a .properties file) or an array. */
function parseList(key: string, value: unknown): string[] {
  const items = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : null;
  if (items === null || items.some((item) => typeof item !== 'string')) throw new Error(`Invalid value ${JSON.stringify(value)} for configuration ${key}: must be a comma-separated list`);
  return (items as string[]).map((item) => item.trim()).filter((item) => item !== '');
}

function parseRebalanceProtocols(value: unknown): GroupProtocol[] {
  const protocols = parseList(REBALANCE_PROTOCOLS_KEY, value);
  for (const protocol of protocols) {
    if (protocol !== 'classic' && protocol !== 'consumer') {
      throw new Error(`Invalid value ${protocol} for configuration ${REBALANCE_PROTOCOLS_KEY}: String must be one of: classic, consumer`);
    }
  }
  if (!protocols.includes('classic')) throw new Error(`Disabling the 'classic' protocol is not supported (${REBALANCE_PROTOCOLS_KEY}).`);
  return [...new Set(protocols)] as GroupProtocol[];
}

function parseAssignors(value: unknown): ServerAssignorName[] {
  const names = parseList(ASSIGNORS_KEY, value).map((name) => {
    const assignor = name === 'uniform' || name === 'range' ? name : ASSIGNOR_CLASS_NAMES[name];
    if (assignor === undefined) throw new Error(`Invalid value ${name} for configuration ${ASSIGNORS_KEY}: ksim's server-side assignors are uniform and range`);
    return assignor;
  });
  if (names.length === 0) throw new Error(`Invalid value for configuration ${ASSIGNORS_KEY}: at least one assignor is required`);
  return [...new Set(names)];
}

