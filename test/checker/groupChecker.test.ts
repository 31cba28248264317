/**
 * The group checker must be able to fail: each anomaly and group invariant is fed a history that
 * breaks it and must be caught, and the clean history beside it must pass. A step's time is its
 * index in the list. Members k1 and k2 are group `g` reading topic `t`.
 */
import { describe, expect, test } from 'vitest';
import type { TraceEvent } from '../../src/host.js';
import { GroupChecker, type GroupCheckerHooks } from '../../sim/systems/kafka/groupChecker.js';
import type { GroupContractInputs } from '../../sim/systems/kafka/groupContract.js';
import type { World } from '../../sim/world.js';

type Step = [node: string, event: TraceEvent, incarnation?: number];

interface Setup {
  readonly protocol?: 'classic' | 'consumer';
  readonly contract?: Partial<GroupContractInputs>;
  readonly highWatermark?: number;
  readonly lossAllowed?: boolean;
  readonly groupStateLost?: boolean;
  readonly clusterMetadataLost?: boolean;
}

function checker(setup: Setup = {}): GroupChecker {
  const hooks: GroupCheckerHooks = {
    highWatermark: () => setup.highWatermark ?? 1_000,
    logLossAllowed: () => setup.lossAllowed ?? false,
    duplicateAllowedReason: () => null,
    groupStateLossReason: () => (setup.groupStateLost === true ? 'the coordinator lost its state' : null),
    clusterMetadataLoss: () => (setup.clusterMetadataLost === true ? 'a majority of controllers lost their disks' : null),
  };
  const contract: GroupContractInputs = { groupId: 'g', commit: 'sync', autoOffsetReset: 'earliest', ...setup.contract };
  return new GroupChecker([{ groupId: 'g', protocol: setup.protocol ?? 'classic', members: ['k1', 'k2'], contract }], 't', hooks, null);
}

function feed(c: GroupChecker, steps: Step[]): GroupChecker {
  steps.forEach(([node, event, incarnation], atMs) => c.observe({ atMs, node, incarnation: incarnation ?? 1, event }));
  return c;
}

let requestId = 0;
/** A poll that returned `records` of t-0 ([offset, value]) to a member of generation 1 owning t-0. */
function poll(records: Array<[number, string]>, options: { generation?: number; memberId?: string; assignment?: string[] } = {}): TraceEvent {
  return {
    type: 'op.ok',
    op: 'poll',
    requestId: requestId++,
    group: 'g',
    generation: options.generation ?? 1,
    memberId: options.memberId ?? 'm1',
    assignment: options.assignment ?? ['t-0'],
    positions: {},
    records: records.length === 0 ? {} : { 't-0': records },
  };
}

const sent = (value: string, offset: number): TraceEvent => ({ type: 'op.ok', op: 'send', requestId: requestId++, topic: 't', partition: 0, value, offset });
const finalRead = (values: string[]): TraceEvent => ({ type: 'kafka.final-read', topic: 't', partition: 0, records: values.map((value, offset) => [offset, value]) });
const accepted = (memberId: string, generation: number, offset: number): TraceEvent => ({
  type: 'group.offset-commit',
  groupId: 'g',
  memberId,
  groupInstanceId: null,
  generationIdOrMemberEpoch: generation,
  errorCode: 'NONE',
  offsets: [['t', 0, offset, 'NONE']],
});
const committed = (memberId: string, generation: number, offset: number): TraceEvent => ({
  type: 'consumer.commit-done',
  groupId: 'g',
  generationIdOrMemberEpoch: generation,
  memberId,
  offsets: { 't-0': offset },
  error: 'NONE',
});

const world = { nowMs: 100 } as World;

function invariants(c: GroupChecker, atEnd = false): string[] {
  const found = atEnd ? c.finish(world).violations : c.violations();
  return found.map((violation) => violation.invariant);
}

function allowed(c: GroupChecker): string[] {
  return c.finish(world).anomalies.map((anomaly) => anomaly.anomaly);
}

describe('a clean history', () => {
  test('two polls in order, a commit, every acknowledged record polled: nothing to report', () => {
    const c = feed(checker(), [
      ['p1', sent('a', 0)],
      ['p1', sent('b', 1)],
      ['p1', sent('c', 2)],
      ['k1', poll([[0, 'a'], [1, 'b']])],
      ['k1', poll([[2, 'c']])],
      ['b1', accepted('m1', 1, 3)],
      ['k1', committed('m1', 1, 3)],
      ['r1', finalRead(['a', 'b', 'c'])],
    ]);
    c.onHeal();
    expect(invariants(c, true)).toEqual([]);
  });
});

