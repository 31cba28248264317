/**
 * The broker's configuration: Kafka's names and real defaults, plus ksim's legacy switches, each of
 * which restores the behaviour before one historical fix so a learner (and the checker's own
 * tests) can see what the fix prevents.
 */
import { DEFAULT_LOG_CONFIG, type LogConfig, resolveLogConfig } from '../log/config.js';
import { parseConfigFields, parsePositiveInt } from '../util/configValues.js';
import { DEFAULT_GROUP_COORDINATOR_CONFIG, type GroupCoordinatorConfig, parseGroupCoordinatorConfig } from './groupCoordinatorConfig.js';
import { DEFAULT_TRANSACTION_COORDINATOR_CONFIG, parseTransactionCoordinatorConfig, type TransactionCoordinatorConfig } from './transactionCoordinatorConfig.js';


export interface BrokerConfig {
  /** replica.lag.time.max.ms: a follower that has not caught up for this long leaves the ISR. */
  readonly replicaLagTimeMaxMs: number;
  /** replica.fetch.wait.max.ms: how long the leader may hold a follower's fetch for new data. */
  readonly replicaFetchWaitMaxMs: number;
  /** replica.fetch.max.bytes */
  readonly replicaFetchMaxBytes: number;
  /** replica.fetch.backoff.ms: the pause after a fetch error. */
  readonly replicaFetchBackoffMs: number;
  /** replica.socket.timeout.ms: a fetch unanswered this long is abandoned and retried. */
  readonly replicaSocketTimeoutMs: number;
  /** broker.heartbeat.interval.ms */
  readonly brokerHeartbeatIntervalMs: number;
  /** min.insync.replicas: the broker's default for the topic config of that name (defaultLogConfig). */
  readonly minInsyncReplicas: number;
  /** The legacy switches, all off by default. */
  readonly legacy: LegacySwitches;
  /** The group coordinator's settings (groupCoordinatorConfig.ts). */
  readonly groupCoordinator: GroupCoordinatorConfig;
  /** The transaction coordinator's settings (transactionCoordinatorConfig.ts). */
  readonly transactionCoordinator: TransactionCoordinatorConfig;
}

