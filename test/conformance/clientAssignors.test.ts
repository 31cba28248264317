/**
 * Conformance with Apache Kafka's own client-side assignors. `npm run conformance` ran
 * kafka-clients' RangeAssignor, RoundRobinAssignor, StickyAssignor and CooperativeStickyAssignor
 * on drawn rebalances (static and dynamic members, unequal subscriptions, a subscribed topic that
 * does not exist, stale generations, partitions claimed twice, members older than subscription v2,
 * lopsided pasts, and sequences of rebalances each owning Kafka's previous answer) and recorded
 * their answers in kafka-client-assignors.json; ksim's assignors must give the same member every
 * partition Kafka gives it, and refuse what Kafka refuses. Order within a member's list is not
 * compared: the consumer treats it as a set.
 */
import { describe, it } from 'vitest';
import { createAssignor } from '../../src/client/assignors/index.js';
import { type Subscription, subscriptionOf } from '../../src/client/assignors/partitionAssignor.js';
import type { AssignorName } from '../../src/client/consumerConfig.js';
import { type RecordedAnswer, expectKafkasAnswers, readFixture } from './recordedAnswers.js';

type PartitionPair = [topic: string, partition: number];

interface RecordedMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly topics: string[];
  readonly ownedPartitions: PartitionPair[];
  readonly generation: number;
  readonly userData: { readonly partitions: PartitionPair[]; readonly generation: number } | null;
}

interface RecordedCase {
  readonly assignor: AssignorName;
  readonly topics: Record<string, number>;
  readonly members: RecordedMember[];
  readonly kafka: RecordedAnswer<Record<string, PartitionPair[]>>;
}

const fixture = readFixture<RecordedCase>('kafka-client-assignors.json');

const toTopicPartitions = (pairs: readonly PartitionPair[]) => pairs.map(([topic, partition]) => ({ topic, partition }));

function subscriptionOfMember(member: RecordedMember): Subscription {
  return subscriptionOf(member.topics, {
    userData: member.userData === null ? null : { partitions: toTopicPartitions(member.userData.partitions), generation: member.userData.generation },
    ownedPartitions: toTopicPartitions(member.ownedPartitions),
    generationId: member.generation,
    groupInstanceId: member.groupInstanceId,
  });
}

/** Each member's partitions as sorted "topic-partition" names, members in id order. */
function normalized(assignment: ReadonlyMap<string, readonly { topic: string; partition: number }[]> | Record<string, PartitionPair[]>): Record<string, string[]> {
  const entries: Array<[string, Array<{ topic: string; partition: number }>]> =
    assignment instanceof Map ? [...assignment].map(([member, partitions]) => [member, [...partitions]]) : Object.entries(assignment).map(([member, pairs]) => [member, toTopicPartitions(pairs)]);
  return Object.fromEntries(
    entries
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([member, partitions]) => [member, partitions.map(({ topic, partition }) => `${topic}-${partition}`).sort()]),
  );
}

function ksimAnswer(testCase: RecordedCase): Record<string, string[]> {
  const subscriptions = new Map(testCase.members.map((member) => [member.memberId, subscriptionOfMember(member)]));
  const partitionsPerTopic = new Map(Object.entries(testCase.topics));
  return normalized(createAssignor(testCase.assignor).assign(partitionsPerTopic, subscriptions));
}

describe(`client assignors answer as ${fixture.kafka}`, () => {
  for (const assignor of ['range', 'roundrobin', 'sticky', 'cooperative-sticky'] as const) {
    it(`${assignor}: every recorded case`, () => {
      expectKafkasAnswers(
        fixture.cases.filter((each) => each.assignor === assignor),
        ksimAnswer,
        (assignment) => normalized(assignment),
      );
    });
  }
});
