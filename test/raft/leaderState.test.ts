import { describe, expect, test } from 'vitest';
import { LeaderState } from '../../src/raft/leaderState.js';

const voters = ['a', 'b', 'c', 'd', 'e'];

describe('LeaderState high watermark', () => {
  test('is the offset a majority of voters hold, the leader counting only what it flushed', () => {
    const leader = new LeaderState('a', 3, 10, voters);
    expect(leader.updateReplicaState('b', 14)).toBe(false);
    expect(leader.updateReplicaState('c', 12)).toBe(false);
    expect(leader.highWatermark).toBeNull();
    expect(leader.updateLocalState(11)).toBe(true);
    expect(leader.highWatermark).toBe(11);
    expect(leader.updateLocalState(20)).toBe(true);
    expect(leader.highWatermark).toBe(12);
  });

  test('does not move until a record of the leader epoch is on a majority (Raft §5.4.2)', () => {
    const leader = new LeaderState('a', 3, 10, voters);
    leader.updateLocalState(10);
    leader.updateReplicaState('b', 10);
    leader.updateReplicaState('c', 10);
    leader.updateReplicaState('d', 10);
    expect(leader.highWatermark).toBeNull();
    leader.updateReplicaState('b', 11);
    leader.updateReplicaState('c', 11);
    expect(leader.highWatermark).toBeNull();
    leader.updateLocalState(11);
    expect(leader.highWatermark).toBe(11);
  });

  test('never decreases when a follower reports a lower offset', () => {
    const leader = new LeaderState('a', 1, 0, ['a', 'b', 'c']);
    leader.updateLocalState(8);
    leader.updateReplicaState('b', 8);
    expect(leader.highWatermark).toBe(8);
    expect(leader.updateReplicaState('b', 3)).toBe(false);
    expect(leader.highWatermark).toBe(8);
  });

  test('observers do not count towards the majority', () => {
    const leader = new LeaderState('a', 1, 0, ['a', 'b', 'c']);
    leader.updateLocalState(5);
    expect(leader.updateReplicaState('o1', 5)).toBe(false);
    expect(leader.highWatermark).toBeNull();
  });
});

describe('LeaderState check quorum (KAFKA-15489)', () => {
  test('is satisfied once a majority including the leader has fetched, then starts a new round', () => {
    const leader = new LeaderState('a', 1, 0, voters);
    expect(leader.updateCheckQuorumForFollowingVoter('b')).toBe(false);
    expect(leader.updateCheckQuorumForFollowingVoter('b')).toBe(false);
    expect(leader.updateCheckQuorumForFollowingVoter('c')).toBe(true);
    expect(leader.updateCheckQuorumForFollowingVoter('d')).toBe(false);
    expect(leader.updateCheckQuorumForFollowingVoter('o1')).toBe(false);
  });

  test('preferred successors are ordered by how far they have replicated', () => {
    const leader = new LeaderState('a', 1, 0, voters);
    leader.updateReplicaState('c', 9);
    leader.updateReplicaState('e', 4);
    leader.updateReplicaState('b', 7);
    expect(leader.nonLeaderVotersByDescendingFetchOffset()).toEqual(['c', 'b', 'e', 'd']);
    expect(leader.nonAcknowledgingVoters()).toEqual(['d']);
  });
});
