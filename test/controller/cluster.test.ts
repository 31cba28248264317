/**
 * Three real ControllerNodes (KafkaRaftClient + QuorumController) with the kafka system's own
 * brokers and admin, in the simulated world: brokers register and get unfenced, a topic is
 * created, a broker that stops heartbeating is fenced and loses its leaderships, and a controller
 * failover keeps the cluster's metadata and the brokers' sessions. What a broker knows is read the
 * way a client reads it, with a Metadata request.
 */
import { describe, expect, test } from 'vitest';
import { DEFAULT_CONTROLLER_CONFIG } from '../../src/controller/config.js';
import type { ControllerNode } from '../../src/controller/controllerNode.js';
import type { DiskCompletion, Host, NodeId, ProtocolNode } from '../../src/host.js';
import { encodeImage, liveBrokers } from '../../src/metadata/image.js';
import type { MetadataImage } from '../../src/metadata/types.js';
import type { KafkaResponse, MetadataResponse } from '../../src/protocol/apis.js';
import type { NodeSpec } from '../../sim/world.js';
import { TestCluster } from '../support/cluster.js';
import { kafkaScenario } from '../support/scenarios.js';

const CONTROLLERS = ['c1', 'c2', 'c3'];
const BROKERS = ['b1', 'b2', 'b3'];
const BROKER_HEARTBEAT_INTERVAL_MS = 2_000;
const PROBE = 'q1';
/** Longer than any test runs, so the system's final reader never starts. */
const PHASE_MS = 1_000_000;

/** A client that asks brokers for their metadata, as a Kafka client would. */
class MetadataProbe implements ProtocolNode<unknown> {
  readonly responses: MetadataResponse[] = [];
  private correlationIdNext = 1;

  constructor(private readonly host: Host<unknown>) {}

  ask(broker: NodeId): number {
    const correlationId = this.correlationIdNext++;
    this.host.send(broker, { api: 'Metadata', correlationId, topics: null }, 'client');
    return correlationId;
  }

  onStart(): void {}
  onMessage(_from: NodeId, message: unknown): void {
    if ((message as KafkaResponse).api === 'MetadataResponse') this.responses.push(message as MetadataResponse);
  }
  onTimer(): void {}
  onDiskComplete(completion: DiskCompletion): void {
    throw new Error(`the probe has no disk, got ${completion.file}`);
  }
  onDisconnect(): void {}
}

function buildCluster(seed: number, raft: Record<string, number> = {}): TestCluster {
  const probe: NodeSpec = { id: PROBE, role: 'client', factory: (host) => new MetadataProbe(host) };
  const scenario = kafkaScenario({
    cluster: { controllers: CONTROLLERS.length, brokers: BROKERS.length, producers: 0 },
    config: { raft },
    workload: { topic: 'orders', partitions: 3, replicationFactor: 3 },
    durationMs: PHASE_MS,
    livenessMs: PHASE_MS,
  });
  return TestCluster.ofSystem(scenario, seed, [probe]);
}

/** What a broker answers to Metadata right now. */
function metadataOf(cluster: TestCluster, broker: NodeId): MetadataResponse {
  const probe = cluster.instance<MetadataProbe>(PROBE);
  const correlationId = probe.ask(broker);
  cluster.runUntil(() => probe.responses.some((response) => response.correlationId === correlationId), 1_000);
  return probe.responses.find((response) => response.correlationId === correlationId)!;
}

function ordersOf(metadata: MetadataResponse): MetadataResponse['topics'][number]['partitions'] {
  const topic = metadata.topics.find((candidate) => candidate.name === 'orders');
  expect(topic?.errorCode).toBe('NONE');
  return topic!.partitions;
}

/** Whether the broker's last heartbeat found it fenced. */
function fencedNow(cluster: TestCluster, broker: NodeId): boolean {
  const heartbeats = cluster.eventsOf('broker.heartbeat', broker);
  expect(heartbeats.length).toBeGreaterThan(0);
  return heartbeats[heartbeats.length - 1]!.fenced as boolean;
}

function expectHealthy(cluster: TestCluster): void {
  expect(cluster.world.nodeErrors).toEqual([]);
  expect(cluster.violations()).toEqual([]);
}

