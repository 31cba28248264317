/**
 * The per-event replication invariants (sim/systems/kafka/invariants.ts) must be able to fail: each
 * is fed a broken stream of broker events and must name its anomaly, which no configuration allows;
 * the healthy variant of the same stream passes.
 */
import { describe, expect, test } from 'vitest';
import type { TraceEvent } from '../../src/host.js';
import { type Step, append, checker, crash, feed, follower, hw, leader, names, p, recovered, truncate } from './kafkaSupport.js';

const proposeIsr = (isr: string[]): TraceEvent => ({ type: 'partition.isr-proposed', ...p, isr, reason: 'test', partitionEpoch: 0 });
const isrCommitted = (isr: string[], pendingIsr: string[] | null = null): TraceEvent => ({ type: 'partition.isr', ...p, isr, pendingIsr, partitionEpoch: 1 });
const isrRejected: TraceEvent = { type: 'partition.isr-rejected', ...p, errorCode: 'INVALID_UPDATE_VERSION' };
const read = (leaderEpoch: number, highWatermark: number): TraceEvent => ({ type: 'partition.read', ...p, leaderEpoch, fetchOffset: 0, endOffset: 0, highWatermark });
const epochs = (entries: Array<[number, number]>): TraceEvent => ({ type: 'partition.epochs', ...p, entries });

describe('HighWatermarkWithinMaximalIsr', () => {
  const start: Step[] = [['b1', leader(0, ['b1', 'b2'])], ['b1', append(0, ['a', 'b'])], ['b2', append(0, ['a'], 'follower')]];

  test('a leader whose high watermark passes an ISR member\'s log end offset (acks=all behaving as acks=1)', () => {
    expect(names(feed(checker(), [...start, ['b1', hw(1)]]))).toEqual([]);
    expect(names(feed(checker(), [...start, ['b1', hw(2)]]))).toEqual(['HighWatermarkWithinMaximalIsr/high-watermark-above-isr']);
  });

  test('the maximal ISR counts a member an in-flight expansion adds (KIP-497), until the proposal is refused', () => {
    // b3 caught up to the high watermark (1) and is being added; the leader must wait for it too.
    const adding: Step[] = [...start, ['b1', hw(1)], ['b3', follower(0)], ['b3', append(0, ['a'], 'follower')], ['b1', proposeIsr(['b1', 'b2', 'b3'])], ['b2', append(1, ['b'], 'follower')]];
    expect(names(feed(checker(), [...adding, ['b1', hw(2)]]))).toEqual(['HighWatermarkWithinMaximalIsr/high-watermark-above-isr']);
    expect(names(feed(checker(), [...adding, ['b1', isrRejected], ['b1', hw(2)]]))).toEqual([]);
    // Committed with the expansion still pending elsewhere: the leader traces what stays pending.
    expect(names(feed(checker(), [...adding, ['b1', isrCommitted(['b1', 'b2'], ['b1', 'b2', 'b3'])], ['b1', hw(2)]]))).toEqual(['HighWatermarkWithinMaximalIsr/high-watermark-above-isr']);
  });

  test('an ISR change that commits a member below the high watermark (a leader that forgot an expansion the controller then committed)', () => {
    // b3 reached offset 1 and was proposed; the leader dropped the proposal on an error whose
    // outcome it could not know, and let its high watermark pass b3 — then the old proposal committed.
    const adding: Step[] = [...start, ['b1', hw(1)], ['b3', follower(0)], ['b3', append(0, ['a'], 'follower')], ['b1', proposeIsr(['b1', 'b2', 'b3'])], ['b2', append(1, ['b'], 'follower')]];
    const forgotten: Step[] = [...adding, ['b1', isrRejected], ['b1', hw(2)], ['b1', isrCommitted(['b1', 'b2', 'b3'])]];
    expect(names(feed(checker(), forgotten))).toEqual(['HighWatermarkWithinMaximalIsr/high-watermark-above-isr']);
    // Kept pending, the high watermark waits for b3; the commit finds every member at or above it.
    expect(names(feed(checker(), [...adding, ['b1', isrCommitted(['b1', 'b2', 'b3'])], ['b3', append(1, ['b'], 'follower')], ['b1', hw(2)]]))).toEqual([]);
  });

  test('a member that restarted with less still counts what it reached: the leader knew no better', () => {
    const steps: Step[] = [...start, ['b2', append(1, ['b'], 'follower')], crash('b2', 'power'), ['b2', recovered(1), 2], ['b1', hw(2)]];
    expect(names(feed(checker(), steps))).toEqual([]);
  });

  test('a member whose disk was lost counts what it reached until it registers again, also for a leader elected meanwhile', () => {
    // b2 reached offset 2 and lost its disk; b3 is elected before the controller knows (b2 has not
    // registered again), with b2 still in the ISR, and its ISR change commits above b2's empty log.
    const broker = (brokerEpoch: number): TraceEvent => ({ type: 'metadata.broker', offset: brokerEpoch, brokerId: 'b2', brokerEpoch, fenced: true, inControlledShutdown: false });
    const lost: Step[] = [
      ['c1', broker(1)],
      ['b1', leader(0, ['b1', 'b2', 'b3'])], ['b1', append(0, ['a', 'b'])], ['b2', append(0, ['a', 'b'], 'follower')], ['b3', append(0, ['a', 'b'], 'follower')], ['b1', hw(2)],
      crash('b2', 'disk'),
      ['b3', leader(1, ['b3', 'b2'], 2)], ['b3', hw(2)],
    ];
    expect(names(feed(checker(), [...lost, ['b3', isrCommitted(['b3', 'b2'])]]))).toEqual([]);
    // Once b2 registers again (a new incarnation, out of every ISR), a leader elected next knows its empty log.
    const registered: Step[] = [...lost, ['c1', broker(9)], ['b1', leader(2, ['b1', 'b2'], 2), 2], ['b1', hw(2), 2]];
    expect(names(feed(checker(), registered))).toEqual(['HighWatermarkWithinMaximalIsr/high-watermark-above-isr']);
  });
});

