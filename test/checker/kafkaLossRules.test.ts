/**
 * The loss rules judge each lost record by its own evidence: the partition it went to, the
 * replicas that held it when it was committed and after, and the faults that struck those
 * replicas. Each rule is shown excusing a loss and refusing one; the verdict names, for each
 * excused record, its rule and the fault events (time, node, kind) it rests on.
 *
 * The story every test starts from: b1 leads t-0 with ISR b1, b2 (b3 lags); the write 'a' lands on b1
 * (t=1) and b2 (t=2); b1's high watermark covers it (t=3, committed on two replicas, as
 * min.insync.replicas=2 demands) and the producer is told (t=5). Then the test's faults strike,
 * and the final read finds 'a' gone.
 */
import { describe, expect, test } from 'vitest';
import { type LossEvidence, judgeLoss } from '../../sim/systems/kafka/contract.js';
import { type Step, append, bitFlip, checker, crash, feed, finalRead, finish, follower, hw, invoke, leader, names, ok, recovered, safe, truncate } from './kafkaSupport.js';

const committedOnTwo: Step[] = [
  ['b1', leader(0, ['b1', 'b2'])],
  ['b1', append(0, ['a'])],
  ['b2', append(0, ['a'], 'follower')],
  ['b1', hw(1)],
  invoke(1, 'a'),
  ok(1, 'a', 0),
];

/** b1 loses power, comes back without 'a'; b2 follows it again and truncates 'a' away. */
const leaderLosesIt: Step[] = [crash('b1', 'power'), ['b1', recovered(0), 2], ['b2', truncate(0)], finalRead([])];

function verdict(contract: Parameters<typeof checker>[0], steps: Step[]) {
  const result = finish(feed(checker(contract), steps));
  return { violations: result.violations.filter((v) => v.kind === 'safety'), anomalies: result.anomalies };
}

describe('scoped to the write: faults elsewhere excuse nothing', () => {
  test('a power loss on a broker that holds no replica of the partition excuses nothing', () => {
    // b4 holds no replica of t-0; the old contract excused every loss in the run once any broker lost power.
    const steps: Step[] = [...committedOnTwo, crash('b4', 'power'), ['b4', { type: 'partition.recovered', topic: 't', partition: 1, logStartOffset: 0, logEndOffset: 0, truncatedBytes: 0 }, 2], finalRead([])];
    const result = verdict({}, steps);
    expect(result.violations.map((v) => v.invariant)).toEqual(['History/lost-write']);
    expect(result.violations[0]!.message).toMatch(/no replica that held it lost it in a fault/);
  });

  test('a power loss on a replica before it ever held the write excuses nothing', () => {
    const steps: Step[] = [crash('b3', 'power'), ['b3', recovered(0), 2], ...committedOnTwo, finalRead([])];
    expect(verdict({}, steps).violations.map((v) => v.invariant)).toEqual(['History/lost-write']);
  });

  test('a flipped bit in another partition\'s files excuses nothing; in this partition\'s, it destroys the copy', () => {
    const elsewhere: Step[] = [...committedOnTwo, bitFlip('b1', 't-1/00000000000000000000.log'), ['b1', { type: 'process.halt', reason: 'corrupt batch' }], ['b1', recovered(0), 2], ['b2', truncate(0)], finalRead([])];
    expect(verdict({}, elsewhere).violations.map((v) => v.invariant)).toEqual(['History/lost-write']);
    const here: Step[] = [...committedOnTwo, bitFlip('b1', 't-0/00000000000000000000.log'), ['b1', { type: 'process.halt', reason: 'corrupt batch' }], ['b1', recovered(0), 2], ['b2', truncate(0)], finalRead([])];
    const result = verdict({}, here);
    expect(result.violations).toEqual([]);
    expect(result.anomalies[0]!.excuses![0]).toEqual({ subject: '"a" at t-0@0', rule: 'last-replica-standing', faults: [{ atMs: 6, node: 'b1', kind: 'bit-flip' }] });
  });
});

