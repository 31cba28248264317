/**
 * Kafka's error codes, as the broker, controller and clients exchange them: the names, wire codes
 * and retriable flags of org.apache.kafka.common.protocol.Errors, so what a learner reads here is
 * what a real cluster answers. Protocol failures travel as these codes, never as exceptions.
 * The log's own subset lives in src/log/errors.ts; this table includes it.
 */
import { LOG_ERRORS, type LogErrorCode } from '../log/errors.js';

export type KafkaErrorCode =
  | 'NONE'
  | Exclude<LogErrorCode, 'UNEXPECTED_APPEND_OFFSET'>
  | 'UNKNOWN_TOPIC_OR_PARTITION'
  | 'LEADER_NOT_AVAILABLE'
  | 'NOT_LEADER_OR_FOLLOWER'
  | 'REQUEST_TIMED_OUT'
  | 'NETWORK_EXCEPTION'
  | 'NOT_CONTROLLER'
  | 'NOT_ENOUGH_REPLICAS'
  | 'NOT_ENOUGH_REPLICAS_AFTER_APPEND'
  | 'INVALID_REQUIRED_ACKS'
  | 'TOPIC_ALREADY_EXISTS'
  | 'INVALID_REPLICATION_FACTOR'
  | 'INVALID_PARTITIONS'
  | 'INVALID_REPLICA_ASSIGNMENT'
  | 'INVALID_REQUEST'
  | 'STALE_BROKER_EPOCH'
  | 'OFFSET_NOT_AVAILABLE'
  | 'FENCED_LEADER_EPOCH'
  | 'UNKNOWN_LEADER_EPOCH'
  | 'UNKNOWN_PRODUCER_ID'
  | 'PRODUCER_FENCED'
  | 'BROKER_ID_NOT_REGISTERED'
  | 'INELIGIBLE_REPLICA'
  | 'NEW_LEADER_ELECTED'
  | 'INVALID_UPDATE_VERSION'
  | 'COORDINATOR_LOAD_IN_PROGRESS'
  | 'UNKNOWN_SERVER_ERROR'
  // Consumer groups: the classic protocol, offsets and KIP-848.
  | 'OFFSET_METADATA_TOO_LARGE'
  | 'COORDINATOR_NOT_AVAILABLE'
  | 'NOT_COORDINATOR'
  | 'INVALID_TOPIC_EXCEPTION'
  | 'ILLEGAL_GENERATION'
  | 'INCONSISTENT_GROUP_PROTOCOL'
  | 'INVALID_GROUP_ID'
  | 'UNKNOWN_MEMBER_ID'
  | 'INVALID_SESSION_TIMEOUT'
  | 'REBALANCE_IN_PROGRESS'
  | 'INVALID_COMMIT_OFFSET_SIZE'
  | 'UNSUPPORTED_VERSION'
  | 'INVALID_CONFIG'
  | 'NON_EMPTY_GROUP'
  | 'GROUP_ID_NOT_FOUND'
  | 'MEMBER_ID_REQUIRED'
  | 'GROUP_MAX_SIZE_REACHED'
  | 'FENCED_INSTANCE_ID'
  | 'UNSTABLE_OFFSET_COMMIT'
  | 'UNKNOWN_TOPIC_ID'
  | 'FENCED_MEMBER_EPOCH'
  | 'UNRELEASED_INSTANCE_ID'
  | 'UNSUPPORTED_ASSIGNOR'
  | 'STALE_MEMBER_EPOCH';

export interface KafkaErrorInfo {
  readonly code: number;
  readonly retriable: boolean;
}

