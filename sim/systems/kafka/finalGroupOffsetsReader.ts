/**
 * The world's last look at a group's committed offsets, for the exactly-once checker: after the
 * clients stopped, it finds the group's coordinator (FindCoordinator, KeyType GROUP) and asks it
 * for the committed offsets of every partition of a topic (OffsetFetch with requireStable, as a
 * read_committed consumer asks: a transactional commit not yet settled answers
 * UNSTABLE_OFFSET_COMMIT, and the reader asks again). It traces
 *   {type:'kafka.final-group-offsets', group, topic, offsets: [[partition, offset]]}
 * once, offset -1 for a partition the group never committed.
 *
 * Any error, a lost answer or a timeout means: ask again a little later, from the next broker.
 * It reads its clock only through the host and never writes.
 */
import type { DiskCompletion, Host, NodeId, ProtocolNode, TimerId } from '../../../src/host.js';
import { COORDINATOR_KEY_TYPE_GROUP, type KafkaResponse, type OffsetFetchResponse } from '../../../src/protocol/apis.js';

const RETRY_MS = 200;
const REQUEST_TIMEOUT_MS = 2_000;

export class FinalGroupOffsetsReader implements ProtocolNode<unknown> {
  private nextCorrelation = 1;
  private inFlight: { readonly correlationId: number; readonly timer: TimerId } | null = null;
  private brokerIndex = 0;
  private done = false;

  constructor(
    private readonly host: Host<unknown>,
    private readonly brokers: readonly NodeId[],
    private readonly groupId: string,
    private readonly topic: string,
    private readonly partitions: number,
    /** When to read: after the pipeline's instances stopped. */
    private readonly readAtMs: number,
  ) {}

  onStart(): void {
    this.host.setTimer(Math.max(0, this.readAtMs - this.host.nowMs()), 'groupOffsets.start');
  }

  onTimer(tag: string): void {
    if (this.done) return;
    if (tag === 'groupOffsets.start' || tag === 'groupOffsets.retry') return this.findCoordinator();
    if (tag === 'groupOffsets.timeout') {
      this.inFlight = null;
      this.retry();
    }
  }

  private send(to: NodeId, message: { api: string; correlationId: number; [field: string]: unknown }): void {
    this.inFlight = { correlationId: message.correlationId, timer: this.host.setTimer(REQUEST_TIMEOUT_MS, 'groupOffsets.timeout') };
    this.host.send(to, message, 'client');
  }

  private retry(): void {
    this.host.setTimer(RETRY_MS, 'groupOffsets.retry');
  }

  private findCoordinator(): void {
    const broker = this.brokers[this.brokerIndex++ % this.brokers.length]!;
    this.send(broker, { api: 'FindCoordinator', correlationId: this.nextCorrelation++, keyType: COORDINATOR_KEY_TYPE_GROUP, coordinatorKeys: [this.groupId] });
  }

  onMessage(_from: NodeId, message: unknown): void {
    const response = message as KafkaResponse;
    if (this.inFlight === null || !('correlationId' in response) || response.correlationId !== this.inFlight.correlationId) return;
    this.host.cancelTimer(this.inFlight.timer);
    this.inFlight = null;
    if (response.api === 'FindCoordinatorResponse') {
      const found = response.coordinators[0];
      if (found === undefined || found.errorCode !== 'NONE') return this.retry();
      const partitionIndexes = Array.from({ length: this.partitions }, (_, index) => index);
      this.send(found.nodeId as NodeId, {
        api: 'OffsetFetch',
        correlationId: this.nextCorrelation++,
        groups: [{ groupId: this.groupId, memberId: null, memberEpoch: -1, topics: [{ name: this.topic, partitionIndexes }] }],
        requireStable: true,
      });
      return;
    }
    if (response.api === 'OffsetFetchResponse') return this.onOffsets(response);
  }

  private onOffsets(response: OffsetFetchResponse): void {
    const group = response.groups.find((candidate) => candidate.groupId === this.groupId);
    const partitions = group?.topics.find((topic) => topic.name === this.topic)?.partitions ?? [];
    if (group === undefined || group.errorCode !== 'NONE' || partitions.some((partition) => partition.errorCode !== 'NONE')) return this.retry();
    this.done = true;
    this.host.trace({ type: 'kafka.final-group-offsets', group: this.groupId, topic: this.topic, offsets: partitions.map((partition) => [partition.partitionIndex, partition.committedOffset]) });
  }

  onDiskComplete(_completion: DiskCompletion): void {}
  onDisconnect(): void {}
}
