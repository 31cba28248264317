/**
 * ReplicationControlManager (and the few ClusterControlManager checks it needs): the pure
 * decisions of the active controller, as functions from a metadata image to the records that
 * carry them out. Nothing here proposes or waits; the QuorumController does that.
 *
 * What it models, with Kafka's names:
 * - createTopics: TopicRecord, then ConfigRecords, then PartitionRecords (Kafka's order), with
 *   replicas placed on the active brokers; leader = first replica, ISR = all replicas, epochs 0.
 * - alterPartition (KIP-497, KIP-903): the leader's compare-and-set of the ISR, validated in Kafka's
 *   order (validateAlterPartitionData), then a PartitionChangeRecord.
 * - generateLeaderAndIsrUpdates and the handlers built on it: handleBrokerFenced,
 *   handleBrokerUnfenced, handleBrokerInControlledShutdown, handleBrokerShutdown.
 * - allocateProducerIds (ProducerIdControlManager): one ProducerIdsRecord per block.
 *
 * Invariants: every function reads only its image argument (so the caller may pass the image
 * with its own uncommitted proposals applied); records that change a broker name its current
 * epoch; a partition change never makes a fenced or shutting-down broker leader.
 *
 * Deviations from Kafka, because ksim's error table lacks the code (see the report):
 * AlterPartition from a non-leader answers NOT_LEADER_OR_FOLLOWER (Kafka: INVALID_REQUEST), and an
 * ISR outside the replicas or without the leader answers INELIGIBLE_REPLICA (Kafka: INVALID_REQUEST).
 * Topic config values are not validated (Kafka: INVALID_CONFIG); a malformed value reads as the default.
 *
 * Left out: topic deletion, reassignment, preferred leader election, manual assignments, racks.
 */
import type { NodeId, Random } from '../host.js';
import { allPartitions, mergePartitionChange } from '../metadata/image.js';
import { compareNodeIds } from '../metadata/nodeIds.js';
import type { MetadataImage, MetadataRecord, PartitionRegistration } from '../metadata/types.js';
import type {
  AlterPartitionRequest,
  AlterPartitionResponse,
  CreateTopicsRequest,
  CreateTopicsResponse,
} from '../protocol/apis.js';
import type { KafkaErrorCode } from '../protocol/errors.js';
import { type ControllerConfig, PRODUCER_ID_BLOCK_SIZE } from './config.js';
import { PartitionChangeBuilder, type PartitionChangeRecord } from './partitionChangeBuilder.js';
import { placeReplicas } from './replicaPlacer.js';

export const MIN_INSYNC_REPLICAS_CONFIG = 'min.insync.replicas';
export const UNCLEAN_LEADER_ELECTION_ENABLE_CONFIG = 'unclean.leader.election.enable';

// ---- Cluster checks (ClusterControlManager) ----

/** Kafka's checkBrokerEpoch: an unknown broker or another epoch is STALE_BROKER_EPOCH. */
export function checkBrokerEpoch(image: MetadataImage, brokerId: NodeId, brokerEpoch: number): KafkaErrorCode {
  const registration = image.brokers.get(brokerId);
  return registration !== undefined && registration.brokerEpoch === brokerEpoch ? 'NONE' : 'STALE_BROKER_EPOCH';
}

/** Kafka's ClusterControlManager.isActive: registered, unfenced and not in controlled shutdown. */
export function isActiveBroker(image: MetadataImage, brokerId: NodeId): boolean {
  const registration = image.brokers.get(brokerId);
  return registration !== undefined && !registration.fenced && !registration.inControlledShutdown;
}

/** The active brokers in node id order: the candidates for new replicas. */
export function activeBrokers(image: MetadataImage): NodeId[] {
  return [...image.brokers.keys()].filter((id) => isActiveBroker(image, id)).sort(compareNodeIds);
}

// ---- Topic configs over cluster defaults ----

export function effectiveMinIsr(image: MetadataImage, topic: string, config: ControllerConfig): number {
  const value = Number(image.topics.get(topic)?.configs[MIN_INSYNC_REPLICAS_CONFIG]);
  return Number.isSafeInteger(value) && value >= 1 ? value : config.minInsyncReplicas;
}

export function uncleanLeaderElectionEnabled(image: MetadataImage, topic: string, config: ControllerConfig): boolean {
  const value = image.topics.get(topic)?.configs[UNCLEAN_LEADER_ELECTION_ENABLE_CONFIG];
  return value === 'true' ? true : value === 'false' ? false : config.uncleanLeaderElectionEnable;
}

