/**
 * The checker's transaction part (sim/systems/kafka/transactionChecker.ts): each check fed a
 * history that breaks it, and a clean one that does not.
 */
import { describe, expect, test } from 'vitest';
import type { TraceEvent } from '../../src/host.js';
import { Findings } from '../../sim/checker/findings.js';
import { partitionForTransactionalId } from '../../src/broker/transactionCoordinator.js';
import { KafkaChecker } from '../../sim/systems/kafka/checker.js';
import { TransactionChecker } from '../../sim/systems/kafka/transactionChecker.js';
import { World } from '../../sim/world.js';
import { safe } from './kafkaSupport.js';

type Outcome = 'committed' | 'aborted' | 'fenced' | null;

/** One transaction of p1: begin, its sends, the commit decision, the end. */
function transaction(txn: string, values: string[], decided: boolean, outcome: Outcome): Array<[string, TraceEvent]> {
  const events: Array<[string, TraceEvent]> = [['p1', { type: 'workload.txn-begin', txn, transactionalId: 'txn-p1' }]];
  values.forEach((value, i) => events.push(['p1', { type: 'op.invoke', op: 'send', requestId: i, value, txn }]));
  if (decided) events.push(['p1', { type: 'workload.txn-commit', txn }]);
  if (outcome !== null) events.push(['p1', { type: 'workload.txn-end', txn, outcome }]);
  return events;
}

const read = (type: 'kafka.final-read' | 'kafka.final-read-committed', values: string[]): [string, TraceEvent] => ['r1', { type, topic: 't', partition: 0, records: values.map((value, i) => [i, value]) }];

function judge(events: Array<[string, TraceEvent]>, lossAllowedOn?: (partition: string) => boolean): string[] {
  const findings = new Findings(null);
  const checker = new TransactionChecker(findings);
  events.forEach(([node, event], atMs) => checker.observe({ atMs, node, incarnation: 1, event }));
  checker.checkHistory(events.length, lossAllowedOn);
  return findings.violations().map((violation) => violation.invariant);
}