describe('the order of polls', () => {
  test('int-poll-skip: one poll jumps an offset', () => {
    expect(invariants(feed(checker(), [['k1', poll([[0, 'a'], [2, 'c']])]]))).toEqual(['PollOrder/int-poll-skip']);
  });

  test('int-nonmonotonic-poll: one poll goes back', () => {
    expect(invariants(feed(checker(), [['k1', poll([[1, 'b'], [0, 'a']])]]))).toEqual(['PollOrder/int-nonmonotonic-poll']);
  });

  test('poll-skip: the next poll starts past where the last one ended', () => {
    expect(invariants(feed(checker(), [['k1', poll([[0, 'a'], [1, 'b']])], ['k1', poll([[3, 'd']])]]))).toEqual(['PollOrder/poll-skip']);
  });

  test('nonmonotonic-poll: the next poll starts before where the last one ended', () => {
    expect(invariants(feed(checker(), [['k1', poll([[0, 'a'], [1, 'b']])], ['k1', poll([[1, 'b']])]]))).toEqual(['PollOrder/nonmonotonic-poll']);
  });

  test('a position moved by a detected truncation between the polls is allowed, and counted', () => {
    const c = feed(checker(), [
      ['k1', poll([[0, 'a'], [1, 'b'], [2, 'c']])],
      ['k1', { type: 'consumer.offset-reset', partition: 't-0', from: 3, to: 1, reason: 'truncation' }],
      ['k1', poll([[1, 'x']])],
    ]);
    expect(invariants(c)).toEqual([]);
    expect(allowed(c)).toContain('nonmonotonic-poll');
  });

  test('a new assignment starts a new sequence: re-reading after a rebalance is no anomaly', () => {
    const c = feed(checker(), [
      ['k1', poll([[0, 'a'], [1, 'b']])],
      ['k1', { type: 'rebalance.revoked', group: 'g', generation: 1, memberId: 'm1', partitions: ['t-0'] }],
      ['k1', { type: 'rebalance.assigned', group: 'g', generation: 2, memberId: 'm1', partitions: ['t-0'] }],
      ['k1', poll([[0, 'a']], { generation: 2 })],
    ]);
    expect(invariants(c)).toEqual([]);
  });

  test('a new incarnation of a member starts a new sequence', () => {
    expect(invariants(feed(checker(), [['k1', poll([[0, 'a'], [1, 'b']])], ['k1', poll([[0, 'a']]), 2]]))).toEqual([]);
  });
});

