/**
 * `npm run conformance`: asks Apache Kafka's own code for the answers ksim's conformance tests
 * compare against, and records them in test/conformance/: the four client-side partition assignors
 * of kafka-clients (range, roundrobin, sticky, cooperative-sticky) in kafka-client-assignors.json,
 * and the KIP-848 server-side assignors of kafka-group-coordinator (uniform, range) in
 * kafka-group-coordinator-assignors.json (cases from scripts/conformance/groupCoordinatorCases.mjs), and
 * kafka-storage's producer state on append in kafka-producer-state.json (scripts/conformance/producerStateCases.mjs),
 * and kafka-transaction-coordinator's transaction state table (every pair of states) in kafka-transaction-states.json.
 *
 * The cases are drawn from fixed seeds, so the fixtures change only when this generator or the
 * Kafka version (conformance/kafka/pom.xml) does. The client assignors' kinds, one case per line:
 * - single rebalances with a drawn past (any assignor);
 * - cooperative-sticky members older than ConsumerProtocolSubscription v2, whose generation
 *   travels only in the assignor's user data;
 * - lopsided groups with unequal subscriptions, for the general builder's balancing, and a few
 *   written by hand (one that Kafka refuses with an exception, which ksim must refuse too);
 * - rebalance sequences for the sticky assignors: Kafka's answer at one step is what the members
 *   own at the next, while members join and leave, topics grow, subscriptions change, and a member
 *   that missed a rebalance reports an older generation. Each step is recorded as a case of its own.
 *
 * Kafka runs only here: `npm test` reads the recorded answers and needs no Java. Maven resolves the
 * jars; the harnesses are compiled with javac and run on that classpath.
 *
 * Exit codes: 0 written; 69 Java or Maven missing or failing; 74 the fixture could not be written.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { draws } from './conformance/draws.mjs';
import { groupCoordinatorCases, groupCoordinatorSeed } from './conformance/groupCoordinatorCases.mjs';
import { producerStateCases, producerStateSeed } from './conformance/producerStateCases.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const harnessDirectory = join(root, 'conformance', 'kafka');
const fixture = join(root, 'test', 'conformance', 'kafka-client-assignors.json');
const groupCoordinatorFixture = join(root, 'test', 'conformance', 'kafka-group-coordinator-assignors.json');
const producerStateFixture = join(root, 'test', 'conformance', 'kafka-producer-state.json');
const transactionStatesFixture = join(root, 'test', 'conformance', 'kafka-transaction-states.json');
/** Kafka's transaction states by the names DescribeTransactions gives them; every pair is a case. */
const TRANSACTION_STATES = ['Empty', 'Ongoing', 'PrepareCommit', 'PrepareAbort', 'CompleteCommit', 'CompleteAbort', 'PrepareEpochFence', 'Dead'];

/** Cases per assignor. */
const CASES_PER_ASSIGNOR = 150;
const SEED = 'ksim-client-assignors-1';
const ASSIGNORS = ['range', 'roundrobin', 'sticky', 'cooperative-sticky'];
/** Cooperative-sticky cases with members older than subscription v2. */
const OLD_VERSION_CASES = 40;
/** Lopsided cases with unequal subscriptions per sticky assignor. */
const LOPSIDED_CASES_PER_ASSIGNOR = 150;
/** Rebalance sequences per sticky assignor, and the rebalances in each. */
const SEQUENCES_PER_ASSIGNOR = 30;
const SEQUENCE_STEPS = 5;
const SEQUENCE_SEED = 'ksim-client-assignors-sequences-1';

const { random, between, chance, pick, shuffled, reseed } = draws(SEED);
const hex = () => Math.floor(random() * 0x1_0000_0000).toString(16).padStart(8, '0');

/**
 * One group at one rebalance: topics and their partition counts, members (some static, some with
 * subscriptions of their own), and what each member owned before — a previous assignment that may
 * be stale for some members (an older generation) and may claim a partition twice.
 */
