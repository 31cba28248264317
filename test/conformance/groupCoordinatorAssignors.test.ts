/**
 * Conformance with Apache Kafka's own server-side assignors (KIP-848). `npm run conformance` ran
 * kafka-group-coordinator's UniformAssignor and RangeAssignor on drawn target-assignment
 * computations (static and dynamic members, equal and unequal subscriptions, current targets with
 * free partitions and partitions of topics a member dropped, and sequences in which each step's
 * current targets are Kafka's previous answer) and recorded their answers in
 * kafka-group-coordinator-assignors.json; ksim's assignors must give every member the same
 * partitions. Members with nothing are not compared: Kafka leaves them out when nobody subscribes
 * to anything.
 */
import { describe, it } from 'vitest';
import { ASSIGNORS, type AssignmentMemberSpec } from '../../src/broker/groupCoordinatorAssignors.js';
import type { ServerAssignorName } from '../../src/broker/groupCoordinatorConfig.js';
import { type RecordedAnswer, expectKafkasAnswers, readFixture } from './recordedAnswers.js';

type TopicPartitions = [topicId: string, partitions: number[]];

interface RecordedMember {
  readonly memberId: string;
  readonly instanceId: string | null;
  readonly subscribedTopicIds: string[];
  readonly assignment: TopicPartitions[];
}

interface RecordedCase {
  readonly assignor: ServerAssignorName;
  readonly topics: Record<string, number>;
  readonly members: RecordedMember[];
  readonly kafka: RecordedAnswer<Record<string, TopicPartitions[]>>;
}

const fixture = readFixture<RecordedCase>('kafka-group-coordinator-assignors.json');

/** Each member with partitions, as sorted "topic-partition" names, members in id order. */
function normalized(entries: Iterable<readonly [string, ReadonlyArray<{ readonly topicId: string; readonly partitions: readonly number[] }>]>): Record<string, string[]> {
  return Object.fromEntries(
    [...entries]
      .map(([memberId, topics]) => [memberId, topics.flatMap(({ topicId, partitions }) => partitions.map((partition) => `${topicId}-${partition}`)).sort()] as const)
      .filter(([, partitions]) => partitions.length > 0)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
}

function ksimAnswer(testCase: RecordedCase): Record<string, string[]> {
  const specs: AssignmentMemberSpec[] = testCase.members.map((member) => ({
    memberId: member.memberId,
    instanceId: member.instanceId,
    subscribedTopicIds: member.subscribedTopicIds,
    currentTarget: member.assignment.map(([topicId, partitions]) => ({ topicId, partitions })),
  }));
  return normalized(ASSIGNORS[testCase.assignor](specs, new Map(Object.entries(testCase.topics))));
}

describe(`server-side assignors answer as ${fixture.kafka}`, () => {
  for (const assignor of ['uniform', 'range'] as const) {
    it(`${assignor}: every recorded case`, () => {
      expectKafkasAnswers(
        fixture.cases.filter((each) => each.assignor === assignor),
        ksimAnswer,
        (assignment) => normalized(Object.entries(assignment).map(([memberId, topics]) => [memberId, topics.map(([topicId, partitions]) => ({ topicId, partitions }))] as const)),
      );
    });
  }
});
