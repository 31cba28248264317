/**
 * A Kafka broker in KRaft mode (KIP-500, KIP-631), as one protocol node: the composition of
 * Kafka's broker parts (BrokerServer), routing each input to the part that owns it.
 *
 * | part                       | owns                                                              |
 * |----------------------------|-------------------------------------------------------------------|
 * | KafkaRaftClient (observer) | following the metadata log                                        |
 * | BrokerMetadataPublisher    | replaying it into the image; applying the image once caught up    |
 * | KRaftMetadataCache         | the current image; the Metadata API                               |
 * | BrokerLifecycleManager     | registration, heartbeats, fencing, catch-up                       |
 * | ReplicaManager             | partitions, Produce, Fetch, ListOffsets, purgatory, fetchers, ISR |
 * | LogManager                 | partition logs, topic LogConfigs, flush and retention             |
 * | AlterPartitionManager      | ISR proposals to the controller                                   |
 * | RPCProducerIdManager       | producer-id blocks; InitProducerId                                |
 * | GroupCoordinator           | FindCoordinator, the group APIs, offsets; `__consumer_offsets`    |
 * | TransactionCoordinator     | transactional ids, their markers; `__transaction_state`           |
 * | AddPartitionsToTxnManager  | verifying a transaction before its first append (KIP-890)         |
 *
 * Requests are routed by API key; timers by handle (timers.ts), each owned by the part that set it;
 * the raft client's timers are its own. Traffic classes: KRaft and controller requests travel as
 * 'controller', follower fetches as 'replication', client requests as 'client', so the world can
 * partition each alone.
 *
 * A coordinator (group, transaction) is one more part: built here, given its requests in
 * `onMessage`, and registered with `publisher.addPartitionLeadershipListener(<its internal topic>)`
 * so that it loads and unloads with the leadership of that topic's partitions (src/broker/README.md).
 * Both the group and the transaction coordinator are.
 *
 * Left out: controlled shutdown on the broker side, log directory failure handling beyond a halt.
 */
import type { DiskCompletion, Host, NodeId, ProtocolNode, TimerId, TrafficClass } from '../host.js';
import type { KafkaRequest, KafkaResponse } from '../protocol/apis.js';
import type { RaftConfig } from '../raft/config.js';
import { KafkaRaftClient } from '../raft/kafkaRaftClient.js';
import { AlterPartitionManager } from './alterPartitionManager.js';
import { BrokerLifecycleManager } from './brokerLifecycleManager.js';
import { BrokerMetadataPublisher } from './brokerMetadataPublisher.js';
import { type BrokerConfig, defaultLogConfig } from './config.js';
import { GroupCoordinator } from './groupCoordinator.js';
import { GROUP_METADATA_TOPIC_NAME } from './groupCoordinatorRecords.js';
import { AddPartitionsToTxnManager } from './addPartitionsToTxnManager.js';
import { TransactionCoordinator } from './transactionCoordinator.js';
import { TRANSACTION_STATE_TOPIC_NAME } from './transactionStateRecords.js';
import { COORDINATOR_KEY_TYPE_TRANSACTION } from '../protocol/apis.js';
import { LogManager } from './logManager.js';
import { KRaftMetadataCache } from './metadataCache.js';
import { RPCProducerIdManager } from './producerIdManager.js';
import { ReplicaManager } from './replicaManager.js';
import { Timers } from './timers.js';

export interface BrokerNodeOptions {
  readonly raftConfig: RaftConfig;
  /** controller.quorum.voters */
  readonly controllers: readonly NodeId[];
  readonly brokerConfig: BrokerConfig;
  /**
   * Cluster-wide log defaults (Kafka's topic config names); topics override them through
   * ConfigRecords. min.insync.replicas among them is ignored: `brokerConfig`'s is the default.
   */
  readonly logDefaults: Readonly<Record<string, unknown>>;
}

export function createBrokerNode(options: BrokerNodeOptions) {
  return (host: Host<unknown>): ProtocolNode<unknown> => new BrokerNode(host, options);
}

