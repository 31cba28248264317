/**
 * The client-side assignors (range, round-robin, sticky, cooperative-sticky): Kafka's documented
 * examples, and properties over random groups — every subscribed partition assigned exactly once to
 * a subscriber, balance, stickiness, and the cooperative protocol's two rounds (KIP-429).
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { CooperativeStickyAssignor, cooperativeStickyAssign } from '../../src/client/assignors/cooperativeStickyAssignor.js';
import { createAssignor, rebalanceProtocolOf } from '../../src/client/assignors/index.js';
import { type GroupAssignment, type Subscription, asDecodedAtVersion, subscriptionOf } from '../../src/client/assignors/partitionAssignor.js';
import { rangeAssign } from '../../src/client/assignors/rangeAssignor.js';
import { roundRobinAssign } from '../../src/client/assignors/roundRobinAssignor.js';
import { StickyAssignor } from '../../src/client/assignors/stickyAssignor.js';
import type { AssignorName } from '../../src/client/consumerConfig.js';
import { type TopicPartition, topicPartitionKey } from '../../src/protocol/apis.js';

const tp = (topic: string, partition: number): TopicPartition => ({ topic, partition });
const keys = (partitions: readonly TopicPartition[]) => partitions.map(topicPartitionKey);

function assignWith(name: AssignorName, partitionsPerTopic: ReadonlyMap<string, number>, subscriptions: ReadonlyMap<string, Subscription>): GroupAssignment {
  return createAssignor(name).assign(partitionsPerTopic, subscriptions);
}

// ---- Arbitrary groups ----

interface Group {
  readonly partitionsPerTopic: Map<string, number>;
  readonly subscriptions: Map<string, Subscription>;
}

const TOPICS = ['t0', 't1', 't2'];

/** Up to 3 topics of 0..8 partitions, 1..6 members, some static; `equal` gives every member the same topics. */
function groupArbitrary(equal: boolean): fc.Arbitrary<Group> {
  return fc
    .record({
      partitionCounts: fc.tuple(fc.nat({ max: 8 }), fc.nat({ max: 8 }), fc.nat({ max: 8 })),
      members: fc.uniqueArray(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 6 }),
      staticMask: fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
      topicMasks: fc.array(fc.subarray(TOPICS, { minLength: 1 }), { minLength: 6, maxLength: 6 }),
    })
    .map(({ partitionCounts, members, staticMask, topicMasks }) => {
      const partitionsPerTopic = new Map(TOPICS.map((topic, index) => [topic, partitionCounts[index]!]));
      const subscriptions = new Map(
        members.map((id, index) => [
          `member-${id}`,
          subscriptionOf(equal ? topicMasks[0]! : topicMasks[index]!, { groupInstanceId: staticMask[index] ? `instance-${20 - id}` : null }),
        ]),
      );
      return { partitionsPerTopic, subscriptions };
    });
}

/** Every partition of a subscribed topic is assigned exactly once, to a member subscribing to it. */
function expectCompleteAndValid(group: Group, assignment: GroupAssignment): void {
  expect([...assignment.keys()].sort()).toEqual([...group.subscriptions.keys()].sort());
  const owners = new Map<string, string>();
  for (const [memberId, partitions] of assignment) {
    for (const partition of partitions) {
      const key = topicPartitionKey(partition);
      expect(owners.has(key), `${key} assigned twice`).toBe(false);
      owners.set(key, memberId);
      expect(group.subscriptions.get(memberId)!.topics).toContain(partition.topic);
    }
  }
  const subscribed = new Set([...group.subscriptions.values()].flatMap((subscription) => subscription.topics));
  const expected = [...subscribed].flatMap((topic) => Array.from({ length: group.partitionsPerTopic.get(topic)! }, (_, partition) => `${topic}-${partition}`));
  expect([...owners.keys()].sort()).toEqual(expected.sort());
}

function spread(assignment: GroupAssignment): number {
  const sizes = [...assignment.values()].map((partitions) => partitions.length);
  return Math.max(...sizes) - Math.min(...sizes);
}

/** Each member's subscription rebuilt as a cooperative member would send it, owning what it was assigned. */
function owningAssignment(group: Group, assignment: GroupAssignment, generationId: number): Map<string, Subscription> {
  return new Map([...group.subscriptions].map(([memberId, subscription]) => [memberId, { ...subscription, ownedPartitions: assignment.get(memberId) ?? [], generationId }]));
}

// ---- Examples from Kafka's documentation ----