export interface LegacySwitches {
  /**
   * ksim.legacy.truncate.to.high.watermark: a new follower truncates its log to its high watermark
   * instead of finding the divergence point by leader epoch — the behaviour KIP-101 replaced.
   */
  readonly truncateToHighWatermark: boolean;
  /**
   * ksim.legacy.epoch.lookup.without.epoch: the leader answers a follower's epoch lookup with an end
   * offset alone (OffsetsForLeaderEpoch v0), and the follower truncates to it once, on becoming a
   * follower, without checking which epoch the offset belongs to — what KIP-279 (KAFKA-6361) fixed
   * for fast consecutive leader changes.
   */
  readonly epochLookupWithoutEpoch: boolean;
  /**
   * ksim.legacy.no.leader.epoch.fencing: fetching as before KIP-320 (Kafka 2.0). Fetches carry no
   * leader epoch, so a leader cannot refuse a follower with stale metadata, and the follower checks
   * its log against the leader's only once, on becoming a follower (the per-fetch check of Kafka
   * 2.7, KAFKA-10554, rests on KIP-320's epochs). A follower that missed leader changes goes on
   * appending after a tail the leader has since truncated.
   */
  readonly noLeaderEpochFencing: boolean;
  /**
   * ksim.legacy.isr.join.without.epoch.start.offset: a follower rejoins the ISR once it reaches the
   * high watermark, even below the leader's epoch start offset (KAFKA-7128).
   */
  readonly isrJoinWithoutEpochStartOffset: boolean;
  /**
   * ksim.legacy.hw.advances.below.min.isr: the high watermark advances even while the ISR is
   * smaller than min.insync.replicas (KAFKA-15583).
   */
  readonly highWatermarkAdvancesBelowMinIsr: boolean;
  /**
   * ksim.legacy.hw.over.committed.isr: the leader's high watermark is the smallest log end offset of
   * the committed ISR alone, as before KIP-497's maximal ISR: a replica an AlterPartition in flight
   * is adding (and a caught-up follower outside the ISR, KAFKA-4485) is not waited for, so the
   * controller may commit into the ISR a replica below the high watermark.
   */
  readonly highWatermarkOverCommittedIsr: boolean;
  /**
   * ksim.legacy.fetch.without.broker.epoch: a follower's Fetch carries no broker epoch (-1), as
   * before KIP-903, so neither the leader nor the controller can tell a fetch state left by the
   * replica's previous incarnation: a replica that restarted with an empty disk can be taken into
   * the ISR on the strength of what its old self had fetched.
   */
  readonly fetchWithoutBrokerEpoch: boolean;
  /**
   * ksim.legacy.commit.without.member.epoch: the group coordinator takes a consumer group's
   * OffsetCommit without checking the member id and epoch it names — the fencing KIP-848 gave
   * OffsetCommit v9 (STALE_MEMBER_EPOCH, UNKNOWN_MEMBER_ID), as the classic protocol's generation
   * check does for JoinGroup members — so a member the coordinator already fenced commits anyway.
   */
  readonly commitWithoutMemberEpoch: boolean;
  /**
   * ksim.legacy.commit.without.generation: the group coordinator takes a classic group's
   * OffsetCommit without checking the member id and generation it names (UNKNOWN_MEMBER_ID,
   * ILLEGAL_GENERATION, FENCED_INSTANCE_ID, REBALANCE_IN_PROGRESS) — the blind commit KAFKA-2596
   * (apache/kafka#267) ended, there for groups the first 0.9 coordinator had forgotten, here for the
   * groups it knows, since ksim never forgets one outside an allowed state loss — so a member
   * already rebalanced out of the group commits anyway. TxnOffsetCommit keeps its checks.
   */
  readonly commitWithoutGeneration: boolean;
  /**
   * ksim.legacy.txn.offset.commit.without.group.metadata: the group coordinator takes a
   * TxnOffsetCommit without checking the member id, group.instance.id and generation it names, as
   * before KIP-447 (Kafka 2.5), when the request carried none: a pipeline instance that lost its
   * partitions in a rebalance still commits their offsets in its transaction.
   */
  readonly txnOffsetCommitWithoutGroupMetadata: boolean;
  /**
   * ksim.legacy.lso.reads.high.watermark.twice: a leader computes a read_committed fetch's upper
   * bound as Kafka did before KAFKA-9807 (fixed in 2.5.1 and 2.6): it checks the first unstable
   * offset against the high watermark, then reads the high watermark again for the bound, so a
   * high watermark update between the two reads lets the fetch return an open transaction's
   * records, above the last stable offset.
   */
  readonly lastStableOffsetReadsHighWatermarkTwice: boolean;
  /**
   * ksim.legacy.no.producer.epoch.fencing: a partition leader takes a client's batch whatever its
   * producer epoch — ProducerAppendInfo's checkProducerEpoch for data batches, the partition's half
   * of KIP-98's zombie fencing (INVALID_PRODUCER_EPOCH), is off — so a producer the coordinator has
   * fenced by bumping its epoch still writes, into a transaction the coordinator never heard of.
   * The sequence check stays as Kafka's (an epoch other than the current one starts at sequence 0);
   * markers and the coordinator's own writes stay fenced, and so does the coordinator.
   */
  readonly noProducerEpochFencing: boolean;
}

export const DEFAULT_LEGACY_SWITCHES: LegacySwitches = {
  truncateToHighWatermark: false,
  epochLookupWithoutEpoch: false,
  noLeaderEpochFencing: false,
  isrJoinWithoutEpochStartOffset: false,
  highWatermarkAdvancesBelowMinIsr: false,
  highWatermarkOverCommittedIsr: false,
  fetchWithoutBrokerEpoch: false,
  commitWithoutMemberEpoch: false,
  commitWithoutGeneration: false,
  txnOffsetCommitWithoutGroupMetadata: false,
  lastStableOffsetReadsHighWatermarkTwice: false,
  noProducerEpochFencing: false,
};

export const DEFAULT_BROKER_CONFIG: BrokerConfig = {
  replicaLagTimeMaxMs: 30_000,
  replicaFetchWaitMaxMs: 500,
  replicaFetchMaxBytes: 1_048_576,
  replicaFetchBackoffMs: 1_000,
  replicaSocketTimeoutMs: 30_000,
  brokerHeartbeatIntervalMs: 2_000,
  minInsyncReplicas: 1,
  legacy: DEFAULT_LEGACY_SWITCHES,
  groupCoordinator: DEFAULT_GROUP_COORDINATOR_CONFIG,
  transactionCoordinator: DEFAULT_TRANSACTION_COORDINATOR_CONFIG,
};

