/**
 * Three real ControllerNodes (KafkaRaftClient + QuorumController) in the simulated world, with
 * fake brokers that register, heartbeat and replay the metadata log as raft observers: brokers get
 * unfenced, a topic is created, a broker that stops heartbeating is fenced and loses its
 * leaderships, and a controller failover keeps the cluster's metadata and the brokers' sessions.
 */
import { describe, expect, test } from 'vitest';
import { DEFAULT_CONTROLLER_CONFIG } from '../../src/controller/config.js';
import { createControllerNode } from '../../src/controller/controllerNode.js';
import type { TraceEvent } from '../../src/host.js';
import { liveBrokers, partitionsLedBy } from '../../src/metadata/image.js';
import { DEFAULT_RAFT_CONFIG, type RaftConfig } from '../../src/raft/config.js';
import { ControllerNode } from '../../src/controller/controllerNode.js';
import { encodeImage } from '../../src/metadata/image.js';
import { type RaftMessage, isRaftMessage, raftMessageSizeBytes } from '../../src/raft/messages.js';
import { type TraceRecord, World } from '../../sim/world.js';
import { FakeAdmin, FakeBroker } from './fakeNodes.js';

const CONTROLLERS = ['c1', 'c2', 'c3'];
const BROKERS = ['b1', 'b2', 'b3'];
const BROKER_HEARTBEAT_INTERVAL_MS = 2_000;

function buildWorld(seed: number, raftConfig: RaftConfig = DEFAULT_RAFT_CONFIG): { world: World; traces: TraceRecord[] } {
  const world = new World({ seed, sizeOf: (message) => (isRaftMessage(message) ? raftMessageSizeBytes(message as RaftMessage) : 64) });
  const traces: TraceRecord[] = [];
  world.onTrace((record) => traces.push(record));
  const controller = createControllerNode({ raftConfig, voters: CONTROLLERS, controllerConfig: DEFAULT_CONTROLLER_CONFIG });
  for (const id of CONTROLLERS) world.addNode({ id, role: 'server', factory: controller });
  for (const id of BROKERS) world.addNode({ id, role: 'server', factory: (host) => new FakeBroker(host, raftConfig, CONTROLLERS) });
  world.addNode({ id: 'admin', role: 'client', factory: (host) => new FakeAdmin(host, CONTROLLERS, { name: 'orders', numPartitions: 3, replicationFactor: 3 }) });
  return { world, traces };
}

function events(traces: readonly TraceRecord[], type: string): Array<TraceEvent & { node: string; atMs: number }> {
  return traces.filter((record) => record.event.type === type).map((record) => ({ ...record.event, node: record.node, atMs: record.atMs }));
}

function broker(world: World, id: string): FakeBroker {
  return world.instance(id) as FakeBroker;
}