function builderFor(
  image: MetadataImage,
  config: ControllerConfig,
  partition: PartitionRegistration,
  isAcceptableLeader: (replica: NodeId) => boolean,
): PartitionChangeBuilder {
  return new PartitionChangeBuilder(partition, {
    isAcceptableLeader,
    election: uncleanLeaderElectionEnabled(image, partition.topic, config) ? 'UNCLEAN' : 'ONLINE',
    minIsr: effectiveMinIsr(image, partition.topic, config),
    eligibleLeaderReplicasEnabled: config.eligibleLeaderReplicasEnable,
  });
}

// ---- Leader and ISR updates ----

export interface LeaderAndIsrUpdate {
  /** A broker leaving every ISR and leadership (fenced, shutting down), or null. */
  readonly brokerToRemove: NodeId | null;
  /** A broker that may lead although the image still shows it fenced (being unfenced), or null. */
  readonly brokerToAdd: NodeId | null;
  /** A broker that restarted without a clean shutdown: it also leaves the ELR (KIP-966), or null. */
  readonly brokerWithUncleanShutdown: NodeId | null;
}

/** Kafka's generateLeaderAndIsrUpdates over the given partitions, in their order. */
export function generateLeaderAndIsrUpdates(
  image: MetadataImage,
  config: ControllerConfig,
  update: LeaderAndIsrUpdate,
  partitions: readonly PartitionRegistration[],
): PartitionChangeRecord[] {
  const { brokerToRemove, brokerToAdd, brokerWithUncleanShutdown } = update;
  const isAcceptableLeader = (replica: NodeId): boolean =>
    replica !== brokerToRemove && replica !== brokerWithUncleanShutdown && (replica === brokerToAdd || isActiveBroker(image, replica));
  const records: PartitionChangeRecord[] = [];
  for (const partition of partitions) {
    const builder = builderFor(image, config, partition, isAcceptableLeader);
    if (brokerWithUncleanShutdown !== null) builder.setUncleanShutdownReplicas([brokerWithUncleanShutdown]);
    builder.setTargetIsr(partition.isr.filter((id) => id !== brokerToRemove && id !== brokerWithUncleanShutdown));
    const record = builder.build();
    if (record !== null) records.push(record);
  }
  return records;
}

function partitionsWithBrokerInIsr(image: MetadataImage, brokerId: NodeId): PartitionRegistration[] {
  return allPartitions(image).filter((partition) => partition.isr.includes(brokerId));
}

function partitionsWithBrokerInIsrOrElr(image: MetadataImage, brokerId: NodeId): PartitionRegistration[] {
  return allPartitions(image).filter((partition) => partition.isr.includes(brokerId) || partition.eligibleLeaderReplicas.includes(brokerId));
}

export function hasLeaderships(image: MetadataImage, brokerId: NodeId): boolean {
  return allPartitions(image).some((partition) => partition.leader === brokerId);
}

/** Moves leadership away from the broker and takes it out of every ISR, then fences it. */
export function handleBrokerFenced(image: MetadataImage, config: ControllerConfig, brokerId: NodeId): MetadataRecord[] {
  const registration = image.brokers.get(brokerId);
  if (registration === undefined) throw new Error(`handleBrokerFenced: broker ${brokerId} is not registered`);
  const update = { brokerToRemove: brokerId, brokerToAdd: null, brokerWithUncleanShutdown: null };
  return [
    ...generateLeaderAndIsrUpdates(image, config, update, partitionsWithBrokerInIsr(image, brokerId)),
    { type: 'BrokerRegistrationChangeRecord', brokerId, brokerEpoch: registration.brokerEpoch, fenced: true, inControlledShutdown: false },
  ];
}

/** Unfences the broker, then gives a leader to every leaderless partition it can now lead. */
export function handleBrokerUnfenced(image: MetadataImage, config: ControllerConfig, brokerId: NodeId, brokerEpoch: number): MetadataRecord[] {
  const leaderless = allPartitions(image).filter((partition) => partition.leader === null);
  const update = { brokerToRemove: null, brokerToAdd: brokerId, brokerWithUncleanShutdown: null };
  return [
    { type: 'BrokerRegistrationChangeRecord', brokerId, brokerEpoch, fenced: false, inControlledShutdown: false },
    ...generateLeaderAndIsrUpdates(image, config, update, leaderless),
  ];
}