describe('the transaction checks', () => {
  test('a clean history: committed records visible, aborted ones only in the log', () => {
    expect(
      judge([
        ...transaction('t1', ['a', 'b'], true, 'committed'),
        ...transaction('t2', ['c'], false, 'aborted'),
        read('kafka.final-read', ['a', 'b', 'c']),
        read('kafka.final-read-committed', ['a', 'b']),
      ]),
    ).toEqual([]);
  });

  test('aborted-read (G1a): an aborted transaction’s record is visible at read_committed', () => {
    expect(judge([...transaction('t2', ['c'], false, 'aborted'), read('kafka.final-read', ['c']), read('kafka.final-read-committed', ['c'])])).toEqual(['aborted-read']);
  });

  test('an abort after a failed commit still may not be read', () => {
    expect(judge([...transaction('t2', ['c'], true, 'aborted'), read('kafka.final-read', ['c']), read('kafka.final-read-committed', ['c'])])).toEqual(['aborted-read']);
  });

  test('zombie-write: a fenced (or dead) producer’s transaction that was never committed is visible', () => {
    expect(judge([...transaction('t3', ['z'], false, 'fenced'), read('kafka.final-read', ['z']), read('kafka.final-read-committed', ['z'])])).toEqual(['zombie-write']);
    expect(judge([...transaction('t4', ['y'], false, null), read('kafka.final-read', ['y']), read('kafka.final-read-committed', ['y'])])).toEqual(['zombie-write']);
  });

  test('a transaction whose commit was decided before its producer died may be visible', () => {
    expect(judge([...transaction('t5', ['x'], true, null), read('kafka.final-read', ['x']), read('kafka.final-read-committed', ['x'])])).toEqual([]);
  });

  test('torn-transaction: part of a transaction visible, the rest only in the log', () => {
    expect(judge([...transaction('t6', ['p', 'q'], true, null), read('kafka.final-read', ['p', 'q']), read('kafka.final-read-committed', ['p'])])).toEqual(['torn-transaction']);
  });

  test('torn-transaction after the partition of its transactional id lost committed coordinator records is allowed; after another partition lost them, not', () => {
    const lost = (partition: number): Array<[string, TraceEvent]> => [
      ['b3', { type: 'partition.hw', topic: '__transaction_state', partition, role: 'follower', leaderEpoch: 0, highWatermark: 40 }],
      ['b3', { type: 'partition.recovered', topic: '__transaction_state', partition, logStartOffset: 0, logEndOffset: 29, truncatedBytes: 300 }],
    ];
    const own = partitionForTransactionalId('txn-p1', 5);
    const torn = [...transaction('t7', ['r'], true, 'committed'), read('kafka.final-read', ['r']), read('kafka.final-read-committed', [])];
    // kafka-transactions-swarm seed 247: the coordinator lost its PrepareCommit with the last replica standing.
    expect(judge([...lost(own), ...torn])).toEqual([]);
    expect(judge([...lost((own + 1) % 5), ...torn])).toEqual(['torn-transaction']);
  });

  test('torn-transaction where the hidden records\' partition lost committed records as allowed (its marker among them) is allowed; elsewhere, not', () => {
    // kafka-eos-pipeline-swarm seed 271: the COMMIT markers at events-2@1 and @3 were lost with b1, the last replica standing.
    const torn = [...transaction('t8', ['p', 'q'], true, 'committed'), read('kafka.final-read', ['p', 'q']), read('kafka.final-read-committed', ['p'])];
    expect(judge(torn, (partition) => partition === 't-0')).toEqual([]);
    expect(judge(torn, (partition) => partition === 't-1')).toEqual(['torn-transaction']);
  });

  test('aborted-read and zombie-write where the closing marker of every visible record was lost as allowed are allowed (marker-lost); otherwise not', () => {
    // kafka-eos-pipeline-swarm seed 602: the ABORT marker that hid "c" was lost with the last replica standing.
    const aborted = [...transaction('t2', ['c', 'd'], false, 'aborted'), read('kafka.final-read', ['c', 'd']), read('kafka.final-read-committed', ['c', 'd'])];
    const judgeWith = (events: Array<[string, TraceEvent]>, lostAt: (partition: string, offset: number, value: string) => boolean) => {
      const findings = new Findings(null);
      const checker = new TransactionChecker(findings);
      events.forEach(([node, event], atMs) => checker.observe({ atMs, node, incarnation: 1, event }));
      checker.checkHistory(events.length, undefined, (partition, offset, value) => (lostAt(partition, offset, value) ? 'its marker was lost' : null));
      return { violations: findings.violations().map((violation) => violation.invariant), anomalies: findings.anomalies().map((anomaly) => anomaly.anomaly) };
    };
    expect(judgeWith(aborted, () => true)).toEqual({ violations: [], anomalies: ['aborted-read'] });
    // One visible record whose marker is still there keeps the violation.
    expect(judgeWith(aborted, (_partition, _offset, value) => value === 'c').violations).toEqual(['aborted-read']);
    const fenced = [...transaction('t3', ['z'], false, 'fenced'), read('kafka.final-read', ['z']), read('kafka.final-read-committed', ['z'])];
    expect(judgeWith(fenced, (partition, offset) => partition === 't-0' && offset === 0)).toEqual({ violations: [], anomalies: ['zombie-write'] });
    expect(judgeWith(fenced, (partition) => partition === 't-1').violations).toEqual(['zombie-write']);
  });

  test('torn-transaction: a committed transaction hidden at read_committed though it is in the log', () => {
    expect(judge([...transaction('t7', ['r'], true, 'committed'), read('kafka.final-read', ['r']), read('kafka.final-read-committed', [])])).toEqual(['torn-transaction']);
  });

  test('a committed record missing from the log altogether is the main checker’s lost-write, not a torn transaction', () => {
    expect(judge([...transaction('t8', ['s'], true, 'committed'), read('kafka.final-read', []), read('kafka.final-read-committed', [])])).toEqual([]);
  });

  test('ReadCommittedBelowLastStableOffset: a read_committed fetch returning records at or above its LSO', () => {
    const fetch = (endOffset: number, lastStableOffset: number, highWatermark: number, fetchOffset = 0): [string, TraceEvent] => [
      'b1',
      { type: 'partition.read', topic: 't', partition: 0, leaderEpoch: 1, fetchOffset, endOffset, highWatermark, isolationLevel: 'read_committed', lastStableOffset },
    ];
    expect(judge([fetch(4, 4, 6)])).toEqual([]);
    // A position above a new leader's LSO: the fetch returns nothing, which is no violation.
    expect(judge([fetch(5, 4, 5, 5)])).toEqual([]);
    expect(judge([fetch(6, 4, 6, 5)])).toEqual(['ReadCommittedBelowLastStableOffset']);
    expect(judge([fetch(5, 4, 6)])).toEqual(['ReadCommittedBelowLastStableOffset']);
    expect(judge([fetch(4, 7, 6)])).toEqual(['ReadCommittedBelowLastStableOffset']);
  });

  test('LastStableOffsetMonotonic: the LSO handed to read_committed clients goes back within a leader epoch', () => {
    const fetch = (leaderEpoch: number, lastStableOffset: number): [string, TraceEvent] => [
      'b1',
      { type: 'partition.read', topic: 't', partition: 0, leaderEpoch, fetchOffset: 0, endOffset: 0, highWatermark: 9, isolationLevel: 'read_committed', lastStableOffset },
    ];
    expect(judge([fetch(1, 5), fetch(1, 5), fetch(1, 7)])).toEqual([]);
    expect(judge([fetch(1, 5), fetch(2, 3)])).toEqual([]);
    expect(judge([fetch(1, 5), fetch(1, 4)])).toEqual(['LastStableOffsetMonotonic']);
  });

  describe('MarkerNotBelowProducerEpoch', () => {
    const append = (producerEpoch: number, marker: 'COMMIT' | 'ABORT' | null, role = 'leader'): [string, TraceEvent] => [
      'b1',
      marker === null
        ? { type: 'partition.append', topic: 't', partition: 0, role, baseOffset: 0, lastOffset: 0, epoch: 1, values: ['v'], transactional: true, producerId: 7, producerEpoch }
        : { type: 'partition.append', topic: 't', partition: 0, role, baseOffset: 0, lastOffset: 0, epoch: 1, values: [null], control: true, marker, producerId: 7, producerEpoch, coordinatorEpoch: 0 },
    ];
    test('markers at or above the producer epoch of the data pass', () => {
      expect(judge([append(3, null), append(4, 'COMMIT'), append(4, null), append(4, 'ABORT')])).toEqual([]);
    });
    test('a marker with an epoch older than a batch the producer id already appended is a violation', () => {
      expect(judge([append(3, null), append(4, 'ABORT'), append(4, null), append(3, 'ABORT')])).toEqual(['MarkerNotBelowProducerEpoch']);
    });
    test('a follower’s copy is not judged, only what a leader takes', () => {
      expect(judge([append(4, null), append(3, 'ABORT', 'follower')])).toEqual([]);
    });
    test('excused once a __transaction_state replica lost committed records', () => {
      const stateLoss: Array<[string, TraceEvent]> = [
        ['b2', { type: 'partition.hw', topic: '__transaction_state', partition: 0, role: 'leader', highWatermark: 5 }],
        ['b2', { type: 'partition.recovered', topic: '__transaction_state', partition: 0, logStartOffset: 0, logEndOffset: 2, truncatedBytes: 0 }],
      ];
      expect(judge([...stateLoss, append(4, null), append(3, 'ABORT')])).toEqual([]);
    });
  });
});

