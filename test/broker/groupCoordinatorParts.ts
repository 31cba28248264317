/**
 * A group coordinator on one broker's real parts (metadata cache and publisher, log manager on the
 * simulator's disk, replica manager, timers), for tests that drive it request by request:
 *
 * - the clock is the test's (`advance` runs the timers that come due, in order);
 * - `__consumer_offsets` has one partition (so every group lives there) and a data topic `orders`;
 *   `lead(epoch, isr)` makes this broker its leader, `resign(epoch)` a follower;
 * - with ISR [b1] a write commits as soon as the leader has it; with [b1, b2] it waits until
 *   `replicate()` plays b2's fetch, so a test can look at the state in between;
 * - every answer the coordinator sends and every trace event it emits is kept.
 *
 * The world's network and the other brokers are left out: a follower's fetch is played directly.
 */
import type { Host, NodeId, TimerId, TraceEvent } from '../../src/host.js';
import { BrokerMetadataPublisher } from '../../src/broker/brokerMetadataPublisher.js';
import { DEFAULT_BROKER_CONFIG, defaultLogConfig } from '../../src/broker/config.js';
import { AlterPartitionManager } from '../../src/broker/alterPartitionManager.js';
import { GroupCoordinator } from '../../src/broker/groupCoordinator.js';
import { DEFAULT_GROUP_COORDINATOR_CONFIG, type GroupCoordinatorConfig } from '../../src/broker/groupCoordinatorConfig.js';
import { GROUP_METADATA_TOPIC_NAME } from '../../src/broker/groupCoordinatorRecords.js';
import type { GroupCoordinatorShard } from '../../src/broker/groupCoordinatorShard.js';
import { LogManager } from '../../src/broker/logManager.js';
import { KRaftMetadataCache } from '../../src/broker/metadataCache.js';
import { ReplicaManager } from '../../src/broker/replicaManager.js';
import { Timers } from '../../src/broker/timers.js';
import type { KafkaResponse } from '../../src/protocol/apis.js';
import { DEFAULT_DISK_CONFIG, SimDisk } from '../../sim/disk.js';
import { SeededRandom } from '../../sim/random.js';
import { imageSnapshot, partitionOn } from './brokerParts.js';

export const DATA_TOPIC = 'orders';
export const DATA_TOPIC_ID = `${DATA_TOPIC}-id`;

export interface SentAnswer {
  readonly to: NodeId;
  readonly response: KafkaResponse;
}

export class CoordinatorParts {
  nowMs = 0;
  readonly sent: SentAnswer[] = [];
  readonly traces: TraceEvent[] = [];
  readonly coordinator: GroupCoordinator;
  readonly replicaManager: ReplicaManager;
  private readonly publisher: BrokerMetadataPublisher;
  private readonly timers: Timers;
  private readonly pendingTimers = new Map<TimerId, number>();
  private nextTimerId = 1;
  private metadataOffset = 10;
  private leaderEpoch = -1;

  constructor(
    readonly nodeId: NodeId = 'b1',
    config: Partial<GroupCoordinatorConfig> = {},
    readonly dataPartitions = 4,
    /** The broker leading every partition of `orders`. */
    private readonly dataLeader: NodeId = 'b2',
  ) {
    const host: Host<unknown> = {
      nodeId,
      incarnation: 1,
      nowMs: () => this.nowMs,
      send: (to, message) => {
        if (typeof message === 'object' && message !== null && String((message as { api: string }).api).endsWith('Response')) this.sent.push({ to, response: message as KafkaResponse });
      },
      disconnect: () => {},
      setTimer: (delayMs) => {
        const id = this.nextTimerId++;
        this.pendingTimers.set(id, this.nowMs + delayMs);
        return id;
      },
      cancelTimer: (id) => {
        this.pendingTimers.delete(id);
      },
      disk: new SimDisk(nodeId, DEFAULT_DISK_CONFIG, new SeededRandom('disk', nodeId), () => this.nowMs, () => {}),
      random: new SeededRandom('node', nodeId),
      trace: (event) => this.traces.push(event),
      halt: (reason) => {
        throw new Error(`halt: ${reason}`);
      },
    };
    this.timers = new Timers(host);
    const metadataCache = new KRaftMetadataCache();
    const context = { nextCorrelationId: () => 1, brokerEpoch: () => 5 };
    const logManager = new LogManager(host, this.timers, metadataCache, defaultLogConfig(DEFAULT_BROKER_CONFIG, {}));
    const alterPartitionManager = new AlterPartitionManager(host, this.timers, { ...context, activeController: () => null });
    this.replicaManager = new ReplicaManager(host, this.timers, DEFAULT_BROKER_CONFIG, metadataCache, logManager, alterPartitionManager, context);
    this.publisher = new BrokerMetadataPublisher(metadataCache, this.replicaManager, { isCaughtUp: () => true });
    this.coordinator = new GroupCoordinator(host, this.timers, { ...DEFAULT_GROUP_COORDINATOR_CONFIG, ...config, offsetsTopicNumPartitions: 1 }, this.replicaManager, metadataCache, {
      nextCorrelationId: () => 1,
      activeController: () => null,
    });
    this.publisher.addPartitionLeadershipListener(GROUP_METADATA_TOPIC_NAME, this.coordinator);
  }

