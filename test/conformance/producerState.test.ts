/**
 * Conformance with Apache Kafka's producer state on append. `npm run conformance` drove
 * kafka-storage's ProducerStateManager and ProducerAppendInfo as UnifiedLog does for a leader's
 * appends (conformance/kafka/ProducerState.java) through drawn sequences of data batches,
 * transaction markers and high-watermark moves, right and wrong, and recorded after every step the
 * outcome (written, a duplicate with the original offsets, or the exception), the transaction a
 * marker completed with its last stable offset, the first unstable offset and the ongoing
 * transactions, in kafka-producer-state.json. ksim's ProducerStateManager must agree at every step.
 */
import { describe, expect, it } from 'vitest';
import { endTransactionMarkerRecord } from '../../src/log/controlRecord.js';
import { type ProducerCheck, ProducerStateManager } from '../../src/log/producerState.js';
import type { RecordBatch } from '../../src/log/recordBatch.js';
import { type RecordedAnswer, readFixture } from './recordedAnswers.js';

type Step =
  | { readonly op: 'data'; readonly producerId: number; readonly epoch: number; readonly firstSeq: number; readonly count: number; readonly transactional: boolean }
  | { readonly op: 'marker'; readonly producerId: number; readonly epoch: number; readonly coordinatorEpoch: number; readonly commit: boolean }
  | { readonly op: 'highWatermark'; readonly offset: number };

interface StepAnswer {
  readonly outcome: string;
  readonly duplicateFirstOffset?: number;
  readonly duplicateLastOffset?: number;
  /** [first offset, last offset, aborted, last stable offset] */
  readonly completed?: [number, number, boolean, number];
  readonly firstUnstableOffset: number;
  readonly ongoing: Array<[number, number]>;
}

interface RecordedCase {
  readonly steps: Step[];
  readonly kafka: RecordedAnswer<{ readonly steps: StepAnswer[] }>;
}

const fixture = readFixture<RecordedCase>('kafka-producer-state.json');

/** The Java exception Kafka throws where ksim answers with the error code. */
const EXCEPTIONS = {
  OUT_OF_ORDER_SEQUENCE_NUMBER: 'OutOfOrderSequenceException',
  INVALID_PRODUCER_EPOCH: 'InvalidProducerEpochException',
  INVALID_TXN_STATE: 'InvalidTxnStateException',
  TRANSACTION_COORDINATOR_FENCED: 'TransactionCoordinatorFencedException',
} as const;

function batchAt(baseOffset: number, step: Exclude<Step, { op: 'highWatermark' }>): RecordBatch {
  const records =
    step.op === 'data'
      ? Array.from({ length: step.count }, () => ({ key: null, value: 'v', timestampMs: 0 }))
      : [endTransactionMarkerRecord(step.commit ? 'COMMIT' : 'ABORT', step.coordinatorEpoch, 0)];
  return {
    baseOffset,
    lastOffsetDelta: records.length - 1,
    partitionLeaderEpoch: 0,
    producerId: step.producerId,
    producerEpoch: step.epoch,
    baseSequence: step.op === 'data' ? step.firstSeq : -1,
    isTransactional: step.op === 'marker' || step.transactional,
    isControl: step.op === 'marker',
    maxTimestampMs: 0,
    records,
  };
}

function outcome(check: ProducerCheck): Pick<StepAnswer, 'outcome' | 'duplicateFirstOffset' | 'duplicateLastOffset'> {
  switch (check.kind) {
    case 'ok':
      return { outcome: 'ok' };
    case 'duplicate':
      return { outcome: 'duplicate', duplicateFirstOffset: check.firstOffset, duplicateLastOffset: check.lastOffset };
    case 'rejected':
      return { outcome: EXCEPTIONS[check.error] };
    default:
      return check satisfies never;
  }
}

/** ksim's answer after every step, in the harness's shape. */
function ksimSteps(steps: readonly Step[]): StepAnswer[] {
  const state = new ProducerStateManager();
  let logEndOffset = 0;
  return steps.map((step) => {
    let answer: Omit<StepAnswer, 'firstUnstableOffset' | 'ongoing'> = { outcome: 'ok' };
    if (step.op === 'highWatermark') {
      state.onHighWatermarkUpdated(step.offset);
    } else {
      const batch = batchAt(logEndOffset, step);
      answer = outcome(state.checkAndPrepare(batch, step.op === 'marker' ? 'coordinator' : 'client'));
      if (answer.outcome === 'ok') {
        const completed = state.update(batch);
        if (completed !== null) answer = { ...answer, completed: [completed.firstOffset, completed.lastOffset, completed.isAborted, state.lastStableOffsetAfter(completed)] };
        logEndOffset += batch.records.length;
      }
    }
    const ongoing = state.ongoingTransactions().map(([firstOffset, producerId]) => [firstOffset, producerId] as [number, number]);
    return { ...answer, firstUnstableOffset: state.firstUnstableOffset() ?? -1, ongoing: ongoing.sort((a, b) => a[1] - b[1]) };
  });
}

/** Kafka's answer with the keys in the order ksim's answer has them. */
function kafkaSteps(steps: readonly StepAnswer[]): StepAnswer[] {
  return steps.map(({ outcome: result, duplicateFirstOffset, duplicateLastOffset, completed, firstUnstableOffset, ongoing }) => ({
    outcome: result,
    ...(duplicateFirstOffset === undefined ? {} : { duplicateFirstOffset, duplicateLastOffset }),
    ...(completed === undefined ? {} : { completed }),
    firstUnstableOffset,
    ongoing: [...ongoing].sort((a, b) => a[1] - b[1]),
  }));
}

describe(`producer state on append answers as ${fixture.kafka}`, () => {
  it('every recorded sequence, step by step', () => {
    expect(fixture.cases.length).toBeGreaterThan(100);
    const mismatches = fixture.cases.flatMap((testCase, index) => {
      const kafka = kafkaSteps(testCase.kafka.assignment!.steps);
      const ksim = ksimSteps(testCase.steps);
      const step = kafka.findIndex((answer, at) => JSON.stringify(answer) !== JSON.stringify(ksim[at]));
      return step === -1 ? [] : [{ index, step, steps: testCase.steps.slice(0, step + 1), kafka: kafka[step], ksim: ksim[step] }];
    });
    expect(mismatches.slice(0, 1), `${mismatches.length} of ${fixture.cases.length} cases differ from Kafka`).toEqual([]);
  });
});