describe('HighWatermarkWithinMaximalIsr and IsrJoinCaughtUp after a leader epoch was handed out twice', () => {
  // kafka-group-swarm-kip848 seed 305: b3 led epoch 1 and b2 copied its records; the controllers
  // lost their storage, the partition's metadata went back, and epoch 1 went to b1. b2's fetch
  // names epoch 1 at an offset b1's epoch 1 covers, so Kafka finds no divergence and counts b2 as
  // caught up, though it holds b3's records of that epoch: the rollback, not the leader, did that.
  const meta = (offset: number, leaderEpoch: number, partitionEpoch: number): TraceEvent => ({ type: 'metadata.partition', offset, ...p, leader: 'b1', leaderEpoch, partitionEpoch, isr: [], replicas: [] });
  const steps = (oldLeaderEpoch: number): Step[] => [
    crash('c2', 'disk'),
    ['b3', leader(oldLeaderEpoch, ['b3', 'b2'])],
    ['b3', append(0, ['a', 'x'], 'leader', oldLeaderEpoch)],
    ['b2', append(0, ['a', 'x'], 'follower', oldLeaderEpoch)],
    ['b1', append(0, ['a'], 'follower', oldLeaderEpoch)],
    ['c1', meta(10, 1, 1)],
    ['c1', meta(11, 0, 0)],
    ['b1', leader(1, ['b1', 'b2'], 1)],
    ['b1', append(1, ['b', 'c'], 'leader', 1)],
    ['b2', follower(1)],
  ];
  const withoutB2InIsr = (step: Step): Step => ('fault' in step || step[1].type !== 'partition.leader' || step[0] !== 'b1' ? step : ['b1', leader(1, ['b1'], 1)]);
  const proposeB2: TraceEvent = { type: 'partition.isr-proposed', ...p, isr: ['b1', 'b2'], reason: 'test' };

  test('excused as the metadata rollback when the member diverges inside the reused epoch', () => {
    const c = feed(checker(), [...steps(1), ['b1', hw(3)]]);
    expect(names(c)).toEqual([]);
    const joined = feed(checker(), [...steps(1).map(withoutB2InIsr), ['b1', hw(3)], ['b1', proposeB2]]);
    expect(names(joined)).toEqual([]);
  });

  test('a violation when the member\'s divergent records are of another epoch: no epoch was handed out twice', () => {
    expect(names(feed(checker(), [...steps(0), ['b1', hw(3)]]))).toEqual(['HighWatermarkWithinMaximalIsr/high-watermark-above-isr']);
    expect(names(feed(checker(), [...steps(0).map(withoutB2InIsr), ['b1', hw(3)], ['b1', proposeB2]]))).toEqual(['IsrJoinCaughtUp/isr-join-early']);
  });
});

