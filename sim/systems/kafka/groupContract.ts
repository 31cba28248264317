/**
 * The consumer-group contract: what a group's configuration promises about what its members poll,
 * and which group anomalies it therefore allows, each with a one-line reason. The group checker
 * (groupChecker.ts) consults it before calling an anomaly a violation; reports print it.
 *
 * What each commit mode promises, with ksim's workload driver (consumerNode.ts), which processes a
 * poll's records before it polls again or commits:
 * - `auto` (enable.auto.commit): the consumer commits the positions of records already returned,
 *   from a later poll, before a revocation and on close: at-least-once.
 * - `sync` (commitSync after processing): at-least-once.
 * - `async` (commitAsync after processing): at-least-once; a failed commit is not retried, so more
 *   is delivered again after a rebalance.
 * Under every mode a record processed after the last commit that took effect is delivered again to
 * the partition's next owner (a rebalance, a crash, a fenced member): `redelivered` is allowed.
 * Nothing is allowed to be skipped, except where the configuration says so:
 * - auto.offset.reset=latest: a group with no committed offset, or a position out of range, starts
 *   at the end of the log, past records it never reads.
 * - a log that lost committed records (as the producer contract and its loss rules allow) moves
 *   consumers back or past what they read: they see other records at offsets they polled.
 *
 * Left out: auto-commit with asynchronous processing (which may commit before processing, and so
 * lose records) — the driver does not process asynchronously; read_committed and transactions.
 */
import type { CommitMode } from './consumerNode.js';

export type GroupAnomaly =
  | 'lost-write'
  | 'committed-unread'
  | 'poll-skip'
  | 'nonmonotonic-poll'
  | 'int-poll-skip'
  | 'int-nonmonotonic-poll'
  | 'inconsistent-offsets'
  | 'duplicate'
  | 'redelivered'
  | 'shared-ownership'
  | 'generation-regressed'
  | 'fenced-commit-accepted'
  | 'commit-above-high-watermark'
  | 'commit-regressed';

/** What decides a group's contract. */
export interface GroupContractInputs {
  readonly groupId: string;
  readonly commit: CommitMode;
  readonly autoOffsetReset: 'earliest' | 'latest' | 'none';
}

/** What happened that a conditional row rests on: a reset to latest, a loss the log contract allowed. */
export interface GroupEvidence {
  /** A member's position on the partition was reset to the log's end (auto.offset.reset=latest). */
  readonly resetToLatest: boolean;
  /** The log lost committed records of the partition, as the producer contract allows. */
  readonly logLossAllowed: boolean;
  /** A member's position moved back after its log was truncated (KIP-320 validation, or a seek after LogTruncation). */
  readonly truncationDetected: boolean;
}

export interface GroupContractRow {
  readonly anomaly: GroupAnomaly;
  readonly allowed: 'always' | 'never' | 'when';
  readonly reason: string;
}

const AT_LEAST_ONCE: Readonly<Record<CommitMode, string>> = {
  auto: 'enable.auto.commit commits the positions of records already returned (from a later poll, before a revocation, on close): at-least-once',
  sync: 'commitSync after processing: at-least-once',
  async: 'commitAsync after processing, never retried: at-least-once',
};

