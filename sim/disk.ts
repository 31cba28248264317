/**
 * The simulated disk of one node, and every disk fault.
 *
 * Fault model (what a real machine does, and what Kafka's durability story depends on):
 * - Writes land in the page cache and return at once. They become durable when an fsync of the
 *   file completes, or when the OS's background writeback flushes everything (every
 *   `pageCacheFlushIntervalMs`, standing in for Linux's dirty-page writeback).
 * - Directory changes (create, rename, delete) become durable with the next completed fsync of any
 *   file on this disk, or with the background flush (roughly ext4's ordered mode).
 * - Fsyncs complete in the order issued, each after a latency drawn from this disk's own stream;
 *   a slow-fsync fault multiplies that latency.
 * - A process crash changes nothing here: the OS, and so the page cache, survived.
 * - A power loss drops everything not durable. The first write after the durable prefix of a file
 *   may survive torn: a prefix of it, cut at a byte chosen from the stream. Fsyncs in flight never
 *   complete.
 * - A disk loss wipes every file, durable or not.
 * - A disk-full fault makes every append fail with ENOSPC (leaving the file unchanged) until healed.
 * - A bit flip changes one durable byte in place, so every later read sees the same flipped bit;
 *   the protocol's CRCs must catch it.
 *
 * Storage is a list of immutable chunks per file, with each chunk's end offset beside it. Appends
 * only push onto the list and a truncate builds a new list, so a snapshot of a file is just (list,
 * count, size): O(1) per fsync, however long the file. A read finds its first chunk by binary
 * search over the end offsets, so it costs O(log chunks + bytes read), not O(chunks): a file that
 * grows for a simulated hour reads as fast as a new one. Chunks are never changed once pushed (a
 * bit flip replaces its chunk with a flipped copy), so a read within one chunk hands out a view of
 * it instead of a copy: what `read` returns is the caller's to read, never to write.
 * Invariants: for every list, ends[i] === sum of the lengths of chunks[0, i]; for every view,
 * size === ends[count - 1] (or 0 when count is 0).
 */
import type { Disk, DiskCompletion, DiskError, DiskErrorCode, DiskOpId, DiskResult } from '../src/host.js';
import type { SeededRandom } from './random.js';

export interface DiskConfig {
  /** Base fsync latency. */
  fsyncLatencyMs: number;
  /** Extra fsync latency drawn uniformly from [0, fsyncJitterMs]. */
  fsyncJitterMs: number;
  /** The OS writes back all dirty pages this often. */
  pageCacheFlushIntervalMs: number;
  capacityBytes: number;
}

export const DEFAULT_DISK_CONFIG: DiskConfig = {
  fsyncLatencyMs: 2,
  fsyncJitterMs: 3,
  pageCacheFlushIntervalMs: 5_000,
  capacityBytes: 1 << 30,
};

/**
 * A file's chunks in order, and where each ends. Only ever grows by `pushChunk`; views share it
 * and see only their first `count` entries, so growth never changes what a view holds.
 */
interface ChunkList {
  readonly chunks: Uint8Array[];
  /** ends[i] is the file offset just past chunks[i]. */
  readonly ends: number[];
}

/** A view of a file's content: the first `count` chunks of `list`. */
interface ChunkView {
  readonly list: ChunkList;
  readonly count: number;
  readonly size: number;
}

interface Inode {
  readonly inodeId: number;
  /** The live content (what reads see); pushed onto by appends, replaced by truncates. */
  list: ChunkList;
  size: number;
  durable: ChunkView;
}

const EMPTY_VIEW: ChunkView = { list: { chunks: [], ends: [] }, count: 0, size: 0 };

function liveView(inode: Inode): ChunkView {
  return { list: inode.list, count: inode.list.chunks.length, size: inode.size };
}

function emptyList(): ChunkList {
  return { chunks: [], ends: [] };
}

function pushChunk(list: ChunkList, chunk: Uint8Array): void {
  const start = list.ends.length === 0 ? 0 : list.ends[list.ends.length - 1]!;
  list.chunks.push(chunk);
  list.ends.push(start + chunk.length);
}

