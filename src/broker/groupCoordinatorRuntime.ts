/**
 * CoordinatorRuntime: runs one coordinator shard per partition of a coordinator's internal topic
 * that this broker leads, after Kafka's `coordinator-common` CoordinatorRuntime. The group
 * coordinator runs it over `__consumer_offsets`, the transaction coordinator over
 * `__transaction_state`; each gives its record serde and the name its traces and timers carry
 * (`CoordinatorRecords`).
 *
 * - Loading (`scheduleLoadOperation`, on election): the shard is built empty and every record of
 *   the partition's log is replayed into it, from the log start to the log end; until that is done
 *   the partition answers COORDINATOR_LOAD_IN_PROGRESS. Reading the log takes simulated time
 *   (LOAD_BYTES_PER_MS, a sequential disk read), so the window is real. Records above the high
 *   watermark are replayed too: a leader never loses its own tail, and any answer that depends on
 *   them waits until they are committed.
 * - Unloading (`scheduleUnloadOperation`, on resignation): the shard is dropped, its timers
 *   cancelled and every answer still waiting fails with NOT_COORDINATOR; the partition then answers
 *   NOT_COORDINATOR.
 * - Writes (`scheduleWriteOperation`): an operation runs against the shard and returns records and
 *   a response. The records are appended to the partition (the replica manager's internal append:
 *   acks=-1, offsets.commit.timeout.ms) and replayed into the shard once the leader holds them; the
 *   response goes out only when they are committed (the high watermark passed them). An operation
 *   without records still waits for every earlier write to commit, since what it answers may rest
 *   on them (Kafka's deferred event queue). A write that fails fails its answer with Kafka's mapping
 *   of append errors (appendGroupMetadataErrorToResponseError).
 * - Transactional writes (`scheduleTransactionalWriteOperation`, TxnOffsetCommit): the records
 *   are appended as the producer's transactional batch and replayed with its producer id; the
 *   transaction's marker, written to the partition by WriteTxnMarkers, is replayed into the shard
 *   as it lands (`replayEndTransactionMarker`), and on load in log order among the records.
 * - Reads (`scheduleReadOperation`): run at once against committed state, and answered at once.
 * - Timers (CoordinatorTimer): keyed, one per key, cancelled with the shard; an expiry runs as a
 *   write operation.
 *
 * Epochs: a load carries the partition leader epoch as the coordinator epoch; an election at an
 * older or equal epoch, and a resignation at an older epoch, are ignored (Kafka's checks).
 *
 * Differences from Kafka, all consequences of one thread and a synchronous log: records are
 * replayed after the leader's append succeeded, not before with a snapshot to revert to, so a
 * failed append has nothing to undo; an operation without records that waits on an earlier write
 * fails with that write's error instead of its own timer's (both end at the same moment or
 * later). Reads of committed state are left to the shard (OffsetFetch reads below the high
 * watermark).
 */
import type { Random, TraceEvent } from '../host.js';
import { readEndTransactionMarker } from '../log/controlRecord.js';
import { NO_PRODUCER_ID, type SimpleRecord } from '../log/recordBatch.js';
import type { KafkaErrorCode } from '../protocol/errors.js';
import { type CoordinatorRecord, deserializeRecord, serializeRecord } from './groupCoordinatorRecords.js';
import type { CoordinatorTransactionalWrite, ReplayedTxnMarker, ReplicaManager } from './replicaManager.js';
import type { TimerHandle, Timers } from './timers.js';

/** A sequential read of the log when loading: 100 MB/s, so a small partition loads within a millisecond or two. */
export const LOAD_BYTES_PER_MS = 100_000;

/** How long a failed timer write waits before it runs again (CoordinatorTimer's default retryBackoff). */
export const TIMER_RETRY_BACKOFF_MS = 500;

/**
 * How one coordinator's records are stored, and the name its traces (`<name>.loaded`, ...) and
 * timers (`<name>.coordinator.load/<partition>`, `<name>.<key>`) carry.
 */
export interface CoordinatorRecords<Rec> {
  readonly name: string;
  serialize(record: Rec, timestampMs: number): SimpleRecord;
  /** Decodes what serialize wrote; throws on anything else (only the coordinator writes its topic). */
  deserialize(record: SimpleRecord): Rec;
}

/** The group coordinator's records of `__consumer_offsets`. */
export const GROUP_COORDINATOR_RECORDS: CoordinatorRecords<CoordinatorRecord> = { name: 'group', serialize: serializeRecord, deserialize: deserializeRecord };

