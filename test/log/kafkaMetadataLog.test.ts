import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { controlRecordType } from '../../src/log/controlRecord.js';
import { KafkaStorageException } from '../../src/log/errors.js';
import { KafkaMetadataLog, metadataLogConfig } from '../../src/log/kafkaMetadataLog.js';
import { NO_PRODUCER_EPOCH, NO_PRODUCER_ID, NO_SEQUENCE, type RecordBatch, type SimpleRecord } from '../../src/log/recordBatch.js';
import { segmentFileName } from '../../src/log/segment.js';
import { decodeSnapshot, encodeSnapshot, snapshotFileName } from '../../src/log/snapshotFile.js';
import { truncateToEndOffset, validateOffsetAndEpoch } from '../../src/raft/replicatedLog.js';
import { TestDisk } from '../support/testDisk.js';

const DIR = '__cluster_metadata-0';
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function setup(segmentBytes = 1 << 20) {
  const disk = new TestDisk();
  const open = (): KafkaMetadataLog => KafkaMetadataLog.load(disk, DIR, segmentBytes, () => 1000);
  /** Completes every queued fsync, routing each to the log, which must own it. */
  const drain = (log: KafkaMetadataLog): void => {
    while (disk.pendingFsyncs > 0) expect(log.onFsyncComplete(disk.completeNext())).toBe(true);
  };
  return { disk, open, drain };
}

const data = (...values: string[]): SimpleRecord[] => values.map((value) => ({ key: null, value, timestampMs: 1000 }));
const segments = (disk: TestDisk): string[] => disk.list().filter((name) => name.endsWith('.log'));
const snapshots = (disk: TestDisk): string[] => disk.list().filter((name) => name.endsWith('.checkpoint'));

/** Every record as [offset, epoch, value], from the log start to the log end. */
function contents(log: KafkaMetadataLog): Array<[number, number, string | null]> {
  return log.read(log.logStartOffset, 'uncommitted').flatMap((batch) =>
    batch.records.map((record, i): [number, number, string | null] => [batch.baseOffset + i, batch.partitionLeaderEpoch, record.value]),
  );
}

/** A log with epoch 1 at offsets 0..2 and epoch 3 at offsets 3..5, one record per batch. */
function twoEpochLog(segmentBytes?: number) {
  const env = setup(segmentBytes);
  const log = env.open();
  for (const value of ['a', 'b', 'c']) log.appendAsLeader(data(value), 1, false);
  for (const value of ['d', 'e', 'f']) log.appendAsLeader(data(value), 3, false);
  return { ...env, log };
}

function followerBatch(baseOffset: number, epoch: number, values: string[]): RecordBatch {
  return {
    baseOffset,
    lastOffsetDelta: values.length - 1,
    partitionLeaderEpoch: epoch,
    producerId: NO_PRODUCER_ID,
    producerEpoch: NO_PRODUCER_EPOCH,
    baseSequence: NO_SEQUENCE,
    isTransactional: false,
    isControl: false,
    maxTimestampMs: 1000,
    records: data(...values),
  };
}

