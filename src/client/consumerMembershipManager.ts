/**
 * A member of a consumer group under KIP-848's protocol (Kafka's ConsumerMembershipManager with
 * its AbstractMembershipManager and ConsumerHeartbeatRequestManager): one RPC,
 * ConsumerGroupHeartbeat, carries the member's subscription and owned partitions to the coordinator
 * and brings back its epoch and target assignment; the coordinator assigns (uniform or range) and
 * revokes before it reassigns.
 *
 * The member's states and their legal predecessors (MemberState); an illegal transition throws:
 *
 * | state           | from                                                        | meaning                                    |
 * |-----------------|-------------------------------------------------------------|--------------------------------------------|
 * | UNSUBSCRIBED    | PREPARE_LEAVING, LEAVING, FENCED                            | not in the group                           |
 * | JOINING         | FENCED, UNSUBSCRIBED, STALE                                 | heartbeat with epoch 0 sent or due         |
 * | RECONCILING     | STABLE, JOINING, ACKNOWLEDGING, RECONCILING                 | a target assignment differs from the owned one |
 * | ACKNOWLEDGING   | JOINING, RECONCILING                                        | reconciled; the next heartbeat says so     |
 * | STABLE          | JOINING, ACKNOWLEDGING, RECONCILING                         | owns its target assignment                 |
 * | FENCED          | JOINING, STABLE, RECONCILING, ACKNOWLEDGING, PREPARE_LEAVING, LEAVING | epoch refused: loses all, rejoins |
 * | PREPARE_LEAVING | JOINING, STABLE, RECONCILING, ACKNOWLEDGING, UNSUBSCRIBED   | releasing partitions before leaving        |
 * | LEAVING         | PREPARE_LEAVING                                             | the leave heartbeat (epoch -1, or -2 static) is due |
 * | STALE           | LEAVING                                                     | left on the poll timeout; rejoins on the next poll |
 * | FATAL           | any but FENCED, STALE                                       | a fatal error, raised by poll              |
 *
 * Reconciliation, in Kafka's order: mark partitions to revoke as pending (no more fetching), commit
 * the consumed positions if auto-commit is on (retried up to the rebalance timeout), call
 * onPartitionsRevoked, drop them, add the new ones and call onPartitionsAssigned (always, even with
 * none added), then ACKNOWLEDGING: the next heartbeat, sent at once, reports the owned partitions,
 * which is what lets the coordinator hand revoked partitions to others. A reconciliation started
 * under one member epoch is abandoned if the member rejoined meanwhile.
 *
 * Errors: FENCED_MEMBER_EPOCH or UNKNOWN_MEMBER_ID → FENCED: partitions lost (onPartitionsLost),
 * rejoin with epoch 0; NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE → rediscover and heartbeat again;
 * COORDINATOR_LOAD_IN_PROGRESS → back off; UNRELEASED_INSTANCE_ID, GROUP_MAX_SIZE_REACHED,
 * UNSUPPORTED_ASSIGNOR, INVALID_REQUEST, GROUP_ID_NOT_FOUND (the group's state is gone) → FATAL.
 * A commit refused with STALE_MEMBER_EPOCH is retried
 * with the new epoch while the member is still in the group.
 *
 * With a rebalance listener, callbacks run in the application's poll (Kafka's
 * ConsumerRebalanceListenerCallbackNeededEvent), so reconciliation waits for the next poll; without
 * one it completes in the background.
 *
 * Left out: regex subscriptions, rack ids, client-side assignors (KIP-848's ClientAssignors), and
 * the share-group variant.
 */

