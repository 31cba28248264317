/**
 * MetadataImage replay: Kafka's MetadataDelta applied to a MetadataImage, one record at a time.
 *
 * What it models: how every controller and broker turns the committed metadata log into the
 * cluster's state — broker registrations, topics, partition registrations (with Kafka's epoch
 * rules from PartitionRegistration.merge), topic configs and the producer id block — and how that
 * state is written into and read back from a raft snapshot.
 *
 * Epoch rules (PartitionRegistration.merge): a PartitionChangeRecord that sets `leader` (even to
 * the same broker) bumps leaderEpoch; every PartitionChangeRecord bumps partitionEpoch. So
 * (leader, leaderEpoch) names one leadership, and partitionEpoch names one ISR/ELR state, which
 * AlterPartition's compare-and-set relies on (KIP-497).
 *
 * Invariants (checked on every replay, a violation throws because the log is then corrupt or the
 * controller wrote a bad record): offsets never go down; a partition's leader is in its ISR or
 * null; ISR and ELR are disjoint subsets of the replicas; epochs never go down; a change record
 * for a broker names its current epoch.
 *
 * `replay` is pure: it returns a new image and shares every unchanged map, topic and partition
 * with the old one (copy on write), so keeping an older image costs little.
 *
 * Left out: RemoveTopicRecord (no topic deletion yet), BROKER-resource configs (the image has no
 * place for them; they are skipped), features and ACLs.
 */
import type { NodeId } from '../host.js';
import { compareNodeIds } from './nodeIds.js';
import { decodeMetadataBatch } from './records.js';
import type { BrokerRegistration, MetadataImage, MetadataRecord, PartitionRegistration, TopicImage } from './types.js';

type ChangeRecord = Extract<MetadataRecord, { type: 'PartitionChangeRecord' }>;

export function emptyImage(): MetadataImage {
  return { offset: -1, brokers: new Map(), topics: new Map(), nextProducerId: 0 };
}

/** Replays one committed record at `offset` (the offset of the raft entry holding it). */
export function replay(image: MetadataImage, offset: number, record: MetadataRecord): MetadataImage {
  if (!Number.isSafeInteger(offset) || offset < image.offset) {
    throw new Error(`replay: offset ${offset} is behind the image at ${image.offset}`);
  }
  const next = applyRecord(image, record);
  return next.offset === offset ? next : { ...next, offset };
}

/** Replays every record of one raft entry (an atomic batch, see records.ts). */
export function replayBatch(image: MetadataImage, offset: number, bytes: Uint8Array): MetadataImage {
  let next = image;
  for (const record of decodeMetadataBatch(bytes)) next = replay(next, offset, record);
  return next;
}

