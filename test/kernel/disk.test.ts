/**
 * The disk's fault model: writes sit in the page cache until fsync; a process crash keeps the page
 * cache; a power loss keeps exactly the durable data (plus, at most, a torn prefix of the first
 * unsynced write); a disk loss keeps nothing; a bit flip is the same on every re-read.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { DEFAULT_DISK_CONFIG, type PendingFsync, SimDisk } from '../../sim/disk.js';
import { RandomRoot } from '../../sim/random.js';

function makeDisk(seed = 1, config = {}) {
  const pending: PendingFsync[] = [];
  let nowMs = 0;
  const disk = new SimDisk('n1', { ...DEFAULT_DISK_CONFIG, ...config }, new RandomRoot(seed).stream('disk/n1'), () => nowMs, (p) => pending.push(p));
  /** Completes every fsync issued so far, in order. */
  const completeAll = () => {
    for (const p of pending.splice(0)) {
      nowMs = Math.max(nowMs, p.completeAtMs);
      disk.completeFsync(p);
    }
  };
  return { disk, pending, completeAll };
}

const bytes = (...values: number[]) => new Uint8Array(values);
const text = (disk: SimDisk, name: string) => {
  const read = disk.read(name);
  return read.ok ? [...read.value] : null;
};

type Op = { kind: 'append'; file: number; data: number[] } | { kind: 'fsync'; file: number } | { kind: 'complete' };
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('append' as const), file: fc.nat({ max: 2 }), data: fc.array(fc.nat({ max: 255 }), { minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('fsync' as const), file: fc.nat({ max: 2 }) }),
  fc.record({ kind: fc.constant('complete' as const) }),
);

