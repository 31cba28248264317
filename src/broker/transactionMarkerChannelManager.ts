/**
 * TransactionMarkerChannelManager: writes a prepared transaction's COMMIT or ABORT marker into
 * every partition of the transaction, through WriteTxnMarkers to each partition's leader, and
 * reports when all are written so the coordinator can complete the transaction.
 *
 * - Each marker carries the coordinator epoch (the leader epoch of the coordinator's
 *   `__transaction_state` partition): a partition refuses a marker older than the last it wrote
 *   for that producer (TRANSACTION_COORDINATOR_FENCED), so a deposed coordinator cannot overwrite
 *   a newer one's decision.
 * - A partition whose leader is unknown, that answers a retriable error, or whose request timed
 *   out or lost its connection is retried after MARKER_RETRY_BACKOFF_MS, with the leader looked up
 *   again. A partition whose topic is gone is done (Kafka drops it likewise). A fenced answer
 *   (TRANSACTION_COORDINATOR_FENCED, INVALID_PRODUCER_EPOCH) means a newer coordinator or epoch
 *   owns the transaction: this one stops sending its markers.
 * - When the coordinator resigns the `__transaction_state` partition, the markers of its
 *   transactions are dropped (Kafka's removeMarkersForTxnTopicPartition); the next coordinator
 *   resends them when it loads the prepared transaction.
 *
 * Timers: `txn.marker-timeout/<correlationId>` (a request unanswered for MARKER_REQUEST_TIMEOUT_MS),
 * `txn.marker-retry/<transactionalId>`.
 *
 * Left out: batching the markers of several transactions into one request per broker (each
 * transaction sends its own), and Kafka's queue per destination.
 */
import type { Host, NodeId } from '../host.js';
import type { WriteTxnMarkersResponse } from '../protocol/apis.js';
import type { KafkaErrorCode } from '../protocol/errors.js';
import { compareStrings } from '../util/compare.js';
import { parsePartitionKey, type TransactionMetadata } from './transactionMetadata.js';
import type { TimerHandle, Timers } from './timers.js';

/** Kafka's request.timeout.ms for inter-broker requests. */
export const MARKER_REQUEST_TIMEOUT_MS = 30_000;
/** How long before a partition that failed is tried again (Kafka retries at its next poll, after a metadata refresh). */
export const MARKER_RETRY_BACKOFF_MS = 100;

export interface MarkerChannelContext {
  nextCorrelationId(): number;
  /** The live leader of the partition, or null; 'deleted' when its topic is gone. */
  leaderOf(topic: string, partition: number): NodeId | null | 'deleted';
}

/** The markers of one prepared transaction still to be written. */
interface PendingMarkers {
  readonly metadata: TransactionMetadata;
  readonly coordinatorEpoch: number;
  /** The `__transaction_state` partition the transaction belongs to. */
  readonly txnTopicPartition: number;
  readonly remaining: Set<string>;
  /** Partitions with a request in flight. */
  readonly inFlight: Set<string>;
  retryTimer: TimerHandle | null;
  onComplete: () => void;
}

interface InFlightRequest {
  readonly transactionalId: string;
  readonly destination: NodeId;
  readonly partitions: readonly string[];
  readonly timer: TimerHandle;
}

const RETRIABLE_MARKER_ERRORS: readonly KafkaErrorCode[] = [
  'NOT_LEADER_OR_FOLLOWER',
  'LEADER_NOT_AVAILABLE',
  'UNKNOWN_TOPIC_OR_PARTITION',
  'NOT_ENOUGH_REPLICAS',
  'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
  'REQUEST_TIMED_OUT',
  'KAFKA_STORAGE_ERROR',
  'NETWORK_EXCEPTION',
  'FENCED_LEADER_EPOCH',
  'UNKNOWN_LEADER_EPOCH',
];

export class TransactionMarkerChannelManager {
  private readonly pending = new Map<string, PendingMarkers>();
  private readonly requests = new Map<number, InFlightRequest>();

  constructor(
    private readonly host: Host<unknown>,
    private readonly timers: Timers,
    private readonly context: MarkerChannelContext,
  ) {}

  /** Starts writing the markers of a prepared transaction; `onComplete` runs once every partition has its marker. */
  addTxnMarkersToSend(metadata: TransactionMetadata, coordinatorEpoch: number, txnTopicPartition: number, onComplete: () => void): void {
    this.removeMarkers(metadata.transactionalId);
    const pending: PendingMarkers = {
      metadata,
      coordinatorEpoch,
      txnTopicPartition,
      remaining: new Set(metadata.partitions),
      inFlight: new Set(),
      retryTimer: null,
      onComplete,
    };
    this.pending.set(metadata.transactionalId, pending);
    this.host.trace({ type: 'txn.markers', transactionalId: metadata.transactionalId, producerId: metadata.producerId, producerEpoch: metadata.producerEpoch, result: markerResult(metadata), coordinatorEpoch, partitions: metadata.partitions });
    this.sendPending(pending);
  }

