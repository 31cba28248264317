/**
 * BrokerHeartbeatManager: the active controller's soft state about each broker's liveness, and the
 * broker state machine that a heartbeat drives (Kafka's class of the same name).
 *
 * What it models: per broker, the metadata offset it last reported, whether its session is live,
 * and its controlled-shutdown progress; and `calculateNextBrokerState`, Kafka's transition table:
 *
 *   FENCED              --wantShutDown-->                         SHUTDOWN_NOW
 *   FENCED              --caught up (offset ≥ registration)-->    UNFENCED
 *   UNFENCED            --wantFence-->                            FENCED (SHUTDOWN_NOW if also wantShutDown)
 *   UNFENCED            --wantShutDown, leads partitions-->       CONTROLLED_SHUTDOWN
 *   UNFENCED            --wantShutDown, leads nothing-->          SHUTDOWN_NOW
 *   CONTROLLED_SHUTDOWN --leads nothing, every active broker has
 *                         replayed the shutdown's records-->      SHUTDOWN_NOW
 *
 * Session expiry is not here: the controller arms one host timer per unfenced broker (timers are
 * immune to clock skew, as Kafka's monotonic clock is) and fences the broker when it fires.
 *
 * Invariants: this state is soft — it is rebuilt empty on every activation, which gives every
 * broker a fresh session (as Kafka's controller failover does); durable truth is the image.
 *
 * Left out: Kafka's ordered "unfenced by last contact" list (a timer per broker replaces it).
 */
import type { NodeId } from '../host.js';
import type { BrokerRegistration } from '../metadata/types.js';

export type BrokerControlState = 'FENCED' | 'UNFENCED' | 'CONTROLLED_SHUTDOWN' | 'SHUTDOWN_NOW';

export interface BrokerHeartbeatState {
  /** The last metadata offset the broker reported having replayed, or -1. */
  metadataOffset: number;
  /** The offset of the records that put the broker in controlled shutdown, or -1. */
  controlledShutdownOffset: number;
  /** Set once the broker was told to shut down; it stays so until it registers again. */
  shutDownNow: boolean;
}

export interface HeartbeatInput {
  readonly currentMetadataOffset: number;
  readonly wantFence: boolean;
  readonly wantShutDown: boolean;
}

export class BrokerHeartbeatManager {
  private readonly states = new Map<NodeId, BrokerHeartbeatState>();

  /** A broker (re)registered: forget its old session and shutdown progress. */
  register(brokerId: NodeId): void {
    this.states.set(brokerId, { metadataOffset: -1, controlledShutdownOffset: -1, shutDownNow: false });
  }

  stateOf(brokerId: NodeId): BrokerHeartbeatState {
    let state = this.states.get(brokerId);
    if (state === undefined) {
      // A broker registered under an earlier controller: it starts here with a fresh soft state.
      state = { metadataOffset: -1, controlledShutdownOffset: -1, shutDownNow: false };
      this.states.set(brokerId, state);
    }
    return state;
  }

  touch(brokerId: NodeId, metadataOffset: number): void {
    const state = this.stateOf(brokerId);
    state.metadataOffset = Math.max(state.metadataOffset, metadataOffset);
  }

  currentBrokerState(registration: BrokerRegistration): BrokerControlState {
    if (this.stateOf(registration.brokerId).shutDownNow) return 'SHUTDOWN_NOW';
    if (registration.fenced) return 'FENCED';
    if (registration.inControlledShutdown) return 'CONTROLLED_SHUTDOWN';
    return 'UNFENCED';
  }

  /**
   * Kafka's calculateNextBrokerState. `registerBrokerRecordOffset` is the broker's epoch (the offset
   * of its RegisterBrokerRecord): a broker that has replayed that far has caught up.
   */
  calculateNextBrokerState(
    registration: BrokerRegistration,
    request: HeartbeatInput,
    hasLeaderships: boolean,
    lowestActiveOffset: number,
  ): { readonly current: BrokerControlState; readonly next: BrokerControlState } {
    const current = this.currentBrokerState(registration);
    const next = ((): BrokerControlState => {
      switch (current) {
        case 'FENCED':
          if (request.wantShutDown) return 'SHUTDOWN_NOW';
          if (!request.wantFence && request.currentMetadataOffset >= registration.brokerEpoch) return 'UNFENCED';
          return 'FENCED';
        case 'UNFENCED':
          if (request.wantFence) return request.wantShutDown ? 'SHUTDOWN_NOW' : 'FENCED';
          if (request.wantShutDown) return hasLeaderships ? 'CONTROLLED_SHUTDOWN' : 'SHUTDOWN_NOW';
          return 'UNFENCED';
        case 'CONTROLLED_SHUTDOWN': {
          if (hasLeaderships) return 'CONTROLLED_SHUTDOWN';
          // The others must have learned the new leaders before this broker goes away.
          const offset = this.stateOf(registration.brokerId).controlledShutdownOffset;
          return offset <= lowestActiveOffset ? 'SHUTDOWN_NOW' : 'CONTROLLED_SHUTDOWN';
        }
        case 'SHUTDOWN_NOW':
          return 'SHUTDOWN_NOW';
        default: {
          const unreachable: never = current;
          throw new Error(`unknown broker state ${String(unreachable)}`);
        }
      }
    })();
    return { current, next };
  }

  /** The lowest metadata offset among the given active brokers (unfenced, not shutting down). */
  lowestActiveOffset(activeBrokers: readonly NodeId[]): number {
    let lowest = Number.MAX_SAFE_INTEGER;
    for (const id of activeBrokers) lowest = Math.min(lowest, this.stateOf(id).metadataOffset);
    return lowest;
  }
}
