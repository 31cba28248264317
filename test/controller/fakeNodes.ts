/**
 * Minimal stand-ins for brokers and an admin client, to drive real ControllerNodes in the
 * simulated world: just enough of Kafka's BrokerLifecycleManager to register, heartbeat every
 * broker.heartbeat.interval.ms and follow the active controller, plus a raft observer that replays
 * the metadata log so the broker reports a real `currentMetadataOffset`. Not the broker of
 * src/broker/: no partitions, no replication.
 */
import type { DiskCompletion, Host, NodeId, ProtocolNode, TimerId, TrafficClass } from '../../src/host.js';
import type { ControllerRequest } from '../../src/controller/quorumController.js';
import { decodeImage, emptyImage, encodeImage, replayBatch } from '../../src/metadata/image.js';
import type { MetadataImage } from '../../src/metadata/types.js';
import type { KafkaResponse } from '../../src/protocol/apis.js';
import type { RaftConfig } from '../../src/raft/config.js';
import { KafkaRaftClient } from '../../src/raft/kafkaRaftClient.js';
import type { RaftMessage } from '../../src/raft/messages.js';

const BROKER_HEARTBEAT_INTERVAL_MS = 2_000;
const RETRY_BACKOFF_MS = 200;
const TICK = 'fake.tick';

/** Sends one request at a time to the controller it believes active, moving on when refused or silent. */
class ControllerChannel {
  private index = 0;
  private inFlight: { correlationId: number; sentAtTick: number } | null = null;
  private correlationIdNext = 1;
  private tick = 0;

  constructor(
    private readonly host: Host<unknown>,
    private readonly controllers: readonly NodeId[],
  ) {}

  get busy(): boolean {
    return this.inFlight !== null;
  }

  /** Called on every tick: a request unanswered for two ticks is abandoned (its controller may be gone). */
  onTick(): void {
    this.tick += 1;
    if (this.inFlight !== null && this.tick - this.inFlight.sentAtTick >= 2) {
      this.inFlight = null;
      this.index += 1;
    }
  }

  send(build: (correlationId: number) => ControllerRequest): void {
    const correlationId = this.correlationIdNext++;
    this.inFlight = { correlationId, sentAtTick: this.tick };
    this.host.send(this.controllers[this.index % this.controllers.length]!, build(correlationId), 'controller');
  }

  /** Accepts the response to the request in flight; NOT_CONTROLLER moves to the next controller. */
  accept(message: KafkaResponse): boolean {
    if (this.inFlight === null || message.correlationId !== this.inFlight.correlationId) return false;
    this.inFlight = null;
    const notController =
      ('errorCode' in message && message.errorCode === 'NOT_CONTROLLER') ||
      (message.api === 'CreateTopicsResponse' && message.topics.some((topic) => topic.errorCode === 'NOT_CONTROLLER'));
    if (notController) this.index += 1;
    return !notController;
  }
}

export class FakeBroker implements ProtocolNode<unknown> {
  readonly client: KafkaRaftClient;
  image: MetadataImage = emptyImage();
  brokerEpoch = -1;
  isFenced = true;
  private readonly channel: ControllerChannel;
  private timer: TimerId | null = null;

  constructor(
    private readonly host: Host<unknown>,
    raftConfig: RaftConfig,
    controllers: readonly NodeId[],
  ) {
    this.channel = new ControllerChannel(host, controllers);
    this.client = new KafkaRaftClient(host as Host<RaftMessage>, {
      config: raftConfig,
      voters: controllers,
      listener: {
        handleCommit: (entries) => {
          for (const entry of entries) this.image = replayBatch(this.image, entry.offset, entry.record);
        },
        handleLoadSnapshot: (_endOffset, _epoch, bytes) => {
          this.image = decodeImage(bytes);
        },
        handleLeaderChange: () => {},
      },
      snapshotProvider: () => encodeImage(this.image),
    });
  }

  onStart(): void {
    this.client.handleStart();
    this.schedule(RETRY_BACKOFF_MS);
  }

  onMessage(from: NodeId, message: unknown, _trafficClass: TrafficClass): void {
    if (this.client.handleMessage(from, message)) return;
    const response = message as KafkaResponse;
    if (!this.channel.accept(response)) return;
    if (response.api === 'BrokerRegistrationResponse' && response.errorCode === 'NONE') this.brokerEpoch = response.brokerEpoch;
    if (response.api === 'BrokerHeartbeatResponse') {
      if (response.errorCode === 'STALE_BROKER_EPOCH') this.brokerEpoch = -1;
      else if (response.errorCode === 'NONE') this.isFenced = response.isFenced;
    }
  }

  onTimer(tag: string, id: TimerId): void {
    if (this.client.handleTimer(tag, id)) return;
    if (tag !== TICK || id !== this.timer) return;
    this.channel.onTick();
    if (!this.channel.busy) {
      if (this.brokerEpoch < 0) {
        this.channel.send((correlationId) => ({
          api: 'BrokerRegistration',
          correlationId,
          brokerId: this.host.nodeId,
          incarnationId: `${this.host.nodeId}-${this.host.incarnation}`,
          rack: null,
          previousBrokerEpoch: -1,
        }));
      } else {
        this.channel.send((correlationId) => ({
          api: 'BrokerHeartbeat',
          correlationId,
          brokerId: this.host.nodeId,
          brokerEpoch: this.brokerEpoch,
          currentMetadataOffset: this.image.offset,
          wantFence: false,
          wantShutDown: false,
        }));
      }
    }
    this.schedule(this.brokerEpoch < 0 ? RETRY_BACKOFF_MS : BROKER_HEARTBEAT_INTERVAL_MS);
  }

  onDiskComplete(completion: DiskCompletion): void {
    if (!this.client.handleDiskComplete(completion)) throw new Error(`unknown disk op ${completion.opId}`);
  }

  onDisconnect(peer: NodeId): void {
    this.client.handleDisconnect(peer);
  }

  private schedule(delayMs: number): void {
    this.timer = this.host.setTimer(delayMs, TICK);
  }
}

/** Creates one topic, retrying until a controller accepts it (or says it exists). */
export class FakeAdmin implements ProtocolNode<unknown> {
  done = false;
  private readonly channel: ControllerChannel;

  constructor(
    private readonly host: Host<unknown>,
    controllers: readonly NodeId[],
    private readonly topic: { name: string; numPartitions: number; replicationFactor: number },
  ) {
    this.channel = new ControllerChannel(host, controllers);
  }

  onStart(): void {
    this.host.setTimer(RETRY_BACKOFF_MS, TICK);
  }

  onMessage(_from: NodeId, message: unknown): void {
    const response = message as KafkaResponse;
    if (!this.channel.accept(response) || response.api !== 'CreateTopicsResponse') return;
    const code = response.topics[0]!.errorCode;
    if (code === 'NONE' || code === 'TOPIC_ALREADY_EXISTS') this.done = true;
  }

  onTimer(): void {
    if (this.done) return;
    this.channel.onTick();
    if (!this.channel.busy) {
      this.channel.send((correlationId) => ({ api: 'CreateTopics', correlationId, topics: [{ ...this.topic, configs: {} }] }));
    }
    this.host.setTimer(RETRY_BACKOFF_MS * 2, TICK);
  }

  onDiskComplete(): void {}
  onDisconnect(): void {}
}