describe('HighWatermarkWithinLogEnd', () => {
  test('a follower that takes the leader\'s high watermark above its own log end offset', () => {
    const start: Step[] = [['b1', leader(0, ['b1', 'b2'])], ['b1', append(0, ['a', 'b'])], ['b2', follower(0)], ['b2', append(0, ['a'], 'follower')]];
    expect(names(feed(checker(), [...start, ['b2', hw(1, 'follower')]]))).toEqual([]);
    expect(names(feed(checker(), [...start, ['b2', hw(2, 'follower')]]))).toEqual(['HighWatermarkWithinLogEnd/high-watermark-above-log-end']);
  });

  test('a follower that truncated below its high watermark\'s old value is judged by its new log end', () => {
    const truncate: TraceEvent = { type: 'partition.truncate', ...p, offset: 1, reason: 'test' };
    const steps: Step[] = [['b1', leader(0, ['b1'])], ['b1', append(0, ['a', 'b'])], ['b1', truncate], ['b1', hw(2)]];
    expect(names(feed(checker(), steps))).toContain('HighWatermarkWithinLogEnd/high-watermark-above-log-end');
  });
});

describe('EpochOffsetNamesOneRecord (KAFKA-10527)', () => {
  test('two replicas hold different records at one (leader epoch, offset)', () => {
    const base: Step[] = [['b1', leader(0)], ['b1', append(0, ['a'])]];
    expect(names(feed(checker(), [...base, ['b2', append(0, ['a'], 'follower')]]))).toEqual([]);
    expect(names(feed(checker(), [...base, ['b2', append(0, ['x'], 'follower')]]))).toEqual(['EpochOffsetNamesOneRecord/epoch-offset-conflict']);
    // The same offset in another epoch is another record: a divergent tail, for other checks to judge.
    expect(names(feed(checker(), [...base, ['b2', append(0, ['x'], 'follower', 1)]]))).toEqual([]);
  });

  test('a leader that lost a record and writes another at the same offset in the same epoch', () => {
    const steps: Step[] = [['b1', leader(0)], ['b1', append(0, ['a'])], crash('b1', 'power'), ['b1', recovered(0), 2], ['b1', append(0, ['z']), 2]];
    expect(names(feed(checker(), steps))).toEqual(['EpochOffsetNamesOneRecord/epoch-offset-conflict']);
  });

  test('after the partition\'s metadata went back with a controller\'s lost storage, the reused epoch is that rollback, on that partition only', () => {
    // kafka-eos-pipeline-swarm seed 355: every controller lost its storage, __transaction_state-4
    // was created again, and epoch 2 went to b3 after b1 had written offset 240 in it.
    const meta = (offset: number, leaderEpoch: number, partitionEpoch: number): TraceEvent => ({ type: 'metadata.partition', offset, ...p, leader: 'b1', leaderEpoch, partitionEpoch, isr: [], replicas: [] });
    const conflict: Step[] = [['b1', leader(2)], ['b1', append(0, ['a'], 'leader', 2)], ['b2', append(0, ['x'], 'follower', 2)]];
    const rolledBack = feed(checker(), [crash('c2', 'disk'), ['c1', meta(10, 2, 2)], ['c1', meta(11, 0, 0)], ...conflict]);
    expect(names(rolledBack)).toEqual([]);
    // A controller's lost disk alone excuses nothing: this partition's metadata never went back.
    expect(names(feed(checker(), [crash('c2', 'disk'), ...conflict]))).toEqual(['EpochOffsetNamesOneRecord/epoch-offset-conflict']);
  });
});