describe('ControllerNode cluster', () => {
  test('brokers register and get unfenced, a topic is created, a silent broker is fenced and loses its leaderships', () => {
    const { world, traces } = buildWorld(7);
    world.runUntil(15_000);
    expect(world.nodeErrors).toEqual([]);

    const active = events(traces, 'controller.active');
    expect(active).toHaveLength(1);
    const controllerId = active[0]!.node;
    for (const id of BROKERS) {
      expect(broker(world, id).isFenced).toBe(false);
      expect(liveBrokers(broker(world, id).image)).toEqual(BROKERS);
    }
    const topic = broker(world, 'b2').image.topics.get('orders')!;
    expect(topic.partitions).toHaveLength(3);
    for (const partition of topic.partitions) expect(partition).toMatchObject({ isr: partition.replicas, leader: partition.replicas[0], leaderEpoch: 0 });
    expect(events(traces, 'metadata.partition').filter((event) => event.topic === 'orders')).toHaveLength(3);

    // b1 stops heartbeating (its process dies); after broker.session.timeout.ms it is fenced.
    const ledBefore = partitionsLedBy(broker(world, 'b2').image, 'b1');
    expect(ledBefore.length).toBeGreaterThan(0);
    const crashAtMs = world.nowMs;
    world.applyFault({ type: 'crash', node: 'b1', mode: 'process', restartAfterMs: null });
    // The session runs from b1's last heartbeat, at most one heartbeat interval before the crash.
    const sessionEndMinMs = crashAtMs + DEFAULT_CONTROLLER_CONFIG.brokerSessionTimeoutMs - BROKER_HEARTBEAT_INTERVAL_MS;
    world.runUntil(sessionEndMinMs - 100);
    expect(broker(world, 'b2').image.brokers.get('b1')!.fenced).toBe(false);
    world.runUntil(crashAtMs + DEFAULT_CONTROLLER_CONFIG.brokerSessionTimeoutMs + 3_000);
    expect(world.nodeErrors).toEqual([]);

    // Registration writes a fenced record too; what matters is the change after the crash.
    const fenced = events(traces, 'metadata.broker').filter((event) => event.brokerId === 'b1' && event.fenced === true && event.atMs > crashAtMs);
    expect(fenced).toHaveLength(1);
    expect(fenced[0]!.node).toBe(controllerId);
    expect(fenced[0]!.atMs).toBeGreaterThanOrEqual(sessionEndMinMs);
    for (const id of ['b2', 'b3']) {
      const image = broker(world, id).image;
      expect(liveBrokers(image)).toEqual(['b2', 'b3']);
      expect(partitionsLedBy(image, 'b1')).toEqual([]);
      for (const partition of image.topics.get('orders')!.partitions) {
        expect(partition.isr).not.toContain('b1');
        expect(partition.leader).not.toBeNull();
      }
      for (const before of ledBefore) {
        const after = image.topics.get('orders')!.partitions[before.partitionId]!;
        expect(after.leaderEpoch).toBe(before.leaderEpoch + 1);
      }
    }
  });

  test('a controller failover keeps the metadata, and the new controller gives every broker a fresh session', () => {
    const { world, traces } = buildWorld(11);
    world.runUntil(15_000);
    const first = events(traces, 'controller.active')[0]!.node;
    const crashAtMs = world.nowMs;
    world.applyFault({ type: 'crash', node: first, mode: 'process', restartAfterMs: null });
    world.runUntil(45_000);
    expect(world.nodeErrors).toEqual([]);
    const activations = events(traces, 'controller.active');
    expect(activations.length).toBeGreaterThanOrEqual(2);
    const second = activations[activations.length - 1]!;
    expect(second.node).not.toBe(first);
    // Brokers found the new controller and kept heartbeating: no broker was fenced.
    expect(events(traces, 'metadata.broker').filter((event) => event.fenced === true && event.atMs > crashAtMs)).toEqual([]);
    for (const id of BROKERS) {
      expect(broker(world, id).isFenced).toBe(false);
      expect(broker(world, id).image.topics.get('orders')!.partitions).toHaveLength(3);
    }
  });

  test('controllers that restart from image snapshots converge on the same image', () => {
    const { world, traces } = buildWorld(5, { ...DEFAULT_RAFT_CONFIG, maxRecordsBetweenSnapshots: 3 });
    world.runUntil(15_000);
    for (const [atMs, node] of [[15_000, 'c1'], [25_000, 'c2'], [35_000, 'b2'], [45_000, 'c3']] as const) {
      world.runUntil(atMs);
      world.applyFault({ type: 'crash', node, mode: 'process', restartAfterMs: 1_000 });
    }
    world.runUntil(70_000);
    expect(world.nodeErrors).toEqual([]);
    // Snapshots of the image were taken and installed after the first restart.
    const recoveredFromSnapshot = events(traces, 'raft.snapshot').filter((event) => CONTROLLERS.includes(event.node) && event.atMs > 15_000);
    expect(recoveredFromSnapshot.length).toBeGreaterThan(0);
    const images = CONTROLLERS.map((id) => (world.instance(id) as ControllerNode).controller.committedImage);
    const brokerImage = broker(world, 'b2').image;
    expect(images.every((image) => image.offset === brokerImage.offset)).toBe(true);
    for (const image of images) expect(encodeImage(image)).toEqual(encodeImage(brokerImage));
    expect(liveBrokers(brokerImage)).toEqual(BROKERS);
    expect(brokerImage.topics.get('orders')!.partitions).toHaveLength(3);
  });

  test('the same seed gives the same run', () => {
    const hashes = [1, 2].map(() => {
      const { world } = buildWorld(3);
      world.runUntil(20_000);
      return world.traceHash;
    });
    expect(hashes[0]).toBe(hashes[1]);
  });
});
