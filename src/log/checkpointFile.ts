/**
 * A Kafka-style checkpoint file (Kafka's CheckpointFile): a small text file replaced atomically by
 * writing `<name>.tmp`, fsyncing it, and renaming it over `<name>`.
 *
 * The host's fsync completes later, as an input, so the write is a small state machine: write the
 * temp file and start its fsync; when the owner routes the completion here, rename. Renaming only
 * after the temp file is durable is the point — a rename that reaches the disk before the data would
 * leave an empty or torn checkpoint after a power loss. After the rename, one more fsync (of any
 * file) makes the rename itself durable (the host's stand-in for Kafka's fsync of the directory).
 * At most one write is in flight; a write requested meanwhile is queued, and only the latest queued
 * content is written (each write supersedes the previous).
 *
 * Format: Kafka's (a version line, a count line, one line per entry) plus a last line
 * `crc32c <decimal>` over the lines before it. Kafka's checkpoints carry no checksum; ours does
 * because the simulated disk flips bits in any durable file, and a flipped digit would otherwise
 * silently change an epoch or an offset.
 *
 * Invariants: at most one temp-file fsync in flight; the temp file exists only while one is.
 * Left out: nothing the log needs; ENOSPC while writing the temp file queues the write for a retry
 * (`retry()`), where Kafka would take the whole log directory offline.
 */

import type { Disk, DiskCompletion, DiskOpId } from '../host.js';
import { crc32c } from '../util/crc32c.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });
const CRC_PREFIX = 'crc32c ';

export type CheckpointRead =
  | { readonly kind: 'ok'; readonly lines: string[] }
  | { readonly kind: 'missing' }
  | { readonly kind: 'corrupt'; readonly reason: string };

export class CheckpointFile {
  readonly tempName: string;
  private tempFsyncOpId: DiskOpId | null = null;
  private readonly renameFsyncOpIds = new Set<DiskOpId>();
  private queued: readonly string[] | null = null;

  constructor(
    private readonly disk: Disk,
    readonly name: string,
  ) {
    this.tempName = `${name}.tmp`;
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
    if (this.tempFsyncOpId === null && this.disk.exists(this.tempName)) this.disk.delete(this.tempName);
  }

  /** Starts replacing the checkpoint with `lines`, or queues them behind the write in flight. */
  write(lines: readonly string[]): void {
    if (this.tempFsyncOpId !== null) {
      this.queued = lines;
      return;
    }
    this.queued = null;
    if (this.disk.exists(this.tempName)) this.disk.delete(this.tempName);
    const text = [...lines, `${CRC_PREFIX}${linesCrc(lines)}`].join('\n') + '\n';
    const written = this.disk.append(this.tempName, encoder.encode(text));
    if (!written.ok) {
      // ENOSPC: keep the content and try again on the next write or retry().
      this.queued = lines;
      return;
    }
    this.tempFsyncOpId = this.disk.fsync(this.tempName);
  }

  /** Retries a write that failed for lack of space, if there is one and nothing is in flight. */
  retry(): void {
    if (this.tempFsyncOpId === null && this.queued !== null) this.write(this.queued);
  }

  /** Handles a completion if it is one of this file's fsyncs; returns false for anyone else's. */
  onFsyncComplete(completion: DiskCompletion): boolean {
    if (this.renameFsyncOpIds.delete(completion.opId)) return true;
    if (completion.opId !== this.tempFsyncOpId) return false;
    this.tempFsyncOpId = null;
    const renamed = this.disk.rename(this.tempName, this.name);
    if (!renamed.ok) throw new Error(`checkpoint ${this.name}: rename failed: ${renamed.error.message}`);
    // The next write's fsync will carry the rename to disk; with none queued, an fsync of its own does.
    if (this.queued !== null) this.write(this.queued);
    else this.renameFsyncOpIds.add(this.disk.fsync(this.name));
    return true;
  }

  /** True while a write is in flight or waiting to be retried. */
  get isWriting(): boolean {
    return this.tempFsyncOpId !== null || this.queued !== null;
  }
}

function linesCrc(lines: readonly string[]): number {
  return crc32c(encoder.encode(lines.join('\n')));
}
