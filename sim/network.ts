/**
 * The simulated network, and every network fault.
 *
 * Fault model: Kafka runs over TCP, so the unit is a connection — one per (from, to, traffic
 * class), since Kafka separates client, replication and controller traffic by listener.
 * - A connection delivers in order: a message never overtakes an earlier one on its connection.
 *   Latency is `latencyMs` plus uniform jitter in [0, jitterMs], plus any latency spike in force.
 * - A cut (a partition: full, one-way, or of one traffic class) drops every message that crosses
 *   it, whether sent during the cut or in flight when it began. Like TCP, a connection that lost a
 *   message is broken: nothing more is delivered on it (no gaps), until it is reset. When the cut
 *   heals, broken connections are reset and both ends are told (`onDisconnect`), as a client whose
 *   request timed out would reconnect.
 * - A reset (a fault, a node's own `disconnect`, or a process crash) drops what is in flight and
 *   tells the ends that are alive.
 * - A clog (of a link or of a whole node) delays, never drops: messages wait until the clog ends,
 *   still in order.
 * Every message's size is counted per traffic class. Bandwidth limits are left out.
 */
import type { NodeId, TrafficClass } from '../src/host.js';
import type { SeededRandom } from './random.js';

export interface NetworkConfig {
  latencyMs: number;
  jitterMs: number;
}

export const DEFAULT_NETWORK_CONFIG: NetworkConfig = { latencyMs: 1, jitterMs: 2 };

export interface Delivery {
  readonly kind: 'deliver';
  readonly from: NodeId;
  readonly to: NodeId;
  readonly trafficClass: TrafficClass;
  readonly generation: number;
  readonly message: unknown;
  readonly sizeBytes: number;
}

export interface DisconnectNotice {
  readonly kind: 'disconnect';
  readonly node: NodeId;
  readonly peer: NodeId;
  readonly trafficClass: TrafficClass;
}

/** What the network needs from the world: the clock and the event queue. */
export interface NetworkHost {
  nowMs(): number;
  schedule(atMs: number, event: Delivery | DisconnectNotice): void;
}

interface Connection {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly trafficClass: TrafficClass;
  generation: number;
  /** Set when a message was dropped by a cut; nothing more is delivered until a reset. */
  broken: boolean;
  lastDeliverAtMs: number;
}

export interface Cut {
  readonly faultId: number;
  readonly from: ReadonlySet<NodeId>;
  readonly to: ReadonlySet<NodeId>;
  /** Undefined: every class. */
  readonly trafficClass: TrafficClass | undefined;
}

interface Clog {
  readonly faultId: number;
  /** One node: everything to or from it. Two nodes: the link between them, both ways. */
  readonly nodes: readonly NodeId[];
  readonly untilMs: number;
}

interface LatencySpike {
  readonly faultId: number;
  /** Undefined: every link. */
  readonly nodes: ReadonlySet<NodeId> | undefined;
  readonly extraMs: number;
}

export interface NetworkStats {
  messagesSent: number;
  messagesDelivered: number;
  messagesDropped: number;
  bytesSent: Record<TrafficClass, number>;
}

export class SimNetwork {
  private readonly connections = new Map<string, Connection>();
  private cuts: Cut[] = [];
  private clogs: Clog[] = [];
  private spikes: LatencySpike[] = [];
  readonly stats: NetworkStats = {
    messagesSent: 0,
    messagesDelivered: 0,
    messagesDropped: 0,
    bytesSent: { client: 0, replication: 0, controller: 0 },
  };

  constructor(
    private readonly config: NetworkConfig,
    private readonly random: SeededRandom,
    private readonly host: NetworkHost,
  ) {}

  send(from: NodeId, to: NodeId, message: unknown, trafficClass: TrafficClass, sizeBytes: number): void {
    this.stats.messagesSent++;
    this.stats.bytesSent[trafficClass] += sizeBytes;
    const connection = this.connection(from, to, trafficClass);
    if (connection.broken) {
      this.stats.messagesDropped++;
      return;
    }
    if (this.isCut(from, to, trafficClass)) {
      connection.broken = true;
      this.stats.messagesDropped++;
      return;
    }
    const nowMs = this.host.nowMs();
    const latencyMs = this.config.latencyMs + this.random.nextInt(0, this.config.jitterMs + 1) + this.extraLatencyMs(from, to);
    let deliverAtMs = Math.max(nowMs + latencyMs, connection.lastDeliverAtMs);
    deliverAtMs = Math.max(deliverAtMs, this.clogUntilMs(from, to));
    connection.lastDeliverAtMs = deliverAtMs;
    this.host.schedule(deliverAtMs, {
      kind: 'deliver',
      from,
      to,
      trafficClass,
      generation: connection.generation,
      message,
      sizeBytes,
    });
  }

  /**
   * Decides, when a delivery is due, whether it arrives now. Returns 'deliver', 'drop', or
   * 'deferred' (a clog began while it was in flight; it was rescheduled, still in order).
   */
  arrive(delivery: Delivery): 'deliver' | 'drop' | 'deferred' {
    const connection = this.connection(delivery.from, delivery.to, delivery.trafficClass);
    if (connection.generation !== delivery.generation || connection.broken) {
      this.stats.messagesDropped++;
      return 'drop';
    }
    if (this.isCut(delivery.from, delivery.to, delivery.trafficClass)) {
      connection.broken = true;
      this.stats.messagesDropped++;
      return 'drop';
    }
    const clogUntilMs = this.clogUntilMs(delivery.from, delivery.to);
    if (clogUntilMs > this.host.nowMs()) {
      const deliverAtMs = Math.max(clogUntilMs, connection.lastDeliverAtMs);
      connection.lastDeliverAtMs = deliverAtMs;
      this.host.schedule(deliverAtMs, delivery);
      return 'deferred';
    }
    this.stats.messagesDelivered++;
    return 'deliver';
  }

