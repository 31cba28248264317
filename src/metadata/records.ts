/**
 * The encoding of KRaft metadata records inside the metadata log's entries.
 *
 * What it models: Kafka's ApiMessageAndVersion serialization of metadata records, reduced to JSON.
 * The metadata log's record batches already frame each record and check its CRC, so the payload
 * needs no framing of its own. One raft entry holds one *batch* of records that the controller proposed together; the
 * batch is atomic (all its records commit, or none), as Kafka's atomic record batches are, so that
 * a TopicRecord never commits without its ConfigRecords and PartitionRecords. Every record of a
 * batch replays at the entry's offset.
 *
 * Invariants: decode(encode(x)) deep-equals x; a payload that does not decode to well-formed
 * records is a broken invariant (the CRC already caught corruption), so decoding throws.
 *
 * Left out: record versions and tagged fields; Kafka's frame-level compression.
 */
import type { MetadataRecord } from './types.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Every record type this encoding accepts, with the fields each must carry. */
const REQUIRED_FIELDS: Readonly<Record<MetadataRecord['type'], readonly string[]>> = {
  RegisterBrokerRecord: ['brokerId', 'brokerEpoch', 'incarnationId', 'fenced', 'rack'],
  BrokerRegistrationChangeRecord: ['brokerId', 'brokerEpoch', 'fenced', 'inControlledShutdown'],
  UnregisterBrokerRecord: ['brokerId', 'brokerEpoch'],
  TopicRecord: ['name', 'topicId'],
  PartitionRecord: ['topicId', 'partitionId', 'replicas', 'isr', 'eligibleLeaderReplicas', 'leader', 'leaderEpoch', 'partitionEpoch'],
  PartitionChangeRecord: ['topicId', 'partitionId'],
  ConfigRecord: ['resourceType', 'resourceName', 'name', 'value'],
  ProducerIdsRecord: ['brokerId', 'brokerEpoch', 'nextProducerId'],
};

export function encodeMetadataRecord(record: MetadataRecord): Uint8Array {
  return encoder.encode(JSON.stringify(record));
}

export function decodeMetadataRecord(bytes: Uint8Array): MetadataRecord {
  return validateRecord(JSON.parse(decoder.decode(bytes)) as unknown);
}

/** One raft entry's payload: an atomic batch of records (never empty). */
export function encodeMetadataBatch(records: readonly MetadataRecord[]): Uint8Array {
  if (records.length === 0) throw new Error('encodeMetadataBatch: an empty batch');
  return encoder.encode(JSON.stringify(records));
}

export function decodeMetadataBatch(bytes: Uint8Array): MetadataRecord[] {
  const parsed = JSON.parse(decoder.decode(bytes)) as unknown;
  if (!Array.isArray(parsed) || parsed.length === 0) throw new Error('decodeMetadataBatch: not a non-empty array of records');
  return parsed.map(validateRecord);
}

function validateRecord(value: unknown): MetadataRecord {
  if (typeof value !== 'object' || value === null) throw new Error(`metadata record: not an object: ${JSON.stringify(value)}`);
  const type = (value as { type?: unknown }).type;
  if (typeof type !== 'string' || !Object.hasOwn(REQUIRED_FIELDS, type)) throw new Error(`metadata record: unknown type ${String(type)}`);
  for (const field of REQUIRED_FIELDS[type as MetadataRecord['type']]) {
    if (!Object.hasOwn(value, field)) throw new Error(`metadata record ${type}: missing field ${field}`);
  }
  return value as MetadataRecord;
}
