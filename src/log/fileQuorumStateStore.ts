/**
 * The `quorum-state` file of the metadata log directory (Kafka's FileQuorumStateStore): the
 * replica's durable election state (leaderEpoch, leaderId, votedId) as one JSON line.
 *
 * It is a CheckpointFile: written to `quorum-state.tmp`, fsynced, renamed over `quorum-state` and
 * fsynced again, and only then does the replica act on the state (grant the vote, campaign, lead).
 * The checkpoint's crc line guards the JSON, so a flipped bit makes the file unreadable (the replica
 * then starts at epoch 0, which the checker counts as lost stable storage) rather than wrong.
 * A write the disk refuses throws KafkaStorageException: a replica that cannot persist its vote
 * must stop, as Kafka's does.
 *
 * Left out: Kafka's `appliedOffset` and `currentVoters` fields (static voters) and `clusterId`.
 */

import type { Disk, DiskCompletion } from '../host.js';
import type { ElectionState, QuorumStateStore } from '../raft/quorumStateStore.js';
import { CheckpointFile } from './checkpointFile.js';

export const QUORUM_STATE_FILE = 'quorum-state';
/** Kafka's `data_version` of the quorum-state JSON. */
const DATA_VERSION = 0;

export class FileQuorumStateStore implements QuorumStateStore {
  private readonly file: CheckpointFile;

  constructor(disk: Disk, dir: string) {
    this.file = new CheckpointFile(disk, `${dir}/${QUORUM_STATE_FILE}`, { onWriteFailure: 'throw' });
  }

  /** The stored state, or null when the file is missing or corrupt. */
  readElectionState(): ElectionState | null {
    const read = this.file.read();
    return read.kind === 'ok' && read.lines.length === 1 ? parseElectionState(read.lines[0]!) : null;
  }

  writeElectionState(state: ElectionState, onDurable: () => void): void {
    const json = { leaderEpoch: state.epoch, leaderId: state.leaderId, votedId: state.votedId, data_version: DATA_VERSION };
    this.file.write([JSON.stringify(json)], onDurable);
  }

  onFsyncComplete(completion: DiskCompletion): boolean {
    return this.file.onFsyncComplete(completion);
  }
}

function parseElectionState(line: string): ElectionState | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null) return null;
  const record = parsed as Record<string, unknown>;
  const isNodeOrNull = (value: unknown): value is string | null => value === null || typeof value === 'string';
  const epoch = record['leaderEpoch'];
  const { leaderId, votedId } = record;
  if (typeof epoch !== 'number' || !Number.isSafeInteger(epoch) || epoch < 0 || !isNodeOrNull(leaderId) || !isNodeOrNull(votedId)) return null;
  return { epoch, leaderId, votedId };
}
