/** RecordAccumulator: batching by batch.size, linger.ms readiness, per-broker drain, retry order, expiry. */
import { describe, expect, test } from 'vitest';
import { RecordAccumulator } from '../../src/client/accumulator.js';
import { TransactionManager } from '../../src/client/transactionManager.js';
import type { NodeId } from '../../src/host.js';

const noop = (): void => {};
const record = (value: string, timestampMs = 0) => ({ key: null, value, timestampMs });
const leaders = (map: Record<number, NodeId | null>) => (_topic: string, partition: number) => map[partition] ?? null;

function accumulator(overrides: Partial<ConstructorParameters<typeof RecordAccumulator>[0]> = {}): RecordAccumulator {
  return new RecordAccumulator({ batchSize: 16_384, lingerMs: 5, deliveryTimeoutMs: 120_000, guaranteeMessageOrder: false, ...overrides });
}

describe('RecordAccumulator', () => {
  test('records join one batch until batch.size, then a new batch starts', () => {
    const acc = accumulator({ batchSize: 61 + 3 * 27 });
    for (let i = 0; i < 5; i++) acc.append('t', 0, record(`v${i}`), noop, 0, false);
    const batches = acc.queuedBatches('t', 0);
    expect(batches.map((batch) => batch.recordCount)).toEqual([3, 2]);
    expect(batches[0]!.closed).toBe(true);
    expect(batches[1]!.closed).toBe(false);
  });

  test('abortOnNewBatch reports instead of creating a batch (the sticky partitioner switches then)', () => {
    const acc = accumulator({ batchSize: 1 });
    expect(acc.append('t', 0, record('a'), noop, 0, true)).toEqual({ appended: false, abortForNewBatch: true });
    expect(acc.append('t', 0, record('a'), noop, 0, false).appended).toBe(true);
    expect(acc.append('t', 0, record('b'), noop, 0, true)).toEqual({ appended: false, abortForNewBatch: true });
  });

  test('a batch is ready after linger.ms, not before, and ready() says when to look again', () => {
    const acc = accumulator({ lingerMs: 5 });
    acc.append('t', 0, record('a'), noop, 100, false);
    const early = acc.ready(leaders({ 0: 'b1' }), 104);
    expect(early.readyNodes).toEqual([]);
    expect(early.nextReadyCheckMs).toBe(105);
    expect(acc.ready(leaders({ 0: 'b1' }), 105).readyNodes).toEqual(['b1']);
  });

  test('a full batch is ready at once; a partition without a leader is reported', () => {
    const acc = accumulator({ batchSize: 1, lingerMs: 1000 });
    acc.append('t', 0, record('a'), noop, 0, false);
    acc.append('t', 1, record('b'), noop, 0, false);
    const result = acc.ready(leaders({ 0: 'b1', 1: null }), 0);
    expect(result.readyNodes).toEqual(['b1']);
    expect(result.unknownLeaderTopics).toEqual(['t']);
  });

  test('drain takes one batch per partition led by the node and stamps sequences in order', () => {
    const acc = accumulator({ batchSize: 1, lingerMs: 0 });
    const tm = new TransactionManager();
    tm.nextInitProducerId(() => false);
    tm.handleInitProducerIdSuccess(7, 0, () => false);
    for (const partition of [0, 0, 1, 2]) acc.append('t', partition, record(`p${partition}`), noop, 0, false);
    const drained = acc.drain('b1', leaders({ 0: 'b1', 1: 'b1', 2: 'b2' }), tm, 0);
    expect(drained.map((batch) => [batch.partition, batch.baseSequence, batch.producerId])).toEqual([
      [0, 0, 7],
      [1, 0, 7],
    ]);
    const second = acc.drain('b1', leaders({ 0: 'b1', 1: 'b1', 2: 'b2' }), tm, 0);
    expect(second.map((batch) => [batch.partition, batch.baseSequence])).toEqual([[0, 1]]);
    expect(tm.nextSequence('t-0')).toBe(2);
  });

  test('a retried batch returns to the front, in sequence order, and waits for its backoff', () => {
    const acc = accumulator({ batchSize: 1, lingerMs: 0 });
    const tm = new TransactionManager();
    tm.nextInitProducerId(() => false);
    tm.handleInitProducerIdSuccess(7, 0, () => false);
    for (let i = 0; i < 4; i++) acc.append('t', 0, record(`v${i}`), noop, 0, false);
    const sent = [0, 1, 2].map(() => acc.drain('b1', leaders({ 0: 'b1' }), tm, 0)[0]!);
    for (const batch of sent) batch.attempts = 1;
    acc.reenqueue(sent[2]!, 10, 100);
    acc.reenqueue(sent[0]!, 10, 100);
    expect(acc.queuedBatches('t', 0).map((batch) => batch.baseSequence)).toEqual([0, 2, -1]);
    expect(acc.drain('b1', leaders({ 0: 'b1' }), tm, 50)).toEqual([]);
    expect(acc.drain('b1', leaders({ 0: 'b1' }), tm, 110).map((batch) => batch.baseSequence)).toEqual([0]);
  });

  test('expiredBatches removes queued batches past delivery.timeout.ms only', () => {
    const acc = accumulator({ deliveryTimeoutMs: 1000 });
    acc.append('t', 0, record('old'), noop, 0, false);
    acc.append('t', 1, record('new'), noop, 500, false);
    expect(acc.expiredBatches(999)).toEqual([]);
    expect(acc.expiredBatches(1000).map((batch) => batch.partition)).toEqual([0]);
    expect(acc.queuedBatches('t', 1)).toHaveLength(1);
    expect(acc.nextExpiryMs()).toBe(1500);
  });

  test('with max.in.flight=1 a partition is muted while its batch is in flight', () => {
    const acc = accumulator({ batchSize: 1, lingerMs: 0, guaranteeMessageOrder: true });
    acc.append('t', 0, record('a'), noop, 0, false);
    acc.append('t', 0, record('b'), noop, 0, false);
    expect(acc.drain('b1', leaders({ 0: 'b1' }), null, 0)).toHaveLength(1);
    expect(acc.drain('b1', leaders({ 0: 'b1' }), null, 0)).toHaveLength(0);
    acc.unmutePartition('t-0');
    expect(acc.drain('b1', leaders({ 0: 'b1' }), null, 0)).toHaveLength(1);
  });
});
