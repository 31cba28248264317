/**
 * The follower's fetchers, after Kafka's ReplicaFetcherManager and ReplicaFetcherThread: one fetch
 * session per leader broker, carrying every partition this broker follows from that leader. At most
 * one Fetch is in flight per leader; the leader may hold it up to replica.fetch.wait.max.ms for new
 * data, so a quiet partition costs one round trip per wait, not a busy loop.
 *
 * A fetch that goes unanswered for replica.socket.timeout.ms, or whose connection breaks, is
 * abandoned: the connection is closed and the fetch is retried after replica.fetch.backoff.ms, as
 * is a fetch that came back with an error. A response is applied only to partitions that still
 * follow the same leader in the same epoch as when the fetch was sent.
 *
 * Timers: `broker.fetcher.backoff/<leader>` (the pause after a failure), `broker.fetcher.timeout/<leader>`
 * (the fetch in flight to that leader).
 *
 * Left out: per-partition backoff and fetch sessions (KIP-227): every fetch names every partition.
 */
import type { NodeId } from '../host.js';
import type { FetchRequest, FetchResponse } from '../protocol/apis.js';
import type { BrokerConfig } from './config.js';
import type { Partition } from './partition.js';
import type { TimerHandle, Timers } from './timers.js';

export interface FetcherHost {
  readonly localBrokerId: NodeId;
  brokerEpoch(): number;
  nowMs(): number;
  nextCorrelationId(): number;
  send(to: NodeId, request: FetchRequest): void;
  disconnect(peer: NodeId): void;
  readonly timers: Timers;
  /** Called after a partition's log changed, so the broker can wake delayed fetches and produces. */
  onFollowerProgress(partition: Partition): void;
}

interface InFlight {
  readonly correlationId: number;
  readonly timeoutTimer: TimerHandle;
  /** Partition key → the leader epoch it was fetched under. */
  readonly epochs: ReadonlyMap<string, number>;
}

interface Session {
  readonly leader: NodeId;
  readonly partitions: Map<string, Partition>;
  inFlight: InFlight | null;
  backoffTimer: TimerHandle | null;
}

export class ReplicaFetcherManager {
  private readonly sessions = new Map<NodeId, Session>();

  constructor(
    private readonly host: FetcherHost,
    private config: BrokerConfig,
  ) {}

  updateConfig(config: BrokerConfig): void {
    this.config = config;
  }

  /** Starts (or moves) fetching a partition from its leader. */
  addPartition(key: string, partition: Partition, leader: NodeId): void {
    this.removePartition(key);
    let session = this.sessions.get(leader);
    if (session === undefined) {
      session = { leader, partitions: new Map(), inFlight: null, backoffTimer: null };
      this.sessions.set(leader, session);
    }
    session.partitions.set(key, partition);
    this.maybeFetch(session);
  }

  removePartition(key: string): void {
    for (const session of this.sessions.values()) session.partitions.delete(key);
  }

  handleDisconnect(peer: NodeId): void {
    const session = this.sessions.get(peer);
    if (session === undefined || session.inFlight === null) return;
    this.host.timers.cancel(session.inFlight.timeoutTimer);
    session.inFlight = null;
    this.backoff(session);
  }

  /** A FetchResponse from a leader; returns false if it answers no fetch of ours. */
  handleResponse(from: NodeId, response: FetchResponse): boolean {
    const session = this.sessions.get(from);
    const inFlight = session?.inFlight;
    if (session === undefined || inFlight === undefined || inFlight === null || inFlight.correlationId !== response.correlationId) return false;
    this.host.timers.cancel(inFlight.timeoutTimer);
    session.inFlight = null;
    if (response.errorCode !== 'NONE') {
      this.backoff(session);
      return true;
    }
    const nowMs = this.host.nowMs();
    let failed = false;
    for (const topic of response.responses) {
      for (const data of topic.partitions) {
        const key = `${topic.topic}-${data.partitionIndex}`;
        const partition = session.partitions.get(key);
        // The partition moved on (new leader or epoch) while the fetch was in flight: drop it.
        if (partition === undefined || partition.leaderEpoch !== inFlight.epochs.get(key) || partition.role !== 'follower') continue;
        const outcome = partition.onFollowerFetchResponse(data, nowMs);
        if (typeof outcome === 'object') failed = true;
        else this.host.onFollowerProgress(partition);
      }
    }
    if (failed) this.backoff(session);
    else this.maybeFetch(session);
    return true;
  }

  private onBackoffExpired(session: Session): void {
    session.backoffTimer = null;
    this.maybeFetch(session);
  }

  /** No answer in replica.socket.timeout.ms: give up on this connection and try again later. */
  private onFetchTimeout(session: Session): void {
    if (session.inFlight === null) return;
    session.inFlight = null;
    this.host.disconnect(session.leader);
    this.backoff(session);
  }

  private backoff(session: Session): void {
    if (session.backoffTimer !== null) return;
    session.backoffTimer = this.host.timers.schedule(`broker.fetcher.backoff/${session.leader}`, this.config.replicaFetchBackoffMs, () => this.onBackoffExpired(session));
  }

  private maybeFetch(session: Session): void {
    if (session.inFlight !== null || session.backoffTimer !== null || session.partitions.size === 0) return;
    const byTopic = new Map<string, Array<ReturnType<Partition['followerFetchRequest']>>>();
    const epochs = new Map<string, number>();
    const keys = [...session.partitions.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const key of keys) {
      const partition = session.partitions.get(key)!;
      if (partition.role !== 'follower') continue;
      const list = byTopic.get(partition.topic) ?? [];
      list.push(partition.followerFetchRequest());
      byTopic.set(partition.topic, list);
      epochs.set(key, partition.leaderEpoch);
    }
    if (epochs.size === 0) return;
    const correlationId = this.host.nextCorrelationId();
    const timeoutTimer = this.host.timers.schedule(`broker.fetcher.timeout/${session.leader}`, this.config.replicaSocketTimeoutMs, () => this.onFetchTimeout(session));
    session.inFlight = { correlationId, timeoutTimer, epochs };
    this.host.send(session.leader, {
      api: 'Fetch',
      correlationId,
      replicaId: this.host.localBrokerId,
      // Before KIP-903 (the legacy switch) a Fetch carried no broker epoch.
      replicaEpoch: this.config.legacy.fetchWithoutBrokerEpoch ? -1 : this.host.brokerEpoch(),
      maxWaitMs: this.config.replicaFetchWaitMaxMs,
      minBytes: 1,
      maxBytes: this.config.replicaFetchMaxBytes,
      isolationLevel: 0,
      topics: [...byTopic.entries()].map(([topic, partitions]) => ({ topic, partitions })),
    });
  }
}
