/**
 * The cases for Kafka's KIP-848 server-side assignors (kafka-group-coordinator's UniformAssignor and
 * RangeAssignor), for `npm run conformance`. Two kinds:
 * - single target-assignment computations with a drawn current target: static and dynamic members,
 *   equal or unequal subscriptions, partitions nobody holds, a held partition of a topic its member
 *   no longer subscribes to;
 * - sequences: Kafka's target at one step is every member's current target at the next, while
 *   members join and leave, topics grow and subscriptions change.
 * Topic ids are 32 hex digits, as ksim's controller makes them; member ids 22 characters, as a
 * Kafka 4 consumer makes them (Uuid.randomUuid().toString()).
 */
import { draws } from './draws.mjs';

const SEED = 'ksim-group-coordinator-assignors-1';
const ASSIGNORS = ['uniform', 'range'];
const CASES_PER_ASSIGNOR = 150;
const SEQUENCES_PER_ASSIGNOR = 30;
const SEQUENCE_STEPS = 5;
const BASE64_URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

export const groupCoordinatorSeed = SEED;

/** The recorded cases, each with Kafka's answer; askKafka answers a batch of cases. */
export function groupCoordinatorCases(askKafka) {
  const { random, between, chance, pick, shuffled } = draws(SEED);
  const topicId = () => Array.from({ length: 32 }, () => '0123456789abcdef'[between(0, 15)]).join('');
  const memberId = () => Array.from({ length: 22 }, () => BASE64_URL[between(0, 63)]).join('');

  const drawGroup = (assignor) => {
    const topicIds = Array.from({ length: between(1, 4) }, topicId);
    const topics = Object.fromEntries(topicIds.map((id) => [id, between(1, 12)]));
    const sameSubscriptions = chance(0.5);
    const newMember = () => ({
      memberId: memberId(),
      instanceId: chance(0.3) ? `instance-${between(0, 9999)}` : null,
      subscribedTopicIds: sameSubscriptions ? shuffled(topicIds) : shuffled(topicIds).slice(0, between(1, topicIds.length)),
      assignment: [],
    });
    return { assignor, topics, sameSubscriptions, members: Array.from({ length: between(1, 7) }, newMember), newMember };
  };

  /** A current target: each partition held by at most one member, usually one that subscribes to its topic. */
  const drawTargets = (group) => {
    const held = new Map(group.members.map((member) => [member.memberId, new Map()]));
    for (const [id, count] of Object.entries(group.topics)) {
      for (const partition of shuffled(Array.from({ length: count }, (_, index) => index))) {
        if (chance(0.25)) continue;
        const subscribers = group.members.filter((member) => member.subscribedTopicIds.includes(id) || chance(0.1));
        if (subscribers.length === 0) continue;
        const topicsOfMember = held.get(pick(subscribers).memberId);
        topicsOfMember.set(id, [...(topicsOfMember.get(id) ?? []), partition]);
      }
    }
    for (const member of group.members) member.assignment = [...held.get(member.memberId)];
  };

  const asCase = (group, label) => ({
    assignor: group.assignor,
    ...(label === undefined ? {} : { sequence: label }),
    topics: { ...group.topics },
    members: group.members.map(({ memberId: id, instanceId, subscribedTopicIds, assignment }) => ({ memberId: id, instanceId, subscribedTopicIds: [...subscribedTopicIds], assignment })),
  });

  const evolve = (group) => {
    const roll = random();
    if (roll < 0.2 && group.members.length > 1) group.members.splice(between(0, group.members.length - 1), 1);
    else if (roll < 0.4) group.members.push(group.newMember());
    else if (roll < 0.6) {
      const id = pick(Object.keys(group.topics));
      group.topics[id] += between(1, 3);
    } else if (roll < 0.75 && !group.sameSubscriptions) {
      const member = pick(group.members);
      const id = pick(Object.keys(group.topics));
      if (!member.subscribedTopicIds.includes(id)) member.subscribedTopicIds = [...member.subscribedTopicIds, id];
      else if (member.subscribedTopicIds.length > 1) member.subscribedTopicIds = member.subscribedTopicIds.filter((each) => each !== id);
    }
  };

  const single = ASSIGNORS.flatMap((assignor) =>
    Array.from({ length: CASES_PER_ASSIGNOR }, () => {
      const group = drawGroup(assignor);
      drawTargets(group);
      return asCase(group);
    }),
  );
  const cases = askKafka(single);
  const sequences = ASSIGNORS.flatMap((assignor) => Array.from({ length: SEQUENCES_PER_ASSIGNOR }, () => drawGroup(assignor)));
  for (let step = 1; step <= SEQUENCE_STEPS; step++) {
    if (step > 1) sequences.forEach(evolve);
    const answered = askKafka(sequences.map((group, index) => asCase(group, `sequence-${index} step ${step}`)));
    answered.forEach((each, index) => {
      const targets = each.kafka.assignment ?? {};
      for (const member of sequences[index].members) member.assignment = targets[member.memberId] ?? [];
    });
    cases.push(...answered);
  }
  return cases;
}