export const BROKER_CONFIG_KEYS = {
  replicaLagTimeMaxMs: 'replica.lag.time.max.ms',
  replicaFetchWaitMaxMs: 'replica.fetch.wait.max.ms',
  replicaFetchMaxBytes: 'replica.fetch.max.bytes',
  replicaFetchBackoffMs: 'replica.fetch.backoff.ms',
  replicaSocketTimeoutMs: 'replica.socket.timeout.ms',
  brokerHeartbeatIntervalMs: 'broker.heartbeat.interval.ms',
  minInsyncReplicas: 'min.insync.replicas',
} as const satisfies Record<Exclude<keyof BrokerConfig, 'legacy' | 'groupCoordinator' | 'transactionCoordinator'>, string>;

export const LEGACY_SWITCH_KEYS = {
  truncateToHighWatermark: 'ksim.legacy.truncate.to.high.watermark',
  epochLookupWithoutEpoch: 'ksim.legacy.epoch.lookup.without.epoch',
  noLeaderEpochFencing: 'ksim.legacy.no.leader.epoch.fencing',
  isrJoinWithoutEpochStartOffset: 'ksim.legacy.isr.join.without.epoch.start.offset',
  highWatermarkAdvancesBelowMinIsr: 'ksim.legacy.hw.advances.below.min.isr',
  highWatermarkOverCommittedIsr: 'ksim.legacy.hw.over.committed.isr',
  fetchWithoutBrokerEpoch: 'ksim.legacy.fetch.without.broker.epoch',
  commitWithoutMemberEpoch: 'ksim.legacy.commit.without.member.epoch',
  commitWithoutGeneration: 'ksim.legacy.commit.without.generation',
  txnOffsetCommitWithoutGroupMetadata: 'ksim.legacy.txn.offset.commit.without.group.metadata',
  lastStableOffsetReadsHighWatermarkTwice: 'ksim.legacy.lso.reads.high.watermark.twice',
  noProducerEpochFencing: 'ksim.legacy.no.producer.epoch.fencing',
} as const satisfies Record<keyof LegacySwitches, string>;

/**
 * Before Kafka 2.7 a follower checked its log against the leader's once, on becoming a follower,
 * then fetched by offset alone; the legacy switches that restore pre-2.7 behaviour restore that too.
 */
export function truncatesOnlyOnBecomingFollower(legacy: LegacySwitches): boolean {
  return legacy.epochLookupWithoutEpoch || legacy.noLeaderEpochFencing;
}

/** Parses Kafka-named keys (numbers or numeric strings; booleans or "true"/"false"); unknown keys are left to others. */
export function parseBrokerConfig(properties: Readonly<Record<string, unknown>>): BrokerConfig {
  const { legacy: _legacy, groupCoordinator: _groupCoordinator, transactionCoordinator: _transactionCoordinator, ...numberDefaults } = DEFAULT_BROKER_CONFIG;
  const numbers = parseConfigFields(numberDefaults, BROKER_CONFIG_KEYS, properties, parsePositiveInt);
  const legacy = parseConfigFields(DEFAULT_LEGACY_SWITCHES, LEGACY_SWITCH_KEYS, properties, parsePositiveInt) as unknown as LegacySwitches;
  // The group coordinator gets only its own config, so the switches it obeys are copied into it.
  const { commitWithoutMemberEpoch, commitWithoutGeneration, txnOffsetCommitWithoutGroupMetadata } = legacy;
  return {
    ...(numbers as Omit<BrokerConfig, 'legacy' | 'groupCoordinator' | 'transactionCoordinator'>),
    legacy,
    groupCoordinator: { ...parseGroupCoordinatorConfig(properties), commitWithoutMemberEpoch, commitWithoutGeneration, txnOffsetCommitWithoutGroupMetadata },
    transactionCoordinator: parseTransactionCoordinatorConfig(properties),
  };
}

/**
 * The broker's default LogConfig, which a topic's own configs override (resolveLogConfig): Kafka's
 * log defaults as this cluster sets them, and min.insync.replicas from the broker's own config —
 * in Kafka a broker config whose value is the default of the topic config of the same name. The
 * broker's value is the default even when the log defaults name one too.
 */
export function defaultLogConfig(config: BrokerConfig, logDefaults: Readonly<Record<string, unknown>>): LogConfig {
  return { ...resolveLogConfig(DEFAULT_LOG_CONFIG, logDefaults), minInsyncReplicas: config.minInsyncReplicas };
}