describe('KafkaMetadataLog: appends and recovery over UnifiedLog', () => {
  test('recovery reads back every record with its epoch and content', () => {
    const { log, open } = twoEpochLog();
    const recovered = open();
    expect(recovered.recovery).toEqual({ logStartOffset: 0, logEndOffset: 6, truncatedAt: null });
    expect(contents(recovered)).toEqual(contents(log));
    expect(recovered.endOffset()).toEqual({ offset: 6, epoch: 3 });
  });

  test('a LeaderChange is a control batch with Kafka’s control record type', () => {
    const { log } = twoEpochLog();
    const record = { key: '{"version":0,"type":2}', value: '{"version":0,"leaderId":"c1","voters":[]}', timestampMs: 0 };
    log.appendAsLeader([record], 4, true);
    const [batch] = log.read(6, 'uncommitted');
    expect(batch!.isControl).toBe(true);
    expect(controlRecordType(batch!.records[0]!)).toBe('LEADER_CHANGE');
  });

  test('a torn last batch is truncated on recovery, never trusted', () => {
    const { disk, open } = twoEpochLog();
    disk.flushPageCache();
    const [segment] = segments(disk);
    disk.truncate(segment!, disk.content(segment!).length - 3);
    const recovered = open();
    expect(recovered.logEndOffset).toBe(5);
    expect(recovered.recovery.truncatedAt).toEqual({ file: segment, position: disk.content(segment!).length, reason: 'torn' });
  });

  test('a flipped bit is caught by the batch CRC, and everything after it (later segments too) is dropped', () => {
    const { disk, open } = twoEpochLog(150);
    expect(segments(disk).length).toBeGreaterThanOrEqual(3);
    const [first] = segments(disk);
    disk.flipBitAt(first!, disk.content(first!).length - 2, 4);
    const recovered = open();
    expect(recovered.recovery.truncatedAt?.reason).toBe('corrupt');
    expect(recovered.logEndOffset).toBeLessThan(6);
    expect(segments(disk)).toEqual([first]);
  });

  test('a flipped bit read back during the run is a storage error, not data', () => {
    const { disk, log } = twoEpochLog();
    const [segment] = segments(disk);
    disk.flipBitAt(segment!, 30, 1);
    expect(() => log.read(0, 'uncommitted')).toThrow(KafkaStorageException);
  });

  test('a flipped bit that a truncation runs into is a storage error, never a quiet cut below the high watermark', () => {
    const { disk, log } = twoEpochLog();
    log.updateHighWatermark(4);
    const [segment] = segments(disk);
    disk.flipBitAt(segment!, 30, 1);
    expect(() => log.truncateTo(5)).toThrow(KafkaStorageException);
  });

  test('a full disk makes an append throw KafkaStorageException', () => {
    const { disk, log } = twoEpochLog();
    disk.setFull(true);
    expect(() => log.appendAsLeader(data('x'), 3, false)).toThrow(KafkaStorageException);
    expect(log.logEndOffset).toBe(6);
  });

  test('appendAsFollower rejects a gap and an epoch that goes back', () => {
    const { log } = twoEpochLog();
    expect(() => log.appendAsFollower([followerBatch(7, 3, ['x'])])).toThrow(/UNEXPECTED_APPEND_OFFSET/);
    expect(() => log.appendAsFollower([followerBatch(6, 2, ['x'])])).toThrow(/epoch 2 after 3/);
    expect(log.appendAsFollower([followerBatch(6, 3, ['x', 'y']), followerBatch(8, 4, ['z'])])).toEqual({ firstOffset: 6, lastOffset: 8 });
    expect(log.endOffset()).toEqual({ offset: 9, epoch: 4 });
  });

  test('no partition-style retention: only a snapshot moves the log start', () => {
    expect(metadataLogConfig(1024)).toMatchObject({ retentionMs: -1, retentionBytes: -1, segmentBytes: 1024 });
  });
});

describe('KafkaMetadataLog durability', () => {
  test('lastFlushedOffset moves only when the fsync completes, and truncation pulls it back', () => {
    const { log, drain } = twoEpochLog();
    log.flush(() => {});
    drain(log);
    log.appendAsLeader(data('g'), 3, false);
    let flushed = false;
    log.flush(() => {
      flushed = true;
    });
    expect(log.lastFlushedOffset).toBe(6);
    drain(log);
    expect(flushed).toBe(true);
    expect(log.lastFlushedOffset).toBe(7);
    log.truncateTo(4);
    expect(log.lastFlushedOffset).toBe(4);
  });

  test('a flush issued before a truncation never claims the truncated offsets', () => {
    const { log, drain } = twoEpochLog();
    log.flush(() => {});
    log.truncateTo(2);
    log.appendAsLeader(data('x', 'y', 'z', 'w'), 4, false);
    drain(log);
    expect(log.lastFlushedOffset).toBe(2);
  });

  test('truncation below the high watermark is refused', () => {
    const { log } = twoEpochLog();
    log.updateHighWatermark(4);
    expect(() => log.truncateTo(3)).toThrow(/below the high watermark 4/);
  });
});

