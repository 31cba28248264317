/**
 * The creation of a coordinator's internal topic on first use (Kafka's AutoTopicCreationManager
 * for `__consumer_offsets` and `__transaction_state`): a FindCoordinator that finds the topic
 * missing asks the active controller to create it, and answers COORDINATOR_NOT_AVAILABLE until the
 * topic has a live leader for the partition asked about.
 *
 * One CreateTopics at a time per topic. A request whose answer is lost (a partition, a controller
 * failover) must not block creation forever: a timer of its own lets it be sent again, and so does
 * losing the connection to the controller.
 *
 * Timer: the owner's tag (`group.create-offsets-topic`, `txn.create-transaction-state-topic`).
 */
import type { Host, NodeId, TraceEvent } from '../host.js';
import type { CreateTopicsRequest, CreateTopicsResponse } from '../protocol/apis.js';
import type { Timers } from './timers.js';

/** How long a CreateTopics for an internal topic may go unanswered before it may be sent again. */
export const CREATE_INTERNAL_TOPIC_TIMEOUT_MS = 5_000;

export interface InternalTopic {
  readonly topic: CreateTopicsRequest['topics'][number];
  /** The timer's tag, and the trace event that says the topic is being created. */
  readonly timerTag: string;
  readonly trace: TraceEvent;
}

export class InternalTopicCreator {
  private inFlight = false;

  constructor(
    private readonly host: Host<unknown>,
    private readonly timers: Timers,
    private readonly context: { nextCorrelationId(): number; activeController(): NodeId | null },
    private readonly internalTopic: () => InternalTopic,
  ) {}

  maybeCreate(): void {
    const controller = this.context.activeController();
    if (controller === null || this.inFlight) return;
    this.inFlight = true;
    const { topic, timerTag, trace } = this.internalTopic();
    this.timers.schedule(timerTag, CREATE_INTERNAL_TOPIC_TIMEOUT_MS, () => {
      this.inFlight = false;
    });
    this.host.trace(trace);
    this.host.send(controller, { api: 'CreateTopics', correlationId: this.context.nextCorrelationId(), topics: [topic] }, 'controller');
  }

  /** Created or not (another broker may have created it first: TOPIC_ALREADY_EXISTS), the next FindCoordinator looks at the metadata again. */
  handleCreateTopicsResponse(response: CreateTopicsResponse): void {
    if (response.topics.some((topic) => topic.name === this.internalTopic().topic.name)) this.inFlight = false;
  }

  handleDisconnect(peer: NodeId): void {
    // A CreateTopics in flight to a controller that went away will never be answered.
    if (peer === this.context.activeController()) this.inFlight = false;
  }
}
