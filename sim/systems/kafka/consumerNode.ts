/**
 * A runnable consumer node for scenarios: one Consumer that is a member of a group (or assigns
 * itself every partition), an application loop, and the Jepsen-style history the checker judges.
 *
 * What it models: an application that polls (poll(pollTimeoutMs)), processes what it got for
 * `processingMs` per record, then commits as its commit mode says — `auto` (enable.auto.commit:
 * the consumer commits on its own, from poll and before revocations), `sync` (commitSync of the
 * positions after processing, then the next poll), `async` (commitAsync, then the next poll at
 * once) — and polls again, until its clock reaches `stopAtMs`, when it closes the consumer (a last
 * auto-commit, revocation, LeaveGroup). A crash ends the loop wherever it is; the restarted node
 * is a new consumer that joins again (as the same static member, if group.instance.id is set).
 * A poll that throws a fatal KafkaException (GROUP_ID_NOT_FOUND when the coordinator lost the
 * group's state) ends the process (`host.halt`); its supervisor restarts it like a crash.
 *
 * History (trace events; requestId = incarnation * REQUEST_ID_STRIDE + n, unique per node; every
 * event names its `group`; partitions are keyed `topic-partition`):
 *
 *   {type:'consumer.subscribed', group, topics, partitions, incarnation}
 *       at start: the topics subscribed to, or the partitions assigned (mode assign, topics []).
 *   {type:'op.invoke', op:'poll', requestId, group, generation, memberId, assignment, positions}
 *       before each poll: the member's generation (classic) or member epoch (KIP-848), -1 outside
 *       the group; its assignment [partition]; positions {partition: next offset | null}.
 *   then exactly one of
 *   {type:'op.ok', op:'poll', requestId, group, generation, memberId, assignment, positions, records}
 *       what the poll returned: records {partition: [[offset, value], ...]} (possibly {}), in
 *       offset order per partition; generation, assignment and positions as they are right after
 *       the poll — the records were fetched under that assignment;
 *   {type:'op.fail', op:'poll', requestId, group, error}
 *       the poll raised (NoOffsetForPartition, OffsetOutOfRange, LogTruncation, FencedInstanceId,
 *       ...): it returned nothing and moved no position.
 *   A poll open at a crash stays open (read it like op.info: it returned nothing the application saw).
 *
 *   {type:'op.invoke', op:'commit', requestId, group, mode, generation, memberId, offsets}
 *       an application commit (mode 'sync' or 'async') of offsets {partition: offset}: the next
 *       offset to read, i.e. every record below it was processed;
 *   then exactly one of
 *   {type:'op.ok', op:'commit', requestId, group}                 committed;
 *   {type:'op.fail', op:'commit', requestId, group, error}        certainly not committed
 *       (CommitFailed, RebalanceInProgress, a refusal by the coordinator);
 *   {type:'op.info', op:'commit', requestId, group, error}        unknown: a lost or timed-out
 *       request may have been applied (NETWORK_EXCEPTION, REQUEST_TIMED_OUT, Timeout).
 *   An async commit's outcome arrives inside a later poll; one open at a crash stays open.
 *
 *   {type:'rebalance.revoked' | 'rebalance.assigned' | 'rebalance.lost', group, generation, memberId, partitions}
 *       the rebalance listener's callbacks, as they run (inside a poll or close): revoked partitions
 *       were still owned; assigned ones are the added ones (cooperative: possibly none); lost ones
 *       were owned no longer.
 *   {type:'consumer.closed', group} once close completed.
 *
 * Every commit the consumer library sends, auto-commits included, is also traced by it
 * (consumer.commit-sent / consumer.commit-done, see src/client/offsetCommitManager.ts), as are its
 * joins, assignments and fencings (consumer.joined, consumer.assigned, consumer.member-state,
 * consumer.fenced, consumer.leave) and where a reset or a detected truncation moved a position
 * (consumer.offset-reset {partition, from, to, reason: earliest | latest | truncation}, see
 * src/client/offsetFetcher.ts). The group checker (groupChecker.ts) judges all of it.
 *
 * Invariants: every invoke gets at most one completion; one blocking call at a time; the node
 * reads its clock only through the host.
 */

import { Consumer, type PollResult } from '../../../src/client/consumer.js';
import { parseConsumerConfig } from '../../../src/client/consumerConfig.js';
import { type ConsumerException, type ConsumerRecord, errorNameOf } from '../../../src/client/consumerRecord.js';
import type { CommitResult } from '../../../src/client/offsetCommitManager.js';
import type { ConsumerRebalanceListener } from '../../../src/client/rebalanceListener.js';
import type { DiskCompletion, Host, NodeFactory, NodeId, ProtocolNode, TimerId, TrafficClass } from '../../../src/host.js';
import { type TopicPartition, topicPartitionKey } from '../../../src/protocol/apis.js';
import { REQUEST_ID_STRIDE } from './producerNode.js';

export type CommitMode = 'auto' | 'sync' | 'async';