describe('ControllerNode cluster', () => {
  test('brokers register and get unfenced, a topic is created, a silent broker is fenced and loses its leaderships', () => {
    const cluster = buildCluster(7);
    cluster.runUntilMs(15_000);
    expectHealthy(cluster);

    const active = cluster.eventsOf('controller.active');
    expect(active).toHaveLength(1);
    const controllerId = active[0]!.node;
    for (const id of BROKERS) {
      expect(fencedNow(cluster, id)).toBe(false);
      expect(metadataOf(cluster, id).brokers).toEqual(BROKERS);
    }
    const partitions = ordersOf(metadataOf(cluster, 'b2'));
    expect(partitions).toHaveLength(3);
    for (const partition of partitions) {
      expect(partition).toMatchObject({ isrNodes: partition.replicaNodes, leaderId: partition.replicaNodes[0], leaderEpoch: 0 });
    }
    expect(cluster.eventsOf('metadata.partition').filter((event) => event.topic === 'orders')).toHaveLength(3);

    // b1 stops heartbeating (its process dies); after broker.session.timeout.ms it is fenced.
    const ledBefore = partitions.filter((partition) => partition.leaderId === 'b1');
    expect(ledBefore.length).toBeGreaterThan(0);
    const crashAtMs = cluster.nowMs;
    cluster.crash('b1');
    // The session runs from b1's last heartbeat, at most one heartbeat interval before the crash.
    const sessionEndMinMs = crashAtMs + DEFAULT_CONTROLLER_CONFIG.brokerSessionTimeoutMs - BROKER_HEARTBEAT_INTERVAL_MS;
    cluster.runUntilMs(sessionEndMinMs - 100);
    expect(metadataOf(cluster, 'b2').brokers).toContain('b1');
    cluster.runUntilMs(crashAtMs + DEFAULT_CONTROLLER_CONFIG.brokerSessionTimeoutMs + 3_000);
    expectHealthy(cluster);

    // Registration writes a fenced record too; what matters is the change after the crash.
    const fenced = cluster.eventsOf('metadata.broker').filter((event) => event.brokerId === 'b1' && event.fenced === true && event.atMs > crashAtMs);
    expect(fenced).toHaveLength(1);
    expect(fenced[0]!.node).toBe(controllerId);
    expect(fenced[0]!.atMs).toBeGreaterThanOrEqual(sessionEndMinMs);
    for (const id of ['b2', 'b3']) {
      const metadata = metadataOf(cluster, id);
      expect(metadata.brokers).toEqual(['b2', 'b3']);
      const now = ordersOf(metadata);
      for (const partition of now) {
        expect(partition.leaderId).not.toBe('b1');
        expect(partition.leaderId).not.toBeNull();
        expect(partition.isrNodes).not.toContain('b1');
      }
      for (const before of ledBefore) expect(now[before.partitionIndex]!.leaderEpoch).toBe(before.leaderEpoch + 1);
    }
  });

  test('a controller failover keeps the metadata, and the new controller gives every broker a fresh session', () => {
    const cluster = buildCluster(11);
    cluster.runUntilMs(15_000);
    const first = cluster.eventsOf('controller.active')[0]!.node;
    const crashAtMs = cluster.nowMs;
    cluster.crash(first);
    cluster.runUntilMs(45_000);
    expectHealthy(cluster);
    const activations = cluster.eventsOf('controller.active');
    expect(activations.length).toBeGreaterThanOrEqual(2);
    const second = activations[activations.length - 1]!;
    expect(second.node).not.toBe(first);
    // Brokers found the new controller and kept heartbeating: no broker was fenced.
    expect(cluster.eventsOf('metadata.broker').filter((event) => event.fenced === true && event.atMs > crashAtMs)).toEqual([]);
    for (const id of BROKERS) {
      expect(fencedNow(cluster, id)).toBe(false);
      expect(ordersOf(metadataOf(cluster, id))).toHaveLength(3);
    }
  });

  test('controllers that restart from image snapshots converge on the same image, and brokers serve it', () => {
    const cluster = buildCluster(5, { 'ksim.metadata.log.max.records.between.snapshots': 3 });
    cluster.runUntilMs(15_000);
    for (const [atMs, node] of [[15_000, 'c1'], [25_000, 'c2'], [35_000, 'b2'], [45_000, 'c3']] as const) {
      cluster.runUntilMs(atMs);
      cluster.fault({ type: 'crash', node, mode: 'process', restartAfterMs: 1_000 });
    }
    cluster.runUntilMs(70_000);
    expectHealthy(cluster);
    // Snapshots of the image were taken and installed after the first restart.
    const recoveredFromSnapshot = cluster.eventsOf('raft.snapshot').filter((event) => CONTROLLERS.includes(event.node) && event.atMs > 15_000);
    expect(recoveredFromSnapshot.length).toBeGreaterThan(0);
    const images = CONTROLLERS.map((id) => cluster.instance<ControllerNode>(id).controller.committedImage);
    expect(images.every((image) => image.offset === images[0]!.offset)).toBe(true);
    for (const image of images) expect(encodeImage(image)).toEqual(encodeImage(images[0]!));
    const image: MetadataImage = images[0]!;
    expect(liveBrokers(image)).toEqual(BROKERS);
    // The restarted broker serves the controllers' image.
    const metadata = metadataOf(cluster, 'b2');
    expect(metadata.brokers).toEqual(liveBrokers(image));
    const expected = image.topics.get('orders')!.partitions.map((partition) => ({
      partitionIndex: partition.partitionId,
      leaderId: partition.leader,
      leaderEpoch: partition.leaderEpoch,
      replicaNodes: partition.replicas,
      isrNodes: partition.isr,
    }));
    expect(ordersOf(metadata)).toMatchObject(expected);
    expect(expected).toHaveLength(3);
  });

  test('the same seed gives the same run', () => {
    const hashes = [1, 2].map(() => {
      const cluster = buildCluster(3);
      cluster.runUntilMs(20_000);
      return cluster.world.traceHash;
    });
    expect(hashes[0]).toBe(hashes[1]);
  });
});
