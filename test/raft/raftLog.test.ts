import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { FsyncTracker } from '../../src/raft/fsyncTracker.js';
import type { LogEntryKind } from '../../src/raft/logEntry.js';
import { RaftLog } from '../../src/raft/raftLog.js';
import { TestDisk } from '../support/testDisk.js';

const DIR = '__cluster_metadata-0';
const encoder = new TextEncoder();

function setup(segmentBytes = 1 << 20) {
  const disk = new TestDisk();
  const fsyncs = new FsyncTracker(disk);
  const drain = (): void => {
    while (disk.pendingFsyncs > 0) fsyncs.handleDiskComplete(disk.completeNext());
  };
  const open = () => RaftLog.recover(disk, fsyncs, DIR, segmentBytes);
  return { disk, fsyncs, drain, open };
}

const data = (text: string): { kind: LogEntryKind; record: Uint8Array } => ({ kind: 'data', record: encoder.encode(text) });
const segments = (disk: TestDisk): string[] => disk.list().filter((name) => name.endsWith('.log'));
const offsetsAndEpochs = (log: RaftLog) =>
  log.read(log.logStartOffset, log.logEndOffset - log.logStartOffset).map((e) => [e.offset, e.epoch]);

/** A log with epoch 1 at offsets 0..2 and epoch 3 at offsets 3..5. */
function twoEpochLog(segmentBytes?: number) {
  const env = setup(segmentBytes);
  const { log } = env.open();
  log.appendAsLeader([data('a'), data('b'), data('c')], 1);
  log.appendAsLeader([data('d'), data('e'), data('f')], 3);
  return { ...env, log };
}

describe('RaftLog append and recovery', () => {
  test('recovery reads back every appended entry with its epoch and content', () => {
    const { log, open } = twoEpochLog();
    const { log: recovered, report } = open();
    expect(report).toMatchObject({ logStartOffset: 0, logEndOffset: 6, truncatedAt: null });
    expect(offsetsAndEpochs(recovered)).toEqual(offsetsAndEpochs(log));
    expect(new TextDecoder().decode(recovered.entryAt(4)!.record)).toBe('e');
    expect(recovered.endOffset()).toEqual({ offset: 6, epoch: 3 });
  });

  test('a torn last frame is truncated on recovery, never trusted', () => {
    const { disk, open } = twoEpochLog();
    const [segment] = segments(disk);
    const size = disk.content(segment!).length;
    disk.truncate(segment!, size - 3);
    const { log, report } = open();
    expect(log.logEndOffset).toBe(5);
    expect(report.truncatedAt?.reason).toBe('torn');
    expect(disk.content(segment!).length).toBe(report.truncatedAt!.position);
  });

  test('a flipped bit is caught by the CRC, and everything after it (later segments too) is dropped', () => {
    const { disk, open } = twoEpochLog(40);
    expect(segments(disk).length).toBeGreaterThanOrEqual(2);
    const [first] = segments(disk);
    disk.flipBitsAt(first!, disk.content(first!).length - 2, 0x10);
    const { log, report } = open();
    expect(report.truncatedAt?.reason).toBe('corrupt');
    expect(log.logEndOffset).toBeLessThan(6);
    expect(segments(disk)).toEqual([first]);
    expect(offsetsAndEpochs(log).every(([offset], i) => offset === i)).toBe(true);
  });

  test('appendAsFollower rejects a gap and an epoch that goes back', () => {
    const { log } = twoEpochLog();
    const entry = (offset: number, epoch: number) => ({ offset, epoch, kind: 'data' as const, record: new Uint8Array(1) });
    expect(() => log.appendAsFollower([entry(7, 3)])).toThrow(/does not follow/);
    expect(() => log.appendAsFollower([entry(6, 2)])).toThrow(/epoch/);
    log.appendAsFollower([entry(6, 3), entry(7, 4)]);
    expect(log.endOffset()).toEqual({ offset: 8, epoch: 4 });
  });
});

