/**
 * Kafka's consumer (KafkaConsumer) as a state machine embedded in a node, like the producer: the
 * node forwards `handleStart`, `handleMessage`, `handleTimer` (the consumer's tags start with
 * `consumer.`) and `handleDisconnect`, and calls the application API.
 *
 * Kafka's blocking calls keep their meaning without blocking: `poll(timeoutMs, callback)` completes
 * once, with records as soon as there are any, with none when the timeout passes, or with the
 * exception Kafka's poll would throw; `commitSync` completes once its commit is settled or
 * default.api.timeout.ms passed; `close` once the member left. While one of them is pending the
 * consumer works "in the application's thread" on every input (joining, rebalance callbacks,
 * positions, fetches); between them only the background runs (heartbeats, timeouts, responses), as
 * with Kafka's heartbeat thread. An application makes one blocking call at a time; the callbacks
 * of commitAsync run inside its next blocking call, in order, as in Kafka.
 *
 * What one poll does (KafkaConsumer.poll, updateAssignmentMetadataIfNeeded, pollForFetches):
 * 1. the group's poll (ConsumerCoordinator or ConsumerMembershipManager): keep the member alive,
 *    complete a rebalance (callbacks), auto-commit when due;
 * 2. positions, once the group is settled: validate positions after leader changes (KIP-320), fetch
 *    committed offsets for new partitions, reset the rest by auto.offset.reset (ListOffsets);
 * 3. hand out buffered records (at most max.poll.records) and send the next fetches.
 *
 * Left out: pattern subscriptions, offsetsForTimes, wakeup(), interceptors, deserializers and
 * KafkaConsumer's multi-threaded access checks.
 */

import type { Host, NodeId, TimerId } from '../host.js';
import type { TopicPartition } from '../protocol/apis.js';
import type { ConsumerConfig } from './consumerConfig.js';
import { createAssignor } from './assignors/index.js';
import { ConsumerCoordinator } from './consumerCoordinator.js';
import { ConsumerMembershipManager } from './consumerMembershipManager.js';
import { ConsumerNetworkClient } from './consumerNetworkClient.js';
import type { ConsumerException, ConsumerRecord } from './consumerRecord.js';
import { CoordinatorLookup } from './coordinatorLookup.js';
import { Fetcher } from './fetcher.js';
import type { GroupMember, GroupMetadata } from './groupMember.js';
import { ClientMetadata } from './metadata.js';
import { OffsetFetcher } from './offsetFetcher.js';
import { type CommitCallback, type CommitResult, type CommittedOffsetsResult, OffsetCommitManager, type OffsetsToCommit } from './offsetCommitManager.js';
import { type ConsumerRebalanceListener, NO_OP_REBALANCE_LISTENER } from './rebalanceListener.js';
import { retryBackoffMs } from './retryBackoff.js';
import { type FetchPosition, SubscriptionState } from './subscriptionState.js';

export type { ConsumerRecord } from './consumerRecord.js';

const WAKEUP_TIMER = 'consumer.wakeup';
/** KafkaConsumer.close()'s default timeout (DEFAULT_CLOSE_TIMEOUT_MS). */
export const CLOSE_TIMEOUT_MS = 30_000;

export interface ConsumerOptions {
  /** bootstrap.servers: brokers to ask for metadata until a MetadataResponse names the live ones. */
  readonly bootstrapBrokers: readonly NodeId[];
  readonly config: ConsumerConfig;
}

export type PollResult = { readonly ok: true; readonly records: readonly ConsumerRecord[] } | { readonly ok: false; readonly exception: ConsumerException };

/** The application's blocking call in progress, if any. */
type ApplicationCall =
  | { readonly kind: 'poll'; readonly deadlineMs: number; readonly callback: (result: PollResult) => void }
  | { readonly kind: 'commitSync'; readonly callback: (result: CommitResult) => void }
  | { readonly kind: 'close'; readonly deadlineMs: number; readonly callback: () => void };

/** An OffsetFetch for the partitions awaiting their committed offsets (pendingCommittedOffsetRequest). */
interface CommittedOffsetsRequest {
  readonly partitions: readonly TopicPartition[];
  result: CommittedOffsetsResult | null;
}

