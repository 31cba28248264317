/**
 * QuorumController: the KRaft controller's state machine (KIP-631), active only on the raft leader.
 *
 * What it models: every controller replays the committed metadata log into `committedImage`. The
 * raft leader, once its listener has replayed everything before its epoch (the raft client fires
 * `handleLeaderChange(self)` only then), becomes the *active* controller: it answers the controller
 * APIs (BrokerRegistration, BrokerHeartbeat, AlterPartition, CreateTopics, AllocateProducerIds),
 * fences brokers whose session expired, and writes its decisions as atomic record batches proposed
 * to raft. Decisions read `pendingImage` = the committed image plus its own proposals not yet
 * committed, so two requests in flight never decide on the same stale state (Kafka's controller
 * does the same with its in-memory timeline and a snapshot registry).
 *
 * Responses that depend on records are sent when those records commit; a request that writes
 * nothing still waits until every earlier write has committed (Kafka's write-event semantics), so
 * a reply never reveals state that could still be lost. If leadership is lost first, every waiting
 * request is answered NOT_CONTROLLER and the pending image is dropped; the next activation starts
 * again from the committed image.
 *
 * Ordering contract with raft: the controller never proposes from inside a raft listener callback
 * (the leader change fires before the raft leader appends its LeaderChange record); it proposes
 * only from requests and its own timers.
 *
 * Trace events: `controller.active` / `controller.inactive`; `metadata.partition` and
 * `metadata.broker` for each committed partition or registration change, emitted by the node that
 * replays the record while it is the raft leader. That is the active controller, except right after
 * a failover, when the new leader replays the old epoch's tail before it activates: then a change
 * the old leader already traced may be traced again, with the same `offset` and content, and a
 * consumer dedupes by offset. No committed change goes untraced.
 *
 * Invariants: the pending image's offset is ≥ the committed image's; while active, every proposal
 * lands at the offset the controller predicted (a broker epoch is the offset of its
 * RegisterBrokerRecord, as in Kafka); a waiting response is answered exactly once.
 *
 * Left out: UnregisterBroker, DeleteTopics, CreatePartitions, IncrementalAlterConfigs, ElectLeaders,
 * feature levels, and Kafka's periodic unclean election of leaderless partitions.
 */
import type { Host, NodeId, TimerId, TrafficClass } from '../host.js';
import { decodeImage, emptyImage, encodeImage, findTopicById, replay } from '../metadata/image.js';
import { decodeMetadataBatch, encodeMetadataBatch } from '../metadata/records.js';
import type { MetadataImage, MetadataRecord } from '../metadata/types.js';
import type {
  AllocateProducerIdsRequest,
  AlterPartitionRequest,
  BrokerHeartbeatRequest,
  BrokerHeartbeatResponse,
  BrokerRegistrationRequest,
  CreateTopicsRequest,
  KafkaResponse,
} from '../protocol/apis.js';
import type { KafkaErrorCode } from '../protocol/errors.js';
import type { CommittedEntry, RaftListener } from '../raft/kafkaRaftClient.js';
import { BrokerHeartbeatManager } from './brokerHeartbeatManager.js';
import type { ControllerConfig } from './config.js';
import {
  activeBrokers,
  allocateProducerIds,
  alterPartition,
  checkBrokerEpoch,
  createTopics,
  handleBrokerFenced,
  handleBrokerInControlledShutdown,
  handleBrokerShutdown,
  handleBrokerUnfenced,
  hasLeaderships,
} from './replicationControl.js';

export type ControllerRequest =
  | BrokerRegistrationRequest
  | BrokerHeartbeatRequest
  | AlterPartitionRequest
  | CreateTopicsRequest
  | AllocateProducerIdsRequest;

const CONTROLLER_APIS: ReadonlySet<string> = new Set<ControllerRequest['api']>([
  'BrokerRegistration',
  'BrokerHeartbeat',
  'AlterPartition',
  'CreateTopics',
  'AllocateProducerIds',
]);

