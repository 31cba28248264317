/**
 * A KRaft controller process: one KafkaRaftClient (a voter of the metadata quorum) and the
 * QuorumController that replays its log and, while it leads, answers the controller APIs.
 *
 * What it models: Kafka's ControllerServer in KRaft mode with `process.roles=controller`. Inputs
 * are routed as Kafka routes them: raft's own messages, timers and disk completions go to the raft
 * client first; controller API requests (from brokers, over the controller listener) go to the
 * QuorumController, which answers NOT_CONTROLLER while inactive. Responses go back to the sender on
 * the traffic class the request came in on (the controller listener for brokers).
 *
 * Invariants: the raft client sees every input before the controller does, and the controller
 * never proposes from inside a raft callback (see quorumController.ts).
 *
 * Left out: combined mode (a process that is both broker and controller) and request forwarding.
 */
import type { DiskCompletion, Host, NodeFactory, NodeId, ProtocolNode, TimerId, TrafficClass } from '../host.js';
import type { RaftConfig } from '../raft/config.js';
import { KafkaRaftClient } from '../raft/kafkaRaftClient.js';
import type { RaftMessage } from '../raft/messages.js';
import type { ControllerConfig } from './config.js';
import { QuorumController, isControllerRequest } from './quorumController.js';

export interface ControllerNodeOptions {
  readonly raftConfig: RaftConfig;
  /** controller.quorum.voters: the controllers of the metadata quorum (brokers are observers). */
  readonly voters: readonly NodeId[];
  readonly controllerConfig: ControllerConfig;
}

export function createControllerNode(options: ControllerNodeOptions): NodeFactory<unknown> {
  return (host) => new ControllerNode(host, options);
}

export class ControllerNode implements ProtocolNode<unknown> {
  readonly client: KafkaRaftClient;
  readonly controller: QuorumController;

  constructor(host: Host<unknown>, options: ControllerNodeOptions) {
    if (!options.voters.includes(host.nodeId)) throw new Error(`controller ${host.nodeId} is not in the voters ${options.voters.join(',')}`);
    // The raft client and the controller refer to each other; the adapter reads `client` lazily.
    const raft = {
      propose: (records: readonly Uint8Array[]) => this.client.propose(records),
      nextOffset: () => this.client.describe().logEndOffset,
      isLeader: () => this.client.isStarted && this.client.describe().role === 'leader',
    };
    this.controller = new QuorumController(host, options.controllerConfig, raft);
    this.client = new KafkaRaftClient(host as Host<RaftMessage>, {
      config: options.raftConfig,
      voters: options.voters,
      listener: this.controller,
      snapshotProvider: () => this.controller.snapshot(),
    });
  }

  onStart(): void {
    this.client.handleStart();
  }

  onMessage(from: NodeId, message: unknown, trafficClass: TrafficClass): void {
    if (this.client.handleMessage(from, message)) return;
    // Anything else (a misrouted client request, a stray response) is not for a controller.
    if (isControllerRequest(message)) this.controller.handleRequest(from, message, trafficClass);
  }

  onTimer(tag: string, id: TimerId): void {
    if (this.client.handleTimer(tag, id)) return;
    if (!this.controller.handleTimer(tag, id)) throw new Error(`unknown timer ${tag}`);
  }

  onDiskComplete(completion: DiskCompletion): void {
    if (!this.client.handleDiskComplete(completion)) throw new Error(`unknown disk op ${completion.opId}`);
  }

  onDisconnect(peer: NodeId, _trafficClass: TrafficClass): void {
    this.client.handleDisconnect(peer);
  }
}
