/**
 * The transactional ids of one `__transaction_state` partition, as the coordinator runtime drives
 * them (Kafka's TransactionStateManager for one partition, with the decisions of
 * TransactionCoordinator's handlers): each request is an operation that reads the metadata,
 * returns the record of its next state (checked against the transition table,
 * transactionMetadata.ts) and an answer; the runtime appends the record, replays it here once the
 * leader holds it, and answers once it is committed.
 *
 * The rules, with their history:
 * - InitProducerId bumps the epoch, which fences every older instance of the producer (KIP-98):
 *   their requests carry an older epoch and are answered PRODUCER_FENCED here,
 *   INVALID_PRODUCER_EPOCH at the partitions. An ongoing transaction is first aborted with the
 *   bumped epoch (PrepareEpochFence, then PrepareAbort), and the new producer is told
 *   CONCURRENT_TRANSACTIONS until the abort completes.
 * - A transaction open longer than its transaction.timeout.ms is aborted by the coordinator with
 *   the epoch bumped, so the producer that let it time out is fenced (KIP-98; KAFKA-5876 era).
 * - Transaction version 2 (KIP-890 part 2) bumps the epoch at every EndTxn, and a retried EndTxn
 *   with the epoch before the bump is recognised as a retry; the markers carry the new epoch, so a
 *   late write of the old transaction cannot enter the next one.
 * - A verification (KIP-890 part 1) reads the state only after every earlier write committed, so a
 *   partition never appends for a transaction a coordinator failover could forget.
 *
 * Traces: `txn.state` whenever a transactional id's state is replayed (once loaded); after a load
 * every id is restated with `loaded: true`.
 *
 * Left out: transactional id expiration (Dead), epoch exhaustion, and the transaction version 2
 * rule that a producer id's epoch wraps into a new producer id.
 */
import type { TransactionVersion } from '../protocol/apis.js';
import type { KafkaErrorCode } from '../protocol/errors.js';
import { type CoordinatorResult, type CoordinatorShard, resultOf, type ShardContext } from './groupCoordinatorRuntime.js';
import { sortedUnion, type TransactionMetadata, transitionTo } from './transactionMetadata.js';
import { type TransactionLogRecord, transactionLogRecord } from './transactionStateRecords.js';

/** No producer id or epoch (a new producer's InitProducerId). */
export const NO_PRODUCER_ID = -1;
export const NO_PRODUCER_EPOCH = -1;

export type TxnResult<R> = CoordinatorResult<R, TransactionLogRecord>;

/** An answer with the producer id and epoch the client should use (InitProducerId, EndTxn). */
export interface ProducerIdAnswer {
  readonly error: KafkaErrorCode;
  readonly producerId: number;
  readonly producerEpoch: number;
  /** The transaction that now needs its markers written, once this answer's record is committed. */
  readonly prepared: TransactionMetadata | null;
}

export interface TransactionShardOptions {
  /** The cluster's transaction.version, for new transactions. */
  readonly transactionVersion: TransactionVersion;
  /** A transaction loaded in PrepareCommit or PrepareAbort: its markers must be (re)sent. */
  onLoadedPrepared(metadata: TransactionMetadata): void;
}

function answer(error: KafkaErrorCode, producerId = NO_PRODUCER_ID, producerEpoch = NO_PRODUCER_EPOCH): ProducerIdAnswer {
  return { error, producerId, producerEpoch, prepared: null };
}

export class TransactionCoordinatorShard implements CoordinatorShard<TransactionLogRecord> {
  private readonly transactions = new Map<string, TransactionMetadata>();
  private loaded = false;

  constructor(
    private readonly context: ShardContext<TransactionLogRecord>,
    private readonly options: TransactionShardOptions,
  ) {}

  metadata(transactionalId: string): TransactionMetadata | undefined {
    return this.transactions.get(transactionalId);
  }

  allMetadata(): TransactionMetadata[] {
    return [...this.transactions.values()];
  }

  // ---- CoordinatorShard ----

  replay(record: TransactionLogRecord): void {
    const previous = this.transactions.get(record.transactionalId);
    if (record.value === null) {
      this.transactions.delete(record.transactionalId);
      return;
    }
    const metadata: TransactionMetadata = { transactionalId: record.transactionalId, ...record.value };
    this.transactions.set(record.transactionalId, metadata);
    if (this.loaded) this.traceState(metadata, previous?.state ?? null, false);
  }

