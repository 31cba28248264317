/**
 * A runnable quorum node for the raft-only scenarios: one KafkaRaftClient plus a tiny application.
 *
 * What it models: the smallest useful state machine above KRaft. While this node is the leader (and
 * has replayed every earlier record, i.e. after `handleLeaderChange(self)`), it proposes one record
 * every `proposalIntervalMs`, with deterministic content `${nodeId}/${epoch}/${n}`. Every node
 * applies committed records to a running count and digest, which is also what it snapshots, and
 * traces `raft.apply` so the checker can compare state machines: two nodes that applied up to the
 * same offset must have the same count and digest.
 *
 * Invariants: the application state changes only through the listener; proposal content never
 * repeats (a restarted node never leads an epoch again, KAFKA-10527).
 *
 * Left out: client requests (the leader proposes by itself) and any real metadata records.
 */

import type { DiskCompletion, Host, NodeFactory, NodeId, ProtocolNode, TimerId, TrafficClass } from '../../../src/host.js';
import { ByteWriter } from '../../../src/util/bytes.js';
import { crc32c } from '../../../src/util/crc32c.js';
import type { RaftConfig } from '../../../src/raft/config.js';
import { type CommittedEntry, KafkaRaftClient, type RaftListener } from '../../../src/raft/kafkaRaftClient.js';
import type { RaftMessage } from '../../../src/raft/messages.js';

export interface QuorumNodeOptions {
  readonly proposalIntervalMs: number;
}

const PROPOSE_TIMER = 'quorumNode.propose';
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The application's state: how many records it applied and a digest chained over them. */
export interface CounterState {
  count: number;
  digest: number;
  /** The offset of the last applied data record, or -1. */
  lastOffset: number;
}

export function createQuorumNode(
  config: RaftConfig,
  voters: readonly NodeId[],
  options: QuorumNodeOptions,
): NodeFactory<RaftMessage> {
  if (!Number.isSafeInteger(options.proposalIntervalMs) || options.proposalIntervalMs <= 0) {
    throw new Error(`proposalIntervalMs must be a positive integer, got ${options.proposalIntervalMs}`);
  }
  return (host) => new QuorumNode(host, config, voters, options);
}

export class QuorumNode implements ProtocolNode<RaftMessage> {
  readonly client: KafkaRaftClient;
  readonly state: CounterState = { count: 0, digest: 0, lastOffset: -1 };
  private proposalTimer: TimerId | null = null;
  private proposalsMade = 0;
  private leaderEpoch: number | null = null;

  constructor(
    private readonly host: Host<RaftMessage>,
    config: RaftConfig,
    voters: readonly NodeId[],
    private readonly options: QuorumNodeOptions,
  ) {
    const listener: RaftListener = {
      handleCommit: (entries) => this.apply(entries),
      handleLoadSnapshot: (_endOffset, _epoch, bytes) => this.loadSnapshot(bytes),
      handleLeaderChange: (leaderId, epoch) => this.onLeaderChange(leaderId, epoch),
    };
    this.client = new KafkaRaftClient(host, { config, voters, listener, snapshotProvider: () => encodeCounterState(this.state) });
  }

  onStart(): void {
    this.client.handleStart();
  }

  onMessage(from: NodeId, message: RaftMessage, _trafficClass: TrafficClass): void {
    this.client.handleMessage(from, message);
  }

  onTimer(tag: string, id: TimerId): void {
    if (this.client.handleTimer(tag, id)) return;
    if (tag !== PROPOSE_TIMER || id !== this.proposalTimer) return;
    this.proposalTimer = null;
    this.proposeNext();
  }

  onDiskComplete(completion: DiskCompletion): void {
    if (!this.client.handleDiskComplete(completion)) throw new Error(`unknown disk op ${completion.opId}`);
  }

  onDisconnect(peer: NodeId, _trafficClass: TrafficClass): void {
    this.client.handleDisconnect(peer);
  }

  private onLeaderChange(leaderId: NodeId | null, epoch: number): void {
    if (leaderId === this.host.nodeId) {
      this.leaderEpoch = epoch;
      if (this.proposalTimer === null) this.proposalTimer = this.host.setTimer(this.options.proposalIntervalMs, PROPOSE_TIMER);
    } else {
      this.leaderEpoch = null;
      if (this.proposalTimer !== null) this.host.cancelTimer(this.proposalTimer);
      this.proposalTimer = null;
    }
  }

  private proposeNext(): void {
    if (this.leaderEpoch === null) return;
    const record = encoder.encode(`${this.host.nodeId}/${this.leaderEpoch}/${this.proposalsMade}`);
    const result = this.client.propose([record]);
    if ('error' in result) {
      // The client knows it lost leadership before its listener heard: stop until told again.
      this.leaderEpoch = null;
      return;
    }
    this.proposalsMade += 1;
    this.proposalTimer = this.host.setTimer(this.options.proposalIntervalMs, PROPOSE_TIMER);
  }

  private apply(entries: readonly CommittedEntry[]): void {
    for (const entry of entries) {
      if (entry.offset <= this.state.lastOffset) throw new Error(`apply: offset ${entry.offset} applied twice`);
      this.state.count += 1;
      this.state.digest = chainDigest(this.state.digest, entry.record);
      this.state.lastOffset = entry.offset;
    }
    this.host.trace({ type: 'raft.apply', offset: this.state.lastOffset, count: this.state.count, digest: this.state.digest });
  }

  private loadSnapshot(bytes: Uint8Array): void {
    const loaded = decodeCounterState(bytes);
    this.state.count = loaded.count;
    this.state.digest = loaded.digest;
    this.state.lastOffset = loaded.lastOffset;
  }
}

export function chainDigest(previous: number, record: Uint8Array): number {
  const bytes = new ByteWriter(4 + record.length).uint32(previous).raw(record).finish();
  return crc32c(bytes);
}

/** The snapshot payload: JSON text, since the metadata log's records and snapshots hold text. */
export function encodeCounterState(state: CounterState): Uint8Array {
  return encoder.encode(JSON.stringify({ count: state.count, digest: state.digest, lastOffset: state.lastOffset }));
}

export function decodeCounterState(bytes: Uint8Array): CounterState {
  const parsed = JSON.parse(decoder.decode(bytes)) as Partial<CounterState>;
  const { count, digest, lastOffset } = parsed;
  if (!Number.isSafeInteger(count) || !Number.isSafeInteger(digest) || !Number.isSafeInteger(lastOffset)) {
    throw new Error(`decodeCounterState: not a counter state: ${decoder.decode(bytes)}`);
  }
  return { count: count!, digest: digest!, lastOffset: lastOffset! };
}
