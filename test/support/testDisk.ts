/**
 * The simulator's own disk (sim/disk.ts), for unit tests of storage code that has no world around
 * it: the same page cache, durability and power-loss model, with the fsyncs left for the test to
 * complete in issue order (`completeNext`, `completeAll`), where a world would complete them after
 * their latency. A test also names the byte a bit flip hits, where a run's flip is drawn from the
 * seed.
 */
import type { DiskCompletion } from '../../src/host.js';
import { DEFAULT_DISK_CONFIG, type PendingFsync, SimDisk } from '../../sim/disk.js';
import { RandomRoot } from '../../sim/random.js';

export class TestDisk extends SimDisk {
  /** The name of every file fsynced, in order. */
  readonly fsyncCalls: string[];
  private readonly queue: PendingFsync[];

  /** `seed` decides the disk's own draws: how a power loss tears the first unsynced write of a file. */
  constructor(seed = 1) {
    const queue: PendingFsync[] = [];
    const fsyncCalls: string[] = [];
    super('test', DEFAULT_DISK_CONFIG, new RandomRoot(seed).stream('disk/test'), () => 0, (pending) => {
      fsyncCalls.push(pending.completion.file);
      queue.push(pending);
    });
    this.queue = queue;
    this.fsyncCalls = fsyncCalls;
  }

  /**
   * A copy of what a power loss would leave of `disk`, less any torn tail: the durable content of
   * every file the disk lists now. (A file deleted since its deletion was made durable would come
   * back after a real power loss; it is left out here.)
   */
  static durableImageOf(disk: SimDisk): TestDisk {
    const image = new TestDisk();
    for (const name of disk.list()) {
      const durable = disk.durableContent(name);
      if (durable !== undefined) image.append(name, durable);
    }
    image.flushPageCache();
    return image;
  }

  get pendingFsyncs(): number {
    return this.queue.length;
  }

  /** Completes the oldest fsync (they complete in issue order) and returns its completion. */
  completeNext(): DiskCompletion {
    const pending = this.queue.shift();
    if (pending === undefined) throw new Error('no fsync pending');
    this.completeFsync(pending);
    return pending.completion;
  }

  completeAll(): DiskCompletion[] {
    const completions: DiskCompletion[] = [];
    while (this.queue.length > 0) completions.push(this.completeNext());
    return completions;
  }

  /**
   * A power loss (SimDisk's): only what is durable survives, and the first unsynced write of a file
   * may survive torn. Fsyncs in flight never complete. Returns how many bytes past its durable
   * content each file kept (the torn prefixes), for the files that kept any.
   */
  override powerLoss(): Map<string, number> {
    const durableSizes = new Map(this.list().map((name) => [name, this.durableContent(name)?.length ?? 0]));
    super.powerLoss();
    this.queue.length = 0;
    const torn = new Map<string, number>();
    for (const name of this.list()) {
      const kept = this.content(name).length - (durableSizes.get(name) ?? 0);
      if (kept > 0) torn.set(name, kept);
    }
    return torn;
  }

  /** What a process reads from the file now (the page cache). */
  content(name: string): Uint8Array {
    const read = this.read(name);
    if (!read.ok) throw new Error(`content: ${read.error.message}`);
    return read.value;
  }

  /** Flips one bit of the file as every later read sees it (see flipBitsAt). */
  flipBitAt(name: string, offset: number, bit: number): void {
    this.flipBitsAt(name, offset, 1 << bit);
  }

  /**
   * Flips the bits of `mask` in one byte of the file, as every later read sees it (the page cache),
   * through the disk's own writes: the tail from `offset` is rewritten with that byte changed. What
   * is durable is untouched.
   */
  flipBitsAt(name: string, offset: number, mask: number): void {
    const content = this.content(name);
    if (offset < 0 || offset >= content.length) throw new Error(`flipBitsAt: ${name} has no byte ${offset}`);
    const tail = content.slice(offset);
    tail[0]! ^= mask;
    const truncated = this.truncate(name, offset);
    const appended = this.append(name, tail);
    if (!truncated.ok || !appended.ok) throw new Error(`flipBitsAt: could not rewrite ${name}`);
  }
}