/** Marks the broker as shutting down, then moves its leaderships away and takes it out of every ISR. */
export function handleBrokerInControlledShutdown(image: MetadataImage, config: ControllerConfig, brokerId: NodeId, brokerEpoch: number): MetadataRecord[] {
  const registration = image.brokers.get(brokerId);
  if (registration === undefined) throw new Error(`handleBrokerInControlledShutdown: broker ${brokerId} is not registered`);
  const records: MetadataRecord[] = [];
  if (!registration.inControlledShutdown) {
    records.push({ type: 'BrokerRegistrationChangeRecord', brokerId, brokerEpoch, fenced: registration.fenced, inControlledShutdown: true });
  }
  const update = { brokerToRemove: brokerId, brokerToAdd: null, brokerWithUncleanShutdown: null };
  records.push(...generateLeaderAndIsrUpdates(image, config, update, partitionsWithBrokerInIsr(image, brokerId)));
  return records;
}

/**
 * A registered broker registers again (it restarted): its old incarnation leaves every ISR, as if
 * fenced. With ELR on, an unclean restart (previousBrokerEpoch does not match) also drops it from
 * every ELR, since it may have lost records it had acknowledged (KIP-966).
 */
export function handleBrokerShutdown(image: MetadataImage, config: ControllerConfig, brokerId: NodeId, isCleanShutdown: boolean): PartitionChangeRecord[] {
  if (config.eligibleLeaderReplicasEnable && !isCleanShutdown) {
    const update = { brokerToRemove: null, brokerToAdd: null, brokerWithUncleanShutdown: brokerId };
    return generateLeaderAndIsrUpdates(image, config, update, partitionsWithBrokerInIsrOrElr(image, brokerId));
  }
  const update = { brokerToRemove: brokerId, brokerToAdd: null, brokerWithUncleanShutdown: null };
  return generateLeaderAndIsrUpdates(image, config, update, partitionsWithBrokerInIsr(image, brokerId));
}

// ---- CreateTopics ----

export interface ControllerResult<T> {
  readonly records: MetadataRecord[];
  readonly response: T;
}

type CreateTopicsResult = CreateTopicsResponse['topics'][number];

export function createTopics(
  image: MetadataImage,
  request: CreateTopicsRequest,
  random: Random,
): ControllerResult<Omit<CreateTopicsResponse, 'correlationId'>> {
  const records: MetadataRecord[] = [];
  const results: CreateTopicsResult[] = [];
  const created = new Set<string>();
  const brokers = activeBrokers(image);
  for (const topic of request.topics) {
    const fail = (errorCode: KafkaErrorCode, errorMessage: string): void => {
      results.push({ name: topic.name, errorCode, errorMessage });
    };
    if (image.topics.has(topic.name) || created.has(topic.name)) {
      fail('TOPIC_ALREADY_EXISTS', `Topic '${topic.name}' already exists.`);
      continue;
    }
    const manual = topic.assignments !== undefined && topic.assignments.length > 0;
    const problem = manual ? invalidAssignment(topic, image) : invalidCounts(topic, brokers.length);
    if (problem !== null) {
      fail(problem.errorCode, problem.message);
      continue;
    }
    created.add(topic.name);
    const topicId = newTopicId(random);
    records.push({ type: 'TopicRecord', name: topic.name, topicId });
    for (const name of Object.keys(topic.configs).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
      records.push({ type: 'ConfigRecord', resourceType: 'TOPIC', resourceName: topic.name, name, value: topic.configs[name]! });
    }
    const assignment = manual
      ? [...topic.assignments!].sort((a, b) => a.partitionIndex - b.partitionIndex).map((entry) => [...entry.brokerIds])
      : placeReplicas({ numPartitions: topic.numPartitions, replicationFactor: topic.replicationFactor, brokers }, random);
    assignment.forEach((replicas, partitionId) => {
      records.push({
        type: 'PartitionRecord',
        topicId,
        partitionId,
        replicas,
        isr: replicas,
        eligibleLeaderReplicas: [],
        leader: replicas[0]!,
        leaderEpoch: 0,
        partitionEpoch: 0,
      });
    });
    results.push({ name: topic.name, errorCode: 'NONE', errorMessage: null });
  }
  return { records, response: { api: 'CreateTopicsResponse', topics: results } };
}

