/**
 * The producer's tests run against scripted brokers: b1..bN answer Metadata, InitProducerId and
 * Produce from one shared table of partitions, with the broker's real idempotence checks
 * (src/log/producerState.ts). They are nodes of the simulator's own world (test/support/cluster.ts),
 * so its network carries every request and response (1 ms each way, in order per connection), and
 * a producer's `disconnect` drops what is in flight on that connection, as the world's connections
 * do. Tests script what a real cluster would need a whole scenario to do: per-partition errors
 * answered before the append, responses lost after the append, leaders that stop answering
 * Produce, leader moves.
 */
import { Producer, type SendResult } from '../../src/client/producer.js';
import { producerConfigOrThrow } from '../../src/client/config.js';
import type { Host, NodeId, ProtocolNode, TimerId } from '../../src/host.js';
import { ProducerStateManager } from '../../src/log/producerState.js';
import type { RecordBatch } from '../../src/log/recordBatch.js';
import {
  type InitProducerIdRequest,
  type KafkaRequest,
  type KafkaResponse,
  type MetadataRequest,
  type ProducePartitionResponse,
  type ProduceRequest,
  ZERO_TOPIC_ID,
} from '../../src/protocol/apis.js';
import type { KafkaErrorCode } from '../../src/protocol/errors.js';
import { type StampedEvent, TestCluster } from '../support/cluster.js';

export interface StoredRecord {
  readonly offset: number;
  readonly value: string | null;
  readonly key: string | null;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly sequence: number;
}

interface PartitionState {
  leader: NodeId | null;
  leaderEpoch: number;
  readonly log: StoredRecord[];
  readonly producers: ProducerStateManager;
  /** Errors to answer (without appending) to the next Produce requests for this partition. */
  readonly injectedErrors: KafkaErrorCode[];
  /** Append, then lose the response of the next N Produce requests carrying this partition. */
  loseResponsesAfterAppend: number;
}

export interface ClusterOptions {
  readonly brokers: readonly NodeId[];
  readonly topic: string;
  readonly partitions: number;
  /** How a duplicate is answered: the original offsets (Kafka's broker) or the bare DUPLICATE_SEQUENCE_NUMBER code. */
  readonly duplicateAnswer?: 'original-offset' | 'DUPLICATE_SEQUENCE_NUMBER';
  readonly seed?: number;
}

/** The producer's node id. */
export const CLIENT: NodeId = 'p1';

/** The one network delay of the testbed, each way. */
const LATENCY_MS = 1;

/** Builds the producer's node, given its host and the testbed it runs in. */
export type ProducerFactory = (host: Host<unknown>, testbed: ProducerTestbed) => ProtocolNode<unknown>;

/** A scripted broker: every request goes to the testbed's shared table, and is answered from it. */
class ScriptedBroker implements ProtocolNode<unknown> {
  constructor(
    private readonly host: Host<unknown>,
    private readonly testbed: ProducerTestbed,
  ) {}
  onStart(): void {}
  onMessage(from: NodeId, message: unknown): void {
    this.testbed.handleRequest(this.host, from, message as KafkaRequest);
  }
  onTimer(): void {}
  onDiskComplete(): void {}
  onDisconnect(): void {}
}

/** A world of scripted brokers and one producer node, `p1`; the test drives time and scripts faults. */
export class ProducerTestbed {
  readonly cluster: TestCluster;
  readonly partitions: PartitionState[] = [];
  /** Every request the producer sent, when it sent it. */
  readonly requests: Array<{ readonly atMs: number; readonly to: NodeId; readonly request: KafkaRequest }> = [];
  /** Brokers that take Produce requests but never answer them (a stuck leader); other APIs still work. */
  readonly silentBrokers = new Set<NodeId>();
  /** Errors to answer to the next InitProducerId requests. */
  readonly initProducerIdErrors: KafkaErrorCode[] = [];
  private producerIdNext = 1000;
  private readonly producerEpochs = new Map<number, number>();

