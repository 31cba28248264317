/**
 * The `kafka` system: a whole KRaft-mode cluster — controllers c1..cN (the metadata quorum),
 * brokers b1..bM (observers of it, hosting the partition replicas), producers p1..pK writing to
 * one topic, an admin client a1 that creates the topic, and a final reader r1 that reads every
 * partition once the producers have stopped.
 *
 * The scenario's `config` has one section per component, each with Kafka's own key names:
 * `broker` (replica.lag.time.max.ms, ..., the ksim.legacy.* switches), `topic` (min.insync.replicas,
 * unclean.leader.election.enable, flush.messages, ...), `producer` (acks, enable.idempotence, ...),
 * `consumer` (max.poll.records, auto.offset.reset, ... for every group's members; session.timeout.ms
 * and heartbeat.interval.ms reach classic members only, as KIP-848's coordinator owns them; what a
 * group decides for itself — group.id, group.protocol, its assignor, its commit mode, static
 * membership — is written in `workload.groups`), `controller` (broker.session.timeout.ms, ...) and
 * `raft` (controller.quorum.*).
 *
 * Selectors: `@leader` — the leader of partition 0 right then; `@controller` — the active controller;
 * `@follower` — a broker replicating partition 0 that does not lead it; `@coordinator` — the broker
 * a consumer last found coordinating its group.
 */
import type { Host, NodeId } from '../../../src/host.js';
import { BROKER_CONFIG_KEYS, LEGACY_SWITCH_KEYS, parseBrokerConfig } from '../../../src/broker/config.js';
import { createBrokerNode } from '../../../src/broker/brokerNode.js';
import { GROUP_COORDINATOR_CONFIG_KEYS } from '../../../src/broker/groupCoordinatorConfig.js';
import { TRANSACTION_COORDINATOR_CONFIG_KEYS } from '../../../src/broker/transactionCoordinatorConfig.js';
import { PRODUCER_CONFIG_NAMES, parseProducerConfig, producerConfigOrThrow } from '../../../src/client/config.js';
import { createProducerNode } from './producerNode.js';
import { CONSUMER_CONFIG_NAMES, parseConsumerConfig } from '../../../src/client/consumerConfig.js';
import { type CommitMode, createConsumerNode } from './consumerNode.js';
import { createTransactionalProducerNode } from './transactionalProducerNode.js';
import { CONTROLLER_CONFIG_KEYS, parseControllerConfig } from '../../../src/controller/config.js';
import { createControllerNode } from '../../../src/controller/controllerNode.js';
import { LOG_CONFIG_KEYS, NEVER, parseLogConfig } from '../../../src/log/config.js';
import { type MemoryRecords, RECORD_BATCH_OVERHEAD, RECORD_FIXED_BYTES, storedRecordCount } from '../../../src/log/recordBatch.js';
import { RAFT_CONFIG_KEYS, parseRaftConfig } from '../../../src/raft/config.js';
import { isRaftMessage, raftMessageSizeBytes } from '../../../src/raft/messages.js';
import { FAULT_FAMILIES } from '../../faults/plan.js';
import { type ConfigParser, configSectionIssues, resultParser, throwingParser } from '../../scenario/configIssues.js';
import type { ScenarioIssue } from '../../scenario/errors.js';
import type { Scenario } from '../../scenario/types.js';
import type { NodeSpec, World } from '../../world.js';
import { type SystemDefinition, withSchemaDefaults } from '../system.js';
import { RaftChecker } from '../raft/checker.js';
import { KafkaChecker } from './checker.js';
import { GroupChecker, type GroupSpec } from './groupChecker.js';
import { KafkaNarrator } from './narrator.js';
import { type ContractInputs, allowedReason, contractTable } from './contract.js';
import { AdminNode, FinalReaderNode } from './workload.js';
import { Findings } from '../../checker/findings.js';
import { PipelineChecker } from './pipelineChecker.js';
import { PIPELINE_SCHEMA, type PipelineSpec, pipelineInstanceIds, pipelineIssues, pipelineNodes } from './pipelineSystem.js';

interface KafkaCluster {
  controllers: number;
  brokers: number;
  producers: number;
}