  onLoaded(): void {
    this.loaded = true;
    for (const metadata of this.transactions.values()) {
      this.traceState(metadata, null, true);
      if (metadata.state === 'PrepareCommit' || metadata.state === 'PrepareAbort') this.options.onLoadedPrepared(metadata);
    }
  }

  onUnloaded(): void {}

  private traceState(metadata: TransactionMetadata, previousState: string | null, loaded: boolean): void {
    this.context.trace({
      type: 'txn.state',
      transactionalId: metadata.transactionalId,
      producerId: metadata.producerId,
      producerEpoch: metadata.producerEpoch,
      state: metadata.state,
      previousState,
      partitions: metadata.partitions,
      coordinatorEpoch: this.context.coordinatorEpoch(),
      ...(loaded ? { loaded: true } : {}),
    });
  }

  // ---- InitProducerId ----

  /**
   * Kafka's handleInitProducerId for a transactional id: a new id at epoch 0, or the epoch bumped
   * (after fencing and aborting an ongoing transaction).
   */
  initProducerId(transactionalId: string, transactionTimeoutMs: number, requestProducerId: number, requestEpoch: number, newProducerId: () => number | null): TxnResult<ProducerIdAnswer> {
    const nowMs = this.context.nowMs();
    let metadata = this.transactions.get(transactionalId);
    if (metadata === undefined) {
      const producerId = newProducerId();
      // No id to give yet (the producer-id block is on its way): retriable, as Kafka answers.
      if (producerId === null) return resultOf(answer('COORDINATOR_LOAD_IN_PROGRESS'));
      metadata = {
        transactionalId,
        producerId,
        lastProducerEpoch: NO_PRODUCER_EPOCH,
        producerEpoch: NO_PRODUCER_EPOCH,
        transactionTimeoutMs,
        state: 'Empty',
        partitions: [],
        txnStartTimestampMs: -1,
        txnLastUpdateTimestampMs: nowMs,
        clientTransactionVersion: this.options.transactionVersion,
      };
    } else if (requestProducerId !== NO_PRODUCER_ID) {
      // KIP-360: a producer bumping its own epoch names its id and epoch; anything else is a zombie.
      if (requestProducerId !== metadata.producerId) return resultOf(answer('INVALID_PRODUCER_ID_MAPPING'));
      if (requestEpoch !== metadata.producerEpoch && requestEpoch !== metadata.lastProducerEpoch) return resultOf(answer('PRODUCER_FENCED'));
    }
    switch (metadata.state) {
      case 'PrepareCommit':
      case 'PrepareAbort':
      case 'PrepareEpochFence':
        return resultOf(answer('CONCURRENT_TRANSACTIONS'));
      case 'Ongoing':
        // Fence the producer that left it open, abort it, and let the new one retry (Kafka's
        // prepareFenceProducerEpoch followed by an abort that is not from a client).
        return this.fenceAndAbort(metadata, 'CONCURRENT_TRANSACTIONS');
      case 'Empty':
      case 'CompleteCommit':
      case 'CompleteAbort':
      case 'Dead': {
        const next = transitionTo(metadata.state === 'Dead' ? { ...metadata, state: 'Empty' } : metadata, 'Empty', {
          lastProducerEpoch: metadata.producerEpoch,
          producerEpoch: metadata.producerEpoch + 1,
          transactionTimeoutMs,
          partitions: [],
          txnStartTimestampMs: -1,
          txnLastUpdateTimestampMs: nowMs,
          clientTransactionVersion: this.options.transactionVersion,
        });
        return { records: [transactionLogRecord(next)], response: answer('NONE', next.producerId, next.producerEpoch), replayRecords: true };
      }
      default: {
        const unreachable: never = metadata.state;
        throw new Error(`unknown transaction state ${String(unreachable)}`);
      }
    }
  }

  /** Ongoing → PrepareEpochFence → PrepareAbort with the epoch bumped: the producer is fenced and its transaction aborted. */
  private fenceAndAbort(metadata: TransactionMetadata, error: KafkaErrorCode): TxnResult<ProducerIdAnswer> {
    const nowMs = this.context.nowMs();
    // The epoch before the bump is forgotten (Kafka's prepareFenceProducerEpoch writes
    // NO_PRODUCER_EPOCH there): a fenced producer's EndTxn must not pass for a retry of its own.
    const fenced = transitionTo(metadata, 'PrepareEpochFence', { lastProducerEpoch: NO_PRODUCER_EPOCH, producerEpoch: metadata.producerEpoch + 1 });
    const aborting = transitionTo(fenced, 'PrepareAbort', { txnLastUpdateTimestampMs: nowMs });
    return { records: [transactionLogRecord(aborting)], response: { ...answer(error), prepared: aborting }, replayRecords: true };
  }

