/**
 * What a consumer reads and where it stands (Kafka's SubscriptionState): the subscription (topics to
 * be assigned by the group, or partitions the application assigned itself), the assigned partitions,
 * and per partition its fetch state and position.
 *
 * A partition's fetch state (Kafka's FetchStates), and its legal transitions:
 *
 * | from \ to        | FETCHING | AWAIT_RESET | AWAIT_VALIDATION |
 * |------------------|----------|-------------|------------------|
 * | INITIALIZING     | yes      | yes         | yes              |
 * | FETCHING         | yes      | yes         | yes              |
 * | AWAIT_RESET      | yes      | yes         | no               |
 * | AWAIT_VALIDATION | yes      | yes         | yes              |
 *
 * INITIALIZING: just assigned, no position (the committed offset is fetched, else a reset);
 * AWAIT_RESET: no position, a ListOffsets by the reset strategy is due; AWAIT_VALIDATION: a position
 * that must be checked against the leader's log before fetching from it (KIP-320: the leader changed
 * since the position's epoch, so the log may have been truncated under it); FETCHING: a valid
 * position. An illegal transition throws.
 *
 * Invariants: a partition has a position exactly when it is FETCHING or AWAIT_VALIDATION; only
 * FETCHING partitions that are neither paused nor pending revocation are fetched.
 *
 * Left out: pattern subscriptions, preferred read replicas (KIP-392), and transactional offsets.
 */

import type { NodeId } from '../host.js';
import { type TopicPartition, topicPartitionKey } from '../protocol/apis.js';
import { compareTopicPartitions } from './assignors/partitionAssignor.js';
import type { AutoOffsetReset } from './consumerConfig.js';

export type SubscriptionType = 'NONE' | 'AUTO_TOPICS' | 'USER_ASSIGNED';
export type FetchState = 'INITIALIZING' | 'FETCHING' | 'AWAIT_RESET' | 'AWAIT_VALIDATION';

/** The leader a position was last checked against (Metadata.LeaderAndEpoch); null when unknown. */
export interface LeaderAndEpoch {
  readonly leader: NodeId | null;
  readonly epoch: number | null;
}

/** SubscriptionState.FetchPosition: the next offset to fetch, the epoch of the record before it, and the leader. */
export interface FetchPosition {
  readonly offset: number;
  /** The leader epoch of the last record consumed (or of the committed offset), null when unknown. */
  readonly offsetEpoch: number | null;
  readonly currentLeader: LeaderAndEpoch;
}

/** OffsetAndMetadata, as committed and as consumed. */
export interface OffsetAndMetadata {
  readonly offset: number;
  readonly leaderEpoch: number | null;
}

/** What validation found when the leader's log no longer holds the position and no reset policy applies. */
export interface LogTruncation {
  readonly partition: TopicPartition;
  readonly fetchPosition: FetchPosition;
  /** The first offset known to diverge, when the leader knows the epoch. */
  readonly divergentOffset: OffsetAndMetadata | null;
}

const TRANSITIONS: Readonly<Record<FetchState, readonly FetchState[]>> = {
  INITIALIZING: ['FETCHING', 'AWAIT_RESET', 'AWAIT_VALIDATION'],
  FETCHING: ['FETCHING', 'AWAIT_RESET', 'AWAIT_VALIDATION'],
  AWAIT_RESET: ['FETCHING', 'AWAIT_RESET'],
  AWAIT_VALIDATION: ['FETCHING', 'AWAIT_RESET', 'AWAIT_VALIDATION'],
};

export function sameLeaderAndEpoch(a: LeaderAndEpoch, b: LeaderAndEpoch): boolean {
  return a.leader === b.leader && a.epoch === b.epoch;
}

export function samePosition(a: FetchPosition, b: FetchPosition): boolean {
  return a.offset === b.offset && a.offsetEpoch === b.offsetEpoch && sameLeaderAndEpoch(a.currentLeader, b.currentLeader);
}

/** SubscriptionState.TopicPartitionState. */
class TopicPartitionState {
  fetchState: FetchState = 'INITIALIZING';
  position: FetchPosition | null = null;
  highWatermark: number | null = null;
  logStartOffset: number | null = null;
  paused = false;
  pendingRevocation = false;
  resetStrategy: AutoOffsetReset | null = null;
  /** No reset or validation request before this time (a failed one backs off). */
  nextRetryTimeMs: number | null = null;

  constructor(readonly partition: TopicPartition) {}

