/**
 * A QuorumController driven directly, without a raft quorum: it runs in the simulator's world (its
 * host, timers and network are the world's, see test/support/cluster.ts) over a raft double that
 * records proposals and commits them when the test says so, as a leader whose followers
 * acknowledge on cue. The brokers and the admin it answers are silent nodes of the same world; the
 * test calls the controller's handlers itself and reads the responses as the controller sent them.
 */
import type { DiskCompletion, NodeId, ProtocolNode, TimerId, TraceEvent, TrafficClass } from '../../src/host.js';
import { type ControllerConfig, DEFAULT_CONTROLLER_CONFIG } from '../../src/controller/config.js';
import { type ControllerRaft, type ControllerRequest, QuorumController } from '../../src/controller/quorumController.js';
import { decodeMetadataBatch } from '../../src/metadata/records.js';
import type { MetadataRecord } from '../../src/metadata/types.js';
import type { KafkaResponse } from '../../src/protocol/apis.js';
import type { NodeSpec } from '../../sim/world.js';
import { type SentMessage, TestCluster } from '../support/cluster.js';

const CONTROLLER_ID = 'c1';
/** Every node the tests send requests as. */
const PEERS = ['admin', 'b1', 'b2', 'b3', 'b4', 'b9'];

/** The controller's process: timers go to the controller; requests come from the test itself. */
class ControllerProcess implements ProtocolNode<unknown> {
  constructor(readonly controller: QuorumController) {}
  onStart(): void {}
  onMessage(): void {}
  onTimer(tag: string, id: TimerId): void {
    if (!this.controller.handleTimer(tag, id)) throw new Error(`unknown timer ${tag}`);
  }
  onDiskComplete(completion: DiskCompletion): void {
    throw new Error(`the controller never touches the disk itself, got ${completion.file}`);
  }
  onDisconnect(): void {}
}

/** A peer that only listens: the controller's responses reach it and go no further. */
const silentPeer = (id: NodeId): NodeSpec => ({
  id,
  role: 'client',
  factory: () => ({ onStart() {}, onMessage() {}, onTimer() {}, onDiskComplete() {}, onDisconnect() {} }),
});

export class FakeRaft implements ControllerRaft {
  leader = true;
  /** Proposed entries not yet committed, in offset order. */
  readonly uncommitted: Array<{ offset: number; record: Uint8Array }> = [];
  private logEndOffset: number;
  controller!: QuorumController;

  constructor(firstOffset = 1) {
    // Offset 0 would be the LeaderChange control record of the first epoch.
    this.logEndOffset = firstOffset;
  }

  propose(records: readonly Uint8Array[]): { offset: number; epoch: number } | { error: string } {
    if (!this.leader) return { error: 'NOT_LEADER_OR_FOLLOWER' };
    for (const record of records) this.uncommitted.push({ offset: this.logEndOffset++, record });
    return { offset: this.logEndOffset - 1, epoch: 1 };
  }
  nextOffset(): number {
    return this.logEndOffset;
  }
  isLeader(): boolean {
    return this.leader;
  }

  /** Commits every proposed entry (the followers acknowledged). */
  commitAll(): void {
    const entries = this.uncommitted.splice(0).map((entry) => ({ offset: entry.offset, epoch: 1, record: entry.record }));
    if (entries.length > 0) this.controller.handleCommit(entries);
  }

  /** The records of the entries proposed and not yet committed. */
  pendingRecords(): MetadataRecord[] {
    return this.uncommitted.flatMap((entry) => decodeMetadataBatch(entry.record));
  }

  /** Loses leadership: the uncommitted tail is gone, as a new leader would truncate it. */
  loseLeadership(): void {
    this.leader = false;
    this.uncommitted.splice(0);
  }
}

export interface TestController {
  readonly cluster: TestCluster;
  readonly raft: FakeRaft;
  readonly controller: QuorumController;
  /** What the controller sent and the test has not taken yet. */
  readonly sent: SentMessage[];
  /** Takes the responses sent so far. */
  takeSent(): Array<{ readonly to: NodeId; readonly message: KafkaResponse; readonly trafficClass: TrafficClass }>;
  /** The controller's trace events so far. */
  traces(): TraceEvent[];
  /** The controller's timers that have neither fired nor been cancelled. */
  pendingTimerCount(): number;
  request(from: NodeId, request: ControllerRequest): void;
  /** Sends a request, commits what it proposed, and returns the one response. */
  call<R extends KafkaResponse>(from: NodeId, request: ControllerRequest): R;
  /** Lets `ms` of simulated time pass: the controller's timers fire. */
  advance(ms: number): void;
}

export function activeController(config: Partial<ControllerConfig> = {}): TestController {
  const raft = new FakeRaft();
  const controllerNode: NodeSpec = {
    id: CONTROLLER_ID,
    role: 'server',
    factory: (host) => new ControllerProcess(new QuorumController(host, { ...DEFAULT_CONTROLLER_CONFIG, ...config }, raft)),
  };
  const cluster = new TestCluster({ seed: 42, nodes: [controllerNode, ...PEERS.map(silentPeer)] });
  const controller = cluster.instance<ControllerProcess>(CONTROLLER_ID).controller;
  const sent = cluster.recordSends(CONTROLLER_ID);
  raft.controller = controller;
  controller.handleLeaderChange(CONTROLLER_ID, 1);
  cluster.runFor(0);
  const takeSent = () => sent.splice(0).map(({ to, message, trafficClass }) => ({ to, message: message as KafkaResponse, trafficClass }));
  const request = (from: NodeId, message: ControllerRequest): void => controller.handleRequest(from, message, 'controller');
  return {
    cluster,
    raft,
    controller,
    sent,
    takeSent,
    traces: () => cluster.traces.filter((record) => record.node === CONTROLLER_ID).map((record) => record.event),
    pendingTimerCount: () => cluster.world.pendingTimerCount(CONTROLLER_ID),
    request,
    call<R extends KafkaResponse>(from: NodeId, message: ControllerRequest): R {
      takeSent();
      request(from, message);
      raft.commitAll();
      const responses = takeSent();
      if (responses.length !== 1) throw new Error(`expected one response, got ${JSON.stringify(responses)}`);
      return responses[0]!.message as R;
    },
    advance(ms: number): void {
      cluster.runFor(ms);
    },
  };
}

let correlationIdNext = 1;

/**
 * A BrokerRegistration. Each call is a new incarnation of the broker (a restart) unless
 * `incarnationId` names the one it registered with before (the same process registering again).
 */
export function registration(brokerId: NodeId, previousBrokerEpoch = -1, incarnationId?: string): ControllerRequest {
  const correlationId = correlationIdNext++;
  return { api: 'BrokerRegistration', correlationId, brokerId, incarnationId: incarnationId ?? `${brokerId}-inc-${correlationId}`, rack: null, previousBrokerEpoch };
}

export function heartbeat(
  brokerId: NodeId,
  brokerEpoch: number,
  currentMetadataOffset: number,
  flags: { wantFence?: boolean; wantShutDown?: boolean } = {},
): ControllerRequest {
  return {
    api: 'BrokerHeartbeat',
    correlationId: correlationIdNext++,
    brokerId,
    brokerEpoch,
    currentMetadataOffset,
    wantFence: flags.wantFence ?? false,
    wantShutDown: flags.wantShutDown ?? false,
  };
}

export function createTopic(name: string, numPartitions: number, replicationFactor: number, configs: Record<string, string> = {}): ControllerRequest {
  return { api: 'CreateTopics', correlationId: correlationIdNext++, topics: [{ name, numPartitions, replicationFactor, configs }] };
}