describe('the Kafka checker with transactions', () => {
  test('a read_committed final read that never came (a hanging transaction) is a liveness failure', () => {
    const checker = new KafkaChecker({ partitionKeys: ['t-0'], topic: 't', controllers: ['c1', 'c2', 'c3'], transactions: true }, safe, null);
    checker.observe({ atMs: 0, node: 'p1', incarnation: 1, event: { type: 'op.invoke', op: 'send', requestId: 1, value: 'v' } });
    const world = new World({ seed: 1, sizeOf: () => 1 });
    checker.onHeal(world);
    checker.observe({ atMs: 1, node: 'p1', incarnation: 1, event: { type: 'op.ok', op: 'send', requestId: 1, value: 'v', partition: 0, offset: 0 } });
    checker.observe({ atMs: 2, node: 'r1', incarnation: 1, event: { type: 'kafka.final-read', topic: 't', partition: 0, records: [[0, 'v']] } });
    expect(checker.finish(world).violations.map((violation) => violation.invariant)).toEqual(['liveness/final-read-committed']);
  });

  // __transaction_state-3 (which holds txn-p2 of five partitions) loses committed records on b3;
  // t-0's last stable offset stays at 0, held by producer 2001's transactional batch there.
  function hangingRun(holder: string): { violations: string[]; anomalies: string[]; reasons: string[] } {
    const checker = new KafkaChecker({ partitionKeys: ['t-0'], topic: 't', controllers: ['c1', 'c2', 'c3'], transactions: true }, safe, null);
    const world = new World({ seed: 1, sizeOf: () => 1 });
    const events: Array<[string, TraceEvent]> = [
      ['b3', { type: 'partition.append', topic: '__transaction_state', partition: 3, role: 'follower', baseOffset: 0, epoch: 0, values: Array.from({ length: 40 }, () => null) }],
      ['b3', { type: 'partition.hw', topic: '__transaction_state', partition: 3, role: 'follower', leaderEpoch: 0, highWatermark: 40 }],
      ['b3', { type: 'partition.recovered', topic: '__transaction_state', partition: 3, logStartOffset: 0, logEndOffset: 29, truncatedBytes: 300 }],
      ['b1', { type: 'txn.state', transactionalId: holder, producerId: 2001, producerEpoch: 0, state: 'Ongoing', partitions: ['t-0'] }],
      ['p1', { type: 'op.invoke', op: 'send', requestId: 1, value: 'v' }],
      ['b1', { type: 'partition.append', topic: 't', partition: 0, role: 'leader', baseOffset: 0, lastOffset: 0, epoch: 1, values: ['v'], transactional: true, producerId: 2001, producerEpoch: 0 }],
    ];
    events.forEach(([node, event], atMs) => checker.observe({ atMs, node, incarnation: 1, event }));
    checker.onHeal(world);
    checker.observe({ atMs: 7, node: 'p1', incarnation: 1, event: { type: 'op.ok', op: 'send', requestId: 1, value: 'v', partition: 0, offset: 0 } });
    checker.observe({ atMs: 8, node: 'r1', incarnation: 1, event: { type: 'kafka.final-read', topic: 't', partition: 0, records: [[0, 'v']] } });
    checker.observe({
      atMs: 9,
      node: 'b1',
      incarnation: 1,
      event: { type: 'partition.read', topic: 't', partition: 0, leaderEpoch: 1, fetchOffset: 0, endOffset: 0, highWatermark: 1, isolationLevel: 'read_committed', lastStableOffset: 0 },
    });
    const result = checker.finish(world);
    return { violations: result.violations.map((violation) => violation.invariant), anomalies: result.anomalies.map((anomaly) => anomaly.anomaly), reasons: result.anomalies.map((anomaly) => anomaly.reason) };
  }

  test('a hanging transaction whose own __transaction_state partition lost committed records is allowed, and said why', () => {
    const run = hangingRun('txn-p2');
    expect(run.violations).toEqual([]);
    expect(run.anomalies).toEqual(['hanging-transaction']);
    expect(run.reasons[0]).toContain('held by producer 2001 (txn-p2)');
  });

  test('a state loss of another transactional id excuses no partition: an unrelated hanging partition fails', () => {
    expect(hangingRun('txn-p1')).toMatchObject({ violations: ['liveness/final-read-committed'], anomalies: [] });
  });
});