  transition(to: FetchState, position: FetchPosition | null): void {
    if (!TRANSITIONS[this.fetchState].includes(to)) {
      throw new Error(`${topicPartitionKey(this.partition)}: illegal fetch state transition ${this.fetchState} → ${to}`);
    }
    const hasPosition = to === 'FETCHING' || to === 'AWAIT_VALIDATION';
    if (hasPosition !== (position !== null)) throw new Error(`${topicPartitionKey(this.partition)}: ${to} ${hasPosition ? 'needs' : 'cannot have'} a position`);
    this.fetchState = to;
    this.position = position;
    this.nextRetryTimeMs = null;
    if (to !== 'AWAIT_RESET') this.resetStrategy = null;
  }

  get hasValidPosition(): boolean {
    return this.fetchState === 'FETCHING';
  }

  get isFetchable(): boolean {
    return !this.paused && !this.pendingRevocation && this.hasValidPosition;
  }

  awaitingRetryBackoff(nowMs: number): boolean {
    return this.nextRetryTimeMs !== null && nowMs < this.nextRetryTimeMs;
  }
}

export class SubscriptionState {
  private subscriptionType: SubscriptionType = 'NONE';
  /** The topics subscribed to (AUTO_TOPICS). */
  private subscribedTopics: string[] = [];
  /** Assigned partitions in assignment order. */
  private readonly assignment = new Map<string, TopicPartitionState>();

  constructor(readonly defaultResetStrategy: AutoOffsetReset) {}

  // ---- The subscription ----

  get type(): SubscriptionType {
    return this.subscriptionType;
  }

  subscription(): readonly string[] {
    return this.subscribedTopics;
  }

  /** KafkaConsumer.subscribe: the group assigns partitions of these topics. */
  subscribe(topics: readonly string[]): void {
    this.setType('AUTO_TOPICS');
    this.subscribedTopics = [...new Set(topics)];
  }

  /** KafkaConsumer.assign: these partitions, no group management. Keeps positions of partitions kept. */
  assignFromUser(partitions: readonly TopicPartition[]): void {
    this.setType('USER_ASSIGNED');
    this.replaceAssignment(partitions);
  }

  /** The group's assignment; partitions kept keep their positions (what cooperative rebalancing relies on). */
  assignFromSubscribed(partitions: readonly TopicPartition[]): void {
    if (this.subscriptionType !== 'AUTO_TOPICS') throw new Error('assignFromSubscribed without a subscription');
    const unsubscribed = partitions.filter((partition) => !this.subscribedTopics.includes(partition.topic));
    if (unsubscribed.length > 0) throw new Error(`assigned partitions ${unsubscribed.map(topicPartitionKey).join(', ')} of topics not subscribed`);
    this.replaceAssignment(partitions);
  }

  unsubscribe(): void {
    this.subscriptionType = 'NONE';
    this.subscribedTopics = [];
    this.assignment.clear();
  }

  hasAutoAssignedPartitions(): boolean {
    return this.subscriptionType === 'AUTO_TOPICS';
  }

  /** Whether every partition of an assignment is of a subscribed topic (checkAssignmentMatchedSubscription). */
  matchesSubscription(partitions: readonly TopicPartition[]): boolean {
    return partitions.every((partition) => this.subscribedTopics.includes(partition.topic));
  }

  private setType(type: Exclude<SubscriptionType, 'NONE'>): void {
    // Kafka: "Subscription to topics, partitions and pattern are mutually exclusive".
    if (this.subscriptionType !== 'NONE' && this.subscriptionType !== type) throw new Error(`cannot ${type === 'AUTO_TOPICS' ? 'subscribe' : 'assign'} while ${this.subscriptionType}`);
    this.subscriptionType = type;
  }

  private replaceAssignment(partitions: readonly TopicPartition[]): void {
    const previous = new Map(this.assignment);
    this.assignment.clear();
    for (const partition of partitions) {
      const key = topicPartitionKey(partition);
      this.assignment.set(key, previous.get(key) ?? new TopicPartitionState(partition));
    }
  }

  // ---- The assignment ----

  assignedPartitions(): TopicPartition[] {
    return [...this.assignment.values()].map((state) => state.partition).sort(compareTopicPartitions);
  }

  isAssigned(partition: TopicPartition): boolean {
    return this.assignment.has(topicPartitionKey(partition));
  }

  fetchState(partition: TopicPartition): FetchState | null {
    return this.stateOrNull(partition)?.fetchState ?? null;
  }

  private stateOrNull(partition: TopicPartition): TopicPartitionState | null {
    return this.assignment.get(topicPartitionKey(partition)) ?? null;
  }