describe('RaftLog durability', () => {
  test('flushedOffset moves only when the fsync completes, and truncation pulls it back', () => {
    const { log, drain } = twoEpochLog();
    let flushed = false;
    log.flush(() => {
      flushed = true;
    });
    expect(log.flushedOffset).toBe(0);
    drain();
    expect(flushed).toBe(true);
    expect(log.flushedOffset).toBe(6);
    log.truncateTo(4);
    expect(log.flushedOffset).toBe(4);
  });

  test('a flush issued before a truncation never claims the truncated offsets', () => {
    const { log, drain } = twoEpochLog();
    log.flush(() => {});
    log.truncateTo(2);
    log.appendAsLeader([data('x'), data('y'), data('z'), data('w')], 4);
    drain();
    expect(log.flushedOffset).toBe(2);
  });
});

describe('RaftLog truncation and divergence', () => {
  test('truncateTo removes entries across segments and their epochs', () => {
    const { log, disk, open } = twoEpochLog(40);
    log.truncateTo(2);
    expect(log.endOffset()).toEqual({ offset: 2, epoch: 1 });
    expect(open().log.logEndOffset).toBe(2);
    expect(segments(disk).length).toBeLessThanOrEqual(2);
  });

  test('endOffsetForEpoch follows the epoch cache', () => {
    const { log } = twoEpochLog();
    expect(log.endOffsetForEpoch(1)).toEqual({ offset: 3, epoch: 1 });
    expect(log.endOffsetForEpoch(2)).toEqual({ offset: 3, epoch: 1 });
    expect(log.endOffsetForEpoch(3)).toEqual({ offset: 6, epoch: 3 });
    expect(log.endOffsetForEpoch(9)).toEqual({ offset: 6, epoch: 3 });
  });

  test('truncateToEndOffset keeps the shorter of the two ends of the same epoch', () => {
    const { log } = twoEpochLog();
    expect(log.truncateToEndOffset({ offset: 5, epoch: 3 })).toBe(5);
    expect(log.truncateToEndOffset({ offset: 9, epoch: 1 })).toBe(3);
    expect(log.endOffset()).toEqual({ offset: 3, epoch: 1 });
  });

  test('truncateToEndOffset to an epoch this log never had cuts at the floor epoch end', () => {
    const { log } = twoEpochLog();
    expect(log.truncateToEndOffset({ offset: 5, epoch: 2 })).toBe(3);
  });

  test('validateOffsetAndEpoch: valid, diverging by epoch end, diverging past the end', () => {
    const { log } = twoEpochLog();
    expect(log.validateOffsetAndEpoch(0, 0).kind).toBe('valid');
    expect(log.validateOffsetAndEpoch(6, 3).kind).toBe('valid');
    expect(log.validateOffsetAndEpoch(3, 1).kind).toBe('valid');
    expect(log.validateOffsetAndEpoch(5, 1)).toEqual({ kind: 'diverging', offsetAndEpoch: { offset: 3, epoch: 1 } });
    expect(log.validateOffsetAndEpoch(5, 2)).toEqual({ kind: 'diverging', offsetAndEpoch: { offset: 3, epoch: 1 } });
    expect(log.validateOffsetAndEpoch(8, 3)).toEqual({ kind: 'diverging', offsetAndEpoch: { offset: 6, epoch: 3 } });
  });

  test('property: whatever appends and truncations happen, recovery reads back the same log', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('append' as const), count: fc.integer({ min: 1, max: 4 }), bump: fc.boolean() }),
      fc.record({ kind: fc.constant('truncate' as const), back: fc.integer({ min: 0, max: 6 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), fc.integer({ min: 30, max: 200 }), (ops, segmentBytes) => {
        const { open } = setup(segmentBytes);
        const { log } = open();
        let epoch = 1;
        for (const next of ops) {
          if (next.kind === 'append') {
            if (next.bump) epoch += 1;
            log.appendAsLeader(Array.from({ length: next.count }, (_, i) => data(`${epoch}:${i}`)), epoch);
          } else {
            log.truncateTo(Math.max(0, log.logEndOffset - next.back));
          }
        }
        const { log: recovered, report } = open();
        expect(report.truncatedAt).toBeNull();
        expect(offsetsAndEpochs(recovered)).toEqual(offsetsAndEpochs(log));
        expect(recovered.endOffset()).toEqual(log.endOffset());
      }),
    );
  });
});

