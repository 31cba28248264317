/**
 * The Kafka system's workload drivers, like Jepsen's clients: protocol nodes written against
 * src/host.ts that talk to the cluster only through Kafka's APIs.
 * - AdminNode creates the scenario's topic (CreateTopics, retried on every controller until one
 *   answers), as an operator would right after the cluster starts.
 * - FinalReaderNode reads every partition from offset 0 up to its high watermark (Fetch as a
 *   consumer, read_uncommitted), once the producers have stopped, and traces what it read: the
 *   history checks compare it with what the producers were told.
 */
import type { DiskCompletion, Host, NodeId, ProtocolNode, TimerId } from '../../../src/host.js';
import { filterAbortedTransactions } from '../../../src/client/abortedTransactions.js';
import type { FetchResponse, IsolationLevel, KafkaResponse, MetadataResponse } from '../../../src/protocol/apis.js';
import { decodeReceivedRecords, type RecordBatch } from '../../../src/log/recordBatch.js';

const RETRY_MS = 1_000;
const REQUEST_TIMEOUT_MS = 2_000;

export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  /** A manual assignment (each partition's brokers, preferred leader first), or null to let the controller place replicas. */
  readonly assignments: readonly (readonly NodeId[])[] | null;
  readonly configs: Readonly<Record<string, string>>;
}

export class AdminNode implements ProtocolNode<unknown> {
  private nextCorrelation = 1;
  private inFlight: number | null = null;
  private attempt = 0;
  private done = false;

  constructor(
    private readonly host: Host<unknown>,
    private readonly controllers: readonly NodeId[],
    private readonly topic: TopicSpec,
    private readonly startAfterMs: number,
  ) {}

  onStart(): void {
    this.host.setTimer(this.startAfterMs, 'admin.create');
  }

  onTimer(tag: string): void {
    if (tag !== 'admin.create' || this.done) return;
    // Ask the controllers in turn; whichever is active answers, the others say NOT_CONTROLLER.
    const controller = this.controllers[this.attempt++ % this.controllers.length]!;
    const correlationId = this.nextCorrelation++;
    this.inFlight = correlationId;
    this.host.send(controller, {
      api: 'CreateTopics',
      correlationId,
      topics: [
        this.topic.assignments === null
          ? { name: this.topic.name, numPartitions: this.topic.partitions, replicationFactor: this.topic.replicationFactor, configs: this.topic.configs }
          : {
              name: this.topic.name,
              numPartitions: -1,
              replicationFactor: -1,
              assignments: this.topic.assignments.map((brokerIds, partitionIndex) => ({ partitionIndex, brokerIds })),
              configs: this.topic.configs,
            },
      ],
    }, 'controller');
    this.host.setTimer(RETRY_MS, 'admin.create');
  }

  onMessage(_from: NodeId, message: unknown): void {
    const response = message as KafkaResponse;
    if (response.api !== 'CreateTopicsResponse' || response.correlationId !== this.inFlight) return;
    const result = response.topics[0];
    if (result === undefined) return;
    if (result.errorCode === 'NONE' || result.errorCode === 'TOPIC_ALREADY_EXISTS') {
      this.done = true;
      this.host.trace({ type: 'admin.topic-created', topic: this.topic.name, errorCode: result.errorCode });
    }
  }

  onDiskComplete(_completion: DiskCompletion): void {}
  onDisconnect(): void {}
}

interface PartitionRead {
  readonly partition: number;
  leader: NodeId | null;
  leaderEpoch: number;
  fetchOffset: number;
  readonly records: Array<[number, string | null]>;
  done: boolean;
}

export class FinalReaderNode implements ProtocolNode<unknown> {
  private nextCorrelation = 1;
  private readonly reads = new Map<number, PartitionRead>();
  private inFlight = new Map<number, { kind: 'metadata' } | { kind: 'fetch'; partition: number }>();
  private timeouts = new Map<number, TimerId>();
  private brokerIndex = 0;

  constructor(
    private readonly host: Host<unknown>,
    private readonly brokers: readonly NodeId[],
    private readonly topic: string,
    private readonly partitions: number,
    /** The wall-clock time to start reading: after the producers stopped and replication settled. */
    private readonly readAtMs: number,
    /**
     * read_uncommitted (0) reads everything below the high watermark and traces `kafka.final-read`;
     * read_committed (1) reads below the last stable offset, drops aborted transactions as a
     * consumer does, waits for the LSO to reach the high watermark, and traces
     * `kafka.final-read-committed`.
     */
    private readonly isolationLevel: IsolationLevel = 0,
  ) {}

  onStart(): void {
    for (let partition = 0; partition < this.partitions; partition++) {
      this.reads.set(partition, { partition, leader: null, leaderEpoch: -1, fetchOffset: 0, records: [], done: false });
    }
    this.host.setTimer(Math.max(0, this.readAtMs - this.host.nowMs()), 'reader.start');
  }

  onTimer(tag: string): void {
    if (tag === 'reader.start' || tag === 'reader.retry') return this.refreshMetadata();
    if (tag.startsWith('reader.timeout/')) {
      const correlationId = Number(tag.slice('reader.timeout/'.length));
      if (this.inFlight.delete(correlationId)) this.host.setTimer(RETRY_MS, 'reader.retry');
    }
  }