export function isControllerRequest(message: unknown): message is ControllerRequest {
  if (typeof message !== 'object' || message === null) return false;
  const api = (message as { api?: unknown }).api;
  return typeof api === 'string' && CONTROLLER_APIS.has(api);
}

/** What the controller needs from its raft replica (the KafkaRaftClient, or a test double). */
export interface ControllerRaft {
  /** Appends one entry as leader; its offset, or an error when this replica no longer leads. */
  propose(records: readonly Uint8Array[]): { readonly offset: number; readonly epoch: number } | { readonly error: string };
  /** The offset the next proposed entry will get (the leader's log end offset). */
  nextOffset(): number;
  /** Whether this replica is the raft leader right now. */
  isLeader(): boolean;
}

/** Session timers are tagged per broker; the prefix keeps them apart from raft's `raft.` timers. */
const SESSION_TIMER_PREFIX = 'controller.session:';

interface WaitingResponse {
  /** The response goes out once the committed image reaches this offset. */
  readonly offset: number;
  readonly complete: () => void;
  readonly fail: () => void;
}

interface ActiveState {
  readonly epoch: number;
  pendingImage: MetadataImage;
  readonly waiting: WaitingResponse[];
  readonly heartbeats: BrokerHeartbeatManager;
  readonly sessionTimers: Map<NodeId, TimerId>;
}

export class QuorumController implements RaftListener {
  private committed: MetadataImage = emptyImage();
  private active: ActiveState | null = null;

  constructor(
    private readonly host: Host<unknown>,
    private readonly config: ControllerConfig,
    private readonly raft: ControllerRaft,
  ) {}

  get committedImage(): MetadataImage {
    return this.committed;
  }

  /** The image decisions are made on: committed plus this controller's uncommitted proposals. */
  get pendingImage(): MetadataImage {
    return this.active?.pendingImage ?? this.committed;
  }

  get isActive(): boolean {
    return this.active !== null;
  }

  /** The raft snapshot payload: the state after everything handed to `handleCommit`. */
  snapshot(): Uint8Array {
    return encodeImage(this.committed);
  }

  // ---- RaftListener ----

  handleCommit(entries: readonly CommittedEntry[]): void {
    const tracing = this.raft.isLeader();
    for (const entry of entries) {
      if (entry.offset <= this.committed.offset) throw new Error(`handleCommit: offset ${entry.offset} replayed twice`);
      for (const record of decodeMetadataBatch(entry.record)) {
        this.committed = replay(this.committed, entry.offset, record);
        if (tracing) this.traceCommitted(entry.offset, record);
      }
    }
    this.completeWaiting();
  }

  handleLoadSnapshot(snapshotEndOffset: number, _epoch: number, bytes: Uint8Array): void {
    if (this.active !== null) throw new Error('handleLoadSnapshot: the active controller never loads a snapshot');
    const image = decodeImage(bytes);
    if (image.offset >= snapshotEndOffset) throw new Error(`handleLoadSnapshot: image at ${image.offset} not below snapshot end ${snapshotEndOffset}`);
    this.committed = image;
  }

  handleLeaderChange(leaderId: NodeId | null, epoch: number): void {
    if (this.active !== null && (leaderId !== this.host.nodeId || epoch !== this.active.epoch)) this.deactivate();
    if (leaderId === this.host.nodeId && this.active === null) this.activate(epoch);
  }

  // ---- Activation ----

  private activate(epoch: number): void {
    const heartbeats = new BrokerHeartbeatManager();
    this.active = { epoch, pendingImage: this.committed, waiting: [], heartbeats, sessionTimers: new Map() };
    // Kafka's ClusterControlManager.activate: every unfenced broker starts a fresh session.
    for (const registration of this.committed.brokers.values()) {
      if (!registration.fenced) this.armSessionTimer(registration.brokerId);
    }
    this.host.trace({ type: 'controller.active', epoch });
  }

  private deactivate(): void {
    const active = this.active;
    if (active === null) throw new Error('deactivate: not active');
    this.active = null;
    for (const id of active.sessionTimers.values()) this.host.cancelTimer(id);
    for (const waiting of active.waiting.splice(0)) waiting.fail();
    this.host.trace({ type: 'controller.inactive' });
  }