describe('RaftLog snapshots', () => {
  test('a snapshot advances the log start only once durable, then drops the prefix from memory and disk', () => {
    const { log, disk, drain, open } = twoEpochLog(40);
    const segmentsBefore = segments(disk).length;
    let done = false;
    log.createSnapshot({ endOffset: 5, epoch: 3 }, encoder.encode('state@5'), () => {
      done = true;
    });
    expect(log.logStartOffset).toBe(0);
    expect(disk.list().some((name) => name.endsWith('.checkpoint.part'))).toBe(true);
    drain();
    expect(done).toBe(true);
    expect(log.logStartOffset).toBe(5);
    expect(log.read(5, 10).map((e) => e.offset)).toEqual([5]);
    expect(segments(disk).length).toBeLessThan(segmentsBefore);
    expect(disk.list()).toContain(`${DIR}/00000000000000000005-0000000003.checkpoint`);
    const { log: recovered, report } = open();
    expect(report).toMatchObject({ logStartOffset: 5, logEndOffset: 6, snapshotId: { endOffset: 5, epoch: 3 } });
    expect(new TextDecoder().decode(recovered.latestSnapshot!.data)).toBe('state@5');
  });

  test('after a snapshot the leader sends a fetcher below the log start to the snapshot', () => {
    const { log, drain } = twoEpochLog();
    log.createSnapshot({ endOffset: 4, epoch: 3 }, new Uint8Array(0), () => {});
    drain();
    const snapshot = { kind: 'snapshot', offsetAndEpoch: { offset: 4, epoch: 3 } };
    expect(log.validateOffsetAndEpoch(2, 1)).toEqual(snapshot);
    expect(log.validateOffsetAndEpoch(4, 1)).toEqual(snapshot);
    expect(log.validateOffsetAndEpoch(4, 3).kind).toBe('valid');
    expect(log.validateOffsetAndEpoch(6, 3).kind).toBe('valid');
    // An epoch below the snapshot's ends at the snapshot (KafkaMetadataLog's override).
    expect(log.endOffsetForEpoch(1)).toEqual({ offset: 4, epoch: 3 });
  });

  test('installing a snapshot beyond the log end replaces the whole log', () => {
    const { log, drain, disk } = twoEpochLog();
    log.installSnapshot({ id: { endOffset: 10, epoch: 5 }, data: new Uint8Array([1]) }, () => {});
    drain();
    expect(log.logStartOffset).toBe(10);
    expect(log.endOffset()).toEqual({ offset: 10, epoch: 5 });
    expect(segments(disk)).toEqual([]);
    expect(log.flushedOffset).toBe(10);
    log.appendAsFollower([{ offset: 10, epoch: 5, kind: 'data', record: new Uint8Array(1) }]);
    expect(log.logEndOffset).toBe(11);
  });

  test('a corrupt newest snapshot is ignored in favour of the log', () => {
    const { log, disk, drain, open } = twoEpochLog();
    log.createSnapshot({ endOffset: 3, epoch: 1 }, encoder.encode('s'), () => {});
    drain();
    const name = `${DIR}/00000000000000000003-0000000001.checkpoint`;
    disk.flipBitsAt(name, 6, 0xff);
    const { report } = open();
    expect(report.snapshotId).toBeNull();
    expect(disk.exists(name)).toBe(false);
  });

  test('memory and disk stay bounded over many snapshot cycles', () => {
    const { disk, drain, open } = setup(200);
    const { log: raftLog } = open();
    let epoch = 1;
    for (let round = 0; round < 50; round++) {
      if (round % 7 === 0) epoch += 1;
      raftLog.appendAsLeader(Array.from({ length: 20 }, (_, i) => data(`${round}:${i}`)), epoch);
      const end = raftLog.logEndOffset;
      raftLog.createSnapshot({ endOffset: end - 2, epoch }, encoder.encode(`state${round}`), () => {});
      drain();
    }
    expect(raftLog.logEndOffset - raftLog.logStartOffset).toBeLessThanOrEqual(22);
    expect(segments(disk).length).toBeLessThanOrEqual(3);
    expect(disk.list().filter((name) => name.endsWith('.checkpoint'))).toHaveLength(1);
  });
});