  private send(to: NodeId, message: { api: string; correlationId: number; [field: string]: unknown }, what: { kind: 'metadata' } | { kind: 'fetch'; partition: number }): void {
    this.inFlight.set(message.correlationId, what);
    this.timeouts.set(message.correlationId, this.host.setTimer(REQUEST_TIMEOUT_MS, `reader.timeout/${message.correlationId}`));
    this.host.send(to, message, 'client');
  }

  private refreshMetadata(): void {
    const broker = this.brokers[this.brokerIndex++ % this.brokers.length]!;
    this.send(broker, { api: 'Metadata', correlationId: this.nextCorrelation++, topics: [this.topic] }, { kind: 'metadata' });
  }

  onMessage(_from: NodeId, message: unknown): void {
    const response = message as KafkaResponse;
    if (!('correlationId' in response)) return;
    const what = this.inFlight.get(response.correlationId);
    if (what === undefined) return;
    this.inFlight.delete(response.correlationId);
    const timer = this.timeouts.get(response.correlationId);
    if (timer !== undefined) this.host.cancelTimer(timer);
    if (what.kind === 'metadata' && response.api === 'MetadataResponse') return this.onMetadata(response);
    if (what.kind === 'fetch' && response.api === 'FetchResponse') return this.onFetch(what.partition, response);
  }

  private onMetadata(response: MetadataResponse): void {
    const topic = response.topics.find((t) => t.name === this.topic);
    for (const data of topic?.partitions ?? []) {
      const read = this.reads.get(data.partitionIndex);
      if (read === undefined || read.done) continue;
      read.leader = data.leaderId;
      read.leaderEpoch = data.leaderEpoch;
    }
    let waiting = false;
    for (const read of this.reads.values()) {
      if (read.done) continue;
      if (read.leader === null) waiting = true;
      else this.fetch(read);
    }
    if (waiting) this.host.setTimer(RETRY_MS, 'reader.retry');
  }

  private fetch(read: PartitionRead): void {
    this.send(read.leader!, {
      api: 'Fetch',
      correlationId: this.nextCorrelation++,
      replicaId: -1,
      replicaEpoch: -1,
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1 << 20,
      isolationLevel: this.isolationLevel,
      topics: [{ topic: this.topic, partitions: [{ partition: read.partition, currentLeaderEpoch: read.leaderEpoch, fetchOffset: read.fetchOffset, lastFetchedEpoch: -1, logStartOffset: 0, partitionMaxBytes: 1 << 20 }] }],
    }, { kind: 'fetch', partition: read.partition });
  }

  private onFetch(partition: number, response: FetchResponse): void {
    const read = this.reads.get(partition)!;
    const data = response.responses[0]?.partitions[0];
    // The reader checks what it receives, as Kafka's consumer does (check.crcs).
    const received = data === undefined || data.errorCode !== 'NONE' ? null : decodeReceivedRecords(data.records);
    if (data === undefined || received === null) {
      // A leader change, a leader that is not ready, or a corrupt batch: ask again, a little later.
      this.host.setTimer(RETRY_MS, 'reader.retry');
      return;
    }
    if (this.isolationLevel === 1) return this.onFetchCommitted(read, data, received.map(({ batch }) => batch));
    for (const { batch } of received) {
      batch.records.forEach((record, i) => {
        const offset = batch.baseOffset + i;
        // A consumer never hands out control records (transaction markers): they read as no value.
        if (offset >= read.fetchOffset) read.records.push([offset, batch.isControl ? null : record.value]);
      });
      read.fetchOffset = Math.max(read.fetchOffset, batch.baseOffset + batch.lastOffsetDelta + 1);
    }
    if (received.length === 0 && read.fetchOffset >= data.highWatermark) {
      read.done = true;
      this.host.trace({ type: 'kafka.final-read', topic: this.topic, partition, highWatermark: data.highWatermark, records: read.records });
      return;
    }
    this.fetch(read);
  }

  /** A read_committed answer: what a consumer would hand its application, until the LSO meets the high watermark. */
  private onFetchCommitted(read: PartitionRead, data: FetchResponse['responses'][number]['partitions'][number], batches: readonly RecordBatch[]): void {
    for (const consumed of filterAbortedTransactions(batches, data.abortedTransactions ?? [], read.fetchOffset)) read.records.push([consumed.offset, consumed.record.value]);
    for (const batch of batches) read.fetchOffset = Math.max(read.fetchOffset, batch.baseOffset + batch.lastOffsetDelta + 1);
    if (batches.length > 0) return this.fetch(read);
    if (read.fetchOffset >= data.lastStableOffset && data.lastStableOffset >= data.highWatermark) {
      read.done = true;
      this.host.trace({ type: 'kafka.final-read-committed', topic: this.topic, partition: read.partition, lastStableOffset: data.lastStableOffset, records: read.records });
      return;
    }
    // An open transaction holds the LSO back: ask again once it may have ended.
    this.host.setTimer(RETRY_MS, 'reader.retry');
  }

  onDiskComplete(_completion: DiskCompletion): void {}
  onDisconnect(): void {}
}
