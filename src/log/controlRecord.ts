/**
 * Control records: the records of a control batch (attribute bit 5), which carry the log's own
 * bookkeeping instead of application data. Kafka's ControlRecordType, with its codes: ABORT and
 * COMMIT are transaction markers; LEADER_CHANGE, SNAPSHOT_HEADER and SNAPSHOT_FOOTER belong to the
 * KRaft metadata log and its snapshots (KIP-595, KIP-630).
 *
 * Kafka's control record key is two int16s (version, type) and its value a message of the type's
 * own schema. ksim's record keys and values are text (see recordBatch.ts), so the key is the JSON
 * `{"version":0,"type":<code>}` — the same two fields — and the value the JSON of the type's message
 * (LeaderChangeMessage, SnapshotHeaderRecord, SnapshotFooterRecord), field names as in Kafka.
 *
 * Invariants: a control batch holds control records only; a key that does not parse as a known
 * version and type reads as UNKNOWN, which readers skip, as Kafka's do.
 * Left out: the KRaft membership records (KRAFT_VERSION, KRAFT_VOTERS; no dynamic voters, KIP-853)
 * and LeaderChangeMessage's grantingVoters.
 */

import type { SimpleRecord } from './recordBatch.js';

export type ControlRecordType = 'ABORT' | 'COMMIT' | 'LEADER_CHANGE' | 'SNAPSHOT_HEADER' | 'SNAPSHOT_FOOTER';

/** Kafka's type codes. */
export const CONTROL_RECORD_TYPE_CODES: Readonly<Record<ControlRecordType, number>> = {
  ABORT: 0,
  COMMIT: 1,
  LEADER_CHANGE: 2,
  SNAPSHOT_HEADER: 3,
  SNAPSHOT_FOOTER: 4,
};

const CONTROL_RECORD_KEY_VERSION = 0;

/** Kafka's LeaderChangeMessage: who leads the batch's epoch, and the voters it leads. */
export interface LeaderChangeMessage {
  readonly version: 0;
  readonly leaderId: string;
  readonly voters: ReadonlyArray<{ readonly voterId: string }>;
}

/** Kafka's SnapshotHeaderRecord: the first record of a snapshot. */
export interface SnapshotHeaderRecord {
  readonly version: 0;
  readonly lastContainedLogTimestamp: number;
}

/** Kafka's SnapshotFooterRecord: the last record of a complete snapshot. */
export interface SnapshotFooterRecord {
  readonly version: 0;
}

export function controlRecord(type: ControlRecordType, message: object, timestampMs: number): SimpleRecord {
  const key = JSON.stringify({ version: CONTROL_RECORD_KEY_VERSION, type: CONTROL_RECORD_TYPE_CODES[type] });
  return { key, value: JSON.stringify(message), timestampMs };
}

/** The type a control record's key names, or UNKNOWN for a key this version cannot read. */
export function controlRecordType(record: SimpleRecord): ControlRecordType | 'UNKNOWN' {
  if (record.key === null) return 'UNKNOWN';
  let parsed: unknown;
  try {
    parsed = JSON.parse(record.key);
  } catch {
    return 'UNKNOWN';
  }
  if (typeof parsed !== 'object' || parsed === null) return 'UNKNOWN';
  const { version, type } = parsed as { version?: unknown; type?: unknown };
  if (version !== CONTROL_RECORD_KEY_VERSION) return 'UNKNOWN';
  const found = (Object.keys(CONTROL_RECORD_TYPE_CODES) as ControlRecordType[]).find((name) => CONTROL_RECORD_TYPE_CODES[name] === type);
  return found ?? 'UNKNOWN';
}