function drawCase(assignor) {
  const topicNames = shuffled(['t0', 't1', 't2', 'orders', 'audit']).slice(0, between(1, 3));
  const topics = Object.fromEntries(topicNames.map((topic) => [topic, between(1, 8)]));
  const sameSubscriptions = chance(0.6);
  const generation = between(1, 12);
  const members = [];
  for (let index = between(1, 6); index > 0; index--) {
    const subscribed = sameSubscriptions ? shuffled(topicNames) : shuffled(topicNames).slice(0, between(1, topicNames.length));
    if (!sameSubscriptions && chance(0.1)) subscribed.push('missing-topic');
    members.push({
      memberId: `consumer-${between(1, 9)}-${hex()}`,
      groupInstanceId: chance(0.3) ? `instance-${hex().slice(0, 4)}` : null,
      topics: subscribed,
      owned: [],
      generation: chance(0.2) ? generation - between(1, 3) : chance(0.1) ? -1 : generation,
    });
  }
  // A previous assignment: most partitions owned by one subscribed member, some by nobody, a few by two.
  for (const [topic, count] of Object.entries(topics)) {
    for (let partition = 0; partition < count; partition++) {
      if (chance(0.25)) continue;
      const candidates = members.filter((member) => member.topics.includes(topic) || chance(0.05));
      if (candidates.length === 0) continue;
      pick(candidates).owned.push([topic, partition]);
      if (chance(0.05)) pick(members).owned.push([topic, partition]);
    }
  }
  return { assignor, topics, members: members.map((member) => encodeMember(assignor, member)) };
}

/**
 * What the member's subscription carries of its past, as Kafka 4's consumer sends it: an eager
 * member (sticky) revoked everything before joining, so its partitions and generation travel in
 * StickyAssignor's user data (v1; a new member may send none); a cooperative member
 * reports them as owned partitions with its generation (ConsumerProtocolSubscription v2+). Range
 * and round-robin ignore the past; they get it as a cooperative member would send it.
 */
function encodeMember(assignor, member) {
  const common = { memberId: member.memberId, groupInstanceId: member.groupInstanceId, topics: member.topics };
  if (assignor === 'sticky') {
    const userData = member.owned.length === 0 && chance(0.3) ? null : { partitions: member.owned, generation: member.generation };
    return { ...common, ownedPartitions: [], generation: member.generation, userData };
  }
  return { ...common, ownedPartitions: member.owned, generation: member.generation, userData: null };
}

/**
 * A cooperative-sticky group in which some members run a consumer older than subscription v2: v0
 * sends neither owned partitions nor a generation, v1 owned partitions only; both carry their
 * generation in CooperativeStickyAssignor's user data (or none, as a member that never joined).
 */
function drawOldVersionCase() {
  const drawn = drawCase('cooperative-sticky');
  const members = drawn.members.map((member) => {
    if (!chance(0.5)) return member;
    const version = chance(0.5) ? 0 : 1;
    return {
      ...member,
      ownedPartitions: version === 0 ? [] : member.ownedPartitions,
      generation: -1,
      userData: chance(0.15) ? null : { partitions: [], generation: member.generation },
    };
  });
  return { ...drawn, members };
}

/**
 * A group with overlapping, unequal subscriptions whose past is lopsided: one member owned most of
 * what it could, generations differ by up to two. These reach the general builder's balancing
 * (moves undone through the partition-movement record, stale claims sent back).
 */
function drawLopsidedCase(assignor) {
  const topicNames = shuffled(['t0', 't1', 't2', 'orders', 'audit']).slice(0, between(2, 5));
  const topics = Object.fromEntries(topicNames.map((topic) => [topic, between(1, 10)]));
  const generation = between(3, 12);
  const members = Array.from({ length: between(3, 8) }, () => {
    const subscribed = shuffled(topicNames).filter(() => chance(0.6));
    return {
      memberId: `consumer-${between(1, 9)}-${hex()}`,
      groupInstanceId: null,
      topics: subscribed.length > 0 ? subscribed : [pick(topicNames)],
      owned: [],
      generation: generation - between(0, 2),
    };
  });
  const heavy = pick(members);
  for (const [topic, count] of Object.entries(topics)) {
    for (let partition = 0; partition < count; partition++) {
      if (chance(0.2)) continue;
      const candidates = members.filter((member) => member.topics.includes(topic) || chance(0.1));
      const owner = chance(0.6) && (heavy.topics.includes(topic) || chance(0.3)) ? heavy : pick(candidates.length > 0 ? candidates : members);
      owner.owned.push([topic, partition]);
    }
  }
  return { assignor, topics, members: members.map((member) => encodeMember(assignor, member)) };
}

/**
 * Cases written by hand for a path the drawn ones reach too rarely. Kafka 4.1.1 throws a
 * NullPointerException on the first: member P missed generation 5 and now subscribes only to U,
 * which nobody else does, so the general builder sets P aside as fixed; its stale claim on T-0 then
 * makes performReassignments look P's load up, and P is not there.
 */
