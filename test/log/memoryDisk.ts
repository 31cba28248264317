/**
 * A tiny in-memory Disk for the log's tests, with the host's durability contract made explicit and
 * driven by the test: writes land in a "page cache"; `fsync` queues an operation that becomes durable
 * only when the test calls `completeNext`/`completeAll` (which return the completions to route to the
 * log); `powerLoss` keeps only what is durable, optionally with a torn prefix of the unsynced tail.
 * Names (create, rename, delete) become durable with the next completed fsync of any file, as the
 * host promises. Also: a full-disk switch and a bit flip in place.
 */
import type { Disk, DiskCompletion, DiskOpId, DiskResult } from '../../src/host.js';

interface Inode {
  content: Uint8Array;
  durable: Uint8Array;
}

interface QueuedFsync {
  readonly completion: DiskCompletion;
  readonly inode: Inode | undefined;
  readonly content: Uint8Array;
  readonly names: Map<string, Inode>;
}

const OK: DiskResult<void> = { ok: true, value: undefined };

export class MemoryDisk implements Disk {
  private names = new Map<string, Inode>();
  private durableNames = new Map<string, Inode>();
  private queue: QueuedFsync[] = [];
  private nextOpId = 1;
  full = false;
  fsyncCalls: string[] = [];

  list(): string[] {
    return [...this.names.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  exists(name: string): boolean {
    return this.names.has(name);
  }

  size(name: string): DiskResult<number> {
    const inode = this.names.get(name);
    return inode === undefined ? enoent(name) : { ok: true, value: inode.content.length };
  }

  read(name: string, offset = 0, length?: number): DiskResult<Uint8Array> {
    const inode = this.names.get(name);
    if (inode === undefined) return enoent(name);
    const end = length === undefined ? inode.content.length : offset + length;
    if (offset < 0 || end > inode.content.length || end < offset) {
      return { ok: false, error: { code: 'EINVAL', message: `read ${name} [${offset}, ${end})` } };
    }
    return { ok: true, value: inode.content.slice(offset, end) };
  }

  append(name: string, data: Uint8Array): DiskResult<void> {
    if (this.full) return { ok: false, error: { code: 'ENOSPC', message: 'disk full' } };
    let inode = this.names.get(name);
    if (inode === undefined) {
      inode = { content: new Uint8Array(0), durable: new Uint8Array(0) };
      this.names.set(name, inode);
    }
    const next = new Uint8Array(inode.content.length + data.length);
    next.set(inode.content, 0);
    next.set(data, inode.content.length);
    inode.content = next;
    return OK;
  }

  truncate(name: string, size: number): DiskResult<void> {
    const inode = this.names.get(name);
    if (inode === undefined) return enoent(name);
    if (size < 0 || size > inode.content.length) return { ok: false, error: { code: 'EINVAL', message: `truncate ${name} to ${size}` } };
    inode.content = inode.content.slice(0, size);
    return OK;
  }

  rename(from: string, to: string): DiskResult<void> {
    const inode = this.names.get(from);
    if (inode === undefined) return enoent(from);
    this.names.delete(from);
    this.names.set(to, inode);
    return OK;
  }

  delete(name: string): DiskResult<void> {
    return this.names.delete(name) ? OK : enoent(name);
  }

  fsync(name: string): DiskOpId {
    const opId = this.nextOpId++;
    const inode = this.names.get(name);
    this.fsyncCalls.push(name);
    this.queue.push({
      completion: { opId, kind: 'fsync', file: name },
      inode,
      content: inode === undefined ? new Uint8Array(0) : inode.content,
      names: new Map(this.names),
    });
    return opId;
  }

  // ---- The test's controls ----

  get pendingFsyncs(): number {
    return this.queue.length;
  }

  /** Completes the oldest queued fsync and returns its completion (fsyncs complete in issue order). */
  completeNext(): DiskCompletion {
    const fsync = this.queue.shift();
    if (fsync === undefined) throw new Error('no fsync queued');
    if (fsync.inode !== undefined) fsync.inode.durable = fsync.content;
    this.durableNames = fsync.names;
    return fsync.completion;
  }

  completeAll(): DiskCompletion[] {
    const out: DiskCompletion[] = [];
    while (this.queue.length > 0) out.push(this.completeNext());
    return out;
  }

  /** Power loss: only durable names and bytes survive, plus up to `tornBytes` of each file's unsynced tail. */
  powerLoss(tornBytes = 0): void {
    this.queue = [];
    this.names = new Map(this.durableNames);
    for (const inode of this.names.values()) {
      const durable = inode.durable;
      const extendsDurable = inode.content.length > durable.length && durable.every((byte, i) => inode.content[i] === byte);
      const tail = extendsDurable ? inode.content.slice(durable.length, durable.length + tornBytes) : new Uint8Array(0);
      const survived = new Uint8Array(durable.length + tail.length);
      survived.set(durable, 0);
      survived.set(tail, durable.length);
      inode.content = survived;
      inode.durable = survived;
    }
  }

  /** Flips one bit of a file, in the page cache and on the platter alike. */
  flipBit(name: string, offset: number, bit: number): void {
    const inode = this.names.get(name);
    if (inode === undefined || offset >= inode.content.length) throw new Error(`flipBit: ${name} has no byte ${offset}`);
    inode.content = inode.content.slice();
    inode.content[offset]! ^= 1 << bit;
    if (offset < inode.durable.length) {
      inode.durable = inode.durable.slice();
      inode.durable[offset]! ^= 1 << bit;
    }
  }

  /** The OS's background writeback: everything becomes durable. */
  flushPageCache(): void {
    for (const inode of this.names.values()) inode.durable = inode.content;
    this.durableNames = new Map(this.names);
  }

  content(name: string): Uint8Array {
    const inode = this.names.get(name);
    if (inode === undefined) throw new Error(`no file ${name}`);
    return inode.content;
  }
}

function enoent<T>(name: string): DiskResult<T> {
  return { ok: false, error: { code: 'ENOENT', message: `no such file: ${name}` } };
}
