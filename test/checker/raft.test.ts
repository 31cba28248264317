/**
 * The KRaft checker must be able to fail: each invariant is fed a broken stream of trace events
 * (as a buggy node would emit) and must name the anomaly; a correct stream must pass.
 */
import { describe, expect, test } from 'vitest';
import type { TraceEvent } from '../../src/host.js';
import { RaftChecker } from '../../sim/systems/raft/checker.js';
import { World } from '../../sim/world.js';

type Step = [node: string, event: TraceEvent, incarnation?: number];

function feed(steps: Step[], disksLost: string[] = []) {
  const checker = new RaftChecker({ voters: ['c1', 'c2', 'c3'], commitBoundMs: 0, fetchTimeoutMs: 2_000 }, null);
  for (const node of disksLost) checker.onDataLost(node, 'disk loss');
  steps.forEach(([node, event, incarnation], atMs) => checker.observe({ atMs, node, incarnation: incarnation ?? 1, event }));
  return checker;
}

const leader = (epoch: number, leaderId: string): TraceEvent => ({ type: 'raft.state', epoch, role: 'leader', leaderId, votedId: leaderId });
const follower = (epoch: number, leaderId: string): TraceEvent => ({ type: 'raft.state', epoch, role: 'follower', leaderId, votedId: null });
const append = (offset: number, epoch: number, digest: number): TraceEvent => ({ type: 'raft.append', offset, epoch, digest });
const hw = (epoch: number, highWatermark: number): TraceEvent => ({ type: 'raft.hw', epoch, highWatermark });

/** A healthy epoch-1 history: c1 leads, c1 and c2 hold offsets 0 and 1, the HW reaches 2. */
const healthy: Step[] = [
  ['c1', leader(1, 'c1')],
  ['c2', follower(1, 'c1')],
  ['c3', follower(1, 'c1')],
  ['c1', append(0, 1, 100)],
  ['c1', append(1, 1, 101)],
  ['c2', append(0, 1, 100)],
  ['c2', append(1, 1, 101)],
  ['c1', hw(1, 2)],
  ['c2', hw(1, 2)],
];

const invariants = (checker: RaftChecker) => checker.violations().map((v) => v.invariant);

