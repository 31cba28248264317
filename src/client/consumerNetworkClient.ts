/**
 * The consumer's side of Kafka's NetworkClient (ConsumerNetworkClient): requests to brokers, each
 * with a correlation id, a timeout and one completion handler.
 *
 * What it models:
 * - every request goes out with host.send(..., 'client'); its response is matched by correlation
 *   id, API and broker, and handed to the request's handler exactly once;
 * - a request unanswered for its timeout closes the connection (host.disconnect), which fails every
 *   request on it with REQUEST_TIMED_OUT, as Kafka's client does; a connection the world breaks
 *   fails them with NETWORK_EXCEPTION (Kafka's DisconnectException);
 * - answers to requests given up on are recognised as ours and dropped.
 *
 * Invariant: each handler runs exactly once, with a response or a failure.
 * Left out: connection setup and reconnect backoff (the world's connections open on first send),
 * request pipelining limits, and ApiVersions.
 */

import type { Host, NodeId } from '../host.js';
import type { KafkaRequest, KafkaResponse } from '../protocol/apis.js';

export type RequestApi = KafkaRequest['api'];
export type RequestOf<A extends RequestApi> = Extract<KafkaRequest, { api: A }>;
export type ResponseOf<A extends RequestApi> = Extract<KafkaResponse, { api: `${A}Response` }>;
export type RequestFailure = 'NETWORK_EXCEPTION' | 'REQUEST_TIMED_OUT';

/** A request's outcome: the broker's answer, or how the request failed. */
export type RequestOutcome<A extends RequestApi> = { readonly ok: true; readonly response: ResponseOf<A> } | { readonly ok: false; readonly error: RequestFailure };

interface InFlightRequest {
  readonly api: RequestApi;
  readonly broker: NodeId;
  readonly deadlineMs: number;
  readonly complete: (outcome: { ok: true; response: KafkaResponse } | { ok: false; error: RequestFailure }) => void;
}

export class ConsumerNetworkClient {
  private readonly inFlight = new Map<number, InFlightRequest>();
  /** Correlation ids of requests given up on: a late answer is ours, but ignored. */
  private readonly abandoned = new Set<number>();
  private correlationIdNext = 1;

  constructor(private readonly host: Host<unknown>) {}

  /** Sends a request; `complete` runs once, with the response or a failure. Returns the correlation id. */
  send<A extends RequestApi>(broker: NodeId, request: Omit<RequestOf<A>, 'correlationId'> & { readonly api: A }, timeoutMs: number, complete: (outcome: RequestOutcome<A>) => void): number {
    const correlationId = this.correlationIdNext++;
    this.inFlight.set(correlationId, {
      api: request.api,
      broker,
      deadlineMs: this.host.nowMs() + timeoutMs,
      complete: complete as InFlightRequest['complete'],
    });
    this.host.send(broker, { ...request, correlationId }, 'client');
    return correlationId;
  }

  /** Handles a response to one of our requests and returns true; false for anything else. */
  handleMessage(from: NodeId, message: unknown): boolean {
    if (typeof message !== 'object' || message === null) return false;
    const { api, correlationId } = message as { api?: unknown; correlationId?: unknown };
    if (typeof api !== 'string' || typeof correlationId !== 'number' || !api.endsWith('Response')) return false;
    const request = this.inFlight.get(correlationId);
    if (request === undefined || request.broker !== from || `${request.api}Response` !== api) return this.abandoned.has(correlationId);
    this.inFlight.delete(correlationId);
    request.complete({ ok: true, response: message as KafkaResponse });
    return true;
  }

  /** A connection broke: every request on it fails with NETWORK_EXCEPTION. */
  handleDisconnect(peer: NodeId): void {
    this.failRequestsTo(peer, 'NETWORK_EXCEPTION');
  }

  /** Closes the connection of every request past its deadline, failing all requests on it. */
  checkTimeouts(nowMs: number): void {
    const brokers: NodeId[] = [];
    for (const request of this.inFlight.values()) if (request.deadlineMs <= nowMs && !brokers.includes(request.broker)) brokers.push(request.broker);
    for (const broker of brokers) {
      this.host.disconnect(broker);
      this.failRequestsTo(broker, 'REQUEST_TIMED_OUT');
    }
  }

  /** Closes our connection to a broker (Kafka's disconnectAsync of a coordinator found invalid). */
  disconnect(broker: NodeId): void {
    this.host.disconnect(broker);
    this.failRequestsTo(broker, 'NETWORK_EXCEPTION');
  }

  hasInFlight(broker: NodeId, api?: RequestApi): boolean {
    for (const request of this.inFlight.values()) if (request.broker === broker && (api === undefined || request.api === api)) return true;
    return false;
  }

  /** The earliest request deadline, or +Infinity. */
  nextDeadlineMs(): number {
    let next = Number.POSITIVE_INFINITY;
    for (const request of this.inFlight.values()) next = Math.min(next, request.deadlineMs);
    return next;
  }

  private failRequestsTo(broker: NodeId, error: RequestFailure): void {
    const failed = [...this.inFlight.entries()].filter(([, request]) => request.broker === broker);
    for (const [correlationId] of failed) {
      this.inFlight.delete(correlationId);
      this.abandoned.add(correlationId);
    }
    for (const [, request] of failed) request.complete({ ok: false, error });
  }
}