import type { Host } from '../host.js';
import {
  type ConsumerGroupHeartbeatResponse,
  JOIN_GROUP_MEMBER_EPOCH,
  LEAVE_GROUP_MEMBER_EPOCH,
  LEAVE_GROUP_STATIC_MEMBER_EPOCH,
  type TopicIdPartitions,
  type TopicPartition,
  topicPartitionKey,
} from '../protocol/apis.js';
import type { KafkaErrorCode } from '../protocol/errors.js';
import { compareTopicPartitions } from './assignors/partitionAssignor.js';
import type { ConsumerConfig } from './consumerConfig.js';
import type { ConsumerNetworkClient } from './consumerNetworkClient.js';
import type { ConsumerException } from './consumerRecord.js';
import type { CoordinatorLookup } from './coordinatorLookup.js';
import type { GroupMember, GroupMetadata, GroupPollResult } from './groupMember.js';
import type { ClientMetadata } from './metadata.js';
import type { CommitIdentity, OffsetCommitManager } from './offsetCommitManager.js';
import { type ConsumerRebalanceListener, NO_OP_REBALANCE_LISTENER } from './rebalanceListener.js';
import { retryBackoffMs } from './retryBackoff.js';
import type { SubscriptionState } from './subscriptionState.js';

export type MembershipState = 'UNSUBSCRIBED' | 'JOINING' | 'RECONCILING' | 'ACKNOWLEDGING' | 'STABLE' | 'FENCED' | 'PREPARE_LEAVING' | 'LEAVING' | 'STALE' | 'FATAL';

const PREVIOUS_VALID_STATES: Readonly<Record<MembershipState, readonly MembershipState[]>> = {
  UNSUBSCRIBED: ['PREPARE_LEAVING', 'LEAVING', 'FENCED'],
  JOINING: ['FENCED', 'UNSUBSCRIBED', 'STALE'],
  RECONCILING: ['STABLE', 'JOINING', 'ACKNOWLEDGING', 'RECONCILING'],
  ACKNOWLEDGING: ['JOINING', 'RECONCILING'],
  STABLE: ['JOINING', 'ACKNOWLEDGING', 'RECONCILING'],
  FENCED: ['JOINING', 'STABLE', 'RECONCILING', 'ACKNOWLEDGING', 'PREPARE_LEAVING', 'LEAVING'],
  PREPARE_LEAVING: ['JOINING', 'STABLE', 'RECONCILING', 'ACKNOWLEDGING', 'UNSUBSCRIBED'],
  LEAVING: ['PREPARE_LEAVING'],
  STALE: ['LEAVING'],
  FATAL: ['JOINING', 'STABLE', 'RECONCILING', 'ACKNOWLEDGING', 'PREPARE_LEAVING', 'LEAVING', 'UNSUBSCRIBED'],
};

/** States in which the member sends no heartbeat (shouldSkipHeartbeat). */
const NO_HEARTBEAT_STATES: ReadonlySet<MembershipState> = new Set<MembershipState>(['UNSUBSCRIBED', 'FATAL', 'STALE', 'FENCED', 'PREPARE_LEAVING']);
/** States in which a heartbeat goes out at once, not on the interval. */
const HEARTBEAT_NOW_STATES: ReadonlySet<MembershipState> = new Set<MembershipState>(['JOINING', 'ACKNOWLEDGING', 'LEAVING']);
/** States that take a new target assignment (canHandleNewAssignment). */
const ASSIGNMENT_STATES: ReadonlySet<MembershipState> = new Set<MembershipState>(['JOINING', 'RECONCILING', 'ACKNOWLEDGING', 'STABLE']);
/** Heartbeat errors that end the member for good. */
const FATAL_HEARTBEAT_ERRORS: ReadonlySet<KafkaErrorCode> = new Set<KafkaErrorCode>(['UNRELEASED_INSTANCE_ID', 'GROUP_MAX_SIZE_REACHED', 'UNSUPPORTED_ASSIGNOR', 'INVALID_REQUEST', 'UNSUPPORTED_VERSION', 'INVALID_GROUP_ID']);

/** The first heartbeat interval, until the coordinator says (group.consumer.heartbeat.interval.ms's default). */
const INITIAL_HEARTBEAT_INTERVAL_MS = 5_000;

