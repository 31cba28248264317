/**
 * A tiny deterministic world for the producer tests (not the real simulator in sim/): one client
 * node and a fake cluster of brokers that answer Metadata, InitProducerId and Produce.
 *
 * - One event queue ordered by (time, sequence); time is a manual integer clock.
 * - Messages travel with a fixed latency in each direction. `host.disconnect(peer)` drops what is in
 *   flight on that connection, as a closed TCP connection does.
 * - The fake brokers keep one log per partition and the broker's real idempotence checks
 *   (src/log/producerState.ts). Tests script faults: per-partition errors answered before the append,
 *   responses lost after the append, leaders that stop answering Produce, leader moves.
 */

import { Producer, type SendResult } from '../../src/client/producer.js';
import { producerConfigOrThrow } from '../../src/client/config.js';
import type { Disk, Host, NodeId, ProtocolNode, TimerId, TraceEvent, TrafficClass } from '../../src/host.js';
import { ProducerStateManager } from '../../src/log/producerState.js';
import type { RecordBatch } from '../../src/log/recordBatch.js';
import type {
  InitProducerIdRequest,
  KafkaRequest,
  KafkaResponse,
  MetadataRequest,
  ProducePartitionResponse,
  ProduceRequest,
} from '../../src/protocol/apis.js';
import type { KafkaErrorCode } from '../../src/protocol/errors.js';
import { mulberry32 } from '../support/mulberry32.js';

export { mulberry32 };


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

interface QueuedEvent {
  readonly atMs: number;
  readonly seq: number;
  readonly run: () => void;
  /** For messages: the connection it travels on, so a disconnect can drop it. */
  readonly connection?: string;
}

export interface ClusterOptions {
  readonly brokers: readonly NodeId[];
  readonly topic: string;
  readonly partitions: number;
  readonly latencyMs?: number;
  /** How a duplicate is answered: the original offsets (Kafka's broker) or the bare DUPLICATE_SEQUENCE_NUMBER code. */
  readonly duplicateAnswer?: 'original-offset' | 'DUPLICATE_SEQUENCE_NUMBER';
  readonly seed?: number;
}

export const CLIENT: NodeId = 'p1';

/** The fake world: a clock, a queue, a client host and the brokers' state. */
export class ClientWorld {
  nowMs = 0;
  private seq = 0;
  private queue: QueuedEvent[] = [];
  readonly traces: TraceEvent[] = [];
  readonly requests: Array<{ readonly atMs: number; readonly to: NodeId; readonly request: KafkaRequest }> = [];
  readonly partitions: PartitionState[] = [];
  /** Brokers that take Produce requests but never answer them (a stuck leader); other APIs still work. */
  readonly silentBrokers = new Set<NodeId>();
  /** Errors to answer to the next InitProducerId requests. */
  readonly initProducerIdErrors: KafkaErrorCode[] = [];
  private producerIdNext = 1000;
  private readonly producerEpochs = new Map<number, number>();
  private readonly latencyMs: number;
  readonly host: Host<unknown>;
  node: ProtocolNode<unknown> | null = null;
  private readonly timers = new Map<TimerId, string>();
  private timerIdNext = 1;

  constructor(readonly options: ClusterOptions) {
    this.latencyMs = options.latencyMs ?? 1;
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
    this.host = this.makeHost(options.seed ?? 42);
  }

  start(node: ProtocolNode<unknown>): void {
    this.node = node;
    node.onStart();
  }

  runUntil(untilMs: number): void {
    for (;;) {
      const next = this.queue[0];
      if (next === undefined || next.atMs > untilMs) break;
      this.queue.shift();
      this.nowMs = next.atMs;
      next.run();
    }
    this.nowMs = untilMs;
  }