  /** Would a message from `from` to `to` of this class be dropped by a cut right now? */
  isCut(from: NodeId, to: NodeId, trafficClass: TrafficClass): boolean {
    for (const cut of this.cuts) {
      if (cut.from.has(from) && cut.to.has(to) && (cut.trafficClass === undefined || cut.trafficClass === trafficClass)) {
        return true;
      }
    }
    return false;
  }

  addCut(cut: Cut): void {
    this.cuts.push(cut);
  }

  /** Removes a cut and resets every broken connection that no cut blocks any more. */
  removeCut(faultId: number, isAlive: (node: NodeId) => boolean): void {
    this.cuts = this.cuts.filter((cut) => cut.faultId !== faultId);
    this.resetHealedConnections(isAlive);
  }

  removeAllCuts(isAlive: (node: NodeId) => boolean): void {
    this.cuts = [];
    this.resetHealedConnections(isAlive);
  }

  addClog(faultId: number, nodes: readonly NodeId[], untilMs: number): void {
    if (nodes.length !== 1 && nodes.length !== 2) throw new Error(`a clog names one node or one link, got ${nodes.length} nodes`);
    this.clogs.push({ faultId, nodes, untilMs });
  }

  removeClog(faultId: number): void {
    this.clogs = this.clogs.filter((clog) => clog.faultId !== faultId);
  }

  addLatencySpike(faultId: number, nodes: readonly NodeId[] | undefined, extraMs: number): void {
    this.spikes.push({ faultId, nodes: nodes === undefined ? undefined : new Set(nodes), extraMs });
  }

  removeLatencySpike(faultId: number): void {
    this.spikes = this.spikes.filter((spike) => spike.faultId !== faultId);
  }

  /** Heals everything but cuts' connection resets, which `removeAllCuts` does. */
  clearDelays(): void {
    this.clogs = [];
    this.spikes = [];
  }

  /**
   * Resets the connections between two nodes (every class, both directions): what is in flight is
   * dropped, and each end in `notify` that is alive learns of it after one base latency.
   */
  reset(a: NodeId, b: NodeId, notify: readonly NodeId[]): void {
    const nowMs = this.host.nowMs();
    for (const connection of this.connections.values()) {
      const matches = (connection.from === a && connection.to === b) || (connection.from === b && connection.to === a);
      if (!matches) continue;
      this.resetConnection(connection);
      // Each connection is told to its sending end; the receiving end hears through its own
      // direction's connection, so a notice per (node, peer, class) goes out once.
      if (notify.includes(connection.from)) {
        this.host.schedule(nowMs + this.config.latencyMs, {
          kind: 'disconnect',
          node: connection.from,
          peer: connection.to,
          trafficClass: connection.trafficClass,
        });
      }
    }
  }

  /** Resets every connection to or from a node (its process died or restarted). */
  resetNode(node: NodeId, notify: readonly NodeId[]): void {
    const peers = new Set<NodeId>();
    for (const connection of this.connections.values()) {
      if (connection.from === node) peers.add(connection.to);
      if (connection.to === node) peers.add(connection.from);
    }
    for (const peer of [...peers].sort(compareIds)) this.reset(node, peer, notify);
  }

  private resetHealedConnections(isAlive: (node: NodeId) => boolean): void {
    const broken = [...this.connections.values()].filter(
      (connection) => connection.broken && !this.isCut(connection.from, connection.to, connection.trafficClass),
    );
    const pairs = new Map<string, [NodeId, NodeId]>();
    for (const connection of broken) {
      const [a, b] = [connection.from, connection.to].sort(compareIds) as [NodeId, NodeId];
      pairs.set(`${a}|${b}`, [a, b]);
    }
    for (const key of [...pairs.keys()].sort(compareIds)) {
      const [a, b] = pairs.get(key)!;
      this.reset(a, b, [a, b].filter(isAlive));
    }
  }

  private resetConnection(connection: Connection): void {
    connection.generation++;
    connection.broken = false;
  }

  private connection(from: NodeId, to: NodeId, trafficClass: TrafficClass): Connection {
    const key = `${from}>${to}>${trafficClass}`;
    let connection = this.connections.get(key);
    if (connection === undefined) {
      connection = { from, to, trafficClass, generation: 0, broken: false, lastDeliverAtMs: 0 };
      this.connections.set(key, connection);
    }
    return connection;
  }

  private extraLatencyMs(from: NodeId, to: NodeId): number {
    let extra = 0;
    for (const spike of this.spikes) {
      if (spike.nodes === undefined || spike.nodes.has(from) || spike.nodes.has(to)) extra += spike.extraMs;
    }
    return extra;
  }

  private clogUntilMs(from: NodeId, to: NodeId): number {
    let until = 0;
    for (const clog of this.clogs) {
      const hit =
        clog.nodes.length === 1
          ? clog.nodes[0] === from || clog.nodes[0] === to
          : (clog.nodes[0] === from && clog.nodes[1] === to) || (clog.nodes[0] === to && clog.nodes[1] === from);
      if (hit && clog.untilMs > until) until = clog.untilMs;
    }
    return until;
  }
}

export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