describe('the Kafka checker: a marker lost as the loss rules allow', () => {
  // Seed 602's shape: t2's record at t-0@0 and its ABORT marker at @1 are committed on b1 and b2;
  // b1, the last replica standing, loses @1 in a power loss and leads again; the producer's next
  // transaction continues the one open from 0 and commits it.
  function run(markerLostInFault: boolean): { violations: string[]; anomalies: string[] } {
    const checker = new KafkaChecker({ partitionKeys: ['t-0'], topic: 't', controllers: ['c1', 'c2', 'c3'], transactions: true }, safe, null);
    const world = new World({ seed: 1, sizeOf: () => 1 });
    const append = (role: string, offset: number, value: string | null, epoch = 0): TraceEvent =>
      value === null
        ? { type: 'partition.append', topic: 't', partition: 0, role, baseOffset: offset, lastOffset: offset, epoch, values: [null], control: true, marker: offset === 1 ? 'ABORT' : 'COMMIT', producerId: 7, producerEpoch: offset + 1, coordinatorEpoch: 0 }
        : { type: 'partition.append', topic: 't', partition: 0, role, baseOffset: offset, lastOffset: offset, epoch, values: [value], transactional: true, producerId: 7, producerEpoch: 0 };
    const events: Array<[string, TraceEvent]> = [
      ...transaction('t2', ['c'], false, 'aborted'),
      ...transaction('t3', [], true, 'committed'),
      ['p1', { type: 'op.invoke', op: 'send', requestId: 5, value: 'e', txn: 't3' }],
      ['b1', { type: 'partition.leader', topic: 't', partition: 0, leaderEpoch: 0, isr: ['b1', 'b2'], leaderEpochStartOffset: 0 }],
      ['b1', append('leader', 0, 'c')],
      ['b2', append('follower', 0, 'c')],
      ['b1', append('leader', 1, null)],
      ['b2', append('follower', 1, null)],
      ['b1', { type: 'partition.hw', topic: 't', partition: 0, role: 'leader', highWatermark: 2 }],
    ];
    events.forEach(([node, event], atMs) => checker.observe({ atMs, node, incarnation: 1, event }));
    if (markerLostInFault) checker.onFault(10, { type: 'crash', node: 'b1', mode: 'power', restartAfterMs: 1 }, 'b1');
    const after: Array<[string, TraceEvent]> = [
      ['b1', { type: 'partition.recovered', topic: 't', partition: 0, logStartOffset: 0, logEndOffset: 1, truncatedBytes: 70 }],
      ['b1', { type: 'partition.leader', topic: 't', partition: 0, leaderEpoch: 1, isr: ['b1'], leaderEpochStartOffset: 1 }],
      ['b1', append('leader', 1, 'e', 1)],
      ['b1', append('leader', 2, null, 1)],
      ['b1', { type: 'partition.hw', topic: 't', partition: 0, role: 'leader', highWatermark: 3 }],
    ];
    after.forEach(([node, event], i) => checker.observe({ atMs: 20 + i, node, incarnation: 2, event }));
    checker.onHeal(world);
    checker.observe({ atMs: 30, node: 'r1', incarnation: 1, event: { type: 'kafka.final-read', topic: 't', partition: 0, records: [[0, 'c'], [1, 'e']] } });
    checker.observe({ atMs: 31, node: 'r1', incarnation: 1, event: { type: 'kafka.final-read-committed', topic: 't', partition: 0, records: [[0, 'c'], [1, 'e']] } });
    const result = checker.finish(world);
    return { violations: result.violations.map((violation) => violation.invariant), anomalies: result.anomalies.map((anomaly) => anomaly.anomaly) };
  }

  test('the aborted record made visible is allowed when its ABORT marker\'s loss was', () => {
    const verdict = run(true);
    expect(verdict.violations.filter((invariant) => !invariant.startsWith('liveness/'))).toEqual([]);
    expect(verdict.anomalies).toContain('aborted-read');
  });

  test('without a fault that destroyed the marker, its loss is a violation and the aborted read is not excused', () => {
    const verdict = run(false);
    expect(verdict.violations[0]).toMatch(/committed-data-lost/);
    expect(verdict.anomalies).not.toContain('aborted-read');
  });
});

