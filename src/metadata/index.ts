/**
 * The public surface of the cluster metadata for brokers, controllers and the simulation: the
 * record and image types, the record encoding of one metadata log entry, image replay and
 * snapshots, and the lookups a broker needs.
 */

export type { BrokerRegistration, LeaderId, MetadataImage, MetadataRecord, PartitionRegistration, TopicImage } from './types.js';
export { decodeMetadataBatch, decodeMetadataRecord, encodeMetadataBatch, encodeMetadataRecord } from './records.js';
export {
  allPartitions,
  decodeImage,
  emptyImage,
  encodeImage,
  findTopicById,
  liveBrokers,
  mergePartitionChange,
  partitionOf,
  partitionsLedBy,
  partitionsReplicatedOn,
  replay,
  replayBatch,
  topicConfig,
} from './image.js';
export { compareNodeIds } from './nodeIds.js';