/** A consumer group of the workload: its members and how they consume (see consumerNode.ts). */
interface ConsumerGroupSpec {
  /** group.id; default `group-<n>`. */
  id: string | null;
  members: number;
  protocol: 'classic' | 'consumer';
  /** classic: range, roundrobin, sticky or cooperative-sticky (partition.assignment.strategy); consumer: uniform or range (group.remote.assignor); null: Kafka's default. */
  assignor: string | null;
  commit: CommitMode;
  processingMs: number;
  pollTimeoutMs: number;
  /** Each member gets group.instance.id = its node id (KIP-345). */
  staticMembership: boolean;
  subscription: 'subscribe' | 'assign';
}

interface KafkaWorkload {
  topic: string;
  partitions: number;
  replicationFactor: number;
  /** Manual replica assignment: each partition's brokers, preferred leader first (CreateTopics' assignments). */
  assignments: string[][] | null;
  intervalMs: number;
  keys: number | null;
  groups: ConsumerGroupSpec[];
  /** Transactional producers (transactionalProducerNode.ts), or null for plain ones. */
  transactions: { recordsPerTransaction: number; abortProbability: number } | null;
  /** An exactly-once read-process-write pipeline over the topic (pipelineSystem.ts), or null. */
  pipeline: PipelineSpec | null;
}

type Section = Record<string, unknown>;
interface KafkaConfig {
  broker: Section;
  topic: Section;
  producer: Section;
  consumer: Section;
  controller: Section;
  raft: Section;
}

