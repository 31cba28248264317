import { describe, expect, test } from 'vitest';
import { KafkaStorageException } from '../../src/log/errors.js';
import { FileQuorumStateStore, QUORUM_STATE_FILE } from '../../src/log/fileQuorumStateStore.js';
import { TestDisk } from '../support/testDisk.js';

const DIR = '__cluster_metadata-0';
const FILE = `${DIR}/${QUORUM_STATE_FILE}`;

function setup() {
  const disk = new TestDisk();
  const store = new FileQuorumStateStore(disk, DIR);
  const step = (): boolean => {
    if (disk.pendingFsyncs === 0) return false;
    expect(store.onFsyncComplete(disk.completeNext())).toBe(true);
    return true;
  };
  return { disk, store, step };
}

describe('FileQuorumStateStore (the quorum-state file)', () => {
  test('a state becomes durable only after the temp-file fsync, the rename and a second fsync', () => {
    const { disk, store, step } = setup();
    let durable = false;
    store.writeElectionState({ epoch: 1, leaderId: null, votedId: 'b' }, () => {
      durable = true;
    });
    expect(step()).toBe(true);
    expect(durable).toBe(false);
    expect(disk.exists(FILE)).toBe(true);
    expect(step()).toBe(true);
    expect(durable).toBe(true);
    disk.powerLoss();
    expect(new FileQuorumStateStore(disk, DIR).readElectionState()).toEqual({ epoch: 1, leaderId: null, votedId: 'b' });
  });

  test('states written while one is in flight are coalesced: only the newest is written next', () => {
    const { store, step } = setup();
    const durable: number[] = [];
    store.writeElectionState({ epoch: 1, leaderId: null, votedId: null }, () => durable.push(1));
    store.writeElectionState({ epoch: 2, leaderId: null, votedId: null }, () => durable.push(2));
    store.writeElectionState({ epoch: 3, leaderId: 'c', votedId: 'c' }, () => durable.push(3));
    while (step());
    expect(durable).toEqual([1, 3]);
    expect(store.readElectionState()).toEqual({ epoch: 3, leaderId: 'c', votedId: 'c' });
  });

  test('a missing file reads as null, and a flipped bit makes the file unreadable rather than wrong', () => {
    const { disk, store, step } = setup();
    expect(store.readElectionState()).toBeNull();
    store.writeElectionState({ epoch: 7, leaderId: 'b', votedId: 'c' }, () => {});
    while (step());
    expect(new TextDecoder().decode(disk.content(FILE))).toContain('"leaderEpoch":7');
    disk.flipBitAt(FILE, 15, 0);
    expect(store.readElectionState()).toBeNull();
  });

  test('a write the full disk refuses throws KafkaStorageException: the replica must stop', () => {
    const { disk, store } = setup();
    disk.setFull(true);
    expect(() => store.writeElectionState({ epoch: 1, leaderId: null, votedId: null }, () => {})).toThrow(KafkaStorageException);
  });
});
