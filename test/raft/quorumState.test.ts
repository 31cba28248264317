import { describe, expect, test } from 'vitest';
import { LeaderState } from '../../src/raft/leaderState.js';
import {
  type EpochState,
  EpochStates,
  LEGACY_TRANSITIONS,
  PRE_VOTE_TRANSITIONS,
  QUORUM_ROLES,
  type QuorumContext,
  type QuorumRole,
  QuorumState,
  canGrantVote,
  checkTransition,
  isLogUpToDate,
} from '../../src/raft/quorumState.js';
import type { ElectionState, QuorumStateStore } from '../../src/raft/quorumStateStore.js';

const voters = ['a', 'b', 'c'];
const context: QuorumContext = { localId: 'a', voters, preVote: true };

/** A well-formed state of each role; elections have a majority unless `granted` is false. */
function sample(role: QuorumRole, epoch: number, granted = true): EpochState {
  switch (role) {
    case 'unattached':
      return EpochStates.unattached(epoch);
    case 'prospective': {
      const state = EpochStates.prospective(EpochStates.unattached(epoch), context, 1);
      if (granted) state.election.recordVote('b', true);
      return state;
    }
    case 'candidate': {
      const state = EpochStates.candidate(epoch, context, 1);
      if (granted) state.election.recordVote('b', true);
      return state;
    }
    case 'follower':
      return EpochStates.follower(epoch, 'b', null);
    case 'leader':
      return { role: 'leader', epoch, leaderState: new LeaderState('a', epoch, 0, voters) };
    case 'resigned':
      return EpochStates.resigned(epoch, []);
  }
}

function ruleHolds(rule: string | undefined, from: number, to: number): boolean {
  if (rule === 'same') return to === from;
  if (rule === 'higher') return to > from;
  if (rule === 'sameOrHigher') return to >= from;
  if (rule === 'next') return to === from + 1;
  return false;
}

describe('quorum state transition table', () => {
  for (const [preVote, table] of [
    [true, PRE_VOTE_TRANSITIONS],
    [false, LEGACY_TRANSITIONS],
  ] as const) {
    test(`every (from, to, epoch) pair is legal exactly when the ${preVote ? 'pre-vote' : 'legacy'} table says so`, () => {
      let legalCount = 0;
      for (const fromRole of QUORUM_ROLES) {
        for (const toRole of QUORUM_ROLES) {
          for (const toEpoch of [4, 5, 6, 7]) {
            const from = sample(fromRole, 5);
            const to = sample(toRole, toEpoch);
            const legal = ruleHolds(table[fromRole][toRole], 5, toEpoch);
            const attempt = () => checkTransition(from, to, { ...context, preVote });
            if (legal) {
              expect(attempt, `${fromRole}(5) → ${toRole}(${toEpoch})`).not.toThrow();
              legalCount += 1;
            } else {
              expect(attempt, `${fromRole}(5) → ${toRole}(${toEpoch})`).toThrow(/illegal transition/);
            }
          }
        }
      }
      expect(legalCount).toBeGreaterThan(10);
    });
  }

  test('a candidate without a majority cannot become leader, nor a prospective candidate', () => {
    expect(() => checkTransition(sample('candidate', 5, false), sample('leader', 5), context)).toThrow(/no majority/);
    expect(() => checkTransition(sample('prospective', 5, false), sample('candidate', 6), context)).toThrow(/pre-vote/);
  });

  test('granting a vote is the only same-epoch unattached → unattached transition, and only once', () => {
    const fresh = EpochStates.unattached(5);
    const voted = EpochStates.unattached(5, 'b');
    expect(() => checkTransition(fresh, voted, context)).not.toThrow();
    expect(() => checkTransition(voted, EpochStates.unattached(5, 'c'), context)).toThrow();
  });

  test('an observer can only be unattached or follower', () => {
    const observer = { localId: 'o', voters, preVote: true };
    expect(() => checkTransition(EpochStates.unattached(1), EpochStates.follower(1, 'a', null), observer)).not.toThrow();
    expect(() => checkTransition(EpochStates.unattached(1), sample('prospective', 1), observer)).toThrow(/observer/);
    expect(() => checkTransition(EpochStates.unattached(1), sample('candidate', 2), observer)).toThrow(/observer/);
  });

  test('a follower of itself or of a non-voter is malformed', () => {
    expect(() => checkTransition(EpochStates.unattached(1), EpochStates.follower(1, 'a', null), context)).toThrow(/itself/);
    expect(() => checkTransition(EpochStates.unattached(1), EpochStates.follower(1, 'x', null), context)).toThrow(/not a voter/);
  });
});