/** The cluster's node ids of one kind: c1.., b1.., p1... */
function nodeIds(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${i + 1}`);
}

/** The workload with defaults filled in; a manual assignment decides the partition count and replication factor. */
function kafkaWorkload(scenario: Scenario): KafkaWorkload {
  const workload = withSchemaDefaults<KafkaWorkload>(kafkaSystem.schemas.workload, scenario.workload);
  if (workload.assignments === null) return workload;
  return { ...workload, partitions: workload.assignments.length, replicationFactor: workload.assignments[0]!.length };
}

const SCALAR = { type: ['string', 'number', 'integer', 'boolean'] };

function sectionSchema(keys: readonly string[]): object {
  return { type: 'object', additionalProperties: false, default: {}, properties: Object.fromEntries(keys.map((key) => [key, SCALAR])) };
}

/**
 * Consumer configs a group decides for itself (in workload.groups), which config.consumer may not
 * set: each group has its own id, protocol, assignor, commit mode and instance ids.
 */
const GROUP_DECIDES: readonly string[] = ['group.id', 'group.instance.id', 'group.protocol', 'group.remote.assignor', 'partition.assignment.strategy', 'enable.auto.commit'];

const CLASSIC_ASSIGNORS: Readonly<Record<string, string>> = {
  range: 'org.apache.kafka.clients.consumer.RangeAssignor',
  roundrobin: 'org.apache.kafka.clients.consumer.RoundRobinAssignor',
  sticky: 'org.apache.kafka.clients.consumer.StickyAssignor',
  'cooperative-sticky': 'org.apache.kafka.clients.consumer.CooperativeStickyAssignor',
};
/** KIP-848's server-side assignors (group.consumer.assignors). */
const SERVER_ASSIGNORS: readonly string[] = ['uniform', 'range'];

const CONSUMER_GROUP_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    id: { type: ['string', 'null'], minLength: 1, default: null, description: 'group.id (default group-<n>)' },
    members: { type: 'integer', minimum: 1, maximum: 10, default: 2 },
    protocol: { enum: ['classic', 'consumer'], default: 'classic', description: "group.protocol: classic, or KIP-848's consumer" },
    assignor: {
      enum: [...Object.keys(CLASSIC_ASSIGNORS), 'uniform', null],
      default: null,
      description: 'classic: range, roundrobin, sticky, cooperative-sticky; consumer: uniform, range; null for Kafka\'s default',
    },
    commit: { enum: ['auto', 'sync', 'async'], default: 'auto', description: 'auto (enable.auto.commit), or commitSync / commitAsync after processing' },
    processingMs: { type: 'integer', minimum: 0, maximum: 60_000, default: 1, description: 'processing time per record polled' },
    pollTimeoutMs: { type: 'integer', minimum: 1, maximum: 60_000, default: 500 },
    staticMembership: { type: 'boolean', default: false, description: 'group.instance.id per member (KIP-345)' },
    subscription: { enum: ['subscribe', 'assign'], default: 'subscribe' },
  },
} as const;

const BROKER_KEYS = [...Object.values(BROKER_CONFIG_KEYS), ...Object.values(LEGACY_SWITCH_KEYS), ...GROUP_COORDINATOR_CONFIG_KEYS, ...TRANSACTION_COORDINATOR_CONFIG_KEYS];

export const kafkaSystem: SystemDefinition = {
  name: 'kafka',
  description: 'A KRaft-mode Kafka cluster: controllers, brokers, producers, and a final reader',
  faultFamilies: FAULT_FAMILIES,
  narrator: () => new KafkaNarrator(),
  selectors: ['@leader', '@follower', '@controller', '@coordinator'],
  schemas: {
    cluster: {
      type: 'object',
      additionalProperties: false,
      properties: {
        controllers: { type: 'integer', minimum: 1, maximum: 7, default: 3 },
        brokers: { type: 'integer', minimum: 1, maximum: 9, default: 3 },
        producers: { type: 'integer', minimum: 0, maximum: 10, default: 2 },
      },
    },
    config: {
      type: 'object',
      additionalProperties: false,
      properties: {
        broker: sectionSchema(BROKER_KEYS),
        topic: sectionSchema(LOG_CONFIG_KEYS),
        // transactional.id is the workload's to give, one per producer (workload.transactions).
        producer: sectionSchema(PRODUCER_CONFIG_NAMES.filter((name) => name !== 'transactional.id')),
        consumer: sectionSchema(CONSUMER_CONFIG_NAMES.filter((name) => !GROUP_DECIDES.includes(name))),
        controller: sectionSchema(Object.values(CONTROLLER_CONFIG_KEYS)),
        raft: sectionSchema(Object.values(RAFT_CONFIG_KEYS)),
      },
    },
    workload: {
      type: 'object',
      additionalProperties: false,
      properties: {
        topic: { type: 'string', minLength: 1, default: 'events' },
        partitions: { type: 'integer', minimum: 1, maximum: 64, default: 3 },
        replicationFactor: { type: 'integer', minimum: 1, maximum: 9, default: 3 },
        assignments: { type: ['array', 'null'], minItems: 1, maxItems: 64, items: { type: 'array', minItems: 1, maxItems: 9, items: { type: 'string' } }, default: null },
        intervalMs: { type: 'integer', minimum: 1, default: 50 },
        keys: { type: ['integer', 'null'], minimum: 1, default: null },
        groups: { type: 'array', maxItems: 4, default: [], items: CONSUMER_GROUP_SCHEMA },
        transactions: {
          type: ['object', 'null'],
          additionalProperties: false,
          default: null,
          properties: {
            recordsPerTransaction: { type: 'integer', minimum: 1, maximum: 100, default: 3 },
            abortProbability: { type: 'number', minimum: 0, maximum: 1, default: 0.25 },
          },
        },
        pipeline: PIPELINE_SCHEMA,
      },
    },
  },
  livenessMsMin: { ms: 10_000, why: 'a broker that stopped heartbeating is fenced only after broker.session.timeout.ms, 9 s by default, and clients stop halfway through the phase' },
  check(scenario: Scenario, raw: Readonly<Record<string, unknown>>): ScenarioIssue[] {
    const workload = kafkaWorkload(scenario);
    const consumerSection = ((scenario.config as Partial<KafkaConfig>).consumer ?? {}) as Section;
    const groupIssues = workload.groups.flatMap((group, index) => consumerGroupIssues(group, index, consumerSection));
    const config = scenario.config as Partial<KafkaConfig>;
    const pipeline = pipelineIssues(workload.pipeline, workload.topic, config.consumer ?? {}, config.producer ?? {});
    return [...configIssues(config), ...workloadIssues(scenario, raw), ...groupIssues, ...pipeline];
  },
  build(scenario: Scenario) {
    const cluster = withSchemaDefaults<KafkaCluster>(kafkaSystem.schemas.cluster, scenario.cluster);
    const workload = kafkaWorkload(scenario);
    const config: KafkaConfig = { broker: {}, topic: {}, producer: {}, consumer: {}, controller: {}, raft: {}, ...(scenario.config as Partial<KafkaConfig>) };
    const controllers = nodeIds('c', cluster.controllers);
    const brokers = nodeIds('b', cluster.brokers);
    const producers = nodeIds('p', cluster.producers);
    const raftConfig = parseRaftConfig(config.raft);
    const brokerConfig = parseBrokerConfig({ ...config.broker, ...pick(config.topic, ['min.insync.replicas']) });
    // Topic-level settings the controller needs (elections) are also its cluster defaults here.
    const controllerConfig = parseControllerConfig({ ...config.controller, ...pick(config.topic, ['min.insync.replicas', 'unclean.leader.election.enable']) });
    const quiesceAtMs = scenario.durationMs + Math.floor(scenario.livenessMs / 2);
    const readAtMs = scenario.durationMs + Math.floor((scenario.livenessMs * 3) / 4);
    // Consumers read on after the producers stop, and close (committing, leaving) near the end.
    const consumersStopAtMs = scenario.durationMs + Math.floor((scenario.livenessMs * 7) / 8);
    const consumerNodes = workload.groups.flatMap((group, index) => consumerGroupNodes(group, index, config.consumer, brokers, workload, consumersStopAtMs));
    const topicConfigs = Object.fromEntries(Object.entries(config.topic).map(([key, value]) => [key, String(value)]));
    const pipeline = workload.pipeline;
    const pipelineSpecs =
      pipeline === null
        ? []
        : pipelineNodes({ spec: pipeline, inputTopic: workload.topic, inputPartitions: workload.partitions, replicationFactor: workload.replicationFactor, topicConfigs, controllers, brokers, consumer: config.consumer, producer: config.producer, durationMs: scenario.durationMs, livenessMs: scenario.livenessMs });

    const nodes: NodeSpec[] = [
      ...controllers.map((id): NodeSpec => ({ id, role: 'server', factory: createControllerNode({ raftConfig, voters: controllers, controllerConfig }) })),
      ...brokers.map((id): NodeSpec => ({
        id,
        role: 'server',
        factory: createBrokerNode({ raftConfig, controllers, brokerConfig, logDefaults: config.topic }),
      })),
      ...producers.map((id): NodeSpec => ({
        id,
        role: 'client',
        factory:
          workload.transactions === null
            ? createProducerNode({
                bootstrapBrokers: brokers,
                topic: workload.topic,
                config: config.producer,
                workload: { intervalMs: workload.intervalMs, keys: workload.keys, stopAtMs: quiesceAtMs },
              })
            : createTransactionalProducerNode({
                bootstrapBrokers: brokers,
                topic: workload.topic,
                config: config.producer,
                workload: { intervalMs: workload.intervalMs, stopAtMs: quiesceAtMs, recordsPerTransaction: workload.transactions.recordsPerTransaction ?? 3, abortProbability: workload.transactions.abortProbability ?? 0.25 },
              }),
      })),
      ...consumerNodes,
      {
        id: 'a1',
        role: 'client',
        factory: (host) =>
          new AdminNode(host as Host<unknown>, controllers, { name: workload.topic, partitions: workload.partitions, replicationFactor: workload.replicationFactor, assignments: workload.assignments, configs: topicConfigs }, 2_000),
      },
      { id: 'r1', role: 'client', factory: (host) => new FinalReaderNode(host as Host<unknown>, brokers, workload.topic, workload.partitions, readAtMs) },
      ...pipelineSpecs,
      // Transactions, and the pipeline's input, are also read as a read_committed consumer would read them.
      ...(workload.transactions === null && pipeline === null
        ? []
        : [{ id: 'r2', role: 'client' as const, factory: (host: Host<unknown>) => new FinalReaderNode(host, brokers, workload.topic, workload.partitions, readAtMs, 1) }]),
    ];

    const view = { leaderOfPartition0: null as NodeId | null, replicasOfPartition0: [] as NodeId[], activeController: null as NodeId | null, groupCoordinator: null as NodeId | null };
    return {
      nodes,
      // The pipeline's instances are consumers too: the consumer fault families strike them.
      consumers: [...consumerNodes.map((node) => node.id), ...(pipeline === null ? [] : pipelineInstanceIds(pipeline))],
      writers: [...producers, ...(pipeline === null ? [] : pipelineInstanceIds(pipeline))],
      sizeOf: kafkaMessageSizeBytes,
      resolveSelector(selector: string, world: World): NodeId | undefined {
        if (selector === '@leader') return view.leaderOfPartition0 ?? undefined;
        if (selector === '@controller') return view.activeController ?? undefined;
        if (selector === '@coordinator') return view.groupCoordinator ?? undefined;
        if (selector === '@follower') return view.replicasOfPartition0.find((id) => id !== view.leaderOfPartition0 && world.isUp(id));
        return undefined;
      },
      attach(world: World) {
        const contract: ContractInputs = {
          ...contractInputs(config, workload, brokerConfig.minInsyncReplicas, controllerConfig.uncleanLeaderElectionEnable),
          controllers,
          eligibleLeaderReplicas: controllerConfig.eligibleLeaderReplicasEnable,
        };
        const partitionKeys = Array.from({ length: workload.partitions }, (_, i) => `${workload.topic}-${i}`);
        const transactionEndBound = {
          transactionTimeoutMs: producerConfigOrThrow(config.producer ?? {}).transactionTimeoutMs,
          abortTimedOutTransactionCleanupIntervalMs: brokerConfig.transactionCoordinator.transactionAbortTimedOutTransactionCleanupIntervalMs,
        };
        const checker = new KafkaChecker(
          { partitionKeys, topic: workload.topic, controllers, transactions: workload.transactions !== null, transactionStatePartitions: brokerConfig.transactionCoordinator.transactionStateLogNumPartitions, transactionEndBound },
          contract,
          world,
        );
        const groupChecker = new GroupChecker(groupSpecs(workload, config.consumer), workload.topic, {
          highWatermark: (partition) => checker.highWatermarkOf(partition),
          logLossAllowed: (partition) => checker.lossAllowedOn(partition),
          duplicateAllowedReason: () => allowedReason('duplicate', contract),
          groupStateLossReason: () => groupStateLossReason(checker, controllers.length),
          clusterMetadataLoss: () => checker.clusterMetadataLoss(),
        }, world);
        const pipelineChecker =
          pipeline === null
            ? null
            : new PipelineChecker(new Findings(world), { inputTopic: workload.topic, outputTopic: pipeline.outputTopic, inputPartitions: workload.partitions, outputPartitions: pipeline.outputPartitions, groupId: pipeline.group }, (partition, offset, value) => checker.markerLossExcuse(partition, offset, value));
        let healed = false;
        // The metadata quorum is checked with the KRaft invariants too (safety only: the
        // controller proposes when it has something to say, not on a schedule).
        const quorumChecker = new RaftChecker({
          voters: controllers,
          commitBoundMs: 2 * raftConfig.fetchTimeoutMs,
          fetchTimeoutMs: raftConfig.fetchTimeoutMs,
          onCommittedRewritten: (offset, atMs) => checker.onMetadataLogRewritten(offset, atMs),
        }, world);
        world.onTrace((record) => {
          const event = record.event;
          if (event.type === 'metadata.partition' && event['topic'] === workload.topic && event['partition'] === 0) {
            view.leaderOfPartition0 = (event['leader'] ?? null) as NodeId | null;
            view.replicasOfPartition0 = (event['replicas'] ?? []) as NodeId[];
          }
          if (event.type === 'controller.active') view.activeController = record.node;
          if (event.type === 'consumer.coordinator') view.groupCoordinator = event['coordinator'] as NodeId;
          if (event.type.startsWith('raft.')) quorumChecker.observe(record);
          else {
            checker.observe(record);
            if (workload.groups.length > 0) groupChecker.observe(record);
            pipelineChecker?.observe(record);
          }
        });
        world.onFault((atMs, action, note) => {
          checker.onFault(atMs, action, note);
          const node = note.split(':')[0]!;
          const destroyed = (action.type === 'crash' && action.mode === 'disk') || (action.type === 'bit-flip' && !note.includes('no durable data'));
          if (destroyed && !note.startsWith('skipped')) {
            quorumChecker.onDataLost(node, action.type === 'crash' ? 'disk loss' : 'flipped bit');
          }
        });
        // A controller that lost stable storage can break KRaft's own invariants (pre-KIP-853); a
        // node that then finds its metadata log contradicting itself halts, as Kafka would.
        world.judgeNodeErrors((error) => {
          const lostVoters = checker.controllersThatLostStorage();
          if (lostVoters.length === 0) return null;
          checker.onMetadataRolledBack();
          return `${error.node} halted (${error.message}) after controllers lost stable storage (${lostVoters.join(', ')})`;
        });
        return {
          violations: () => [...quorumChecker.violations(), ...checker.violations(), ...groupChecker.violations()],
          onHeal: (w: World) => {
            checker.onHeal(w);
            groupChecker.onHeal();
            healed = true;
          },
          contractTable: () => contractTable(contract),
          finish: (w: World) => {
            const quorum = quorumChecker.finishSafety(w.nowMs);
            const ownResult = checker.finish(w);
            const result = pipelineChecker === null ? ownResult : withPipeline(ownResult, pipelineChecker.finish(w.nowMs, healed, pipelineLossExcuse(checker, controllers.length), {
                    hanging: (partition) => checker.hangingTransactionExcuse(partition),
                    clusterMetadataLoss: checker.clusterMetadataLoss(),
                  }));
            if (workload.groups.length === 0) return { ...result, violations: [...quorum.violations, ...result.violations], anomalies: [...quorum.anomalies, ...result.anomalies] };
            const groups = groupChecker.finish(w);
            return {
              violations: [...quorum.violations, ...result.violations, ...groups.violations],
              anomalies: [...quorum.anomalies, ...result.anomalies, ...groups.anomalies],
              summary: { ...result.summary, ...groups.summary },
            };
          },
        };
      },
    };
  },
};


/** Each config section checked by the parsers of the components that read it (configIssues.ts). */
function configIssues(config: Partial<KafkaConfig>): ScenarioIssue[] {
  const parsers: Record<keyof KafkaConfig, readonly ConfigParser[]> = {
    broker: [throwingParser(parseBrokerConfig)],
    topic: [resultParser(parseLogConfig)],
    producer: [resultParser(parseProducerConfig)],
    controller: [throwingParser(parseControllerConfig)],
    raft: [throwingParser(parseRaftConfig)],
    // Alone here; with what each group decides in consumerGroupIssues.
    consumer: [resultParser(parseConsumerConfig)],
  };
  return (Object.keys(parsers) as Array<keyof KafkaConfig>).flatMap((section) => configSectionIssues(`config.${section}`, config[section] ?? {}, parsers[section]));
}

/** The workload against the cluster: a replication factor the brokers can hold, a manual assignment that agrees with itself. */
function workloadIssues(scenario: Scenario, raw: Readonly<Record<string, unknown>>): ScenarioIssue[] {
  const workload = kafkaWorkload(scenario);
  const cluster = withSchemaDefaults<KafkaCluster>(kafkaSystem.schemas.cluster, scenario.cluster);
  const brokers = nodeIds('b', cluster.brokers);
  const issues: ScenarioIssue[] = [];
  const written = (raw['workload'] ?? {}) as Record<string, unknown>;
  if (workload.assignments === null) {
    if (workload.replicationFactor > cluster.brokers) {
      // Kafka's CreateTopics answers INVALID_REPLICATION_FACTOR; the run would only end in a liveness failure.
      issues.push({ path: 'workload.replicationFactor', message: `is ${workload.replicationFactor}, more than the ${cluster.brokers} broker(s) of cluster.brokers; each replica needs its own broker, so it must be at most ${cluster.brokers}` });
    }
    return issues;
  }
  const replicationFactor = workload.assignments[0]!.length;
  if (written['partitions'] !== undefined && written['partitions'] !== workload.assignments.length) {
    issues.push({ path: 'workload.partitions', message: `is ${String(written['partitions'])} but workload.assignments places ${workload.assignments.length} partition(s); remove partitions (assignments decides it) or make them agree` });
  }
  if (written['replicationFactor'] !== undefined && written['replicationFactor'] !== replicationFactor) {
    issues.push({ path: 'workload.replicationFactor', message: `is ${String(written['replicationFactor'])} but workload.assignments gives partition 0 ${replicationFactor} replica(s); remove replicationFactor or make them agree` });
  }
  workload.assignments.forEach((replicas, index) => {
    const path = `workload.assignments[${index}]`;
    if (replicas.length !== replicationFactor) issues.push({ path, message: `has ${replicas.length} replica(s) but partition 0 has ${replicationFactor}; Kafka requires the same number for every partition` });
    if (new Set(replicas).size !== replicas.length) issues.push({ path, message: `names a broker twice (${replicas.join(', ')}); each replica must be on a different broker` });
    const unknown = replicas.filter((id) => !brokers.includes(id));
    if (unknown.length > 0) issues.push({ path, message: `names ${unknown.join(', ')}, which is not a broker of this cluster; its brokers are ${brokers.join(', ')}` });
  });
  return issues;
}

function pick(section: Section, keys: readonly string[]): Section {
  return Object.fromEntries(keys.filter((key) => key in section).map((key) => [key, section[key]]));
}

function contractInputs(config: KafkaConfig, workload: KafkaWorkload, minInsyncReplicas: number, uncleanLeaderElection: boolean) {
  const flushMessages = config.topic['flush.messages'] === undefined ? NEVER : Number(config.topic['flush.messages']);
  const legacy = Object.values(LEGACY_SWITCH_KEYS).filter((key) => config.broker[key] === true || config.broker[key] === 'true');
  return {
    ...producerContractInputs(config.producer),
    minInsyncReplicas,
    replicationFactor: workload.replicationFactor,
    uncleanLeaderElection,
    flushMessages,
    legacy,
  };
}

/**
 * What the producer's configuration promises, from its *effective* settings: idempotence that is
 * only on by default is quietly off with acks≠all or more than 5 in flight, as in Kafka
 * (KAFKA-13598), so the contract must not hold such a producer to idempotent guarantees.
 */
export function producerContractInputs(producer: Readonly<Record<string, unknown>>): { acks: number; idempotence: boolean; maxInFlight: number } {
  const parsed = parseProducerConfig(producer);
  if (!parsed.ok) throw new Error(`producer config: ${parsed.errors.join('; ')}`);
  return { acks: parsed.config.acks, idempotence: parsed.config.enableIdempotence, maxInFlight: parsed.config.maxInFlightRequestsPerConnection };
}

/** Wire sizes: a flat header, plus each record's key and value and Kafka's per-record overhead. */
export function kafkaMessageSizeBytes(message: unknown): number {
  // KRaft and Kafka both have a `Fetch` API; Kafka's names its topics, KRaft's has one partition.
  const kafkaShaped = typeof message === 'object' && message !== null && ('topics' in message || 'responses' in message || 'topicData' in message);
  if (!kafkaShaped && isRaftMessage(message)) return raftMessageSizeBytes(message);
  const HEADER_BYTES = 64;
  const RECORD_OVERHEAD_BYTES = 24;
  let bytes = HEADER_BYTES;
  const addBatch = (batch: { records: ReadonlyArray<{ key: string | null; value: string | null }> }) => {
    for (const record of batch.records) bytes += RECORD_OVERHEAD_BYTES + (record.key?.length ?? 0) + (record.value?.length ?? 0);
  };
  // A fetch response carries stored batches: their records' keys and values are what is left of
  // each batch once its header and the records' fixed fields are taken away.
  const addStoredBatch = (batch: Uint8Array) => {
    const count = storedRecordCount(batch);
    bytes += RECORD_OVERHEAD_BYTES * count + batch.length - RECORD_BATCH_OVERHEAD - RECORD_FIXED_BYTES * count;
  };
  const m = message as { api?: string; topicData?: Array<{ partitionData: Array<{ records: Parameters<typeof addBatch>[0] }> }>; responses?: Array<{ partitions?: Array<{ records?: MemoryRecords }> }> };
  if (m.api === 'Produce') for (const topic of m.topicData ?? []) for (const data of topic.partitionData) addBatch(data.records);
  if (m.api === 'FetchResponse') for (const topic of m.responses ?? []) for (const data of topic.partitions ?? []) for (const batch of data.records?.batches ?? []) addStoredBatch(batch);
  return bytes;
}

function groupId(group: ConsumerGroupSpec, index: number): string {
  return group.id ?? `group-${index + 1}`;
}

/**
 * Keys only classic members have (the KIP-848 coordinator owns them, and a consumer-protocol member
 * may not set them): config.consumer is shared by every group, so they apply to classic groups only.
 */
const CLASSIC_ONLY_KEYS: readonly string[] = ['session.timeout.ms', 'heartbeat.interval.ms'];

/** The consumer configs of one member of a group: config.consumer, then what the group decides. */
function memberConfig(group: ConsumerGroupSpec, index: number, section: Section, nodeId: NodeId): Section {
  const consumer = group.protocol === 'consumer' ? Object.fromEntries(Object.entries(section).filter(([key]) => !CLASSIC_ONLY_KEYS.includes(key))) : section;
  const decided: Section = { 'group.id': groupId(group, index), 'group.protocol': group.protocol, 'enable.auto.commit': group.commit === 'auto' };
  if (group.assignor !== null) {
    if (group.protocol === 'classic') decided['partition.assignment.strategy'] = CLASSIC_ASSIGNORS[group.assignor] ?? group.assignor;
    else decided['group.remote.assignor'] = group.assignor;
  }
  if (group.staticMembership) decided['group.instance.id'] = nodeId;
  return { ...consumer, ...decided };
}

function consumerGroupNodes(group: ConsumerGroupSpec, index: number, consumer: Section, brokers: readonly NodeId[], workload: KafkaWorkload, stopAtMs: number): NodeSpec[] {
  return nodeIds(`g${index + 1}c`, group.members).map((id): NodeSpec => ({
    id,
    role: 'client',
    factory: createConsumerNode({
      bootstrapBrokers: brokers,
      config: memberConfig(group, index, consumer, id),
      workload: {
        topic: workload.topic,
        subscription: group.subscription,
        partitions: workload.partitions,
        commit: group.commit,
        processingMs: group.processingMs,
        pollTimeoutMs: group.pollTimeoutMs,
        stopAtMs,
      },
    }),
  }));
}

/** Why the group coordinators may have lost state the contract allows them to lose, or null. */
function groupStateLossReason(checker: KafkaChecker, controllerCount: number): string | null {
  const offsetsLost = checker.partitionsWithAllowedLoss().filter((partition) => partition.startsWith('__consumer_offsets-'));
  if (offsetsLost.length > 0) return `the coordinator's log lost records the loss rules allow (${offsetsLost.join(', ')}): the group's state went back with it`;
  const controllers = checker.controllersThatLostStorage();
  if (controllers.length > controllerCount / 2) return `a majority of controllers lost their storage (${controllers.join(', ')}): the metadata, __consumer_offsets included, may be gone, and the group start over`;
  return null;
}

/** What the group checker needs of each group: its members, protocol and contract. */
function groupSpecs(workload: KafkaWorkload, consumer: Section): GroupSpec[] {
  return workload.groups.map((group, index) => {
    const members = nodeIds(`g${index + 1}c`, group.members);
    const parsed = parseConsumerConfig(memberConfig(group, index, consumer, members[0]!));
    if (!parsed.ok) throw new Error(`consumer config: ${parsed.errors.join('; ')}`);
    const groupIdOfSpec = groupId(group, index);
    return { groupId: groupIdOfSpec, protocol: group.protocol, members, contract: { groupId: groupIdOfSpec, commit: group.commit, autoOffsetReset: parsed.config.autoOffsetReset } };
  });
}

/** What a schema cannot say about a group: its assignor must suit its protocol, and the consumer configs must be valid. */
function consumerGroupIssues(group: ConsumerGroupSpec, index: number, consumer: Section): ScenarioIssue[] {
  const path = `workload.groups[${index}]`;
  const issues: ScenarioIssue[] = [];
  if (group.assignor !== null) {
    const allowed = group.protocol === 'classic' ? Object.keys(CLASSIC_ASSIGNORS) : SERVER_ASSIGNORS;
    if (!allowed.includes(group.assignor)) issues.push({ path: `${path}.assignor`, message: `is ${group.assignor}, which the ${group.protocol} protocol does not have; it has ${allowed.join(', ')}` });
  }
  if (issues.length > 0) return issues;
  const parsed = parseConsumerConfig(memberConfig(group, index, consumer, `g${index + 1}c1`));
  // What config.consumer gets wrong by itself is said once, by configIssues.
  const alone = parseConsumerConfig(consumer);
  const saidAlready = new Set(alone.ok ? [] : alone.errors);
  if (!parsed.ok) for (const error of parsed.errors.filter((e) => !saidAlready.has(e))) issues.push({ path: 'config.consumer', message: `for ${path} (${groupId(group, index)}): ${error}` });
  return issues;
}

/** The kafka checker's verdict with the pipeline checker's added. */
function withPipeline(result: ReturnType<KafkaChecker['finish']>, pipeline: ReturnType<PipelineChecker['finish']>): ReturnType<KafkaChecker['finish']> {
  return {
    violations: [...result.violations, ...pipeline.violations],
    anomalies: [...result.anomalies, ...pipeline.anomalies],
    summary: { ...result.summary, ...pipeline.summary },
  };
}

/** Why the pipeline's exactly-once may not hold here: committed records lost as the contract allows, or null. */
function pipelineLossExcuse(checker: KafkaChecker, controllerCount: number): string | null {
  const lost = checker.partitionsWithAllowedLoss();
  if (lost.length > 0) return `committed records were lost as the producer contract allows (${lost.join(', ')}): outputs, offsets or transaction state committed there may be gone`;
  const controllers = checker.controllersThatLostStorage();
  if (controllers.length > controllerCount / 2) return `a majority of controllers lost their storage (${controllers.join(', ')}): the topics themselves may be gone`;
  return null;
}
