/**
 * Conformance with Apache Kafka's transaction state table: `npm run conformance` asked
 * kafka-transaction-coordinator's TransactionState, for every pair of states, whether the
 * coordinator may move a transactional id from one to the other (validPreviousStates), and recorded
 * the answers in kafka-transaction-states.json. ksim's isValidTransition must give the same answer
 * for all 64 pairs. (TransactionMetadata's prepare* methods are Scala in Kafka 4.1.1's broker jar
 * and are not covered here.)
 */
import { describe, expect, it } from 'vitest';
import { type TransactionState, isValidTransition } from '../../src/broker/transactionMetadata.js';
import { type RecordedAnswer, readFixture } from './recordedAnswers.js';

interface RecordedCase {
  readonly from: TransactionState;
  readonly to: TransactionState;
  readonly kafka: RecordedAnswer<{ readonly valid: boolean }>;
}

const fixture = readFixture<RecordedCase>('kafka-transaction-states.json');

describe(`transaction state transitions answer as ${fixture.kafka}`, () => {
  it('every pair of states', () => {
    expect(fixture.cases).toHaveLength(64);
    const differing = fixture.cases
      .filter((testCase) => isValidTransition(testCase.from, testCase.to) !== testCase.kafka.assignment!.valid)
      .map(({ from, to, kafka }) => `${from} → ${to}: Kafka ${kafka.assignment!.valid ? 'allows' : 'refuses'} it`);
    expect(differing).toEqual([]);
  });
});
