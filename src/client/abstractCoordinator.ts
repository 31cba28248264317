/**
 * A member of a classic group (Kafka's AbstractCoordinator): joining (JoinGroup, then SyncGroup
 * with the leader's assignment), staying (heartbeats), and leaving (LeaveGroup), as a state machine
 * with two kinds of input, like Kafka's two threads:
 * - the application's calls (`ensureActiveGroup`, from poll): only they start a join, and only they
 *   complete one (`onJoinComplete`), so rebalance callbacks run inside poll;
 * - the background (`runHeartbeatThread`, on every input): heartbeats, the session and poll
 *   timeouts, coordinator rediscovery; and the responses, which may arrive at any time.
 *
 * The member's states (MemberState) and what moves it:
 *
 * | state                | meaning                              | leaves it                                        |
 * |----------------------|--------------------------------------|--------------------------------------------------|
 * | UNJOINED             | not in the group                     | a JoinGroup sent → PREPARING_REBALANCE           |
 * | PREPARING_REBALANCE  | JoinGroup in flight, no heartbeats   | JoinGroup answered → COMPLETING_REBALANCE; error → UNJOINED |
 * | COMPLETING_REBALANCE | in the new generation, SyncGroup in flight, heartbeats on | SyncGroup answered → STABLE; error → rejoin |
 * | STABLE               | assignment received, heartbeats on   | rejoin requested → PREPARING_REBALANCE; fenced or left → UNJOINED |
 *
 * Rules, each Kafka's:
 * - a first JoinGroup carries no member id; the coordinator answers MEMBER_ID_REQUIRED with one, and
 *   the member joins again at once with it (KIP-394, so members that never finish joining do not
 *   pile up in the group);
 * - REBALANCE_IN_PROGRESS on a heartbeat of a STABLE member makes it rejoin; ILLEGAL_GENERATION and
 *   UNKNOWN_MEMBER_ID (for the generation it still has) reset it to UNJOINED without a generation,
 *   so its partitions are lost, not revoked; only UNKNOWN_MEMBER_ID drops the member id too, since
 *   after ILLEGAL_GENERATION the id is still valid and rejoining with it spares the group a wait for
 *   the old id to expire (KAFKA-13563); errors about an older generation are ignored;
 * - the session timer expiring makes the member rediscover the coordinator; the poll timer
 *   (max.poll.interval.ms without a poll) makes it leave the group: a dynamic member sends
 *   LeaveGroup, a static one (group.instance.id, KIP-345) never does and is expired by its session;
 * - FENCED_INSTANCE_ID (another process took the instance id) and protocol mismatches are fatal and
 *   raised by the next poll.
 *
 * Left out: the join-prepare timer of Kafka 3.3+ is in ConsumerCoordinator; KIP-814's skipAssignment
 * (a static leader rejoining keeps the current assignment without computing one) is followed by
 * sending no assignment.
 */

import type { Host } from '../host.js';
import {
  type ConsumerProtocolAssignment,
  type ConsumerProtocolSubscription,
  type JoinGroupResponse,
  NO_GENERATION,
  type SyncGroupResponse,
  UNKNOWN_MEMBER_ID,
} from '../protocol/apis.js';
import { type KafkaErrorCode, isRetriable } from '../protocol/errors.js';
import type { ConsumerNetworkClient, RequestFailure } from './consumerNetworkClient.js';
import type { ConsumerException } from './consumerRecord.js';
import type { CoordinatorLookup } from './coordinatorLookup.js';
import { Heartbeat } from './heartbeat.js';

export type MemberState = 'UNJOINED' | 'PREPARING_REBALANCE' | 'COMPLETING_REBALANCE' | 'STABLE';

export interface Generation {
  readonly generationId: number;
  readonly memberId: string;
  readonly protocolName: string | null;
}

export const NO_GENERATION_STATE: Generation = { generationId: NO_GENERATION, memberId: UNKNOWN_MEMBER_ID, protocolName: null };