describe('ClientHighWatermarkMonotonic', () => {
  test('within one leader epoch, the high watermark handed to a consumer goes back', () => {
    expect(names(feed(checker(), [['b1', read(0, 5)], ['b1', read(0, 5)], ['b1', read(0, 7)]]))).toEqual([]);
    expect(names(feed(checker(), [['b1', read(0, 5)], ['b1', read(0, 3)]]))).toEqual(['ClientHighWatermarkMonotonic/client-offset-regressed']);
  });

  test('a new leader\'s lagging high watermark is Kafka\'s own: not judged across epochs', () => {
    expect(names(feed(checker(), [['b1', read(0, 5)], ['b2', read(1, 3)]]))).toEqual([]);
  });
});

describe('ListedOffsetMonotonic (KIP-207)', () => {
  const listed = (leaderEpoch: number, offset: number, fields: Record<string, unknown> = {}): TraceEvent => ({
    type: 'partition.list-offsets',
    ...p,
    role: 'leader',
    leaderEpoch,
    timestampKind: 'latest',
    isolationLevel: 0,
    offset,
    errorCode: 'NONE',
    ...fields,
  });

  test('a new leader lists a latest offset below what its predecessor listed (ListOffsets served before its high watermark reached its epoch)', () => {
    expect(names(feed(checker(), [['b1', listed(0, 5)], ['b2', listed(1, 5)], ['b2', listed(1, 7)]]))).toEqual([]);
    expect(names(feed(checker(), [['b1', listed(0, 5)], ['b2', listed(1, 3)]]))).toEqual(['ListedOffsetMonotonic/client-offset-regressed']);
    expect(names(feed(checker(), [['b1', listed(0, 5)], ['b1', listed(0, 4)]]))).toEqual(['ListedOffsetMonotonic/client-offset-regressed']);
  });

  test('epochs order the answers: a deposed leader answering late, in its own epoch, is judged against that epoch', () => {
    expect(names(feed(checker(), [['b2', listed(1, 7)], ['b1', listed(0, 5)]]))).toEqual([]);
  });

  test('only a client\'s answer for the latest offset is judged: not OFFSET_NOT_AVAILABLE, not a replica\'s, not the earliest', () => {
    const others: Step[] = [
      ['b2', listed(1, -1, { errorCode: 'OFFSET_NOT_AVAILABLE' })],
      ['b2', listed(1, 2, { isolationLevel: null })],
      ['b2', listed(1, 0, { timestampKind: 'earliest' })],
    ];
    expect(names(feed(checker(), [['b1', listed(0, 5)], ...others]))).toEqual([]);
  });

  test('after a committed record was lost (and the loss allowed), what was listed above it no longer stands', () => {
    // Unclean election: b2 leads epoch 1 without offset 1, committed in epoch 0.
    const steps: Step[] = [
      ['b1', leader(0)],
      ['b1', append(0, ['a', 'b'])],
      ['b2', append(0, ['a'], 'follower')],
      ['b1', hw(2)],
      ['b1', listed(0, 2)],
      ['b2', leader(1, [], 1)],
      ['b2', listed(1, 1)],
    ];
    expect(names(feed(checker({ uncleanLeaderElection: true }), steps))).toEqual([]);
    expect(names(feed(checker(), steps))).toEqual(['LeaderHoldsCommitted/committed-data-lost']);
  });
});

describe('EpochCacheRises', () => {
  test('an epoch cache whose start offsets do not rise with the epoch', () => {
    expect(names(feed(checker(), [['b1', epochs([[0, 0], [2, 5], [3, 9]])]]))).toEqual([]);
    expect(names(feed(checker(), [['b1', epochs([[0, 0], [2, 5], [1, 7]])]]))).toEqual(['EpochCacheRises/epoch-cache-out-of-order']);
    expect(names(feed(checker(), [['b1', epochs([[0, 5], [1, 5]])]]))).toEqual(['EpochCacheRises/epoch-cache-out-of-order']);
    expect(names(feed(checker(), [['b1', epochs([[1, 0], [3, 2], [2, 4]])]]))).toEqual(['EpochCacheRises/epoch-cache-out-of-order']);
  });
});