describe('KafkaMetadataLog truncation and divergence', () => {
  test('truncateTo removes records across segments and their epochs', () => {
    const { log, disk, open } = twoEpochLog(150);
    log.truncateTo(2);
    expect(log.endOffset()).toEqual({ offset: 2, epoch: 1 });
    expect(open().logEndOffset).toBe(2);
    expect(segments(disk)).toEqual([0, 1, 2].map((base) => segmentFileName(DIR, base)));
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
    expect(truncateToEndOffset(log, { offset: 5, epoch: 3 })).toBe(5);
    expect(truncateToEndOffset(log, { offset: 9, epoch: 1 })).toBe(3);
    expect(log.endOffset()).toEqual({ offset: 3, epoch: 1 });
  });

  test('truncateToEndOffset to an epoch this log never had cuts at the floor epoch’s end', () => {
    const { log } = twoEpochLog();
    expect(truncateToEndOffset(log, { offset: 5, epoch: 2 })).toBe(3);
  });

  test('validateOffsetAndEpoch: valid, diverging by epoch end, diverging past the end', () => {
    const { log } = twoEpochLog();
    expect(validateOffsetAndEpoch(log, 0, 0).kind).toBe('valid');
    expect(validateOffsetAndEpoch(log, 6, 3).kind).toBe('valid');
    expect(validateOffsetAndEpoch(log, 3, 1).kind).toBe('valid');
    expect(validateOffsetAndEpoch(log, 5, 1)).toEqual({ kind: 'diverging', offsetAndEpoch: { offset: 3, epoch: 1 } });
    expect(validateOffsetAndEpoch(log, 5, 2)).toEqual({ kind: 'diverging', offsetAndEpoch: { offset: 3, epoch: 1 } });
    expect(validateOffsetAndEpoch(log, 8, 3)).toEqual({ kind: 'diverging', offsetAndEpoch: { offset: 6, epoch: 3 } });
  });

  test('property: whatever appends and truncations happen, recovery reads back the same log', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('append' as const), count: fc.integer({ min: 1, max: 4 }), bump: fc.boolean() }),
      fc.record({ kind: fc.constant('truncate' as const), back: fc.integer({ min: 0, max: 6 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), fc.integer({ min: 200, max: 500 }), (ops, segmentBytes) => {
        const { open } = setup(segmentBytes);
        const log = open();
        let epoch = 1;
        for (const next of ops) {
          if (next.kind === 'append') {
            if (next.bump) epoch += 1;
            log.appendAsLeader(data(...Array.from({ length: next.count }, (_, i) => `${epoch}:${i}`)), epoch, false);
          } else {
            log.truncateTo(Math.max(0, log.logEndOffset - next.back));
          }
        }
        const recovered = open();
        expect(recovered.recovery.truncatedAt).toBeNull();
        expect(contents(recovered)).toEqual(contents(log));
        expect(recovered.endOffset()).toEqual(log.endOffset());
      }),
    );
  });
});