const HANDPICKED_CASES = [
  {
    assignor: 'cooperative-sticky',
    handpicked: 'stale claim by a member set aside as fixed',
    topics: { T: 4, U: 1 },
    members: [
      { memberId: 'P', groupInstanceId: null, topics: ['U'], ownedPartitions: [['U', 0], ['T', 0]], generation: 4, userData: null },
      { memberId: 'A', groupInstanceId: null, topics: ['T'], ownedPartitions: [['T', 0], ['T', 1], ['T', 2], ['T', 3]], generation: 5, userData: null },
      { memberId: 'B', groupInstanceId: null, topics: ['T'], ownedPartitions: [], generation: 5, userData: null },
    ],
  },
];

/** A group for a rebalance sequence: its topics, members and subscriptions, nobody owning anything yet. */
function drawSequence(assignor, index) {
  const topicNames = shuffled(['t0', 't1', 't2', 'orders', 'audit']).slice(0, between(1, 3));
  const topics = Object.fromEntries(topicNames.map((topic) => [topic, between(1, 8)]));
  const sameSubscriptions = chance(0.5);
  const newMember = () => ({
    memberId: `consumer-${between(1, 9)}-${hex()}`,
    groupInstanceId: chance(0.3) ? `instance-${hex().slice(0, 4)}` : null,
    topics: sameSubscriptions ? shuffled(topicNames) : shuffled(topicNames).slice(0, between(1, topicNames.length)),
    owned: [],
    generation: -1,
    previous: null,
  });
  const members = Array.from({ length: between(2, 6) }, newMember);
  return { assignor, name: `sequence-${index}`, topics, sameSubscriptions, members, newMember, generation: 0 };
}

/** What changes before the next rebalance: one member leaves or joins, a topic grows, a subscription changes, or nothing (a cooperative follow-up). */
function evolve(sequence) {
  const roll = random();
  if (roll < 0.2 && sequence.members.length > 1) {
    sequence.members.splice(between(0, sequence.members.length - 1), 1);
  } else if (roll < 0.4) {
    sequence.members.push(sequence.newMember());
  } else if (roll < 0.55) {
    const topic = pick(Object.keys(sequence.topics));
    sequence.topics[topic] += between(1, 3);
  } else if (roll < 0.7 && !sequence.sameSubscriptions) {
    const member = pick(sequence.members);
    const topic = pick(Object.keys(sequence.topics));
    if (!member.topics.includes(topic)) member.topics = [...member.topics, topic];
    else if (member.topics.length > 1) member.topics = member.topics.filter((each) => each !== topic);
  }
}

/** The next rebalance of a sequence as a case: every member reports what it got last time, one perhaps from a generation it missed. */
function sequenceCase(sequence, step) {
  const stale = chance(0.15) ? pick(sequence.members.filter((member) => member.previous !== null)) : undefined;
  const members = sequence.members.map((member) => {
    const past = member === stale ? member.previous : { owned: member.owned, generation: member.generation };
    const encoded = encodeMember(sequence.assignor, { ...member, owned: past.owned, generation: past.generation });
    // A member that never completed a rebalance has no sticky user data to send.
    return past.generation === -1 && encoded.userData !== null ? { ...encoded, userData: null } : encoded;
  });
  return { assignor: sequence.assignor, sequence: `${sequence.name} step ${step}`, topics: { ...sequence.topics }, members };
}

/** Kafka's answer becomes what each member owns, in the new generation. */
function settle(sequence, answer) {
  sequence.generation += 1;
  for (const member of sequence.members) {
    member.previous = { owned: member.owned, generation: member.generation };
    member.owned = answer.assignment?.[member.memberId] ?? [];
    member.generation = sequence.generation;
  }
}

/** One case per line, so a diff of the fixture shows which cases changed. */
function fixtureText({ cases: recordedCases, ...header }) {
  const lines = recordedCases.map((each) => JSON.stringify(each));
  return `${JSON.stringify(header).slice(0, -1)},"cases":[\n${lines.join(',\n')}\n]}\n`;
}

function writeFixture(path, recorded, answeredBy) {
  try {
    writeFileSync(path, fixtureText(recorded));
  } catch (error) {
    process.stderr.write(`conformance: cannot write ${path}: ${error.message}\n`);
    process.exit(74);
  }
  const errors = recorded.cases.filter((each) => each.kafka.error !== undefined).length;
  process.stdout.write(`conformance: ${recorded.cases.length} cases answered by ${answeredBy} (${errors} refused) → ${path}\n`);
}

function run(command, args, options = {}) {
  try {
    return execFileSync(command, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['pipe', 'pipe', 'pipe'], ...options });
  } catch (error) {
    const detail = error.code === 'ENOENT' ? `${command} is not installed` : String(error.stderr ?? error.message).trim().split('\n').slice(-5).join('\n');
    process.stderr.write(`conformance: ${command} ${args[0] ?? ''} failed (Java 17 and Maven are needed to ask Kafka for its answers): ${detail}\n`);
    process.exit(69);
  }
}