export const KAFKA_ERRORS: Readonly<Record<KafkaErrorCode, KafkaErrorInfo>> = {
  NONE: { code: 0, retriable: false },
  OFFSET_OUT_OF_RANGE: LOG_ERRORS.OFFSET_OUT_OF_RANGE,
  CORRUPT_MESSAGE: LOG_ERRORS.CORRUPT_MESSAGE,
  MESSAGE_TOO_LARGE: LOG_ERRORS.MESSAGE_TOO_LARGE,
  RECORD_LIST_TOO_LARGE: LOG_ERRORS.RECORD_LIST_TOO_LARGE,
  INVALID_RECORD: LOG_ERRORS.INVALID_RECORD,
  OUT_OF_ORDER_SEQUENCE_NUMBER: LOG_ERRORS.OUT_OF_ORDER_SEQUENCE_NUMBER,
  DUPLICATE_SEQUENCE_NUMBER: LOG_ERRORS.DUPLICATE_SEQUENCE_NUMBER,
  INVALID_PRODUCER_EPOCH: LOG_ERRORS.INVALID_PRODUCER_EPOCH,
  KAFKA_STORAGE_ERROR: LOG_ERRORS.KAFKA_STORAGE_ERROR,
  UNKNOWN_SERVER_ERROR: { code: -1, retriable: false },
  UNKNOWN_TOPIC_OR_PARTITION: { code: 3, retriable: true },
  LEADER_NOT_AVAILABLE: { code: 5, retriable: true },
  NOT_LEADER_OR_FOLLOWER: { code: 6, retriable: true },
  REQUEST_TIMED_OUT: { code: 7, retriable: true },
  NETWORK_EXCEPTION: { code: 13, retriable: true },
  COORDINATOR_LOAD_IN_PROGRESS: { code: 14, retriable: true },
  NOT_ENOUGH_REPLICAS: { code: 19, retriable: true },
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: { code: 20, retriable: true },
  INVALID_REQUIRED_ACKS: { code: 21, retriable: false },
  TOPIC_ALREADY_EXISTS: { code: 36, retriable: false },
  INVALID_PARTITIONS: { code: 37, retriable: false },
  INVALID_REPLICATION_FACTOR: { code: 38, retriable: false },
  INVALID_REPLICA_ASSIGNMENT: { code: 39, retriable: false },
  INVALID_REQUEST: { code: 42, retriable: false },
  NOT_CONTROLLER: { code: 41, retriable: true },
  UNKNOWN_PRODUCER_ID: { code: 59, retriable: false },
  FENCED_LEADER_EPOCH: { code: 74, retriable: true },
  UNKNOWN_LEADER_EPOCH: { code: 75, retriable: true },
  STALE_BROKER_EPOCH: { code: 77, retriable: false },
  OFFSET_NOT_AVAILABLE: { code: 78, retriable: true },
  PRODUCER_FENCED: { code: 90, retriable: false },
  NEW_LEADER_ELECTED: { code: 91, retriable: true },
  INVALID_UPDATE_VERSION: { code: 95, retriable: false },
  INELIGIBLE_REPLICA: { code: 107, retriable: false },
  BROKER_ID_NOT_REGISTERED: { code: 102, retriable: false },
  // Consumer groups. Retriable as Kafka's exception classes are (RetriableException or not).
  OFFSET_METADATA_TOO_LARGE: { code: 12, retriable: false },
  COORDINATOR_NOT_AVAILABLE: { code: 15, retriable: true },
  NOT_COORDINATOR: { code: 16, retriable: true },
  INVALID_TOPIC_EXCEPTION: { code: 17, retriable: false },
  ILLEGAL_GENERATION: { code: 22, retriable: false },
  INCONSISTENT_GROUP_PROTOCOL: { code: 23, retriable: false },
  INVALID_GROUP_ID: { code: 24, retriable: false },
  UNKNOWN_MEMBER_ID: { code: 25, retriable: false },
  INVALID_SESSION_TIMEOUT: { code: 26, retriable: false },
  REBALANCE_IN_PROGRESS: { code: 27, retriable: false },
  INVALID_COMMIT_OFFSET_SIZE: { code: 28, retriable: false },
  UNSUPPORTED_VERSION: { code: 35, retriable: false },
  INVALID_CONFIG: { code: 40, retriable: false },
  NON_EMPTY_GROUP: { code: 68, retriable: false },
  GROUP_ID_NOT_FOUND: { code: 69, retriable: false },
  MEMBER_ID_REQUIRED: { code: 79, retriable: false },
  GROUP_MAX_SIZE_REACHED: { code: 81, retriable: false },
  FENCED_INSTANCE_ID: { code: 82, retriable: false },
  UNSTABLE_OFFSET_COMMIT: { code: 88, retriable: true },
  UNKNOWN_TOPIC_ID: { code: 100, retriable: true },
  FENCED_MEMBER_EPOCH: { code: 110, retriable: false },
  UNRELEASED_INSTANCE_ID: { code: 111, retriable: false },
  UNSUPPORTED_ASSIGNOR: { code: 112, retriable: false },
  STALE_MEMBER_EPOCH: { code: 113, retriable: false },
};

export function isRetriable(error: KafkaErrorCode): boolean {
  return KAFKA_ERRORS[error].retriable;
}