  // ---- Partitions ----

  /** Checks a request's producer id and epoch against the metadata; null when they match. */
  private producerError(metadata: TransactionMetadata | undefined, producerId: number, producerEpoch: number): KafkaErrorCode | null {
    if (metadata === undefined || metadata.producerId !== producerId) return 'INVALID_PRODUCER_ID_MAPPING';
    if (metadata.producerEpoch !== producerEpoch) return 'PRODUCER_FENCED';
    return null;
  }

  /**
   * AddPartitionsToTxn from a client, AddOffsetsToTxn, and a partition leader's implicit add under
   * transaction version 2: the partitions join the ongoing transaction (or begin one).
   */
  addPartitions(transactionalId: string, producerId: number, producerEpoch: number, partitions: readonly string[]): TxnResult<KafkaErrorCode> {
    const metadata = this.transactions.get(transactionalId);
    const error = this.producerError(metadata, producerId, producerEpoch);
    if (error !== null || metadata === undefined) return resultOf(error ?? 'INVALID_PRODUCER_ID_MAPPING');
    if (metadata.state === 'PrepareCommit' || metadata.state === 'PrepareAbort' || metadata.state === 'PrepareEpochFence') return resultOf('CONCURRENT_TRANSACTIONS');
    if (metadata.state === 'Dead') return resultOf('INVALID_PRODUCER_ID_MAPPING');
    if (metadata.state === 'Ongoing' && partitions.every((key) => metadata.partitions.includes(key))) return resultOf('NONE');
    const nowMs = this.context.nowMs();
    const next = transitionTo(metadata, 'Ongoing', {
      partitions: sortedUnion(metadata.state === 'Ongoing' ? metadata.partitions : [], partitions),
      txnStartTimestampMs: metadata.state === 'Ongoing' ? metadata.txnStartTimestampMs : nowMs,
      txnLastUpdateTimestampMs: nowMs,
    });
    return { records: [transactionLogRecord(next)], response: 'NONE', replayRecords: true };
  }

  /**
   * A partition leader's verification (AddPartitionsToTxn with verifyOnly, KIP-890 part 1): is
   * each partition in this producer's ongoing transaction? INVALID_TXN_STATE for one that is not.
   */
  verifyPartitions(transactionalId: string, producerId: number, producerEpoch: number, partitions: readonly string[]): Map<string, KafkaErrorCode> {
    const metadata = this.transactions.get(transactionalId);
    const error = this.producerError(metadata, producerId, producerEpoch);
    return new Map(
      partitions.map((key) => {
        if (error !== null) return [key, error];
        const inTransaction = metadata!.state === 'Ongoing' && metadata!.partitions.includes(key);
        return [key, inTransaction ? 'NONE' : 'INVALID_TXN_STATE'];
      }),
    );
  }

  // ---- EndTxn ----

  /** Kafka's handleEndTransaction from a client: prepare the commit or abort, or say why not. */
  endTransaction(transactionalId: string, producerId: number, producerEpoch: number, commit: boolean): TxnResult<ProducerIdAnswer> {
    const metadata = this.transactions.get(transactionalId);
    if (metadata === undefined || metadata.producerId !== producerId) return resultOf(answer('INVALID_PRODUCER_ID_MAPPING'));
    const version2 = metadata.clientTransactionVersion === 2;
    // Under transaction version 2 a retry of an EndTxn that already bumped the epoch carries the epoch before the bump.
    const endedByBump = metadata.state !== 'Empty' && metadata.state !== 'Ongoing';
    const isRetry = version2 && endedByBump && producerEpoch === metadata.lastProducerEpoch && producerEpoch + 1 === metadata.producerEpoch;
    if (producerEpoch !== metadata.producerEpoch && !isRetry) return resultOf(answer('PRODUCER_FENCED'));
    const current = answer('NONE', metadata.producerId, metadata.producerEpoch);
    const wanted = commit ? 'Commit' : 'Abort';
    switch (metadata.state) {
      case 'Ongoing': {
        const nowMs = this.context.nowMs();
        const bump = version2 ? { lastProducerEpoch: metadata.producerEpoch, producerEpoch: metadata.producerEpoch + 1 } : {};
        const next = transitionTo(metadata, commit ? 'PrepareCommit' : 'PrepareAbort', { ...bump, txnLastUpdateTimestampMs: nowMs });
        return { records: [transactionLogRecord(next)], response: { ...answer('NONE', next.producerId, next.producerEpoch), prepared: next }, replayRecords: true };
      }
      case 'PrepareCommit':
      case 'PrepareAbort':
        // Under version 2 a prepared transaction already carries the bumped epoch: only a retry of its EndTxn is valid.
        if (version2 && !isRetry) return resultOf(answer('PRODUCER_FENCED'));
        return resultOf(answer(metadata.state === `Prepare${wanted}` ? 'CONCURRENT_TRANSACTIONS' : 'INVALID_TXN_STATE'));
      case 'CompleteCommit':
      case 'CompleteAbort':
        if (metadata.state === `Complete${wanted}` && (isRetry || !version2)) return resultOf(current);
        return version2 && !commit && !isRetry ? this.abortEmptyTransaction(metadata) : resultOf(answer('INVALID_TXN_STATE'));
      case 'Empty':
        return version2 && !commit ? this.abortEmptyTransaction(metadata) : resultOf(answer('INVALID_TXN_STATE'));
      case 'PrepareEpochFence':
      case 'Dead':
        return resultOf(answer('INVALID_TXN_STATE'));
      default: {
        const unreachable: never = metadata.state;
        throw new Error(`unknown transaction state ${String(unreachable)}`);
      }
    }
  }