  // ---- Inputs ----

  /** Handles a controller API request; an inactive controller answers NOT_CONTROLLER. */
  handleRequest(from: NodeId, request: ControllerRequest, trafficClass: TrafficClass): void {
    const respond = (response: KafkaResponse): void => this.host.send(from, response, trafficClass);
    const active = this.active;
    if (active === null) {
      respond(notControllerResponse(request));
      return;
    }
    switch (request.api) {
      case 'BrokerRegistration':
        return this.registerBroker(active, request, respond);
      case 'BrokerHeartbeat':
        return this.processBrokerHeartbeat(active, request, respond);
      case 'AlterPartition': {
        const result = alterPartition(active.pendingImage, this.config, request);
        const response = { ...result.response, correlationId: request.correlationId };
        if (result.response.errorCode !== 'NONE') return respond(response);
        return this.write(result.records, () => respond(response), () => respond(notControllerResponse(request)));
      }
      case 'CreateTopics': {
        const result = createTopics(active.pendingImage, request, this.host.random);
        const response = { ...result.response, correlationId: request.correlationId };
        return this.write(result.records, () => respond(response), () => respond(notControllerResponse(request)));
      }
      case 'AllocateProducerIds': {
        const result = allocateProducerIds(active.pendingImage, request.brokerId, request.brokerEpoch);
        const response = { api: 'AllocateProducerIdsResponse' as const, correlationId: request.correlationId, ...result.response };
        if (result.response.errorCode !== 'NONE') return respond(response);
        return this.write(result.records, () => respond(response), () => respond(notControllerResponse(request)));
      }
      default: {
        const unreachable: never = request;
        throw new Error(`unknown controller request ${JSON.stringify(unreachable)}`);
      }
    }
  }

  /** Handles one of the controller's own timers and returns true; false for a tag it does not own. */
  handleTimer(tag: string, id: TimerId): boolean {
    if (!tag.startsWith(SESSION_TIMER_PREFIX)) return false;
    const brokerId = tag.slice(SESSION_TIMER_PREFIX.length);
    const active = this.active;
    if (active === null || active.sessionTimers.get(brokerId) !== id) return true;
    active.sessionTimers.delete(brokerId);
    const registration = active.pendingImage.brokers.get(brokerId);
    if (registration === undefined || registration.fenced) return true;
    // Kafka's maybeFenceOneStaleBroker: the session timed out.
    this.write(handleBrokerFenced(active.pendingImage, this.config, brokerId), null, null);
    return true;
  }

  // ---- Handlers ----

  /** Kafka's ClusterControlManager.registerBroker: a new epoch (the record's offset), fenced. */
  private registerBroker(active: ActiveState, request: BrokerRegistrationRequest, respond: (response: KafkaResponse) => void): void {
    const image = active.pendingImage;
    const existing = image.brokers.get(request.brokerId);
    const brokerEpoch = this.raft.nextOffset();
    const records: MetadataRecord[] = [];
    // Only a new incarnation is a restart: its old self shut down, cleanly only if it names the
    // epoch the controller holds (KIP-966). The same incarnation registering again (its session
    // expired, or a registration timed out) is one process with its log intact, and Kafka's
    // ClusterControlManager.registerBroker writes no shutdown for it.
    // ksim deviation: a node id is one process, so a new incarnation is never a duplicate (Kafka
    // would answer DUPLICATE_BROKER_REGISTRATION while the old session is alive).
    if (existing !== undefined && existing.incarnationId !== request.incarnationId) {
      records.push(...handleBrokerShutdown(image, this.config, request.brokerId, request.previousBrokerEpoch === existing.brokerEpoch));
    }
    records.push({
      type: 'RegisterBrokerRecord',
      brokerId: request.brokerId,
      brokerEpoch,
      incarnationId: request.incarnationId,
      fenced: true,
      rack: request.rack,
    });
    active.heartbeats.register(request.brokerId);
    this.cancelSessionTimer(request.brokerId);
    const response = { api: 'BrokerRegistrationResponse' as const, correlationId: request.correlationId };
    this.write(
      records,
      () => respond({ ...response, errorCode: 'NONE', brokerEpoch }),
      () => respond({ ...response, errorCode: 'NOT_CONTROLLER', brokerEpoch: -1 }),
    );
  }