type CreatableTopic = CreateTopicsRequest['topics'][number];
type TopicProblem = { errorCode: KafkaErrorCode; message: string } | null;

/** Kafka's checks of a topic placed by the controller: positive counts, enough active brokers. */
function invalidCounts(topic: CreatableTopic, activeBrokerCount: number): TopicProblem {
  if (!Number.isSafeInteger(topic.numPartitions) || topic.numPartitions <= 0) {
    return { errorCode: 'INVALID_PARTITIONS', message: `Number of partitions must be larger than 0, got ${topic.numPartitions}.` };
  }
  if (!Number.isSafeInteger(topic.replicationFactor) || topic.replicationFactor <= 0) {
    return { errorCode: 'INVALID_REPLICATION_FACTOR', message: `Replication factor must be larger than 0, got ${topic.replicationFactor}.` };
  }
  if (topic.replicationFactor > activeBrokerCount) {
    return {
      errorCode: 'INVALID_REPLICATION_FACTOR',
      message: `Unable to replicate the partition ${topic.replicationFactor} time(s): only ${activeBrokerCount} broker(s) are active.`,
    };
  }
  return null;
}

/**
 * Kafka's checks of a manual assignment: no counts beside it, partitions 0..n-1 once each, one
 * replica count, registered brokers, no broker twice.
 */
function invalidAssignment(topic: CreatableTopic, image: MetadataImage): TopicProblem {
  const bad = (message: string): TopicProblem => ({ errorCode: 'INVALID_REPLICA_ASSIGNMENT', message });
  if (topic.numPartitions !== -1 || topic.replicationFactor !== -1) {
    return { errorCode: 'INVALID_REQUEST', message: 'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.' };
  }
  const assignments = topic.assignments!;
  const indexes = assignments.map((entry) => entry.partitionIndex).sort((a, b) => a - b);
  if (indexes.some((index, i) => index !== i)) return bad(`Partitions must be numbered 0 to ${assignments.length - 1}, got ${indexes.join(', ')}.`);
  const replicationFactor = assignments[0]!.brokerIds.length;
  for (const entry of assignments) {
    if (entry.brokerIds.length === 0 || entry.brokerIds.length !== replicationFactor) {
      return bad(`All partitions should have the same number of replicas: partition ${entry.partitionIndex} has ${entry.brokerIds.length}, partition 0 has ${replicationFactor}.`);
    }
    if (new Set(entry.brokerIds).size !== entry.brokerIds.length) return bad(`Duplicate brokers not allowed in replica assignment: ${entry.brokerIds.join(', ')} for partition ${entry.partitionIndex}.`);
    const unknown = entry.brokerIds.find((id) => !image.brokers.has(id));
    if (unknown !== undefined) return bad(`The manual partition assignment includes broker ${unknown}, but no such broker is registered.`);
  }
  return null;
}

/** A topic id drawn from the node's seeded stream (Kafka draws a random UUID). */
function newTopicId(random: Random): string {
  let id = '';
  for (let i = 0; i < 8; i++) id += random.nextInt(0, 0x1_0000).toString(16).padStart(4, '0');
  return id;
}

// ---- AlterPartition ----

type AlterPartitionTopic = AlterPartitionResponse['topics'][number];
type AlterPartitionPartitionResponse = AlterPartitionTopic['partitions'][number];
type AlterPartitionPartitionData = AlterPartitionRequest['topics'][number]['partitions'][number];

