/**
 * The producer's configuration under Kafka's own names (ProducerConfig), with Kafka's defaults and
 * the cross-checks KafkaProducer applies at construction.
 *
 * What it models: `acks`, `enable.idempotence`, `max.in.flight.requests.per.connection`, `retries`,
 * `delivery.timeout.ms`, `request.timeout.ms`, `linger.ms`, `batch.size`, `retry.backoff.ms`,
 * `retry.backoff.max.ms`, `metadata.max.age.ms`, `max.block.ms` and `partitioner.ignore.keys`.
 * Defaults are Kafka 4.0's: the idempotent producer with acks=all is the default since 3.0 (KIP-679),
 * and linger.ms is 5 since 4.0 (KIP-1030; it was 0 before).
 *
 * Parsing returns errors as data (a scenario file is user input), never throws. As in Kafka:
 * - an explicit `enable.idempotence=true` with acks≠all, retries=0 or more than 5 requests in flight
 *   is a config error, while the *default* idempotence is quietly switched off by such settings
 *   (KAFKA-13598: Kafka 3.0.0 rejected them and broke every acks=1 user on upgrade);
 * - an explicit `delivery.timeout.ms` below `linger.ms + request.timeout.ms` is an error, while the
 *   default is raised to that sum.
 * Unlike Kafka, which only logs a warning, an unknown key is an error: in a scenario it is a typo.
 *
 * `transactional.id` makes a transactional producer (idempotence is then required: an explicit
 * enable.idempotence=false, or settings that forbid it, are a config error), with
 * `transaction.timeout.ms` (60000), after which the coordinator aborts an open transaction.
 *
 * Left out: `max.request.size`, `buffer.memory`, `compression.type` and `partitioner.adaptive.partitioning.*`.
 */

import type { Acks } from '../protocol/apis.js';
import { type ConfigKey, type ConfigKeys, booleanKey, integerKey, integerOrNull, parseConfigKeys, stringKey } from '../util/configValues.js';

export interface ProducerConfig {
  /** acks: -1 (all, the default since 3.0), 1 (the leader's append) or 0 (no response at all). */
  readonly acks: Acks;
  /** enable.idempotence: producer ids and per-partition sequence numbers (KIP-98). */
  readonly enableIdempotence: boolean;
  /** max.in.flight.requests.per.connection: unanswered Produce requests per broker. */
  readonly maxInFlightRequestsPerConnection: number;
  /** retries: Kafka's default is Integer.MAX_VALUE; ksim uses Number.MAX_SAFE_INTEGER (unbounded, in effect). */
  readonly retries: number;
  /** delivery.timeout.ms: the upper bound from send() to the callback, retries included. */
  readonly deliveryTimeoutMs: number;
  /** request.timeout.ms: how long one request may go unanswered before the connection is closed. */
  readonly requestTimeoutMs: number;
  /** linger.ms: how long a batch waits for more records before it is ready. */
  readonly lingerMs: number;
  /** batch.size: a batch is full once it holds this many bytes (a batch takes at least one record). */
  readonly batchSize: number;
  /** retry.backoff.ms: the first pause before a retry. */
  readonly retryBackoffMs: number;
  /** retry.backoff.max.ms: the cap of the exponential retry backoff (KIP-580). */
  readonly retryBackoffMaxMs: number;
  /** metadata.max.age.ms: metadata is refreshed at least this often. */
  readonly metadataMaxAgeMs: number;
  /** max.block.ms: how long a send may wait for the topic's metadata before it fails. */
  readonly maxBlockMs: number;
  /** partitioner.ignore.keys: spread keyed records like unkeyed ones (KIP-794). */
  readonly partitionerIgnoreKeys: boolean;
  /** transactional.id: null for a producer without transactions. */
  readonly transactionalId: string | null;
  /** transaction.timeout.ms: how long the coordinator lets a transaction stay open. */
  readonly transactionTimeoutMs: number;
}

/** Kafka's cap on in-flight requests for which the broker keeps batch metadata (KAFKA-5494). */
export const IDEMPOTENCE_MAX_IN_FLIGHT_MAX = 5;

export const DEFAULT_PRODUCER_CONFIG: ProducerConfig = {
  acks: -1,
  enableIdempotence: true,
  maxInFlightRequestsPerConnection: 5,
  retries: Number.MAX_SAFE_INTEGER,
  deliveryTimeoutMs: 120_000,
  requestTimeoutMs: 30_000,
  lingerMs: 5,
  batchSize: 16_384,
  retryBackoffMs: 100,
  retryBackoffMaxMs: 1_000,
  metadataMaxAgeMs: 300_000,
  maxBlockMs: 60_000,
  partitionerIgnoreKeys: false,
  transactionalId: null,
  transactionTimeoutMs: 60_000,
};

export type ProducerConfigResult = { readonly ok: true; readonly config: ProducerConfig } | { readonly ok: false; readonly errors: readonly string[] };

/** Kafka's acks: "all", -1, 0 or 1. */
const ACKS_KEY: ConfigKey<Acks> = {
  name: 'acks',
  defaultValue: -1,
  parse(value) {
    const number = value === 'all' ? -1 : integerOrNull(value);
    return number === -1 || number === 0 || number === 1 ? { ok: true, value: number } : { ok: false, allowed: 'all, -1, 0 or 1' };
  },
};