describe('RangeAssignor', () => {
  test("Kafka's example: two members, two topics of three partitions", () => {
    const subscriptions = new Map([
      ['C0', subscriptionOf(['t0', 't1'])],
      ['C1', subscriptionOf(['t0', 't1'])],
    ]);
    const assignment = rangeAssign(new Map([['t0', 3], ['t1', 3]]), subscriptions);
    expect(keys(assignment.get('C0')!)).toEqual(['t0-0', 't0-1', 't1-0', 't1-1']);
    expect(keys(assignment.get('C1')!)).toEqual(['t0-2', 't1-2']);
  });

  test('static members are ordered by group.instance.id, whatever member ids they got (KIP-345)', () => {
    const subscriptions = new Map([
      ['zzz-new-id', subscriptionOf(['t'], { groupInstanceId: 'a' })],
      ['aaa-new-id', subscriptionOf(['t'], { groupInstanceId: 'b' })],
      ['dynamic', subscriptionOf(['t'])],
    ]);
    const assignment = rangeAssign(new Map([['t', 3]]), subscriptions);
    expect(keys(assignment.get('zzz-new-id')!)).toEqual(['t-0']);
    expect(keys(assignment.get('aaa-new-id')!)).toEqual(['t-1']);
    expect(keys(assignment.get('dynamic')!)).toEqual(['t-2']);
  });

  test('property: complete, and balanced within each topic', () => {
    fc.assert(
      fc.property(groupArbitrary(false), (group) => {
        const assignment = rangeAssign(group.partitionsPerTopic, group.subscriptions);
        expectCompleteAndValid(group, assignment);
        for (const topic of TOPICS) {
          const counts = [...group.subscriptions].filter(([, s]) => s.topics.includes(topic)).map(([memberId]) => assignment.get(memberId)!.filter((p) => p.topic === topic).length);
          if (counts.length > 0) expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
        }
      }),
    );
  });
});

describe('RoundRobinAssignor', () => {
  test("Kafka's example: partitions dealt in turn across topics", () => {
    const subscriptions = new Map([
      ['C0', subscriptionOf(['t0', 't1'])],
      ['C1', subscriptionOf(['t0', 't1'])],
    ]);
    const assignment = roundRobinAssign(new Map([['t0', 3], ['t1', 3]]), subscriptions);
    expect(keys(assignment.get('C0')!)).toEqual(['t0-0', 't0-2', 't1-1']);
    expect(keys(assignment.get('C1')!)).toEqual(['t0-1', 't1-0', 't1-2']);
  });

  test('property: complete; with identical subscriptions no two members differ by more than one', () => {
    fc.assert(
      fc.property(groupArbitrary(false), (group) => {
        expectCompleteAndValid(group, roundRobinAssign(group.partitionsPerTopic, group.subscriptions));
      }),
    );
    fc.assert(fc.property(groupArbitrary(true), (group) => {
      expect(spread(roundRobinAssign(group.partitionsPerTopic, group.subscriptions))).toBeLessThanOrEqual(1);
    }));
  });
});

describe('StickyAssignor (eager, KIP-54)', () => {
  test('property: complete; balanced with identical subscriptions', () => {
    fc.assert(
      fc.property(groupArbitrary(false), (group) => {
        expectCompleteAndValid(group, assignWith('sticky', group.partitionsPerTopic, group.subscriptions));
      }),
    );
    fc.assert(fc.property(groupArbitrary(true), (group) => {
      expect(spread(assignWith('sticky', group.partitionsPerTopic, group.subscriptions))).toBeLessThanOrEqual(1);
    }));
  });

  test('property: after members come and go, each survivor keeps what it had, up to its quota', () => {
    fc.assert(
      fc.property(groupArbitrary(true), fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }), fc.nat({ max: 2 }), (group, leaves, joiners) => {
        const first = assignWith('sticky', group.partitionsPerTopic, group.subscriptions);
        const topics = [...group.subscriptions.values()][0]!.topics;
        const next = new Map<string, Subscription>();
        [...group.subscriptions].forEach(([memberId, subscription], index) => {
          if (leaves[index] && index > 0) return;
          next.set(memberId, { ...subscription, userData: { partitions: first.get(memberId)!, generation: 1 } });
        });
        for (let joiner = 0; joiner < joiners; joiner++) next.set(`joiner-${joiner}`, subscriptionOf(topics));
        const second = assignWith('sticky', group.partitionsPerTopic, next);
        expectCompleteAndValid({ ...group, subscriptions: next }, second);
        expect(spread(second)).toBeLessThanOrEqual(1);
        const total = [...second.values()].reduce((sum, partitions) => sum + partitions.length, 0);
        const minQuota = Math.floor(total / next.size);
        for (const [memberId, subscription] of next) {
          const had = keys(subscription.userData?.partitions ?? []);
          const kept = keys(second.get(memberId)!).filter((key) => had.includes(key));
          expect(kept.length).toBeGreaterThanOrEqual(Math.min(had.length, minQuota));
        }
      }),
    );
  });

  test('carries its last assignment and generation in its user data, as an eager member owns nothing', () => {
    const assignor = new StickyAssignor();
    expect(assignor.subscriptionUserData()).toBeNull();
    assignor.onAssignment([tp('t', 1)], 7);
    expect(assignor.subscriptionUserData()).toEqual({ partitions: [tp('t', 1)], generation: 7 });
  });
});

