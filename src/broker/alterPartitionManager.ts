/**
 * AlterPartitionManager (KIP-497): carries a partition leader's ISR proposals to the active
 * controller and brings the answers back to the partition.
 *
 * - A proposal goes out at once, stamped with this broker's current epoch for its own entry
 *   (KIP-903: the partition knows its followers' epochs, not necessarily its own after a
 *   re-registration).
 * - Each request has a timeout: an AlterPartition lost to a partition or a controller failover, or
 *   made while no controller was known, comes back to the partition as REQUEST_TIMED_OUT, so the
 *   partition can propose again (a partition holds one proposal at a time).
 * - A top-level error, or a response without the partition, is that error for the partition.
 *
 * Timers: `broker.alter-partition/<correlationId>` (a request's timeout).
 *
 * Left out: Kafka's batching of many partitions' proposals into one request and its queue of
 * unsent proposals; here every proposal is its own request.
 */
import type { Host, NodeId } from '../host.js';
import type { AlterPartitionResponse } from '../protocol/apis.js';
import type { Partition, PartitionHost } from './partition.js';
import type { TimerHandle, Timers } from './timers.js';

/** How long an AlterPartition may go unanswered before the partition hears REQUEST_TIMED_OUT. */
const ALTER_PARTITION_TIMEOUT_MS = 5_000;

export type AlterPartitionProposal = Parameters<PartitionHost['sendAlterPartition']>[1];

export interface AlterPartitionContext {
  nextCorrelationId(): number;
  activeController(): NodeId | null;
  brokerEpoch(): number;
}

interface InFlight {
  readonly partition: Partition;
  readonly timer: TimerHandle;
  /** Runs after a response (not a timeout) has been applied to the partition. */
  readonly onResponse: () => void;
}

export class AlterPartitionManager {
  private readonly inFlight = new Map<number, InFlight>();

  constructor(
    private readonly host: Host<unknown>,
    private readonly timers: Timers,
    private readonly context: AlterPartitionContext,
  ) {}

  submit(partition: Partition, proposal: AlterPartitionProposal, onResponse: () => void): void {
    const correlationId = this.context.nextCorrelationId();
    const timer = this.timers.schedule(`broker.alter-partition/${correlationId}`, ALTER_PARTITION_TIMEOUT_MS, () => this.onTimeout(correlationId));
    this.inFlight.set(correlationId, { partition, timer, onResponse });
    const controller = this.context.activeController();
    if (controller === null) return; // The timeout will release the partition.
    const localBrokerEpoch = this.context.brokerEpoch();
    const newIsrWithEpochs = proposal.newIsrWithEpochs.map((member) =>
      member.brokerId === this.host.nodeId ? { brokerId: member.brokerId, brokerEpoch: localBrokerEpoch } : member,
    );
    this.host.send(controller, {
      api: 'AlterPartition',
      correlationId,
      brokerId: this.host.nodeId,
      brokerEpoch: localBrokerEpoch,
      topics: [{ topicName: partition.topic, partitions: [{ partitionIndex: partition.partitionId, leaderEpoch: proposal.leaderEpoch, newIsrWithEpochs, partitionEpoch: proposal.partitionEpoch }] }],
    }, 'controller');
  }

  handleAlterPartitionResponse(response: AlterPartitionResponse): void {
    const inFlight = this.inFlight.get(response.correlationId);
    if (inFlight === undefined) return;
    this.inFlight.delete(response.correlationId);
    this.timers.cancel(inFlight.timer);
    const data = response.topics[0]?.partitions[0];
    inFlight.partition.onAlterPartitionResponse(
      response.errorCode !== 'NONE' || data === undefined
        ? { errorCode: response.errorCode === 'NONE' ? 'UNKNOWN_SERVER_ERROR' : response.errorCode, leaderEpoch: -1, isr: [], partitionEpoch: -1 }
        : { errorCode: data.errorCode, leaderEpoch: data.leaderEpoch, isr: data.isr, partitionEpoch: data.partitionEpoch },
    );
    inFlight.onResponse();
  }

  private onTimeout(correlationId: number): void {
    const inFlight = this.inFlight.get(correlationId);
    if (inFlight === undefined) return;
    this.inFlight.delete(correlationId);
    inFlight.partition.onAlterPartitionResponse({ errorCode: 'REQUEST_TIMED_OUT', leaderEpoch: -1, isr: [], partitionEpoch: -1 });
  }
}