/** The index of the chunk holding byte `offset`, among the first `count` (count if none does). */
function chunkIndexAt(list: ChunkList, count: number, offset: number): number {
  let low = 0;
  let high = count;
  // Invariant: every chunk below `low` ends at or before `offset`; the chunk at `high` (if any) ends after it.
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (list.ends[middle]! <= offset) low = middle + 1;
    else high = middle;
  }
  return low;
}

function chunkStartOf(list: ChunkList, index: number): number {
  return index === 0 ? 0 : list.ends[index - 1]!;
}

/** An fsync the disk has accepted and will complete at `completeAtMs` unless power is lost. */
export interface PendingFsync {
  readonly completion: DiskCompletion;
  readonly completeAtMs: number;
  /** The power cycle it was issued in; a power loss cancels it. */
  readonly powerCycle: number;
  readonly inode: Inode | undefined;
  readonly view: ChunkView;
  readonly names: Map<string, Inode>;
}

export interface DiskStats {
  bytesWritten: number;
  fsyncs: number;
  powerLosses: number;
  bitFlips: number;
}

function fail<T>(code: DiskErrorCode, message: string): DiskResult<T> {
  const error: DiskError = { code, message };
  return { ok: false, error };
}

const OK_VOID: DiskResult<void> = { ok: true, value: undefined };

export class SimDisk implements Disk {
  private names = new Map<string, Inode>();
  private durableNames = new Map<string, Inode>();
  /** A copy of `names` taken since its last change, shared by the fsyncs that need one. */
  private namesSnapshot: Map<string, Inode> | null = null;
  private nextInodeId = 1;
  private nextOpId = 1;
  private lastFsyncCompleteAtMs = 0;
  private powerCycle = 0;
  private full = false;
  private fsyncSlowFactor = 1;
  readonly stats: DiskStats = { bytesWritten: 0, fsyncs: 0, powerLosses: 0, bitFlips: 0 };

  constructor(
    readonly nodeId: string,
    private readonly config: DiskConfig,
    private readonly random: SeededRandom,
    private readonly nowMs: () => number,
    /** The world schedules the completion; it calls `completeFsync` when it is due. */
    private readonly scheduleFsync: (pending: PendingFsync) => void,
  ) {}

  // ---- The node's view (src/host.ts Disk) ----

