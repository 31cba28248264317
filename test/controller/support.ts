/**
 * Test doubles for driving a QuorumController without a raft quorum: a host that records sends,
 * traces and timers (time advances only when the test says so), and a raft that records proposals
 * and commits them when the test says so, as a leader whose followers acknowledge on cue.
 */
import type { Host, NodeId, Random, TimerId, TraceEvent, TrafficClass } from '../../src/host.js';
import { type ControllerConfig, DEFAULT_CONTROLLER_CONFIG } from '../../src/controller/config.js';
import { type ControllerRaft, type ControllerRequest, QuorumController } from '../../src/controller/quorumController.js';
import { decodeMetadataBatch } from '../../src/metadata/records.js';
import type { MetadataRecord } from '../../src/metadata/types.js';
import type { KafkaResponse } from '../../src/protocol/apis.js';
import { mulberry32 } from '../raft/harness.js';

export interface SentMessage {
  readonly to: NodeId;
  readonly message: KafkaResponse;
  readonly trafficClass: TrafficClass;
}

interface FakeTimer {
  readonly id: TimerId;
  readonly tag: string;
  readonly atMs: number;
}

export class FakeHost implements Host<unknown> {
  readonly incarnation = 1;
  readonly random: Random = mulberry32(42);
  readonly sent: SentMessage[] = [];
  readonly traces: TraceEvent[] = [];
  timers: FakeTimer[] = [];
  private timeMs = 0;
  private timerIdNext = 1;

  constructor(readonly nodeId: NodeId) {}

  get disk(): never {
    throw new Error('the controller never touches the disk itself');
  }
  nowMs(): number {
    return this.timeMs;
  }
  send(to: NodeId, message: unknown, trafficClass: TrafficClass): void {
    this.sent.push({ to, message: message as KafkaResponse, trafficClass });
  }
  disconnect(): void {}
  setTimer(delayMs: number, tag: string): TimerId {
    const id = this.timerIdNext++;
    this.timers.push({ id, tag, atMs: this.timeMs + delayMs });
    return id;
  }
  cancelTimer(id: TimerId): void {
    this.timers = this.timers.filter((timer) => timer.id !== id);
  }
  trace(event: TraceEvent): void {
    this.traces.push(event);
  }
  halt(reason: string): void {
    throw new Error(`halt: ${reason}`);
  }

  /** Moves time forward, firing due timers in (time, id) order through `fire`. */
  advance(ms: number, fire: (tag: string, id: TimerId) => void): void {
    const until = this.timeMs + ms;
    for (;;) {
      const due = this.timers.filter((timer) => timer.atMs <= until).sort((a, b) => a.atMs - b.atMs || a.id - b.id)[0];
      if (due === undefined) break;
      this.timers = this.timers.filter((timer) => timer.id !== due.id);
      this.timeMs = due.atMs;
      fire(due.tag, due.id);
    }
    this.timeMs = until;
  }

  /** Takes the responses sent so far. */
  takeSent(): SentMessage[] {
    return this.sent.splice(0);
  }
}

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
  readonly host: FakeHost;
  readonly raft: FakeRaft;
  readonly controller: QuorumController;
  request(from: NodeId, request: ControllerRequest): void;
  /** Sends a request, commits what it proposed, and returns the one response. */
  call<R extends KafkaResponse>(from: NodeId, request: ControllerRequest): R;
  advance(ms: number): void;
}

export function activeController(config: Partial<ControllerConfig> = {}): TestController {
  const host = new FakeHost('c1');
  const raft = new FakeRaft();
  const controller = new QuorumController(host, { ...DEFAULT_CONTROLLER_CONFIG, ...config }, raft);
  raft.controller = controller;
  controller.handleLeaderChange('c1', 1);
  const request = (from: NodeId, message: ControllerRequest): void => controller.handleRequest(from, message, 'controller');
  return {
    host,
    raft,
    controller,
    request,
    call<R extends KafkaResponse>(from: NodeId, message: ControllerRequest): R {
      host.takeSent();
      request(from, message);
      raft.commitAll();
      const sent = host.takeSent();
      if (sent.length !== 1) throw new Error(`expected one response, got ${JSON.stringify(sent)}`);
      return sent[0]!.message as R;
    },
    advance(ms: number): void {
      host.advance(ms, (tag, id) => {
        if (!controller.handleTimer(tag, id)) throw new Error(`unknown timer ${tag}`);
      });
    },
  };
}

let correlationIdNext = 1;

export function registration(brokerId: NodeId, previousBrokerEpoch = -1): ControllerRequest {
  return { api: 'BrokerRegistration', correlationId: correlationIdNext++, brokerId, incarnationId: `${brokerId}-inc`, rack: null, previousBrokerEpoch };
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