function kafkaVersion() {
  const pom = readFileSync(join(harnessDirectory, 'pom.xml'), 'utf8');
  return /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(pom)[1];
}

const scratch = mkdtempSync(join(tmpdir(), 'ksim-conformance-'));
try {
  const classpathFile = join(scratch, 'classpath.txt');
  run('mvn', ['-q', '-B', '-f', join(harnessDirectory, 'pom.xml'), 'dependency:build-classpath', `-Dmdep.outputFile=${classpathFile}`]);
  const classpath = readFileSync(classpathFile, 'utf8').trim();
  const classes = join(scratch, 'classes');
  run('javac', ['-d', classes, '-cp', classpath, ...['Answers.java', 'ClientAssignors.java', 'GroupCoordinatorAssignors.java', 'ProducerState.java', 'TransactionStates.java'].map((file) => join(harnessDirectory, file))]);
  /** A harness's answers to a batch of cases: the cases with their answers. */
  const askHarness = (mainClass) => (batch) => {
    const output = run('java', ['-cp', `${classes}:${classpath}`, mainClass], { input: JSON.stringify({ cases: batch }) });
    const { answers } = JSON.parse(output.slice(output.indexOf('{"answers"')));
    return batch.map((each, index) => ({ ...each, kafka: answers[index] }));
  };
  const askKafka = askHarness('org.apache.kafka.clients.consumer.ClientAssignors');
  const single = ASSIGNORS.flatMap((assignor) => Array.from({ length: CASES_PER_ASSIGNOR }, () => drawCase(assignor)));
  reseed(SEQUENCE_SEED);
  const oldVersions = Array.from({ length: OLD_VERSION_CASES }, drawOldVersionCase);
  const lopsided = ['sticky', 'cooperative-sticky'].flatMap((assignor) => Array.from({ length: LOPSIDED_CASES_PER_ASSIGNOR }, () => drawLopsidedCase(assignor)));
  const cases = askKafka([...single, ...oldVersions, ...lopsided, ...HANDPICKED_CASES]);
  const sequences = ['sticky', 'cooperative-sticky'].flatMap((assignor) => Array.from({ length: SEQUENCES_PER_ASSIGNOR }, (_, index) => drawSequence(assignor, index)));
  for (let step = 1; step <= SEQUENCE_STEPS; step++) {
    if (step > 1) sequences.forEach(evolve);
    const answered = askKafka(sequences.map((sequence) => sequenceCase(sequence, step)));
    answered.forEach((each, index) => settle(sequences[index], each.kafka));
    cases.push(...answered);
  }
  const recorded = {
    generatedBy: 'npm run conformance (scripts/kafka-conformance.mjs)',
    kafka: `org.apache.kafka:kafka-clients:${kafkaVersion()}`,
    seed: SEED,
    sequenceSeed: SEQUENCE_SEED,
    cases,
  };
  writeFixture(fixture, recorded, `kafka-clients ${kafkaVersion()}`);
  const serverSide = groupCoordinatorCases(askHarness('org.apache.kafka.coordinator.group.GroupCoordinatorAssignors'));
  writeFixture(
    groupCoordinatorFixture,
    {
      generatedBy: 'npm run conformance (scripts/kafka-conformance.mjs, scripts/conformance/groupCoordinatorCases.mjs)',
      kafka: `org.apache.kafka:kafka-group-coordinator:${kafkaVersion()}`,
      seed: groupCoordinatorSeed,
      cases: serverSide,
    },
    `kafka-group-coordinator ${kafkaVersion()}`,
  );
  writeFixture(
    producerStateFixture,
    {
      generatedBy: 'npm run conformance (scripts/kafka-conformance.mjs, scripts/conformance/producerStateCases.mjs)',
      kafka: `org.apache.kafka:kafka-storage:${kafkaVersion()}`,
      seed: producerStateSeed,
      cases: producerStateCases(askHarness('org.apache.kafka.storage.internals.log.ProducerState')),
    },
    `kafka-storage ${kafkaVersion()}`,
  );
  writeFixture(
    transactionStatesFixture,
    {
      generatedBy: 'npm run conformance (scripts/kafka-conformance.mjs)',
      kafka: `org.apache.kafka:kafka-transaction-coordinator:${kafkaVersion()}`,
      cases: askHarness('org.apache.kafka.coordinator.transaction.TransactionStates')(TRANSACTION_STATES.flatMap((from) => TRANSACTION_STATES.map((to) => ({ from, to })))),
    },
    `kafka-transaction-coordinator ${kafkaVersion()}`,
  );
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
