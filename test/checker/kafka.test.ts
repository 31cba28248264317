/**
 * The Kafka checker must be able to fail: each check is fed a broken history or a broken stream of
 * broker events and must name the anomaly — as a violation when the contract forbids it, counted
 * when the contract allows it. The contract table itself is pinned row by row.
 */
import { describe, expect, test } from 'vitest';
import type { TraceEvent } from '../../src/host.js';
import { type ContractInputs, allowedReason, contractTable } from '../../sim/systems/kafka/contract.js';
import { producerContractInputs } from '../../sim/systems/kafka/system.js';
import type { KafkaChecker } from '../../sim/systems/kafka/checker.js';
import { type Step, append, bitFlip, checker, crash, feed, finalRead, finish, hw, invoke, leader, names, ok, p, recovered, safe } from './kafkaSupport.js';

describe('KafkaChecker invariants', () => {
  test('a healthy replication passes', () => {
    const c = feed(checker(), [['b1', leader(0)], ['b1', append(0, ['a', 'b'])], ['b2', append(0, ['a', 'b'], 'follower')], ['b1', hw(2)], ['b2', hw(2, 'follower')]]);
    expect(names(c)).toEqual([]);
  });

  test('SingleLeaderPerEpoch: two brokers lead one partition in one epoch', () => {
    expect(names(feed(checker(), [['b1', leader(3)], ['b2', leader(3)]]))).toEqual(['SingleLeaderPerEpoch']);
  });

  test('CommittedPrefixIdentical: a follower holds another record below the high watermark', () => {
    // b2 took 'x' from a stale leader of another epoch, and its high watermark then covered it.
    const c = feed(checker(), [['b1', leader(0)], ['b1', append(0, ['a'])], ['b1', hw(1)], ['b2', append(0, ['x'], 'follower', 1)], ['b2', hw(1, 'follower')]]);
    expect(names(c)).toEqual(['CommittedPrefixIdentical/committed-data-lost']);
  });

  test('LeaderHoldsCommitted: a new leader lacks committed records; allowed only by the contract', () => {
    const steps: Step[] = [['b1', leader(0)], ['b1', append(0, ['a', 'b'])], ['b1', hw(2)], ['b2', append(0, ['a'], 'follower')], ['b2', leader(1)]];
    expect(names(feed(checker(), steps))).toEqual(['LeaderHoldsCommitted/committed-data-lost']);
    const unclean = feed(checker({ uncleanLeaderElection: true }), steps);
    expect(names(unclean)).toEqual([]);
    expect(finish(unclean).anomalies.map((a) => a.anomaly)).toContain('committed-data-lost');
  });

  test('LeaderHoldsCommitted: committed offsets below a recovered log start are not missing, those at or above it are', () => {
    // b2's log starts at 1 (records before it were deleted): offset 0 is no longer its to hold.
    const upTo = (logEndOffset: number): Step[] => [
      ['b1', leader(0)],
      ['b1', append(0, ['a', 'b', 'c'])],
      ['b1', hw(3)],
      ['b2', recovered(1, 1)],
      ['b2', append(1, ['b', 'c'].slice(0, logEndOffset - 1), 'follower')],
      ['b2', leader(1)],
    ];
    expect(names(feed(checker(), upTo(3)))).toEqual([]);
    expect(names(feed(checker(), upTo(2)))).toEqual(['LeaderHoldsCommitted/committed-data-lost']);
  });

  test('ReadBelowHighWatermark: a consumer handed data above the high watermark', () => {
    const c = feed(checker(), [['b1', leader(0)], ['b1', append(0, ['a', 'b'])], ['b1', hw(1)], ['b1', { type: 'partition.read', ...p, fetchOffset: 0, endOffset: 2, highWatermark: 1 }]]);
    expect(names(c)).toEqual(['ReadBelowHighWatermark/read-above-high-watermark']);
  });

  test('MonotonicPartitionEpochs: the controller commits a lower epoch, or rewrites a committed change', () => {
    const meta = (offset: number, leaderEpoch: number, partitionEpoch: number): TraceEvent => ({ type: 'metadata.partition', offset, ...p, leader: 'b1', leaderEpoch, partitionEpoch, isr: [], replicas: [] });
    expect(names(feed(checker(), [['c1', meta(10, 2, 5)], ['c1', meta(11, 1, 6)]]))).toEqual(['MonotonicPartitionEpochs/metadata-rollback']);
    // The same offset traced again with other epochs: the metadata log was rewritten beneath it.
    expect(names(feed(checker(), [['c1', meta(10, 1, 1)], ['c1', meta(11, 2, 2)], ['c2', meta(11, 3, 3)]]))).toEqual(['MonotonicPartitionEpochs/metadata-rollback']);
    // A new active controller tracing an already-traced change again is not a regression.
    expect(names(feed(checker(), [['c1', meta(10, 1, 1)], ['c1', meta(11, 2, 2)], ['c2', meta(10, 1, 1)]]))).toEqual([]);
    // A change traced for the first time below the last one seen: late, and fine while its epochs
    // fit the log; below an earlier change's epochs it was written over the log (kafka-eos-pipeline-swarm
    // with group.initial.rebalance.delay.ms 0, seed 13: the partition created again at offset 22 after 0/1 at 14 and 0/2 at 23).
    expect(names(feed(checker(), [['c1', meta(10, 1, 1)], ['c1', meta(12, 2, 3)], ['c2', meta(11, 1, 2)]]))).toEqual([]);
    expect(names(feed(checker(), [['c1', meta(14, 0, 1)], ['c1', meta(23, 0, 2)], ['c3', meta(22, 0, 0)]]))).toEqual(['MonotonicPartitionEpochs/metadata-rollback']);
    // Below every change seen, with a partition epoch a later change already has: the partition created
    // again at offset 14 after its creation at 19 (seeds 568, 931; every change raises the partition epoch by one).
    expect(names(feed(checker(), [['c1', meta(19, 0, 0)], ['c1', meta(33, 0, 3)], ['c1', meta(14, 0, 0)]]))).toEqual(['MonotonicPartitionEpochs/metadata-rollback']);
    expect(names(feed(checker(), [['c1', meta(19, 0, 1)], ['c1', meta(33, 0, 3)], ['c1', meta(14, 0, 0)]]))).toEqual([]);
    // Another leader in the same leader epoch at a later offset: the partition created again over a
    // lost creation (kafka-eos-pipeline-swarm seed 140: b3 at 0/0 by c2, which then lost its disk; b1 at 0/0 by c1).
    const led = (offset: number, leader: string, leaderEpoch: number, partitionEpoch: number): TraceEvent => ({ ...meta(offset, leaderEpoch, partitionEpoch), leader });
    expect(names(feed(checker(), [['c2', led(18, 'b3', 0, 0)], ['c1', led(19, 'b1', 0, 0)]]))).toEqual(['MonotonicPartitionEpochs/metadata-rollback']);
    // The same leader again in its epoch (an ISR change) is no rollback.
    expect(names(feed(checker(), [['c2', led(18, 'b3', 0, 0)], ['c1', led(19, 'b3', 0, 1)]]))).toEqual([]);
  });

  test('MonotonicPartitionEpochs: allowed only once a controller lost its storage (pre-KIP-853), which the verdict cites', () => {
    const meta = (offset: number, leaderEpoch: number, partitionEpoch: number): TraceEvent => ({ type: 'metadata.partition', offset, ...p, leader: 'b1', leaderEpoch, partitionEpoch, isr: [], replicas: [] });
    // A broker's lost disk is no excuse: the metadata log lives on the controllers.
    expect(names(feed(checker(), [crash('b2', 'disk'), ['c1', meta(10, 2, 5)], ['c1', meta(11, 1, 6)]]))).toEqual(['MonotonicPartitionEpochs/metadata-rollback']);
    const c = feed(checker(), [crash('c2', 'disk'), ['c1', meta(10, 2, 5)], ['c1', meta(11, 1, 6)]]);
    expect(names(c)).toEqual([]);
    expect(finish(c).anomalies).toEqual([
      expect.objectContaining({ anomaly: 'metadata-rollback', excuses: [expect.objectContaining({ rule: 'controller-storage-lost', faults: [{ atMs: 0, node: 'c2', kind: 'disk-loss' }] })] }),
    ]);
  });

  test('SingleLeaderPerEpoch after the metadata went back is that rollback (excused with it); without a rollback it is a violation', () => {
    const meta = (offset: number, leaderEpoch: number, partitionEpoch: number): TraceEvent => ({ type: 'metadata.partition', offset, ...p, leader: 'b1', leaderEpoch, partitionEpoch, isr: [], replicas: [] });
    // kafka-transactions-swarm seed 390: c3 lost its disk, the quorum forgot the partition's
    // changes, and the controller handed out epoch 0 again, to another leader.
    const rolledBack = feed(checker(), [crash('c2', 'disk'), ['b1', leader(0)], ['c1', meta(10, 0, 1)], ['c1', meta(11, 0, 0)], ['b2', leader(0)]]);
    expect(names(rolledBack)).toEqual([]);
    expect(finish(rolledBack).anomalies.find((anomaly) => anomaly.anomaly === 'metadata-rollback')?.excuses).toContainEqual(
      expect.objectContaining({ subject: expect.stringContaining('b1 and b2 both lead'), rule: 'controller-storage-lost' }),
    );
    // The rollback seen through a change traced late, below an earlier change's epochs (seed 13 above).
    const rewrittenBelow = feed(checker(), [crash('c2', 'disk'), ['c1', meta(14, 0, 1)], ['b1', leader(0)], ['c1', meta(23, 0, 2)], ['c3', meta(22, 0, 0)], ['b2', leader(0)]]);
    expect(names(rewrittenBelow)).toEqual([]);
    expect(finish(rewrittenBelow).anomalies.find((anomaly) => anomaly.anomaly === 'metadata-rollback')?.excuses).toContainEqual(
      expect.objectContaining({ subject: expect.stringContaining('b1 and b2 both lead'), rule: 'controller-storage-lost' }),
    );
    // The partition created again below its first creation, traced late (seeds 568, 931).
    const createdAgainBelow = feed(checker(), [crash('c1', 'disk'), ['c1', meta(19, 0, 0)], ['b1', leader(0)], ['c1', meta(33, 0, 3)], ['c1', meta(14, 0, 0)], ['b2', leader(0)]]);
    expect(names(createdAgainBelow)).toEqual([]);
    // A controller's lost disk alone excuses nothing: the partition's metadata never went back.
    expect(names(feed(checker(), [crash('c2', 'disk'), ['b1', leader(0)], ['b2', leader(0)]]))).toEqual(['SingleLeaderPerEpoch']);
  });

  test('a rewrite of the metadata log beneath a partition\'s change is that partition\'s rollback, even when no later change shows lower epochs', () => {
    const meta = (offset: number, leaderEpoch: number, partitionEpoch: number): TraceEvent => ({ type: 'metadata.partition', offset, ...p, leader: 'b1', leaderEpoch, partitionEpoch, isr: [], replicas: [] });
    // kafka-group-swarm-kip848 seed 463: the ISR change at metadata offset 12 that took b2 out was
    // committed, then lost with c3's flipped bit; the quorum wrote offsets 12 on again, and b2,
    // back in the ISR of the older change, was elected without the records the lost change protected.
    const committed = (lostStorage: boolean): KafkaChecker =>
      feed(checker(), [...(lostStorage ? [bitFlip('c3', '__cluster_metadata-0/00000000000000000000.log')] : []), ['c1', meta(10, 0, 0)], ['c1', meta(12, 0, 1)], ['b1', leader(0)], ['b1', append(0, ['a', 'b'])], ['b3', append(0, ['a', 'b'], 'follower')], ['b1', hw(2)], ['b2', append(0, ['a'], 'follower')]]);
    const electB2 = (c: KafkaChecker, rewrittenFrom: number): KafkaChecker => {
      c.onMetadataLogRewritten(rewrittenFrom, 8);
      return feed(c, [['b2', leader(1)]]);
    };
    const excused = electB2(committed(true), 12);
    expect(names(excused)).toEqual([]);
    const anomalies = finish(excused).anomalies;
    expect(anomalies.find((anomaly) => anomaly.anomaly === 'metadata-rollback')?.excuses).toContainEqual(expect.objectContaining({ subject: expect.stringContaining('rewritten from offset 12, beneath its change(s) at 12') }));
    expect(anomalies.find((anomaly) => anomaly.anomaly === 'committed-data-lost')?.excuses).toContainEqual(expect.objectContaining({ rule: 'metadata-rollback' }));
    // A rewrite above every change of the partition took nothing of it back: the loss stays a violation.
    expect(names(electB2(committed(true), 13))).toEqual(['LeaderHoldsCommitted/committed-data-lost']);
    // Without a controller's lost storage, the rewrite itself is the violation.
    expect(names(electB2(committed(false), 12))).toContain('MonotonicPartitionEpochs/metadata-rollback');
  });
  test('an epoch handed out twice after the metadata went back: a follower\'s record under the reused epoch is that rollback, for the high watermark and the committed prefix', () => {
    const meta = (offset: number, leaderId: string, partitionEpoch: number): TraceEvent => ({ type: 'metadata.partition', offset, ...p, leader: leaderId, leaderEpoch: 0, partitionEpoch, isr: [], replicas: [] });
    // kafka-eos-pipeline-swarm seed 931: b3 holds "x" at offset 1 under b1's epoch 0; the partition is
    // created again with b2 leading epoch 0, which writes "y" at offset 1. b3's fetch offset 2 matches
    // b2's epoch 0, so b2 counts it and b3 never truncates "x".
    const steps = (controllerLost: boolean): Step[] => [
      ...(controllerLost ? [crash('c1', 'disk')] : []),
      ['c1', meta(19, 'b1', 0)],
      ['b1', leader(0, ['b1', 'b2', 'b3'])],
      ['b1', append(0, ['a', 'x'])],
      ['b2', append(0, ['a'], 'follower')],
      ['b3', append(0, ['a', 'x'], 'follower')],
      ['b1', hw(1)],
      ['c1', meta(33, 'b1', 3)],
      ['c1', meta(14, 'b2', 0)],
      ['b2', leader(0, ['b2', 'b3'], 1)],
      ['b2', append(1, ['y'])],
      ['b2', hw(2)],
      ['b3', hw(2, 'follower')],
    ];
    expect(names(feed(checker(), steps(true)))).toEqual([]);
    const notRolledBack = names(feed(checker(), steps(false)));
    expect(notRolledBack).toContain('HighWatermarkWithinMaximalIsr/high-watermark-above-isr');
    expect(notRolledBack).toContain('CommittedPrefixIdentical/committed-data-lost');
  });

  test('a follower short of the high watermark that departs under another epoch is no reused epoch: a violation even after a rollback', () => {
    const meta = (offset: number, leaderId: string, partitionEpoch: number): TraceEvent => ({ type: 'metadata.partition', offset, ...p, leader: leaderId, leaderEpoch: 0, partitionEpoch, isr: [], replicas: [] });
    const steps: Step[] = [
      crash('c1', 'disk'),
      ['c1', meta(19, 'b1', 0)],
      ['b1', leader(0, ['b1', 'b2', 'b3'])],
      ['b1', append(0, ['a'])],
      ['b2', append(0, ['a'], 'follower')],
      ['b3', append(0, ['a'], 'follower')],
      ['b3', append(1, ['x'], 'follower', 5)],
      ['c1', meta(33, 'b1', 3)],
      ['c1', meta(14, 'b2', 0)],
      ['b2', leader(0, ['b2', 'b3'], 1)],
      ['b2', append(1, ['y'])],
      ['b2', hw(2)],
      ['b3', hw(2, 'follower')],
    ];
    expect(names(feed(checker(), steps))).toEqual(['HighWatermarkWithinMaximalIsr/high-watermark-above-isr', 'CommittedPrefixIdentical/committed-data-lost']);
  });

});