describe('last-replica-standing (eligible.leader.replicas.enable=false)', () => {
  test('excuses a loss when a replica that held the committed write lost it in a power loss, and names the fault', () => {
    const result = verdict({ eligibleLeaderReplicas: false }, [...committedOnTwo, ...leaderLosesIt]);
    expect(result.violations).toEqual([]);
    expect(result.anomalies).toEqual([
      expect.objectContaining({
        anomaly: 'lost-write',
        count: 1,
        excuses: [{ subject: '"a" at t-0@0', rule: 'last-replica-standing', faults: [{ atMs: 6, node: 'b1', kind: 'power-loss' }] }],
      }),
    ]);
  });

  test('excuses it after a lost disk too', () => {
    const steps: Step[] = [...committedOnTwo, crash('b1', 'disk'), ['b1', recovered(0), 2], ['b2', truncate(0)], finalRead([])];
    expect(verdict({}, steps).anomalies[0]!.excuses![0]!.faults).toEqual([{ atMs: 6, node: 'b1', kind: 'disk-loss' }]);
  });

  test('refuses when the holder lost it without a destructive fault (a process crash keeps the page cache)', () => {
    const steps: Step[] = [...committedOnTwo, crash('b1', 'process'), ['b1', recovered(0), 2], ['b2', truncate(0)], finalRead([])];
    const result = verdict({}, steps);
    expect(result.violations.map((v) => v.invariant)).toEqual(['History/lost-write']);
    expect(result.violations[0]!.message).toMatch(/b1 lost it without a destructive fault/);
  });

  test('refuses a power loss under flush.messages=1: Kafka fsyncs every append before acknowledging it', () => {
    expect(verdict({ flushMessages: 1 }, [...committedOnTwo, ...leaderLosesIt]).violations.map((v) => v.invariant)).toEqual(['History/lost-write']);
  });

  test('refuses when the write was committed on fewer than min.insync.replicas replicas (the high watermark ran ahead)', () => {
    const aloneOnLeader: Step[] = [['b1', leader(0, ['b1', 'b2'])], ['b1', append(0, ['a'])], ['b1', hw(1)], invoke(1, 'a'), ok(1, 'a', 0), ['b2', append(0, ['a'], 'follower')]];
    const result = verdict({}, [...aloneOnLeader, ...leaderLosesIt]);
    expect(result.violations.map((v) => v.invariant)).toEqual(['HighWatermarkWithinMaximalIsr/high-watermark-above-isr']);
    // Judged by the loss rules alone, the early commit is what refuses the excuse.
    const evidence: LossEvidence = {
      partition: 't-0', offset: 0, value: 'a', committedAtMs: 2, holdersAtCommit: ['b1'], acknowledgedAtMs: 4, controllerStorageLosses: [], metadataRollbacksAtMs: [],
      copies: [{ replica: 'b1', fate: 'lost', lostBy: [{ atMs: 6, node: 'b1', kind: 'power-loss' }], uncleanShutdowns: [{ atMs: 6, node: 'b1', kind: 'power-loss' }] }],
    };
    const judgement = judgeLoss('lost-write', safe, evidence);
    expect(judgement).toEqual({ allowed: false, reason: expect.stringMatching(/only b1 held it, fewer than min.insync.replicas=2/) });
  });

  test('refuses a write acknowledged before any high watermark covered it', () => {
    const ackedEarly: Step[] = [['b1', leader(0, ['b1', 'b2'])], ['b1', append(0, ['a'])], invoke(1, 'a'), ok(1, 'a', 0), ['b2', append(0, ['a'], 'follower')], ['b1', hw(1)]];
    const result = verdict({}, [...ackedEarly, ...leaderLosesIt]);
    expect(result.violations.map((v) => v.invariant)).toEqual(['History/lost-write']);
    expect(result.violations[0]!.message).toMatch(/acknowledged at 3ms, before a high watermark covered it at 5ms/);
  });
});