export interface RebalanceConfig {
  readonly groupId: string;
  readonly groupInstanceId: string | null;
  readonly sessionTimeoutMs: number;
  /** max.poll.interval.ms: how long the coordinator waits for each member to rejoin. */
  readonly rebalanceTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly retryBackoffMs: number;
  readonly retryBackoffMaxMs: number;
  readonly requestTimeoutMs: number;
}

/** Kafka's JOIN_GROUP_TIMEOUT_LAPSE: a JoinGroup may wait a whole rebalance timeout, plus this. */
export const JOIN_GROUP_TIMEOUT_LAPSE_MS = 5_000;

/** Why a join failed: a broker error, a lost request, or the member left meanwhile (UnjoinedGroupException). */
type JoinFailure = KafkaErrorCode | RequestFailure | 'UNJOINED';

type JoinFuture = { readonly status: 'pending' } | { readonly status: 'succeeded'; readonly assignment: ConsumerProtocolAssignment } | { readonly status: 'failed'; readonly error: JoinFailure };

/** Failures after which joinGroupIfNeeded joins again at once, without backoff. */
const REJOIN_AT_ONCE: ReadonlySet<JoinFailure> = new Set<JoinFailure>(['UNKNOWN_MEMBER_ID', 'REBALANCE_IN_PROGRESS', 'ILLEGAL_GENERATION', 'MEMBER_ID_REQUIRED']);

function isRetriableJoinFailure(error: JoinFailure): boolean {
  return error === 'UNJOINED' || error === 'NETWORK_EXCEPTION' || error === 'REQUEST_TIMED_OUT' || isRetriable(error);
}

export abstract class AbstractCoordinator {
  protected state: MemberState = 'UNJOINED';
  protected generation: Generation = NO_GENERATION_STATE;
  protected readonly heartbeat: Heartbeat;
  private rejoinNeeded = true;
  private needsJoinPrepare = true;
  private joinFuture: JoinFuture | null = null;
  private heartbeatThreadStarted = false;
  private heartbeatEnabled = false;
  private closed = false;
  /** After a retriable join failure, no new join before this (Kafka's timer.sleep(retryBackoffMs)). */
  private rejoinAllowedAtMs = Number.NEGATIVE_INFINITY;
  /** A fatal error, raised by the next poll. */
  private fatalError: ConsumerException | null = null;

  constructor(
    protected readonly rebalanceConfig: RebalanceConfig,
    protected readonly network: ConsumerNetworkClient,
    protected readonly lookup: CoordinatorLookup,
    protected readonly host: Host<unknown>,
  ) {
    this.heartbeat = new Heartbeat(
      {
        sessionTimeoutMs: rebalanceConfig.sessionTimeoutMs,
        heartbeatIntervalMs: rebalanceConfig.heartbeatIntervalMs,
        maxPollIntervalMs: rebalanceConfig.rebalanceTimeoutMs,
        retryBackoffMs: rebalanceConfig.retryBackoffMs,
        retryBackoffMaxMs: rebalanceConfig.retryBackoffMaxMs,
      },
      host.random,
      host.nowMs(),
    );
    lookup.addDiscoveryListener(() => this.heartbeat.resetSessionTimeout(this.host.nowMs()));
  }

  // ---- What the protocol on top decides ----

  protected abstract protocolType(): string;
  /** The protocols this member supports, by preference, each with its subscription. */
  protected abstract metadata(): Array<{ readonly name: string; readonly metadata: ConsumerProtocolSubscription }>;
  /** Before each join; false to wait (an auto-commit in flight), and be called again. */
  protected abstract onJoinPrepare(nowMs: number, generationId: number, memberId: string): boolean;
  /** The leader's assignment for every member. */
  protected abstract performAssignment(leaderId: string, protocolName: string, members: JoinGroupResponse['members']): Array<{ readonly memberId: string; readonly assignment: ConsumerProtocolAssignment }>;
  /** After a join completed, in the application's poll. */
  protected abstract onJoinComplete(generation: Generation, assignment: ConsumerProtocolAssignment, nowMs: number): void;