describe('KafkaChecker history', () => {
  test('an acknowledged write missing from the log is a lost-write', () => {
    const c = feed(checker(), [invoke(1, 'v1'), ok(1, 'v1', 0), invoke(2, 'v2'), ok(2, 'v2', 1), finalRead(['v1'])]);
    expect(finish(c).violations.map((v) => v.invariant)).toEqual(['History/lost-write']);
  });

  test('acks=1 makes a lost write an allowed anomaly, counted with its reason', () => {
    const c = feed(checker({ acks: 1 }), [invoke(1, 'v1'), ok(1, 'v1', 0), finalRead([])]);
    const result = finish(c);
    expect(result.violations.filter((v) => v.kind === 'safety')).toEqual([]);
    expect(result.anomalies).toEqual([expect.objectContaining({ anomaly: 'lost-write', count: 1, reason: expect.stringMatching(/acks=1/) })]);
  });

  test('a write found at another offset than acknowledged is inconsistent-offsets', () => {
    const c = feed(checker(), [invoke(1, 'v1'), ok(1, 'v1', 5), finalRead(['v1'])]);
    expect(finish(c).violations.map((v) => v.invariant)).toEqual(['History/inconsistent-offsets']);
  });

  test('a value in the log twice is a duplicate; without idempotence it is allowed', () => {
    const steps: Step[] = [invoke(1, 'v0'), ok(1, 'v0', 0), invoke(2, 'v1'), ok(2, 'v1', 1), finalRead(['v0', 'v1', 'v1'])];
    expect(finish(feed(checker(), steps)).violations.map((v) => v.invariant)).toEqual(['History/duplicate']);
    expect(finish(feed(checker({ idempotence: false }), steps)).anomalies.map((a) => a.anomaly)).toEqual(['duplicate']);
  });

  test('a duplicate among a producer\'s first batches to a partition is Kafka\'s own hole, counted apart', () => {
    const steps: Step[] = [invoke(1, 'v1'), ok(1, 'v1', 1), finalRead(['v1', 'v1'])];
    const result = finish(feed(checker(), steps));
    expect(result.violations).toEqual([]);
    expect(result.anomalies.map((a) => a.anomaly)).toEqual(['duplicate-first-batches']);
  });

  test('a later send landing before an earlier one is nonmonotonic-send', () => {
    // Six sends in order, then two more out of order: past the first batches, so a violation.
    const first: Step[] = [1, 2, 3, 4, 5, 6].flatMap((i) => [invoke(i, `v${i}`), ok(i, `v${i}`, i - 1)]);
    const steps: Step[] = [...first, invoke(7, 'v7'), invoke(8, 'v8'), ok(8, 'v8', 6), ok(7, 'v7', 7), finalRead(['v1', 'v2', 'v3', 'v4', 'v5', 'v6', 'v8', 'v7'])];
    expect(finish(feed(checker(), steps)).violations.map((v) => v.invariant)).toEqual(['History/nonmonotonic-send']);
  });

  test('a producer\'s first batches to a partition landing out of order is Kafka\'s own hole (KIP-360), counted apart', () => {
    const steps: Step[] = [invoke(1, 'v1'), invoke(2, 'v2'), ok(2, 'v2', 0), ok(1, 'v1', 1), finalRead(['v2', 'v1'])];
    const result = finish(feed(checker(), steps));
    expect(result.violations).toEqual([]);
    expect(result.anomalies.map((a) => a.anomaly)).toEqual(['nonmonotonic-first-batches']);
  });

  test('a value no one sent is a phantom-write, allowed by no configuration', () => {
    const steps: Step[] = [finalRead(['ghost'])];
    expect(finish(feed(checker({ acks: 0, idempotence: false }), steps)).violations.map((v) => v.invariant)).toContain('History/phantom-write');
  });

  test('an unknown-outcome write that never appears is unseen, not lost', () => {
    const c = feed(checker(), [invoke(1, 'v1'), ok(1, 'v1', 0), invoke(2, 'v2'), finalRead(['v1'])]);
    const result = finish(c);
    expect(result.violations.filter((v) => v.kind === 'safety')).toEqual([]);
    expect(result.summary['unseen']).toBe(1);
  });

  test('liveness: a final read that never completed is reported', () => {
    const c = feed(checker(), [invoke(1, 'v1'), ok(1, 'v1', 0)]);
    expect(finish(c).violations.map((v) => v.invariant)).toEqual(expect.arrayContaining(['liveness/final-read']));
  });

  test('liveness: excused only when the metadata is gone (a majority of controllers lost their disks) or rolled back beneath halted nodes', () => {
    const one = feed(checker(), [crash('c1', 'disk'), invoke(1, 'v1'), ok(1, 'v1', 0)]);
    expect(finish(one).violations.map((v) => v.invariant)).toContain('liveness/final-read');
    const rolledBack = feed(checker(), [crash('c1', 'disk'), invoke(1, 'v1'), ok(1, 'v1', 0)]);
    rolledBack.onMetadataRolledBack();
    expect(finish(rolledBack).violations).toEqual([]);
    const noLoss = feed(checker(), [invoke(1, 'v1'), ok(1, 'v1', 0)]);
    noLoss.onMetadataRolledBack();
    expect(finish(noLoss).violations.map((v) => v.invariant)).toContain('liveness/final-read');
    const two = feed(checker(), [crash('c1', 'disk'), crash('c2', 'disk'), invoke(1, 'v1'), ok(1, 'v1', 0)]);
    const result = finish(two);
    expect(result.violations).toEqual([]);
    expect(result.anomalies.map((a) => a.anomaly)).toContain('cluster-metadata-lost');
  });

  test('liveness: excused for a partition whose creation a rewrite of the metadata log took back, and only while it is not created again', () => {
    const created = (offset: number): TraceEvent => ({ type: 'metadata.partition', offset, ...p, leader: 'b1', leaderEpoch: 0, partitionEpoch: 0, isr: [], replicas: [] });
    // kafka-group-swarm-kip848 seed 680: the topic was created at metadata offset 11; c3's flipped
    // bit cut its log to 11, it was elected, and the quorum wrote other records from offset 11: the
    // topic no longer exists, so nothing can be written to it or read from it again.
    const run = (createdAt: number, rewrittenFrom: number, lostStorage = true, createdAgain = false) => {
      const c = feed(checker(), [...(lostStorage ? [bitFlip('c3', '__cluster_metadata-0/00000000000000000000.log')] : []), ['c2', created(createdAt)], invoke(1, 'v1')]);
      c.onMetadataLogRewritten(rewrittenFrom, 10);
      if (createdAgain) feed(c, [['c3', created(14)]]);
      return finish(c);
    };
    const forgotten = run(11, 11);
    expect(forgotten.violations).toEqual([]);
    expect(forgotten.anomalies).toContainEqual(expect.objectContaining({ anomaly: 'cluster-metadata-lost', count: 2, reason: expect.stringContaining('t-0: the metadata log was rewritten beneath their creation') }));
    expect(run(11, 12).violations.map((v) => v.invariant)).toEqual(['liveness/final-read', 'liveness/progress']);
    expect(run(11, 11, true, true).violations.map((v) => v.invariant)).toEqual(['liveness/final-read', 'liveness/progress']);
    expect(run(11, 11, false).violations.map((v) => v.invariant)).toEqual(expect.arrayContaining(['MonotonicPartitionEpochs/metadata-rollback']));
  });
});

