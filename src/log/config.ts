/**
 * LogConfig: the topic-level settings a partition log obeys, under Kafka's own names and with
 * Kafka's real defaults (LogConfig / TopicConfig), so that what a learner sets here means what it
 * means on a real cluster.
 *
 * Kafka's "never" for `flush.messages` and `flush.ms` is Long.MAX_VALUE; JavaScript numbers stop
 * being exact at 2^53, so "never" is Number.MAX_SAFE_INTEGER here, and a parsed value above it
 * (e.g. the literal 9223372036854775807) is clamped to it.
 *
 * Invariants (checked by the parser, as Kafka's ConfigDef validators do): every number is a safe
 * integer; segment.bytes ≥ 14, segment.ms ≥ 1, flush.messages ≥ 1, retention.ms ≥ -1 (-1: keep
 * forever), retention.bytes ≥ -1 (-1: no size limit), min.insync.replicas ≥ 1.
 *
 * Left out: cleanup.policy (no compaction: every log deletes), segment.jitter.ms (0 by default),
 * segment.index.bytes (our index is in memory and unbounded), file.delete.delay.ms (segments are
 * deleted at once), compression.type, and the timestamp bounds message.timestamp.before.max.ms /
 * after.max.ms (no INVALID_TIMESTAMP check).
 */

/** Kafka's Long.MAX_VALUE "never", as the largest exact JavaScript integer. */
export const NEVER = Number.MAX_SAFE_INTEGER;

export type TimestampType = 'CreateTime' | 'LogAppendTime';

export interface LogConfig {
  /** segment.bytes: a segment is rolled when the next batch would take it past this size. */
  readonly segmentBytes: number;
  /** segment.ms: a segment is rolled when its first and the incoming batch's timestamps are further apart. */
  readonly segmentMs: number;
  /** retention.ms: segments whose largest timestamp is older are deleted; -1 keeps them forever. */
  readonly retentionMs: number;
  /** retention.bytes: oldest segments are deleted while the log is larger; -1 means no limit. */
  readonly retentionBytes: number;
  /** flush.messages: fsync once this many messages are unflushed (NEVER by default). */
  readonly flushMessages: number;
  /** flush.ms: fsync when data has been unflushed this long (NEVER by default). */
  readonly flushMs: number;
  /** index.interval.bytes: bytes appended between two offset index entries. */
  readonly indexIntervalBytes: number;
  /** max.message.bytes: the largest record batch the leader accepts. */
  readonly maxMessageBytes: number;
  /** min.insync.replicas: read by the partition (acks=all, the high watermark), not by the log itself. */
  readonly minInsyncReplicas: number;
  /** unclean.leader.election.enable: read by the controller, not by the log itself. */
  readonly uncleanLeaderElectionEnable: boolean;
  /** message.timestamp.type: CreateTime keeps the producer's timestamps, LogAppendTime stamps nowMs. */
  readonly messageTimestampType: TimestampType;
}

export const DEFAULT_LOG_CONFIG: LogConfig = {
  segmentBytes: 1_073_741_824,
  segmentMs: 604_800_000,
  retentionMs: 604_800_000,
  retentionBytes: -1,
  flushMessages: NEVER,
  flushMs: NEVER,
  indexIntervalBytes: 4096,
  maxMessageBytes: 1_048_588,
  minInsyncReplicas: 1,
  uncleanLeaderElectionEnable: false,
  messageTimestampType: 'CreateTime',
};

type NumberKey = Exclude<keyof LogConfig, 'uncleanLeaderElectionEnable' | 'messageTimestampType'>;

