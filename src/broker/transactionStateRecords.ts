/**
 * The records the transaction coordinator writes to `__transaction_state` (Kafka's
 * TransactionLogKey and TransactionLogValue): the key names the transactional id, the value holds
 * its whole TransactionMetadata; a null value (a tombstone) would remove an expired id. A
 * partition's transactional ids are exactly the replay of its records in log order.
 *
 * Serde: JSON text, as for `__consumer_offsets` (groupCoordinatorRecords.ts), field names as in
 * Kafka's schema. The in-memory PrepareEpochFence is never written (transactionMetadata.ts).
 *
 * Invariant: a record decodes to exactly what was encoded; anything else in this topic is a broken
 * invariant (only the coordinator writes here), so decoding throws.
 */
import type { SimpleRecord } from '../log/recordBatch.js';
import type { CoordinatorRecords } from './groupCoordinatorRuntime.js';
import type { TransactionMetadata } from './transactionMetadata.js';

/** Kafka's Topic.TRANSACTION_STATE_TOPIC_NAME. */
export const TRANSACTION_STATE_TOPIC_NAME = '__transaction_state';

export interface TransactionLogRecord {
  readonly transactionalId: string;
  readonly value: Omit<TransactionMetadata, 'transactionalId'> | null;
}

export function transactionLogRecord(metadata: TransactionMetadata): TransactionLogRecord {
  const { transactionalId, ...value } = metadata;
  if (value.state === 'PrepareEpochFence') throw new Error(`transactional id ${transactionalId}: PrepareEpochFence is never written`);
  return { transactionalId, value };
}

export const TRANSACTION_LOG_RECORDS: CoordinatorRecords<TransactionLogRecord> = {
  name: 'txn',
  serialize(record: TransactionLogRecord, timestampMs: number): SimpleRecord {
    return { key: JSON.stringify({ transactionalId: record.transactionalId }), value: record.value === null ? null : JSON.stringify(record.value), timestampMs };
  },
  deserialize(record: SimpleRecord): TransactionLogRecord {
    if (record.key === null) throw new Error(`${TRANSACTION_STATE_TOPIC_NAME}: a record without a key`);
    const key = JSON.parse(record.key) as { transactionalId?: unknown };
    if (typeof key.transactionalId !== 'string') throw new Error(`${TRANSACTION_STATE_TOPIC_NAME}: a key without a transactional id`);
    const value = record.value === null ? null : (JSON.parse(record.value) as TransactionLogRecord['value']);
    return { transactionalId: key.transactionalId, value };
  },
};