  /** The coordinator resigned this `__transaction_state` partition: its transactions' markers are no longer ours to send. */
  removeMarkersForTxnTopicPartition(txnTopicPartition: number): void {
    for (const pending of [...this.pending.values()]) if (pending.txnTopicPartition === txnTopicPartition) this.removeMarkers(pending.metadata.transactionalId);
  }

  private removeMarkers(transactionalId: string): void {
    const pending = this.pending.get(transactionalId);
    if (pending === undefined) return;
    if (pending.retryTimer !== null) this.timers.cancel(pending.retryTimer);
    this.pending.delete(transactionalId);
  }

  private sendPending(pending: PendingMarkers): void {
    if (this.pending.get(pending.metadata.transactionalId) !== pending) return;
    const byLeader = new Map<NodeId, string[]>();
    let waiting = false;
    for (const key of [...pending.remaining].sort(compareStrings)) {
      if (pending.inFlight.has(key)) continue;
      const { topic, partition } = parsePartitionKey(key);
      const leader = this.context.leaderOf(topic, partition);
      if (leader === 'deleted') {
        pending.remaining.delete(key);
        continue;
      }
      if (leader === null) {
        waiting = true;
        continue;
      }
      byLeader.set(leader, [...(byLeader.get(leader) ?? []), key]);
    }
    for (const [leader, keys] of byLeader) this.sendRequest(pending, leader, keys);
    if (waiting) this.scheduleRetry(pending);
    this.maybeComplete(pending);
  }

  private sendRequest(pending: PendingMarkers, destination: NodeId, keys: readonly string[]): void {
    const correlationId = this.context.nextCorrelationId();
    const byTopic = new Map<string, number[]>();
    for (const key of keys) {
      const { topic, partition } = parsePartitionKey(key);
      byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
      pending.inFlight.add(key);
    }
    const timer = this.timers.schedule(`txn.marker-timeout/${correlationId}`, MARKER_REQUEST_TIMEOUT_MS, () => this.failRequest(correlationId));
    this.requests.set(correlationId, { transactionalId: pending.metadata.transactionalId, destination, partitions: keys, timer });
    this.host.send(
      destination,
      {
        api: 'WriteTxnMarkers',
        correlationId,
        markers: [
          {
            producerId: pending.metadata.producerId,
            producerEpoch: pending.metadata.producerEpoch,
            transactionResult: pending.metadata.state === 'PrepareCommit',
            topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
            coordinatorEpoch: pending.coordinatorEpoch,
          },
        ],
      },
      'replication',
    );
  }

  handleWriteTxnMarkersResponse(response: WriteTxnMarkersResponse): void {
    const request = this.requests.get(response.correlationId);
    if (request === undefined) return;
    this.requests.delete(response.correlationId);
    this.timers.cancel(request.timer);
    const pending = this.pending.get(request.transactionalId);
    if (pending === undefined) return;
    for (const key of request.partitions) pending.inFlight.delete(key);
    let retry = false;
    for (const marker of response.markers) {
      for (const topic of marker.topics) {
        for (const result of topic.partitions) {
          const key = `${topic.name}-${result.partitionIndex}`;
          if (result.errorCode === 'NONE') pending.remaining.delete(key);
          else if (result.errorCode === 'TRANSACTION_COORDINATOR_FENCED' || result.errorCode === 'INVALID_PRODUCER_EPOCH') {
            this.host.trace({ type: 'txn.markers-fenced', transactionalId: request.transactionalId, partition: key, errorCode: result.errorCode });
            this.removeMarkers(request.transactionalId);
            return;
          } else if (RETRIABLE_MARKER_ERRORS.includes(result.errorCode)) retry = true;
          else throw new Error(`WriteTxnMarkers for ${key} answered ${result.errorCode}, which no partition leader sends`);
        }
      }
    }
    if (retry) this.scheduleRetry(pending);
    this.maybeComplete(pending);
  }

  /** A request timed out, or its connection broke: its partitions are tried again. */
  private failRequest(correlationId: number): void {
    const request = this.requests.get(correlationId);
    if (request === undefined) return;
    this.requests.delete(correlationId);
    this.timers.cancel(request.timer);
    const pending = this.pending.get(request.transactionalId);
    if (pending === undefined) return;
    for (const key of request.partitions) pending.inFlight.delete(key);
    this.scheduleRetry(pending);
  }

  handleDisconnect(peer: NodeId): void {
    for (const [correlationId, request] of [...this.requests]) if (request.destination === peer) this.failRequest(correlationId);
  }

  private scheduleRetry(pending: PendingMarkers): void {
    if (pending.retryTimer !== null) return;
    pending.retryTimer = this.timers.schedule(`txn.marker-retry/${pending.metadata.transactionalId}`, MARKER_RETRY_BACKOFF_MS, () => {
      pending.retryTimer = null;
      this.sendPending(pending);
    });
  }

  private maybeComplete(pending: PendingMarkers): void {
    if (pending.remaining.size > 0 || this.pending.get(pending.metadata.transactionalId) !== pending) return;
    this.removeMarkers(pending.metadata.transactionalId);
    pending.onComplete();
  }
}

function markerResult(metadata: TransactionMetadata): 'COMMIT' | 'ABORT' {
  return metadata.state === 'PrepareCommit' ? 'COMMIT' : 'ABORT';
}