/** What an operation asks the runtime to do: append these records, then answer with this response. */
export interface CoordinatorResult<R, Rec = CoordinatorRecord> {
  readonly records: readonly Rec[];
  readonly response: R;
  /**
   * Whether the shard must replay the records once the leader holds them. False when the
   * operation already changed the shard itself (Kafka's classic groups live in memory and their
   * records only persist them).
   */
  readonly replayRecords: boolean;
  /** Told once the records are committed (null) or failed (the mapped error), before the response. */
  readonly appendCallback?: (error: KafkaErrorCode | null) => void;
}

/** A result without records. */
export function resultOf<R, Rec = CoordinatorRecord>(response: R): CoordinatorResult<R, Rec> {
  return { records: [], response, replayRecords: true };
}

/** The shard the runtime drives: Kafka's CoordinatorShard. */
export interface CoordinatorShard<Rec = CoordinatorRecord> {
  /** Applies one record, found at `offset` of the partition's log; `producerId` is the transaction's that wrote it, or -1. */
  replay(record: Rec, offset: number, producerId?: number): void;
  /** Applies a transaction marker found at `offset` (Kafka's replayEndTransactionMarker); a shard without transactional records has none. */
  replayEndTransactionMarker?(marker: ReplayedTxnMarker, offset: number): void;
  /** Loading finished: schedule what the loaded state needs (session timers, ...). */
  onLoaded(): void;
  /** The shard is being dropped: answer whatever it holds open, with NOT_COORDINATOR. */
  onUnloaded(): void;
}

/** What a shard may ask of the runtime while it runs an operation. */
export interface ShardContext<Rec = CoordinatorRecord> {
  readonly partitionIndex: number;
  readonly timer: CoordinatorTimer<Rec>;
  nowMs(): number;
  trace(event: TraceEvent): void;
  /** The coordinator epoch this shard was loaded at (it may be bumped while loaded). */
  coordinatorEpoch(): number;
  /** The partition's high watermark: records below it are committed. */
  highWatermark(): number;
  /** A fresh random id, as Kafka's Uuid.randomUuid().toString() (22 characters of base64url). */
  randomUuid(): string;
  /** The cluster's topics as the broker's metadata image has them now: name → id and partition count. */
  topics(): ReadonlyMap<string, TopicMetadata>;
}

export interface TopicMetadata {
  readonly topicId: string;
  readonly numPartitions: number;
}

/** What the runtime needs from the broker. */
export interface RuntimeHost {
  readonly timers: Timers;
  readonly random: Random;
  nowMs(): number;
  trace(event: TraceEvent): void;
  /**
   * The replica manager's internal append (acks=-1): the leader's own append is synchronous;
   * `onCommitted` hears later whether the high watermark reached the records, or the error.
   */
  appendRecords(
    partitionIndex: number,
    records: readonly SimpleRecord[],
    timeoutMs: number,
    onCommitted: (error: KafkaErrorCode) => void,
    transactional?: CoordinatorTransactionalWrite | null,
  ): { error: KafkaErrorCode } | { lastOffset: number };
  /**
   * Every record of the partition's log with its offset (and the producer of a transactional one),
   * every transaction marker, and the log's size; null when this broker holds no log for it, or it
   * could not be read whole (the broker is then halting).
   */
  readLog(partitionIndex: number): {
    readonly records: ReadonlyArray<{ readonly offset: number; readonly record: SimpleRecord; readonly producerId?: number }>;
    readonly markers?: ReadonlyArray<{ readonly offset: number; readonly marker: ReplayedTxnMarker }>;
    readonly sizeInBytes: number;
  } | null;
  highWatermark(partitionIndex: number): number;
  logEndOffset(partitionIndex: number): number;
  topics(): ReadonlyMap<string, TopicMetadata>;
}

/**
 * The runtime's host over one internal topic of this broker: appends through the replica
 * manager's coordinator path, loads by reading the partition's whole log (control batches, the
 * transaction markers, are not coordinator records and are skipped).
 */
