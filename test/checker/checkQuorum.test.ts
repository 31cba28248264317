/**
 * CheckQuorum (KAFKA-15489): a leader no other voter fetches from must stop acting as leader within
 * twice the check-quorum timeout of its running time. Each case feeds the watch (or the RaftChecker)
 * a history in which a leader does or does not act too late.
 */
import { describe, expect, test } from 'vitest';
import type { TraceEvent } from '../../src/host.js';
import { CheckQuorumWatch } from '../../sim/systems/raft/checkQuorum.js';
import { RaftChecker } from '../../sim/systems/raft/checker.js';

const VOTERS = ['c1', 'c2', 'c3'];
const TIMEOUT_MS = 3_000; // 1.5 × the default controller.quorum.fetch.timeout.ms; the bound is 6 s.

function leading(atMs = 0): CheckQuorumWatch {
  const watch = new CheckQuorumWatch(VOTERS, TIMEOUT_MS);
  watch.onState('c1', 1, atMs, 'leader', 4);
  return watch;
}

describe('CheckQuorumWatch', () => {
  test('a leader that hears from no voter and still appends after the bound is reported, once', () => {
    const watch = leading();
    expect(watch.onActing('c1', 1, 6_000)).toBeNull();
    expect(watch.onActing('c1', 1, 6_001)).toEqual({ leader: 'c1', epoch: 4, sinceMs: 0, runningMs: 6_001, boundMs: 6_000 });
    expect(watch.onActing('c1', 1, 9_000)).toBeNull();
  });

  test('a Fetch or FetchSnapshot from another voter restarts the count; other messages and other senders do not', () => {
    const watch = leading();
    watch.onDelivered(4_000, 'c2', 'c1', { api: 'Fetch' });
    watch.onDelivered(5_000, 'o1', 'c1', { api: 'Fetch' });
    watch.onDelivered(5_500, 'c3', 'c1', { api: 'Vote' });
    watch.onDelivered(5_600, 'c3', 'c2', { api: 'Fetch' });
    expect(watch.onActing('c1', 1, 10_000)).toBeNull();
    expect(watch.onActing('c1', 1, 10_001)?.sinceMs).toBe(4_000);
    const snapshot = leading();
    snapshot.onDelivered(3_000, 'c3', 'c1', { api: 'FetchSnapshot' });
    expect(snapshot.onActing('c1', 1, 9_000)).toBeNull();
  });

  test('time the leader spent paused does not count; overlapping pauses count once', () => {
    const watch = leading();
    watch.onPaused('c1', 1_000, 2_000);
    watch.onPaused('c1', 2_000, 2_000);
    watch.onPaused('c2', 0, 50_000);
    expect(watch.onActing('c1', 1, 9_000)).toBeNull();
    expect(watch.onActing('c1', 1, 9_001)?.runningMs).toBe(6_001);
  });

  test('a leader that resigned, lost leadership or restarted is not judged', () => {
    const resigned = leading();
    resigned.onState('c1', 1, 3_000, 'resigned', 4);
    expect(resigned.onActing('c1', 1, 20_000)).toBeNull();
    const restarted = leading();
    expect(restarted.onActing('c1', 2, 20_000)).toBeNull();
    const single = new CheckQuorumWatch(['c1'], TIMEOUT_MS);
    single.onState('c1', 1, 0, 'leader', 1);
    expect(single.onActing('c1', 1, 20_000)).toBeNull();
  });
});

describe('RaftChecker: CheckQuorum', () => {
  const state = (epoch: number, role: string, leaderId: string | null): TraceEvent => ({ type: 'raft.state', epoch, role, leaderId, votedId: null });
  const append = (offset: number): TraceEvent => ({ type: 'raft.append', offset, epoch: 1, digest: offset });

  function judge(appendAtMs: number): string[] {
    const checker = new RaftChecker({ voters: VOTERS, commitBoundMs: 0, checkQuorumTimeoutMs: TIMEOUT_MS }, null);
    checker.observe({ atMs: 0, node: 'c1', incarnation: 1, event: state(1, 'leader', 'c1') });
    checker.observe({ atMs: appendAtMs, node: 'c1', incarnation: 1, event: append(0) });
    return checker.violations().map((violation) => violation.invariant);
  }

  test('an append by a leader past the bound is a violation; within it, none', () => {
    expect(judge(7_000)).toEqual(['CheckQuorum']);
    expect(judge(5_000)).toEqual([]);
  });
});