describe('vote rules', () => {
  test('isLogUpToDate compares the last epoch first, then the end offset', () => {
    expect(isLogUpToDate({ epoch: 3, offset: 1 }, { epoch: 2, offset: 100 })).toBe(true);
    expect(isLogUpToDate({ epoch: 2, offset: 100 }, { epoch: 3, offset: 1 })).toBe(false);
    expect(isLogUpToDate({ epoch: 3, offset: 10 }, { epoch: 3, offset: 10 })).toBe(true);
    expect(isLogUpToDate({ epoch: 3, offset: 9 }, { epoch: 3, offset: 10 })).toBe(false);
  });

  test('a binding vote is granted once per epoch, to an up-to-date candidate, while no leader is known', () => {
    expect(canGrantVote(EpochStates.unattached(5), 'b', true, false)).toBe(true);
    expect(canGrantVote(EpochStates.unattached(5), 'b', false, false)).toBe(false);
    expect(canGrantVote(EpochStates.unattached(5, 'b'), 'b', false, false)).toBe(true);
    expect(canGrantVote(EpochStates.unattached(5, 'b'), 'c', true, false)).toBe(false);
    expect(canGrantVote(sample('follower', 5), 'c', true, false)).toBe(false);
    expect(canGrantVote(sample('candidate', 5), 'c', true, false)).toBe(false);
    expect(canGrantVote(sample('leader', 5), 'c', true, false)).toBe(false);
    expect(canGrantVote(sample('resigned', 5), 'c', true, false)).toBe(false);
  });

  test('a prospective that followed a leader in this epoch refuses binding votes', () => {
    const prospective = EpochStates.prospective(EpochStates.follower(5, 'b', null), context, 1);
    expect(canGrantVote(prospective, 'c', true, false)).toBe(false);
    expect(canGrantVote(prospective, 'c', true, true)).toBe(true);
  });

  test('a candidate that fell back to prospective keeps its vote for itself (one vote per epoch)', () => {
    const prospective = EpochStates.prospective(sample('candidate', 5), context, 2);
    expect(prospective.votedId).toBe('a');
    expect(canGrantVote(prospective, 'c', true, false)).toBe(false);
  });

  test('pre-votes (KIP-996) need only an up-to-date log, except from a follower that hears its leader', () => {
    const follower = EpochStates.follower(5, 'b', null);
    expect(canGrantVote(follower, 'c', true, true)).toBe(true);
    follower.hasFetchedFromLeader = true;
    expect(canGrantVote(follower, 'c', true, true)).toBe(false);
    expect(canGrantVote(EpochStates.unattached(5, 'b'), 'c', true, true)).toBe(true);
    expect(canGrantVote(EpochStates.unattached(5), 'c', false, true)).toBe(false);
    expect(canGrantVote(sample('candidate', 5), 'c', true, true)).toBe(true);
    expect(canGrantVote(sample('leader', 5), 'c', true, true)).toBe(false);
  });
});

describe('QuorumState durability', () => {
  /** A store whose writes become durable when the test says, newest-supersedes as the contract allows. */
  function fakeStore() {
    const pending: Array<() => void> = [];
    const written: ElectionState[] = [];
    const store: QuorumStateStore = {
      readElectionState: () => written[written.length - 1] ?? null,
      writeElectionState: (state, onDurable) => {
        written.push(state);
        pending.push(onDurable);
      },
      onFsyncComplete: () => false,
    };
    const step = (): boolean => {
      const next = pending.shift();
      next?.();
      return next !== undefined;
    };
    return { store, written, step };
  }

  test('QuorumState reports durable only for the newest written state', () => {
    const { store, step } = fakeStore();
    let notified = 0;
    const quorum = new QuorumState(context, store, () => {
      notified += 1;
    });
    quorum.initialize(EpochStates.unattached(0));
    expect(quorum.isDurable).toBe(false);
    while (step());
    expect(quorum.isDurable).toBe(true);
    quorum.transitionTo(EpochStates.unattached(1));
    quorum.transitionTo(EpochStates.unattached(1, 'b'));
    expect(quorum.isDurable).toBe(false);
    step();
    // The first of the two writes is durable, but it is not the newest state: nothing to act on yet.
    expect(quorum.isDurable).toBe(false);
    while (step());
    expect(quorum.isDurable).toBe(true);
    expect(notified).toBe(2);
    // A memory-only refinement (prospective keeps the election state) is durable at once.
    quorum.transitionTo(EpochStates.prospective(quorum.state, context, 1));
    expect(quorum.isDurable).toBe(true);
  });

  test('a transition that keeps the election state writes nothing', () => {
    const { store, written, step } = fakeStore();
    const quorum = new QuorumState(context, store, () => {});
    quorum.initialize(EpochStates.unattached(3, 'b'));
    while (step());
    quorum.transitionTo(EpochStates.prospective(quorum.state, context, 1));
    expect(written).toEqual([{ epoch: 3, leaderId: null, votedId: 'b' }]);
  });
});