export function runtimeHostForTopic(
  topic: string,
  host: Pick<RuntimeHost, 'timers' | 'random' | 'nowMs' | 'trace' | 'topics'>,
  replicaManager: ReplicaManager,
): RuntimeHost {
  const partition = (index: number) => replicaManager.getPartition(topic, index);
  return {
    ...host,
    appendRecords: (index, records, timeoutMs, onCommitted, transactional) => replicaManager.appendRecordsAsCoordinator(topic, index, records, timeoutMs, onCommitted, transactional ?? null),
    readLog: (index) => {
      const batches = partition(index)?.readAllBatchesForLoad() ?? null;
      if (batches === null) return null;
      const records: Array<{ offset: number; record: SimpleRecord; producerId: number }> = [];
      const markers: Array<{ offset: number; marker: ReplayedTxnMarker }> = [];
      for (const batch of batches) {
        if (!batch.isControl) {
          const producerId = batch.isTransactional ? batch.producerId : NO_PRODUCER_ID;
          batch.records.forEach((record, i) => records.push({ offset: batch.baseOffset + i, record, producerId }));
          continue;
        }
        const marker = batch.records[0] === undefined ? null : readEndTransactionMarker(batch.records[0]);
        if (marker !== null) markers.push({ offset: batch.baseOffset, marker: { producerId: batch.producerId, producerEpoch: batch.producerEpoch, committed: marker.result === 'COMMIT' } });
      }
      return { records, markers, sizeInBytes: partition(index)!.log.sizeInBytes };
    },
    highWatermark: (index) => partition(index)?.highWatermark ?? 0,
    logEndOffset: (index) => partition(index)?.log.logEndOffset ?? 0,
  };
}

export type WriteOutcome<R> = { readonly response: R } | { readonly error: KafkaErrorCode };

/**
 * Kafka's CoordinatorTimer: at most one timer per key; an expiry runs as a write operation. A timer
 * scheduled with `retry` whose write fails while its coordinator is still active runs again after
 * TIMER_RETRY_BACKOFF_MS (EventBasedCoordinatorTimer): a session timeout whose fencing write found
 * too few in-sync replicas must still fence the member once the partition can take writes again.
 */
export class CoordinatorTimer<Rec = CoordinatorRecord> {
  private readonly handles = new Map<string, TimerHandle>();

  constructor(
    private readonly timers: Timers,
    private readonly run: (operation: () => CoordinatorResult<unknown, Rec>, onWriteFailed: () => void) => void,
    private readonly name: string,
  ) {}

  /** Schedules `operation` after `delayMs`, replacing any timer of the same key. */
  schedule(key: string, delayMs: number, operation: () => CoordinatorResult<unknown, Rec>, retry = false): void {
    this.cancel(key);
    const handle = this.timers.schedule(`${this.name}.${key}`, delayMs, () => {
      this.handles.delete(key);
      this.run(operation, () => {
        if (retry) this.schedule(key, TIMER_RETRY_BACKOFF_MS, operation, retry);
      });
    });
    this.handles.set(key, handle);
  }

  cancel(key: string): void {
    const handle = this.handles.get(key);
    if (handle === undefined) return;
    this.timers.cancel(handle);
    this.handles.delete(key);
  }

  isScheduled(key: string): boolean {
    return this.handles.has(key);
  }

  cancelAll(): void {
    for (const handle of this.handles.values()) this.timers.cancel(handle);
    this.handles.clear();
  }
}

type ContextState = 'loading' | 'active' | 'closed';

/** An answer waiting until the log is committed up to `offset`. */
interface DeferredEvent {
  readonly offset: number;
  complete(error: KafkaErrorCode | null): void;
}

class CoordinatorContext<S extends CoordinatorShard<Rec>, Rec> {
  state: ContextState = 'loading';
  /** The log end offset after this context's last write (or the load). */
  lastWrittenOffset = 0;
  lastCommittedOffset = 0;
  /** In offset order. */
  readonly deferred: DeferredEvent[] = [];
  shard: S | null = null;
  loadTimer: TimerHandle | null = null;

  constructor(
    readonly partitionIndex: number,
    public epoch: number,
    readonly timer: CoordinatorTimer<Rec>,
  ) {}
}

export class CoordinatorRuntime<S extends CoordinatorShard<Rec>, Rec = CoordinatorRecord> {
  private readonly contexts = new Map<number, CoordinatorContext<S, Rec>>();

  constructor(
    private readonly host: RuntimeHost,
    private readonly timeoutMs: number,
    private readonly buildShard: (context: ShardContext<Rec>) => S,
    private readonly records: CoordinatorRecords<Rec>,
  ) {}