  constructor(
    readonly options: ClusterOptions,
    producer: ProducerFactory,
  ) {
    for (let partition = 0; partition < options.partitions; partition++) {
      this.partitions.push({
        leader: options.brokers[partition % options.brokers.length]!,
        leaderEpoch: 0,
        log: [],
        producers: new ProducerStateManager(),
        injectedErrors: [],
        loseResponsesAfterAppend: 0,
      });
    }
    this.cluster = new TestCluster({
      seed: options.seed ?? 42,
      network: { latencyMs: LATENCY_MS, jitterMs: 0 },
      nodes: [
        ...options.brokers.map((id) => ({ id, role: 'server' as const, factory: (host: Host<unknown>) => new ScriptedBroker(host, this) })),
        { id: CLIENT, role: 'client', factory: (host) => producer(host, this) },
      ],
    });
    this.cluster.world.onSend((from, to, message) => {
      if (from === CLIENT) this.requests.push({ atMs: this.cluster.nowMs, to, request: message as KafkaRequest });
    });
  }

  get nowMs(): number {
    return this.cluster.nowMs;
  }

  runUntil(untilMs: number): void {
    this.cluster.runUntilMs(untilMs);
  }

  runFor(durationMs: number): void {
    this.cluster.runFor(durationMs);
  }

  /** The producer's trace events, each with its time. */
  get traces(): StampedEvent[] {
    return this.cluster.traces
      .filter((record) => record.node === CLIENT)
      .map((record) => ({ ...record.event, atMs: record.atMs, node: record.node }));
  }

  tracesOf(type: string): StampedEvent[] {
    return this.cluster.eventsOf(type, CLIENT);
  }

  partition(index: number): PartitionState {
    const state = this.partitions[index];
    if (state === undefined) throw new Error(`no partition ${index}`);
    return state;
  }

  moveLeader(partition: number, leader: NodeId): void {
    const state = this.partition(partition);
    state.leader = leader;
    state.leaderEpoch += 1;
  }

  requestsOf<A extends KafkaRequest['api']>(api: A): Array<Extract<KafkaRequest, { api: A }>> {
    return this.requests.filter((entry) => entry.request.api === api).map((entry) => entry.request as Extract<KafkaRequest, { api: A }>);
  }

  /** What the broker behind `host` does with a request from `from`. */
  handleRequest(host: Host<unknown>, from: NodeId, request: KafkaRequest): void {
    if (this.silentBrokers.has(host.nodeId) && request.api === 'Produce') return;
    switch (request.api) {
      case 'Metadata':
        host.send(from, this.metadataResponse(request), 'client');
        return;
      case 'InitProducerId':
        host.send(from, this.initProducerIdResponse(request), 'client');
        return;
      case 'Produce':
        this.handleProduce(host, from, request);
        return;
      default:
        throw new Error(`scripted broker: unexpected ${request.api}`);
    }
  }

  private metadataResponse(request: MetadataRequest): KafkaResponse {
    const wanted = request.topics ?? [this.options.topic];
    return {
      api: 'MetadataResponse',
      correlationId: request.correlationId,
      brokers: [...this.options.brokers],
      topics: wanted.map((name) =>
        name !== this.options.topic
          ? { name, topicId: ZERO_TOPIC_ID, errorCode: 'UNKNOWN_TOPIC_OR_PARTITION' as const, partitions: [] }
          : {
              name,
              topicId: `${name}-id`,
              errorCode: 'NONE' as const,
              partitions: this.partitions.map((state, partitionIndex) => ({
                partitionIndex,
                errorCode: state.leader === null ? ('LEADER_NOT_AVAILABLE' as const) : ('NONE' as const),
                leaderId: state.leader,
                leaderEpoch: state.leaderEpoch,
                replicaNodes: [...this.options.brokers],
                isrNodes: [...this.options.brokers],
              })),
            },
      ),
    };
  }

  private initProducerIdResponse(request: InitProducerIdRequest): KafkaResponse {
    const error = this.initProducerIdErrors.shift();
    if (error !== undefined) return { api: 'InitProducerIdResponse', correlationId: request.correlationId, errorCode: error, producerId: -1, producerEpoch: -1 };
    if (request.producerId >= 0) {
      // A KIP-360 bump: the same id, one epoch up.
      const epoch = (this.producerEpochs.get(request.producerId) ?? 0) + 1;
      this.producerEpochs.set(request.producerId, epoch);
      return { api: 'InitProducerIdResponse', correlationId: request.correlationId, errorCode: 'NONE', producerId: request.producerId, producerEpoch: epoch };
    }
    const producerId = this.producerIdNext++;
    this.producerEpochs.set(producerId, 0);
    return { api: 'InitProducerIdResponse', correlationId: request.correlationId, errorCode: 'NONE', producerId, producerEpoch: 0 };
  }