describe('ownership and generations', () => {
  test('shared-ownership: two members given one partition in one classic generation (member side)', () => {
    const assigned = (node: string, memberId: string): Step => [node, { type: 'consumer.assigned', groupId: 'g', memberId, generationId: 3, partitions: ['t-0'] }];
    expect(invariants(feed(checker(), [assigned('k1', 'm1'), assigned('k2', 'm2')]))).toEqual(['SingleOwner/shared-ownership']);
    expect(invariants(feed(checker(), [assigned('k1', 'm1'), ['k2', { type: 'consumer.assigned', groupId: 'g', memberId: 'm2', generationId: 4, partitions: ['t-0'] }]]))).toEqual([]);
  });

  test('a static member replaced in its generation (KIP-345) hands its partitions to the new member id; anyone else is still a second owner', () => {
    const assigned = (node: string, memberId: string, incarnation: number): Step => [node, { type: 'consumer.assigned', groupId: 'g', memberId, generationId: 3, partitions: ['t-0'] }, incarnation];
    const replaced: Step = ['b1', { type: 'group.member-replaced', groupId: 'g', instanceId: 'k1', memberId: 'm1', newMemberId: 'm1b' }];
    expect(invariants(feed(checker(), [assigned('k1', 'm1', 1), replaced, assigned('k1', 'm1b', 2)]))).toEqual([]);
    expect(invariants(feed(checker(), [assigned('k1', 'm1', 1), assigned('k1', 'm1b', 2)]))).toEqual(['SingleOwner/shared-ownership']);
    expect(invariants(feed(checker(), [assigned('k1', 'm1', 1), replaced, assigned('k2', 'm2', 1)]))).toEqual(['SingleOwner/shared-ownership']);
  });

  test('shared-ownership: one generation\'s assignment names a partition twice (coordinator side)', () => {
    const assignment: TraceEvent = { type: 'group.assignment', groupId: 'g', protocol: 'classic', generationId: 2, assignment: { m1: [{ topic: 't', partitions: [0] }], m2: [{ topic: 't', partitions: [0, 1] }] } };
    expect(invariants(feed(checker(), [['b1', assignment]]))).toEqual(['SingleOwner/shared-ownership']);
  });

  test('shared-ownership: a KIP-848 coordinator lets a member own a partition another has not revoked', () => {
    const member = (memberId: string, assigned: number[], pendingRevocation: number[] = []): Step => [
      'b1',
      { type: 'group.member', groupId: 'g', memberId, instanceId: null, memberEpoch: 5, previousMemberEpoch: 4, state: 'STABLE', assigned: [{ topic: 't', partitions: assigned }], pendingRevocation: [{ topic: 't', partitions: pendingRevocation }] },
    ];
    expect(invariants(feed(checker({ protocol: 'consumer' }), [member('m1', [], [0]), member('m2', [0])]))).toEqual(['SingleOwner/shared-ownership']);
    // Revoked first, then reassigned: as KIP-848 does it.
    expect(invariants(feed(checker({ protocol: 'consumer' }), [member('m1', [0]), member('m1', []), member('m2', [0])]))).toEqual([]);
  });

  test('generation-regressed: a member is assigned in an older generation under the same member id', () => {
    const assigned = (generationId: number): Step => ['k1', { type: 'consumer.assigned', groupId: 'g', memberId: 'm1', generationId, partitions: ['t-0'] }];
    expect(invariants(feed(checker(), [assigned(5), assigned(4)]))).toEqual(['MonotonicGenerations/generation-regressed']);
  });

  test('a classic JoinGroup generation a failover reuses is no regression until it is assigned; a KIP-848 poll\'s epoch is judged', () => {
    expect(invariants(feed(checker(), [['k1', poll([], { generation: 5 })], ['k1', poll([], { generation: 4 })]]))).toEqual([]);
    expect(invariants(feed(checker({ protocol: 'consumer' }), [['k1', poll([], { generation: 5 })], ['k1', poll([], { generation: 4 })]]))).toEqual(['MonotonicGenerations/generation-regressed']);
  });

  test('generation-regressed: a coordinator hands out an older generation than one already handed out', () => {
    const assignment = (generationId: number): Step => ['b1', { type: 'group.assignment', groupId: 'g', protocol: 'classic', generationId, assignment: { m1: [{ topic: 't', partitions: [0] }] } }];
    expect(invariants(feed(checker(), [assignment(5), assignment(4)]))).toEqual(['MonotonicGenerations/generation-regressed']);
  });

  test('a coordinator that lost its group state as the contract allows may start the group over: allowed, counted', () => {
    const assignment = (generationId: number): Step => ['b1', { type: 'group.assignment', groupId: 'g', protocol: 'classic', generationId, assignment: { m1: [{ topic: 't', partitions: [0] }] } }];
    const c = feed(checker({ groupStateLost: true }), [assignment(5), assignment(1)]);
    expect(invariants(c)).toEqual([]);
    expect(allowed(c)).toEqual(['generation-regressed']);
  });

  test('generation-regressed: a KIP-848 coordinator moves a member\'s epoch back', () => {
    const member = (memberEpoch: number): Step => ['b1', { type: 'group.member', groupId: 'g', memberId: 'm1', instanceId: null, memberEpoch, previousMemberEpoch: 0, state: 'STABLE', assigned: [], pendingRevocation: [] }];
    expect(invariants(feed(checker({ protocol: 'consumer' }), [member(6), member(5)]))).toEqual(['MonotonicGenerations/generation-regressed']);
  });
});

