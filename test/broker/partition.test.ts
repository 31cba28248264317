/**
 * The broker's Partition: the leader's and follower's rules of replication, each pinned with the
 * behaviour its legacy switch restores.
 */
import { describe, expect, test } from 'vitest';
import type { NodeId, TraceEvent } from '../../src/host.js';
import { DEFAULT_LEGACY_SWITCHES, type LegacySwitches } from '../../src/broker/config.js';
import { Partition } from '../../src/broker/partition.js';
import { DEFAULT_LOG_CONFIG } from '../../src/log/config.js';
import { UnifiedLog } from '../../src/log/unifiedLog.js';
import { decodeReceivedRecords, EMPTY_RECORDS, encodeBatch, memoryRecords } from '../../src/log/recordBatch.js';
import type { PartitionRegistration } from '../../src/metadata/types.js';
import type { FetchPartition } from '../../src/protocol/apis.js';
import { TestDisk } from '../support/testDisk.js';

interface Rig {
  partition: Partition;
  traces: TraceEvent[];
  proposals: Array<readonly NodeId[]>;
  clock: { now: number };
}

function rig(local: NodeId, options: { minIsr?: number; legacy?: Partial<LegacySwitches>; lagMs?: number; ineligible?: NodeId[] } = {}): Rig {
  const traces: TraceEvent[] = [];
  const proposals: Array<readonly NodeId[]> = [];
  const clock = { now: 0 };
  const log = UnifiedLog.load(new TestDisk(), 't-0', DEFAULT_LOG_CONFIG, 0);
  const partition = new Partition('t', 0, local, log, {
    minInsyncReplicas: options.minIsr ?? 1,
    replicaLagTimeMaxMs: options.lagMs ?? 30_000,
    legacy: { ...DEFAULT_LEGACY_SWITCHES, ...options.legacy },
  }, {
    nowMs: () => clock.now,
    trace: (event) => traces.push(event),
    sendAlterPartition: (_p, request) => proposals.push(request.newIsrWithEpochs.map((m) => m.brokerId)),
    isReplicaIsrEligible: (brokerId) => !(options.ineligible ?? []).includes(brokerId),
    onStorageError: (reason) => traces.push({ type: 'test.storage-error', reason }),
  });
  return { partition, traces, proposals, clock };
}

const registration = (leader: NodeId | null, leaderEpoch: number, isr: NodeId[], partitionEpoch = leaderEpoch): PartitionRegistration => ({
  topic: 't',
  topicId: 'id-t',
  partitionId: 0,
  replicas: ['b1', 'b2', 'b3'],
  isr,
  lastKnownElr: [],
  eligibleLeaderReplicas: [],
  leader,
  leaderEpoch,
  partitionEpoch,
  leaderRecoveryState: 'RECOVERED',
});

const records = (...values: string[]) => values.map((value) => ({ key: null, value, timestampMs: 0 }));

const fetchAt = (fetchOffset: number, currentLeaderEpoch: number, lastFetchedEpoch = -1): FetchPartition => ({
  partition: 0,
  currentLeaderEpoch,
  fetchOffset,
  lastFetchedEpoch,
  logStartOffset: 0,
  partitionMaxBytes: 1 << 20,
});