export interface MembershipParts {
  readonly subscriptions: SubscriptionState;
  readonly metadata: ClientMetadata;
  readonly commits: () => OffsetCommitManager;
  readonly listener: () => ConsumerRebalanceListener;
  readonly autoCommitEnabled: boolean;
}

/** A reconciliation under way, from its start to the callbacks in the application's poll. */
interface Reconciliation {
  readonly memberEpoch: number;
  readonly assigned: readonly TopicPartition[];
  readonly revoked: readonly TopicPartition[];
  readonly added: readonly TopicPartition[];
  readonly targetKey: string;
  commit: 'in-flight' | 'done';
}

/** What the next heartbeat reports only when it changed since the last one sent (HeartbeatState's sentFields). */
interface SentFields {
  subscribedTopicNames: string | null;
  ownedPartitions: string | null;
}

export class ConsumerMembershipManager implements GroupMember {
  private state: MembershipState = 'UNSUBSCRIBED';
  readonly memberId: string;
  private memberEpoch = JOIN_GROUP_MEMBER_EPOCH;
  /** The last target assignment, by topic id, and its key; null before the first. */
  private target: { readonly partitions: readonly TopicIdPartitions[]; readonly key: string } | null = null;
  /** The owned assignment's key, once reconciled (null: LocalAssignment.NONE). */
  private currentKey: string | null = null;
  private reconciliation: Reconciliation | null = null;
  /** A lost-partitions callback waiting for the application's poll (FENCED or STALE). */
  private lostPending = false;
  private pollTimerExpired = false;
  private fatalError: ConsumerException | null = null;
  private heartbeatIntervalMs = INITIAL_HEARTBEAT_INTERVAL_MS;
  private nextHeartbeatMs = Number.NEGATIVE_INFINITY;
  private heartbeatInFlight = false;
  private heartbeatAttempts = 0;
  private sentFields: SentFields = { subscribedTopicNames: null, ownedPartitions: null };
  private sendAllFields = true;
  private pollDeadlineMs: number;
  private leaveCallback: (() => void) | null = null;

  constructor(
    private readonly groupId: string,
    private readonly config: ConsumerConfig,
    private readonly network: ConsumerNetworkClient,
    private readonly lookup: CoordinatorLookup,
    private readonly host: Host<unknown>,
    private readonly parts: MembershipParts,
  ) {
    // KIP-1082: the member makes up its own id, once, and keeps it for its whole life.
    this.memberId = memberIdFrom(host);
    this.pollDeadlineMs = host.nowMs() + config.maxPollIntervalMs;
  }

  get membershipState(): MembershipState {
    return this.state;
  }

  get currentMemberEpoch(): number {
    return this.memberEpoch;
  }

  private transitionTo(next: MembershipState): void {
    if (!PREVIOUS_VALID_STATES[next].includes(this.state)) throw new Error(`member ${this.memberId}: illegal transition ${this.state} → ${next}`);
    this.state = next;
    this.host.trace({ type: 'consumer.member-state', groupId: this.groupId, memberId: this.memberId, memberEpoch: this.memberEpoch, state: next });
  }

  // ---- The application's poll ----

  poll(nowMs: number): GroupPollResult {
    const subscriptions = this.parts.subscriptions;
    this.parts.commits().invokeCompletedCallbacks();
    if (subscriptions.hasAutoAssignedPartitions() && this.state === 'UNSUBSCRIBED') this.transitionToJoining();
    this.onConsumerPoll(nowMs);
    if (this.fatalError !== null) {
      const fatal = this.fatalError;
      return { ok: false, exception: fatal };
    }
    this.runCallbacks(nowMs);
    if (this.parts.autoCommitEnabled) this.parts.commits().maybeAutoCommit(nowMs, subscriptions.allConsumed(), () => {});
    return { ok: true, ready: true };
  }