describe('SimDisk', () => {
  test('reads see unsynced writes (the page cache)', () => {
    const { disk } = makeDisk();
    expect(disk.append('a', bytes(1, 2, 3)).ok).toBe(true);
    expect(text(disk, 'a')).toEqual([1, 2, 3]);
    expect(disk.read('a', 1, 1)).toEqual({ ok: true, value: bytes(2) });
    expect(disk.read('a', 2, 5).ok).toBe(false);
    expect(disk.read('missing')).toMatchObject({ ok: false, error: { code: 'ENOENT' } });
  });

  test('a process crash keeps page-cache data; nothing on the disk changes (property)', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), (ops) => {
        const { disk, completeAll } = makeDisk();
        apply(disk, ops, completeAll);
        const before = disk.list().map((name) => [name, text(disk, name)]);
        // The world does nothing to the disk on a process crash; the next incarnation reads it.
        const after = disk.list().map((name) => [name, text(disk, name)]);
        expect(after).toEqual(before);
      }),
    );
  });

  test('a power loss keeps exactly the durable data, plus at most a torn prefix of the first unsynced write (property)', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), fc.nat({ max: 1000 }), (ops, seed) => {
        const { disk, completeAll } = makeDisk(seed);
        const firstUnsynced = new Map<string, number[]>();
        const durable = new Map<string, number[]>();
        for (const op of ops) {
          const name = `f${op.kind === 'complete' ? 0 : op.file}`;
          if (op.kind === 'append') disk.append(name, new Uint8Array(op.data));
          if (op.kind === 'fsync') disk.fsync(name);
          if (op.kind === 'complete') completeAll();
        }
        for (const name of disk.list()) {
          const content = disk.durableContent(name);
          if (content !== undefined) durable.set(name, [...content]);
        }
        // Remember each file's first write after its durable prefix: the only one that may tear.
        for (const name of disk.list()) {
          const all = text(disk, name)!;
          const kept = durable.get(name) ?? [];
          firstUnsynced.set(name, all.slice(kept.length));
        }
        disk.powerLoss();
        for (const name of disk.list()) {
          const after = text(disk, name)!;
          const kept = durable.get(name);
          expect(kept, `${name} survived without a durable directory entry`).toBeDefined();
          expect(after.slice(0, kept!.length)).toEqual(kept);
          const torn = after.slice(kept!.length);
          expect(firstUnsynced.get(name)!.slice(0, torn.length)).toEqual(torn);
        }
        for (const name of durable.keys()) expect(disk.exists(name)).toBe(true);
      }),
    );
  });

  test('a completed fsync makes the file durable; an uncompleted one does not', () => {
    const { disk, pending, completeAll } = makeDisk();
    disk.append('log', bytes(1, 2));
    disk.fsync('log');
    completeAll();
    disk.append('log', bytes(3, 4));
    disk.fsync('log');
    expect(pending).toHaveLength(1);
    disk.powerLoss();
    expect(text(disk, 'log')!.slice(0, 2)).toEqual([1, 2]);
    // The cancelled fsync would have made [1,2,3,4] durable; after the power loss it must not.
    expect(disk.completeFsync(pending[0]!)).toBe(false);
    expect(text(disk, 'log')!.length).toBeLessThanOrEqual(4);
  });

  test('a rename is durable only after a later fsync completes', () => {
    const { disk, completeAll } = makeDisk();
    disk.append('tmp', bytes(9));
    disk.fsync('tmp');
    completeAll();
    disk.rename('tmp', 'state');
    disk.powerLoss();
    expect(disk.list()).toEqual(['tmp']);
    disk.rename('tmp', 'state');
    disk.fsync('state');
    completeAll();
    disk.powerLoss();
    expect(disk.list()).toEqual(['state']);
    expect(text(disk, 'state')).toEqual([9]);
  });

  test('the background flush makes everything durable', () => {
    const { disk } = makeDisk();
    disk.append('a', bytes(1, 2, 3));
    disk.flushPageCache();
    disk.powerLoss();
    expect(text(disk, 'a')).toEqual([1, 2, 3]);
  });

  test('a disk loss wipes everything, durable or not', () => {
    const { disk, completeAll } = makeDisk();
    disk.append('a', bytes(1));
    disk.fsync('a');
    completeAll();
    disk.append('b', bytes(2));
    disk.wipe();
    expect(disk.list()).toEqual([]);
  });

  test('a full disk refuses appends with ENOSPC and leaves the file unchanged', () => {
    const { disk } = makeDisk();
    disk.append('a', bytes(1));
    disk.setFull(true);
    expect(disk.append('a', bytes(2))).toMatchObject({ ok: false, error: { code: 'ENOSPC' } });
    expect(text(disk, 'a')).toEqual([1]);
    disk.setFull(false);
    expect(disk.append('a', bytes(2)).ok).toBe(true);
    const small = makeDisk(1, { capacityBytes: 4 }).disk;
    expect(small.append('x', bytes(1, 2, 3, 4, 5)).ok).toBe(false);
  });

  test('a flipped bit reads the same on every re-read and survives a power loss', () => {
    const { disk, completeAll } = makeDisk(3);
    disk.append('a', new Uint8Array(64));
    disk.fsync('a');
    completeAll();
    const flip = disk.flipBit()!;
    expect(flip.file).toBe('a');
    const first = text(disk, 'a')!;
    expect(first[flip.offset]).toBe(1 << flip.bit);
    expect(text(disk, 'a')).toEqual(first);
    disk.powerLoss();
    expect(text(disk, 'a')).toEqual(first);
  });

  test('any byte range of a file of many chunks reads what a flat byte array holds, across truncates and flips (property)', () => {
    type RangeOp = { kind: 'append'; data: number[] } | { kind: 'truncate'; at: number } | { kind: 'flip' } | { kind: 'read'; from: number; length: number };
    const rangeOpArb: fc.Arbitrary<RangeOp> = fc.oneof(
      { weight: 4, arbitrary: fc.record({ kind: fc.constant('append' as const), data: fc.array(fc.nat({ max: 255 }), { minLength: 1, maxLength: 5 }) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('flip' as const) }) },
      { weight: 4, arbitrary: fc.record({ kind: fc.constant('read' as const), from: fc.nat(), length: fc.nat() }) },
    );
    fc.assert(
      fc.property(fc.array(rangeOpArb, { maxLength: 80 }), (ops) => {
        const { disk, completeAll } = makeDisk(9);
        let model: number[] = [];
        disk.append('a', new Uint8Array(0));
        for (const op of ops) {
          if (op.kind === 'append') {
            disk.append('a', new Uint8Array(op.data));
            model.push(...op.data);
          } else if (op.kind === 'truncate') {
            const size = op.at % (model.length + 1);
            expect(disk.truncate('a', size).ok).toBe(true);
            model = model.slice(0, size);
          } else if (op.kind === 'flip') {
            disk.fsync('a');
            completeAll();
            const flip = disk.flipBit();
            if (flip !== undefined) model[flip.offset]! ^= 1 << flip.bit;
          } else {
            const from = op.from % (model.length + 1);
            const length = op.length % (model.length - from + 1);
            const read = disk.read('a', from, length);
            expect(read.ok && [...read.value]).toEqual(model.slice(from, from + length));
          }
        }
        expect(text(disk, 'a')).toEqual(model);
      }),
    );
  });

  test('fsyncs of one disk complete in the order issued, slower under a slow-fsync fault', () => {
    const { disk, pending } = makeDisk(5);
    for (let i = 0; i < 20; i++) {
      disk.append('a', bytes(i));
      disk.fsync('a');
    }
    const times = pending.map((p) => p.completeAtMs);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    disk.setFsyncSlowFactor(50);
    disk.fsync('a');
    expect(pending.at(-1)!.completeAtMs).toBeGreaterThanOrEqual(times.at(-1)! + 50 * DEFAULT_DISK_CONFIG.fsyncLatencyMs);
  });
});

function apply(disk: SimDisk, ops: Op[], completeAll: () => void): void {
  for (const op of ops) {
    if (op.kind === 'append') disk.append(`f${op.file}`, new Uint8Array(op.data));
    if (op.kind === 'fsync') disk.fsync(`f${op.file}`);
    if (op.kind === 'complete') completeAll();
  }
}