export class BrokerNode implements ProtocolNode<unknown> {
  private readonly raft: KafkaRaftClient;
  private readonly timers: Timers;
  private readonly metadataCache = new KRaftMetadataCache();
  private readonly lifecycle: BrokerLifecycleManager;
  private readonly producerIdManager: RPCProducerIdManager;
  private readonly alterPartitionManager: AlterPartitionManager;
  private readonly logManager: LogManager;
  private readonly replicaManager: ReplicaManager;
  private readonly publisher: BrokerMetadataPublisher;
  private readonly groupCoordinator: GroupCoordinator;
  private readonly transactionCoordinator: TransactionCoordinator;
  private readonly addPartitionsToTxnManager: AddPartitionsToTxnManager;
  /** One sequence for every request this broker sends, as one NetworkClient would number them. */
  private nextCorrelation = 1;

  constructor(
    private readonly host: Host<unknown>,
    options: BrokerNodeOptions,
  ) {
    this.raft = new KafkaRaftClient(host, {
      config: options.raftConfig,
      voters: options.controllers,
      listener: {
        handleCommit: (entries) => this.publisher.handleCommit(entries),
        handleLoadSnapshot: (_endOffset, _epoch, bytes) => this.publisher.handleLoadSnapshot(bytes),
        handleLeaderChange: (leaderId) => this.lifecycle.onControllerChange(leaderId),
      },
      snapshotProvider: () => this.publisher.snapshot(),
    });
    const nextCorrelationId = () => this.nextCorrelation++;
    const brokerEpoch = () => this.lifecycle.brokerEpoch;
    this.timers = new Timers(host);
    this.lifecycle = new BrokerLifecycleManager(host, this.timers, options.brokerConfig, {
      nextCorrelationId,
      currentMetadataOffset: () => this.metadataCache.currentMetadataOffset,
      onHeartbeatSent: (controller) => this.producerIdManager.maybeRequestNextBlock(controller),
      onCaughtUp: () => this.publisher.publish(),
    });
    this.producerIdManager = new RPCProducerIdManager(host, this.timers, { nextCorrelationId, brokerEpoch });
    this.alterPartitionManager = new AlterPartitionManager(host, this.timers, { nextCorrelationId, brokerEpoch, activeController: () => this.lifecycle.activeController });
    this.logManager = new LogManager(host, this.timers, this.metadataCache, defaultLogConfig(options.brokerConfig, options.logDefaults));
    this.replicaManager = new ReplicaManager(host, this.timers, options.brokerConfig, this.metadataCache, this.logManager, this.alterPartitionManager, { nextCorrelationId, brokerEpoch });
    this.publisher = new BrokerMetadataPublisher(this.metadataCache, this.replicaManager, { isCaughtUp: () => this.lifecycle.isCaughtUp });
    this.groupCoordinator = new GroupCoordinator(host, this.timers, options.brokerConfig.groupCoordinator, this.replicaManager, this.metadataCache, {
      nextCorrelationId,
      activeController: () => this.lifecycle.activeController,
    });
    this.publisher.addPartitionLeadershipListener(GROUP_METADATA_TOPIC_NAME, this.groupCoordinator);
    this.transactionCoordinator = new TransactionCoordinator(host, this.timers, options.brokerConfig.transactionCoordinator, this.replicaManager, this.metadataCache, this.producerIdManager, {
      nextCorrelationId,
      activeController: () => this.lifecycle.activeController,
      offsetsPartitionFor: (groupId) => ({ topic: GROUP_METADATA_TOPIC_NAME, partition: this.groupCoordinator.partitionFor(groupId) }),
    });
    this.publisher.addPartitionLeadershipListener(TRANSACTION_STATE_TOPIC_NAME, this.transactionCoordinator);
    this.addPartitionsToTxnManager = new AddPartitionsToTxnManager(host, this.timers, {
      nextCorrelationId,
      coordinatorFor: (transactionalId) => this.transactionCoordinator.coordinatorFor(transactionalId),
      transactionVersion: () => options.brokerConfig.transactionCoordinator.transactionVersion,
    });
    this.replicaManager.setTransactionVerifier(this.addPartitionsToTxnManager);
  }

  onStart(): void {
    this.raft.handleStart();
    this.lifecycle.start();
    this.replicaManager.startup();
    this.logManager.startup();
  }