  /** onConsumerPoll: the poll timer restarts; a member that went stale rejoins once it released its partitions. */
  private onConsumerPoll(nowMs: number): void {
    this.pollDeadlineMs = nowMs + this.config.maxPollIntervalMs;
    if (!this.pollTimerExpired) return;
    this.pollTimerExpired = false;
    if (this.state !== 'STALE') return;
    if (this.lostPending) this.releaseLostPartitions();
    else this.transitionToJoining();
  }

  /** The callbacks that wait for the application: lost partitions, then a reconciliation's revoke and assign. */
  private runCallbacks(nowMs: number): void {
    if (this.lostPending) this.releaseLostPartitions();
    const reconciliation = this.reconciliation;
    if (reconciliation !== null && reconciliation.commit === 'done') this.revokeAndAssign(reconciliation, nowMs);
  }

  // ---- The background ----

  runBackground(nowMs: number): void {
    if (this.state === 'UNSUBSCRIBED' || this.state === 'FATAL') return;
    if (this.lookup.coordinator === null) {
      this.lookup.lookupIfNeeded(nowMs);
      return;
    }
    if (nowMs >= this.pollDeadlineMs && this.isInGroup() && this.state !== 'LEAVING' && this.state !== 'PREPARE_LEAVING') {
      // The application stalled between polls: leave, so the partitions move on.
      this.pollTimerExpired = true;
      this.host.trace({ type: 'consumer.leave', groupId: this.groupId, memberId: this.memberId, generationId: this.memberEpoch, reason: 'consumer poll timeout has expired', sent: true });
      this.transitionTo('PREPARE_LEAVING');
      this.finalizeLeaving();
    }
    if (this.state === 'RECONCILING') this.maybeReconcile();
    if (this.reconciliation?.commit === 'done' && !this.callbacksInApplicationThread()) this.revokeAndAssign(this.reconciliation, nowMs);
    if (this.lostPending && !this.callbacksInApplicationThread()) this.releaseLostPartitions();
    this.maybeHeartbeat(nowMs);
  }

  private isInGroup(): boolean {
    return !['UNSUBSCRIBED', 'FATAL', 'STALE', 'FENCED'].includes(this.state);
  }

  /** Whether rebalance callbacks wait for the application's poll (only when it gave a listener). */
  private callbacksInApplicationThread(): boolean {
    return this.parts.listener() !== NO_OP_REBALANCE_LISTENER;
  }

  // ---- Heartbeats ----

  private maybeHeartbeat(nowMs: number): void {
    const coordinator = this.lookup.coordinator;
    if (coordinator === null || NO_HEARTBEAT_STATES.has(this.state) || this.heartbeatInFlight) return;
    const due = nowMs >= this.nextHeartbeatMs || (HEARTBEAT_NOW_STATES.has(this.state) && this.heartbeatAttempts === 0);
    if (!due) return;
    this.heartbeatInFlight = true;
    this.nextHeartbeatMs = nowMs + this.heartbeatIntervalMs;
    const sentEpoch = this.memberEpoch;
    const request = this.heartbeatRequest();
    this.network.send(coordinator, request, this.config.requestTimeoutMs, (outcome) => {
      this.heartbeatInFlight = false;
      if (!outcome.ok) {
        this.resetHeartbeatState();
        this.lookup.markCoordinatorUnknown(outcome.error, true);
        return this.heartbeatFailed();
      }
      this.handleHeartbeatResponse(outcome.response, sentEpoch);
    });
    this.onHeartbeatRequestGenerated();
  }

