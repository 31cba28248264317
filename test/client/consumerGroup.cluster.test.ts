/**
 * Consumers in a whole simulated cluster (three controllers, three brokers with the group
 * coordinator, a producer, the kafka system's checker watching): two members of a group read a
 * topic, committing after each poll; one member's process dies; once its session runs out the
 * survivor is given its partitions and reads on from their committed offsets, and between them the
 * two read every record. Under both group protocols.
 *
 * The members commit explicit offsets without a leader epoch (commitSync with offsets, as an
 * application may), so the survivor starts from them without validating them (KIP-320); the
 * scenarios kafka-group-classic and kafka-group-kip848 commit with epochs.
 */
import { describe, expect, test } from 'vitest';
import { Consumer, type PollResult } from '../../src/client/consumer.js';
import { consumerConfigOrThrow } from '../../src/client/consumerConfig.js';
import type { OffsetsToCommit } from '../../src/client/offsetCommitManager.js';
import type { Host, NodeId, ProtocolNode, TimerId } from '../../src/host.js';
import { TestCluster } from '../support/cluster.js';
import { kafkaScenario } from '../support/scenarios.js';

const TOPIC = 'events';
const PARTITIONS = 4;
const BROKERS = ['b1', 'b2', 'b3'];
/** Longer than any test runs, so the system's final reader never starts. */
const PHASE_MS = 1_000_000;

/** A member that polls, then commits exactly what it read (offset + 1, no epoch), then polls again. */
class GroupMemberNode implements ProtocolNode<unknown> {
  readonly reads: Array<{ readonly atMs: number; readonly partition: number; readonly offset: number; readonly value: string | null }> = [];
  readonly committed = new Map<number, number>();
  consumer!: Consumer;

  constructor(
    private readonly host: Host<unknown>,
    private readonly config: Record<string, unknown>,
  ) {}

  onStart(): void {
    this.consumer = new Consumer(this.host, { bootstrapBrokers: BROKERS, config: consumerConfigOrThrow(this.config) });
    this.consumer.handleStart();
    this.consumer.subscribe([TOPIC]);
    this.poll();
  }

  private poll(): void {
    this.consumer.poll(200, (result) => this.polled(result));
  }

  private polled(result: PollResult): void {
    if (!result.ok || result.records.length === 0) {
      this.host.setTimer(0, 'member.poll');
      return;
    }
    const offsets = new Map<string, { partition: { topic: string; partition: number }; offset: { offset: number; leaderEpoch: null } }>();
    for (const record of result.records) {
      this.reads.push({ atMs: this.host.nowMs(), partition: record.partition, offset: record.offset, value: record.value });
      offsets.set(`${TOPIC}-${record.partition}`, { partition: { topic: TOPIC, partition: record.partition }, offset: { offset: record.offset + 1, leaderEpoch: null } });
    }
    this.consumer.commitSync(offsets as OffsetsToCommit, (committed) => {
      if (committed.ok) for (const entry of offsets.values()) this.committed.set(entry.partition.partition, entry.offset.offset);
      this.host.setTimer(0, 'member.poll');
    });
  }

  onMessage(from: NodeId, message: unknown): void {
    this.consumer.handleMessage(from, message);
  }
  onTimer(tag: string, id: TimerId): void {
    if (this.consumer.handleTimer(tag, id)) return;
    if (tag === 'member.poll') this.poll();
  }
  onDiskComplete(): void {}
  onDisconnect(peer: NodeId): void {
    this.consumer.handleDisconnect(peer);
  }
}

function cluster(protocol: 'classic' | 'consumer', seed: number): TestCluster {
  const scenario = kafkaScenario({
    cluster: { controllers: 3, brokers: 3, producers: 1 },
    config: { broker: { 'offsets.topic.num.partitions': 3 }, producer: {} },
    workload: { topic: TOPIC, partitions: PARTITIONS, replicationFactor: 3, intervalMs: 20 },
    durationMs: PHASE_MS,
    livenessMs: PHASE_MS,
  });
  const base = { 'group.id': 'readers', 'group.protocol': protocol, 'auto.offset.reset': 'earliest', 'enable.auto.commit': false };
  const config = protocol === 'classic' ? { ...base, 'session.timeout.ms': 6_000, 'heartbeat.interval.ms': 1_000 } : base;
  const member = (id: string) => ({ id, role: 'client' as const, factory: (host: Host<unknown>) => new GroupMemberNode(host, config) });
  return TestCluster.ofSystem(scenario, seed, [member('k1'), member('k2')]);
}

function owned(node: GroupMemberNode): number[] {
  return (node.consumer as Consumer | undefined)?.assignment().map((partition) => partition.partition) ?? [];
}

describe.each(['classic', 'consumer'] as const)('a group of two consumers on a cluster (group.protocol=%s)', (protocol) => {
  test('a member crashes; the survivor takes its partitions over from their committed offsets, and together they read everything', () => {
    const world = cluster(protocol, 5);
    const k1 = () => world.instance<GroupMemberNode>('k1');
    const k2 = () => world.instance<GroupMemberNode>('k2');
    world.runUntil(() => owned(k1()).length > 0 && owned(k2()).length > 0 && k1().reads.length > 0 && k2().reads.length > 0, 120_000);
    expect([...owned(k1()), ...owned(k2())].sort()).toEqual([0, 1, 2, 3]);
    world.runFor(3_000);

    // What the member held when it died: its reads and commits go with its process.
    const taken = owned(k2());
    const crashedMemberReads = [...k2().reads];
    const committedAtCrash = new Map(taken.map((partition) => [partition, k2().committed.get(partition) ?? 0]));
    world.crash('k2');
    const crashedAtMs = world.nowMs;
    world.runUntil(() => owned(k1()).length === PARTITIONS, 120_000);
    const takeoverMs = world.nowMs - crashedAtMs;
    world.runFor(5_000);

    // The survivor's first read of each partition it took over is the crashed member's committed offset.
    for (const partition of taken) {
      const first = k1().reads.find((read) => read.partition === partition && read.atMs >= crashedAtMs);
      expect(first?.offset, `partition ${partition}`).toBe(committedAtCrash.get(partition));
    }
    // Together they read every offset from 0 up to what the survivor has reached, with no gap.
    const reads = [...k1().reads, ...crashedMemberReads];
    for (let partition = 0; partition < PARTITIONS; partition++) {
      const offsets = [...new Set(reads.filter((read) => read.partition === partition).map((read) => read.offset))].sort((a, b) => a - b);
      expect(offsets.length, `partition ${partition}`).toBeGreaterThan(0);
      expect(offsets, `partition ${partition}`).toEqual(Array.from({ length: offsets.length }, (_, index) => index));
    }
    // The classic member's session is 6 s; KIP-848's coordinator owns the session (45 s by default).
    expect(takeoverMs).toBeLessThan(protocol === 'classic' ? 15_000 : 60_000);
    expect(world.violations()).toEqual([]);
  });
});