/** The group contract of one group, row by row: the table a learner reads. */
export function groupContractTable(inputs: GroupContractInputs): GroupContractRow[] {
  const latest = inputs.autoOffsetReset === 'latest';
  return [
    { anomaly: 'redelivered', allowed: 'always', reason: `${AT_LEAST_ONCE[inputs.commit]}; records processed after the last commit are delivered again to the partition's next owner` },
    { anomaly: 'lost-write', allowed: 'when', reason: lossReason(latest) },
    { anomaly: 'committed-unread', allowed: 'when', reason: lossReason(latest) },
    { anomaly: 'poll-skip', allowed: 'when', reason: 'only where a member\'s position was reset or moved by a detected truncation; otherwise a consumer reads a partition in offset order without gaps' },
    { anomaly: 'nonmonotonic-poll', allowed: 'when', reason: 'only where a member\'s position was reset or moved back by a detected truncation' },
    { anomaly: 'int-poll-skip', allowed: 'never', reason: 'one poll returns a partition\'s records in consecutive offsets' },
    { anomaly: 'int-nonmonotonic-poll', allowed: 'never', reason: 'one poll returns a partition\'s records in offset order' },
    { anomaly: 'inconsistent-offsets', allowed: 'when', reason: 'only where the log lost committed records, as the producer contract allows: consumers then see another record at an offset they read' },
    { anomaly: 'duplicate', allowed: 'when', reason: 'as the producer contract says for duplicates in the log (idempotence off, or Kafka\'s first-batch hole)' },
    { anomaly: 'shared-ownership', allowed: 'never', reason: 'a generation (classic) or the coordinator\'s assignment (KIP-848) gives each partition to one member' },
    { anomaly: 'generation-regressed', allowed: 'never', reason: 'generations and member epochs only go up, on the member and on the coordinator' },
    { anomaly: 'fenced-commit-accepted', allowed: 'never', reason: 'a member of an older generation, or with a stale member epoch, is fenced: its commit is refused' },
    {
      anomaly: 'commit-above-high-watermark',
      allowed: 'when',
      reason:
        'consumers read below the high watermark, so what they commit never exceeds it — except where the log lost committed records, as the producer contract allows: the high watermark went back below positions members had already read to (OffsetCommit does not check it)',
    },
    { anomaly: 'commit-regressed', allowed: 'when', reason: 'only where a member\'s position was reset or moved back by a detected truncation' },
  ];
}

function lossReason(latest: boolean): string {
  const base = 'a record the group should have processed was never polled: allowed only where the log lost it as the producer contract allows';
  return latest ? `${base}, or where auto.offset.reset=latest moved a position past it (a group with no committed offset, or a position out of range)` : base;
}

/**
 * Why the group contract allows this anomaly here, or null when it does not. `evidence` is what
 * the conditional rows rest on, for the partition the anomaly is about.
 */
export function allowedGroupReason(anomaly: GroupAnomaly, inputs: GroupContractInputs, evidence: GroupEvidence): string | null {
  switch (anomaly) {
    case 'redelivered':
      return groupContractTable(inputs).find((row) => row.anomaly === 'redelivered')!.reason;
    case 'lost-write':
    case 'committed-unread':
      if (evidence.logLossAllowed) return 'the log lost committed records of this partition, as the producer contract allows';
      if (inputs.autoOffsetReset === 'latest' && evidence.resetToLatest) return 'auto.offset.reset=latest moved a member\'s position to the end of the log, past records it never read';
      return null;
    case 'poll-skip':
    case 'nonmonotonic-poll':
    case 'commit-regressed':
      if (evidence.logLossAllowed) return 'the log lost committed records of this partition, as the producer contract allows';
      if (evidence.truncationDetected) return 'the member detected a truncation of the log (KIP-320) and moved its position as Kafka does';
      if (evidence.resetToLatest) return 'auto.offset.reset=latest moved a member\'s position';
      return null;
    case 'inconsistent-offsets':
      return evidence.logLossAllowed ? 'the log lost committed records of this partition, as the producer contract allows' : null;
    case 'commit-above-high-watermark':
      // Kafka's coordinator takes any offset (GroupMetadataManager validates only the metadata's
      // size): a member commits the position it read to, which a loss may leave above the new HW.
      return evidence.logLossAllowed ? 'the log lost committed records of this partition, as the producer contract allows: the high watermark went back below a position the member had already read to' : null;
    case 'duplicate':
    case 'int-poll-skip':
    case 'int-nonmonotonic-poll':
    case 'shared-ownership':
    case 'generation-regressed':
    case 'fenced-commit-accepted':
      return null;
    default: {
      const unreachable: never = anomaly;
      throw new Error(`unknown group anomaly ${String(unreachable)}`);
    }
  }
}
