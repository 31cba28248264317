/**
 * Committing and fetching a group's offsets (ConsumerCoordinator's commit half, the new consumer's
 * CommitRequestManager), shared by both group protocols: each brings its identity (generation or
 * member epoch) and its own reaction to a fencing error through `GroupCommitMember`.
 *
 * What it models:
 * - commitAsync: sent at once (a lookup first if the coordinator is unknown: Kafka chains the commit
 *   on it, and fails it with RetriableCommitFailedException if the lookup fails); never retried, so
 *   commits cannot land out of order. Its callback runs in the application's next call, in order;
 * - commitSync: retried on retriable errors after retry.backoff.ms until its deadline
 *   (default.api.timeout.ms), then a TimeoutException; fencing errors fail it with
 *   CommitFailedException or RebalanceInProgressException, as the protocol decides;
 * - auto-commit (enable.auto.commit): every auto.commit.interval.ms, the positions of all
 *   assigned partitions, asynchronously, from the application's poll (never from the background);
 *   a retriable failure brings the next attempt forward to retry.backoff.ms;
 * - OffsetFetch of committed offsets, retried on retriable errors.
 *
 * Trace events (the commits of every mode, auto-commits included, for the checker):
 *   {type:'consumer.commit-sent', groupId, generationIdOrMemberEpoch, memberId, offsets: {partition: offset}}
 *   {type:'consumer.commit-done', ...the same, error} with error 'NONE' or what failed it.
 *
 * Invariant: every commit callback runs exactly once.
 * Left out: metadata strings on commits, offset commit interceptors, and transactional commits.
 */

import type { Host } from '../host.js';
import { NO_COMMITTED_OFFSET, type OffsetCommitResponse, type OffsetFetchResponse, type TopicPartition, topicPartitionKey } from '../protocol/apis.js';
import { type KafkaErrorCode, isRetriable } from '../protocol/errors.js';
import type { ConsumerConfig } from './consumerConfig.js';
import type { ConsumerNetworkClient } from './consumerNetworkClient.js';
import { type ConsumerException, errorNameOf } from './consumerRecord.js';
import type { CoordinatorLookup } from './coordinatorLookup.js';
import { retryBackoffMs } from './retryBackoff.js';
import type { OffsetAndMetadata } from './subscriptionState.js';

/** Offsets to commit, by topicPartitionKey. */
export type OffsetsToCommit = ReadonlyMap<string, { readonly partition: TopicPartition; readonly offset: OffsetAndMetadata }>;

export type CommitResult = { readonly ok: true } | { readonly ok: false; readonly exception: ConsumerException };
export type CommitCallback = (offsets: OffsetsToCommit, result: CommitResult) => void;

/** What an OffsetCommit carries to say who commits. */
export interface CommitIdentity {
  readonly generationIdOrMemberEpoch: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
}

/** The group protocol's part in commits. */
export interface GroupCommitMember {
  /** The identity to commit with now, or why no commit can be made (not in a stable group). */
  commitIdentity(): { readonly ok: true; readonly identity: CommitIdentity } | { readonly ok: false; readonly exception: ConsumerException };
  /** A fencing error on a commit sent with `sent`: what it does to the membership, and what the caller gets. */
  onCommitFencingError(error: KafkaErrorCode, sent: CommitIdentity): ConsumerException;
  /** The member id and epoch an OffsetFetch carries (KIP-848), or null under the classic protocol. */
  offsetFetchIdentity(): { readonly memberId: string; readonly memberEpoch: number } | null;
}

/** Commit errors that fence the member: the protocol decides what they mean. */
const FENCING_ERRORS: ReadonlySet<KafkaErrorCode> = new Set<KafkaErrorCode>([
  'UNKNOWN_MEMBER_ID',
  'ILLEGAL_GENERATION',
  'REBALANCE_IN_PROGRESS',
  'FENCED_INSTANCE_ID',
  'STALE_MEMBER_EPOCH',
  'FENCED_MEMBER_EPOCH',
]);

/** Errors after which the coordinator must be looked up again. */
const COORDINATOR_ERRORS: ReadonlySet<KafkaErrorCode> = new Set<KafkaErrorCode>(['NOT_COORDINATOR', 'COORDINATOR_NOT_AVAILABLE', 'REQUEST_TIMED_OUT']);