  // ---- The application's side ----

  /** The fatal error to raise from poll, if any (once). */
  takeFatalError(): ConsumerException | null {
    const error = this.fatalError;
    this.fatalError = null;
    return error;
  }

  /** pollHeartbeat: the application polled, so the poll timer restarts. */
  protected pollHeartbeat(nowMs: number): void {
    if (this.heartbeatThreadStarted) this.heartbeat.poll(nowMs);
  }

  /** The non-blocking ensureCoordinatorReady: true when the coordinator is known; else a lookup is under way. */
  protected ensureCoordinatorReady(nowMs: number): boolean {
    if (this.lookup.coordinator !== null) return true;
    this.lookup.lookupIfNeeded(nowMs);
    return false;
  }

  /** ensureActiveGroup, without blocking: true once the member is STABLE with nothing pending. */
  protected ensureActiveGroup(nowMs: number): boolean {
    if (this.fatalError !== null || !this.ensureCoordinatorReady(nowMs)) return false;
    this.heartbeatThreadStarted = true;
    return this.joinGroupIfNeeded(nowMs);
  }

  protected rejoinNeededOrPending(): boolean {
    return this.rejoinNeeded || this.joinFuture !== null;
  }

  private joinGroupIfNeeded(nowMs: number): boolean {
    while (this.rejoinNeededOrPending()) {
      if (!this.ensureCoordinatorReady(nowMs) || nowMs < this.rejoinAllowedAtMs) return false;
      if (this.needsJoinPrepare) {
        this.needsJoinPrepare = false;
        if (!this.onJoinPrepare(nowMs, this.generation.generationId, this.generation.memberId)) {
          this.needsJoinPrepare = true;
          return false;
        }
      }
      if (this.joinFuture === null) this.initiateJoinGroup();
      const future = this.joinFuture!;
      if (future.status === 'pending') return false;
      this.joinFuture = null;
      if (future.status === 'succeeded') {
        if (!this.hasGenerationReset() && this.state === 'STABLE') {
          this.onJoinComplete(this.generation, future.assignment, nowMs);
          this.needsJoinPrepare = true;
        } else {
          // The heartbeat side reset the generation before the assignment could be applied.
          this.resetStateAndRejoin(true);
        }
        continue;
      }
      // MEMBER_ID_REQUIRED asked for the rejoin already, with the new member id.
      if (future.error !== 'MEMBER_ID_REQUIRED') this.requestRejoin();
      if (REJOIN_AT_ONCE.has(future.error)) continue;
      if (!isRetriableJoinFailure(future.error)) {
        this.fatalError = future.error === 'FENCED_INSTANCE_ID' ? { kind: 'FencedInstanceId' } : { kind: 'KafkaException', error: future.error as KafkaErrorCode };
        return false;
      }
      this.rejoinAllowedAtMs = nowMs + this.rebalanceConfig.retryBackoffMs;
      return false;
    }
    return true;
  }

  private initiateJoinGroup(): void {
    this.state = 'PREPARING_REBALANCE';
    this.joinFuture = { status: 'pending' };
    const coordinator = this.lookup.coordinator;
    if (coordinator === null) {
      this.joinFuture = { status: 'failed', error: 'COORDINATOR_NOT_AVAILABLE' };
      return;
    }
    const sent = this.generation;
    this.host.trace({ type: 'consumer.join', groupId: this.rebalanceConfig.groupId, memberId: sent.memberId, generationId: sent.generationId });
    this.network.send(
      coordinator,
      {
        api: 'JoinGroup',
        groupId: this.rebalanceConfig.groupId,
        sessionTimeoutMs: this.rebalanceConfig.sessionTimeoutMs,
        rebalanceTimeoutMs: this.rebalanceConfig.rebalanceTimeoutMs,
        memberId: sent.memberId,
        groupInstanceId: this.rebalanceConfig.groupInstanceId,
        protocolType: this.protocolType(),
        protocols: this.metadata(),
        reason: null,
      },
      Math.max(this.rebalanceConfig.requestTimeoutMs, this.rebalanceConfig.rebalanceTimeoutMs + JOIN_GROUP_TIMEOUT_LAPSE_MS),
      (outcome) => {
        if (!outcome.ok) return this.failJoin(outcome.error, true);
        this.handleJoinGroupResponse(outcome.response, sent);
      },
    );
  }

