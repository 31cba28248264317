/**
 * The host interface: everything a protocol node may ask of the world it runs in.
 *
 * Protocol code in `src/` is a set of state machines. A node never blocks and never reads the world
 * directly: its host hands it one input at a time (start, a message from a peer, a timer that
 * fired, a disk operation that completed, a connection that broke), and the node acts only through
 * the methods below. The simulated world in `sim/` implements this interface; nothing in `src/`
 * knows whether it runs in the simulator or anywhere else.
 *
 * The assumptions are deliberately weak, so that protocol code stays correct under every fault the
 * world can inject:
 * - `send` is fire-and-forget. Messages between two nodes on one traffic class are delivered in the
 *   order they were sent, or not at all; a broken connection is reported through `onDisconnect`,
 *   but a partition may also drop messages silently, so every request needs its own timeout.
 * - Disk writes (`append`, `truncate`, `rename`, `delete`) return at once and land in the page
 *   cache. They are durable only after an `fsync` of that file has completed (the completion is an
 *   input), or after the world's background flush, which a node must never count on.
 *   `rename` and `delete` become durable with the next completed fsync of any file on the disk.
 * - Reads see the page cache, i.e. everything written so far by this or an earlier incarnation,
 *   unless the machine lost power in between.
 * - `nowMs()` is this node's wall clock: it may be skewed against other nodes' clocks and may jump.
 *   Timers measure durations and are not affected by skew; a paused node's timers fire late.
 * - `random` is this node's own seeded stream; a restarted node gets a fresh stream.
 */

/** A node's name, e.g. `c1` (controller), `b2` (broker), `p1` (producer). */
export type NodeId = string;

/**
 * Kafka separates traffic by listener; the world can partition one class alone (the 2013 Jepsen
 * data loss needed a partition of client traffic only).
 */
export type TrafficClass = 'client' | 'replication' | 'controller';
export const TRAFFIC_CLASSES: readonly TrafficClass[] = ['client', 'replication', 'controller'];

export type TimerId = number;
export type DiskOpId = number;

/** A node's own deterministic random stream. */
export interface Random {
  /** A float in [0, 1). */
  nextFloat(): number;
  /** An integer in [minInclusive, maxExclusive). */
  nextInt(minInclusive: number, maxExclusive: number): number;
  /** True with probability `probability`. */
  chance(probability: number): boolean;
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T;
}

export type DiskErrorCode =
  /** The file does not exist. */
  | 'ENOENT'
  /** The disk is full: the write was not applied at all. */
  | 'ENOSPC'
  /** An argument was out of range (e.g. a read past the end, a truncate that would grow). */
  | 'EINVAL';

export interface DiskError {
  readonly code: DiskErrorCode;
  readonly message: string;
}

export type DiskResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: DiskError };

/** A node's own disk: a flat directory of files, each a sequence of bytes. */
export interface Disk {
  /** The names of all files, sorted. */
  list(): string[];
  exists(name: string): boolean;
  /** The size in bytes, or ENOENT. */
  size(name: string): DiskResult<number>;
  /**
   * Reads `length` bytes from `offset` (default: the whole file from `offset`). The bytes may be
   * the disk's own (no copy is made): read them, never write to them.
   */
  read(name: string, offset?: number, length?: number): DiskResult<Uint8Array>;
  /** Appends to the file, creating it when missing. ENOSPC leaves the file unchanged. */
  append(name: string, data: Uint8Array): DiskResult<void>;
  /** Shrinks the file to `size` bytes. */
  truncate(name: string, size: number): DiskResult<void>;
  /** Atomically replaces `to` with `from` (the write-temp-then-rename pattern of checkpoint files). */
  rename(from: string, to: string): DiskResult<void>;
  delete(name: string): DiskResult<void>;
  /**
   * Starts an fsync of one file. The completion arrives later as `onDiskComplete`. Once it has
   * arrived, every write to that file made before this call is durable, and so is every rename and
   * delete made on this disk before this call. Fsyncs of one disk complete in the order issued.
   */
  fsync(name: string): DiskOpId;
}

export interface DiskCompletion {
  readonly opId: DiskOpId;
  readonly kind: 'fsync';
  readonly file: string;
}

/**
 * A trace event: a plain object with a `type` such as `raft.leader` or `partition.hw`. Trace events
 * feed the run's trace hash and the checker; they are how the checker sees inside a node, so
 * protocol code carries no test hooks. Values must be JSON-serializable.
 */
export interface TraceEvent {
  readonly type: string;
  readonly [field: string]: unknown;
}

export interface Host<M> {
  readonly nodeId: NodeId;
  /** Counts this node's starts: 1 for the first, then one more after each crash. */
  readonly incarnation: number;
  /** This node's wall clock in milliseconds (integer). Skewed per node; may jump. */
  nowMs(): number;
  /** Sends a message to a peer over the connection of the given traffic class. */
  send(to: NodeId, message: M, trafficClass: TrafficClass): void;
  /**
   * Closes this node's connections to a peer (all classes), dropping what is in flight; the peer
   * learns of it through `onDisconnect`. Kafka's clients do this when a request times out.
   */
  disconnect(peer: NodeId): void;
  /** Fires `onTimer(tag)` after `delayMs` (an integer ≥ 0) of this node's running time. */
  setTimer(delayMs: number, tag: string): TimerId;
  /** Cancels a timer; cancelling one that already fired or was cancelled does nothing. */
  cancelTimer(id: TimerId): void;
  readonly disk: Disk;
  readonly random: Random;
  /** Emits a trace event, stamped by the world with the time and this node's id. */
  trace(event: TraceEvent): void;
  /**
   * Ends this node's process at once, as Kafka's `Exit.halt` does on a fatal error (a failed log
   * directory, for example). The node gets no more inputs; its disk keeps what it kept; whoever
   * operates the cluster (the world's heal) restarts it. Nothing after the call takes effect.
   */
  halt(reason: string): void;
}

/** A protocol participant: a controller, broker, producer, consumer, or a test protocol's node. */
export interface ProtocolNode<M> {
  /** The first input of every incarnation; recovery from disk happens here. */
  onStart(): void;
  onMessage(from: NodeId, message: M, trafficClass: TrafficClass): void;
  onTimer(tag: string, id: TimerId): void;
  onDiskComplete(completion: DiskCompletion): void;
  /** A connection to `peer` broke (a reset, the peer's process died, or either side closed it). */
  onDisconnect(peer: NodeId, trafficClass: TrafficClass): void;
}

export type NodeFactory<M> = (host: Host<M>) => ProtocolNode<M>;