describe('commits', () => {
  test('fenced-commit-accepted: a commit of an older classic generation takes effect', () => {
    const generation5: TraceEvent = { type: 'group.assignment', groupId: 'g', protocol: 'classic', generationId: 5, assignment: { m2: [{ topic: 't', partitions: [0] }] } };
    expect(invariants(feed(checker(), [['b1', generation5], ['b1', accepted('m1', 4, 3)], ['k1', committed('m1', 4, 3)]]))).toEqual(['FencedCommitNeverApplies/fenced-commit-accepted']);
    // The same commit from the current generation is fine.
    expect(invariants(feed(checker(), [['b1', generation5], ['b1', accepted('m2', 5, 3)], ['k2', committed('m2', 5, 3)]]))).toEqual([]);
  });

  test('a classic static member replaced in its generation (KIP-345): the new member id commits in it; the replaced id is fenced', () => {
    const generation5: TraceEvent = { type: 'group.assignment', groupId: 'g', protocol: 'classic', generationId: 5, assignment: { m1: [{ topic: 't', partitions: [0] }] } };
    const replaced: Step = ['b1', { type: 'group.member-replaced', groupId: 'g', instanceId: 'k1', memberId: 'm1', newMemberId: 'm1b' }];
    expect(invariants(feed(checker(), [['b1', generation5], replaced, ['b1', accepted('m1b', 5, 3)], ['k1', committed('m1b', 5, 3), 2]]))).toEqual([]);
    expect(invariants(feed(checker(), [['b1', generation5], replaced, ['b1', accepted('m1', 5, 3)], ['k1', committed('m1', 5, 3)]]))).toEqual(['FencedCommitNeverApplies/fenced-commit-accepted']);
  });

  test('fenced-commit-accepted: a KIP-848 member the coordinator fenced gets a commit in', () => {
    const fenced: TraceEvent = { type: 'group.member-fenced', groupId: 'g', memberId: 'm1', memberEpoch: 3, reason: 'session-timeout' };
    const c = feed(checker({ protocol: 'consumer' }), [['b1', fenced], ['b1', accepted('m1', 3, 3)], ['k1', committed('m1', 3, 3)]]);
    expect(invariants(c)).toEqual(['FencedCommitNeverApplies/fenced-commit-accepted']);
  });

  test('a KIP-848 commit is judged by the accepting coordinator\'s view: another\'s newer epoch may have been lost in a failover', () => {
    const member = (node: string, memberEpoch: number): Step => [node, { type: 'group.member', groupId: 'g', memberId: 'm1', instanceId: null, memberEpoch, previousMemberEpoch: 0, state: 'STABLE', assigned: [], pendingRevocation: [] }];
    const steps = (acceptor: string): Step[] => [member('b1', 4), member('b2', 3), [acceptor, accepted('m1', 3, 3)], ['k1', committed('m1', 3, 3)]];
    expect(invariants(feed(checker({ protocol: 'consumer' }), steps('b2')))).toEqual([]);
    expect(invariants(feed(checker({ protocol: 'consumer' }), steps('b1')))).toEqual(['FencedCommitNeverApplies/fenced-commit-accepted']);
  });

  test('commit-above-high-watermark: a commit past the high watermark is accepted', () => {
    expect(invariants(feed(checker({ highWatermark: 5 }), [['b1', accepted('m1', 1, 7)]]))).toEqual(['CommitWithinHighWatermark/commit-above-high-watermark']);
    // Allowed only where the partition lost committed records as the producer contract allows
    // (its high watermark went back below a position read before the loss: kafka-group-swarm seeds 243, 503).
    expect(invariants(feed(checker({ highWatermark: 5, lossAllowed: true }), [['b1', accepted('m1', 1, 7)]]))).toEqual([]);
    expect(invariants(feed(checker({ highWatermark: 5 }), [['b1', accepted('m1', 1, 5)]]))).toEqual([]);
  });

  test('commit-regressed: one member in one generation commits lower than before', () => {
    const steps: Step[] = [['b1', accepted('m1', 1, 8)], ['k1', committed('m1', 1, 8)], ['b1', accepted('m1', 1, 6)], ['k1', committed('m1', 1, 6)]];
    expect(invariants(feed(checker(), steps))).toEqual(['MonotonicCommits/commit-regressed']);
  });

  test('a lower commit by the next owner after a rebalance is allowed (a commit in flight took effect late)', () => {
    const c = feed(checker(), [['b1', accepted('m1', 1, 8)], ['k1', committed('m1', 1, 8)], ['b1', accepted('m2', 2, 6)], ['k2', committed('m2', 2, 6)]]);
    expect(invariants(c)).toEqual([]);
    expect(allowed(c)).toContain('commit-regressed');
  });
});