function applyRecord(image: MetadataImage, record: MetadataRecord): MetadataImage {
  switch (record.type) {
    case 'RegisterBrokerRecord':
      return withBroker(image, {
        brokerId: record.brokerId,
        brokerEpoch: record.brokerEpoch,
        incarnationId: record.incarnationId,
        fenced: record.fenced,
        inControlledShutdown: false,
        rack: record.rack,
      });
    case 'BrokerRegistrationChangeRecord': {
      const current = brokerOrThrow(image, record.brokerId, record.brokerEpoch);
      return withBroker(image, { ...current, fenced: record.fenced, inControlledShutdown: record.inControlledShutdown });
    }
    case 'UnregisterBrokerRecord': {
      brokerOrThrow(image, record.brokerId, record.brokerEpoch);
      const brokers = new Map(image.brokers);
      brokers.delete(record.brokerId);
      return { ...image, brokers };
    }
    case 'TopicRecord': {
      if (image.topics.has(record.name)) throw new Error(`replay: topic ${record.name} already exists`);
      if (findTopicById(image, record.topicId) !== undefined) throw new Error(`replay: topic id ${record.topicId} already exists`);
      return withTopic(image, { name: record.name, topicId: record.topicId, partitions: [], configs: {} });
    }
    case 'PartitionRecord': {
      const topic = topicByIdOrThrow(image, record.topicId);
      if (record.partitionId !== topic.partitions.length) {
        throw new Error(`replay: partition ${topic.name}-${record.partitionId} out of order (have ${topic.partitions.length})`);
      }
      const partition: PartitionRegistration = {
        topic: topic.name,
        topicId: topic.topicId,
        partitionId: record.partitionId,
        replicas: [...record.replicas],
        isr: [...record.isr],
        eligibleLeaderReplicas: [...record.eligibleLeaderReplicas],
        lastKnownElr: [],
        leader: record.leader,
        leaderEpoch: record.leaderEpoch,
        partitionEpoch: record.partitionEpoch,
        leaderRecoveryState: 'RECOVERED',
      };
      checkPartition(partition);
      return withTopic(image, { ...topic, partitions: [...topic.partitions, partition] });
    }
    case 'PartitionChangeRecord': {
      const topic = topicByIdOrThrow(image, record.topicId);
      const current = topic.partitions[record.partitionId];
      if (current === undefined) throw new Error(`replay: unknown partition ${topic.name}-${record.partitionId}`);
      const partitions = [...topic.partitions];
      partitions[record.partitionId] = mergePartitionChange(current, record);
      return withTopic(image, { ...topic, partitions });
    }
    case 'ConfigRecord': {
      if (record.resourceType !== 'TOPIC') return image;
      const topic = image.topics.get(record.resourceName);
      if (topic === undefined) throw new Error(`replay: config ${record.name} for unknown topic ${record.resourceName}`);
      const configs = { ...topic.configs };
      if (record.value === null) delete configs[record.name];
      else configs[record.name] = record.value;
      return withTopic(image, { ...topic, configs });
    }
    case 'ProducerIdsRecord':
      if (record.nextProducerId <= image.nextProducerId) {
        throw new Error(`replay: producer id block went back from ${image.nextProducerId} to ${record.nextProducerId}`);
      }
      return { ...image, nextProducerId: record.nextProducerId };
    default: {
      const unreachable: never = record;
      throw new Error(`replay: unknown record ${JSON.stringify(unreachable)}`);
    }
  }
}

/** Kafka's PartitionRegistration.merge: the fields the record sets, plus the epoch rules above. */
export function mergePartitionChange(partition: PartitionRegistration, record: ChangeRecord): PartitionRegistration {
  const leaderChanges = record.leader !== undefined;
  const merged: PartitionRegistration = {
    ...partition,
    isr: record.isr !== undefined ? [...record.isr] : partition.isr,
    eligibleLeaderReplicas: record.eligibleLeaderReplicas !== undefined ? [...record.eligibleLeaderReplicas] : partition.eligibleLeaderReplicas,
    lastKnownElr: record.lastKnownElr !== undefined ? [...record.lastKnownElr] : partition.lastKnownElr,
    leader: leaderChanges ? (record.leader ?? null) : partition.leader,
    leaderEpoch: leaderChanges ? partition.leaderEpoch + 1 : partition.leaderEpoch,
    partitionEpoch: partition.partitionEpoch + 1,
    leaderRecoveryState: record.leaderRecoveryState ?? partition.leaderRecoveryState,
  };
  checkPartition(merged);
  return merged;
}

function checkPartition(partition: PartitionRegistration): void {
  const name = `${partition.topic}-${partition.partitionId}`;
  const replicas = new Set(partition.replicas);
  if (replicas.size !== partition.replicas.length || replicas.size === 0) throw new Error(`partition ${name}: replicas ${partition.replicas.join(',')} not a non-empty set`);
  if (partition.isr.some((id) => !replicas.has(id))) throw new Error(`partition ${name}: ISR ${partition.isr.join(',')} not within replicas`);
  if (new Set(partition.isr).size !== partition.isr.length) throw new Error(`partition ${name}: ISR ${partition.isr.join(',')} has duplicates`);
  if (partition.eligibleLeaderReplicas.some((id) => !replicas.has(id) || partition.isr.includes(id))) {
    throw new Error(`partition ${name}: ELR ${partition.eligibleLeaderReplicas.join(',')} not disjoint from the ISR within replicas`);
  }
  if (partition.leader !== null && !partition.isr.includes(partition.leader)) throw new Error(`partition ${name}: leader ${partition.leader} not in ISR`);
  if (partition.leaderEpoch < 0 || partition.partitionEpoch < 0) throw new Error(`partition ${name}: negative epoch`);
}