  private handleProduce(host: Host<unknown>, from: NodeId, request: ProduceRequest): void {
    const broker = host.nodeId;
    let loseResponse = false;
    const responses = request.topicData.map((topic) => ({
      name: topic.name,
      partitionResponses: topic.partitionData.map((data): ProducePartitionResponse => {
        const result = this.appendAsLeader(broker, data.index, data.records);
        const state = this.partitions[data.index];
        if (state !== undefined && result.appended && state.loseResponsesAfterAppend > 0) {
          state.loseResponsesAfterAppend -= 1;
          loseResponse = true;
        }
        return { index: data.index, errorCode: result.error, baseOffset: result.baseOffset, logStartOffset: 0, errorMessage: null };
      }),
    }));
    if (request.acks === 0 || loseResponse) return;
    host.send(from, { api: 'ProduceResponse', correlationId: request.correlationId, responses }, 'client');
  }

  private appendAsLeader(broker: NodeId, partition: number, batch: RecordBatch): { error: KafkaErrorCode; baseOffset: number; appended: boolean } {
    const state = this.partitions[partition];
    if (state === undefined) return { error: 'UNKNOWN_TOPIC_OR_PARTITION', baseOffset: -1, appended: false };
    if (state.leader !== broker) return { error: 'NOT_LEADER_OR_FOLLOWER', baseOffset: -1, appended: false };
    const injected = state.injectedErrors.shift();
    if (injected !== undefined) return { error: injected, baseOffset: -1, appended: false };
    const check = state.producers.checkAndPrepare(batch);
    if (check.kind === 'duplicate') {
      if (this.options.duplicateAnswer === 'DUPLICATE_SEQUENCE_NUMBER') return { error: 'DUPLICATE_SEQUENCE_NUMBER', baseOffset: -1, appended: false };
      return { error: 'NONE', baseOffset: check.firstOffset, appended: false };
    }
    if (check.kind === 'rejected') return { error: check.error, baseOffset: -1, appended: false };
    const baseOffset = state.log.length;
    batch.records.forEach((record, index) => {
      state.log.push({
        offset: baseOffset + index,
        value: record.value,
        key: record.key,
        producerId: batch.producerId,
        producerEpoch: batch.producerEpoch,
        sequence: batch.baseSequence < 0 ? -1 : batch.baseSequence + index,
      });
    });
    state.producers.update({ ...batch, baseOffset });
    return { error: 'NONE', baseOffset, appended: true };
  }
}

/** A bare node around a Producer for tests: sends on demand and records every callback. */
export class TestProducerNode implements ProtocolNode<unknown> {
  readonly results: Array<{ readonly id: number; readonly result: SendResult; readonly atMs: number }> = [];
  private sent = 0;

  constructor(
    readonly world: ProducerTestbed,
    readonly producer: Producer,
  ) {}

  send(key: string | null, value: string, topic = this.world.options.topic): number {
    const id = this.sent++;
    this.producer.send(topic, key, value, (result) => {
      if (this.results.some((entry) => entry.id === id)) throw new Error(`callback for ${id} fired twice`);
      this.results.push({ id, result, atMs: this.world.nowMs });
    });
    return id;
  }

  resultOf(id: number): SendResult | undefined {
    return this.results.find((entry) => entry.id === id)?.result;
  }

  onStart(): void {
    this.producer.handleStart();
  }
  onMessage(from: NodeId, message: unknown): void {
    if (!this.producer.handleMessage(from, message)) throw new Error(`unexpected message ${JSON.stringify(message)}`);
  }
  onTimer(tag: string, id: TimerId): void {
    if (!this.producer.handleTimer(tag, id)) throw new Error(`unexpected timer ${tag}`);
  }
  onDiskComplete(): void {
    throw new Error('no disk');
  }
  onDisconnect(peer: NodeId): void {
    this.producer.handleDisconnect(peer);
  }
}

/** A world with brokers b1..bN, one topic, and a started TestProducerNode with the given configs. */
export function startProducer(cluster: Partial<ClusterOptions> & { partitions?: number }, config: Record<string, unknown>): { world: ProducerTestbed; node: TestProducerNode } {
  const options = { brokers: ['b1', 'b2', 'b3'], topic: 't', partitions: 1, ...cluster };
  const world = new ProducerTestbed(options, (host, testbed) =>
    new TestProducerNode(testbed, new Producer(host, { bootstrapBrokers: options.brokers, config: producerConfigOrThrow(config) })),
  );
  // The nodes start at time 0, as the world's nodes always do.
  world.runFor(0);
  return { world, node: world.cluster.instance<TestProducerNode>(CLIENT) };
}