export type CommittedOffsetsResult = { readonly ok: true; readonly offsets: Map<string, OffsetAndMetadata | null> } | { readonly ok: false; readonly retriable: boolean; readonly exception: ConsumerException };

export class OffsetCommitManager {
  /** Finished commits whose callbacks wait for the application's next call. */
  private completed: Array<() => void> = [];
  private nextAutoCommitMs: number;
  private autoCommitInFlight = false;
  private committedFetchAttempts = 0;

  constructor(
    private readonly groupId: string,
    private readonly network: ConsumerNetworkClient,
    private readonly lookup: CoordinatorLookup,
    private readonly config: ConsumerConfig,
    private readonly host: Host<unknown>,
    private readonly member: GroupCommitMember,
  ) {
    this.nextAutoCommitMs = host.nowMs() + config.autoCommitIntervalMs;
  }

  /** Runs the callbacks of finished async commits (invokeCompletedOffsetCommitCallbacks): the application's thread only. */
  invokeCompletedCallbacks(): void {
    const completed = this.completed;
    this.completed = [];
    for (const callback of completed) callback();
  }

  // ---- Async and auto commits ----

  /** commitAsync: the callback waits for the application's next call. */
  commitAsync(offsets: OffsetsToCommit, callback: CommitCallback): void {
    this.sendAsync(offsets, (result) => {
      this.completed.push(() => callback(offsets, result));
    });
  }

  /** One attempt, after a lookup if needed; `settled` hears the outcome at once (the consumer's own bookkeeping). */
  private sendAsync(offsets: OffsetsToCommit, settled: (result: CommitResult) => void): void {
    if (offsets.size === 0) return settled({ ok: true });
    if (this.lookup.coordinator !== null) return this.send(offsets, settled);
    this.lookup.lookupIfNeeded(this.host.nowMs());
    this.lookup.whenLookedUp((found) => {
      if (found) this.send(offsets, settled);
      else settled({ ok: false, exception: { kind: 'RetriableCommitFailed', error: 'COORDINATOR_NOT_AVAILABLE' } });
    });
  }

  /** Whether auto-commit is due (the positions are committed from the application's poll). */
  autoCommitDue(nowMs: number): boolean {
    return this.config.enableAutoCommit && nowMs >= this.nextAutoCommitMs;
  }

  /** maybeAutoCommitOffsetsAsync: commits `consumed` if the interval passed; `onDone` hears the outcome. */
  maybeAutoCommit(nowMs: number, consumed: OffsetsToCommit, onDone: CommitCallback): void {
    if (!this.autoCommitDue(nowMs)) return;
    this.nextAutoCommitMs = nowMs + this.config.autoCommitIntervalMs;
    this.autoCommitAsync(consumed, onDone);
  }

  /** An auto-commit now, whatever the interval (before a revocation, on close). */
  autoCommitAsync(consumed: OffsetsToCommit, onDone: CommitCallback): void {
    this.autoCommitInFlight = true;
    this.sendAsync(consumed, (result) => {
      this.autoCommitInFlight = false;
      if (!result.ok && result.exception.kind === 'RetriableCommitFailed') this.nextAutoCommitMs = this.host.nowMs() + this.config.retryBackoffMs;
      onDone(consumed, result);
    });
  }

  /** Restarts the interval (Kafka reschedules auto-commit from each completed rebalance). */
  resetAutoCommitTimer(nowMs: number): void {
    this.nextAutoCommitMs = nowMs + this.config.autoCommitIntervalMs;
  }

  get isAutoCommitInFlight(): boolean {
    return this.autoCommitInFlight;
  }

  nextAutoCommitTimeMs(): number {
    return this.config.enableAutoCommit ? this.nextAutoCommitMs : Number.POSITIVE_INFINITY;
  }

  // ---- Sync commits ----