  private heartbeatRequest() {
    const all = this.sendAllFields;
    const subscription = [...this.parts.subscriptions.subscription()];
    const subscriptionKey = subscription.join(',');
    const owned = this.ownedTopicIdPartitions();
    const ownedKey = JSON.stringify(owned);
    const request = {
      api: 'ConsumerGroupHeartbeat' as const,
      groupId: this.groupId,
      memberId: this.memberId,
      memberEpoch: this.memberEpoch,
      instanceId: this.config.groupInstanceId,
      rackId: null,
      rebalanceTimeoutMs: all ? this.config.maxPollIntervalMs : -1,
      subscribedTopicNames: all || subscriptionKey !== this.sentFields.subscribedTopicNames ? subscription : null,
      serverAssignor: all ? this.config.groupRemoteAssignor : null,
      topicPartitions: all || ownedKey !== this.sentFields.ownedPartitions ? owned : null,
    };
    this.sentFields = { subscribedTopicNames: subscriptionKey, ownedPartitions: ownedKey };
    this.sendAllFields = false;
    return request;
  }

  /** What the member owns, by topic id (the reconciled assignment; nothing while it has none). */
  private ownedTopicIdPartitions(): TopicIdPartitions[] {
    if (this.state === 'LEAVING' || this.currentKey === null) return [];
    const byTopic = new Map<string, number[]>();
    for (const partition of this.parts.subscriptions.assignedPartitions()) {
      const topicId = this.parts.metadata.topicIdOf(partition.topic);
      if (topicId !== null) byTopic.set(topicId, [...(byTopic.get(topicId) ?? []), partition.partition]);
    }
    return [...byTopic].map(([topicId, partitions]) => ({ topicId, partitions }));
  }

  /** onHeartbeatRequestGenerated: an acknowledgement went out; a leave heartbeat ends the membership. */
  private onHeartbeatRequestGenerated(): void {
    if (this.state === 'ACKNOWLEDGING') {
      this.transitionTo(this.target !== null && this.target.key === this.currentKey ? 'STABLE' : 'RECONCILING');
    } else if (this.state === 'LEAVING') {
      if (this.pollTimerExpired) {
        this.transitionTo('STALE');
        this.lostPending = true;
      } else {
        this.transitionTo('UNSUBSCRIBED');
        const callback = this.leaveCallback;
        this.leaveCallback = null;
        callback?.();
      }
    }
  }

  private heartbeatFailed(): void {
    this.nextHeartbeatMs = this.host.nowMs() + retryBackoffMs(this.heartbeatAttempts++, this.config.retryBackoffMs, this.config.retryBackoffMaxMs, this.host.random);
  }

  private handleHeartbeatResponse(response: ConsumerGroupHeartbeatResponse, sentEpoch: number): void {
    const error = response.errorCode;
    if (error !== 'NONE') return this.handleHeartbeatError(error, sentEpoch);
    this.heartbeatAttempts = 0;
    if (!this.isInGroup() || this.state === 'LEAVING' || this.state === 'PREPARE_LEAVING') return;
    this.memberEpoch = response.memberEpoch;
    this.heartbeatIntervalMs = response.heartbeatIntervalMs > 0 ? response.heartbeatIntervalMs : this.heartbeatIntervalMs;
    this.nextHeartbeatMs = this.host.nowMs() + this.heartbeatIntervalMs;
    if (response.assignment === null) return;
    if (!ASSIGNMENT_STATES.has(this.state)) return;
    const partitions = response.assignment.topicPartitions;
    this.target = { partitions, key: targetKeyOf(partitions) };
    this.host.trace({ type: 'consumer.target-assignment', groupId: this.groupId, memberId: this.memberId, memberEpoch: this.memberEpoch, partitions: partitions.map((p) => ({ topicId: p.topicId, partitions: [...p.partitions] })) });
    if (this.target.key !== this.currentKey) {
      if (this.state !== 'RECONCILING') this.transitionTo('RECONCILING');
    } else if (this.state === 'RECONCILING' || this.state === 'JOINING') {
      this.transitionTo('STABLE');
    }
  }

