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
  const answer = (correlationId: number, errorCode = 'NONE') => ({ api: 'FetchResponse', correlationId, errorCode, currentLeader: { leaderId: 'c3', leaderEpoch: 1 } });

  /** c3 leads epoch 1; c2 and c1 follow it from 0 ms, and c2 is answered every 500 ms up to `answeredUntilMs`. */
  function healthy(answeredUntilMs: number, running: (node: string) => number | null = () => 1): DisruptionWatch {
    const watch = new DisruptionWatch(VOTERS, running);
    watch.onState('c3', 1, 0, 'leader', 1, 'c3');
    watch.onState('c2', 1, 0, 'follower', 1, 'c3');
    watch.onState('c1', 1, 0, 'follower', 1, 'c3');
    for (let atMs = 100, correlationId = 1; atMs <= answeredUntilMs; atMs += 500, correlationId++) {
      watch.onSent('c2', 'c3', { api: 'Fetch', correlationId });
      watch.onDelivered(atMs, 'c3', 'c2', answer(correlationId), 1);
    }
    return watch;
  }

  test('a candidacy under a leader and a follower that has fetched from it is disruptive', () => {
    const watch = healthy(10_000);
    const candidacy = watch.onState('c1', 1, 10_000, 'candidate', 2, null);
    expect(candidacy).toMatchObject({ candidate: 'c1', epoch: 2, leader: 'c3', leaderEpoch: 1, inGoodStanding: ['c2'] });
  });

  test('a FollowerState that has fetched refuses pre-votes for as long as it lasts: no time enters', () => {
    // One answer, long before: while c2 is still in that FollowerState its fetch timer has not
    // expired (a paused process's timer fires late, and expiry ends the state), so it refuses.
    const watch = healthy(100);
    watch.onState('c1', 1, 9_000, 'prospective', 1, 'c3');
    expect(watch.onState('c1', 1, 10_000, 'candidate', 2, null)).toMatchObject({ inGoodStanding: ['c2'], prospectiveSinceMs: 9_000 });
  });

  test('the follower must have fetched before the candidate became prospective, in a state that began before it', () => {
    const late = new DisruptionWatch(VOTERS, () => 1);
    late.onState('c3', 1, 0, 'leader', 1, 'c3');
    late.onState('c2', 1, 0, 'follower', 1, 'c3');
    late.onSent('c2', 'c3', { api: 'Fetch', correlationId: 1 });
    late.onState('c1', 1, 4_000, 'prospective', 1, 'c3');
    // c2's first answer comes after c1 asked: c2 may have granted before it.
    late.onDelivered(4_001, 'c3', 'c2', answer(1), 1);
    expect(late.onState('c1', 1, 4_010, 'candidate', 2, null)).toBeNull();
    const newState = healthy(10_000);
    newState.onState('c1', 1, 9_000, 'prospective', 1, 'c3');
    newState.onState('c2', 1, 9_800, 'follower', 1, 'c3');
    expect(newState.onState('c1', 1, 10_000, 'candidate', 2, null)).toBeNull();
  });

  test('kafka-swarm seed 837482129: an answer that reached a prospective voter in the same millisecond it followed again gives no standing', () => {
    // c1 followed c3 and fetched (correlation 4); c3 was paused and c1 became prospective. When c3
    // woke, its answer to correlation 4 reached c1 first and c3's pre-vote refusal in the same
    // millisecond: c1's new FollowerState had not fetched, so it rightly granted c2 a pre-vote.
    const build = (): DisruptionWatch => {
      const watch = new DisruptionWatch(VOTERS, () => 1);
      watch.onState('c3', 1, 0, 'leader', 1, 'c3');
      watch.onState('c2', 1, 0, 'follower', 1, 'c3');
      watch.onState('c1', 1, 18_160, 'follower', 1, 'c3');
      watch.onSent('c1', 'c3', { api: 'Fetch', correlationId: 4 });
      watch.onState('c1', 1, 22_375, 'prospective', 1, 'c3');
      watch.onDelivered(22_736, 'c3', 'c1', answer(4), 1);
      watch.onState('c1', 1, 22_736, 'follower', 1, 'c3');
      watch.onSent('c1', 'c3', { api: 'Fetch', correlationId: 7 });
      return watch;
    };
    const granted = build();
    granted.onState('c2', 1, 23_104, 'prospective', 1, 'c3');
    expect(granted.onState('c2', 1, 23_112, 'candidate', 2, null)).toBeNull();
    // Had c3 answered correlation 7 before c2 asked, c1 would have been bound to refuse.
    const answered = build();
    answered.onDelivered(23_104, 'c3', 'c1', answer(7), 1);
    answered.onState('c2', 1, 23_104, 'prospective', 1, 'c3');
    expect(answered.onState('c2', 1, 23_112, 'candidate', 2, null)).toMatchObject({ candidate: 'c2', leader: 'c3', inGoodStanding: ['c1'] });
  });

  test('no standing from stale answers, a Fetch of an earlier state, errors, a restart, a leader that is down or elected later', () => {
    const stale = healthy(0);
    stale.onSent('c2', 'c3', { api: 'Fetch', correlationId: 99 });
    stale.onDelivered(9_000, 'c3', 'c2', answer(98), 1);
    expect(stale.onState('c1', 1, 10_000, 'candidate', 2, null)).toBeNull();
    const earlierState = healthy(0);
    earlierState.onSent('c2', 'c3', { api: 'Fetch', correlationId: 60 });
    earlierState.onState('c2', 1, 8_000, 'prospective', 1, 'c3');
    earlierState.onState('c2', 1, 8_100, 'follower', 1, 'c3');
    earlierState.onDelivered(8_200, 'c3', 'c2', answer(60), 1);
    expect(earlierState.onState('c1', 1, 10_000, 'candidate', 2, null)).toBeNull();
    const erred = healthy(0);
    erred.onSent('c2', 'c3', { api: 'Fetch', correlationId: 50 });
    erred.onDelivered(9_900, 'c3', 'c2', answer(50, 'FENCED_LEADER_EPOCH'), 1);
    expect(erred.onState('c1', 1, 10_000, 'candidate', 2, null)).toBeNull();
    const leaderDown = healthy(10_000, (node) => (node === 'c3' ? null : 1));
    expect(leaderDown.onState('c1', 1, 10_000, 'candidate', 2, null)).toBeNull();
    const restarted = healthy(10_000, (node) => (node === 'c2' ? 2 : 1));
    expect(restarted.onState('c1', 1, 10_000, 'candidate', 2, null)).toBeNull();
    // A leader elected after the candidate became prospective may have granted it as candidate.
    const electedLater = new DisruptionWatch(VOTERS, () => 1);
    electedLater.onState('c2', 1, 0, 'follower', 2, 'c3');
    electedLater.onSent('c2', 'c3', { api: 'Fetch', correlationId: 1 });
    electedLater.onDelivered(5, 'c3', 'c2', { ...answer(1), currentLeader: { leaderId: 'c3', leaderEpoch: 2 } }, 1);
    electedLater.onState('c1', 1, 10, 'prospective', 2, null);
    electedLater.onState('c3', 1, 20, 'leader', 2, 'c3');
    expect(electedLater.onState('c1', 1, 40, 'candidate', 3, null)).toBeNull();
  });
});