describe('IsrJoinCaughtUp', () => {
  // b1 leads epoch 1, which starts at offset 3; its high watermark is 2.
  const start: Step[] = [
    ['b1', append(0, ['a', 'b', 'c'])],
    ['b1', leader(1, ['b1'], 3)],
    ['b1', hw(2)],
    ['b2', follower(1)],
    ['b2', append(0, ['a', 'b'], 'follower')],
  ];

  test('a replica proposed below the start of the leader\'s epoch (KAFKA-7128)', () => {
    expect(names(feed(checker(), [...start, ['b1', proposeIsr(['b1', 'b2'])]]))).toEqual(['IsrJoinCaughtUp/isr-join-early']);
    expect(names(feed(checker(), [...start, ['b2', append(2, ['c'], 'follower')], ['b1', proposeIsr(['b1', 'b2'])]]))).toEqual([]);
  });

  test('a leader that truncated below its old high watermark judges a joiner by the high watermark it has now', () => {
    // b1 led epoch 0 to a high watermark of 3, then truncated to 1 as a follower (its records were
    // lost elsewhere, uncleanly) and leads epoch 2 from offset 1: b2 at offset 1 has caught up.
    const steps: Step[] = [
      ['b1', leader(0, ['b1'])], ['b1', append(0, ['a', 'b', 'c'])], ['b1', hw(3)],
      ['b1', follower(1, 'b3')], ['b1', truncate(1)],
      ['b1', leader(2, ['b1'], 1)], ['b2', follower(2)], ['b2', append(0, ['a'], 'follower')],
      ['b1', proposeIsr(['b1', 'b2'])],
    ];
    expect(names(feed(checker(), steps))).not.toContain('IsrJoinCaughtUp/isr-join-early');
    expect(names(feed(checker(), [...steps.slice(0, 5), ['b1', leader(2, ['b1'], 1)], ['b2', follower(2)], ['b1', hw(1)], ['b1', proposeIsr(['b1', 'b2'])]]))).toContain('IsrJoinCaughtUp/isr-join-early');
  });

  test('a replica proposed below the high watermark', () => {
    const steps: Step[] = [['b1', leader(0, ['b1'])], ['b1', append(0, ['a', 'b'])], ['b1', hw(2)], ['b2', follower(0)], ['b2', append(0, ['a'], 'follower')], ['b1', proposeIsr(['b1', 'b2'])]];
    expect(names(feed(checker(), steps))).toEqual(['IsrJoinCaughtUp/isr-join-early']);
  });

  test('a replica proposed while it follows an older epoch (KIP-320: stale metadata)', () => {
    const stale: Step[] = [...start, ['b2', append(2, ['c'], 'follower')], ['b2', follower(0), 2], ['b1', proposeIsr(['b1', 'b2'])]];
    expect(names(feed(checker(), stale))).toEqual(['IsrJoinCaughtUp/isr-join-early']);
  });

  test('a divergent tail is not caught up, however long', () => {
    // b2 took x, y, z from a leader of epoch 1 that b1 never followed; b1 leads epoch 2 from offset 3.
    const steps: Step[] = [
      ['b1', append(0, ['a', 'b', 'c'])],
      ['b2', append(0, ['a'], 'follower', 0)],
      ['b2', append(1, ['x', 'y', 'z'], 'follower', 1)],
      ['b1', leader(2, ['b1'], 3)],
      ['b2', follower(2)],
      ['b1', proposeIsr(['b1', 'b2'])],
    ];
    expect(names(feed(checker(), steps))).toEqual(['IsrJoinCaughtUp/isr-join-early']);
  });

  test('a shrink proposes no one, and a replica already following a later epoch answered a deposed leader: nothing to judge', () => {
    expect(names(feed(checker(), [...start, ['b1', proposeIsr(['b1'])]]))).toEqual([]);
    expect(names(feed(checker(), [...start, ['b2', follower(2)], ['b1', proposeIsr(['b1', 'b2'])]]))).toEqual([]);
  });
});