describe('a power loss that undoes a truncation', () => {
  // kafka-group-swarm-kip848 seed 564: b1 wrote x at offset 1 uncommitted, truncated it for b2's y
  // (committed on both), then lost power before the truncation reached its disk: it recovered x,
  // whose epoch its recovered leader-epoch cache names, and was elected as the last replica standing.
  const epochs = (entries: Array<[number, number]>): Step => ['b1', { type: 'partition.epochs', topic: 't', partition: 0, entries }, 2];
  const steps = (recoveredEpochs: Array<[number, number]>): Step[] => [
    ['b1', leader(0, ['b1', 'b2'])],
    ['b1', append(0, ['a', 'x'])],
    ['b2', append(0, ['a'], 'follower')],
    ['b1', hw(1)],
    ['b2', leader(1, ['b2', 'b1'], 1)],
    ['b2', append(1, ['y'], 'leader', 1)],
    ['b1', follower(1, 'b2')],
    ['b1', truncate(1)],
    ['b1', append(1, ['y'], 'follower', 1)],
    ['b2', hw(2)],
    crash('b1', 'power'),
    ['b1', recovered(2), 2],
    epochs(recoveredEpochs),
    ['b1', leader(2, ['b1'], 2), 2],
    ['b2', follower(2, 'b1')],
    ['b2', truncate(1)],
    ['b2', append(1, ['x'], 'follower', 0)],
    ['b1', hw(2), 2],
    ['b2', hw(2, 'follower')],
  ];

  test('the records it brings back are the replica\'s again, and the committed ones after them lost to the power loss', () => {
    const c = feed(checker(), steps([[0, 0]]));
    expect(names(c)).toEqual([]);
    expect(finish(c).anomalies.find((anomaly) => anomaly.anomaly === 'committed-data-lost')?.excuses).toEqual([
      expect.objectContaining({ subject: '"y" at t-0@1', rule: 'last-replica-standing', faults: [expect.objectContaining({ node: 'b1', kind: 'power-loss' })] }),
    ]);
  });

  test('a recovered cache that agrees with the records is no such loss: a leader that then serves another record is a violation', () => {
    expect(names(feed(checker(), steps([[0, 0], [1, 1]])))).toEqual(['CommittedPrefixIdentical/committed-data-lost']);
  });
});

describe('last-known-leader (eligible.leader.replicas.enable=true, KIP-966)', () => {
  test('one lossy shutdown among the replicas with min.insync.replicas=2 excuses nothing', () => {
    const result = verdict({ eligibleLeaderReplicas: true }, [...committedOnTwo, ...leaderLosesIt]);
    expect(result.violations.map((v) => v.invariant)).toEqual(['History/lost-write']);
    expect(result.violations[0]!.message).toMatch(/only b1 of its holders shut down uncleanly/);
  });

  test('excuses a loss once min.insync.replicas holders shut down uncleanly while holding it, one of them losing it', () => {
    // b2 crashes while it holds 'a': to Kafka an unclean shutdown, which takes it out of the ELR.
    const steps: Step[] = [...committedOnTwo, crash('b2', 'process'), ['b2', follower(0), 2], ...leaderLosesIt];
    const result = verdict({ eligibleLeaderReplicas: true }, steps);
    expect(result.violations).toEqual([]);
    expect(result.anomalies[0]!.excuses).toEqual([
      { subject: '"a" at t-0@0', rule: 'last-known-leader', faults: [{ atMs: 6, node: 'b2', kind: 'process-crash' }, { atMs: 8, node: 'b1', kind: 'power-loss' }] },
    ]);
  });

  test('refuses when the second unclean shutdown struck before the replica held the write', () => {
    const steps: Step[] = [crash('b2', 'process'), ...committedOnTwo, ...leaderLosesIt];
    expect(verdict({ eligibleLeaderReplicas: true }, steps).violations.map((v) => v.invariant)).toEqual(['History/lost-write']);
  });
});