  /**
   * After any failed heartbeat the next one carries every field again (AbstractHeartbeatRequestManager
   * calls resetHeartbeatState on a failure and on every error response): the coordinator may never
   * have seen the last one, and a join (epoch 0) without rebalanceTimeoutMs is an INVALID_REQUEST.
   */
  private resetHeartbeatState(): void {
    this.sendAllFields = true;
    this.sentFields = { subscribedTopicNames: null, ownedPartitions: null };
  }

  private handleHeartbeatError(error: KafkaErrorCode, sentEpoch: number): void {
    this.resetHeartbeatState();
    switch (error) {
      case 'NOT_COORDINATOR':
      case 'COORDINATOR_NOT_AVAILABLE':
        this.lookup.markCoordinatorUnknown(error, false);
        this.nextHeartbeatMs = Number.NEGATIVE_INFINITY;
        return;
      case 'COORDINATOR_LOAD_IN_PROGRESS':
        return this.heartbeatFailed();
      case 'FENCED_MEMBER_EPOCH':
      case 'UNKNOWN_MEMBER_ID':
        this.host.trace({ type: 'consumer.fenced', groupId: this.groupId, memberId: this.memberId, generationId: sentEpoch, error });
        return this.transitionToFenced();
      case 'GROUP_ID_NOT_FOUND':
        // The coordinator has no such group (its state is gone): the Java client has no case for it,
        // so it is an unexpected error and fatal (handleFatalFailure), raised by the next poll; only
        // the answer to a leave heartbeat, from a member already out of the group, is ignored.
        if (this.state === 'UNSUBSCRIBED') return;
        this.fatalError = { kind: 'KafkaException', error };
        if (this.state !== 'FENCED' && this.state !== 'STALE') this.transitionTo('FATAL');
        return;
      default:
        if (FATAL_HEARTBEAT_ERRORS.has(error)) {
          this.fatalError = error === 'UNRELEASED_INSTANCE_ID' ? { kind: 'FencedInstanceId' } : { kind: 'KafkaException', error };
          if (this.state !== 'FENCED' && this.state !== 'STALE') this.transitionTo('FATAL');
          return;
        }
        return this.heartbeatFailed();
    }
  }

  // ---- Joining, fencing, leaving ----

  private transitionToJoining(): void {
    this.memberEpoch = JOIN_GROUP_MEMBER_EPOCH;
    this.target = null;
    this.reconciliation = null;
    this.sendAllFields = true;
    this.heartbeatAttempts = 0;
    this.nextHeartbeatMs = Number.NEGATIVE_INFINITY;
    this.transitionTo('JOINING');
  }

  private transitionToFenced(): void {
    if (this.state === 'PREPARE_LEAVING' || this.state === 'LEAVING') {
      // Fenced while leaving: no leave heartbeat is needed any more.
      this.memberEpoch = JOIN_GROUP_MEMBER_EPOCH;
      this.transitionTo('UNSUBSCRIBED');
      const callback = this.leaveCallback;
      this.leaveCallback = null;
      callback?.();
      return;
    }
    if (this.state === 'UNSUBSCRIBED' || this.state === 'FENCED' || this.state === 'STALE') return;
    this.transitionTo('FENCED');
    this.memberEpoch = JOIN_GROUP_MEMBER_EPOCH;
    this.reconciliation = null;
    this.lostPending = true;
  }

  /** The partitions are gone already (fenced, or stale): onPartitionsLost, then rejoin. */
  private releaseLostPartitions(): void {
    if (!this.lostPending) return;
    this.lostPending = false;
    const owned = this.parts.subscriptions.assignedPartitions();
    if (owned.length > 0) this.parts.listener().onPartitionsLost(owned);
    this.clearAssignment();
    // A stale member rejoins only once the application polls again (onConsumerPoll).
    if (this.state === 'FENCED' || (this.state === 'STALE' && !this.pollTimerExpired)) this.transitionToJoining();
  }

  private clearAssignment(): void {
    if (this.parts.subscriptions.hasAutoAssignedPartitions()) this.parts.subscriptions.assignFromSubscribed([]);
    this.currentKey = null;
  }