describe('liveness/transaction-ended: a transaction ends within its bound after the heal', () => {
  const bound = { transactionTimeoutMs: 10_000, abortTimedOutTransactionCleanupIntervalMs: 10_000 };
  // 10 s + 10 s + 5 s of marker slack: a transaction open at the heal (at 2 s) must end by 27 s.
  const data = (atMs: number): [number, string, TraceEvent] => [atMs, 'b1', { type: 'partition.append', topic: 't', partition: 0, role: 'leader', transactional: true, producerId: 7, producerEpoch: 0, values: ['a'] }];
  const marker = (atMs: number): [number, string, TraceEvent] => [atMs, 'b1', { type: 'partition.append', topic: 't', partition: 0, role: 'leader', control: true, marker: 'ABORT', producerId: 7, producerEpoch: 1, values: [null] }];
  const state: [number, string, TraceEvent] = [0, 'b2', { type: 'txn.state', transactionalId: 'txn-p1', producerId: 7, producerEpoch: 0, state: 'Ongoing', partitions: ['t-0'] }];

  function unended(events: Array<[number, string, TraceEvent]>, endMs: number, withBound = true): { failures: string[]; excused: string[] } {
    const checker = new TransactionChecker(new Findings(null), 5, withBound ? bound : null);
    for (const [atMs, node, event] of events) checker.observe({ atMs, node, incarnation: 1, event });
    return checker.unendedTransactions(2_000, endMs);
  }

  test('a transaction with data and no marker past the bound is a hanging transaction', () => {
    const { failures } = unended([state, data(1_000)], 31_000);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toContain('t-0 holds txn-p1 (producer 7)');
    expect(failures[0]).toContain('should have ended by 27000 ms');
  });

  test('its marker ends it; a run that stops before the bound does not judge it; no bound, no judgement', () => {
    expect(unended([state, data(1_000), marker(20_000)], 31_000).failures).toEqual([]);
    expect(unended([state, data(1_000)], 26_999).failures).toEqual([]);
    expect(unended([state, data(1_000)], 31_000, false).failures).toEqual([]);
  });

  test('a transaction begun after the heal counts from its first append; a later marker of another producer does not end it', () => {
    const otherMarker: [number, string, TraceEvent] = [5_000, 'b1', { type: 'partition.append', topic: 't', partition: 0, role: 'leader', control: true, marker: 'COMMIT', producerId: 8, producerEpoch: 0, values: [null] }];
    expect(unended([state, data(10_000), otherMarker], 34_999).failures).toEqual([]);
    expect(unended([state, data(10_000), otherMarker], 35_000).failures).toHaveLength(1);
  });

  test('excused only when the transactional id’s own __transaction_state partition lost committed records', () => {
    const partition = partitionForTransactionalId('txn-p1', 5);
    const lost: Array<[number, string, TraceEvent]> = [
      [500, 'b3', { type: 'partition.hw', topic: '__transaction_state', partition, role: 'follower', leaderEpoch: 0, highWatermark: 40 }],
      [1_500, 'b3', { type: 'partition.recovered', topic: '__transaction_state', partition, logEndOffset: 10 }],
    ];
    const excusedRun = unended([state, ...lost, data(1_000)], 31_000);
    expect(excusedRun.failures).toEqual([]);
    expect(excusedRun.excused[0]).toContain(`__transaction_state-${partition}, which holds txn-p1`);
    const otherPartition = (partition + 1) % 5;
    const elsewhere: Array<[number, string, TraceEvent]> = lost.map(([atMs, node, event]) => [atMs, node, { ...event, partition: otherPartition }]);
    expect(unended([state, ...elsewhere, data(1_000)], 31_000).failures).toHaveLength(1);
  });
});