  private failJoin(error: JoinFailure, disconnected = false): void {
    if (disconnected) this.lookup.markCoordinatorUnknown(error, true);
    this.joinFuture = { status: 'failed', error };
  }

  private handleJoinGroupResponse(response: JoinGroupResponse, sent: Generation): void {
    const error = response.errorCode;
    switch (error) {
      case 'NONE':
        return this.joinedGeneration(response);
      case 'MEMBER_ID_REQUIRED':
        // KIP-394: join again at once, with the member id the coordinator handed out.
        this.generation = { generationId: NO_GENERATION, memberId: response.memberId, protocolName: null };
        return this.failJoin(error);
      case 'UNKNOWN_MEMBER_ID':
        if (this.generationUnchanged(sent)) this.resetStateAndRejoin(true);
        return this.failJoin(error);
      case 'COORDINATOR_NOT_AVAILABLE':
      case 'NOT_COORDINATOR':
        this.lookup.markCoordinatorUnknown(error, false);
        return this.failJoin(error);
      default:
        // COORDINATOR_LOAD_IN_PROGRESS and REBALANCE_IN_PROGRESS are retried; FENCED_INSTANCE_ID,
        // INCONSISTENT_GROUP_PROTOCOL, INVALID_SESSION_TIMEOUT, GROUP_MAX_SIZE_REACHED are fatal.
        return this.failJoin(error);
    }
  }

  private joinedGeneration(response: JoinGroupResponse): void {
    if (response.protocolType !== null && response.protocolType !== this.protocolType()) return this.failJoin('INCONSISTENT_GROUP_PROTOCOL');
    // Left meanwhile (the poll timer ran out): do not go on to SyncGroup.
    if (this.state !== 'PREPARING_REBALANCE') return this.failJoin('UNJOINED');
    this.state = 'COMPLETING_REBALANCE';
    this.enableHeartbeatThread();
    this.generation = { generationId: response.generationId, memberId: response.memberId, protocolName: response.protocolName };
    const isLeader = response.leader === response.memberId;
    this.host.trace({ type: 'consumer.joined', groupId: this.rebalanceConfig.groupId, memberId: response.memberId, generationId: response.generationId, leader: isLeader, protocolName: response.protocolName });
    const assignments = isLeader && !response.skipAssignment ? this.performAssignment(response.leader, response.protocolName ?? '', response.members) : [];
    this.sendSyncGroup(assignments);
  }

  private sendSyncGroup(assignments: Array<{ readonly memberId: string; readonly assignment: ConsumerProtocolAssignment }>): void {
    const coordinator = this.lookup.coordinator;
    if (coordinator === null) return this.failJoin('COORDINATOR_NOT_AVAILABLE');
    const sent = this.generation;
    this.network.send(
      coordinator,
      {
        api: 'SyncGroup',
        groupId: this.rebalanceConfig.groupId,
        generationId: sent.generationId,
        memberId: sent.memberId,
        groupInstanceId: this.rebalanceConfig.groupInstanceId,
        protocolType: this.protocolType(),
        protocolName: sent.protocolName,
        assignments,
      },
      this.rebalanceConfig.requestTimeoutMs,
      (outcome) => {
        if (!outcome.ok) return this.failJoin(outcome.error, true);
        this.handleSyncGroupResponse(outcome.response, sent);
      },
    );
  }