  /** null: not hosted here; otherwise loading or active. */
  partitionState(partitionIndex: number): 'loading' | 'active' | null {
    const context = this.contexts.get(partitionIndex);
    return context === undefined || context.state === 'closed' ? null : context.state;
  }

  /** The coordinator epoch of an active partition, or null. */
  coordinatorEpoch(partitionIndex: number): number | null {
    const context = this.contexts.get(partitionIndex);
    return context?.state === 'active' ? context.epoch : null;
  }

  /** The shard of an active partition (for tests and read-only inspection). */
  shard(partitionIndex: number): S | null {
    const context = this.contexts.get(partitionIndex);
    return context?.state === 'active' ? context.shard : null;
  }

  // ---- Loading and unloading ----

  scheduleLoadOperation(partitionIndex: number, partitionEpoch: number): void {
    const existing = this.contexts.get(partitionIndex);
    if (existing !== undefined && existing.state !== 'closed') {
      if (partitionEpoch <= existing.epoch) return;
      // Re-elected at a newer epoch without resigning in between: the state in memory is still
      // the log's, so only the epoch moves (Kafka keeps a loaded coordinator likewise).
      existing.epoch = partitionEpoch;
      this.host.trace({ type: `${this.records.name}.coordinator-epoch`, partition: partitionIndex, coordinatorEpoch: partitionEpoch });
      return;
    }
    if (existing !== undefined && partitionEpoch <= existing.epoch) return;
    const timer = new CoordinatorTimer<Rec>(this.host.timers, (operation, onWriteFailed) => this.runTimerOperation(partitionIndex, operation, onWriteFailed), this.records.name);
    const context = new CoordinatorContext<S, Rec>(partitionIndex, partitionEpoch, timer);
    this.contexts.set(partitionIndex, context);
    const log = this.host.readLog(partitionIndex);
    const delayMs = Math.max(1, Math.ceil((log?.sizeInBytes ?? 0) / LOAD_BYTES_PER_MS));
    context.loadTimer = this.host.timers.schedule(`${this.records.name}.coordinator.load/${partitionIndex}`, delayMs, () => this.load(context));
  }

  private load(context: CoordinatorContext<S, Rec>): void {
    context.loadTimer = null;
    if (context.state !== 'loading' || this.contexts.get(context.partitionIndex) !== context) return;
    const log = this.host.readLog(context.partitionIndex);
    // No log, or one that could not be read whole: never load a prefix as if it were the state.
    if (log === null) return;
    const shard = this.buildShard(this.shardContext(context));
    let records = 0;
    // Records and markers in log order: a marker ends only the transactional records before it.
    const markers = [...(log.markers ?? [])];
    for (const entry of log.records) {
      while (markers.length > 0 && markers[0]!.offset < entry.offset) this.replayMarker(shard, markers.shift()!);
      shard.replay(this.records.deserialize(entry.record), entry.offset, entry.producerId ?? NO_PRODUCER_ID);
      records++;
    }
    for (const marker of markers) this.replayMarker(shard, marker);
    context.shard = shard;
    context.state = 'active';
    context.lastWrittenOffset = this.host.logEndOffset(context.partitionIndex);
    context.lastCommittedOffset = this.host.highWatermark(context.partitionIndex);
    this.host.trace({
      type: `${this.records.name}.loaded`,
      partition: context.partitionIndex,
      coordinatorEpoch: context.epoch,
      records,
      logEndOffset: context.lastWrittenOffset,
      highWatermark: context.lastCommittedOffset,
    });
    shard.onLoaded();
  }

  private replayMarker(shard: S, entry: { readonly offset: number; readonly marker: ReplayedTxnMarker }): void {
    shard.replayEndTransactionMarker?.(entry.marker, entry.offset);
  }

  /**
   * A transaction marker was written to the partition (WriteTxnMarkers, by the leader this
   * coordinator runs on): the shard replays it, as it does its own records once the leader holds
   * them. A partition still loading reads the marker from the log when it loads.
   */
  replayEndTransactionMarker(partitionIndex: number, marker: ReplayedTxnMarker, offset: number): void {
    const context = this.contexts.get(partitionIndex);
    if (context === undefined || context.state !== 'active' || context.shard === null) return;
    this.replayMarker(context.shard, { offset, marker });
    // Later answers that read what the marker made visible wait until it is committed.
    context.lastWrittenOffset = Math.max(context.lastWrittenOffset, offset + 1);
  }

