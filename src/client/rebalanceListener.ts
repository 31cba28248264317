/**
 * Kafka's ConsumerRebalanceListener: what the application hears when its partitions change, always
 * from inside one of its own calls to the consumer (poll, close), never in between.
 *
 * - onPartitionsRevoked: before partitions are taken away in an orderly rebalance, while they are
 *   still owned, so the application can commit what it processed. Eager: every partition, before
 *   rejoining. Cooperative (KIP-429) and KIP-848: only those moving elsewhere.
 * - onPartitionsAssigned: after the new assignment is in place; under the cooperative protocols
 *   only the partitions added, and it is called even when none were (KIP-429).
 * - onPartitionsLost: when ownership already ended without a rebalance (the member was fenced or
 *   fell out of the group), so nothing may be committed for them any more.
 */

import type { TopicPartition } from '../protocol/apis.js';

export interface ConsumerRebalanceListener {
  onPartitionsRevoked(partitions: readonly TopicPartition[]): void;
  onPartitionsAssigned(partitions: readonly TopicPartition[]): void;
  onPartitionsLost(partitions: readonly TopicPartition[]): void;
}

/** The listener of a consumer that did not give one: Kafka's NoOpConsumerRebalanceListener. */
export const NO_OP_REBALANCE_LISTENER: ConsumerRebalanceListener = {
  onPartitionsRevoked: () => {},
  onPartitionsAssigned: () => {},
  onPartitionsLost: () => {},
};
