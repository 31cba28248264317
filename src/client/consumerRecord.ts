/**
 * What a consumer's poll hands the application: records, or one of the exceptions Kafka's
 * KafkaConsumer throws from poll and commit, as data (protocol code raises no exceptions for
 * protocol outcomes).
 *
 * | exception              | when                                                                 |
 * |------------------------|----------------------------------------------------------------------|
 * | NoOffsetForPartition   | auto.offset.reset=none and a partition has no committed offset        |
 * | OffsetOutOfRange       | auto.offset.reset=none and the position is outside the leader's log   |
 * | LogTruncation          | auto.offset.reset=none and validation found the log truncated (KIP-320) |
 * | CommitFailed           | a commit the group can no longer accept (the member was fenced or left) |
 * | RebalanceInProgress    | a commit during a rebalance; retry after poll completes it            |
 * | FencedInstanceId       | another consumer took this group.instance.id (KIP-345)               |
 * | Timeout                | a blocking call ran out of default.api.timeout.ms                     |
 */

import type { TopicPartition } from '../protocol/apis.js';
import type { KafkaErrorCode } from '../protocol/errors.js';
import type { LogTruncation } from './subscriptionState.js';

export interface ConsumerRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** The leader epoch of the batch that holds it. */
  readonly leaderEpoch: number;
  readonly key: string | null;
  readonly value: string | null;
  readonly timestampMs: number;
}

export type ConsumerException =
  | { readonly kind: 'NoOffsetForPartition'; readonly partitions: readonly TopicPartition[] }
  | { readonly kind: 'OffsetOutOfRange'; readonly partition: TopicPartition; readonly offset: number }
  | { readonly kind: 'LogTruncation'; readonly truncation: LogTruncation }
  | { readonly kind: 'CommitFailed'; readonly error: KafkaErrorCode | null }
  | { readonly kind: 'RebalanceInProgress' }
  | { readonly kind: 'FencedInstanceId' }
  | { readonly kind: 'Timeout' }
  /** A retriable failure a blocking call gave up on, or an async commit's (RetriableCommitFailedException). */
  | { readonly kind: 'RetriableCommitFailed'; readonly error: KafkaErrorCode | 'NETWORK_EXCEPTION' | 'REQUEST_TIMED_OUT' | 'COORDINATOR_NOT_AVAILABLE' }
  | { readonly kind: 'KafkaException'; readonly error: KafkaErrorCode };

/** The Kafka error code behind an exception, or the exception's name when it has none. */
export function errorNameOf(exception: ConsumerException): string {
  return 'error' in exception && exception.error !== null ? exception.error : exception.kind;
}

export function describeConsumerException(exception: ConsumerException): string {
  switch (exception.kind) {
    case 'NoOffsetForPartition':
      return `NoOffsetForPartitionException: ${exception.partitions.map((p) => `${p.topic}-${p.partition}`).join(', ')}`;
    case 'OffsetOutOfRange':
      return `OffsetOutOfRangeException: ${exception.partition.topic}-${exception.partition.partition} at ${exception.offset}`;
    case 'LogTruncation':
      return `LogTruncationException: ${exception.truncation.partition.topic}-${exception.truncation.partition.partition} at ${exception.truncation.fetchPosition.offset}`;
    case 'CommitFailed':
      return `CommitFailedException${exception.error === null ? '' : ` (${exception.error})`}`;
    case 'RebalanceInProgress':
      return 'RebalanceInProgressException';
    case 'FencedInstanceId':
      return 'FencedInstanceIdException';
    case 'Timeout':
      return 'TimeoutException';
    case 'RetriableCommitFailed':
      return `RetriableCommitFailedException (${exception.error})`;
    case 'KafkaException':
      return `KafkaException (${exception.error})`;
    default: {
      const unknown: never = exception;
      return String(unknown);
    }
  }
}
