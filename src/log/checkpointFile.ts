/**
 * A file replaced atomically (Kafka's CheckpointFile, and the same discipline Kafka's snapshot
 * writer and FileQuorumStateStore follow): the content goes to a temp file, which is fsynced and
 * then renamed over the real name, so a reader sees the old content or the new one, never a torn
 * mix. The leader-epoch checkpoint, the metadata log's `quorum-state` and its snapshot files are
 * all written this way.
 *
 * The host's fsync completes later, as an input, so a write is a small state machine: write the
 * temp file and start its fsync; when the owner routes the completion here, rename. Renaming only
 * after the temp file is durable is the point — a rename that reaches the disk before the data would
 * leave an empty or torn file after a power loss. After the rename, one more fsync (of any file)
 * makes the rename itself durable (the host's stand-in for Kafka's fsync of the directory).
 * At most one write is in flight; a write requested meanwhile is queued, and only the latest queued
 * content is written (each write supersedes the previous, and a superseded write's continuation
 * never runs).
 *
 * "Act once durable": a write may carry a continuation, which runs once its content is durable under
 * the real name — after the rename and an fsync of that name. Without one, the next write's fsync
 * carries the rename to the disk (the leader-epoch checkpoint needs no more).
 *
 * Text format (`write(lines)`): Kafka's (a version line, a count line, one line per entry, or one
 * JSON line for the quorum state) plus a last line `crc32c <decimal>` over the lines before it.
 * Kafka's checkpoints carry no checksum; ours does because the simulated disk flips bits in any
 * durable file, and a flipped digit would otherwise silently change an epoch or an offset. Binary
 * content (`writeBytes`, the snapshots) carries its own checksums.
 *
 * Invariants: at most one temp-file fsync in flight; the temp file exists only while one is.
 * Storage errors: ENOSPC while writing the temp file either queues the write for a retry
 * (`retry()`; the leader-epoch checkpoint, which the log can rebuild) or throws
 * KafkaStorageException (files whose owner must stop without them, as Kafka halts on a failed
 * metadata log directory).
 */

import type { Disk, DiskCompletion, DiskOpId } from '../host.js';
import { crc32c } from '../util/crc32c.js';
import { KafkaStorageException } from './errors.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });
const CRC_PREFIX = 'crc32c ';

export type CheckpointRead =
  | { readonly kind: 'ok'; readonly lines: string[] }
  | { readonly kind: 'missing' }
  | { readonly kind: 'corrupt'; readonly reason: string };

export interface CheckpointFileOptions {
  /** The temp file's name: `<name>.tmp` unless given (a snapshot's is `<id>.checkpoint.part`). */
  readonly tempName?: string;
  /** What a write the disk refuses does: queue it for `retry()` (the default), or throw. */
  readonly onWriteFailure?: 'retry' | 'throw';
}

interface Write {
  readonly bytes: Uint8Array;
  readonly onDurable: (() => void) | null;
}

export class CheckpointFile {
  readonly tempName: string;
  private readonly onWriteFailure: 'retry' | 'throw';
  private tempFsync: { readonly opId: DiskOpId; readonly onDurable: (() => void) | null } | null = null;
  /** Fsyncs that carry a rename to the disk, with the continuation of the write they complete. */
  private readonly renameFsyncs = new Map<DiskOpId, (() => void) | null>();
  private queued: Write | null = null;

  constructor(
    private readonly disk: Disk,
    readonly name: string,
    options: CheckpointFileOptions = {},
  ) {
    this.tempName = options.tempName ?? `${name}.tmp`;
    this.onWriteFailure = options.onWriteFailure ?? 'retry';
  }

  /** Reads the checkpoint's lines (without the crc line), checking its checksum. */
  read(): CheckpointRead {
    const result = this.disk.read(this.name);
    if (!result.ok) return { kind: 'missing' };
    let text: string;
    try {
      text = decoder.decode(result.value);
    } catch {
      return { kind: 'corrupt', reason: 'not UTF-8' };
    }
    const lines = text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    const crcLine = lines.pop();
    if (crcLine === undefined || !crcLine.startsWith(CRC_PREFIX)) return { kind: 'corrupt', reason: 'no crc line' };
    if (crcLine.slice(CRC_PREFIX.length) !== String(linesCrc(lines))) return { kind: 'corrupt', reason: 'crc mismatch' };
    return { kind: 'ok', lines };
  }

  /** Removes a temp file left by an earlier incarnation that crashed mid-write (Kafka ignores them too). */
  removeStaleTemp(): void {
    if (this.tempFsync === null && this.disk.exists(this.tempName)) this.disk.delete(this.tempName);
  }

  /** Starts replacing the checkpoint with `lines` (text, with a crc line), or queues them. */
  write(lines: readonly string[], onDurable?: () => void): void {
    const text = [...lines, `${CRC_PREFIX}${linesCrc(lines)}`].join('\n') + '\n';
    this.writeBytes(encoder.encode(text), onDurable);
  }

  /** Starts replacing the file with `bytes` as they are, or queues them behind the write in flight. */
  writeBytes(bytes: Uint8Array, onDurable?: () => void): void {
    const write: Write = { bytes, onDurable: onDurable ?? null };
    if (this.tempFsync !== null) this.queued = write;
    else this.start(write);
  }

  /** Retries a write that failed for lack of space, if there is one and nothing is in flight. */
  retry(): void {
    if (this.tempFsync === null && this.queued !== null) this.start(this.queued);
  }

  /** Handles a completion if it is one of this file's fsyncs; returns false for anyone else's. */
  onFsyncComplete(completion: DiskCompletion): boolean {
    if (this.renameFsyncs.has(completion.opId)) {
      const onDurable = this.renameFsyncs.get(completion.opId)!;
      this.renameFsyncs.delete(completion.opId);
      onDurable?.();
      return true;
    }
    const written = this.tempFsync;
    if (written === null || completion.opId !== written.opId) return false;
    this.tempFsync = null;
    const renamed = this.disk.rename(this.tempName, this.name);
    if (!renamed.ok) throw new Error(`checkpoint ${this.name}: rename failed: ${renamed.error.message}`);
    // A queued write's fsync will carry the rename to disk; a continuation, or nothing queued,
    // needs an fsync of its own.
    if (written.onDurable !== null || this.queued === null) this.renameFsyncs.set(this.disk.fsync(this.name), written.onDurable);
    if (this.queued !== null) this.start(this.queued);
    return true;
  }

  /** True while a write is in flight or waiting to be retried. */
  get isWriting(): boolean {
    return this.tempFsync !== null || this.queued !== null;
  }

  private start(write: Write): void {
    this.queued = null;
    if (this.disk.exists(this.tempName)) this.disk.delete(this.tempName);
    const written = this.disk.append(this.tempName, write.bytes);
    if (!written.ok) {
      if (this.onWriteFailure === 'throw') throw new KafkaStorageException(`write ${this.tempName}: ${written.error.code} ${written.error.message}`);
      // ENOSPC: keep the content and try again on the next write or retry().
      this.queued = write;
      return;
    }
    this.tempFsync = { opId: this.disk.fsync(this.tempName), onDurable: write.onDurable };
  }
}

function linesCrc(lines: readonly string[]): number {
  return crc32c(encoder.encode(lines.join('\n')));
}