describe('metadata-rollback (a controller\'s lost storage, pre-KIP-853)', () => {
  const meta = (offset: number, leaderEpoch: number, partitionEpoch: number): Step => ['c1', { type: 'metadata.partition', offset, topic: 't', partition: 0, leader: 'b2', leaderEpoch, partitionEpoch, isr: [], replicas: [] }];

  test('excuses a loss when a controller lost its disk and the partition\'s metadata then went back', () => {
    // b3 never held 'a'; a rolled-back metadata log makes it leader, and b1 and b2 truncate to it.
    const steps: Step[] = [meta(10, 0, 0), ...committedOnTwo, crash('c2', 'disk'), meta(11, 2, 2), meta(12, 1, 3), ['b1', truncate(0)], ['b2', truncate(0)], finalRead([])];
    const result = verdict({}, steps);
    expect(result.violations).toEqual([]);
    expect(result.anomalies.find((a) => a.anomaly === 'lost-write')!.excuses).toEqual([{ subject: '"a" at t-0@0', rule: 'metadata-rollback', faults: [{ atMs: 7, node: 'c2', kind: 'disk-loss' }] }]);
  });

  test('refuses when the partition\'s metadata never went back after the write was committed', () => {
    const steps: Step[] = [...committedOnTwo, crash('c2', 'disk'), ['b1', truncate(0)], ['b2', truncate(0)], finalRead([])];
    const result = verdict({}, steps);
    expect(result.violations.map((v) => v.invariant)).toEqual(['History/lost-write']);
    expect(result.violations[0]!.message).toMatch(/metadata never went back after the record was committed/);
  });
});

describe('rules of the configuration alone', () => {
  test('acks=1 excuses a lost acknowledged write, naming the rule and no fault; not a lost committed record', () => {
    const result = verdict({ acks: 1 }, [...committedOnTwo, ['b1', truncate(0)], ['b2', truncate(0)], finalRead([])]);
    expect(result.anomalies).toEqual([expect.objectContaining({ anomaly: 'lost-write', excuses: [{ subject: '"a" at t-0@0', rule: 'acks=1', faults: [] }] })]);
    const committedLost = feed(checker({ acks: 1 }), [...committedOnTwo, ['b3', leader(1)]]);
    expect(names(committedLost)).toEqual(['LeaderHoldsCommitted/committed-data-lost']);
  });

  test('acks=0 and unclean leader election excuse even a lost committed record; the safe configuration does not', () => {
    const steps: Step[] = [...committedOnTwo, ['b3', leader(1)]];
    expect(names(feed(checker({ acks: 0 }), steps))).toEqual([]);
    expect(names(feed(checker({ uncleanLeaderElection: true }), steps))).toEqual([]);
    expect(names(feed(checker(), steps))).toEqual(['LeaderHoldsCommitted/committed-data-lost']);
  });

  test('min.insync.replicas=1 excuses a lost acknowledged write, not a lost committed record', () => {
    const lostWrite = verdict({ minInsyncReplicas: 1 }, [...committedOnTwo, ['b1', truncate(0)], ['b2', truncate(0)], finalRead([])]);
    expect(lostWrite.anomalies[0]!.excuses![0]!.rule).toBe('min.insync.replicas=1');
    expect(names(feed(checker({ minInsyncReplicas: 1 }), [...committedOnTwo, ['b3', leader(1)]]))).toEqual(['LeaderHoldsCommitted/committed-data-lost']);
  });
});

describe('LeaderHoldsCommitted is judged by the same rules, record by record', () => {
  test('a leader back from a power loss without a committed record: excused as the last replica standing', () => {
    const steps: Step[] = [...committedOnTwo, crash('b1', 'power'), ['b1', recovered(0), 2], ['b1', leader(1, ['b1']), 2]];
    const c = feed(checker(), steps);
    expect(names(c)).toEqual([]);
    expect(finish(c).anomalies.find((a) => a.anomaly === 'committed-data-lost')!.excuses![0]!.rule).toBe('last-replica-standing');
  });

  test('a leader that never held the record: refused', () => {
    expect(names(feed(checker(), [...committedOnTwo, crash('b1', 'power'), ['b3', leader(1)]]))).toEqual(['LeaderHoldsCommitted/committed-data-lost']);
  });
});