  /** finalizeLeaving: the leave epoch (-2 keeps a static member's place), then the leave heartbeat. */
  private finalizeLeaving(): void {
    this.memberEpoch = this.config.groupInstanceId === null ? LEAVE_GROUP_MEMBER_EPOCH : LEAVE_GROUP_STATIC_MEMBER_EPOCH;
    this.reconciliation = null;
    this.sendAllFields = true;
    this.heartbeatAttempts = 0;
    this.transitionTo('LEAVING');
  }

  /** leaveGroup from close: revoke (or lose, without an epoch) every partition, then the leave heartbeat. */
  close(): void {
    if (this.state === 'UNSUBSCRIBED' || this.state === 'FATAL' || this.state === 'STALE' || this.state === 'FENCED') {
      if (this.lostPending) this.releaseLostPartitions();
      return;
    }
    this.transitionTo('PREPARE_LEAVING');
    const owned = this.parts.subscriptions.assignedPartitions();
    if (owned.length > 0) {
      if (this.memberEpoch > 0) this.parts.listener().onPartitionsRevoked(owned);
      else this.parts.listener().onPartitionsLost(owned);
    }
    this.clearAssignment();
    this.host.trace({ type: 'consumer.leave', groupId: this.groupId, memberId: this.memberId, generationId: this.memberEpoch, reason: 'the consumer is being closed', sent: true });
    this.finalizeLeaving();
    this.maybeHeartbeat(this.host.nowMs());
  }

  // ---- Reconciliation ----

  /** maybeReconcile: starts reconciling the target assignment once its topics are known. */
  private maybeReconcile(): void {
    const target = this.target;
    if (target === null || this.reconciliation !== null || target.key === this.currentKey) return;
    const assigned = this.resolve(target.partitions);
    if (assigned === null) return;
    const subscriptions = this.parts.subscriptions;
    const owned = subscriptions.assignedPartitions();
    const isIn = (list: readonly TopicPartition[], partition: TopicPartition) => list.some((other) => topicPartitionKey(other) === topicPartitionKey(partition));
    const revoked = owned.filter((partition) => !isIn(assigned, partition));
    const added = assigned.filter((partition) => !isIn(owned, partition));
    subscriptions.markPendingRevocation(revoked);
    const reconciliation: Reconciliation = { memberEpoch: this.memberEpoch, assigned, revoked, added, targetKey: target.key, commit: 'in-flight' };
    this.reconciliation = reconciliation;
    if (!this.parts.autoCommitEnabled) {
      reconciliation.commit = 'done';
      return;
    }
    // Commit before revoking, retried up to the rebalance timeout; the reconciliation goes on either way.
    this.parts.commits().commitSync(subscriptions.allConsumed(), this.host.nowMs() + this.config.maxPollIntervalMs, () => {
      reconciliation.commit = 'done';
    }, () => subscriptions.allConsumed());
  }

  /** The target's partitions by topic name, or null (and a metadata update) while a topic id is unknown. */
  private resolve(partitions: readonly TopicIdPartitions[]): TopicPartition[] | null {
    const resolved: TopicPartition[] = [];
    for (const entry of partitions) {
      const topic = this.parts.metadata.topicNameOf(entry.topicId);
      if (topic === null) {
        this.parts.metadata.requestUpdate();
        return null;
      }
      for (const partition of entry.partitions) resolved.push({ topic, partition });
    }
    return resolved.sort(compareTopicPartitions);
  }