describe('RaftChecker', () => {
  test('a healthy history passes', () => {
    expect(invariants(feed(healthy))).toEqual([]);
  });

  test('SingleLeader: two leaders in one epoch', () => {
    expect(invariants(feed([['c1', leader(3, 'c1')], ['c2', leader(3, 'c2')]]))).toEqual(['SingleLeader']);
  });

  test('MonotonicEpoch: a node comes back in a lower epoch after a restart', () => {
    const checker = feed([['c1', follower(5, 'c2'), 1], ['c1', follower(4, 'c2'), 2]]);
    expect(invariants(checker)).toEqual(['MonotonicEpoch']);
  });

  test('MonotonicHighWatermark: a high watermark moves back within one incarnation', () => {
    expect(invariants(feed([...healthy, ['c1', hw(1, 1)]]))).toEqual(['MonotonicHighWatermark']);
  });

  test('a high watermark may restart low in a new incarnation (it is not persisted)', () => {
    expect(invariants(feed([...healthy, ['c2', follower(1, 'c1'), 2], ['c2', hw(1, 1), 2]]))).toEqual([]);
  });

  test('MajorityReachedHighWatermark: a leader advancing its HW past what a majority holds', () => {
    const steps: Step[] = [['c1', leader(1, 'c1')], ['c1', append(0, 1, 100)], ['c1', hw(1, 1)]];
    expect(invariants(feed(steps))).toEqual(['MajorityReachedHighWatermark']);
  });

  test('LogMatching: a node truncating below its high watermark (which here also leaves no majority at the high watermark)', () => {
    expect(invariants(feed([...healthy, ['c2', { type: 'raft.truncate', offset: 1 }]]))).toEqual(['LogMatching', 'MajorityReachedHighWatermark']);
  });

  test('MajorityReachedHighWatermark after every event: a voter that recovers a shorter log leaves no majority at the high watermark', () => {
    // c2 restarts with a log ending at 1 (it acknowledged entries it had not made durable).
    const recovered: TraceEvent = { type: 'raft.recovered', logStartOffset: 0, logEndOffset: 1, epoch: 1, lastFetchedEpoch: 1, truncatedAt: 1 };
    expect(invariants(feed([...healthy, ['c2', recovered, 2]]))).toEqual(['MajorityReachedHighWatermark']);
    // c3, never part of the majority, may lose what it likes.
    expect(invariants(feed([...healthy, ['c3', { ...recovered, logEndOffset: 0 }, 2]]))).toEqual([]);
  });

  test('MonotonicHighWatermark across leaders: a new leader reports a high watermark below its predecessor\'s', () => {
    const next: Step[] = [['c2', leader(2, 'c2')], ['c2', append(2, 2, 102)], ['c3', append(0, 1, 100)], ['c3', append(1, 1, 101)], ['c3', append(2, 2, 102)]];
    expect(invariants(feed([...healthy, ...next, ['c2', hw(2, 3)]]))).toEqual([]);
    // c2 restarted (its own high watermark forgotten) and leads with one below what c1 reached.
    expect(invariants(feed([...healthy, ['c2', leader(2, 'c2'), 2], ['c2', hw(2, 1), 2]]))).toEqual(['MonotonicHighWatermark']);
    // A deposed leader of an older epoch, paused through its successor's election, is not the quorum's voice.
    const paused: Step[] = [['c3', leader(0, 'c3')], ...healthy, ['c3', hw(0, 1)]];
    expect(invariants(feed(paused))).toEqual([]);
  });

  test('SnapshotAtLogStart: a node that recovers a log starting above 0 must load the snapshot ending there', () => {
    const recovered: TraceEvent = { type: 'raft.recovered', logStartOffset: 2, logEndOffset: 2, epoch: 1, lastFetchedEpoch: 1, truncatedAt: 2 };
    const loaded = (endOffset: number, epoch = 1): TraceEvent => ({ type: 'raft.snapshot', endOffset, epoch, source: 'loaded' });
    expect(invariants(feed([...healthy, ['c2', recovered, 2], ['c2', loaded(2), 2], ['c2', follower(1, 'c1'), 2]]))).toEqual([]);
    expect(invariants(feed([...healthy, ['c2', recovered, 2], ['c2', follower(1, 'c1'), 2]]))).toEqual(['SnapshotAtLogStart']);
    // A snapshot that ends below the log start: not the one due, and below what the log still covers.
    expect(invariants(feed([...healthy, ['c2', recovered, 2], ['c2', loaded(1), 2]]))).toEqual(['SnapshotAtLogStart', 'SnapshotAtLogStart']);
  });

  test('SnapshotAtLogStart: a snapshot whose id names an entry of another epoch', () => {
    expect(invariants(feed([...healthy, ['c1', { type: 'raft.snapshot', endOffset: 2, epoch: 1, source: 'taken' }]]))).toEqual([]);
    expect(invariants(feed([...healthy, ['c1', { type: 'raft.snapshot', endOffset: 2, epoch: 4, source: 'taken' }]]))).toEqual(['SnapshotAtLogStart']);
  });

  test('LeaderNeverLoadsSnapshot: a leader installs a snapshot', () => {
    const installed: TraceEvent = { type: 'raft.snapshot', endOffset: 2, epoch: 1, source: 'installed' };
    expect(invariants(feed([...healthy, ['c2', installed]]))).toEqual([]);
    expect(invariants(feed([...healthy, ['c1', installed]]))).toEqual(['LeaderNeverLoadsSnapshot']);
  });

  test('LogMatching: a committed offset overwritten with another epoch', () => {
    const steps: Step[] = [
      ...healthy,
      ['c3', append(0, 1, 100)],
      ['c3', append(1, 2, 999)],
    ];
    // Appending it is legal (c3 may follow a stale leader); committing it is not.
    expect(invariants(feed(steps))).toEqual([]);
    expect(invariants(feed([...steps, ['c3', hw(2, 2)]]))).toEqual(['LogMatching']);
  });

  test('a committed offset committed again with another entry is told once per new entry (the kafka checker learns the metadata log was rewritten)', () => {
    const told: Array<[number, number]> = [];
    const checker = new RaftChecker({ voters: ['c1', 'c2', 'c3'], commitBoundMs: 0, fetchTimeoutMs: 2_000, onCommittedRewritten: (offset, atMs) => told.push([offset, atMs]) }, null);
    checker.onDataLost('c1', 'disk loss');
    const steps: Step[] = [...healthy, ['c3', append(0, 1, 100)], ['c3', append(1, 2, 999)], ['c3', hw(2, 2)], ['c2', { type: 'raft.truncate', offset: 1 }], ['c2', append(1, 2, 999)], ['c2', hw(2, 2)]];
    steps.forEach(([node, event, incarnation], atMs) => checker.observe({ atMs, node, incarnation: incarnation ?? 1, event }));
    expect(told).toEqual([[1, 11]]);
    expect(invariants(checker)).toEqual([]);
  });

  test('ConsistentCommittedData: a node holding a different entry at a committed offset, found at the end', () => {
    // c3 diverged before offset 1 was committed, and nothing ever truncated it; the end-of-run
    // check looks below each node's high watermark, which c3 reports only after the fact.
    const checker = feed([...healthy.slice(0, 3), ['c3', append(0, 1, 100)], ['c3', append(1, 7, 555)], ...healthy.slice(3)]);
    expect(invariants(checker)).toEqual([]);
    checker.checkConsistentCommittedData(98);
    expect(invariants(checker)).toEqual([]);
    (checker as unknown as { nodes: Map<string, { highWatermark: number }> }).nodes.get('c3')!.highWatermark = 2;
    checker.checkConsistentCommittedData(99);
    expect(invariants(checker)).toEqual(['ConsistentCommittedData']);
  });

  test('the contract excuses SingleLeader after a voter lost its disk, and counts it', () => {
    const checker = feed([['c1', leader(3, 'c1')], ['c2', leader(3, 'c2')]], ['c2']);
    expect(invariants(checker)).toEqual([]);
    const finished = checker.finish(new World({ seed: 1, sizeOf: () => 1 }));
    expect(finished.anomalies).toEqual([expect.objectContaining({ anomaly: 'SingleLeader', count: 1 })]);
    expect(finished.anomalies[0]!.reason).toMatch(/KIP-853/);
  });

  test('ConsistentAppliedState: two nodes applied up to one offset but hold different states', () => {
    const checker = feed([
      ['c1', { type: 'raft.apply', offset: 4, count: 5, digest: 77 }],
      ['c2', { type: 'raft.apply', offset: 4, count: 5, digest: 78 }],
    ]);
    expect(invariants(checker)).toEqual(['ConsistentAppliedState']);
  });

  test('an observer whose disk had a flipped bit may restart in a lower epoch; without the flip it may not', () => {
    const steps: Step[] = [['o1', follower(4, 'c1'), 1], ['o1', follower(0, 'c1'), 2]];
    expect(invariants(feed(steps))).toEqual(['MonotonicEpoch']);
    const checker = new RaftChecker({ voters: ['c1', 'c2', 'c3'], commitBoundMs: 0, fetchTimeoutMs: 2_000 }, null);
    checker.observe({ atMs: 0, node: 'o1', incarnation: 1, event: follower(4, 'c1') });
    checker.onDataLost('o1', 'flipped bit');
    checker.observe({ atMs: 1, node: 'o1', incarnation: 2, event: follower(0, 'c1') });
    expect(invariants(checker)).toEqual([]);
    expect(checker.finish(new World({ seed: 1, sizeOf: () => 1 })).anomalies).toEqual([]);
  });

  test('an append that skips offsets breaks the trace contract loudly', () => {
    expect(() => feed([['c1', append(5, 1, 1)]])).toThrow(/trace contract/);
  });
});