  private stateOrThrow(partition: TopicPartition): TopicPartitionState {
    const state = this.stateOrNull(partition);
    if (state === null) throw new Error(`${topicPartitionKey(partition)} is not assigned`);
    return state;
  }

  // ---- Positions ----

  position(partition: TopicPartition): FetchPosition | null {
    return this.stateOrNull(partition)?.position ?? null;
  }

  /** seek(): a position the application chose, trusted without validation. */
  seekValidated(partition: TopicPartition, position: FetchPosition): void {
    this.stateOrThrow(partition).transition('FETCHING', position);
  }

  /** A position from elsewhere (a committed offset, a reset) that must be validated when its epoch is known. */
  seekUnvalidated(partition: TopicPartition, position: FetchPosition): void {
    const state = this.stateOrThrow(partition);
    const mustValidate = position.offsetEpoch !== null && position.currentLeader.epoch !== null;
    state.transition(mustValidate ? 'AWAIT_VALIDATION' : 'FETCHING', position);
  }

  /** A new position after records were consumed (the fetcher's), for a partition already FETCHING. */
  advancePosition(partition: TopicPartition, position: FetchPosition): void {
    const state = this.stateOrThrow(partition);
    if (!state.hasValidPosition) throw new Error(`${topicPartitionKey(partition)}: advancing a position in ${state.fetchState}`);
    state.position = position;
  }

  requestOffsetReset(partition: TopicPartition, strategy: AutoOffsetReset = this.defaultResetStrategy): void {
    const state = this.stateOrThrow(partition);
    state.transition('AWAIT_RESET', null);
    state.resetStrategy = strategy;
  }

  hasDefaultOffsetResetPolicy(): boolean {
    return this.defaultResetStrategy !== 'none';
  }

  /** The reset a partition waits for, or null. */
  resetStrategy(partition: TopicPartition): AutoOffsetReset | null {
    return this.stateOrNull(partition)?.resetStrategy ?? null;
  }

  /**
   * Partitions still INITIALIZING after the committed offsets were fetched get the default reset;
   * with auto.offset.reset=none they are returned, and the consumer raises NoOffsetForPartition.
   */
  resetInitializingPositions(): TopicPartition[] {
    const withoutOffsets: TopicPartition[] = [];
    for (const state of this.assignment.values()) {
      if (state.fetchState !== 'INITIALIZING') continue;
      if (this.hasDefaultOffsetResetPolicy()) this.requestOffsetReset(state.partition);
      else withoutOffsets.push(state.partition);
    }
    return withoutOffsets;
  }

  /** A reset's answer applies only if the partition still waits for that reset (maybeSeekUnvalidated). */
  maybeSeekUnvalidated(partition: TopicPartition, position: FetchPosition, strategy: AutoOffsetReset): boolean {
    const state = this.stateOrNull(partition);
    if (state === null || state.fetchState !== 'AWAIT_RESET' || state.resetStrategy !== strategy) return false;
    this.seekUnvalidated(partition, position);
    return true;
  }

  /**
   * After a leader change (a newer leader or epoch in metadata), a position with a known epoch must be
   * validated before fetching goes on (maybeValidatePositionForCurrentLeader). Returns true when the
   * partition now awaits validation.
   */
  maybeValidatePositionForCurrentLeader(partition: TopicPartition, current: LeaderAndEpoch): boolean {
    const state = this.stateOrNull(partition);
    if (state === null || state.fetchState === 'AWAIT_RESET' || state.fetchState === 'INITIALIZING' || current.leader === null) return false;
    const position = state.position!;
    if (!sameLeaderAndEpoch(position.currentLeader, current)) this.seekUnvalidated(partition, { ...position, currentLeader: current });
    return state.fetchState === 'AWAIT_VALIDATION';
  }