/** Kafka's name for each numeric field, and the least value its validator accepts. */
const NUMBER_KEYS: ReadonlyArray<readonly [string, NumberKey, number]> = [
  ['segment.bytes', 'segmentBytes', 14],
  ['segment.ms', 'segmentMs', 1],
  ['retention.ms', 'retentionMs', -1],
  ['retention.bytes', 'retentionBytes', -1],
  ['flush.messages', 'flushMessages', 1],
  ['flush.ms', 'flushMs', 0],
  ['index.interval.bytes', 'indexIntervalBytes', 0],
  ['max.message.bytes', 'maxMessageBytes', 0],
  ['min.insync.replicas', 'minInsyncReplicas', 1],
];

export const LOG_CONFIG_KEYS: readonly string[] = [
  ...NUMBER_KEYS.map(([name]) => name),
  'unclean.leader.election.enable',
  'message.timestamp.type',
];

export type ParsedLogConfig = { readonly ok: true; readonly config: LogConfig } | { readonly ok: false; readonly errors: string[] };

/**
 * Parses Kafka-named keys over the defaults. Values may be numbers or numeric strings (as in a
 * .properties file), booleans or "true"/"false". Unknown keys are errors, as Kafka's CreateTopics
 * answers INVALID_CONFIG for them.
 */
export function parseLogConfig(input: Readonly<Record<string, unknown>>, base: LogConfig = DEFAULT_LOG_CONFIG): ParsedLogConfig {
  const errors: string[] = [];
  const config: { -readonly [K in keyof LogConfig]: LogConfig[K] } = { ...base };
  for (const key of Object.keys(input)) {
    if (!LOG_CONFIG_KEYS.includes(key)) errors.push(`unknown log config ${key}`);
  }
  for (const [name, field, min] of NUMBER_KEYS) {
    if (!(name in input)) continue;
    const value = parseInteger(input[name]);
    if (value === undefined || value < min) errors.push(`${name} must be an integer ≥ ${min}, got ${String(input[name])}`);
    else config[field] = value;
  }
  if ('unclean.leader.election.enable' in input) {
    const raw = input['unclean.leader.election.enable'];
    if (raw === true || raw === 'true') config.uncleanLeaderElectionEnable = true;
    else if (raw === false || raw === 'false') config.uncleanLeaderElectionEnable = false;
    else errors.push(`unclean.leader.election.enable must be true or false, got ${String(raw)}`);
  }
  if ('message.timestamp.type' in input) {
    const raw = input['message.timestamp.type'];
    if (raw === 'CreateTime' || raw === 'LogAppendTime') config.messageTimestampType = raw;
    else errors.push(`message.timestamp.type must be CreateTime or LogAppendTime, got ${String(raw)}`);
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, config };
}

/**
 * A topic's effective LogConfig, as Kafka's `LogConfig.fromProps(defaults, overrides)`: each config
 * the topic sets (its ConfigRecords) overrides the broker's default, and everything else is the
 * default. This is the one place a topic's settings are resolved; the log, the partition
 * (min.insync.replicas) and anything else that needs them read the result.
 *
 * An override that does not parse, or that names no log config, is ignored key by key and the
 * default stands: Kafka's controller refuses such a config at CreateTopics (INVALID_CONFIG), which
 * ksim's does not yet, so a broker must not fail on one.
 */
export function resolveLogConfig(defaults: LogConfig, overrides: Readonly<Record<string, unknown>>): LogConfig {
  let config = defaults;
  for (const key of Object.keys(overrides)) {
    const parsed = parseLogConfig({ [key]: overrides[key] }, config);
    if (parsed.ok) config = parsed.config;
  }
  return config;
}

/** An integer, clamped to NEVER above it (Kafka's Long.MAX_VALUE), or undefined when not one. */
function parseInteger(raw: unknown): number | undefined {
  let value: number;
  if (typeof raw === 'number') value = raw;
  else if (typeof raw === 'string' && /^-?\d+$/.test(raw.trim())) value = Number(raw.trim());
  else return undefined;
  if (!Number.isFinite(value) || !Number.isInteger(value)) return undefined;
  if (value > NEVER) return NEVER;
  return Number.isSafeInteger(value) ? value : undefined;
}