export class Consumer {
  readonly config: ConsumerConfig;
  readonly metadata: ClientMetadata;
  readonly subscriptions: SubscriptionState;
  private readonly network: ConsumerNetworkClient;
  private readonly fetcher: Fetcher;
  private readonly offsetFetcher: OffsetFetcher;
  /** Null without group.id: such a consumer only assigns itself partitions and commits nothing. */
  private readonly lookup: CoordinatorLookup | null;
  private readonly commits: OffsetCommitManager | null;
  private readonly group: GroupMember | null;
  private listener: ConsumerRebalanceListener = NO_OP_REBALANCE_LISTENER;
  private call: ApplicationCall | null = null;
  /** Completions to hand to the application once the current input is fully handled. */
  private completions: Array<() => void> = [];
  private committedOffsets: CommittedOffsetsRequest | null = null;
  private committedOffsetsRetryAtMs = Number.NEGATIVE_INFINITY;
  private started = false;
  private closed = false;
  private running = false;
  private runAgain = false;
  private wakeup: { readonly id: TimerId; readonly atMs: number } | null = null;
  private metadataInFlight = false;
  private metadataAttempts = 0;
  private metadataNextAllowedMs = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly host: Host<unknown>,
    options: ConsumerOptions,
  ) {
    this.config = options.config;
    this.metadata = new ClientMetadata(options.bootstrapBrokers);
    this.subscriptions = new SubscriptionState(this.config.autoOffsetReset);
    this.network = new ConsumerNetworkClient(host);
    this.fetcher = new Fetcher(this.subscriptions, this.metadata, this.network, this.config);
    this.offsetFetcher = new OffsetFetcher(this.subscriptions, this.metadata, this.network, this.config, () => this.host.nowMs(), (event) => this.host.trace(event));
    const groupId = this.config.groupId;
    if (groupId === null) {
      this.lookup = null;
      this.commits = null;
      this.group = null;
      return;
    }
    this.lookup = new CoordinatorLookup(groupId, this.network, this.metadata, this.config, host);
    this.group = this.createGroupMember(groupId, this.lookup);
    this.commits = new OffsetCommitManager(groupId, this.network, this.lookup, this.config, host, this.group);
  }

  private createGroupMember(groupId: string, lookup: CoordinatorLookup): GroupMember {
    const config = this.config;
    const parts = {
      subscriptions: this.subscriptions,
      metadata: this.metadata,
      commits: () => this.commits!,
      listener: () => this.listener,
      autoCommitEnabled: config.enableAutoCommit,
    };
    if (config.groupProtocol === 'consumer') return new ConsumerMembershipManager(groupId, config, this.network, lookup, this.host, parts);
    return new ConsumerCoordinator(
      {
        groupId,
        groupInstanceId: config.groupInstanceId,
        sessionTimeoutMs: config.sessionTimeoutMs,
        rebalanceTimeoutMs: config.maxPollIntervalMs,
        heartbeatIntervalMs: config.heartbeatIntervalMs,
        retryBackoffMs: config.retryBackoffMs,
        retryBackoffMaxMs: config.retryBackoffMaxMs,
        requestTimeoutMs: config.requestTimeoutMs,
      },
      this.network,
      lookup,
      this.host,
      { ...parts, assignors: config.partitionAssignmentStrategy.map(createAssignor) },
    );
  }

  // ---------------------------------------------------------------------------------------------
  // Inputs from the owning node.

  handleStart(): void {
    if (this.started) throw new Error('Consumer.handleStart: already started');
    this.started = true;
    this.run();
  }

  /** Handles a response to one of this consumer's requests and returns true; false for anything else. */
  handleMessage(from: NodeId, message: unknown): boolean {
    if (!this.network.handleMessage(from, message)) return false;
    this.run();
    return true;
  }

  handleTimer(tag: string, id?: TimerId): boolean {
    if (!tag.startsWith('consumer.')) return false;
    if (tag !== WAKEUP_TIMER || this.wakeup === null || (id !== undefined && id !== this.wakeup.id)) return true;
    this.wakeup = null;
    this.run();
    return true;
  }

  handleDisconnect(peer: NodeId): void {
    if (!this.started) return;
    this.network.handleDisconnect(peer);
    this.run();
  }

  // ---------------------------------------------------------------------------------------------
  // The application API.

  /** KafkaConsumer.subscribe: the group assigns partitions of these topics. */
  subscribe(topics: readonly string[], listener: ConsumerRebalanceListener = NO_OP_REBALANCE_LISTENER): void {
    if (this.group === null) throw new Error('subscribe needs group.id (InvalidGroupIdException)');
    this.subscriptions.subscribe(topics);
    this.listener = listener;
    for (const topic of topics) this.metadata.addTopic(topic);
    this.run();
  }

  /** KafkaConsumer.assign: read these partitions, without group management. */
  assign(partitions: readonly TopicPartition[]): void {
    this.subscriptions.assignFromUser(partitions);
    this.fetcher.clearBufferedDataForUnassignedPartitions();
    for (const partition of partitions) this.metadata.addTopic(partition.topic);
    this.run();
  }

  /** KafkaConsumer.poll(Duration): see the header. */
  poll(timeoutMs: number, callback: (result: PollResult) => void): void {
    this.beginCall({ kind: 'poll', deadlineMs: this.host.nowMs() + timeoutMs, callback });
  }

  /** KafkaConsumer.commitSync: these offsets, or every consumed position. */
  commitSync(offsets: OffsetsToCommit | null, callback: (result: CommitResult) => void): void {
    const commits = this.requireGroup('commitSync');
    this.beginCall({ kind: 'commitSync', callback });
    commits.invokeCompletedCallbacks();
    commits.commitSync(offsets ?? this.subscriptions.allConsumed(), this.host.nowMs() + this.config.defaultApiTimeoutMs, (result) => this.completeCall('commitSync', () => callback(result)));
    this.run();
  }

  /** KafkaConsumer.commitAsync: the callback runs in a later blocking call. */
  commitAsync(offsets: OffsetsToCommit | null, callback: CommitCallback): void {
    const commits = this.requireGroup('commitAsync');
    commits.commitAsync(offsets ?? this.subscriptions.allConsumed(), callback);
    this.run();
  }

  /** KafkaConsumer.close: commits (with auto-commit), revokes, leaves the group, then calls back. */
  close(callback: () => void): void {
    this.beginCall({ kind: 'close', deadlineMs: this.host.nowMs() + CLOSE_TIMEOUT_MS, callback });
    const commits = this.commits;
    if (commits !== null && this.config.enableAutoCommit && this.group !== null) {
      commits.commitSync(this.subscriptions.allConsumed(), this.host.nowMs() + CLOSE_TIMEOUT_MS, () => this.finishClose());
      this.run();
      return;
    }
    this.finishClose();
    this.run();
  }

  seek(partition: TopicPartition, offset: number): void {
    const position: FetchPosition = { offset, offsetEpoch: null, currentLeader: this.offsetFetcher.currentLeader(partition) };
    this.subscriptions.seekValidated(partition, position);
    this.fetcher.clearBufferedDataFor(partition);
  }

  seekToBeginning(partitions: readonly TopicPartition[]): void {
    for (const partition of partitions) this.subscriptions.requestOffsetReset(partition, 'earliest');
    for (const partition of partitions) this.fetcher.clearBufferedDataFor(partition);
  }

  seekToEnd(partitions: readonly TopicPartition[]): void {
    for (const partition of partitions) this.subscriptions.requestOffsetReset(partition, 'latest');
    for (const partition of partitions) this.fetcher.clearBufferedDataFor(partition);
  }

  pause(partitions: readonly TopicPartition[]): void {
    for (const partition of partitions) this.subscriptions.pause(partition);
  }

  resume(partitions: readonly TopicPartition[]): void {
    for (const partition of partitions) this.subscriptions.resume(partition);
  }

  /** The next offset to be returned for the partition, or null while it has none yet (Kafka's position() would block). */
  position(partition: TopicPartition): number | null {
    return this.subscriptions.position(partition)?.offset ?? null;
  }

  assignment(): TopicPartition[] {
    return this.subscriptions.assignedPartitions();
  }

  /** The member's generation or epoch and id (KafkaConsumer.groupMetadata), or null without a group. */
  groupMetadata(): GroupMetadata | null {
    return this.group?.groupMetadata() ?? null;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private requireGroup(what: string): OffsetCommitManager {
    if (this.commits === null) throw new Error(`${what} needs group.id (InvalidGroupIdException)`);
    return this.commits;
  }

  private beginCall(call: ApplicationCall): void {
    if (!this.started) throw new Error(`Consumer.${call.kind} before handleStart`);
    if (this.closed) throw new Error(`Consumer.${call.kind} after close`);
    if (this.call !== null) throw new Error(`Consumer.${call.kind} while ${this.call.kind} is in progress: one blocking call at a time`);
    this.call = call;
    if (call.kind === 'poll') this.run();
  }

  /** Ends the pending call of that kind; its callback runs once the current input is handled. */
  private completeCall(kind: ApplicationCall['kind'], deliver: () => void): void {
    if (this.call?.kind !== kind) throw new Error(`completeCall(${kind}) while ${this.call?.kind ?? 'nothing'} is pending`);
    this.call = null;
    this.completions.push(deliver);
  }

  private finishClose(): void {
    this.group?.close();
    this.commits?.invokeCompletedCallbacks();
    this.closed = true;
    const call = this.call;
    if (call?.kind === 'close') this.completeCall('close', call.callback);
    if (this.wakeup !== null) this.host.cancelTimer(this.wakeup.id);
    this.wakeup = null;
  }

  // ---------------------------------------------------------------------------------------------
  // The loop: background work on every input, the application's work while a call is pending.

  private run(): void {
    if (this.running) {
      this.runAgain = true;
      return;
    }
    this.running = true;
    try {
      do {
        this.runAgain = false;
        if (this.closed) break;
        const nowMs = this.host.nowMs();
        this.network.checkTimeouts(nowMs);
        this.commits?.runDueRetries(nowMs);
        this.runBackground(nowMs);
        this.runApplicationCall(nowMs);
      } while (this.runAgain);
    } finally {
      this.running = false;
    }
    if (!this.closed) this.scheduleWakeup(this.host.nowMs());
    const completions = this.completions;
    this.completions = [];
    for (const deliver of completions) deliver();
  }

  private runBackground(nowMs: number): void {
    this.maybeSendMetadataRequest(nowMs);
    this.group?.runBackground(nowMs);
    if (this.lookup !== null && this.lookup.hasWaiters()) this.lookup.lookupIfNeeded(nowMs);
  }

  private runApplicationCall(nowMs: number): void {
    const call = this.call;
    if (call === null) return;
    switch (call.kind) {
      case 'poll': {
        const result = this.pollOnce(nowMs);
        if (result !== null) this.completeCall('poll', () => call.callback(result));
        else if (nowMs >= call.deadlineMs) this.completeCall('poll', () => call.callback({ ok: true, records: [] }));
        return;
      }
      case 'commitSync':
        return;
      case 'close':
        if (nowMs >= call.deadlineMs) this.finishClose();
        return;
      default: {
        const unknown: never = call;
        throw new Error(`unknown call ${String(unknown)}`);
      }
    }
  }

  /** One round of KafkaConsumer.poll: a result to hand back, or null to wait for more inputs. */
  private pollOnce(nowMs: number): PollResult | null {
    if (this.subscriptions.type === 'NONE') throw new Error('Consumer is not subscribed to any topics or assigned any partitions');
    let ready = true;
    if (this.group !== null) {
      const group = this.group.poll(nowMs);
      if (!group.ok) return group;
      ready = group.ready;
    }
    if (ready) {
      const exception = this.updateFetchPositions(nowMs);
      if (exception !== null) return { ok: false, exception };
    }
    const fetch = this.fetcher.collectFetch();
    if (fetch.exception !== null) return { ok: false, exception: fetch.exception };
    // Send the next fetches before handing records over, so they are in flight while the application works.
    this.fetcher.sendFetches();
    if (fetch.records.length > 0) return { ok: true, records: fetch.records };
    // Answers were used up without records (an error asked for a reset, say): another round, as Kafka's poll loop would.
    if (fetch.drained) this.runAgain = true;
    return null;
  }

  /** KafkaConsumer.updateFetchPositions: validation, committed offsets, resets. */
  private updateFetchPositions(nowMs: number): ConsumerException | null {
    const truncation = this.offsetFetcher.validatePositionsIfNeeded();
    if (truncation !== null) return { kind: 'LogTruncation', truncation };
    if (this.subscriptions.hasAllFetchPositions()) return null;
    if (this.commits !== null) {
      const committed = this.initWithCommittedOffsetsIfNeeded(nowMs);
      if (committed !== true) return committed === false ? null : committed;
    }
    const withoutOffsets = this.subscriptions.resetInitializingPositions();
    if (withoutOffsets.length > 0) return { kind: 'NoOffsetForPartition', partitions: withoutOffsets };
    this.offsetFetcher.resetPositionsIfNeeded();
    return null;
  }

  /**
   * ConsumerCoordinator.initWithCommittedOffsetsIfNeeded: the committed offsets of partitions just
   * assigned, each a position to validate (it carries the epoch it was committed with). True when
   * done, false while waiting, or a fatal exception.
   */
  private initWithCommittedOffsetsIfNeeded(nowMs: number): boolean | ConsumerException {
    const initializing = this.subscriptions.partitionsInState('INITIALIZING', nowMs);
    if (initializing.length === 0) return true;
    const pending = this.committedOffsets;
    if (pending !== null && samePartitions(pending.partitions, initializing)) {
      if (pending.result === null) return false;
      this.committedOffsets = null;
      if (!pending.result.ok) {
        if (!pending.result.retriable) return pending.result.exception;
        this.committedOffsetsRetryAtMs = nowMs + this.commits!.committedFetchBackoffMs();
        return false;
      }
      this.refreshCommittedOffsets(pending.result.offsets);
      return true;
    }
    // A request for other partitions (the assignment changed) is forgotten.
    this.committedOffsets = null;
    if (this.lookup!.coordinator === null) {
      this.lookup!.lookupIfNeeded(nowMs);
      return false;
    }
    if (nowMs < this.committedOffsetsRetryAtMs) return false;
    const request: CommittedOffsetsRequest = { partitions: initializing, result: null };
    this.committedOffsets = request;
    this.commits!.fetchCommittedOffsets(initializing, (result) => {
      request.result = result;
    });
    return false;
  }

  private refreshCommittedOffsets(offsets: ReadonlyMap<string, { readonly offset: number; readonly leaderEpoch: number | null } | null>): void {
    for (const partition of this.subscriptions.assignedPartitions()) {
      const committed = offsets.get(`${partition.topic}-${partition.partition}`);
      if (committed === undefined || committed === null) continue;
      this.subscriptions.seekUnvalidated(partition, { offset: committed.offset, offsetEpoch: committed.leaderEpoch, currentLeader: this.offsetFetcher.currentLeader(partition) });
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Metadata.

  private maybeSendMetadataRequest(nowMs: number): void {
    if (this.metadataInFlight || nowMs < this.metadataNextAllowedMs || !this.metadata.updateDue(nowMs, this.config.metadataMaxAgeMs)) return;
    const topics = this.metadata.wantedTopics();
    if (topics.length === 0) return;
    const broker = this.host.random.pick(this.metadata.liveBrokers());
    this.metadataInFlight = true;
    this.network.send(broker, { api: 'Metadata', topics }, this.config.requestTimeoutMs, (outcome) => {
      this.metadataInFlight = false;
      const nowMs = this.host.nowMs();
      const incomplete = outcome.ok ? this.metadata.update(outcome.response, nowMs) : true;
      if (!incomplete) this.metadataAttempts = 0;
      // Spaced by the retry backoff, so a leaderless partition is not asked about in a tight loop.
      this.metadataNextAllowedMs = incomplete ? nowMs + retryBackoffMs(this.metadataAttempts++, this.config.retryBackoffMs, this.config.retryBackoffMaxMs, this.host.random) : nowMs;
    });
  }

  // ---------------------------------------------------------------------------------------------
  // The wakeup timer: the earliest time something is due without a new input.

  private scheduleWakeup(nowMs: number): void {
    const candidates = [
      this.network.nextDeadlineMs(),
      this.commits?.nextRetryTimeMs() ?? Number.POSITIVE_INFINITY,
      this.group?.nextWakeupMs() ?? Number.POSITIVE_INFINITY,
      this.lookup?.nextLookupTimeMs() ?? Number.POSITIVE_INFINITY,
      this.metadataInFlight ? Number.POSITIVE_INFINITY : this.metadata.updateDue(nowMs, this.config.metadataMaxAgeMs) ? this.metadataNextAllowedMs : this.metadata.nextRefreshMs(this.config.metadataMaxAgeMs),
    ];
    const call = this.call;
    if (call !== null && call.kind !== 'commitSync') candidates.push(call.deadlineMs);
    if (call?.kind === 'poll') {
      // Within a poll: backed-off resets and validations, committed-offset retries, auto-commit.
      candidates.push(this.subscriptions.nextRetryTimeMs() ?? Number.POSITIVE_INFINITY, this.committedOffsetsRetryAtMs);
      if (this.config.enableAutoCommit && this.commits !== null) candidates.push(this.commits.nextAutoCommitTimeMs());
    }
    const next = Math.min(...candidates.filter((atMs) => atMs > nowMs));
    if (!Number.isFinite(next)) return;
    if (this.wakeup !== null && this.wakeup.atMs <= next && this.wakeup.atMs > nowMs) return;
    if (this.wakeup !== null) this.host.cancelTimer(this.wakeup.id);
    this.wakeup = { id: this.host.setTimer(next - nowMs, WAKEUP_TIMER), atMs: next };
  }
}

function samePartitions(a: readonly TopicPartition[], b: readonly TopicPartition[]): boolean {
  const key = (partitions: readonly TopicPartition[]) => partitions.map((p) => `${p.topic}-${p.partition}`).sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)).join(',');
  return key(a) === key(b);
}