describe('the contract table', () => {
  const allowed = (inputs: Partial<ContractInputs>) =>
    Object.fromEntries(contractTable({ ...safe, ...inputs }).map((row) => [row.anomaly, row.allowed]));

  test('acks=all, min.insync.replicas=2, clean elections, idempotence: nothing is allowed', () => {
    expect(Object.values(allowed({})).some((a) => a)).toBe(false);
  });

  test('acks=1 allows lost writes but not lost committed data', () => {
    expect(allowed({ acks: 1 })).toMatchObject({ 'lost-write': true, 'committed-data-lost': false, duplicate: false });
  });

  test('unclean election allows losing even committed data', () => {
    expect(allowed({ uncleanLeaderElection: true })).toMatchObject({ 'lost-write': true, 'committed-data-lost': true });
  });

  test('the table allows no loss for the safe configuration, with ELR or without: faults are judged record by record', () => {
    expect(allowed({ eligibleLeaderReplicas: false })['lost-write']).toBe(false);
    expect(allowed({ eligibleLeaderReplicas: true })['lost-write']).toBe(false);
    expect(allowedReason('lost-write', safe)).toBeNull();
    expect(allowed({})['metadata-rollback']).toBe(false);
  });

  test('min.insync.replicas=1 allows lost acknowledged writes, but not lost committed data', () => {
    expect(allowed({ minInsyncReplicas: 1 })).toMatchObject({ 'lost-write': true, 'inconsistent-offsets': true, 'committed-data-lost': false });
  });

  test('the replication invariants are allowed by no configuration', () => {
    const loosest = allowed({ acks: 0, uncleanLeaderElection: true, idempotence: false, minInsyncReplicas: 1 });
    expect(loosest).toMatchObject({ 'high-watermark-above-isr': false, 'epoch-offset-conflict': false, 'client-offset-regressed': false, 'epoch-cache-out-of-order': false, 'isr-join-early': false });
  });

  test('without idempotence, retries may duplicate and reorder', () => {
    expect(allowed({ idempotence: false })).toMatchObject({ duplicate: true, 'nonmonotonic-send': true });
    expect(allowed({ idempotence: false, maxInFlight: 1 })).toMatchObject({ duplicate: true, 'nonmonotonic-send': false });
  });

  test('a legacy switch excuses nothing: the bug it restores is what the checker must catch', () => {
    expect(Object.values(allowed({ legacy: ['ksim.legacy.truncate.to.high.watermark'] })).some((a) => a)).toBe(false);
  });

  test('the contract reads the producer\'s effective idempotence: default idempotence is off with acks=1 (KAFKA-13598)', () => {
    expect(producerContractInputs({})).toEqual({ acks: -1, idempotence: true, maxInFlight: 5 });
    expect(producerContractInputs({ acks: '1' })).toMatchObject({ acks: 1, idempotence: false });
    expect(producerContractInputs({ 'max.in.flight.requests.per.connection': 6 })).toMatchObject({ idempotence: false, maxInFlight: 6 });
    expect(() => producerContractInputs({ acks: '1', 'enable.idempotence': true })).toThrow(/enable.idempotence/);
  });

  test('phantom writes and reads above the high watermark are never allowed', () => {
    expect(allowed({ acks: 0, uncleanLeaderElection: true, idempotence: false })).toMatchObject({ 'phantom-write': false, 'read-above-high-watermark': false });
  });
});
