/**
 * Finding the group coordinator (AbstractCoordinator's lookupCoordinator and markCoordinatorUnknown,
 * the new consumer's CoordinatorRequestManager): FindCoordinator to a broker, at most one in flight,
 * retried with exponential backoff; the broker it names serves every group request until it answers
 * NOT_COORDINATOR or COORDINATOR_NOT_AVAILABLE, the connection to it breaks, or the member's session
 * runs out without a heartbeat answered.
 *
 * Whoever waits for the coordinator registers a one-shot listener (an async commit waits so, as in
 * Kafka); listeners hear of the next lookup's outcome.
 *
 * Left out: the separate coordinator connection Kafka opens (Integer.MAX_VALUE - nodeId): here
 * group requests share the client connection to that broker.
 */

import type { Host, NodeId } from '../host.js';
import { COORDINATOR_KEY_TYPE_GROUP } from '../protocol/apis.js';
import type { ConsumerConfig } from './consumerConfig.js';
import type { ConsumerNetworkClient } from './consumerNetworkClient.js';
import type { ClientMetadata } from './metadata.js';
import { retryBackoffMs } from './retryBackoff.js';

export class CoordinatorLookup {
  private coordinatorNode: NodeId | null = null;
  private lookupInFlight = false;
  private attempts = 0;
  private nextLookupMs = Number.NEGATIVE_INFINITY;
  private listeners: Array<(found: boolean) => void> = [];
  private readonly discoveryListeners: Array<(coordinator: NodeId) => void> = [];

  constructor(
    private readonly groupId: string,
    private readonly network: ConsumerNetworkClient,
    private readonly metadata: ClientMetadata,
    private readonly config: ConsumerConfig,
    private readonly host: Host<unknown>,
  ) {}

  get coordinator(): NodeId | null {
    return this.coordinatorNode;
  }

  /** The non-blocking half of ensureCoordinatorReady: looks the coordinator up if it is unknown. */
  lookupIfNeeded(nowMs: number): void {
    if (this.coordinatorNode !== null || this.lookupInFlight || nowMs < this.nextLookupMs) return;
    const broker = this.host.random.pick(this.metadata.liveBrokers());
    this.lookupInFlight = true;
    this.network.send(broker, { api: 'FindCoordinator', keyType: COORDINATOR_KEY_TYPE_GROUP, coordinatorKeys: [this.groupId] }, this.config.requestTimeoutMs, (outcome) => {
      this.lookupInFlight = false;
      const answer = outcome.ok ? outcome.response.coordinators.find((entry) => entry.key === this.groupId) : undefined;
      if (answer !== undefined && answer.errorCode === 'NONE' && answer.nodeId !== -1) {
        this.attempts = 0;
        this.coordinatorNode = answer.nodeId;
        this.host.trace({ type: 'consumer.coordinator', groupId: this.groupId, coordinator: answer.nodeId });
        for (const listener of this.discoveryListeners) listener(answer.nodeId);
        this.notify(true);
        return;
      }
      // COORDINATOR_NOT_AVAILABLE while __consumer_offsets has no leader, or a lost request: back off.
      this.metadata.requestUpdate();
      this.nextLookupMs = this.host.nowMs() + retryBackoffMs(this.attempts++, this.config.retryBackoffMs, this.config.retryBackoffMaxMs, this.host.random);
      this.notify(false);
    });
  }

  /** Forgets the coordinator; unless the connection already broke, closes it so nothing stays in flight there. */
  markCoordinatorUnknown(reason: string, isDisconnected: boolean): void {
    const previous = this.coordinatorNode;
    if (previous === null) return;
    this.coordinatorNode = null;
    this.host.trace({ type: 'consumer.coordinator-unknown', groupId: this.groupId, coordinator: previous, reason });
    if (!isDisconnected) this.network.disconnect(previous);
  }

  /** Hears of every coordinator found, for as long as the consumer lives (the classic session timer restarts then). */
  addDiscoveryListener(listener: (coordinator: NodeId) => void): void {
    this.discoveryListeners.push(listener);
  }

  /** Hears the outcome of the next lookup (immediately, if the coordinator is known). */
  whenLookedUp(listener: (found: boolean) => void): void {
    if (this.coordinatorNode !== null) listener(true);
    else this.listeners.push(listener);
  }

  /** Whether someone waits for the next lookup (the consumer keeps looking up while they do). */
  hasWaiters(): boolean {
    return this.listeners.length > 0;
  }

  /** When the next lookup may be sent, for the consumer's wakeup timer; +Infinity when none is due. */
  nextLookupTimeMs(): number {
    return this.coordinatorNode !== null || this.lookupInFlight ? Number.POSITIVE_INFINITY : this.nextLookupMs;
  }

  private notify(found: boolean): void {
    const listeners = this.listeners;
    this.listeners = [];
    for (const listener of listeners) listener(found);
  }
}
