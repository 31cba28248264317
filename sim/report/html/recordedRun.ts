/**
 * What the HTML report shows of one run, as data: the run's lanes (one per node), its messages
 * (each send paired with its arrival), its faults as windows, its narration, every partition's
 * replica events (log end, high watermark, leadership, ISR, truncation), the metadata quorum's
 * events, the client history, and the verdict with the contract rows behind it.
 *
 * The page embeds this object as JSON and draws everything from it (page.ts). It is built to stay
 * small: times are integers, nodes and APIs are indices into tables, message send times are
 * delta-encoded, and outside the focus window (the seconds before the first violation) appends
 * and high-watermark moves are merged per 250 ms and record values are left out (recorder.ts).
 *
 * Invariants: every node index is < nodes.length; every list of events is in time order; the
 * focus window lies within [0, endMs].
 */
import type { AllowedAnomaly, Violation } from '../../checker/types.js';
import type { ContractRow } from '../../systems/system.js';

/** The format's name and version, checked by the page before it draws. */
export const RECORDED_RUN_FORMAT = 'ksim-report/1';

export interface RecordedRun {
  format: typeof RECORDED_RUN_FORMAT;
  scenario: {
    name: string;
    system: string;
    description: string;
    lesson: string | null;
    durationMs: number;
    livenessMs: number;
    expect: string;
  };
  seed: number;
  traceHash: string;
  verdict: string;
  /** The command that reruns this seed exactly. */
  replayCommand: string;
  /** When the run ended (a violation stops it early). */
  endMs: number;
  /** Lane order: controllers, brokers, then clients, as the system listed its nodes. */
  nodes: string[];
  roles: Array<'server' | 'client'>;
  /** The window the space-time diagram opens on, and the moment of the first violation. */
  focus: { fromMs: number; toMs: number; violationAtMs: number | null };
  messages: RecordedMessages;
  faults: RecordedFault[];
  /** [atMs, tone, text]: faults, phases and the system narrator's lines. */
  narration: Array<[number, string, string]>;
  partitions: RecordedPartition[];
  quorum: RecordedQuorum;
  history: RecordedHistory;
  outcome: {
    violations: Violation[];
    anomalies: AllowedAnomaly[];
    /** The configuration's contract, or null for systems without one. */
    contract: ContractRow[] | null;
  };
}

/** Columns of equal length, one entry per message, sorted by send time. */
export interface RecordedMessages {
  apis: string[];
  /** Send time minus the previous message's send time (the first: minus 0). */
  sentDeltaMs: number[];
  /** Arrival minus send time, or -1 for a message that never arrived (a cut, a reset, a crash). */
  latencyMs: number[];
  from: number[];
  to: number[];
  api: number[];
  /** Messages left out to keep the report small: the farthest from the focus window first. */
  omitted: number;
}

export interface RecordedFault {
  atMs: number;
  /** When its window closed: its duration or restart delay, else the heal. */
  endMs: number;
  type: string;
  text: string;
  /** The lanes it struck. */
  nodes: number[];
}

/**
 * A partition's replica events, each `[atMs, node, kind, ...fields]`:
 * - `a` appended: baseOffset, lastOffset, epoch, values (or 0 when left out);
 * - `h` high watermark: highWatermark;
 * - `L` became leader: leaderEpoch, isr, leaderEpochStartOffset;
 * - `F` became follower: leader (or null), leaderEpoch;
 * - `I` ISR committed: isr, partitionEpoch;
 * - `P` ISR proposed: isr, reason;
 * - `T` truncated: offset, reason;
 * - `R` recovered from disk: logStartOffset, logEndOffset;
 * - `D` the node went down (crash or halt): its log is what `R` says when it returns.
 */
export type PartitionEvent = [number, number, string, ...unknown[]];

export interface RecordedPartition {
  name: string;
  events: PartitionEvent[];
}

/**
 * The metadata quorum's events, each `[atMs, node, kind, ...fields]`:
 * - `S` state: epoch, role, leaderId;
 * - `E` log end: offset + 1 of the last append;
 * - `H` high watermark;
 * and the metadata records the active controller applied, `[atMs, offset, text]`.
 */
export interface RecordedQuorum {
  events: Array<[number, number, string, ...unknown[]]>;
  records: Array<[number, number, string]>;
}

/** The client operations, one row each: [client, invokedAtMs, completedAtMs or -1, outcome, op, value, partition, offset]. */
export interface RecordedHistory {
  rows: Array<[number, number, number, string, string, string | null, number | null, number | null]>;
}