  scheduleUnloadOperation(partitionIndex: number, partitionEpoch: number | null): void {
    const context = this.contexts.get(partitionIndex);
    if (context === undefined || context.state === 'closed') return;
    if (partitionEpoch !== null && partitionEpoch < context.epoch) return;
    const wasLoaded = context.state === 'active';
    context.state = 'closed';
    if (context.loadTimer !== null) this.host.timers.cancel(context.loadTimer);
    context.timer.cancelAll();
    context.shard?.onUnloaded();
    for (const event of context.deferred.splice(0)) event.complete('NOT_COORDINATOR');
    this.host.trace({ type: `${this.records.name}.unloaded`, partition: partitionIndex, coordinatorEpoch: context.epoch, wasLoaded });
  }

  // ---- Writes ----

  /**
   * Runs `operation` on the partition's shard and hands `complete` its response once the records
   * it wrote (and every earlier write) are committed, or the error that prevented it.
   */
  scheduleWriteOperation<R>(partitionIndex: number, operation: (shard: S) => CoordinatorResult<R, Rec>, complete: (outcome: WriteOutcome<R>) => void): void {
    this.scheduleTransactionalWriteOperation(partitionIndex, null, operation, complete);
  }

  /**
   * A write whose records belong to a producer's transaction (Kafka's
   * scheduleTransactionalWriteOperation, for TxnOffsetCommit): they are appended as a transactional
   * batch of `producer`, so the partition fences an older epoch, and stay pending in the shard
   * until the transaction's marker is replayed.
   */
  scheduleTransactionalWriteOperation<R>(
    partitionIndex: number,
    producer: CoordinatorTransactionalWrite | null,
    operation: (shard: S) => CoordinatorResult<R, Rec>,
    complete: (outcome: WriteOutcome<R>) => void,
  ): void {
    const context = this.contexts.get(partitionIndex);
    if (context === undefined || context.state === 'closed') return complete({ error: 'NOT_COORDINATOR' });
    if (context.state === 'loading' || context.shard === null) return complete({ error: 'COORDINATOR_LOAD_IN_PROGRESS' });
    const result = operation(context.shard);
    this.append(context, result, (error) => complete(error === null ? { response: result.response } : { error }), producer);
  }

  /**
   * Runs a read against the partition's shard at once: what it reads must be committed state (the
   * shard reads below the high watermark), so nothing waits.
   */
  scheduleReadOperation<R>(partitionIndex: number, operation: (shard: S) => R): WriteOutcome<R> {
    const context = this.contexts.get(partitionIndex);
    if (context === undefined || context.state === 'closed') return { error: 'NOT_COORDINATOR' };
    if (context.state === 'loading' || context.shard === null) return { error: 'COORDINATOR_LOAD_IN_PROGRESS' };
    return { response: operation(context.shard) };
  }

  private append<R>(
    context: CoordinatorContext<S, Rec>,
    result: CoordinatorResult<R, Rec>,
    complete: (error: KafkaErrorCode | null) => void,
    producer: CoordinatorTransactionalWrite | null = null,
  ): void {
    const finish = (error: KafkaErrorCode | null) => {
      result.appendCallback?.(error);
      complete(error);
    };
    if (result.records.length === 0) return this.deferUntilCommitted(context, context.lastWrittenOffset, finish);
    const nowMs = this.host.nowMs();
    // The replica manager may report the commit before it returns (a leader alone in a
    // sufficient ISR commits at once); such an early report is handled once the offsets are known.
    let endOffset: number | null = null;
    let earlyReport: KafkaErrorCode | null = null;
    const appended = this.host.appendRecords(
      context.partitionIndex,
      result.records.map((record) => this.records.serialize(record, nowMs)),
      this.timeoutMs,
      (error) => {
        if (endOffset === null) earlyReport = error;
        else this.onCommitted(context, endOffset, error);
      },
      producer,
    );
    if ('error' in appended) return finish(appendErrorToResponseError(appended.error));
    endOffset = appended.lastOffset + 1;
    if (result.replayRecords && context.shard !== null) {
      const baseOffset = endOffset - result.records.length;
      result.records.forEach((record, i) => context.shard!.replay(record, baseOffset + i, producer?.producerId ?? NO_PRODUCER_ID));
    }
    context.lastWrittenOffset = endOffset;
    this.deferUntilCommitted(context, endOffset, finish);
    if (earlyReport !== null) this.onCommitted(context, endOffset, earlyReport);
  }

