/**
 * `npm run conformance`: asks Apache Kafka's own code for the answers ksim's conformance tests
 * compare against, and records them in test/conformance/. Today: the four client-side partition
 * assignors of kafka-clients (range, roundrobin, sticky, cooperative-sticky).
 *
 * The cases are drawn from a fixed seed, so the fixture changes only when this generator or the
 * Kafka version (conformance/kafka/pom.xml) does. Kafka runs only here: `npm test` reads the
 * recorded answers and needs no Java. Maven resolves the jars; the harness is compiled with javac
 * and run on that classpath.
 *
 * Exit codes: 0 written; 69 Java or Maven missing or failing; 74 the fixture could not be written.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import seedrandom from 'seedrandom';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const harnessDirectory = join(root, 'conformance', 'kafka');
const fixture = join(root, 'test', 'conformance', 'kafka-client-assignors.json');

/** Cases per assignor. */
const CASES_PER_ASSIGNOR = 150;
const SEED = 'ksim-client-assignors-1';
const ASSIGNORS = ['range', 'roundrobin', 'sticky', 'cooperative-sticky'];

const random = seedrandom.alea(SEED);
const between = (low, high) => low + Math.floor(random() * (high - low + 1));
const chance = (probability) => random() < probability;
const pick = (values) => values[Math.floor(random() * values.length)];
const hex = () => Math.floor(random() * 0x1_0000_0000).toString(16).padStart(8, '0');

function shuffled(values) {
  const copy = [...values];
  for (let index = copy.length - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1));
    [copy[index], copy[other]] = [copy[other], copy[index]];
  }
  return copy;
}

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

/** One case per line, so a diff of the fixture shows which cases changed. */
function fixtureText({ cases: recordedCases, ...header }) {
  const lines = recordedCases.map((each) => JSON.stringify(each));
  return `${JSON.stringify(header).slice(0, -1)},"cases":[\n${lines.join(',\n')}\n]}\n`;
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

const cases = ASSIGNORS.flatMap((assignor) => Array.from({ length: CASES_PER_ASSIGNOR }, () => drawCase(assignor)));
const scratch = mkdtempSync(join(tmpdir(), 'ksim-conformance-'));
try {
  const classpathFile = join(scratch, 'classpath.txt');
  run('mvn', ['-q', '-B', '-f', join(harnessDirectory, 'pom.xml'), 'dependency:build-classpath', `-Dmdep.outputFile=${classpathFile}`]);
  const classpath = readFileSync(classpathFile, 'utf8').trim();
  const classes = join(scratch, 'classes');
  run('javac', ['-d', classes, '-cp', classpath, join(harnessDirectory, 'ClientAssignors.java')]);
  const output = run('java', ['-cp', `${classes}:${classpath}`, 'org.apache.kafka.clients.consumer.ClientAssignors'], { input: JSON.stringify({ cases }) });
  const { answers } = JSON.parse(output.slice(output.indexOf('{"answers"')));
  const recorded = {
    generatedBy: 'npm run conformance (scripts/kafka-conformance.mjs)',
    kafka: `org.apache.kafka:kafka-clients:${kafkaVersion()}`,
    seed: SEED,
    cases: cases.map((each, index) => ({ ...each, kafka: answers[index] })),
  };
  try {
    writeFileSync(fixture, fixtureText(recorded));
  } catch (error) {
    process.stderr.write(`conformance: cannot write ${fixture}: ${error.message}\n`);
    process.exit(74);
  }
  const errors = answers.filter((answer) => answer.error !== undefined).length;
  process.stdout.write(`conformance: ${cases.length} cases answered by kafka-clients ${kafkaVersion()} (${errors} refused) → ${fixture}\n`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