export interface ConsumerWorkload {
  readonly topic: string;
  /** subscribe (group management) or assign (every partition of the topic, no group management). */
  readonly subscription: 'subscribe' | 'assign';
  /** The topic's partition count, for assign. */
  readonly partitions: number;
  readonly commit: CommitMode;
  /** Processing time per record polled. */
  readonly processingMs: number;
  readonly pollTimeoutMs: number;
  /** The node closes its consumer once its clock reaches this time. */
  readonly stopAtMs: number;
}

export interface ConsumerNodeOptions {
  readonly bootstrapBrokers: readonly NodeId[];
  /** Kafka's consumer configs by name (group.id, group.protocol, ...), already including the commit mode's enable.auto.commit. */
  readonly config: Readonly<Record<string, unknown>>;
  readonly workload: ConsumerWorkload;
}

const NEXT_TIMER = 'consumerNode.next';

/** Commit failures after which the commit may still have been applied. */
const INDETERMINATE_COMMIT_ERRORS: ReadonlySet<string> = new Set(['NETWORK_EXCEPTION', 'REQUEST_TIMED_OUT', 'Timeout']);

/** Validates everything up front (a bad scenario fails before the run) and returns the node factory. */
export function createConsumerNode(options: ConsumerNodeOptions): NodeFactory<unknown> {
  const parsed = parseConsumerConfig(options.config);
  if (!parsed.ok) throw new Error(`createConsumerNode: ${parsed.errors.join('; ')}`);
  const { processingMs, pollTimeoutMs, partitions } = options.workload;
  if (!Number.isSafeInteger(processingMs) || processingMs < 0) throw new Error(`createConsumerNode: processingMs must be an integer ≥ 0, got ${processingMs}`);
  if (!Number.isSafeInteger(pollTimeoutMs) || pollTimeoutMs <= 0) throw new Error(`createConsumerNode: pollTimeoutMs must be a positive integer, got ${pollTimeoutMs}`);
  if (!Number.isSafeInteger(partitions) || partitions <= 0) throw new Error(`createConsumerNode: partitions must be a positive integer, got ${partitions}`);
  if (options.workload.commit === 'auto' && !parsed.config.enableAutoCommit) throw new Error('createConsumerNode: commit mode auto needs enable.auto.commit=true');
  if (options.workload.commit !== 'auto' && parsed.config.enableAutoCommit) throw new Error(`createConsumerNode: commit mode ${options.workload.commit} needs enable.auto.commit=false`);
  const config = parsed.config;
  return (host) => new ConsumerNode(host, new Consumer(host, { bootstrapBrokers: options.bootstrapBrokers, config }), options.workload);
}

export class ConsumerNode implements ProtocolNode<unknown> {
  private operations = 0;
  private nextTimer: TimerId | null = null;
  /** What the next timer continues with: the end of processing, or the next poll. */
  private next: 'processed' | 'poll' = 'poll';
  private stopped = false;
  private readonly group: string;

  constructor(
    private readonly host: Host<unknown>,
    readonly consumer: Consumer,
    private readonly workload: ConsumerWorkload,
  ) {
    this.group = consumer.config.groupId ?? '';
  }

  onStart(): void {
    this.consumer.handleStart();
    const workload = this.workload;
    if (workload.subscription === 'subscribe') {
      this.consumer.subscribe([workload.topic], this.listener);
      this.host.trace({ type: 'consumer.subscribed', group: this.group, topics: [workload.topic], partitions: [], incarnation: this.host.incarnation });
    } else {
      const partitions = Array.from({ length: workload.partitions }, (_, partition) => ({ topic: workload.topic, partition }));
      this.consumer.assign(partitions);
      this.host.trace({ type: 'consumer.subscribed', group: this.group, topics: [], partitions: partitions.map(topicPartitionKey), incarnation: this.host.incarnation });
    }
    this.poll();
  }

  onMessage(from: NodeId, message: unknown, _trafficClass: TrafficClass): void {
    // Anything that is not a response to the consumer's requests has no meaning here.
    this.consumer.handleMessage(from, message);
  }

  onTimer(tag: string, id: TimerId): void {
    if (this.consumer.handleTimer(tag, id)) return;
    if (tag !== NEXT_TIMER || id !== this.nextTimer) return;
    this.nextTimer = null;
    if (this.next === 'processed') this.afterProcessing();
    else this.poll();
  }

  onDiskComplete(completion: DiskCompletion): void {
    throw new Error(`ConsumerNode: unexpected disk completion ${completion.opId}`);
  }

  onDisconnect(peer: NodeId, _trafficClass: TrafficClass): void {
    this.consumer.handleDisconnect(peer);
  }

  // ---- The application loop: poll, process, commit, poll ----

  private poll(): void {
    if (this.stopIfDue()) return;
    const requestId = this.nextRequestId();
    this.host.trace({ type: 'op.invoke', op: 'poll', requestId, group: this.group, ...this.memberState() });
    this.consumer.poll(this.workload.pollTimeoutMs, (result) => this.polled(requestId, result));
  }