  /**
   * commitSync: sends, and on a retriable failure sends again after retry.backoff.ms, until
   * `deadlineMs`; `done` runs once (from an input, in the application's pending call). With
   * `latestOffsets`, each retry commits what it gives then instead of the first attempt's offsets
   * (CommitRequestManager's auto-commit before revocation: "retried with the latest offsets"), so a
   * retry never lands after a newer commit with older offsets.
   */
  commitSync(offsets: OffsetsToCommit, deadlineMs: number, done: (result: CommitResult) => void, latestOffsets: (() => OffsetsToCommit) | null = null): void {
    if (offsets.size === 0) return done({ ok: true });
    let first = true;
    const attempt = (): void => {
      if (!first && latestOffsets !== null) offsets = latestOffsets();
      first = false;
      const nowMs = this.host.nowMs();
      if (nowMs >= deadlineMs) return done({ ok: false, exception: { kind: 'Timeout' } });
      if (this.lookup.coordinator === null) {
        this.lookup.lookupIfNeeded(nowMs);
        this.lookup.whenLookedUp(() => this.retryAt(Math.min(deadlineMs, this.host.nowMs()), attempt));
        return;
      }
      this.send(offsets, (result) => {
        if (result.ok || !isRetriableCommitFailure(result.exception)) return done(result);
        this.retryAt(Math.min(deadlineMs, this.host.nowMs() + this.config.retryBackoffMs), attempt);
      });
    };
    attempt();
  }

  private readonly retries: Array<{ readonly atMs: number; readonly run: () => void }> = [];

  private retryAt(atMs: number, run: () => void): void {
    this.retries.push({ atMs, run });
  }

  /** Runs the sync-commit retries that fell due; called on every input. */
  runDueRetries(nowMs: number): void {
    const due = this.retries.filter((retry) => retry.atMs <= nowMs);
    if (due.length === 0) return;
    for (const retry of due) this.retries.splice(this.retries.indexOf(retry), 1);
    for (const retry of due) retry.run();
  }

  nextRetryTimeMs(): number {
    return Math.min(Number.POSITIVE_INFINITY, ...this.retries.map((retry) => retry.atMs));
  }

  // ---- The OffsetCommit request ----

  private send(offsets: OffsetsToCommit, done: (result: CommitResult) => void): void {
    const identity = this.member.commitIdentity();
    if (!identity.ok) return done({ ok: false, exception: identity.exception });
    const coordinator = this.lookup.coordinator;
    if (coordinator === null) return done({ ok: false, exception: { kind: 'RetriableCommitFailed', error: 'COORDINATOR_NOT_AVAILABLE' } });
    const byTopic = new Map<string, Array<{ partition: TopicPartition; offset: OffsetAndMetadata }>>();
    for (const entry of offsets.values()) byTopic.set(entry.partition.topic, [...(byTopic.get(entry.partition.topic) ?? []), entry]);
    const sent = identity.identity;
    const traced = { groupId: this.groupId, generationIdOrMemberEpoch: sent.generationIdOrMemberEpoch, memberId: sent.memberId, offsets: Object.fromEntries([...offsets].map(([key, entry]) => [key, entry.offset.offset])) };
    this.host.trace({ type: 'consumer.commit-sent', ...traced });
    const finish = (result: CommitResult): void => {
      this.host.trace({ type: 'consumer.commit-done', ...traced, error: result.ok ? 'NONE' : errorNameOf(result.exception) });
      done(result);
    };
    this.network.send(
      coordinator,
      {
        api: 'OffsetCommit',
        groupId: this.groupId,
        generationIdOrMemberEpoch: sent.generationIdOrMemberEpoch,
        memberId: sent.memberId,
        groupInstanceId: sent.groupInstanceId,
        topics: [...byTopic].map(([name, entries]) => ({
          name,
          partitions: entries.map(({ partition, offset }) => ({
            partitionIndex: partition.partition,
            committedOffset: offset.offset,
            committedLeaderEpoch: offset.leaderEpoch ?? -1,
            committedMetadata: null,
          })),
        })),
      },
      this.config.requestTimeoutMs,
      (outcome) => {
        if (!outcome.ok) {
          // The network client has closed the connection already (Kafka's DisconnectException).
          this.lookup.markCoordinatorUnknown(outcome.error, true);
          return finish({ ok: false, exception: { kind: 'RetriableCommitFailed', error: outcome.error } });
        }
        finish(this.commitResult(outcome.response, sent));
      },
    );
  }

