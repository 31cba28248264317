/**
 * The transaction coordinator's pure parts: the transition table (an illegal transition throws),
 * the records of `__transaction_state`, and the configuration under Kafka's names.
 */
import { describe, expect, test } from 'vitest';
import { DEFAULT_TRANSACTION_COORDINATOR_CONFIG, parseTransactionCoordinatorConfig, verifiesTransactionPartitions } from '../../src/broker/transactionCoordinatorConfig.js';
import { isValidTransition, parsePartitionKey, type TransactionMetadata, type TransactionState, transitionTo } from '../../src/broker/transactionMetadata.js';
import { TRANSACTION_LOG_RECORDS, transactionLogRecord } from '../../src/broker/transactionStateRecords.js';

const STATES: readonly TransactionState[] = ['Empty', 'Ongoing', 'PrepareCommit', 'PrepareAbort', 'CompleteCommit', 'CompleteAbort', 'PrepareEpochFence', 'Dead'];

function metadata(state: TransactionState): TransactionMetadata {
  return {
    transactionalId: 'tx',
    producerId: 4,
    lastProducerEpoch: -1,
    producerEpoch: 3,
    transactionTimeoutMs: 60_000,
    state,
    partitions: state === 'Ongoing' ? ['orders-0'] : [],
    txnStartTimestampMs: -1,
    txnLastUpdateTimestampMs: 0,
    clientTransactionVersion: 2,
  };
}

describe('the transition table (Kafka’s TransactionState)', () => {
  test('a commit is prepared only from Ongoing, an abort also from Empty or Complete* (transaction version 2, KAFKA-14563), each completed only from its own prepare', () => {
    const legal = STATES.flatMap((from) => STATES.filter((to) => isValidTransition(from, to)).map((to) => `${from}→${to}`));
    expect(legal).toEqual([
      'Empty→Empty', 'Empty→Ongoing', 'Empty→PrepareAbort', 'Empty→Dead',
      'Ongoing→Ongoing', 'Ongoing→PrepareCommit', 'Ongoing→PrepareAbort', 'Ongoing→PrepareEpochFence',
      'PrepareCommit→CompleteCommit',
      'PrepareAbort→CompleteAbort',
      'CompleteCommit→Empty', 'CompleteCommit→Ongoing', 'CompleteCommit→PrepareAbort', 'CompleteCommit→Dead',
      'CompleteAbort→Empty', 'CompleteAbort→Ongoing', 'CompleteAbort→PrepareAbort', 'CompleteAbort→Dead',
      'PrepareEpochFence→PrepareAbort',
    ]);
  });

  test('an illegal transition, or an epoch going down, throws', () => {
    expect(() => transitionTo(metadata('Empty'), 'PrepareCommit', {})).toThrow(/illegal transition Empty → PrepareCommit/);
    expect(() => transitionTo(metadata('Ongoing'), 'Ongoing', { producerEpoch: 2 })).toThrow(/epoch 2 below 3/);
    expect(transitionTo(metadata('Ongoing'), 'PrepareCommit', {}).state).toBe('PrepareCommit');
  });

  test('partition keys split at the last dash (topic names may hold dashes)', () => {
    expect(parsePartitionKey('my-topic-12')).toEqual({ topic: 'my-topic', partition: 12 });
  });
});

describe('the records of __transaction_state', () => {
  test('a record decodes to what was encoded; PrepareEpochFence is never written', () => {
    const record = transactionLogRecord(metadata('Ongoing'));
    expect(TRANSACTION_LOG_RECORDS.deserialize(TRANSACTION_LOG_RECORDS.serialize(record, 5))).toEqual(record);
    expect(() => transactionLogRecord(metadata('PrepareEpochFence'))).toThrow(/never written/);
    expect(() => TRANSACTION_LOG_RECORDS.deserialize({ key: '{}', value: null, timestampMs: 0 })).toThrow(/without a transactional id/);
  });
});

describe('TransactionCoordinatorConfig', () => {
  test('Kafka’s names; transaction.version is 1 or 2', () => {
    expect(parseTransactionCoordinatorConfig({})).toEqual(DEFAULT_TRANSACTION_COORDINATOR_CONFIG);
    expect(parseTransactionCoordinatorConfig({ 'transaction.state.log.num.partitions': '50', 'transaction.version': 1 })).toMatchObject({ transactionStateLogNumPartitions: 50, transactionVersion: 1 });
    expect(() => parseTransactionCoordinatorConfig({ 'transaction.version': 3 })).toThrow(/transaction.version: must be an integer from 1 to 2/);
  });

  test('transaction.partition.verification.enable: a boolean (or "true"/"false"), on by default, and off only under transaction version 1', () => {
    expect(DEFAULT_TRANSACTION_COORDINATOR_CONFIG.transactionPartitionVerificationEnable).toBe(true);
    const off = parseTransactionCoordinatorConfig({ 'transaction.partition.verification.enable': 'false', 'transaction.version': 1 });
    expect(off.transactionPartitionVerificationEnable).toBe(false);
    expect(verifiesTransactionPartitions(off)).toBe(false);
    expect(verifiesTransactionPartitions({ ...off, transactionVersion: 2 })).toBe(true);
    expect(verifiesTransactionPartitions(DEFAULT_TRANSACTION_COORDINATOR_CONFIG)).toBe(true);
    expect(() => parseTransactionCoordinatorConfig({ 'transaction.partition.verification.enable': 'yes' })).toThrow(/transaction.partition.verification.enable must be true or false, got "yes"/);
  });
});