describe('KafkaMetadataLog snapshots', () => {
  test('a snapshot file is Kafka’s layout: header, data, footer batches, each CRC-checked', () => {
    const bytes = encodeSnapshot({ endOffset: 5, epoch: 3 }, 'state@5', 1000);
    expect(decodeSnapshot(bytes, { endOffset: 5, epoch: 3 })).toBe('state@5');
    expect(decodeSnapshot(bytes, { endOffset: 5, epoch: 2 })).toBeNull();
    expect(decodeSnapshot(bytes.subarray(0, bytes.length - 1), { endOffset: 5, epoch: 3 })).toBeNull();
    const flipped = bytes.slice();
    flipped[70] = flipped[70]! ^ 0x10;
    expect(decodeSnapshot(flipped, { endOffset: 5, epoch: 3 })).toBeNull();
  });

  test('a snapshot is frozen only once durable; the prefix goes when the owner says, from memory and disk', () => {
    const { log, disk, drain, open } = twoEpochLog(150);
    drain(log);
    const segmentsBefore = segments(disk).length;
    let frozen = false;
    log.createSnapshot({ endOffset: 5, epoch: 3 }, encoder.encode('state@5'), () => {
      frozen = true;
    });
    expect(log.isSnapshotWriteInProgress).toBe(true);
    expect(disk.list().some((name) => name.endsWith('.checkpoint.part'))).toBe(true);
    expect(log.latestSnapshot()).toBeNull();
    drain(log);
    expect(frozen).toBe(true);
    expect(log.logStartOffset).toBe(0);
    expect(log.deleteBeforeSnapshot({ endOffset: 5, epoch: 3 })).toBe(true);
    expect(log.logStartOffset).toBe(5);
    expect(contents(log)).toEqual([[5, 3, 'f']]);
    expect(segments(disk).length).toBeLessThan(segmentsBefore);
    expect(snapshots(disk)).toEqual([snapshotFileName(DIR, { endOffset: 5, epoch: 3 })]);
    const recovered = open();
    expect(recovered.recovery).toMatchObject({ logStartOffset: 5, logEndOffset: 6 });
    expect(decoder.decode(recovered.latestSnapshot()!.payload)).toBe('state@5');
  });

  test('a snapshot must name a prefix of the log, newer than the last one', () => {
    const { log } = twoEpochLog();
    expect(() => log.createSnapshot({ endOffset: 5, epoch: 1 }, encoder.encode('x'), () => {})).toThrow(/not a prefix/);
    expect(() => log.createSnapshot({ endOffset: 9, epoch: 3 }, encoder.encode('x'), () => {})).toThrow();
  });

  test('after a snapshot the leader sends a fetcher below the log start to the snapshot', () => {
    const { log, drain } = twoEpochLog();
    log.createSnapshot({ endOffset: 4, epoch: 3 }, encoder.encode(''), () => log.deleteBeforeSnapshot({ endOffset: 4, epoch: 3 }));
    drain(log);
    const snapshot = { kind: 'snapshot', offsetAndEpoch: { offset: 4, epoch: 3 } };
    expect(validateOffsetAndEpoch(log, 2, 1)).toEqual(snapshot);
    expect(validateOffsetAndEpoch(log, 4, 1)).toEqual(snapshot);
    expect(validateOffsetAndEpoch(log, 4, 3).kind).toBe('valid');
    expect(validateOffsetAndEpoch(log, 6, 3).kind).toBe('valid');
    // An epoch below the snapshot's ends at the snapshot (KafkaMetadataLog's override).
    expect(log.endOffsetForEpoch(1)).toEqual({ offset: 4, epoch: 3 });
  });

  test('a fetched snapshot beyond the log end replaces the whole log', () => {
    const { log, drain, disk } = twoEpochLog();
    const id = { endOffset: 10, epoch: 5 };
    log.storeFetchedSnapshot(id, encodeSnapshot(id, 'leader state', 0), () => {});
    drain(log);
    expect(log.truncateToLatestSnapshot()).toBe(true);
    expect(log.logStartOffset).toBe(10);
    expect(log.endOffset()).toEqual({ offset: 10, epoch: 5 });
    expect(segments(disk).every((name) => name === segmentFileName(DIR, 10))).toBe(true);
    drain(log);
    expect(log.lastFlushedOffset).toBe(10);
    log.appendAsFollower([followerBatch(10, 5, ['x'])]);
    expect(log.logEndOffset).toBe(11);
    expect(decoder.decode(log.latestSnapshot()!.payload)).toBe('leader state');
  });

  test('a fetched snapshot whose last record this log holds keeps what follows it', () => {
    const { log, drain } = twoEpochLog();
    const id = { endOffset: 4, epoch: 3 };
    log.storeFetchedSnapshot(id, encodeSnapshot(id, 's', 0), () => {});
    drain(log);
    expect(log.truncateToLatestSnapshot()).toBe(false);
    expect(log.deleteBeforeSnapshot(id)).toBe(true);
    expect(contents(log).map(([offset]) => offset)).toEqual([4, 5]);
  });

  test('a fetched snapshot that does not decode is refused before anything is written', () => {
    const { log, disk } = twoEpochLog();
    expect(() => log.storeFetchedSnapshot({ endOffset: 4, epoch: 3 }, new Uint8Array([1, 2, 3]), () => {})).toThrow(/does not decode/);
    expect(snapshots(disk)).toEqual([]);
  });

  test('a corrupt newest snapshot is deleted on recovery and an older one, or the log, takes its place', () => {
    const { log, disk, drain, open } = twoEpochLog(150);
    const id = { endOffset: 3, epoch: 1 };
    log.createSnapshot(id, encoder.encode('s'), () => log.deleteBeforeSnapshot(id));
    drain(log);
    const name = snapshotFileName(DIR, id);
    disk.flipBitAt(name, 40, 2);
    const recovered = open();
    expect(recovered.latestSnapshot()).toBeNull();
    expect(disk.exists(name)).toBe(false);
    // The log starts at 3 and nothing covers 0..2 any more: recovery empties it rather than keep a gap.
    expect(recovered.recovery).toMatchObject({ logStartOffset: 0, logEndOffset: 0, truncatedAt: { reason: 'gap: the log starts at 3' } });
  });

  test('a log whose records diverge from a recovered snapshot is replaced by it', () => {
    const { disk, open, drain } = setup();
    const log = open();
    log.appendAsLeader(data('a', 'b', 'c', 'd'), 2, false);
    const id = { endOffset: 3, epoch: 4 };
    log.storeFetchedSnapshot(id, encodeSnapshot(id, 's', 0), () => {});
    drain(log);
    // The process died before it acted on the snapshot: recovery finds records of epoch 2 below it.
    const recovered = open();
    expect(recovered.recovery).toMatchObject({ logStartOffset: 3, logEndOffset: 3 });
    expect(recovered.lastFetchedEpoch()).toBe(4);
    expect(segments(disk)).toEqual([segmentFileName(DIR, 3)]);
  });

  test('recovery deletes what the snapshot supersedes only after the snapshot and the log are durable', () => {
    const { disk, open, drain } = setup(150);
    const log = open();
    for (let i = 0; i < 8; i++) log.appendAsLeader(data(`v${i}`), 1, false);
    const older = { endOffset: 2, epoch: 1 };
    log.createSnapshot(older, encoder.encode('older'), () => log.deleteBeforeSnapshot(older));
    drain(log);
    const newer = { endOffset: 7, epoch: 1 };
    log.createSnapshot(newer, encoder.encode('newer'), () => {});
    drain(log);
    expect(snapshots(disk)).toHaveLength(2);
    const recovered = open();
    expect(recovered.logStartOffset).toBe(7);
    expect(snapshots(disk)).toHaveLength(2);
    drain(recovered);
    expect(snapshots(disk)).toEqual([snapshotFileName(DIR, newer)]);
    expect(segments(disk).length).toBe(1);
  });

  test('memory and disk stay bounded over many snapshot cycles', () => {
    const { disk, drain, open } = setup(400);
    const log = open();
    let epoch = 1;
    for (let round = 0; round < 50; round++) {
      if (round % 7 === 0) epoch += 1;
      for (let i = 0; i < 20; i++) log.appendAsLeader(data(`${round}:${i}`), epoch, false);
      const id = { endOffset: log.logEndOffset - 2, epoch };
      log.updateHighWatermark(log.logEndOffset);
      log.createSnapshot(id, encoder.encode(`state${round}`), () => log.deleteBeforeSnapshot(id));
      drain(log);
    }
    expect(log.logEndOffset - log.logStartOffset).toBe(2);
    expect(segments(disk).length).toBeLessThanOrEqual(2);
    expect(snapshots(disk)).toHaveLength(1);
  });
});
