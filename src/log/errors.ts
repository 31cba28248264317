/**
 * The Kafka error codes a partition log can answer with. Protocol failures are returned as data
 * (`{ error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' }`), never thrown; exceptions are for broken invariants.
 *
 * The numbers and retriable flags are Kafka's (org.apache.kafka.common.protocol.Errors), so a
 * response built from them reads like a real broker's. One name is ours: UNEXPECTED_APPEND_OFFSET is
 * Kafka's UnexpectedAppendOffsetException, which has no wire code because it never leaves the
 * broker; it tells the local replica fetcher that a fetched batch does not start at its LEO.
 */

export type LogErrorCode =
  | 'OFFSET_OUT_OF_RANGE'
  | 'CORRUPT_MESSAGE'
  | 'MESSAGE_TOO_LARGE'
  | 'RECORD_LIST_TOO_LARGE'
  | 'INVALID_RECORD'
  | 'OUT_OF_ORDER_SEQUENCE_NUMBER'
  | 'DUPLICATE_SEQUENCE_NUMBER'
  | 'INVALID_PRODUCER_EPOCH'
  | 'KAFKA_STORAGE_ERROR'
  | 'UNEXPECTED_APPEND_OFFSET';

export interface LogErrorInfo {
  /** Kafka's wire code, or -1 for the broker-local UNEXPECTED_APPEND_OFFSET. */
  readonly code: number;
  readonly retriable: boolean;
}

export const LOG_ERRORS: Readonly<Record<LogErrorCode, LogErrorInfo>> = {
  OFFSET_OUT_OF_RANGE: { code: 1, retriable: false },
  CORRUPT_MESSAGE: { code: 2, retriable: true },
  MESSAGE_TOO_LARGE: { code: 10, retriable: false },
  RECORD_LIST_TOO_LARGE: { code: 18, retriable: false },
  OUT_OF_ORDER_SEQUENCE_NUMBER: { code: 45, retriable: false },
  DUPLICATE_SEQUENCE_NUMBER: { code: 46, retriable: false },
  // Since Kafka 2.7 (KIP-588) code 47 means "abort and retry", and PRODUCER_FENCED (90) is the fatal one.
  INVALID_PRODUCER_EPOCH: { code: 47, retriable: false },
  KAFKA_STORAGE_ERROR: { code: 56, retriable: true },
  INVALID_RECORD: { code: 87, retriable: false },
  UNEXPECTED_APPEND_OFFSET: { code: -1, retriable: false },
};

/**
 * Kafka's KafkaStorageException: a write to a log directory failed (the disk is full). Thrown where
 * the owner cannot go on without the write — the metadata log and its quorum-state and snapshot
 * files, whose raft client then halts, as Kafka does when its metadata log directory fails.
 * Partition logs answer KAFKA_STORAGE_ERROR instead and leave the decision to the broker.
 */
export class KafkaStorageException extends Error {
  override readonly name = 'KafkaStorageException';
}
