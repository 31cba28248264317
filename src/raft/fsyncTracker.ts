/**
 * Pending fsyncs of one raft client, each with the continuation to run once it is durable.
 *
 * What it models: the "flush, then act" discipline of a replicated log. A node that shares its disk
 * with other components (a broker's partition logs, a controller's state) must know which disk
 * completions are its own; this tracker answers that by op id.
 *
 * Invariants: each op id is completed at most once; continuations run in completion order, which
 * the host guarantees is the issue order per disk.
 *
 * Left out: write errors of fsync itself (the host contract has none); ENOSPC on writes is reported
 * by `checkDisk`, which fail-stops the client as Kafka does when its metadata log directory fails.
 */

import type { Disk, DiskCompletion, DiskOpId, DiskResult } from '../host.js';

/** A write to the metadata log directory failed: the raft client must stop, as Kafka's would. */
export class RaftStorageError extends Error {}

export function checkDisk<T>(result: DiskResult<T>, what: string): T {
  if (!result.ok) throw new RaftStorageError(`${what}: ${result.error.code} ${result.error.message}`);
  return result.value;
}

export class FsyncTracker {
  private readonly continuations = new Map<DiskOpId, () => void>();

  constructor(private readonly disk: Disk) {}

  fsync(file: string, onDurable: () => void): DiskOpId {
    const opId = this.disk.fsync(file);
    if (this.continuations.has(opId)) throw new Error(`fsync: op id ${opId} issued twice`);
    this.continuations.set(opId, onDurable);
    return opId;
  }

  /** Runs the continuation of an own fsync and returns true; returns false for someone else's op. */
  handleDiskComplete(completion: DiskCompletion): boolean {
    const onDurable = this.continuations.get(completion.opId);
    if (onDurable === undefined) return false;
    this.continuations.delete(completion.opId);
    onDurable();
    return true;
  }

  /** Forgets an own op without running its continuation (the client has halted); false for others' ops. */
  discard(completion: DiskCompletion): boolean {
    return this.continuations.delete(completion.opId);
  }

  get pendingCount(): number {
    return this.continuations.size;
  }
}
