/**
 * CheckQuorum (KAFKA-15489): a leader no other voter fetches from must stop acting as leader within
 * twice the check-quorum timeout of its running time. NoDisruptiveElection (KIP-996): no voter
 * raises the epoch under a leader that a majority is in good standing with. Each case feeds the watch (or the RaftChecker)
 * a history in which a leader does or does not act too late.
 */
import { describe, expect, test } from 'vitest';
import type { TraceEvent } from '../../src/host.js';
import { PauseLedger } from '../../sim/checker/pauseLedger.js';
import { CheckQuorumWatch } from '../../sim/systems/raft/checkQuorum.js';
import { DisruptionWatch } from '../../sim/systems/raft/disruptiveElection.js';
import { RaftChecker } from '../../sim/systems/raft/checker.js';

const VOTERS = ['c1', 'c2', 'c3'];
const TIMEOUT_MS = 3_000; // 1.5 × the default controller.quorum.fetch.timeout.ms; the bound is 6 s.

function leading(atMs = 0, pauses = new PauseLedger()): CheckQuorumWatch {
  const watch = new CheckQuorumWatch(VOTERS, TIMEOUT_MS, pauses);
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
    const pauses = new PauseLedger();
    const watch = leading(0, pauses);
    pauses.onPaused('c1', 1_000, 2_000);
    pauses.onPaused('c1', 2_000, 2_000);
    pauses.onPaused('c2', 0, 50_000);
    expect(watch.onActing('c1', 1, 9_000)).toBeNull();
    expect(watch.onActing('c1', 1, 9_001)?.runningMs).toBe(6_001);
  });

  test('a leader that resigned, lost leadership or restarted is not judged', () => {
    const resigned = leading();
    resigned.onState('c1', 1, 3_000, 'resigned', 4);
    expect(resigned.onActing('c1', 1, 20_000)).toBeNull();
    const restarted = leading();
    expect(restarted.onActing('c1', 2, 20_000)).toBeNull();
    const single = new CheckQuorumWatch(['c1'], TIMEOUT_MS, new PauseLedger());
    single.onState('c1', 1, 0, 'leader', 1);
    expect(single.onActing('c1', 1, 20_000)).toBeNull();
  });
});

describe('RaftChecker: CheckQuorum', () => {
  const state = (epoch: number, role: string, leaderId: string | null): TraceEvent => ({ type: 'raft.state', epoch, role, leaderId, votedId: null });
  const append = (offset: number): TraceEvent => ({ type: 'raft.append', offset, epoch: 1, digest: offset });

  function judge(appendAtMs: number): string[] {
    const checker = new RaftChecker({ voters: VOTERS, commitBoundMs: 0, fetchTimeoutMs: TIMEOUT_MS / 1.5 }, null);
    checker.observe({ atMs: 0, node: 'c1', incarnation: 1, event: state(1, 'leader', 'c1') });
    checker.observe({ atMs: appendAtMs, node: 'c1', incarnation: 1, event: append(0) });
    return checker.violations().map((violation) => violation.invariant);
  }

  test('an append by a leader past the bound is a violation; within it, none', () => {
    expect(judge(7_000)).toEqual(['CheckQuorum']);
    expect(judge(5_000)).toEqual([]);
  });
});

describe('DisruptionWatch (KIP-996)', () => {
  const FETCH_TIMEOUT_MS = 2_000;

  /** c3 leads epoch 1; c2 follows it from 0 ms and is answered every 500 ms up to `answeredUntilMs`. */
  function healthy(answeredUntilMs: number, running: (node: string) => number | null = () => 1, pauses = new PauseLedger()): DisruptionWatch {
    const watch = new DisruptionWatch(VOTERS, FETCH_TIMEOUT_MS, pauses, running);
    watch.onState('c3', 1, 0, 'leader', 1, 'c3');
    watch.onState('c2', 1, 0, 'follower', 1, 'c3');
    watch.onState('c1', 1, 0, 'follower', 1, 'c3');
    for (let atMs = 100, correlationId = 1; atMs <= answeredUntilMs; atMs += 500, correlationId++) {
      watch.onSent('c2', 'c3', { api: 'Fetch', correlationId });
      watch.onDelivered(atMs, 'c3', 'c2', { api: 'FetchResponse', correlationId, errorCode: 'NONE', currentLeader: { leaderId: 'c3', leaderEpoch: 1 } }, 1);
    }
    return watch;
  }

  test('a candidacy under a leader and a follower answered all along is disruptive', () => {
    const watch = healthy(10_000);
    const candidacy = watch.onState('c1', 1, 10_000, 'candidate', 2, null);
    expect(candidacy).toMatchObject({ candidate: 'c1', epoch: 2, leader: 'c3', leaderEpoch: 1, inGoodStanding: ['c2'] });
  });

  test('after a prospective phase, good standing must hold since the candidate became prospective', () => {
    const watch = healthy(5_100);
    watch.onState('c1', 1, 4_000, 'prospective', 1, 'c3');
    // c2 was last answered at 5,100 ms; at 7,200 ms that is more than the fetch timeout ago.
    expect(watch.onState('c1', 1, 7_200, 'candidate', 2, null)).toBeNull();
    const fresh = healthy(10_000);
    fresh.onState('c1', 1, 9_000, 'prospective', 1, 'c3');
    expect(fresh.onState('c1', 1, 10_000, 'candidate', 2, null)).not.toBeNull();
  });

  test('no standing from stale answers, another stint, a restart, a leader that is down, or a follower of another leader', () => {
    const stale = healthy(0);
    stale.onSent('c2', 'c3', { api: 'Fetch', correlationId: 99 });
    stale.onDelivered(9_000, 'c3', 'c2', { api: 'FetchResponse', correlationId: 98, errorCode: 'NONE', currentLeader: { leaderId: 'c3', leaderEpoch: 1 } }, 1);
    expect(stale.onState('c1', 1, 10_000, 'candidate', 2, null)).toBeNull();
    const newStint = healthy(10_000);
    newStint.onState('c2', 1, 9_800, 'follower', 1, 'c3');
    expect(newStint.onState('c1', 1, 10_000, 'candidate', 2, null)).toBeNull();
    const leaderDown = healthy(10_000, (node) => (node === 'c3' ? null : 1));
    expect(leaderDown.onState('c1', 1, 10_000, 'candidate', 2, null)).toBeNull();
    const restarted = healthy(10_000, (node) => (node === 'c2' ? 2 : 1));
    expect(restarted.onState('c1', 1, 10_000, 'candidate', 2, null)).toBeNull();
    const erred = healthy(0);
    erred.onSent('c2', 'c3', { api: 'Fetch', correlationId: 50 });
    erred.onDelivered(9_900, 'c3', 'c2', { api: 'FetchResponse', correlationId: 50, errorCode: 'FENCED_LEADER_EPOCH', currentLeader: { leaderId: 'c3', leaderEpoch: 1 } }, 1);
    expect(erred.onState('c1', 1, 10_000, 'candidate', 2, null)).toBeNull();
  });

  test('a follower paused through the gap keeps its standing: its fetch timer waited with it', () => {
    const pauses = new PauseLedger();
    const watch = healthy(5_000, () => 1, pauses);
    pauses.onPaused('c2', 5_500, 3_000);
    expect(watch.onState('c1', 1, 8_000, 'candidate', 2, null)).not.toBeNull();
  });
});