describe('IsrJoinCurrentRegistration (KIP-903)', () => {
  const registered = (brokerId: string, brokerEpoch: number, offset: number): TraceEvent => ({ type: 'metadata.broker', offset, brokerId, brokerEpoch, fenced: false, inControlledShutdown: false });
  // The partition is at partition epoch 0 when b1 proposes; the proposal's change commits with 1.
  const committed = (offset: number, isr: string[], partitionEpoch = 1): TraceEvent => ({ type: 'metadata.partition', ...p, offset, leader: 'b1', leaderEpoch: 0, partitionEpoch, isr });
  // b2 registered with broker epoch 2, caught up, and was proposed for b1's ISR.
  const proposed: Step[] = [
    ['c1', registered('b2', 2, 2)],
    ['c1', committed(3, ['b1'], 0)],
    ['b1', leader(0, ['b1'])],
    ['b1', append(0, ['a'])],
    ['b2', follower(0)],
    ['b2', append(0, ['a'], 'follower')],
    ['b1', proposeIsr(['b1', 'b2'])],
  ];

  test('a replica that registered again after the fetch that earned its place is committed into the ISR', () => {
    expect(names(feed(checker(), [...proposed, ['c1', registered('b2', 7, 7)], ['c1', committed(8, ['b1', 'b2'])]]))).toEqual(['IsrJoinCurrentRegistration/isr-join-early']);
  });

  test('a change written over the log (the metadata went back) is not the proposal\'s commit: not judged, the rollback is', () => {
    // kafka-eos-pipeline-swarm seed 931: the partition created again at a lower offset with b2 in its ISR, after b2
    // registered again with a lower broker epoch in the rewritten log.
    const rewritten: Step[] = [...proposed, ['c1', registered('b2', 1, 1)], ['c1', { ...committed(2, ['b1', 'b2']), partitionEpoch: 3 }]];
    expect(names(feed(checker(), [crash('c2', 'disk'), ...rewritten]))).toEqual([]);
    expect(names(feed(checker(), rewritten))).toEqual(['MonotonicPartitionEpochs/metadata-rollback']);
  });

  test('committed before it registered again, or not taken in at all: nothing to judge', () => {
    expect(names(feed(checker(), [...proposed, ['c1', committed(4, ['b1', 'b2'])], ['c1', registered('b2', 7, 7)]]))).toEqual([]);
    // A controller's own change of another leader epoch (an election) is not the proposal.
    expect(names(feed(checker(), [...proposed, ['c1', registered('b2', 7, 7)], ['c1', { ...committed(8, ['b1', 'b2']), leaderEpoch: 1 }]]))).toEqual([]);
    // Fetching again in its new registration, it is proposed again: that proposal is judged.
    const again: Step[] = [...proposed, ['c1', registered('b2', 7, 7)], ['b1', proposeIsr(['b1', 'b2'])], ['c1', committed(8, ['b1', 'b2'])]];
    expect(names(feed(checker(), again))).toEqual([]);
  });

  test('a change at another partition epoch than the proposal\'s next is not the proposal: the partition created again after a metadata rollback', () => {
    // kafka-group-swarm-classic seed 342: the metadata log was rewritten beneath the partition, and
    // it was created again (partition epoch 0) with the same leader epoch and members.
    expect(names(feed(checker(), [...proposed, ['c1', registered('b2', 7, 7)], ['c1', committed(8, ['b1', 'b2'], 0)]]))).toEqual([]);
    expect(names(feed(checker(), [...proposed, ['c1', registered('b2', 7, 7)], ['c1', committed(8, ['b1', 'b2'], 2)]]))).toEqual([]);
    expect(names(feed(checker(), [...proposed, ['c1', registered('b2', 7, 7)], ['c1', committed(8, ['b1', 'b2'], 1)]]))).toEqual(['IsrJoinCurrentRegistration/isr-join-early']);
  });
});