  private deferUntilCommitted(context: CoordinatorContext<S, Rec>, offset: number, complete: (error: KafkaErrorCode | null) => void): void {
    if (offset <= context.lastCommittedOffset) return complete(null);
    context.deferred.push({ offset, complete });
  }

  /**
   * The partition's high watermark may have moved (the replica manager's listener): answers
   * waiting on records below it go out. This is how a freshly loaded coordinator learns that the
   * tail it loaded above the high watermark is committed.
   */
  onHighWatermarkUpdated(partitionIndex: number, highWatermark: number): void {
    const context = this.contexts.get(partitionIndex);
    if (context === undefined || context.state !== 'active' || highWatermark <= context.lastCommittedOffset) return;
    context.lastCommittedOffset = highWatermark;
    while (context.deferred.length > 0 && context.deferred[0]!.offset <= context.lastCommittedOffset) context.deferred.shift()!.complete(null);
  }

  /**
   * The internal append of a write finished. Committed: everything up to its end is committed.
   * Failed: the answers waiting on it fail with the mapped error. A context that was unloaded
   * meanwhile has already failed them.
   */
  private onCommitted(context: CoordinatorContext<S, Rec>, endOffset: number, error: KafkaErrorCode): void {
    if (context.state !== 'active') return;
    // NOT_ENOUGH_REPLICAS_AFTER_APPEND: the high watermark did pass the records, with an ISR that
    // shrank below min.insync.replicas meanwhile; they are committed all the same.
    if (error === 'NONE' || error === 'NOT_ENOUGH_REPLICAS_AFTER_APPEND') return this.onHighWatermarkUpdated(context.partitionIndex, endOffset);
    const mapped = appendErrorToResponseError(error);
    while (context.deferred.length > 0 && context.deferred[0]!.offset <= endOffset) context.deferred.shift()!.complete(mapped);
  }

  private runTimerOperation(partitionIndex: number, operation: () => CoordinatorResult<unknown, Rec>, onWriteFailed: () => void): void {
    const context = this.contexts.get(partitionIndex);
    if (context === undefined || context.state !== 'active') return;
    // A timer's write has no one to answer; its effects are in the records and the trace. A failure
    // once the coordinator is gone is ignored (its timers went with it), as Kafka ignores
    // NOT_COORDINATOR and COORDINATOR_LOAD_IN_PROGRESS there.
    this.append(context, operation(), (error) => {
      if (error !== null && context.state === 'active' && this.contexts.get(partitionIndex) === context) onWriteFailed();
    });
  }

  private shardContext(context: CoordinatorContext<S, Rec>): ShardContext<Rec> {
    return {
      partitionIndex: context.partitionIndex,
      timer: context.timer,
      nowMs: () => this.host.nowMs(),
      trace: (event) => this.host.trace(event),
      coordinatorEpoch: () => context.epoch,
      highWatermark: () => this.host.highWatermark(context.partitionIndex),
      randomUuid: () => randomUuid(this.host.random),
      topics: () => this.host.topics(),
    };
  }
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** 128 random bits in Kafka's Uuid text form: 22 characters of base64url (the last carries 2 bits). */
function randomUuid(random: Random): string {
  let text = '';
  for (let i = 0; i < 21; i++) text += BASE64URL[random.nextInt(0, 64)];
  return text + BASE64URL[random.nextInt(0, 4) * 16];
}

/**
 * Kafka's appendGroupMetadataErrorToResponseError: what a client hears when the coordinator's own
 * write failed. Not enough replicas or a timeout is a coordinator that is not available right now;
 * a lost leadership or a failed disk is one that is not the coordinator any more.
 */
export function appendErrorToResponseError(error: KafkaErrorCode): KafkaErrorCode {
  switch (error) {
    case 'UNKNOWN_TOPIC_OR_PARTITION':
    case 'NOT_ENOUGH_REPLICAS':
    case 'NOT_ENOUGH_REPLICAS_AFTER_APPEND':
    case 'REQUEST_TIMED_OUT':
      return 'COORDINATOR_NOT_AVAILABLE';
    case 'NOT_LEADER_OR_FOLLOWER':
    case 'KAFKA_STORAGE_ERROR':
      return 'NOT_COORDINATOR';
    case 'MESSAGE_TOO_LARGE':
    case 'RECORD_LIST_TOO_LARGE':
      return 'UNKNOWN_SERVER_ERROR';
    default:
      return error;
  }
}