describe('the history against the log', () => {
  const writes: Step[] = [['p1', sent('a', 0)], ['p1', sent('b', 1)], ['p1', sent('c', 2)], ['r1', finalRead(['a', 'b', 'c'])]];

  test('lost-write: an acknowledged record below what the group polled was never polled', () => {
    const c = feed(checker(), [...writes, ['k1', poll([[0, 'a']])], ['k2', poll([[2, 'c']])]]);
    expect(invariants(c, true)).toEqual(['History/lost-write']);
  });

  test('lost-write is allowed where auto.offset.reset=latest moved a position past it', () => {
    const c = feed(checker({ contract: { autoOffsetReset: 'latest' } }), [
      ...writes,
      ['k1', { type: 'consumer.offset-reset', partition: 't-0', from: null, to: 2, reason: 'latest' }],
      ['k1', poll([[2, 'c']])],
    ]);
    expect(invariants(c, true)).toEqual([]);
  });

  test('committed-unread (at-least-once): the group committed past a record no owner polled', () => {
    // k2 polled offset 1 while not owning t-0 (its assignment is elsewhere): that does not count.
    const c = feed(checker(), [
      ...writes,
      ['k1', poll([[0, 'a']])],
      ['k2', poll([[1, 'b']], { memberId: 'm2', assignment: ['t-1'] })],
      ['b1', accepted('m1', 1, 2)],
      ['k1', committed('m1', 1, 2)],
    ]);
    expect(invariants(c, true)).toEqual(['GroupAtLeastOnce/committed-unread']);
  });

  test('inconsistent-offsets: an offset was polled with a record the log does not hold there; allowed after an allowed loss', () => {
    const steps: Step[] = [...writes, ['k1', poll([[0, 'a'], [1, 'x'], [2, 'c']])]];
    expect(invariants(feed(checker(), steps), true)).toEqual(['History/inconsistent-offsets']);
    const excused = feed(checker({ lossAllowed: true }), steps);
    expect(invariants(excused, true)).toEqual([]);
  });

  test('duplicate: one record polled at two offsets, one of which the log does not hold it at', () => {
    const c = feed(checker(), [['p1', sent('a', 0)], ['r1', finalRead(['a', 'b'])], ['k1', poll([[0, 'a'], [1, 'a']])]]);
    expect(invariants(c, true)).toEqual(['History/inconsistent-offsets', 'History/duplicate']);
  });

  test('a record the log itself holds twice is the Kafka checker\'s to judge, not the group\'s', () => {
    const c = feed(checker(), [['p1', sent('a', 0)], ['r1', finalRead(['a', 'a'])], ['k1', poll([[0, 'a'], [1, 'a']])]]);
    expect(invariants(c, true)).toEqual([]);
  });

  test('redelivered: an offset polled twice is at-least-once, allowed and counted', () => {
    const c = feed(checker(), [...writes, ['k1', poll([[0, 'a'], [1, 'b'], [2, 'c']])], ['k2', poll([[1, 'b'], [2, 'c']], { memberId: 'm2' })]]);
    const result = c.finish(world);
    expect(result.violations).toEqual([]);
    expect(result.anomalies).toEqual([expect.objectContaining({ anomaly: 'redelivered', count: 2 })]);
  });

  test('liveness: after the heal, a group that never polled an acknowledged record has not caught up', () => {
    const c = feed(checker(), [...writes, ['k1', poll([[0, 'a'], [1, 'b']])]]);
    c.onHeal();
    const result = c.finish(world);
    expect(result.violations.map((violation) => `${violation.invariant} ${violation.kind}`)).toEqual(['liveness/group-caught-up liveness']);
    expect(result.summary).toEqual({ g: { polls: 1, recordsPolled: 2, commits: 0, unseen: 1 } });
  });

  test('liveness: excused only by the Kafka checker\'s own excuse, the cluster\'s metadata lost (kafka-group-swarm-kip848 seed 305)', () => {
    const run = (clusterMetadataLost: boolean) => {
      const c = feed(checker({ clusterMetadataLost, groupStateLost: true }), [...writes, ['k1', poll([[0, 'a'], [1, 'b']])]]);
      c.onHeal();
      return c.finish(world);
    };
    expect(run(true).violations).toEqual([]);
    expect(run(true).anomalies).toEqual([expect.objectContaining({ anomaly: 'cluster-metadata-lost', reason: 'a majority of controllers lost their disks' })]);
    // The coordinator's lost group state alone excuses safety anomalies of a group starting over, not its liveness.
    expect(run(false).violations.map((violation) => violation.invariant)).toEqual(['liveness/group-caught-up']);
  });
});