  onMessage(from: NodeId, message: unknown, trafficClass: TrafficClass): void {
    if (trafficClass === 'controller' && this.raft.handleMessage(from, message)) return;
    const kafka = message as KafkaRequest | KafkaResponse;
    switch (kafka.api) {
      case 'Produce':
        return this.replicaManager.handleProduceRequest(from, kafka);
      case 'Fetch':
        return this.replicaManager.handleFetchRequest(from, kafka);
      case 'ListOffsets':
        return this.replicaManager.handleListOffsetsRequest(from, kafka);
      case 'OffsetsForLeaderEpoch':
        return this.replicaManager.handleOffsetsForLeaderEpochRequest(from, kafka);
      case 'Metadata':
        return this.host.send(from, this.metadataCache.metadataResponse(kafka), 'client');
      case 'InitProducerId':
        if (kafka.transactionalId !== null) return this.transactionCoordinator.handleInitProducerId(from, { ...kafka, transactionalId: kafka.transactionalId });
        return this.host.send(from, this.producerIdManager.initProducerIdResponse(kafka.correlationId), 'client');
      case 'FindCoordinator':
        if (kafka.keyType === COORDINATOR_KEY_TYPE_TRANSACTION) return this.transactionCoordinator.handleFindCoordinator(from, kafka);
        return this.groupCoordinator.handleFindCoordinator(from, kafka);
      case 'AddPartitionsToTxn':
        return this.transactionCoordinator.handleAddPartitionsToTxn(from, kafka);
      case 'AddOffsetsToTxn':
        return this.transactionCoordinator.handleAddOffsetsToTxn(from, kafka);
      case 'EndTxn':
        return this.transactionCoordinator.handleEndTxn(from, kafka);
      case 'WriteTxnMarkers':
        return this.replicaManager.handleWriteTxnMarkers(from, kafka);
      case 'WriteTxnMarkersResponse':
        return this.transactionCoordinator.handleWriteTxnMarkersResponse(kafka);
      case 'AddPartitionsToTxnResponse':
        return this.addPartitionsToTxnManager.handleAddPartitionsToTxnResponse(kafka);
      case 'JoinGroup':
        return this.groupCoordinator.handleJoinGroup(from, kafka);
      case 'SyncGroup':
        return this.groupCoordinator.handleSyncGroup(from, kafka);
      case 'Heartbeat':
        return this.groupCoordinator.handleHeartbeat(from, kafka);
      case 'LeaveGroup':
        return this.groupCoordinator.handleLeaveGroup(from, kafka);
      case 'OffsetCommit':
        return this.groupCoordinator.handleOffsetCommit(from, kafka);
      case 'TxnOffsetCommit':
        return this.groupCoordinator.handleTxnOffsetCommit(from, kafka);
      case 'OffsetFetch':
        return this.groupCoordinator.handleOffsetFetch(from, kafka);
      case 'ConsumerGroupHeartbeat':
        return this.groupCoordinator.handleConsumerGroupHeartbeat(from, kafka);
      case 'CreateTopicsResponse':
        this.groupCoordinator.handleCreateTopicsResponse(kafka);
        return this.transactionCoordinator.handleCreateTopicsResponse(kafka);
      case 'FetchResponse':
        return this.replicaManager.handleFetchResponse(from, kafka);
      case 'BrokerRegistrationResponse':
        return this.lifecycle.handleRegistrationResponse(kafka);
      case 'BrokerHeartbeatResponse':
        return this.lifecycle.handleHeartbeatResponse(kafka);
      case 'AlterPartitionResponse':
        return this.alterPartitionManager.handleAlterPartitionResponse(kafka);
      case 'AllocateProducerIdsResponse':
        return this.producerIdManager.handleAllocateProducerIdsResponse(kafka);
      default:
        // Requests this broker does not serve (controller APIs) and stray responses are dropped;
        // their senders time out, as with a real broker's unsupported API.
        return;
    }
  }

  onTimer(tag: string, id: TimerId): void {
    if (this.raft.handleTimer(tag, id)) return;
    // A timer that is no longer scheduled was cancelled after it fired but before its input
    // arrived (a paused node's inputs arrive late): its owner has moved on, and it is dropped.
    this.timers.fire(id);
  }

  onDiskComplete(completion: DiskCompletion): void {
    if (this.raft.handleDiskComplete(completion)) return;
    // A log that was removed may still see its last fsync complete: nothing waits for it.
    this.logManager.onFsyncComplete(completion);
  }

  onDisconnect(peer: NodeId): void {
    this.raft.handleDisconnect(peer);
    this.replicaManager.handleDisconnect(peer);
    this.groupCoordinator.handleDisconnect(peer);
    this.transactionCoordinator.handleDisconnect(peer);
    this.addPartitionsToTxnManager.handleDisconnect(peer);
    this.lifecycle.onDisconnect(peer);
  }
}