  private polled(requestId: number, result: PollResult): void {
    if (!result.ok) {
      this.host.trace({ type: 'op.fail', op: 'poll', requestId, group: this.group, error: errorNameOf(result.exception) });
      // A fatal KafkaException leaves the consumer unusable (its member never rejoins): the
      // application dies of it, and its supervisor starts it again with a new consumer.
      if (result.exception.kind === 'KafkaException') return this.host.halt(`poll threw ${errorNameOf(result.exception)}`);
      this.recover(result.exception);
      this.schedule('poll', this.workload.pollTimeoutMs);
      return;
    }
    this.host.trace({ type: 'op.ok', op: 'poll', requestId, group: this.group, ...this.memberState(), records: recordsByPartition(result.records) });
    // Processing takes its time; a timer even for none, so no poll starts inside another's callback.
    this.schedule('processed', result.records.length * this.workload.processingMs);
  }

  /** After an exception the application seeks where Kafka's documentation tells it to, and goes on. */
  private recover(exception: ConsumerException): void {
    if (exception.kind === 'NoOffsetForPartition') this.consumer.seekToBeginning(exception.partitions);
    if (exception.kind === 'OffsetOutOfRange') this.consumer.seekToBeginning([exception.partition]);
    if (exception.kind === 'LogTruncation') {
      const divergent = exception.truncation.divergentOffset;
      if (divergent === null) this.consumer.seekToBeginning([exception.truncation.partition]);
      else this.consumer.seek(exception.truncation.partition, divergent.offset);
    }
  }

  private afterProcessing(): void {
    if (this.workload.commit === 'auto' || this.consumer.assignment().length === 0) return this.poll();
    const requestId = this.nextRequestId();
    const state = this.memberState();
    const offsets = Object.fromEntries([...this.consumer.subscriptions.allConsumed()].map(([key, entry]) => [key, entry.offset.offset]));
    this.host.trace({ type: 'op.invoke', op: 'commit', requestId, group: this.group, mode: this.workload.commit, generation: state.generation, memberId: state.memberId, offsets });
    const complete = (result: CommitResult) => this.committed(requestId, result);
    if (this.workload.commit === 'sync') {
      this.consumer.commitSync(null, (result) => {
        complete(result);
        this.schedule('poll', 0);
      });
      return;
    }
    this.consumer.commitAsync(null, (_offsets, result) => complete(result));
    this.poll();
  }

  private committed(requestId: number, result: CommitResult): void {
    if (result.ok) {
      this.host.trace({ type: 'op.ok', op: 'commit', requestId, group: this.group });
      return;
    }
    const error = errorNameOf(result.exception);
    this.host.trace({ type: INDETERMINATE_COMMIT_ERRORS.has(error) ? 'op.info' : 'op.fail', op: 'commit', requestId, group: this.group, error });
  }

  private schedule(next: 'processed' | 'poll', delayMs: number): void {
    this.next = next;
    this.nextTimer = this.host.setTimer(delayMs, NEXT_TIMER);
  }

  /** Past stopAtMs the application closes its consumer instead of polling again. */
  private stopIfDue(): boolean {
    if (this.stopped) return true;
    if (this.host.nowMs() < this.workload.stopAtMs) return false;
    this.stopped = true;
    this.consumer.close(() => this.host.trace({ type: 'consumer.closed', group: this.group }));
    return true;
  }

  private nextRequestId(): number {
    const n = this.operations++;
    if (n >= REQUEST_ID_STRIDE) throw new Error(`ConsumerNode: more than ${REQUEST_ID_STRIDE} operations in one incarnation`);
    return this.host.incarnation * REQUEST_ID_STRIDE + n;
  }

  private memberState(): { generation: number; memberId: string; assignment: string[]; positions: Record<string, number | null> } {
    const group = this.consumer.groupMetadata();
    const assignment = this.consumer.assignment();
    return {
      generation: group?.generationId ?? -1,
      memberId: group?.memberId ?? '',
      assignment: assignment.map(topicPartitionKey),
      positions: Object.fromEntries(assignment.map((partition) => [topicPartitionKey(partition), this.consumer.position(partition)])),
    };
  }

  private readonly listener: ConsumerRebalanceListener = {
    onPartitionsRevoked: (partitions) => this.traceRebalance('rebalance.revoked', partitions),
    onPartitionsAssigned: (partitions) => this.traceRebalance('rebalance.assigned', partitions),
    onPartitionsLost: (partitions) => this.traceRebalance('rebalance.lost', partitions),
  };

  private traceRebalance(type: string, partitions: readonly TopicPartition[]): void {
    const group = this.consumer.groupMetadata();
    this.host.trace({ type, group: this.group, generation: group?.generationId ?? -1, memberId: group?.memberId ?? '', partitions: partitions.map(topicPartitionKey) });
  }
}

/** Records by partition, each [offset, value], in the order polled. */
function recordsByPartition(records: readonly ConsumerRecord[]): Record<string, Array<[number, string | null]>> {
  const byPartition: Record<string, Array<[number, string | null]>> = {};
  for (const record of records) (byPartition[`${record.topic}-${record.partition}`] ??= []).push([record.offset, record.value]);
  return byPartition;
}