  /** revokeAndAssign: onPartitionsRevoked, the new assignment, onPartitionsAssigned, then acknowledge. */
  private revokeAndAssign(reconciliation: Reconciliation, nowMs: number): void {
    this.reconciliation = null;
    // The member rejoined (was fenced) since this reconciliation began: it no longer applies.
    if (reconciliation.memberEpoch !== this.memberEpoch || this.state !== 'RECONCILING') return;
    const subscriptions = this.parts.subscriptions;
    const listener = this.parts.listener();
    if (reconciliation.revoked.length > 0) {
      listener.onPartitionsRevoked(reconciliation.revoked);
      const kept = subscriptions.assignedPartitions().filter((partition) => !reconciliation.revoked.some((revoked) => topicPartitionKey(revoked) === topicPartitionKey(partition)));
      subscriptions.assignFromSubscribed(kept);
    }
    subscriptions.assignFromSubscribed(reconciliation.assigned);
    this.currentKey = reconciliation.targetKey;
    this.host.trace({ type: 'consumer.assigned', groupId: this.groupId, memberId: this.memberId, generationId: this.memberEpoch, partitions: reconciliation.assigned.map(topicPartitionKey) });
    listener.onPartitionsAssigned(reconciliation.added);
    if (this.parts.autoCommitEnabled) this.parts.commits().resetAutoCommitTimer(nowMs);
    this.transitionTo('ACKNOWLEDGING');
    this.maybeHeartbeat(nowMs);
  }

  // ---- Commits ----

  commitIdentity(): { readonly ok: true; readonly identity: CommitIdentity } | { readonly ok: false; readonly exception: ConsumerException } {
    if (!this.parts.subscriptions.hasAutoAssignedPartitions()) return { ok: true, identity: { generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null } };
    if (this.memberEpoch <= 0) return { ok: false, exception: this.state === 'JOINING' ? { kind: 'RebalanceInProgress' } : { kind: 'CommitFailed', error: null } };
    return { ok: true, identity: { generationIdOrMemberEpoch: this.memberEpoch, memberId: this.memberId, groupInstanceId: this.config.groupInstanceId } };
  }

  onCommitFencingError(error: KafkaErrorCode, _sent: CommitIdentity): ConsumerException {
    // STALE_MEMBER_EPOCH or UNKNOWN_MEMBER_ID while the member is still in the group: a sync commit is
    // retried, and carries whatever epoch the member has by then (CommitRequestManager.maybeRetryOnGroupError).
    const stillInGroup = this.memberEpoch > 0 && this.isInGroup();
    if ((error === 'STALE_MEMBER_EPOCH' || error === 'UNKNOWN_MEMBER_ID') && stillInGroup) return { kind: 'RetriableCommitFailed', error };
    return { kind: 'CommitFailed', error };
  }

  offsetFetchIdentity(): { readonly memberId: string; readonly memberEpoch: number } | null {
    return this.memberEpoch > 0 ? { memberId: this.memberId, memberEpoch: this.memberEpoch } : null;
  }

  groupMetadata(): GroupMetadata {
    return { generationId: this.memberEpoch, memberId: this.memberId, groupInstanceId: this.config.groupInstanceId, state: this.state, leader: false };
  }

  nextWakeupMs(): number {
    if (this.state === 'UNSUBSCRIBED' || this.state === 'FATAL') return Number.POSITIVE_INFINITY;
    if (this.lookup.coordinator === null) return this.lookup.nextLookupTimeMs();
    const heartbeat = NO_HEARTBEAT_STATES.has(this.state) || this.heartbeatInFlight ? Number.POSITIVE_INFINITY : this.nextHeartbeatMs;
    return Math.min(heartbeat, this.isInGroup() ? this.pollDeadlineMs : Number.POSITIVE_INFINITY);
  }
}

function targetKeyOf(partitions: readonly TopicIdPartitions[]): string {
  return partitions
    .flatMap((entry) => entry.partitions.map((partition) => `${entry.topicId}:${partition}`))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .join(',');
}

/** A Uuid-like member id from the node's own random stream (Kafka's Uuid.randomUuid().toString()). */
function memberIdFrom(host: Host<unknown>): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  let id = '';
  for (let index = 0; index < 22; index++) id += alphabet[host.random.nextInt(0, alphabet.length)];
  return id;
}