  /** The metadata log makes this broker the leader of the offsets partition, at `leaderEpoch`, then time passes for the load. */
  lead(leaderEpoch: number, isr: NodeId[] = [this.nodeId]): void {
    this.publishImage(this.nodeId, leaderEpoch, isr);
    this.advance(1);
  }

  /** The metadata log makes `leader` the leader instead: this broker resigns. */
  resign(leaderEpoch: number, leader: NodeId = 'b2'): void {
    this.publishImage(leader, leaderEpoch, [leader, this.nodeId]);
  }

  /** The metadata log names `leader` for the offsets partition; no time passes (a load is still pending). */
  publishImage(leader: NodeId, leaderEpoch: number, isr: NodeId[]): void {
    this.leaderEpoch = leaderEpoch;
    this.metadataOffset += 10;
    const data = Array.from({ length: this.dataPartitions }, (_, index) => partitionOn(DATA_TOPIC, index, this.dataLeader, 1, { isr: [this.dataLeader] }));
    this.publisher.handleLoadSnapshot(imageSnapshot(this.metadataOffset, { [GROUP_METADATA_TOPIC_NAME]: [partitionOn(GROUP_METADATA_TOPIC_NAME, 0, leader, leaderEpoch, { isr })], [DATA_TOPIC]: data }));
  }

  /** b2 fetches the whole log: with ISR [b1, b2] this is what commits the coordinator's writes. */
  replicate(): void {
    const partition = this.replicaManager.getPartition(GROUP_METADATA_TOPIC_NAME, 0)!;
    this.replicaManager.handleFetchRequest('b2', {
      api: 'Fetch',
      correlationId: 0,
      replicaId: 'b2',
      replicaEpoch: 5,
      maxWaitMs: 0,
      minBytes: 1,
      maxBytes: 1 << 20,
      isolationLevel: 0,
      topics: [{ topic: GROUP_METADATA_TOPIC_NAME, partitions: [{ partition: 0, currentLeaderEpoch: this.leaderEpoch, fetchOffset: partition.log.logEndOffset, lastFetchedEpoch: -1, logStartOffset: 0, partitionMaxBytes: 1 << 20 }] }],
    });
    this.sent.splice(0, this.sent.length, ...this.sent.filter((answer) => answer.response.api !== 'FetchResponse'));
  }

  /** Time passes; the timers that come due run in order of their deadlines. */
  advance(ms: number): void {
    const until = this.nowMs + ms;
    for (;;) {
      const due = [...this.pendingTimers].filter(([, at]) => at <= until).sort(([a, x], [b, y]) => x - y || a - b)[0];
      if (due === undefined) break;
      this.pendingTimers.delete(due[0]);
      this.nowMs = Math.max(this.nowMs, due[1]);
      this.timers.fire(due[0]);
    }
    this.nowMs = until;
  }

  /** The shard of the offsets partition, once loaded. */
  shard(): GroupCoordinatorShard {
    const shard = this.coordinator.runtime.shard(0);
    if (shard === null) throw new Error('the offsets partition is not loaded');
    return shard;
  }

  highWatermark(): number {
    return this.replicaManager.getPartition(GROUP_METADATA_TOPIC_NAME, 0)!.highWatermark;
  }

  /** The answers sent since the last call, oldest first. */
  takeSent(): SentAnswer[] {
    return this.sent.splice(0);
  }

  /** The trace events emitted since the last call. */
  takeTraces(): TraceEvent[] {
    return this.traces.splice(0);
  }
}
