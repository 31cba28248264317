import { describe, expect, test } from 'vitest';
import { CheckpointFile } from '../../src/log/checkpointFile.js';
import { KafkaStorageException } from '../../src/log/errors.js';
import { TestDisk } from '../support/testDisk.js';

/** Completes every queued fsync, routing each to the file, which must own it. */
function completeAll(disk: TestDisk, file: CheckpointFile): number {
  let completed = 0;
  while (disk.pendingFsyncs > 0) {
    expect(file.onFsyncComplete(disk.completeNext())).toBe(true);
    completed++;
  }
  return completed;
}

describe('CheckpointFile: act once durable', () => {
  test('a continuation runs only after the temp fsync, the rename and an fsync of the real name', () => {
    const disk = new TestDisk();
    const file = new CheckpointFile(disk, 'dir/quorum-state');
    let durable = false;
    file.write(['{"leaderEpoch":1}'], () => {
      durable = true;
    });
    expect(disk.exists('dir/quorum-state')).toBe(false);
    expect(file.onFsyncComplete(disk.completeNext())).toBe(true);
    expect(disk.exists('dir/quorum-state')).toBe(true);
    expect(durable).toBe(false);
    expect(disk.fsyncCalls).toEqual(['dir/quorum-state.tmp', 'dir/quorum-state']);
    expect(file.onFsyncComplete(disk.completeNext())).toBe(true);
    expect(durable).toBe(true);
    // Only now would a power loss keep the new content under its real name.
    disk.powerLoss();
    expect(file.read()).toEqual({ kind: 'ok', lines: ['{"leaderEpoch":1}'] });
  });

  test('writes queued behind one in flight are coalesced: a superseded continuation never runs', () => {
    const disk = new TestDisk();
    const file = new CheckpointFile(disk, 'cp');
    const durable: number[] = [];
    file.write(['1'], () => durable.push(1));
    file.write(['2'], () => durable.push(2));
    file.write(['3'], () => durable.push(3));
    completeAll(disk, file);
    expect(durable).toEqual([1, 3]);
    expect(file.read()).toEqual({ kind: 'ok', lines: ['3'] });
  });

  test('without a continuation, the next write carries the rename to disk (no extra fsync)', () => {
    const disk = new TestDisk();
    const file = new CheckpointFile(disk, 'cp');
    file.write(['1']);
    file.write(['2']);
    expect(completeAll(disk, file)).toBe(3);
    expect(disk.fsyncCalls).toEqual(['cp.tmp', 'cp.tmp', 'cp']);
  });

  test('binary content under a temp name of the owner’s choosing, as a snapshot is written', () => {
    const disk = new TestDisk();
    const file = new CheckpointFile(disk, 'dir/5-1.checkpoint', { tempName: 'dir/5-1.checkpoint.part' });
    let durable = false;
    file.writeBytes(new Uint8Array([0, 255, 7]), () => {
      durable = true;
    });
    expect(disk.exists('dir/5-1.checkpoint.part')).toBe(true);
    completeAll(disk, file);
    expect(durable).toBe(true);
    expect(disk.exists('dir/5-1.checkpoint.part')).toBe(false);
    expect([...disk.content('dir/5-1.checkpoint')]).toEqual([0, 255, 7]);
  });

  test('with onWriteFailure "throw", a full disk raises KafkaStorageException and nothing is queued', () => {
    const disk = new TestDisk();
    const file = new CheckpointFile(disk, 'cp', { onWriteFailure: 'throw' });
    disk.setFull(true);
    expect(() => file.write(['1'], () => {})).toThrow(KafkaStorageException);
    expect(file.isWriting).toBe(false);
    expect(disk.pendingFsyncs).toBe(0);
  });

  test('a queued write that fails when it starts throws from the completion that starts it', () => {
    const disk = new TestDisk();
    const file = new CheckpointFile(disk, 'cp', { onWriteFailure: 'throw' });
    file.write(['1'], () => {});
    file.write(['2'], () => {});
    disk.setFull(true);
    expect(() => file.onFsyncComplete(disk.completeNext())).toThrow(KafkaStorageException);
  });

  test('completions of other files are not claimed', () => {
    const disk = new TestDisk();
    const file = new CheckpointFile(disk, 'cp');
    disk.fsync('other');
    expect(file.onFsyncComplete(disk.completeNext())).toBe(false);
  });
});