  /** Kafka's ReplicationControlManager.processBrokerHeartbeat. */
  private processBrokerHeartbeat(active: ActiveState, request: BrokerHeartbeatRequest, respond: (response: KafkaResponse) => void): void {
    const image = active.pendingImage;
    const base = { api: 'BrokerHeartbeatResponse' as const, correlationId: request.correlationId };
    const epochError = checkBrokerEpoch(image, request.brokerId, request.brokerEpoch);
    if (epochError !== 'NONE') {
      respond({ ...base, errorCode: epochError, isCaughtUp: false, isFenced: true, shouldShutDown: false });
      return;
    }
    const brokerId = request.brokerId;
    const registration = image.brokers.get(brokerId)!;
    const heartbeats = active.heartbeats;
    const others = activeBrokers(image).filter((id) => id !== brokerId);
    const { current, next } = heartbeats.calculateNextBrokerState(
      registration,
      request,
      hasLeaderships(image, brokerId),
      heartbeats.lowestActiveOffset(others),
    );
    heartbeats.touch(brokerId, request.currentMetadataOffset);
    let records: MetadataRecord[] = [];
    if (current !== next) {
      switch (next) {
        case 'FENCED':
          records = handleBrokerFenced(image, this.config, brokerId);
          break;
        case 'UNFENCED':
          records = handleBrokerUnfenced(image, this.config, brokerId, registration.brokerEpoch);
          break;
        case 'CONTROLLED_SHUTDOWN':
          records = handleBrokerInControlledShutdown(image, this.config, brokerId, registration.brokerEpoch);
          heartbeats.stateOf(brokerId).controlledShutdownOffset = this.raft.nextOffset();
          break;
        case 'SHUTDOWN_NOW':
          records = registration.fenced ? [] : handleBrokerFenced(image, this.config, brokerId);
          heartbeats.stateOf(brokerId).shutDownNow = true;
          break;
      }
    }
    // Only a broker that may lead or follow needs a session; a fenced one is already out.
    if (next === 'UNFENCED' || next === 'CONTROLLED_SHUTDOWN') this.armSessionTimer(brokerId);
    else this.cancelSessionTimer(brokerId);
    const reply: BrokerHeartbeatResponse = {
      ...base,
      errorCode: 'NONE',
      isCaughtUp: request.currentMetadataOffset >= registration.brokerEpoch,
      isFenced: next === 'FENCED' || next === 'SHUTDOWN_NOW',
      shouldShutDown: next === 'SHUTDOWN_NOW',
    };
    this.write(records, () => respond(reply), () => respond(notControllerResponse(request)));
  }

  // ---- Writing ----

  /**
   * Proposes `records` as one atomic entry and applies them to the pending image; `complete` runs
   * when they commit, `fail` when leadership is lost first. With no records, `complete` runs once
   * every earlier write has committed.
   */
  private write(records: readonly MetadataRecord[], complete: (() => void) | null, fail: (() => void) | null): void {
    const active = this.active;
    if (active === null) throw new Error('write: not the active controller');
    let offset = active.pendingImage.offset;
    if (records.length > 0) {
      offset = this.raft.nextOffset();
      const result = this.raft.propose([encodeMetadataBatch(records)]);
      if ('error' in result) {
        // The raft client knows it lost leadership before its listener heard: step down now.
        fail?.();
        this.deactivate();
        return;
      }
      if (result.offset !== offset) throw new Error(`write: proposal landed at ${result.offset}, expected ${offset}`);
      let image = active.pendingImage;
      for (const record of records) image = replay(image, offset, record);
      active.pendingImage = image;
    }
    if (complete === null) return;
    if (offset <= this.committed.offset) {
      complete();
      return;
    }
    active.waiting.push({ offset, complete, fail: fail ?? (() => {}) });
  }

