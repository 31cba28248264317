/**
 * The classic member's liveness clocks (Kafka's Heartbeat): three timers the heartbeat thread reads.
 * - heartbeat: the next Heartbeat is due every heartbeat.interval.ms (sooner after a failure, by the
 *   retry backoff);
 * - session: reset by every answered heartbeat; if session.timeout.ms passes without one, the
 *   coordinator is presumed gone and looked up again (the coordinator, on its side, has expired the
 *   member by then);
 * - poll: reset by every call to poll; if max.poll.interval.ms passes without one, the application
 *   is stuck and the member leaves the group on its own.
 *
 * Invariant: heartbeat.interval.ms < session.timeout.ms (checked by ConsumerConfig).
 */

import type { Random } from '../host.js';
import { retryBackoffMs } from './retryBackoff.js';

export interface HeartbeatSettings {
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly maxPollIntervalMs: number;
  readonly retryBackoffMs: number;
  readonly retryBackoffMaxMs: number;
}

export class Heartbeat {
  private heartbeatDeadlineMs: number;
  private sessionDeadlineMs: number;
  private pollDeadlineMs: number;
  private attempts = 0;
  private inFlight = false;

  constructor(
    private readonly settings: HeartbeatSettings,
    private readonly random: Random,
    nowMs: number,
  ) {
    if (settings.heartbeatIntervalMs >= settings.sessionTimeoutMs) throw new Error('Heartbeat must be set lower than the session timeout');
    this.heartbeatDeadlineMs = nowMs + settings.heartbeatIntervalMs;
    this.sessionDeadlineMs = nowMs + settings.sessionTimeoutMs;
    this.pollDeadlineMs = nowMs + settings.maxPollIntervalMs;
  }

  /** The application called poll. */
  poll(nowMs: number): void {
    this.pollDeadlineMs = nowMs + this.settings.maxPollIntervalMs;
  }

  sentHeartbeat(nowMs: number): void {
    this.inFlight = true;
    this.heartbeatDeadlineMs = nowMs + this.settings.heartbeatIntervalMs;
  }

  failHeartbeat(nowMs: number): void {
    this.inFlight = false;
    this.heartbeatDeadlineMs = nowMs + retryBackoffMs(this.attempts++, this.settings.retryBackoffMs, this.settings.retryBackoffMaxMs, this.random);
  }

  receiveHeartbeat(nowMs: number): void {
    this.inFlight = false;
    this.attempts = 0;
    this.sessionDeadlineMs = nowMs + this.settings.sessionTimeoutMs;
  }

  shouldHeartbeat(nowMs: number): boolean {
    return nowMs >= this.heartbeatDeadlineMs;
  }

  sessionTimeoutExpired(nowMs: number): boolean {
    return nowMs >= this.sessionDeadlineMs;
  }

  pollTimeoutExpired(nowMs: number): boolean {
    return nowMs >= this.pollDeadlineMs;
  }

  /** All three restart, when the heartbeat thread is enabled after a JoinGroup. */
  resetTimeouts(nowMs: number): void {
    this.sessionDeadlineMs = nowMs + this.settings.sessionTimeoutMs;
    this.pollDeadlineMs = nowMs + this.settings.maxPollIntervalMs;
    this.heartbeatDeadlineMs = nowMs + this.settings.heartbeatIntervalMs;
  }

  /** A newly found coordinator gets a whole session. */
  resetSessionTimeout(nowMs: number): void {
    this.sessionDeadlineMs = nowMs + this.settings.sessionTimeoutMs;
  }

  get hasInFlight(): boolean {
    return this.inFlight;
  }

  /** The earliest of the three deadlines, for the consumer's wakeup timer. */
  nextDeadlineMs(): number {
    return Math.min(this.heartbeatDeadlineMs, this.sessionDeadlineMs, this.pollDeadlineMs);
  }
}