  /** The first partition error decides, as in Kafka's OffsetCommitResponseHandler. */
  private commitResult(response: OffsetCommitResponse, sent: CommitIdentity): CommitResult {
    const error = response.topics.flatMap((topic) => topic.partitions).find((partition) => partition.errorCode !== 'NONE')?.errorCode;
    if (error === undefined) return { ok: true };
    if (FENCING_ERRORS.has(error)) return { ok: false, exception: this.member.onCommitFencingError(error, sent) };
    if (COORDINATOR_ERRORS.has(error)) this.lookup.markCoordinatorUnknown(error, false);
    if (isRetriable(error) || COORDINATOR_ERRORS.has(error)) return { ok: false, exception: { kind: 'RetriableCommitFailed', error } };
    return { ok: false, exception: { kind: 'KafkaException', error } };
  }

  // ---- OffsetFetch ----

  /** Fetches the committed offsets of `partitions`; `done` runs once. Null offsets: nothing committed. */
  fetchCommittedOffsets(partitions: readonly TopicPartition[], done: (result: CommittedOffsetsResult) => void): void {
    const coordinator = this.lookup.coordinator;
    if (coordinator === null) return done({ ok: false, retriable: true, exception: { kind: 'RetriableCommitFailed', error: 'COORDINATOR_NOT_AVAILABLE' } });
    const identity = this.member.offsetFetchIdentity();
    const byTopic = new Map<string, number[]>();
    for (const partition of partitions) byTopic.set(partition.topic, [...(byTopic.get(partition.topic) ?? []), partition.partition]);
    this.network.send(
      coordinator,
      {
        api: 'OffsetFetch',
        groups: [{ groupId: this.groupId, memberId: identity?.memberId ?? null, memberEpoch: identity?.memberEpoch ?? -1, topics: [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes })) }],
        requireStable: true,
      },
      this.config.requestTimeoutMs,
      (outcome) => {
        if (!outcome.ok) {
          // The network client has closed the connection already (Kafka's DisconnectException).
          this.lookup.markCoordinatorUnknown(outcome.error, true);
          return done({ ok: false, retriable: true, exception: { kind: 'RetriableCommitFailed', error: outcome.error } });
        }
        const result = this.committedOffsetsResult(outcome.response);
        this.committedFetchAttempts = result.ok ? 0 : this.committedFetchAttempts + 1;
        done(result);
      },
    );
  }

  /** The pause before the next OffsetFetch after a retriable failure (exponential, as Kafka's). */
  committedFetchBackoffMs(): number {
    return retryBackoffMs(Math.max(0, this.committedFetchAttempts - 1), this.config.retryBackoffMs, this.config.retryBackoffMaxMs, this.host.random);
  }

  private committedOffsetsResult(response: OffsetFetchResponse): CommittedOffsetsResult {
    const group = response.groups.find((candidate) => candidate.groupId === this.groupId);
    if (group === undefined) return { ok: false, retriable: false, exception: { kind: 'KafkaException', error: 'UNKNOWN_SERVER_ERROR' } };
    const groupError = group.errorCode !== 'NONE' ? group.errorCode : group.topics.flatMap((topic) => topic.partitions).find((p) => p.errorCode !== 'NONE')?.errorCode;
    if (groupError !== undefined) {
      if (COORDINATOR_ERRORS.has(groupError)) this.lookup.markCoordinatorUnknown(groupError, false);
      const retriable = isRetriable(groupError) || COORDINATOR_ERRORS.has(groupError) || groupError === 'STALE_MEMBER_EPOCH' || groupError === 'UNKNOWN_MEMBER_ID';
      return { ok: false, retriable, exception: { kind: 'KafkaException', error: groupError } };
    }
    const offsets = new Map<string, OffsetAndMetadata | null>();
    for (const topic of group.topics) {
      for (const partition of topic.partitions) {
        const key = topicPartitionKey({ topic: topic.name, partition: partition.partitionIndex });
        offsets.set(key, partition.committedOffset === NO_COMMITTED_OFFSET ? null : { offset: partition.committedOffset, leaderEpoch: partition.committedLeaderEpoch < 0 ? null : partition.committedLeaderEpoch });
      }
    }
    return { ok: true, offsets };
  }
}

function isRetriableCommitFailure(exception: ConsumerException): boolean {
  return exception.kind === 'RetriableCommitFailed';
}
