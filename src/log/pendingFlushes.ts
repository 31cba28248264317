/**
 * What the log knows to be on disk: the recovery point, and the segment fsyncs in flight that will
 * advance it.
 *
 * Kafka's recoveryPoint is the offset below which every batch has been fsynced. A ksim log cannot
 * fsync synchronously: it issues `disk.fsync(segment)` and the completion comes back later, routed by
 * the owner. Each fsync records the offset it covers (the segment's next offset when it was issued:
 * the host makes every write made before the call durable). Fsyncs of one disk complete in the order
 * issued, and the log issues them in offset order, so when one completes every earlier one has, and
 * the recovery point may move straight to its offset.
 *
 * A truncation lowers the recovery point and clamps the offsets that in-flight fsyncs cover: what
 * they make durable above the truncation point is data the log no longer holds.
 *
 * "Run this once durable": an owner that must wait for durability before it acts (a raft follower
 * before its next Fetch, a raft leader before it counts its own log) hangs a continuation on the
 * last fsync issued (`afterIssuedFsyncs`). Since fsyncs complete in issue order, every fsync the log
 * issued before it has completed by then, and the recovery point covers everything they covered.
 *
 * Invariants: recoveryPoint ≤ requestedOffset (the highest offset an issued fsync covers); every
 * in-flight fsync covers ≤ requestedOffset.
 */

import type { DiskCompletion, DiskOpId } from '../host.js';

interface InFlightFsync {
  readonly file: string;
  coversOffset: number;
  /** Continuations that run once this fsync (and so every earlier one) has completed. */
  readonly continuations: Array<() => void>;
}

export class PendingFlushes {
  private readonly inFlight = new Map<DiskOpId, InFlightFsync>();
  private recoveryPointValue: number;
  private requestedOffsetValue: number;
  /** The fsync issued last, while it is in flight: the one continuations wait for. */
  private lastIssued: InFlightFsync | null = null;

  constructor(recoveryPoint: number) {
    this.recoveryPointValue = recoveryPoint;
    this.requestedOffsetValue = recoveryPoint;
  }

  get recoveryPoint(): number {
    return this.recoveryPointValue;
  }

  /** The highest offset that an issued fsync will make durable once it completes. */
  get requestedOffset(): number {
    return this.requestedOffsetValue;
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  track(opId: DiskOpId, file: string, coversOffset: number): void {
    if (this.inFlight.has(opId)) throw new Error(`fsync op ${opId} tracked twice`);
    const fsync: InFlightFsync = { file, coversOffset, continuations: [] };
    this.inFlight.set(opId, fsync);
    this.lastIssued = fsync;
    this.requestedOffsetValue = Math.max(this.requestedOffsetValue, coversOffset);
  }

  /**
   * Runs `action` once every fsync issued so far has completed, so the recovery point has reached
   * the requested offset; runs it at once when none is in flight (everything requested is durable).
   */
  afterIssuedFsyncs(action: () => void): void {
    if (this.lastIssued === null) action();
    else this.lastIssued.continuations.push(action);
  }

  /** Advances the recovery point if the completion is one of ours; returns false for others' ops. */
  onComplete(completion: DiskCompletion): boolean {
    const fsync = this.inFlight.get(completion.opId);
    if (fsync === undefined) return false;
    this.inFlight.delete(completion.opId);
    if (fsync.file !== completion.file) throw new Error(`fsync op ${completion.opId}: ${completion.file}, tracked ${fsync.file}`);
    if (this.lastIssued === fsync) {
      // Fsyncs complete in issue order, so the last one issued completes last.
      if (this.inFlight.size > 0) throw new Error(`fsync op ${completion.opId} completed before earlier ones`);
      this.lastIssued = null;
    }
    this.recoveryPointValue = Math.max(this.recoveryPointValue, fsync.coversOffset);
    for (const continuation of fsync.continuations) continuation();
    return true;
  }

  /** The log now ends at `logEndOffset` after a truncation. */
  onTruncated(logEndOffset: number): void {
    for (const fsync of this.inFlight.values()) fsync.coversOffset = Math.min(fsync.coversOffset, logEndOffset);
    this.recoveryPointValue = Math.min(this.recoveryPointValue, logEndOffset);
    this.requestedOffsetValue = Math.min(this.requestedOffsetValue, logEndOffset);
  }

  /** Nothing below the log start offset is left to flush. */
  onLogStartOffsetAdvanced(logStartOffset: number): void {
    this.recoveryPointValue = Math.max(this.recoveryPointValue, logStartOffset);
    this.requestedOffsetValue = Math.max(this.requestedOffsetValue, logStartOffset);
  }

  /** The log was emptied and restarted at `offset` (truncateFullyAndStartAt). */
  reset(offset: number): void {
    for (const fsync of this.inFlight.values()) fsync.coversOffset = Math.min(fsync.coversOffset, offset);
    this.recoveryPointValue = offset;
    this.requestedOffsetValue = offset;
  }
}
