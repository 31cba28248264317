/**
 * BrokerLifecycleManager (KIP-631): the broker's standing with the active controller.
 *
 * - Registration: once a controller is known, the broker registers (BrokerRegistration) and gets
 *   its broker epoch. An unanswered registration is sent again after broker.heartbeat.interval.ms.
 * - Heartbeats: every broker.heartbeat.interval.ms, BrokerHeartbeat with the broker epoch and the
 *   offset of the last metadata it replayed. A STALE_BROKER_EPOCH or BROKER_ID_NOT_REGISTERED
 *   answer means the controller fenced this broker for good (its session expired): it registers
 *   anew, with a new epoch.
 * - Fencing and catch-up: the controller unfences a registered broker once its metadata offset has
 *   reached its registration. The first unfenced heartbeat of an incarnation is when this broker
 *   counts as caught up; only then does it act on the metadata image (`onCaughtUp`), because a
 *   restarted broker's image is stale, and acting on it would resume leaderships the controller has
 *   long moved (Kafka's broker waits for its initial catch-up before starting its replica manager).
 *   Caught up is for the incarnation: a later re-registration does not undo it.
 *
 * Timers: `broker.heartbeat` (periodic), `broker.register` (a registration's timeout).
 *
 * Left out: Kafka's BrokerState machine beyond these flags, controlled shutdown (wantShutDown),
 * and registration's features, listeners and log directories.
 */
import type { Host, NodeId } from '../host.js';
import type { KafkaResponse } from '../protocol/apis.js';
import type { BrokerConfig } from './config.js';
import type { Timers } from './timers.js';

/** What the lifecycle manager needs from the rest of the broker. */
export interface LifecycleContext {
  nextCorrelationId(): number;
  /** The offset of the last metadata entry this broker replayed (MetadataImage.offset). */
  currentMetadataOffset(): number;
  /** A heartbeat went to `controller`: the tick on which producer-id blocks are refilled. */
  onHeartbeatSent(controller: NodeId): void;
  /** The first unfenced heartbeat of this incarnation: the metadata image may now be acted on. */
  onCaughtUp(): void;
}

const HEARTBEAT_TIMER = 'broker.heartbeat';
const REGISTER_TIMER = 'broker.register';

export class BrokerLifecycleManager {
  private activeControllerValue: NodeId | null = null;
  /** -1 while not registered in this incarnation (or after the controller fenced us for good). */
  private brokerEpochValue = -1;
  private caughtUpValue = false;
  private registrationInFlight: number | null = null;
  private heartbeatInFlight: number | null = null;

  constructor(
    private readonly host: Host<unknown>,
    private readonly timers: Timers,
    private readonly config: BrokerConfig,
    private readonly context: LifecycleContext,
  ) {}

  get activeController(): NodeId | null {
    return this.activeControllerValue;
  }

  get brokerEpoch(): number {
    return this.brokerEpochValue;
  }

  get isCaughtUp(): boolean {
    return this.caughtUpValue;
  }

  start(): void {
    this.timers.schedulePeriodic(HEARTBEAT_TIMER, this.config.brokerHeartbeatIntervalMs, () => this.heartbeat());
  }

  /** The metadata quorum's leader — the active controller — changed (or became unknown). */
  onControllerChange(leaderId: NodeId | null): void {
    this.activeControllerValue = leaderId;
    if (leaderId !== null && this.brokerEpochValue < 0) this.register();
  }

  /** A connection broke: requests in flight to the controller on it will never be answered. */
  onDisconnect(peer: NodeId): void {
    if (peer !== this.activeControllerValue) return;
    this.heartbeatInFlight = null;
    this.registrationInFlight = null;
  }

  handleRegistrationResponse(response: Extract<KafkaResponse, { api: 'BrokerRegistrationResponse' }>): void {
    if (response.correlationId !== this.registrationInFlight) return;
    this.registrationInFlight = null;
    if (response.errorCode !== 'NONE') return;
    this.brokerEpochValue = response.brokerEpoch;
    this.host.trace({ type: 'broker.registered', brokerEpoch: response.brokerEpoch });
    this.heartbeat();
  }

  handleHeartbeatResponse(response: Extract<KafkaResponse, { api: 'BrokerHeartbeatResponse' }>): void {
    if (response.correlationId !== this.heartbeatInFlight) return;
    this.heartbeatInFlight = null;
    if (response.errorCode === 'STALE_BROKER_EPOCH' || response.errorCode === 'BROKER_ID_NOT_REGISTERED') {
      this.brokerEpochValue = -1;
      this.register();
      return;
    }
    if (response.errorCode !== 'NONE') return;
    this.host.trace({ type: 'broker.heartbeat', brokerEpoch: this.brokerEpochValue, fenced: response.isFenced });
    if (response.isFenced || this.caughtUpValue) return;
    this.caughtUpValue = true;
    this.host.trace({ type: 'broker.caught-up', brokerEpoch: this.brokerEpochValue, metadataOffset: this.context.currentMetadataOffset() });
    this.context.onCaughtUp();
  }

  private register(): void {
    const controller = this.activeControllerValue;
    if (controller === null || this.registrationInFlight !== null) return;
    const correlationId = this.context.nextCorrelationId();
    this.registrationInFlight = correlationId;
    this.host.send(controller, {
      api: 'BrokerRegistration',
      correlationId,
      brokerId: this.host.nodeId,
      incarnationId: `${this.host.nodeId}/${this.host.incarnation}`,
      rack: null,
      // Kafka sends the epoch its clean-shutdown file named at startup, the same on every
      // registration of one process; ksim's brokers only ever stop by crashing, so it is -1. The
      // controller tells a restart from this process registering again by the incarnation id.
      previousBrokerEpoch: -1,
    }, 'controller');
    this.timers.schedule(REGISTER_TIMER, this.config.brokerHeartbeatIntervalMs, () => {
      this.registrationInFlight = null;
      if (this.brokerEpochValue < 0) this.register();
    });
  }

  private heartbeat(): void {
    if (this.brokerEpochValue < 0) {
      this.register();
      return;
    }
    const controller = this.activeControllerValue;
    if (controller === null) return;
    const correlationId = this.context.nextCorrelationId();
    this.heartbeatInFlight = correlationId;
    this.host.send(controller, {
      api: 'BrokerHeartbeat',
      correlationId,
      brokerId: this.host.nodeId,
      brokerEpoch: this.brokerEpochValue,
      currentMetadataOffset: this.context.currentMetadataOffset(),
      wantFence: false,
      wantShutDown: false,
    }, 'controller');
    this.context.onHeartbeatSent(controller);
  }
}