describe('CooperativeStickyAssignor (KIP-429)', () => {
  test('a partition changing hands is left out for one round, then assigned', () => {
    const owned = new Map([['A', subscriptionOf(['t'], { ownedPartitions: [tp('t', 0), tp('t', 1), tp('t', 2), tp('t', 3)], generationId: 1 })], ['B', subscriptionOf(['t'])]]);
    const first = cooperativeStickyAssign(new Map([['t', 4]]), owned);
    expect(keys(first.get('A')!)).toEqual(['t-0', 't-1']);
    expect(first.get('B')).toEqual([]);
    const second = cooperativeStickyAssign(
      new Map([['t', 4]]),
      new Map([['A', subscriptionOf(['t'], { ownedPartitions: first.get('A')!, generationId: 2 })], ['B', subscriptionOf(['t'], { generationId: 2 })]]),
    );
    expect(keys(second.get('A')!)).toEqual(['t-0', 't-1']);
    expect(keys(second.get('B')!)).toEqual(['t-2', 't-3']);
  });

  test('property: round one never gives a member a partition another owns; round two completes and balances', () => {
    fc.assert(
      fc.property(groupArbitrary(true), fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }), fc.nat({ max: 2 }), (group, leaves, joiners) => {
        const start = cooperativeStickyAssign(group.partitionsPerTopic, group.subscriptions);
        expectCompleteAndValid(group, start);
        const topics = [...group.subscriptions.values()][0]!.topics;
        const owning = owningAssignment(group, start, 1);
        const members = new Map([...owning].filter((_, index) => !leaves[index] || index === 0));
        for (let joiner = 0; joiner < joiners; joiner++) members.set(`joiner-${joiner}`, subscriptionOf(topics));
        const roundOne = cooperativeStickyAssign(group.partitionsPerTopic, members);
        for (const [memberId, partitions] of roundOne) {
          for (const partition of partitions) {
            for (const [otherId, other] of members) {
              if (otherId !== memberId) expect(keys(other.ownedPartitions)).not.toContain(topicPartitionKey(partition));
            }
          }
        }
        // Each member revokes what it was not given, then rejoins owning the rest.
        const regrouped = { ...group, subscriptions: members };
        const roundTwo = cooperativeStickyAssign(group.partitionsPerTopic, owningAssignment(regrouped, roundOne, 2));
        expectCompleteAndValid(regrouped, roundTwo);
        expect(spread(roundTwo)).toBeLessThanOrEqual(1);
        for (const [memberId, partitions] of roundOne) expect(keys(roundTwo.get(memberId)!)).toEqual(expect.arrayContaining(keys(partitions)));
      }),
    );
  });

  test('two members of one generation claiming a partition both lose it; a newer generation wins over an older (KAFKA-12984)', () => {
    const partitions = new Map([['t', 2]]);
    const sameGeneration = cooperativeStickyAssign(
      partitions,
      new Map([
        ['A', subscriptionOf(['t'], { ownedPartitions: [tp('t', 0)], generationId: 3 })],
        ['B', subscriptionOf(['t'], { ownedPartitions: [tp('t', 0)], generationId: 3 })],
      ]),
    );
    // The doubly claimed partition is held back from both, for the next round.
    expect([...sameGeneration.values()].flat().map(topicPartitionKey)).not.toContain('t-0');
    const newerWins = cooperativeStickyAssign(
      partitions,
      new Map([
        ['A', subscriptionOf(['t'], { ownedPartitions: [tp('t', 0)], generationId: 2 })],
        ['B', subscriptionOf(['t'], { ownedPartitions: [tp('t', 0)], generationId: 3 })],
      ]),
    );
    expect(keys(newerWins.get('B')!)).toContain('t-0');
    expect(keys(newerWins.get('A')!)).not.toContain('t-0');
  });

  test('reads the generation from its user data when the subscription is older than v2', () => {
    const assignor = new CooperativeStickyAssignor();
    assignor.onAssignment([tp('t', 0)], 5);
    const current = asDecodedAtVersion(subscriptionOf(['t'], { ownedPartitions: [tp('t', 0)], generationId: 5, userData: assignor.subscriptionUserData() }), 1);
    const stale = subscriptionOf(['t'], { ownedPartitions: [tp('t', 0)], generationId: 4 });
    // Kafka visits "a" before "b" (Java HashMap order): the stale claim comes first and the v1
    // member's generation 5, read from its user data, beats it.
    const assignment = assignor.assign(new Map([['t', 1]]), new Map([['b', current], ['a', stale]]));
    expect(keys(assignment.get('b')!)).toEqual(['t-0']);
    // The other way round Kafka compares the stale generation 4 with the v1 member's subscription
    // field, which it lacks (DEFAULT_GENERATION), and the stale member keeps the partition; kafka-clients 4.1.1 answers so too.
    const reversed = new CooperativeStickyAssignor().assign(new Map([['t', 1]]), new Map([['a', current], ['b', stale]]));
    expect(keys(reversed.get('b')!)).toEqual(['t-0']);
  });
});

describe('rebalance protocol', () => {
  test("Kafka 4's default [range, cooperative-sticky] is eager; cooperative-sticky alone is cooperative", () => {
    expect(rebalanceProtocolOf([createAssignor('range'), createAssignor('cooperative-sticky')])).toBe('EAGER');
    expect(rebalanceProtocolOf([createAssignor('cooperative-sticky')])).toBe('COOPERATIVE');
  });
});
