/**
 * The configuration of a KRaft quorum replica, under Kafka's own config names (QuorumConfig and
 * MetadataLogConfig), plus the few ksim switches that select a protocol variant or size the
 * simulation.
 *
 * What it models: `controller.quorum.*` timeouts and backoffs with Kafka's defaults, the
 * `metadata.log.*` snapshot triggers, ksim's `preVote` switch (KIP-996) and the legacy switch that
 * turns check quorum off (KAFKA-15489).
 *
 * Invariants: every value is a non-negative integer; `controller.quorum.election.timeout.ms` and
 * `controller.quorum.fetch.timeout.ms` are positive (a zero timeout would elect in a tight loop).
 *
 * Left out: `controller.quorum.voters` (the voter set is a constructor argument of the client, not
 * a string of endpoints), `controller.quorum.bootstrap.servers` and dynamic voters (KIP-853),
 * and retention settings (`metadata.max.retention.*`): ksim deletes the log prefix as soon as a
 * snapshot covering it is durable.
 */
import { parseConfigFields, parseNonNegativeInt } from '../util/configValues.js';


export interface RaftConfig {
  /** controller.quorum.election.timeout.ms: the base of the randomized election timeout. */
  readonly electionTimeoutMs: number;
  /** controller.quorum.fetch.timeout.ms: a follower without a successful Fetch this long starts an election. */
  readonly fetchTimeoutMs: number;
  /** controller.quorum.election.backoff.max.ms: the cap of the binary exponential election backoff. */
  readonly electionBackoffMaxMs: number;
  /** controller.quorum.request.timeout.ms: how long a request may go unanswered before it is retried. */
  readonly requestTimeoutMs: number;
  /** controller.quorum.retry.backoff.ms: the pause before retrying a failed request. */
  readonly retryBackoffMs: number;
  /** controller.quorum.append.linger.ms: how long the leader lets appends accumulate before it fsyncs them. */
  readonly appendLingerMs: number;
  /** metadata.log.max.record.bytes.between.snapshots: snapshot once this many committed record bytes piled up. */
  readonly maxRecordBytesBetweenSnapshots: number;
  /** metadata.log.max.snapshot.interval.ms: snapshot at least this often when anything was committed; 0 disables. */
  readonly maxSnapshotIntervalMs: number;
  /**
   * ksim.metadata.log.max.records.between.snapshots: snapshot once this many committed entries piled up.
   * Kafka has only the byte-based trigger; a count is easier to reason about in a scenario.
   */
  readonly maxRecordsBetweenSnapshots: number;
  /**
   * metadata.log.segment.bytes: the active segment rolls at this size. Kafka's default is 1 GiB; ksim's
   * is 1 MiB because the simulated disk lives in memory and whole segments are the unit of deletion.
   */
  readonly segmentBytes: number;
  /** ksim.raft.pre.vote: run a pre-vote round (KIP-996) before bumping the epoch. Kafka 4 always does. */
  readonly preVote: boolean;
  /**
   * ksim.legacy.raft.no.check.quorum: the leader never checks that a majority still fetches from it
   * (before KAFKA-15489), so a leader cut off from the quorum leads on in its old epoch.
   */
  readonly legacyNoCheckQuorum: boolean;
}

export const RAFT_CONFIG_KEYS = {
  electionTimeoutMs: 'controller.quorum.election.timeout.ms',
  fetchTimeoutMs: 'controller.quorum.fetch.timeout.ms',
  electionBackoffMaxMs: 'controller.quorum.election.backoff.max.ms',
  requestTimeoutMs: 'controller.quorum.request.timeout.ms',
  retryBackoffMs: 'controller.quorum.retry.backoff.ms',
  appendLingerMs: 'controller.quorum.append.linger.ms',
  maxRecordBytesBetweenSnapshots: 'metadata.log.max.record.bytes.between.snapshots',
  maxSnapshotIntervalMs: 'metadata.log.max.snapshot.interval.ms',
  maxRecordsBetweenSnapshots: 'ksim.metadata.log.max.records.between.snapshots',
  segmentBytes: 'metadata.log.segment.bytes',
  preVote: 'ksim.raft.pre.vote',
  legacyNoCheckQuorum: 'ksim.legacy.raft.no.check.quorum',
} as const satisfies Record<keyof RaftConfig, string>;

export const DEFAULT_RAFT_CONFIG: RaftConfig = {
  electionTimeoutMs: 1_000,
  fetchTimeoutMs: 2_000,
  electionBackoffMaxMs: 1_000,
  requestTimeoutMs: 2_000,
  retryBackoffMs: 20,
  appendLingerMs: 25,
  maxRecordBytesBetweenSnapshots: 20 * 1024 * 1024,
  maxSnapshotIntervalMs: 60 * 60 * 1000,
  maxRecordsBetweenSnapshots: 1_000,
  segmentBytes: 1024 * 1024,
  preVote: true,
  legacyNoCheckQuorum: false,
};

/**
 * Parses Kafka-named keys into a RaftConfig, with defaults for missing keys. Unknown keys are
 * ignored, because the same property map configures the rest of the node. A wrongly typed or out
 * of range value is a configuration error, thrown at construction and never during a run.
 */
export function parseRaftConfig(properties: Readonly<Record<string, unknown>>): RaftConfig {
  const parsed = parseConfigFields(DEFAULT_RAFT_CONFIG, RAFT_CONFIG_KEYS, properties, parseNonNegativeInt) as unknown as RaftConfig;
  if (parsed.electionTimeoutMs <= 0) throw new Error(`${RAFT_CONFIG_KEYS.electionTimeoutMs} must be positive`);
  if (parsed.fetchTimeoutMs <= 0) throw new Error(`${RAFT_CONFIG_KEYS.fetchTimeoutMs} must be positive`);
  if (parsed.segmentBytes <= 0) throw new Error(`${RAFT_CONFIG_KEYS.segmentBytes} must be positive`);
  return parsed;
}


