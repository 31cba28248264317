/**
 * The durable election state of a replica: the `quorum-state` file.
 *
 * What it models: Kafka's FileQuorumStateStore. The file holds (leaderEpoch, leaderId, votedId) as
 * JSON, written to a temp file, fsynced, renamed over `quorum-state`, and fsynced again so the rename
 * itself is durable. Only then may the replica act on the state: grant the vote, campaign, lead.
 * A CRC-32C guards the JSON so a flipped bit is detected and the file is not trusted.
 *
 * Invariants: at most one write chain is in flight; a state written while another is in flight
 * waits, and only the newest waiting state is written (intermediate ones are superseded, never
 * acted on). `onDurable` of a write runs only after the rename of that write is durable.
 *
 * Left out: Kafka's `currentVoters`, `appliedOffset` and `data_version` fields (static voters).
 */

import type { Disk, NodeId } from '../host.js';
import { ByteReader, ByteWriter, ShortReadError } from '../util/bytes.js';
import { crc32c } from '../util/crc32c.js';
import { FsyncTracker, checkDisk } from './fsyncTracker.js';

/** Kafka's ElectionState: what a replica must remember across restarts to keep its promises. */
export interface ElectionState {
  readonly epoch: number;
  readonly leaderId: NodeId | null;
  readonly votedId: NodeId | null;
}

export function sameElectionState(a: ElectionState, b: ElectionState): boolean {
  return a.epoch === b.epoch && a.leaderId === b.leaderId && a.votedId === b.votedId;
}

export const QUORUM_STATE_FILE = 'quorum-state';

interface QueuedWrite {
  readonly state: ElectionState;
  readonly onDurable: () => void;
}

export class FileQuorumStateStore {
  private inFlight = false;
  private queued: QueuedWrite | null = null;

  constructor(
    private readonly disk: Disk,
    private readonly fsyncs: FsyncTracker,
    private readonly dir: string,
  ) {}

  private get path(): string {
    return `${this.dir}/${QUORUM_STATE_FILE}`;
  }

  private get tempPath(): string {
    return `${this.path}.tmp`;
  }

  /** The stored state, or null when the file is missing or corrupt (then the replica starts at epoch 0). */
  readElectionState(): ElectionState | null {
    if (!this.disk.exists(this.path)) return null;
    const bytes = checkDisk(this.disk.read(this.path), 'read quorum-state');
    return decodeElectionState(bytes);
  }

  writeElectionState(state: ElectionState, onDurable: () => void): void {
    this.queued = { state, onDurable };
    if (!this.inFlight) this.writeQueued();
  }

  private writeQueued(): void {
    const write = this.queued;
    if (write === null) return;
    this.queued = null;
    this.inFlight = true;
    if (this.disk.exists(this.tempPath)) checkDisk(this.disk.delete(this.tempPath), 'delete quorum-state temp');
    checkDisk(this.disk.append(this.tempPath, encodeElectionState(write.state)), 'write quorum-state temp');
    this.fsyncs.fsync(this.tempPath, () => {
      checkDisk(this.disk.rename(this.tempPath, this.path), 'rename quorum-state');
      this.fsyncs.fsync(this.path, () => {
        this.inFlight = false;
        write.onDurable();
        this.writeQueued();
      });
    });
  }
}

export function encodeElectionState(state: ElectionState): Uint8Array {
  const json = JSON.stringify({ leaderEpoch: state.epoch, leaderId: state.leaderId, votedId: state.votedId });
  const body = new ByteWriter().string(json).finish();
  return new ByteWriter(body.length + 4).raw(body).uint32(crc32c(body)).finish();
}

export function decodeElectionState(bytes: Uint8Array): ElectionState | null {
  if (bytes.length < 4) return null;
  const bodyLength = bytes.length - 4;
  if (crc32c(bytes, 0, bodyLength) !== new ByteReader(bytes, bodyLength).uint32()) return null;
  try {
    const parsed: unknown = JSON.parse(new ByteReader(bytes.subarray(0, bodyLength)).string());
    return isElectionJson(parsed) ? { epoch: parsed.leaderEpoch, leaderId: parsed.leaderId, votedId: parsed.votedId } : null;
  } catch (error) {
    if (error instanceof ShortReadError || error instanceof SyntaxError) return null;
    throw error;
  }
}

function isElectionJson(value: unknown): value is { leaderEpoch: number; leaderId: NodeId | null; votedId: NodeId | null } {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  const isNodeOrNull = (x: unknown): boolean => x === null || typeof x === 'string';
  return (
    Number.isSafeInteger(record.leaderEpoch) &&
    (record.leaderEpoch as number) >= 0 &&
    isNodeOrNull(record.leaderId) &&
    isNodeOrNull(record.votedId)
  );
}
