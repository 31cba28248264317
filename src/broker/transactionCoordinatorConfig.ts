/**
 * The transaction coordinator's configuration (Kafka's TransactionStateManagerConfig,
 * TransactionLogConfig and the `transaction.version` feature), under Kafka 4's names and defaults,
 * validated as ConfigDef does: each value against its bound, a bad value a configuration error at
 * construction.
 *
 * One default departs from Kafka's, for the reason `offsets.topic.num.partitions` does
 * (docs/decisions.md): `transaction.state.log.num.partitions` is 5 here, not 50. Every partition of
 * `__transaction_state` costs every broker a log, a replica and fetches; the count only decides
 * which broker coordinates which transactional id. A scenario sets 50 to match Kafka.
 *
 * `transaction.version` is a finalized feature in Kafka (KIP-1022, set with kafka-features); here
 * it is a broker setting, the same on every broker of a run. Kafka 4.0 finalizes 2 on a new
 * cluster, and so does ksim.
 *
 * `transaction.partition.verification.enable` (TransactionLogConfig; default true) turns KIP-890
 * part 1's verification off for transaction version 1 only: a transaction version 2 produce adds its
 * partition through the same call, so Kafka verifies it whatever the key says (ReplicaManager's
 * maybeSendPartitionsToTransactionCoordinator skips only when neither holds). Off under version 1 it
 * restores the broker before KAFKA-14402 (Kafka 3.6), whose late writes hang transactions.
 *
 * Left out: transactional.id.expiration.ms and its cleanup (ids never expire in a run),
 * transaction.state.log.load.buffer.size.
 */
import type { TransactionVersion } from '../protocol/apis.js';
import { parseConfigFields } from '../util/configValues.js';

export interface TransactionCoordinatorConfig {
  /** transaction.state.log.num.partitions */
  readonly transactionStateLogNumPartitions: number;
  /** transaction.state.log.replication.factor */
  readonly transactionStateLogReplicationFactor: number;
  /** transaction.state.log.min.isr: the topic's min.insync.replicas. */
  readonly transactionStateLogMinIsr: number;
  /** transaction.state.log.segment.bytes */
  readonly transactionStateLogSegmentBytes: number;
  /** transaction.max.timeout.ms: the longest transaction.timeout.ms a producer may ask for. */
  readonly transactionMaxTimeoutMs: number;
  /** transaction.abort.timed.out.transaction.cleanup.interval.ms: how often timed-out transactions are looked for. */
  readonly transactionAbortTimedOutTransactionCleanupIntervalMs: number;
  /** transaction.version (a feature in Kafka): 1 or 2. */
  readonly transactionVersion: TransactionVersion;
  /** transaction.partition.verification.enable: KIP-890 part 1 under transaction version 1 (version 2 always verifies). */
  readonly transactionPartitionVerificationEnable: boolean;
}

export const DEFAULT_TRANSACTION_COORDINATOR_CONFIG: TransactionCoordinatorConfig = {
  transactionStateLogNumPartitions: 5,
  transactionStateLogReplicationFactor: 3,
  transactionStateLogMinIsr: 2,
  transactionStateLogSegmentBytes: 104_857_600,
  transactionMaxTimeoutMs: 900_000,
  transactionAbortTimedOutTransactionCleanupIntervalMs: 10_000,
  transactionVersion: 2,
  transactionPartitionVerificationEnable: true,
};

const CONFIG_KEYS: Readonly<Record<keyof TransactionCoordinatorConfig, string>> = {
  transactionStateLogNumPartitions: 'transaction.state.log.num.partitions',
  transactionStateLogReplicationFactor: 'transaction.state.log.replication.factor',
  transactionStateLogMinIsr: 'transaction.state.log.min.isr',
  transactionStateLogSegmentBytes: 'transaction.state.log.segment.bytes',
  transactionMaxTimeoutMs: 'transaction.max.timeout.ms',
  transactionAbortTimedOutTransactionCleanupIntervalMs: 'transaction.abort.timed.out.transaction.cleanup.interval.ms',
  transactionVersion: 'transaction.version',
  transactionPartitionVerificationEnable: 'transaction.partition.verification.enable',
};

/** Every key this file reads, for a scenario schema to accept. */
export const TRANSACTION_COORDINATOR_CONFIG_KEYS: readonly string[] = Object.values(CONFIG_KEYS);

const INT32_MAX = 2_147_483_647;

/** Parses Kafka-named keys over Kafka's defaults; unknown keys are left to the broker's other parts. */
export function parseTransactionCoordinatorConfig(properties: Readonly<Record<string, unknown>>): TransactionCoordinatorConfig {
  const fields = parseConfigFields(DEFAULT_TRANSACTION_COORDINATOR_CONFIG, CONFIG_KEYS, properties, (key, value) => {
    const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    const least = 1;
    const most = key === 'transaction.version' ? 2 : INT32_MAX;
    if (typeof number !== 'number' || !Number.isSafeInteger(number) || number < least || number > most) {
      throw new Error(`Invalid value ${JSON.stringify(value)} for configuration ${key}: must be an integer from ${least} to ${most}`);
    }
    return number;
  });
  return fields as unknown as TransactionCoordinatorConfig;
}

/**
 * Does a partition leader verify a transaction's first append with its coordinator (KIP-890 part
 * 1)? Always under transaction version 2, where the same call adds the partition; under version 1
 * as transaction.partition.verification.enable says.
 */
export function verifiesTransactionPartitions(config: TransactionCoordinatorConfig): boolean {
  return config.transactionVersion === 2 || config.transactionPartitionVerificationEnable;
}