export function alterPartition(
  image: MetadataImage,
  config: ControllerConfig,
  request: AlterPartitionRequest,
): ControllerResult<Omit<AlterPartitionResponse, 'correlationId'>> {
  const brokerEpochError = checkBrokerEpoch(image, request.brokerId, request.brokerEpoch);
  if (brokerEpochError !== 'NONE') return { records: [], response: { api: 'AlterPartitionResponse', errorCode: brokerEpochError, topics: [] } };
  const records: MetadataRecord[] = [];
  const topics: AlterPartitionTopic[] = [];
  for (const topicData of request.topics) {
    const partitions: AlterPartitionPartitionResponse[] = [];
    for (const partitionData of topicData.partitions) {
      const partition = image.topics.get(topicData.topicName)?.partitions[partitionData.partitionIndex];
      const error = validateAlterPartitionData(image, request.brokerId, partition, partitionData);
      if (error !== 'NONE' || partition === undefined) {
        partitions.push(errorPartition(partitionData.partitionIndex, error === 'NONE' ? 'UNKNOWN_TOPIC_OR_PARTITION' : error));
        continue;
      }
      // The leader sends AlterPartition only once it has recovered (ksim's request has no
      // leaderRecoveryState field; Kafka's leader sets RECOVERED on its first ISR change).
      const record = builderFor(image, config, partition, (replica) => isActiveBroker(image, replica))
        .setTargetIsr(partitionData.newIsrWithEpochs.map((state) => state.brokerId))
        .setTargetLeaderRecoveryState('RECOVERED')
        .build();
      let result = partition;
      if (record !== null) {
        records.push(record);
        result = mergePartitionChange(partition, record);
        if (record.leader !== undefined && record.leader !== request.brokerId) {
          // Only a completed reassignment moves the leader here; the requester must refetch metadata.
          partitions.push(errorPartition(partitionData.partitionIndex, 'NEW_LEADER_ELECTED'));
          continue;
        }
      }
      partitions.push({
        partitionIndex: partitionData.partitionIndex,
        errorCode: 'NONE',
        leaderId: result.leader,
        leaderEpoch: result.leaderEpoch,
        isr: result.isr,
        partitionEpoch: result.partitionEpoch,
      });
    }
    topics.push({ topicName: topicData.topicName, partitions });
  }
  return { records, response: { api: 'AlterPartitionResponse', errorCode: 'NONE', topics } };
}

/** Kafka's validateAlterPartitionData, in Kafka's order. */
export function validateAlterPartitionData(
  image: MetadataImage,
  brokerId: NodeId,
  partition: PartitionRegistration | undefined,
  data: AlterPartitionPartitionData,
): KafkaErrorCode {
  if (partition === undefined) return 'UNKNOWN_TOPIC_OR_PARTITION';
  // A requester that knows a newer epoch than ours has heard from a newer controller.
  if (data.leaderEpoch > partition.leaderEpoch || data.partitionEpoch > partition.partitionEpoch) return 'NOT_CONTROLLER';
  if (data.leaderEpoch < partition.leaderEpoch) return 'FENCED_LEADER_EPOCH';
  if (brokerId !== partition.leader) return 'NOT_LEADER_OR_FOLLOWER';
  if (data.partitionEpoch < partition.partitionEpoch) return 'INVALID_UPDATE_VERSION';
  const newIsr = data.newIsrWithEpochs.map((state) => state.brokerId);
  const isValidIsr = new Set(newIsr).size === newIsr.length && newIsr.every((id) => partition.replicas.includes(id)) && newIsr.includes(brokerId);
  if (!isValidIsr) return 'INELIGIBLE_REPLICA';
  for (const state of data.newIsrWithEpochs) {
    const registration = image.brokers.get(state.brokerId);
    if (registration === undefined || registration.inControlledShutdown || registration.fenced) return 'INELIGIBLE_REPLICA';
    // KIP-903: a replica that restarted (new epoch) may have lost what it had; -1 skips the check.
    if (state.brokerEpoch !== -1 && state.brokerEpoch !== registration.brokerEpoch) return 'INELIGIBLE_REPLICA';
  }
  return 'NONE';
}

function errorPartition(partitionIndex: number, errorCode: KafkaErrorCode): AlterPartitionPartitionResponse {
  return { partitionIndex, errorCode, leaderId: null, leaderEpoch: -1, isr: [], partitionEpoch: -1 };
}

// ---- AllocateProducerIds (ProducerIdControlManager) ----

export function allocateProducerIds(
  image: MetadataImage,
  brokerId: NodeId,
  brokerEpoch: number,
): ControllerResult<{ readonly errorCode: KafkaErrorCode; readonly producerIdStart: number; readonly producerIdLen: number }> {
  const error = checkBrokerEpoch(image, brokerId, brokerEpoch);
  if (error !== 'NONE') return { records: [], response: { errorCode: error, producerIdStart: -1, producerIdLen: 0 } };
  const start = image.nextProducerId;
  return {
    records: [{ type: 'ProducerIdsRecord', brokerId, brokerEpoch, nextProducerId: start + PRODUCER_ID_BLOCK_SIZE }],
    response: { errorCode: 'NONE', producerIdStart: start, producerIdLen: PRODUCER_ID_BLOCK_SIZE },
  };
}