  /**
   * Transaction version 2: an abort of a transaction that added no partition (none of its produces
   * reached a partition) still bumps the epoch, through PrepareAbort with no partitions to mark and
   * then CompleteAbort, so the producer's next transaction starts on a fresh epoch as every other one
   * does. A commit of such a transaction is INVALID_TXN_STATE: there is nothing to commit
   * (Kafka 4's TransactionCoordinator.endTransaction, KAFKA-14563).
   */
  private abortEmptyTransaction(metadata: TransactionMetadata): TxnResult<ProducerIdAnswer> {
    const nowMs = this.context.nowMs();
    const next = transitionTo(metadata, 'PrepareAbort', {
      lastProducerEpoch: metadata.producerEpoch,
      producerEpoch: metadata.producerEpoch + 1,
      partitions: [],
      txnStartTimestampMs: nowMs,
      txnLastUpdateTimestampMs: nowMs,
    });
    return { records: [transactionLogRecord(next)], response: { ...answer('NONE', next.producerId, next.producerEpoch), prepared: next }, replayRecords: true };
  }

  /**
   * Every marker of a prepared transaction is written: PrepareCommit → CompleteCommit,
   * PrepareAbort → CompleteAbort. Nothing if the transaction moved on meanwhile (a reload or a
   * newer epoch).
   */
  completeTransaction(transactionalId: string, producerId: number, producerEpoch: number): TxnResult<null> {
    const metadata = this.transactions.get(transactionalId);
    if (metadata === undefined || metadata.producerId !== producerId || metadata.producerEpoch !== producerEpoch) return resultOf(null);
    if (metadata.state !== 'PrepareCommit' && metadata.state !== 'PrepareAbort') return resultOf(null);
    const next = transitionTo(metadata, metadata.state === 'PrepareCommit' ? 'CompleteCommit' : 'CompleteAbort', {
      partitions: [],
      txnLastUpdateTimestampMs: this.context.nowMs(),
    });
    return { records: [transactionLogRecord(next)], response: null, replayRecords: true };
  }

  // ---- Timeouts ----

  /**
   * Kafka's abortTimedOutTransactions: every transaction open longer than its timeout is fenced
   * and aborted. Returns the records, and the transactions whose markers follow.
   */
  abortTimedOutTransactions(): TxnResult<TransactionMetadata[]> {
    const nowMs = this.context.nowMs();
    const records: TransactionLogRecord[] = [];
    const prepared: TransactionMetadata[] = [];
    for (const metadata of this.transactions.values()) {
      if (metadata.state !== 'Ongoing' || metadata.txnStartTimestampMs + metadata.transactionTimeoutMs > nowMs) continue;
      const aborting = this.fenceAndAbort(metadata, 'NONE');
      records.push(...aborting.records);
      prepared.push(aborting.response.prepared!);
      this.context.trace({ type: 'txn.timed-out', transactionalId: metadata.transactionalId, producerId: metadata.producerId, producerEpoch: metadata.producerEpoch, startedMs: metadata.txnStartTimestampMs, timeoutMs: metadata.transactionTimeoutMs });
    }
    return { records, response: prepared, replayRecords: true };
  }
}
