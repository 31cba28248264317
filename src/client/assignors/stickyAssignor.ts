/**
 * Kafka's StickyAssignor ("sticky", KIP-54): the sticky assignment under the eager protocol. An
 * eager member revokes all its partitions before it joins, so it cannot report them as owned; it
 * carries them instead in its subscription's user data (StickyAssignorUserData: its last
 * assignment and generation), and the leader reads ownership from there.
 *
 * State: the last assignment and generation this member received (`onAssignment`), lost with the
 * process, as in Kafka: a restarted member claims nothing; and, as a leader, the highest member
 * generation it has seen (AbstractStickyAssignor.maxGeneration, never reset).
 */

import type { TopicPartition } from '../../protocol/apis.js';
import { DEFAULT_GENERATION, type GroupAssignment, type PartitionAssignor, type StickyAssignorUserData, type Subscription } from './partitionAssignor.js';
import { type MemberData, stickyAssign } from './stickyAssignment.js';

export class StickyAssignor implements PartitionAssignor {
  readonly name = 'sticky';
  readonly supportedProtocols = ['EAGER'] as const;
  private memberAssignment: readonly TopicPartition[] | null = null;
  private generation: number | null = null;
  private maxGeneration = DEFAULT_GENERATION;

  subscriptionUserData(): StickyAssignorUserData | null {
    return this.memberAssignment === null ? null : { partitions: this.memberAssignment, generation: this.generation };
  }

  assign(partitionsPerTopic: ReadonlyMap<string, number>, subscriptions: ReadonlyMap<string, Subscription>): GroupAssignment {
    const result = stickyAssign(partitionsPerTopic, subscriptions, memberDataFromUserData, this.maxGeneration);
    this.maxGeneration = result.maxGeneration;
    return result.assignment;
  }

  onAssignment(partitions: readonly TopicPartition[], generationId: number): void {
    this.memberAssignment = [...partitions];
    this.generation = generationId;
  }
}

/** Ownership always comes from the user data: owned partitions are empty under the eager protocol. */
function memberDataFromUserData(subscription: Subscription): MemberData {
  return subscription.userData === null ? { partitions: [], generation: null } : { partitions: subscription.userData.partitions, generation: subscription.userData.generation };
}