describe('Partition as leader', () => {
  test('acks=all is refused with NOT_ENOUGH_REPLICAS while the ISR is below min.insync.replicas', () => {
    const { partition } = rig('b1', { minIsr: 2 });
    partition.applyRegistration(registration('b1', 0, ['b1']));
    expect(partition.appendRecordsToLeader(records('a'), null, -1, 0)).toEqual({ error: 'NOT_ENOUGH_REPLICAS' });
    expect(partition.appendRecordsToLeader(records('a'), null, 1, 0)).toMatchObject({ firstOffset: 0 });
  });

  test('the high watermark is the smallest log end in the ISR, and moves only as followers fetch', () => {
    const { partition } = rig('b1', { minIsr: 2 });
    partition.applyRegistration(registration('b1', 0, ['b1', 'b2', 'b3']));
    partition.appendRecordsToLeader(records('a', 'b', 'c'), null, -1, 0);
    expect(partition.highWatermark).toBe(0);
    partition.fetchAsLeaderForFollower('b2', 1, fetchAt(3, 0), 1 << 20, 1);
    expect(partition.highWatermark).toBe(0);
    partition.fetchAsLeaderForFollower('b3', 1, fetchAt(2, 0), 1 << 20, 1);
    expect(partition.highWatermark).toBe(2);
    expect(partition.checkEnoughReplicasReachOffset(3)).toEqual({ done: false });
    partition.fetchAsLeaderForFollower('b3', 1, fetchAt(3, 0), 1 << 20, 2);
    expect(partition.checkEnoughReplicasReachOffset(3)).toEqual({ done: true, error: 'NONE' });
  });

  test('KAFKA-15583: the high watermark does not advance while the ISR is below min.insync.replicas (legacy switch: it does)', () => {
    for (const legacy of [false, true]) {
      const { partition } = rig('b1', { minIsr: 2, legacy: { highWatermarkAdvancesBelowMinIsr: legacy } });
      partition.applyRegistration(registration('b1', 0, ['b1']));
      partition.appendRecordsToLeader(records('a'), null, 1, 0);
      expect(partition.highWatermark, `legacy=${legacy}`).toBe(legacy ? 1 : 0);
    }
  });

  test('KAFKA-7128: a follower joins the ISR only past the leader epoch start offset (legacy switch: at the high watermark)', () => {
    for (const legacy of [false, true]) {
      const { partition, proposals } = rig('b1', { legacy: { isrJoinWithoutEpochStartOffset: legacy } });
      // b3 is in the ISR but never fetches, so the high watermark stays behind the log end.
      partition.applyRegistration(registration('b1', 0, ['b1', 'b3']));
      for (const value of ['a', 'b', 'c']) partition.appendRecordsToLeader(records(value), null, 1, 0);
      partition.log.updateHighWatermark(1);
      // A new epoch starts at offset 3, while the high watermark is still 1.
      partition.applyRegistration(registration('b1', 1, ['b1', 'b3'], 1));
      expect(partition.highWatermark).toBe(1);
      partition.fetchAsLeaderForFollower('b2', 1, fetchAt(1, 1, 0), 1 << 20, 1);
      expect(proposals, `legacy=${legacy}: at the high watermark, below the epoch start`).toEqual(legacy ? [['b1', 'b3', 'b2']] : []);
      if (legacy) continue;
      partition.fetchAsLeaderForFollower('b2', 1, fetchAt(3, 1, 0), 1 << 20, 2);
      expect(proposals).toEqual([['b1', 'b3', 'b2']]);
    }
  });

  test('KIP-903: a caught-up follower that is fenced or has a stale broker epoch is not proposed for the ISR', () => {
    const { partition, proposals } = rig('b1', { ineligible: ['b2'] });
    partition.applyRegistration(registration('b1', 0, ['b1']));
    partition.appendRecordsToLeader(records('a'), null, 1, 0);
    partition.fetchAsLeaderForFollower('b2', 7, fetchAt(1, 0), 1 << 20, 1);
    expect(proposals).toEqual([]);
    partition.fetchAsLeaderForFollower('b3', 7, fetchAt(1, 0), 1 << 20, 1);
    expect(proposals).toEqual([['b1', 'b3']]);
  });

  test('a follower that has not caught up for replica.lag.time.max.ms is proposed out of the ISR', () => {
    const { partition, proposals, clock } = rig('b1', { lagMs: 1_000 });
    partition.applyRegistration(registration('b1', 0, ['b1', 'b2', 'b3']));
    partition.appendRecordsToLeader(records('a'), null, 1, 0);
    partition.fetchAsLeaderForFollower('b2', 1, fetchAt(1, 0), 1 << 20, 500);
    clock.now = 1_500;
    partition.maybeShrinkIsr(1_500);
    expect(proposals).toEqual([['b1', 'b2']]);
  });

  test('KAFKA-7152: a follower whose log end is the leader\'s stays in the ISR however long since it fetched', () => {
    const { partition, proposals, clock } = rig('b1', { lagMs: 1_000 });
    partition.applyRegistration(registration('b1', 0, ['b1', 'b2', 'b3']));
    partition.appendRecordsToLeader(records('a'), null, 1, 0);
    partition.fetchAsLeaderForFollower('b2', 1, fetchAt(1, 0), 1 << 20, 0);
    partition.fetchAsLeaderForFollower('b3', 1, fetchAt(1, 0), 1 << 20, 0);
    clock.now = 60_000;
    partition.maybeShrinkIsr(60_000);
    expect(proposals).toEqual([]);
    // Behind the leader's log end, the same silence is lag.
    partition.appendRecordsToLeader(records('b'), null, 1, 60_000);
    partition.maybeShrinkIsr(60_000);
    expect(proposals).toEqual([['b1']]);
  });

  test('KAFKA-4485: the high watermark waits for a caught-up, ISR-eligible follower outside the ISR', () => {
    for (const eligible of [true, false]) {
      const { partition } = rig('b1', { ineligible: eligible ? [] : ['b2'] });
      partition.applyRegistration(registration('b1', 0, ['b1']));
      partition.appendRecordsToLeader(records('a', 'b'), null, 1, 0);
      partition.fetchAsLeaderForFollower('b2', 1, fetchAt(0, 0), 1 << 20, 0);
      partition.appendRecordsToLeader(records('c', 'd'), null, 1, 0);
      // b2 reached where the leader was at its previous fetch: caught up, below the high watermark (4).
      partition.fetchAsLeaderForFollower('b2', 1, fetchAt(2, 0), 1 << 20, 1);
      partition.appendRecordsToLeader(records('e', 'f'), null, 1, 2);
      expect(partition.highWatermark, `eligible=${eligible}`).toBe(eligible ? 4 : 6);
    }
    // A follower that never caught up in this leadership is not waited for.
    const { partition } = rig('b1');
    partition.applyRegistration(registration('b1', 0, ['b1']));
    partition.appendRecordsToLeader(records('a', 'b'), null, 1, 0);
    partition.fetchAsLeaderForFollower('b2', 1, fetchAt(0, 0), 1 << 20, 0);
    partition.appendRecordsToLeader(records('c'), null, 1, 0);
    expect(partition.highWatermark).toBe(3);
  });

  test('KIP-497: the high watermark waits for a replica an AlterPartition in flight is adding (legacy switch: only for the committed ISR)', () => {
    for (const legacy of [false, true]) {
      const { partition, proposals } = rig('b1', { legacy: { highWatermarkOverCommittedIsr: legacy } });
      partition.applyRegistration(registration('b1', 0, ['b1', 'b2']));
      partition.appendRecordsToLeader(records('a', 'b'), null, 1, 0);
      partition.fetchAsLeaderForFollower('b2', 1, fetchAt(2, 0), 1 << 20, 0);
      // b3 reaches the high watermark (2): the leader proposes it, and the proposal stays in flight.
      partition.fetchAsLeaderForFollower('b3', 1, fetchAt(2, 0), 1 << 20, 0);
      expect(proposals).toEqual([['b1', 'b2', 'b3']]);
      partition.appendRecordsToLeader(records('c', 'd'), null, 1, 1);
      partition.fetchAsLeaderForFollower('b2', 1, fetchAt(4, 0), 1 << 20, 1);
      // The fix waits for b3, which the controller may yet commit into the ISR; the legacy leader
      // passes it, and the ISR the controller then commits holds a replica without records 2 and 3.
      expect(partition.highWatermark, `legacy=${legacy}`).toBe(legacy ? 4 : 2);
    }
  });

  test('KIP-320: fetches with a stale or future leader epoch are refused (legacy switch: accepted)', () => {
    const { partition } = rig('b1');
    partition.applyRegistration(registration('b1', 5, ['b1', 'b2']));
    expect(partition.fetchAsLeaderForFollower('b2', 1, fetchAt(0, 4), 1 << 20, 0).errorCode).toBe('FENCED_LEADER_EPOCH');
    expect(partition.fetchAsLeaderForFollower('b2', 1, fetchAt(0, 6), 1 << 20, 0).errorCode).toBe('UNKNOWN_LEADER_EPOCH');
    const legacy = rig('b1', { legacy: { noLeaderEpochFencing: true } }).partition;
    legacy.applyRegistration(registration('b1', 5, ['b1', 'b2']));
    expect(legacy.fetchAsLeaderForFollower('b2', 1, fetchAt(0, 4), 1 << 20, 0).errorCode).toBe('NONE');
  });

  test('a consumer is never handed records at or above the high watermark', () => {
    const { partition } = rig('b1', { minIsr: 1 });
    partition.applyRegistration(registration('b1', 0, ['b1', 'b2']));
    partition.appendRecordsToLeader(records('a', 'b'), null, 1, 0);
    expect(partition.fetchAsLeaderForConsumer(fetchAt(0, 0), 1 << 20).records.batches).toEqual([]);
    partition.fetchAsLeaderForFollower('b2', 1, fetchAt(2, 0), 1 << 20, 1);
    expect(decodeReceivedRecords(partition.fetchAsLeaderForConsumer(fetchAt(0, 0), 1 << 20).records)!.flatMap(({ batch }) => batch.records.map((r) => r.value))).toEqual(['a', 'b']);
  });

  test('the leader answers a follower whose last epoch diverged with the diverging epoch, and no records', () => {
    const { partition } = rig('b1');
    partition.applyRegistration(registration('b1', 2, ['b1', 'b2']));
    partition.appendRecordsToLeader(records('a', 'b'), null, 1, 0);
    const response = partition.fetchAsLeaderForFollower('b2', 1, fetchAt(5, 2, 1), 1 << 20, 0);
    expect(response.divergingEpoch).not.toBeNull();
    expect(response.records.batches).toEqual([]);
  });
});