  list(): string[] {
    return [...this.names.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  exists(name: string): boolean {
    return this.names.has(name);
  }

  size(name: string): DiskResult<number> {
    const inode = this.names.get(name);
    if (inode === undefined) return fail('ENOENT', `no such file: ${name}`);
    return { ok: true, value: inode.size };
  }

  read(name: string, offset = 0, length?: number): DiskResult<Uint8Array> {
    const inode = this.names.get(name);
    if (inode === undefined) return fail('ENOENT', `no such file: ${name}`);
    const end = length === undefined ? inode.size : offset + length;
    if (offset < 0 || end > inode.size || end < offset) {
      return fail('EINVAL', `read of ${name} [${offset}, ${end}) outside its ${inode.size} bytes`);
    }
    return { ok: true, value: copyRange(liveView(inode), offset, end) };
  }

  append(name: string, data: Uint8Array): DiskResult<void> {
    if (this.full || this.usedBytes() + data.length > this.config.capacityBytes) {
      return fail('ENOSPC', `disk full: cannot append ${data.length} bytes to ${name}`);
    }
    let inode = this.names.get(name);
    if (inode === undefined) {
      inode = this.newInode();
      this.setName(name, inode);
    }
    if (data.length > 0) {
      pushChunk(inode.list, data.slice());
      inode.size += data.length;
      this.stats.bytesWritten += data.length;
    }
    return OK_VOID;
  }

  truncate(name: string, size: number): DiskResult<void> {
    const inode = this.names.get(name);
    if (inode === undefined) return fail('ENOENT', `no such file: ${name}`);
    if (!Number.isInteger(size) || size < 0 || size > inode.size) {
      return fail('EINVAL', `truncate of ${name} to ${size} outside [0, ${inode.size}]`);
    }
    inode.list = prefixOf(liveView(inode), size);
    inode.size = size;
    return OK_VOID;
  }

  rename(from: string, to: string): DiskResult<void> {
    const inode = this.names.get(from);
    if (inode === undefined) return fail('ENOENT', `no such file: ${from}`);
    this.names.delete(from);
    this.setName(to, inode);
    return OK_VOID;
  }

  delete(name: string): DiskResult<void> {
    if (!this.names.delete(name)) return fail('ENOENT', `no such file: ${name}`);
    this.namesSnapshot = null;
    return OK_VOID;
  }

  fsync(name: string): DiskOpId {
    const opId = this.nextOpId++;
    const inode = this.names.get(name);
    const latencyMs = Math.round(
      (this.config.fsyncLatencyMs + this.random.nextInt(0, this.config.fsyncJitterMs + 1)) * this.fsyncSlowFactor,
    );
    // Fsyncs of one disk complete in the order issued.
    const completeAtMs = Math.max(this.nowMs() + latencyMs, this.lastFsyncCompleteAtMs);
    this.lastFsyncCompleteAtMs = completeAtMs;
    this.stats.fsyncs++;
    this.scheduleFsync({
      completion: { opId, kind: 'fsync', file: name },
      completeAtMs,
      powerCycle: this.powerCycle,
      inode,
      view: inode === undefined ? EMPTY_VIEW : liveView(inode),
      names: this.snapshotNames(),
    });
    return opId;
  }

  // ---- The world's view ----

  /** Applies a due fsync. Returns false if a power loss cancelled it (nothing became durable). */
  completeFsync(pending: PendingFsync): boolean {
    if (pending.powerCycle !== this.powerCycle) return false;
    if (pending.inode !== undefined) pending.inode.durable = pending.view;
    this.durableNames = pending.names;
    return true;
  }

  /** The OS's background writeback: everything written so far becomes durable. */
  flushPageCache(): void {
    for (const inode of this.names.values()) inode.durable = liveView(inode);
    this.durableNames = this.snapshotNames();
  }

  /** Power loss: keep only what is durable, possibly with the first unsynced write torn. */
  powerLoss(): void {
    this.powerCycle++;
    this.stats.powerLosses++;
    this.lastFsyncCompleteAtMs = 0;
    this.names = new Map(this.durableNames);
    this.namesSnapshot = null;
    for (const inode of this.names.values()) {
      const tornTail = this.tornTail(inode);
      inode.list = prefixOf(inode.durable, inode.durable.size);
      inode.size = inode.durable.size;
      if (tornTail !== undefined && tornTail.length > 0) {
        pushChunk(inode.list, tornTail);
        inode.size += tornTail.length;
      }
      inode.durable = liveView(inode);
    }
  }

  /** Disk loss: every file is gone. */
  wipe(): void {
    this.powerCycle++;
    this.lastFsyncCompleteAtMs = 0;
    this.names = new Map();
    this.durableNames = new Map();
    this.namesSnapshot = null;
  }

  setFull(full: boolean): void {
    this.full = full;
  }

  setFsyncSlowFactor(factor: number): void {
    if (!(factor >= 1)) throw new Error(`fsync slow factor must be >= 1, got ${factor}`);
    this.fsyncSlowFactor = factor;
  }

  /**
   * Flips one bit of one durable byte, chosen from this disk's stream. Returns what was flipped, or
   * undefined when no file holds durable data.
   */
  flipBit(): { file: string; offset: number; bit: number } | undefined {
    const candidates = [...this.durableNames.entries()]
      .filter(([name, inode]) => inode.durable.size > 0 && this.names.get(name) === inode)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    if (candidates.length === 0) return undefined;
    const [file, inode] = this.random.pick(candidates);
    const offset = this.random.nextInt(0, inode.durable.size);
    const bit = this.random.nextInt(0, 8);
    const durableList = inode.durable.list;
    const index = chunkIndexAt(durableList, inode.durable.count, offset);
    const chunk = durableList.chunks[index]!;
    const flipped = chunk.slice();
    flipped[offset - chunkStartOf(durableList, index)]! ^= 1 << bit;
    // The flip is on the platter: every view sharing this block sees it, and the page cache holds
    // the same block, so the running process reads the flip too. A flip keeps the chunk's length,
    // so the end offsets stay true.
    durableList.chunks[index] = flipped;
    if (inode.list !== durableList && inode.list.chunks[index] === chunk) inode.list.chunks[index] = flipped;
    this.stats.bitFlips++;
    return { file, offset, bit };
  }

  usedBytes(): number {
    let used = 0;
    for (const inode of this.names.values()) used += inode.size;
    return used;
  }

  /** The durable bytes of a file, as they would read after a power loss (for tests and checkers). */
  durableContent(name: string): Uint8Array | undefined {
    const inode = this.durableNames.get(name);
    return inode === undefined ? undefined : copyRange(inode.durable, 0, inode.durable.size);
  }

  private newInode(): Inode {
    return { inodeId: this.nextInodeId++, list: emptyList(), size: 0, durable: EMPTY_VIEW };
  }

  private setName(name: string, inode: Inode): void {
    this.names.set(name, inode);
    this.namesSnapshot = null;
  }

  private snapshotNames(): Map<string, Inode> {
    if (this.namesSnapshot === null) this.namesSnapshot = new Map(this.names);
    return this.namesSnapshot;
  }

  /** The torn survivor of the first write past the durable prefix, if the file only grew since. */
  private tornTail(inode: Inode): Uint8Array | undefined {
    const durable = inode.durable;
    // Same list: nothing was truncated since the durable point, so the live content extends it.
    if (inode.list !== durable.list || inode.list.chunks.length <= durable.count) return undefined;
    const firstUnsynced = inode.list.chunks[durable.count]!;
    // Half the time the write is lost whole; otherwise a random prefix of it reached the platter.
    if (this.random.chance(0.5)) return undefined;
    return firstUnsynced.subarray(0, this.random.nextInt(0, firstUnsynced.length));
  }
}

/**
 * The bytes [start, end) of a view: O(log chunks + bytes read). A range inside one chunk — a whole
 * record batch, the common read — is returned as a view of that chunk without copying; chunks are
 * never changed once written (a bit flip replaces its chunk), so the view keeps what was read.
 */
function copyRange(view: ChunkView, start: number, end: number): Uint8Array {
  const list = view.list;
  const first = chunkIndexAt(list, view.count, start);
  if (first < view.count && end <= list.ends[first]!) {
    const chunkStart = chunkStartOf(list, first);
    return list.chunks[first]!.subarray(start - chunkStart, end - chunkStart);
  }
  const out = new Uint8Array(end - start);
  for (let i = first; i < view.count; i++) {
    const chunkStart = chunkStartOf(list, i);
    if (chunkStart >= end) break;
    const chunk = list.chunks[i]!;
    const from = Math.max(start, chunkStart);
    const to = Math.min(end, list.ends[i]!);
    out.set(chunk.subarray(from - chunkStart, to - chunkStart), from - start);
  }
  return out;
}

/** A new list holding the first `size` bytes of a view, the last chunk cut if it straddles `size`. */
function prefixOf(view: ChunkView, size: number): ChunkList {
  const list = view.list;
  // The chunks that end at or before `size` are kept whole.
  const whole = chunkIndexAt(list, view.count, size);
  const prefix: ChunkList = { chunks: list.chunks.slice(0, whole), ends: list.ends.slice(0, whole) };
  if (whole < view.count && chunkStartOf(list, whole) < size) {
    pushChunk(prefix, list.chunks[whole]!.subarray(0, size - chunkStartOf(list, whole)));
  }
  return prefix;
}