  runFor(durationMs: number): void {
    this.runUntil(this.nowMs + durationMs);
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

  tracesOf(type: string): TraceEvent[] {
    return this.traces.filter((event) => event.type === type);
  }

  requestsOf<A extends KafkaRequest['api']>(api: A): Array<Extract<KafkaRequest, { api: A }>> {
    return this.requests.filter((entry) => entry.request.api === api).map((entry) => entry.request as Extract<KafkaRequest, { api: A }>);
  }

  private schedule(atMs: number, run: () => void, connection?: string): void {
    const event: QueuedEvent = connection === undefined ? { atMs, seq: this.seq++, run } : { atMs, seq: this.seq++, run, connection };
    let index = this.queue.length;
    while (index > 0 && (this.queue[index - 1]!.atMs > atMs || (this.queue[index - 1]!.atMs === atMs && this.queue[index - 1]!.seq > event.seq))) index--;
    this.queue.splice(index, 0, event);
  }

  private makeHost(seed: number): Host<unknown> {
    const world = this;
    const disk = new Proxy({}, { get: () => { throw new Error('the producer has no disk'); } }) as Disk;
    return {
      nodeId: CLIENT,
      incarnation: 1,
      nowMs: () => world.nowMs,
      send(to: NodeId, message: unknown, trafficClass: TrafficClass) {
        if (trafficClass !== 'client') throw new Error(`producer sent on ${trafficClass}`);
        const request = message as KafkaRequest;
        world.requests.push({ atMs: world.nowMs, to, request });
        world.schedule(world.nowMs + world.latencyMs, () => world.handleRequest(to, request), to);
      },
      disconnect(peer: NodeId) {
        world.queue = world.queue.filter((event) => event.connection !== peer);
      },
      setTimer(delayMs: number, tag: string): TimerId {
        if (!Number.isInteger(delayMs) || delayMs < 0) throw new Error(`bad timer delay ${delayMs}`);
        const id = world.timerIdNext++;
        world.timers.set(id, tag);
        world.schedule(world.nowMs + delayMs, () => {
          if (world.timers.delete(id)) world.node?.onTimer(tag, id);
        });
        return id;
      },
      cancelTimer(id: TimerId) {
        world.timers.delete(id);
      },
      disk,
      random: mulberry32(seed),
      trace(event: TraceEvent) {
        world.traces.push({ ...event, atMs: world.nowMs });
      },
      halt(reason: string) {
        throw new Error(`halt: ${reason}`);
      },
    };
  }

  private respond(from: NodeId, response: KafkaResponse): void {
    this.schedule(this.nowMs + this.latencyMs, () => this.node?.onMessage(from, response, 'client'), from);
  }

  private handleRequest(broker: NodeId, request: KafkaRequest): void {
    if (this.silentBrokers.has(broker) && request.api === 'Produce') return;
    switch (request.api) {
      case 'Metadata':
        this.respond(broker, this.metadataResponse(request));
        return;
      case 'InitProducerId':
        this.respond(broker, this.initProducerIdResponse(request));
        return;
      case 'Produce':
        this.handleProduce(broker, request);
        return;
      default:
        throw new Error(`fake broker: unexpected ${request.api}`);
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
          ? { name, errorCode: 'UNKNOWN_TOPIC_OR_PARTITION' as const, partitions: [] }
          : {
              name,
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

  private handleProduce(broker: NodeId, request: ProduceRequest): void {
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
    this.respond(broker, { api: 'ProduceResponse', correlationId: request.correlationId, responses });
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
    readonly world: ClientWorld,
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
export function startProducer(cluster: Partial<ClusterOptions> & { partitions?: number }, config: Record<string, unknown>): { world: ClientWorld; node: TestProducerNode } {
  const world = new ClientWorld({ brokers: ['b1', 'b2', 'b3'], topic: 't', partitions: 1, ...cluster });
  const producer = new Producer(world.host, { bootstrapBrokers: world.options.brokers, config: producerConfigOrThrow(config) });
  const node = new TestProducerNode(world, producer);
  world.start(node);
  return { world, node };
}