describe('Partition as follower', () => {
  test('stores the leader’s batches as the bytes it was sent, and refuses a batch whose CRC fails on receipt', () => {
    const leader = rig('b1').partition;
    leader.applyRegistration(registration('b1', 1, ['b1', 'b2']));
    leader.appendRecordsToLeader(records('x', 'y'), null, 1, 0);
    leader.appendRecordsToLeader(records('z'), null, 1, 0);
    const sent = leader.fetchAsLeaderForFollower('b2', 1, fetchAt(0, 1), 1 << 20, 0);
    const follower = rig('b2');
    follower.partition.applyRegistration(registration('b1', 1, ['b1', 'b2']));

    // One bit flipped in the second batch on the way: the follower appends nothing, and says why.
    const flipped = sent.records.batches[1]!.slice();
    flipped[flipped.length - 3] = flipped[flipped.length - 3]! ^ 0x10;
    const corrupt = { ...sent, records: memoryRecords([sent.records.batches[0]!, flipped]) };
    expect(follower.partition.onFollowerFetchResponse(corrupt, 0)).toEqual({ error: 'CORRUPT_MESSAGE' });
    expect(follower.partition.log.logEndOffset).toBe(0);
    expect(follower.traces.map((event) => event.type)).toContain('partition.corrupt-fetch');

    expect(follower.partition.onFollowerFetchResponse(sent, 0)).toBe('ok');
    expect(follower.partition.log.read(0, 1 << 20, 3).records.batches).toEqual(sent.records.batches);
  });

  test('truncates where the leader says its log diverged, then appends what it fetches', () => {
    const leader = rig('b1').partition;
    leader.applyRegistration(registration('b1', 3, ['b1', 'b2']));
    leader.appendRecordsToLeader(records('x', 'y'), null, 1, 0);
    const follower = rig('b2');
    // The follower holds two records of an older epoch the leader never had.
    follower.partition.applyRegistration(registration('b3', 1, ['b2', 'b3']));
    follower.partition.onFollowerFetchResponse({ ...leader.fetchAsLeaderForConsumer(fetchAt(0, 3), 0), records: memoryRecords([encodeBatch({ ...leader.log.readBatches(0, 1 << 20, 2).batches[0]!, partitionLeaderEpoch: 1 })]) }, 0);
    expect(follower.partition.log.logEndOffset).toBe(2);
    follower.partition.applyRegistration(registration('b1', 3, ['b1', 'b2'], 4));
    const answer = leader.fetchAsLeaderForFollower('b2', 1, follower.partition.followerFetchRequest(), 1 << 20, 1);
    // Epoch 1 predates the leader's first epoch: Kafka answers (1, start of its first epoch).
    expect(answer.divergingEpoch).toEqual({ epoch: 1, endOffset: 0 });
    expect(follower.partition.onFollowerFetchResponse(answer, 1)).toBe('truncated');
    expect(follower.partition.log.logEndOffset).toBe(0);
    expect(follower.traces.some((t) => t.type === 'partition.truncate')).toBe(true);
    const next = leader.fetchAsLeaderForFollower('b2', 1, follower.partition.followerFetchRequest(), 1 << 20, 2);
    expect(follower.partition.onFollowerFetchResponse(next, 2)).toBe('ok');
    expect(follower.partition.log.logEndOffset).toBe(2);
  });

  test('a diverging epoch the leader cannot place (undefined end offset) truncates to the high watermark, as Kafka does', () => {
    const { partition } = rig('b2');
    partition.applyRegistration(registration('b2', 0, ['b2', 'b3']));
    for (const value of ['a', 'b', 'c']) partition.appendRecordsToLeader(records(value), null, 1, 0);
    partition.log.updateHighWatermark(2);
    partition.applyRegistration(registration('b1', 1, ['b1', 'b2'], 1));
    const outcome = partition.onFollowerFetchResponse({
      partitionIndex: 0,
      errorCode: 'NONE',
      highWatermark: 0,
      lastStableOffset: 0,
      logStartOffset: 0,
      divergingEpoch: { epoch: -1, endOffset: -1 },
      currentLeader: { leaderId: 'b1', leaderEpoch: 1 },
      records: EMPTY_RECORDS,
    }, 1);
    expect(outcome).toBe('truncated');
    expect(partition.log.logEndOffset).toBe(2);
  });

  test('pre-KIP-101 legacy switch: a new follower truncates to its high watermark, committed or not', () => {
    const { partition } = rig('b2', { legacy: { truncateToHighWatermark: true } });
    partition.applyRegistration(registration('b2', 0, ['b2', 'b3']));
    for (const value of ['a', 'b', 'c']) partition.appendRecordsToLeader(records(value), null, 1, 0);
    partition.log.updateHighWatermark(1);
    partition.applyRegistration(registration('b1', 1, ['b1', 'b2'], 1));
    expect(partition.log.logEndOffset).toBe(1);
  });

  /**
   * KIP-279's scenario: the follower (b2) led epoch 1 after a shorter log; the leader (b3) never
   * had epoch 1 and holds epoch-0 records where b2 holds epoch-1 ones.
   */
  function doubleFailover(legacy: Partial<LegacySwitches>) {
    const leader = rig('b3');
    leader.partition.applyRegistration(registration('b1', 0, ['b1', 'b2', 'b3']));
    const epoch0 = rig('b1');
    epoch0.partition.applyRegistration(registration('b1', 0, ['b1', 'b2', 'b3']));
    for (const value of ['a', 'b', 'c']) epoch0.partition.appendRecordsToLeader(records(value), null, 1, 0);
    leader.partition.onFollowerFetchResponse(epoch0.partition.fetchAsLeaderForFollower('b3', 1, fetchAt(0, 0), 1 << 20, 0), 0);
    leader.partition.applyRegistration(registration('b3', 2, ['b3'], 2));
    const follower = rig('b2', { legacy });
    follower.partition.applyRegistration(registration('b1', 0, ['b1', 'b2', 'b3']));
    follower.partition.onFollowerFetchResponse({ ...epoch0.partition.fetchAsLeaderForConsumer(fetchAt(0, 0), 0), records: epoch0.partition.log.read(0, 1, 1).records }, 0);
    follower.partition.applyRegistration(registration('b2', 1, ['b2', 'b3'], 1));
    follower.partition.appendRecordsToLeader(records('X', 'Y'), null, 1, 0);
    follower.partition.applyRegistration(registration('b3', 2, ['b3'], 2));
    return { leader: leader.partition, follower: follower.partition };
  }

  test('KIP-279: the follower truncates to the end of its own copy of the epoch the leader names', () => {
    const { leader, follower } = doubleFailover({});
    const answer = leader.fetchAsLeaderForFollower('b2', 1, follower.followerFetchRequest(), 1 << 20, 1);
    // b3 became leader of epoch 2 at its log end (3), before any record of it: epoch 0 ends at 3.
    expect(answer.divergingEpoch).toEqual({ epoch: 0, endOffset: 3 });
    follower.onFollowerFetchResponse(answer, 1);
    expect(follower.log.logEndOffset).toBe(1);
  });

  test('pre-KIP-279 legacy switch: the follower truncates to the bare offset and keeps its divergent epoch-1 records', () => {
    const { leader, follower } = doubleFailover({ epochLookupWithoutEpoch: true });
    follower.onFollowerFetchResponse(leader.fetchAsLeaderForFollower('b2', 1, follower.followerFetchRequest(), 1 << 20, 1), 1);
    expect(follower.log.logEndOffset).toBe(3);
    // Checked once on becoming a follower; from now on it fetches by offset alone.
    expect(follower.followerFetchRequest().lastFetchedEpoch).toBe(-1);
    const next = leader.fetchAsLeaderForFollower('b2', 1, follower.followerFetchRequest(), 1 << 20, 2);
    expect(next.divergingEpoch).toBeNull();
  });

  test('pre-KIP-320 legacy switch: fetches carry no leader epoch, and the log is checked once per leadership', () => {
    const leader = rig('b1').partition;
    leader.applyRegistration(registration('b1', 4, ['b1', 'b2']));
    leader.appendRecordsToLeader(records('a'), null, 1, 0);
    const { partition } = rig('b2', { legacy: { noLeaderEpochFencing: true } });
    partition.applyRegistration(registration('b1', 4, ['b1', 'b2']));
    expect(partition.followerFetchRequest()).toMatchObject({ currentLeaderEpoch: -1, lastFetchedEpoch: -1 });
    partition.onFollowerFetchResponse(leader.fetchAsLeaderForFollower('b2', 1, partition.followerFetchRequest(), 1 << 20, 0), 0);
    expect(partition.log.latestEpoch()).toBe(4);
    // Checked already in this leadership: by offset alone from now on.
    expect(partition.followerFetchRequest().lastFetchedEpoch).toBe(-1);
    // An offset the leader does not have sends it back to checking.
    const outOfRange = { ...leader.fetchAsLeaderForFollower('b2', 1, { ...partition.followerFetchRequest(), fetchOffset: 99 }, 1 << 20, 1) };
    expect(outOfRange.errorCode).toBe('OFFSET_OUT_OF_RANGE');
    partition.onFollowerFetchResponse(outOfRange, 1);
    expect(partition.followerFetchRequest().lastFetchedEpoch).toBe(4);
    // A new leadership checks again, still without a leader epoch for the leader to fence.
    partition.onFollowerFetchResponse(leader.fetchAsLeaderForFollower('b2', 1, partition.followerFetchRequest(), 1 << 20, 2), 2);
    expect(partition.followerFetchRequest().lastFetchedEpoch).toBe(-1);
    partition.applyRegistration(registration('b3', 5, ['b2', 'b3']));
    expect(partition.followerFetchRequest()).toMatchObject({ currentLeaderEpoch: -1, lastFetchedEpoch: 4 });
  });
});

describe('consumer fetches (LocalLog.read)', () => {
  test('a position between the high watermark and the log end reads nothing yet; past the log end it is out of range', () => {
    const leader = rig('b1').partition;
    leader.applyRegistration(registration('b1', 2, ['b1', 'b2']));
    leader.appendRecordsToLeader(records('a', 'b'), null, 1, 0);
    expect(leader.highWatermark).toBe(0);
    const fetch = (fetchOffset: number) => leader.fetchAsLeaderForConsumer({ partition: 0, currentLeaderEpoch: 2, fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20 }, 1 << 20);
    // A consumer that read up to an old leader's high watermark may be ahead of a new leader's (KIP-207).
    expect(fetch(1)).toMatchObject({ errorCode: 'NONE', records: { batches: [] } });
    expect(fetch(2)).toMatchObject({ errorCode: 'NONE', records: { batches: [] } });
    expect(fetch(3).errorCode).toBe('OFFSET_OUT_OF_RANGE');
  });
});
