/**
 * A broker's parts wired as BrokerNode wires them, for tests that drive the metadata publisher and
 * the replica manager directly: the host delivers nothing (sends are recorded, timers dropped, the
 * clock stands at 0), the disk is the simulator's own (sim/disk.ts), and the test decides when the
 * broker has caught up.
 */
import type { Host, NodeId, TimerId, TraceEvent, TrafficClass } from '../../src/host.js';
import { AlterPartitionManager } from '../../src/broker/alterPartitionManager.js';
import { BrokerMetadataPublisher } from '../../src/broker/brokerMetadataPublisher.js';
import { type BrokerConfig, DEFAULT_BROKER_CONFIG, defaultLogConfig } from '../../src/broker/config.js';
import { LogManager } from '../../src/broker/logManager.js';
import { KRaftMetadataCache } from '../../src/broker/metadataCache.js';
import { ReplicaManager } from '../../src/broker/replicaManager.js';
import { Timers } from '../../src/broker/timers.js';
import { encodeImage } from '../../src/metadata/image.js';
import type { BrokerRegistration, MetadataImage, PartitionRegistration, TopicImage } from '../../src/metadata/types.js';
import { DEFAULT_DISK_CONFIG, SimDisk } from '../../sim/disk.js';
import { SeededRandom } from '../../sim/random.js';

/** A message the broker sent, as the test host recorded it. */
export interface SentMessage {
  readonly to: NodeId;
  readonly message: unknown;
  readonly trafficClass: TrafficClass;
}

function silentHost(nodeId: NodeId, sent: SentMessage[], traces: TraceEvent[]): Host<unknown> {
  let nextTimerId = 1;
  return {
    nodeId,
    incarnation: 1,
    nowMs: () => 0,
    send: (to, message, trafficClass) => sent.push({ to, message, trafficClass }),
    disconnect: () => {},
    setTimer: (): TimerId => nextTimerId++,
    cancelTimer: () => {},
    disk: new SimDisk(nodeId, DEFAULT_DISK_CONFIG, new SeededRandom('disk', nodeId), () => 0, () => {}),
    random: new SeededRandom('node', nodeId),
    trace: (event) => traces.push(event),
    halt: (reason) => {
      throw new Error(`halt: ${reason}`);
    },
  };
}

export function brokerParts(nodeId: NodeId, config: Partial<BrokerConfig> = {}) {
  const brokerConfig = { ...DEFAULT_BROKER_CONFIG, ...config };
  const sent: SentMessage[] = [];
  const traces: TraceEvent[] = [];
  const host = silentHost(nodeId, sent, traces);
  const timers = new Timers(host);
  const metadataCache = new KRaftMetadataCache();
  const context = { nextCorrelationId: () => 1, brokerEpoch: () => 5 };
  const logManager = new LogManager(host, timers, metadataCache, defaultLogConfig(brokerConfig, {}));
  const alterPartitionManager = new AlterPartitionManager(host, timers, { ...context, activeController: () => null });
  const replicaManager = new ReplicaManager(host, timers, brokerConfig, metadataCache, logManager, alterPartitionManager, context);
  const caughtUp = { value: false };
  const publisher = new BrokerMetadataPublisher(metadataCache, replicaManager, { isCaughtUp: () => caughtUp.value });
  return { publisher, replicaManager, logManager, caughtUp, sent, traces };
}

/** A partition on b1, b2, b3 led by `leader` at `leaderEpoch`, with ISR `isr`. */
export function partitionOn(topic: string, partitionId: number, leader: NodeId, leaderEpoch: number, options: { partitionEpoch?: number; isr?: NodeId[] } = {}): PartitionRegistration {
  return {
    topic,
    topicId: `${topic}-id`,
    partitionId,
    replicas: ['b1', 'b2', 'b3'],
    isr: options.isr ?? ['b1', 'b2', 'b3'],
    eligibleLeaderReplicas: [],
    lastKnownElr: [],
    leader,
    leaderEpoch,
    partitionEpoch: options.partitionEpoch ?? leaderEpoch,
    leaderRecoveryState: 'RECOVERED',
  };
}

const registered = (brokerId: NodeId): BrokerRegistration => ({ brokerId, brokerEpoch: 5, incarnationId: `${brokerId}/1`, fenced: false, inControlledShutdown: false, rack: null });

/** A metadata snapshot of brokers b1..b3 and these topics, as the raft client would hand it over. */
export function imageSnapshot(offset: number, topics: Record<string, PartitionRegistration[]>, configs: Record<string, Record<string, string>> = {}): Uint8Array {
  const topicImages = new Map<string, TopicImage>(
    Object.entries(topics).map(([name, partitions]) => [name, { name, topicId: `${name}-id`, partitions, configs: configs[name] ?? {} }]),
  );
  const image: MetadataImage = { offset, brokers: new Map(['b1', 'b2', 'b3'].map((id) => [id, registered(id)])), topics: topicImages, nextProducerId: 0 };
  return encodeImage(image);
}