  private completeWaiting(): void {
    const active = this.active;
    if (active === null) return;
    while (active.waiting.length > 0 && active.waiting[0]!.offset <= this.committed.offset) active.waiting.shift()!.complete();
  }

  // ---- Sessions ----

  private armSessionTimer(brokerId: NodeId): void {
    const active = this.active;
    if (active === null) throw new Error('armSessionTimer: not active');
    this.cancelSessionTimer(brokerId);
    active.sessionTimers.set(brokerId, this.host.setTimer(this.config.brokerSessionTimeoutMs, `${SESSION_TIMER_PREFIX}${brokerId}`));
  }

  private cancelSessionTimer(brokerId: NodeId): void {
    const id = this.active?.sessionTimers.get(brokerId);
    if (id === undefined) return;
    this.host.cancelTimer(id);
    this.active!.sessionTimers.delete(brokerId);
  }

  // ---- Tracing ----

  private traceCommitted(offset: number, record: MetadataRecord): void {
    const image = this.committed;
    switch (record.type) {
      case 'PartitionRecord':
      case 'PartitionChangeRecord': {
        const partition = findTopicById(image, record.topicId)?.partitions[record.partitionId];
        if (partition === undefined) throw new Error(`traceCommitted: partition ${record.topicId}-${record.partitionId} not in the image`);
        this.host.trace({
          type: 'metadata.partition',
          offset,
          topic: partition.topic,
          partition: partition.partitionId,
          leader: partition.leader,
          leaderEpoch: partition.leaderEpoch,
          partitionEpoch: partition.partitionEpoch,
          isr: [...partition.isr],
          eligibleLeaderReplicas: [...partition.eligibleLeaderReplicas],
          ...(partition.lastKnownElr.length > 0 ? { lastKnownElr: [...partition.lastKnownElr] } : {}),
          replicas: [...partition.replicas],
          leaderRecoveryState: partition.leaderRecoveryState,
        });
        return;
      }
      case 'RegisterBrokerRecord':
      case 'BrokerRegistrationChangeRecord': {
        const broker = image.brokers.get(record.brokerId);
        if (broker === undefined) throw new Error(`traceCommitted: broker ${record.brokerId} not in the image`);
        this.host.trace({
          type: 'metadata.broker',
          offset,
          brokerId: broker.brokerId,
          brokerEpoch: broker.brokerEpoch,
          fenced: broker.fenced,
          inControlledShutdown: broker.inControlledShutdown,
        });
        return;
      }
      default:
        return;
    }
  }
}

/** The NOT_CONTROLLER answer to each controller API, so the sender retries another controller. */
export function notControllerResponse(request: ControllerRequest): KafkaResponse {
  const errorCode: KafkaErrorCode = 'NOT_CONTROLLER';
  const correlationId = request.correlationId;
  switch (request.api) {
    case 'BrokerRegistration':
      return { api: 'BrokerRegistrationResponse', correlationId, errorCode, brokerEpoch: -1 };
    case 'BrokerHeartbeat':
      return { api: 'BrokerHeartbeatResponse', correlationId, errorCode, isCaughtUp: false, isFenced: true, shouldShutDown: false };
    case 'AlterPartition':
      return { api: 'AlterPartitionResponse', correlationId, errorCode, topics: [] };
    case 'CreateTopics':
      return {
        api: 'CreateTopicsResponse',
        correlationId,
        topics: request.topics.map((topic) => ({ name: topic.name, errorCode, errorMessage: 'This is not the active controller.' })),
      };
    case 'AllocateProducerIds':
      return { api: 'AllocateProducerIdsResponse', correlationId, errorCode, producerIdStart: -1, producerIdLen: 0 };
    default: {
      const unreachable: never = request;
      throw new Error(`unknown controller request ${JSON.stringify(unreachable)}`);
    }
  }
}