function withBroker(image: MetadataImage, broker: BrokerRegistration): MetadataImage {
  const brokers = new Map(image.brokers);
  brokers.set(broker.brokerId, broker);
  return { ...image, brokers };
}

function withTopic(image: MetadataImage, topic: TopicImage): MetadataImage {
  const topics = new Map(image.topics);
  topics.set(topic.name, topic);
  return { ...image, topics };
}

function brokerOrThrow(image: MetadataImage, brokerId: NodeId, brokerEpoch: number): BrokerRegistration {
  const broker = image.brokers.get(brokerId);
  if (broker === undefined) throw new Error(`replay: broker ${brokerId} is not registered`);
  if (broker.brokerEpoch !== brokerEpoch) throw new Error(`replay: broker ${brokerId} has epoch ${broker.brokerEpoch}, record names ${brokerEpoch}`);
  return broker;
}

export function findTopicById(image: MetadataImage, topicId: string): TopicImage | undefined {
  for (const topic of image.topics.values()) if (topic.topicId === topicId) return topic;
  return undefined;
}

function topicByIdOrThrow(image: MetadataImage, topicId: string): TopicImage {
  const topic = findTopicById(image, topicId);
  if (topic === undefined) throw new Error(`replay: unknown topic id ${topicId}`);
  return topic;
}

// ---- Snapshots ----

const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface ImageSnapshot {
  readonly offset: number;
  readonly brokers: readonly BrokerRegistration[];
  readonly topics: readonly TopicImage[];
  readonly nextProducerId: number;
}

/** The whole image as a raft snapshot payload; map order is kept, so decode rebuilds it exactly. */
export function encodeImage(image: MetadataImage): Uint8Array {
  const snapshot: ImageSnapshot = {
    offset: image.offset,
    brokers: [...image.brokers.values()],
    topics: [...image.topics.values()],
    nextProducerId: image.nextProducerId,
  };
  return encoder.encode(JSON.stringify(snapshot));
}

export function decodeImage(bytes: Uint8Array): MetadataImage {
  const snapshot = JSON.parse(decoder.decode(bytes)) as ImageSnapshot;
  if (!Number.isSafeInteger(snapshot.offset) || !Array.isArray(snapshot.brokers) || !Array.isArray(snapshot.topics)) {
    throw new Error('decodeImage: not a metadata image snapshot');
  }
  for (const topic of snapshot.topics) for (const partition of topic.partitions) checkPartition(partition);
  return {
    offset: snapshot.offset,
    brokers: new Map(snapshot.brokers.map((broker) => [broker.brokerId, broker])),
    topics: new Map(snapshot.topics.map((topic) => [topic.name, topic])),
    nextProducerId: snapshot.nextProducerId,
  };
}

// ---- Helpers for brokers and the controller ----

/** Every partition whose leader is `brokerId`, in topic then partition order. */
export function partitionsLedBy(image: MetadataImage, brokerId: NodeId): PartitionRegistration[] {
  return allPartitions(image).filter((partition) => partition.leader === brokerId);
}

/** Every partition with a replica on `brokerId`, in topic then partition order. */
export function partitionsReplicatedOn(image: MetadataImage, brokerId: NodeId): PartitionRegistration[] {
  return allPartitions(image).filter((partition) => partition.replicas.includes(brokerId));
}

export function allPartitions(image: MetadataImage): PartitionRegistration[] {
  const out: PartitionRegistration[] = [];
  for (const topic of image.topics.values()) out.push(...topic.partitions);
  return out;
}

/** The registered, unfenced brokers, in node id order (Kafka's "live" brokers of a Metadata response). */
export function liveBrokers(image: MetadataImage): NodeId[] {
  const ids: NodeId[] = [];
  for (const broker of image.brokers.values()) if (!broker.fenced) ids.push(broker.brokerId);
  return ids.sort(compareNodeIds);
}

/** A topic-level config (Kafka's name), or the cluster default when the topic does not set it. */
export function topicConfig(image: MetadataImage, topic: string, key: string, clusterDefault: string): string {
  return image.topics.get(topic)?.configs[key] ?? clusterDefault;
}

export function partitionOf(image: MetadataImage, topic: string, partitionId: number): PartitionRegistration | undefined {
  return image.topics.get(topic)?.partitions[partitionId];
}
