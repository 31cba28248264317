/**
 * AlterPartitionManager (KIP-497): carries a partition leader's ISR proposals to the active
 * controller and brings the answers back to the partition.
 *
 * - A proposal goes out at once, stamped with this broker's current epoch for its own entry
 *   (KIP-903: the partition knows its followers' epochs, not necessarily its own after a
 *   re-registration).
 * - An answer is only ever a statement about the one request it answers. A request lost to a
 *   partition or a controller failover, or made while no controller was known, comes back to the
 *   partition as REQUEST_TIMED_OUT after ALTER_PARTITION_TIMEOUT_MS; a top-level error (NOT_CONTROLLER,
 *   STALE_BROKER_EPOCH), or a response without the partition, comes back as that error. The
 *   partition decides (Partition.onAlterPartitionResponse): for a retriable error it keeps the
 *   proposal pending, and the manager sends the same proposal again after
 *   ALTER_PARTITION_RETRY_BACKOFF_MS — as long as the partition still waits for it (KAFKA-14010;
 *   Kafka's channel to the controller retries without end, DefaultAlterPartitionManager resends
 *   after a top-level error in 50 ms).
 *
 * Timers: `broker.alter-partition/<correlationId>` (a request's timeout),
 * `broker.alter-partition-retry/<topic>-<partition>` (the backoff before a resend).
 *
 * Left out: Kafka's batching of many partitions' proposals into one request, its one request in
 * flight per broker, and its queue of unsent proposals; here every proposal (and every resend) is
 * its own request. Kafka resends at once after a partition-level retriable error; here every resend
 * waits the backoff, so a controller that keeps refusing is not asked in a tight loop.
 */
import type { Host, NodeId } from '../host.js';
import type { AlterPartitionResponse } from '../protocol/apis.js';
import type { KafkaErrorCode } from '../protocol/errors.js';
import type { AlterPartitionOutcome, AlterPartitionProposal, Partition } from './partition.js';
import type { TimerHandle, Timers } from './timers.js';

/** How long an AlterPartition may go unanswered before the partition hears REQUEST_TIMED_OUT. */
const ALTER_PARTITION_TIMEOUT_MS = 5_000;
/** How long before a proposal the partition still waits for is sent again (DefaultAlterPartitionManager's 50 ms). */
const ALTER_PARTITION_RETRY_BACKOFF_MS = 50;

export interface AlterPartitionContext {
  nextCorrelationId(): number;
  activeController(): NodeId | null;
  brokerEpoch(): number;
}

/** One proposal the manager carries, across its resends. */
interface Submission {
  readonly partition: Partition;
  readonly proposal: AlterPartitionProposal;
  /** Runs after an answer (not a timeout) has been applied to the partition. */
  readonly onResponse: () => void;
}

interface InFlight {
  readonly submission: Submission;
  readonly timer: TimerHandle;
}

export class AlterPartitionManager {
  private readonly inFlight = new Map<number, InFlight>();

  constructor(
    private readonly host: Host<unknown>,
    private readonly timers: Timers,
    private readonly context: AlterPartitionContext,
  ) {}

  submit(partition: Partition, proposal: AlterPartitionProposal, onResponse: () => void): void {
    this.send({ partition, proposal, onResponse });
  }

  private send(submission: Submission): void {
    const correlationId = this.context.nextCorrelationId();
    const timer = this.timers.schedule(`broker.alter-partition/${correlationId}`, ALTER_PARTITION_TIMEOUT_MS, () => this.onTimeout(correlationId));
    this.inFlight.set(correlationId, { submission, timer });
    const controller = this.context.activeController();
    if (controller === null) return; // The timeout hands the partition REQUEST_TIMED_OUT.
    const { partition, proposal } = submission;
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
    this.complete(
      inFlight.submission,
      response.errorCode !== 'NONE' || data === undefined
        ? failed(response.errorCode === 'NONE' ? 'UNKNOWN_SERVER_ERROR' : response.errorCode)
        : { errorCode: data.errorCode, leaderEpoch: data.leaderEpoch, isr: data.isr, partitionEpoch: data.partitionEpoch },
    );
    inFlight.submission.onResponse();
  }

  private onTimeout(correlationId: number): void {
    const inFlight = this.inFlight.get(correlationId);
    if (inFlight === undefined) return;
    this.inFlight.delete(correlationId);
    this.complete(inFlight.submission, failed('REQUEST_TIMED_OUT'));
  }

  /** Hands the outcome to the partition, and sends the proposal again if it asks for that. */
  private complete(submission: Submission, outcome: AlterPartitionOutcome): void {
    const { partition, proposal } = submission;
    if (!partition.onAlterPartitionResponse(proposal, outcome)) return;
    this.timers.schedule(`broker.alter-partition-retry/${partition.topic}-${partition.partitionId}`, ALTER_PARTITION_RETRY_BACKOFF_MS, () => {
      // The metadata log may have settled the proposal meanwhile, or the partition moved on.
      if (partition.isAlterPartitionPending(proposal)) this.send(submission);
    });
  }
}

function failed(errorCode: KafkaErrorCode): AlterPartitionOutcome {
  return { errorCode, leaderEpoch: -1, isr: [], partitionEpoch: -1 };
}