/** Each setting under Kafka's name, with its smallest legal value (ProducerConfig's ConfigDef). */
const PRODUCER_CONFIG_KEYS: ConfigKeys<ProducerConfig> = {
  acks: ACKS_KEY,
  enableIdempotence: booleanKey('enable.idempotence', DEFAULT_PRODUCER_CONFIG.enableIdempotence),
  maxInFlightRequestsPerConnection: integerKey('max.in.flight.requests.per.connection', DEFAULT_PRODUCER_CONFIG.maxInFlightRequestsPerConnection, { min: 1, long: true }),
  retries: integerKey('retries', DEFAULT_PRODUCER_CONFIG.retries, { min: 0, long: true }),
  deliveryTimeoutMs: integerKey('delivery.timeout.ms', DEFAULT_PRODUCER_CONFIG.deliveryTimeoutMs, { min: 0, long: true }),
  requestTimeoutMs: integerKey('request.timeout.ms', DEFAULT_PRODUCER_CONFIG.requestTimeoutMs, { min: 0, long: true }),
  lingerMs: integerKey('linger.ms', DEFAULT_PRODUCER_CONFIG.lingerMs, { min: 0, long: true }),
  batchSize: integerKey('batch.size', DEFAULT_PRODUCER_CONFIG.batchSize, { min: 0, long: true }),
  retryBackoffMs: integerKey('retry.backoff.ms', DEFAULT_PRODUCER_CONFIG.retryBackoffMs, { min: 0, long: true }),
  retryBackoffMaxMs: integerKey('retry.backoff.max.ms', DEFAULT_PRODUCER_CONFIG.retryBackoffMaxMs, { min: 0, long: true }),
  metadataMaxAgeMs: integerKey('metadata.max.age.ms', DEFAULT_PRODUCER_CONFIG.metadataMaxAgeMs, { min: 0, long: true }),
  maxBlockMs: integerKey('max.block.ms', DEFAULT_PRODUCER_CONFIG.maxBlockMs, { min: 0, long: true }),
  partitionerIgnoreKeys: booleanKey('partitioner.ignore.keys', DEFAULT_PRODUCER_CONFIG.partitionerIgnoreKeys),
  transactionalId: stringKey('transactional.id', DEFAULT_PRODUCER_CONFIG.transactionalId, { nonEmpty: true }),
  transactionTimeoutMs: integerKey('transaction.timeout.ms', DEFAULT_PRODUCER_CONFIG.transactionTimeoutMs, { min: 1 }),
};

/** The producer's config keys by Kafka name, in ProducerConfig's order. */
export const PRODUCER_CONFIG_NAMES: readonly string[] = Object.values<ConfigKey<unknown>>(PRODUCER_CONFIG_KEYS).map((key) => key.name);

export function parseProducerConfig(properties: Readonly<Record<string, unknown>>): ProducerConfigResult {
  const parsed = parseConfigKeys('producer', PRODUCER_CONFIG_KEYS, properties);
  if (!parsed.ok) return parsed;
  const { acks, enableIdempotence: idempotence, transactionalId, ...integers } = { ...parsed.config };
  const errors: string[] = [];
  const conflicts: string[] = [];
  if (acks !== -1) conflicts.push(`acks must be all (-1), got ${acks}`);
  if (integers.maxInFlightRequestsPerConnection > IDEMPOTENCE_MAX_IN_FLIGHT_MAX) {
    conflicts.push(`max.in.flight.requests.per.connection must be ≤ ${IDEMPOTENCE_MAX_IN_FLIGHT_MAX}, got ${integers.maxInFlightRequestsPerConnection}`);
  }
  if (integers.retries === 0) conflicts.push('retries must be > 0');
  if (idempotence && parsed.explicit.has('enable.idempotence')) {
    for (const conflict of conflicts) errors.push(`enable.idempotence=true: ${conflict}`);
  }
  if (transactionalId !== null) {
    // Kafka: "Cannot set a transactional.id without also enabling idempotence."
    if (!idempotence) errors.push('transactional.id requires enable.idempotence=true');
    else if (!parsed.explicit.has('enable.idempotence')) for (const conflict of conflicts) errors.push(`transactional.id: ${conflict}`);
  }
  const enableIdempotence = idempotence && conflicts.length === 0;

  const deliveryFloorMs = integers.lingerMs + integers.requestTimeoutMs;
  if (integers.deliveryTimeoutMs < deliveryFloorMs) {
    if (parsed.explicit.has('delivery.timeout.ms')) {
      errors.push(`delivery.timeout.ms (${integers.deliveryTimeoutMs}) must be ≥ linger.ms + request.timeout.ms (${deliveryFloorMs})`);
    } else {
      integers.deliveryTimeoutMs = deliveryFloorMs;
    }
  }
  if (integers.retryBackoffMaxMs < integers.retryBackoffMs) {
    // Kafka lets retry.backoff.ms win when it is larger than the cap (KIP-580).
    integers.retryBackoffMaxMs = integers.retryBackoffMs;
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, config: { ...integers, acks, enableIdempotence, transactionalId } };
}

/** Parses, or throws with every error: for callers whose config is code, not user input. */
export function producerConfigOrThrow(properties: Readonly<Record<string, unknown>>): ProducerConfig {
  const result = parseProducerConfig(properties);
  if (!result.ok) throw new Error(`invalid producer config: ${result.errors.join('; ')}`);
  return result.config;
}