  /**
   * The answer to an OffsetsForLeaderEpoch for the position's epoch (SubscriptionState.
   * maybeCompleteValidation). Ignored unless the partition still awaits validation of the very
   * position that was asked about. If the leader's log ends that epoch below the position, the log
   * was truncated under the consumer: with a reset policy the position moves back to the end of the
   * epoch (the first offset known to diverge); without one the truncation is returned, for the
   * consumer to raise LogTruncationException. An epoch the leader does not know is treated as a
   * truncation to an unknown offset: a reset by policy, or the exception.
   */
  maybeCompleteValidation(partition: TopicPartition, requestPosition: FetchPosition, endOffset: { readonly leaderEpoch: number; readonly endOffset: number }): LogTruncation | null {
    const state = this.stateOrNull(partition);
    if (state === null || state.fetchState !== 'AWAIT_VALIDATION' || !samePosition(state.position!, requestPosition)) return null;
    const current = state.position!;
    if (endOffset.endOffset < 0 || endOffset.leaderEpoch < 0) {
      if (this.hasDefaultOffsetResetPolicy()) {
        this.requestOffsetReset(partition);
        return null;
      }
      return { partition, fetchPosition: requestPosition, divergentOffset: null };
    }
    if (endOffset.endOffset < current.offset) {
      if (this.hasDefaultOffsetResetPolicy()) {
        state.transition('FETCHING', { offset: endOffset.endOffset, offsetEpoch: endOffset.leaderEpoch, currentLeader: current.currentLeader });
        return null;
      }
      return { partition, fetchPosition: requestPosition, divergentOffset: { offset: endOffset.endOffset, leaderEpoch: endOffset.leaderEpoch } };
    }
    state.transition('FETCHING', current);
    return null;
  }

  /** Validation without asking (the leader does not know epochs, or the application seeked). */
  completeValidation(partition: TopicPartition): void {
    const state = this.stateOrNull(partition);
    if (state !== null && state.fetchState === 'AWAIT_VALIDATION') state.transition('FETCHING', state.position);
  }

  /** A failed reset or validation request: the partitions wait this long before the next one. */
  requestFailed(partitions: readonly TopicPartition[], nextRetryTimeMs: number): void {
    for (const partition of partitions) {
      const state = this.stateOrNull(partition);
      if (state !== null) state.nextRetryTimeMs = nextRetryTimeMs;
    }
  }

  // ---- Queries ----

  partitionsInState(fetchState: FetchState, nowMs: number): TopicPartition[] {
    return [...this.assignment.values()].filter((state) => state.fetchState === fetchState && !state.awaitingRetryBackoff(nowMs)).map((state) => state.partition);
  }

  /** The earliest time a backing-off reset or validation may be retried, or null. */
  nextRetryTimeMs(): number | null {
    const times = [...this.assignment.values()].flatMap((state) => (state.nextRetryTimeMs === null ? [] : [state.nextRetryTimeMs]));
    return times.length === 0 ? null : Math.min(...times);
  }

  hasAllFetchPositions(): boolean {
    return [...this.assignment.values()].every((state) => state.hasValidPosition);
  }

  fetchablePartitions(): TopicPartition[] {
    return [...this.assignment.values()].filter((state) => state.isFetchable).map((state) => state.partition);
  }

  isFetchable(partition: TopicPartition): boolean {
    return this.stateOrNull(partition)?.isFetchable ?? false;
  }

  /** The positions to commit: every assigned partition with a valid position (allConsumed). */
  allConsumed(): Map<string, { readonly partition: TopicPartition; readonly offset: OffsetAndMetadata }> {
    const consumed = new Map<string, { partition: TopicPartition; offset: OffsetAndMetadata }>();
    for (const state of [...this.assignment.values()].sort((a, b) => compareTopicPartitions(a.partition, b.partition))) {
      if (!state.hasValidPosition) continue;
      consumed.set(topicPartitionKey(state.partition), { partition: state.partition, offset: { offset: state.position!.offset, leaderEpoch: state.position!.offsetEpoch } });
    }
    return consumed;
  }

  pause(partition: TopicPartition): void {
    this.stateOrThrow(partition).paused = true;
  }

  resume(partition: TopicPartition): void {
    this.stateOrThrow(partition).paused = false;
  }

  isPaused(partition: TopicPartition): boolean {
    return this.stateOrNull(partition)?.paused ?? false;
  }

  /** Partitions about to be revoked are no longer fetched (KIP-429: their fetched records would be dropped anyway). */
  markPendingRevocation(partitions: readonly TopicPartition[]): void {
    for (const partition of partitions) {
      const state = this.stateOrNull(partition);
      if (state !== null) state.pendingRevocation = true;
    }
  }

  updateHighWatermark(partition: TopicPartition, highWatermark: number): void {
    const state = this.stateOrNull(partition);
    if (state !== null) state.highWatermark = highWatermark;
  }

  updateLogStartOffset(partition: TopicPartition, logStartOffset: number): void {
    const state = this.stateOrNull(partition);
    if (state !== null) state.logStartOffset = logStartOffset;
  }

  highWatermark(partition: TopicPartition): number | null {
    return this.stateOrNull(partition)?.highWatermark ?? null;
  }
}