  private handleSyncGroupResponse(response: SyncGroupResponse, sent: Generation): void {
    const error = response.errorCode;
    if (error === 'NONE') {
      if (response.protocolType !== null && response.protocolType !== this.protocolType()) return this.failJoin('INCONSISTENT_GROUP_PROTOCOL');
      if (this.hasGenerationReset() || this.state !== 'COMPLETING_REBALANCE') return this.failJoin('ILLEGAL_GENERATION');
      if (response.protocolName !== null && response.protocolName !== this.generation.protocolName) return this.failJoin('INCONSISTENT_GROUP_PROTOCOL');
      this.state = 'STABLE';
      this.rejoinNeeded = false;
      this.joinFuture = { status: 'succeeded', assignment: response.assignment };
      return;
    }
    this.requestRejoin();
    if ((error === 'UNKNOWN_MEMBER_ID' || error === 'ILLEGAL_GENERATION') && this.generationUnchanged(sent)) this.resetStateAndRejoin(error === 'UNKNOWN_MEMBER_ID');
    if (error === 'COORDINATOR_NOT_AVAILABLE' || error === 'NOT_COORDINATOR') this.lookup.markCoordinatorUnknown(error, false);
    this.failJoin(error);
  }

  // ---- The heartbeat thread ----

  private enableHeartbeatThread(): void {
    if (!this.heartbeatThreadStarted) return;
    this.heartbeatEnabled = true;
    this.heartbeat.resetTimeouts(this.host.nowMs());
  }

  /** One turn of Kafka's HeartbeatThread.run; called on every input. */
  runHeartbeatThread(nowMs: number): void {
    if (!this.heartbeatThreadStarted || !this.heartbeatEnabled || this.closed) return;
    if (this.state === 'UNJOINED' || this.state === 'PREPARING_REBALANCE' || this.fatalError !== null) {
      this.heartbeatEnabled = false;
      return;
    }
    if (this.lookup.coordinator === null) {
      this.lookup.lookupIfNeeded(nowMs);
    } else if (this.heartbeat.sessionTimeoutExpired(nowMs)) {
      this.lookup.markCoordinatorUnknown('session timed out without receiving a heartbeat response', false);
      this.lookup.lookupIfNeeded(nowMs);
    } else if (this.heartbeat.pollTimeoutExpired(nowMs)) {
      // The application stalled between polls: leave, so the group can move its partitions on.
      this.maybeLeaveGroup('consumer poll timeout has expired');
    } else if (this.heartbeat.shouldHeartbeat(nowMs)) {
      this.heartbeat.sentHeartbeat(nowMs);
      this.sendHeartbeat(this.lookup.coordinator);
    }
  }

  private sendHeartbeat(coordinator: string): void {
    const sent = this.generation;
    this.network.send(
      coordinator,
      { api: 'Heartbeat', groupId: this.rebalanceConfig.groupId, generationId: sent.generationId, memberId: sent.memberId, groupInstanceId: this.rebalanceConfig.groupInstanceId },
      this.rebalanceConfig.requestTimeoutMs,
      (outcome) => {
        const nowMs = this.host.nowMs();
        if (!outcome.ok) {
          this.lookup.markCoordinatorUnknown(outcome.error, true);
          return this.heartbeat.failHeartbeat(nowMs);
        }
        this.handleHeartbeatError(outcome.response.errorCode, sent, nowMs);
      },
    );
  }

