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

type IntegerKey = Exclude<keyof ProducerConfig, 'acks' | 'enableIdempotence' | 'partitionerIgnoreKeys' | 'transactionalId'>;

/** Kafka's name of each integer setting, with its smallest legal value. */
const INTEGER_KEYS: ReadonlyArray<readonly [string, IntegerKey, number]> = [
  ['max.in.flight.requests.per.connection', 'maxInFlightRequestsPerConnection', 1],
  ['retries', 'retries', 0],
  ['delivery.timeout.ms', 'deliveryTimeoutMs', 0],
  ['request.timeout.ms', 'requestTimeoutMs', 0],
  ['linger.ms', 'lingerMs', 0],
  ['batch.size', 'batchSize', 0],
  ['retry.backoff.ms', 'retryBackoffMs', 0],
  ['retry.backoff.max.ms', 'retryBackoffMaxMs', 0],
  ['metadata.max.age.ms', 'metadataMaxAgeMs', 0],
  ['max.block.ms', 'maxBlockMs', 0],
  ['transaction.timeout.ms', 'transactionTimeoutMs', 1],
];

const KNOWN_KEYS: ReadonlySet<string> = new Set(['acks', 'enable.idempotence', 'partitioner.ignore.keys', 'transactional.id', ...INTEGER_KEYS.map(([name]) => name)]);

export function parseProducerConfig(properties: Readonly<Record<string, unknown>>): ProducerConfigResult {
  const errors: string[] = [];
  for (const key of Object.keys(properties)) {
    if (!KNOWN_KEYS.has(key)) errors.push(`unknown producer config '${key}'`);
  }
  const { transactionalId: _noTransactionalId, ...defaults } = DEFAULT_PRODUCER_CONFIG;
  const integers: Record<IntegerKey, number> = { ...defaults };
  for (const [name, field, min] of INTEGER_KEYS) {
    if (!(name in properties)) continue;
    const value = parseInteger(properties[name]);
    if (value === null || value < min) errors.push(`${name}: expected an integer ≥ ${min}, got ${JSON.stringify(properties[name])}`);
    else integers[field] = value;
  }
  const acks = 'acks' in properties ? parseAcks(properties.acks) : DEFAULT_PRODUCER_CONFIG.acks;
  if (acks === null) errors.push(`acks: expected all, -1, 0 or 1, got ${JSON.stringify(properties.acks)}`);
  const idempotenceExplicit = 'enable.idempotence' in properties;
  const idempotence = idempotenceExplicit ? parseBoolean(properties['enable.idempotence']) : true;
  if (idempotence === null) errors.push(`enable.idempotence: expected a boolean, got ${JSON.stringify(properties['enable.idempotence'])}`);
  const ignoreKeys = 'partitioner.ignore.keys' in properties ? parseBoolean(properties['partitioner.ignore.keys']) : false;
  if (ignoreKeys === null) errors.push(`partitioner.ignore.keys: expected a boolean, got ${JSON.stringify(properties['partitioner.ignore.keys'])}`);
  const transactionalId = properties['transactional.id'] ?? null;
  if (transactionalId !== null && (typeof transactionalId !== 'string' || transactionalId === '')) errors.push(`transactional.id: expected a non-empty string, got ${JSON.stringify(transactionalId)}`);
  if (errors.length > 0 || acks === null || idempotence === null || ignoreKeys === null) return { ok: false, errors };

  const conflicts: string[] = [];
  if (acks !== -1) conflicts.push(`acks must be all (-1), got ${acks}`);
  if (integers.maxInFlightRequestsPerConnection > IDEMPOTENCE_MAX_IN_FLIGHT_MAX) {
    conflicts.push(`max.in.flight.requests.per.connection must be ≤ ${IDEMPOTENCE_MAX_IN_FLIGHT_MAX}, got ${integers.maxInFlightRequestsPerConnection}`);
  }
  if (integers.retries === 0) conflicts.push('retries must be > 0');
  if (idempotence && idempotenceExplicit) {
    for (const conflict of conflicts) errors.push(`enable.idempotence=true: ${conflict}`);
  }
  if (transactionalId !== null) {
    // Kafka: "Cannot set a transactional.id without also enabling idempotence."
    if (!idempotence) errors.push('transactional.id requires enable.idempotence=true');
    else if (!idempotenceExplicit) for (const conflict of conflicts) errors.push(`transactional.id: ${conflict}`);
  }
  const enableIdempotence = idempotence && conflicts.length === 0;

  const deliveryFloorMs = integers.lingerMs + integers.requestTimeoutMs;
  if (integers.deliveryTimeoutMs < deliveryFloorMs) {
    if ('delivery.timeout.ms' in properties) {
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
  return { ok: true, config: { ...integers, acks, enableIdempotence, partitionerIgnoreKeys: ignoreKeys, transactionalId: transactionalId as string | null } };
}

/** Parses, or throws with every error: for callers whose config is code, not user input. */
export function producerConfigOrThrow(properties: Readonly<Record<string, unknown>>): ProducerConfig {
  const result = parseProducerConfig(properties);
  if (!result.ok) throw new Error(`invalid producer config: ${result.errors.join('; ')}`);
  return result.config;
}

function parseInteger(value: unknown): number | null {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof number === 'number' && Number.isSafeInteger(number) ? number : null;
}

function parseBoolean(value: unknown): boolean | null {
  if (typeof value === 'boolean') return value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  return null;
}

function parseAcks(value: unknown): Acks | null {
  if (value === 'all') return -1;
  const number = parseInteger(value);
  return number === -1 || number === 0 || number === 1 ? number : null;
}