  private handleHeartbeatError(error: KafkaErrorCode, sent: Generation, nowMs: number): void {
    switch (error) {
      case 'NONE':
        return this.heartbeat.receiveHeartbeat(nowMs);
      case 'REBALANCE_IN_PROGRESS':
        // Heartbeats go on while the group rebalances, so the session does not run out meanwhile.
        if (this.state === 'STABLE') this.requestRejoin();
        return this.heartbeat.receiveHeartbeat(nowMs);
      case 'ILLEGAL_GENERATION':
      case 'UNKNOWN_MEMBER_ID':
      case 'FENCED_INSTANCE_ID':
        if (!this.generationUnchanged(sent)) return this.heartbeat.receiveHeartbeat(nowMs);
        this.host.trace({ type: 'consumer.fenced', groupId: this.rebalanceConfig.groupId, memberId: sent.memberId, generationId: sent.generationId, error });
        // ILLEGAL_GENERATION keeps the member id, which is still valid: the coordinator need not wait for it to expire.
        this.resetStateAndRejoin(error !== 'ILLEGAL_GENERATION');
        if (error === 'FENCED_INSTANCE_ID') this.fatalError = { kind: 'FencedInstanceId' };
        else this.heartbeat.failHeartbeat(nowMs);
        return;
      case 'COORDINATOR_NOT_AVAILABLE':
      case 'NOT_COORDINATOR':
        this.lookup.markCoordinatorUnknown(error, false);
        return this.heartbeat.failHeartbeat(nowMs);
      default:
        return this.heartbeat.failHeartbeat(nowMs);
    }
  }

  /** When the heartbeat thread next has something to do, for the consumer's wakeup timer. */
  nextHeartbeatThreadTimeMs(): number {
    if (!this.heartbeatThreadStarted || !this.heartbeatEnabled || this.closed) return Number.POSITIVE_INFINITY;
    return this.lookup.coordinator === null ? this.lookup.nextLookupTimeMs() : this.heartbeat.nextDeadlineMs();
  }

  // ---- Leaving ----

  /**
   * LeaveGroup, best effort and never retried, from a dynamic member only (KIP-345: a static
   * member's membership ends with its session); the member is then out of the group either way.
   */
  protected maybeLeaveGroup(reason: string): void {
    const coordinator = this.lookup.coordinator;
    const dynamic = this.rebalanceConfig.groupInstanceId === null;
    this.host.trace({ type: 'consumer.leave', groupId: this.rebalanceConfig.groupId, memberId: this.generation.memberId, generationId: this.generation.generationId, reason, sent: dynamic && coordinator !== null });
    if (dynamic && coordinator !== null && this.state !== 'UNJOINED' && this.generation.memberId !== UNKNOWN_MEMBER_ID) {
      this.network.send(coordinator, { api: 'LeaveGroup', groupId: this.rebalanceConfig.groupId, members: [{ memberId: this.generation.memberId, groupInstanceId: null, reason }] }, this.rebalanceConfig.requestTimeoutMs, () => {});
    }
    this.resetStateAndRejoin(true);
  }

  /** Stops the heartbeat thread for good (close). */
  protected closeHeartbeatThread(): void {
    this.closed = true;
  }

  // ---- Shared state changes ----

  protected requestRejoin(): void {
    this.rejoinNeeded = true;
  }

  /** The member leaves its generation; it keeps its member id unless told (the id may still be valid, KAFKA-13563). */
  protected resetStateAndRejoin(shouldResetMemberId: boolean): void {
    this.state = 'UNJOINED';
    this.generation = shouldResetMemberId ? NO_GENERATION_STATE : { generationId: NO_GENERATION, memberId: this.generation.memberId, protocolName: null };
    this.rejoinNeeded = true;
    this.needsJoinPrepare = true;
  }

  protected hasGenerationReset(): boolean {
    return this.generation.generationId === NO_GENERATION;
  }

  protected generationUnchanged(sent: Generation): boolean {
    return this.generation.generationId === sent.generationId && this.generation.memberId === sent.memberId && this.generation.protocolName === sent.protocolName;
  }

  /** The generation if the member is STABLE, else null (generationIfStable). */
  protected generationIfStable(): Generation | null {
    return this.state === 'STABLE' ? this.generation : null;
  }

  protected rebalanceInProgress(): boolean {
    return this.state === 'PREPARING_REBALANCE' || this.state === 'COMPLETING_REBALANCE';
  }

  get memberState(): MemberState {
    return this.state;
  }

  get currentGeneration(): Generation {
    return this.generation;
  }
}
