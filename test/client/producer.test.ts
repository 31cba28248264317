/**
 * The producer against scripted brokers in the simulated world (test/client/scriptedBrokers.ts): the acks=all path, retries with
 * metadata refresh, lost responses and idempotent retries, delivery timeouts, acks=0, sequence
 * numbers, KIP-360 epoch bumps and ordering with 5 requests in flight.
 */
import { describe, expect, test } from 'vitest';
import { partitionForKey } from '../../src/client/partitioner.js';
import { type ProducerTestbed, type TestProducerNode, startProducer } from './scriptedBrokers.js';

/** One acknowledged record, so the producer has its id and the topic's metadata. */
function warmUp(world: ProducerTestbed, node: TestProducerNode): void {
  const id = node.send(null, 'warm-up');
  world.runFor(100);
  expect(node.resultOf(id)).toMatchObject({ partition: 0 });
}

const valuesOf = (log: ReadonlyArray<{ value: string | null }>) => log.map((record) => record.value);

describe('Producer: the acks=all path', () => {
  test('InitProducerId first, then each record is acknowledged with baseOffset + its index', () => {
    const { world, node } = startProducer({}, {});
    const ids = ['a', 'b', 'c'].map((value) => node.send('k', value));
    world.runFor(100);
    expect(ids.map((id) => node.resultOf(id))).toEqual([
      { partition: 0, offset: 0 },
      { partition: 0, offset: 1 },
      { partition: 0, offset: 2 },
    ]);
    expect(valuesOf(world.partition(0).log)).toEqual(['a', 'b', 'c']);
    expect(world.requestsOf('InitProducerId')).toHaveLength(1);
    expect(world.tracesOf('producer.epoch')).toMatchObject([{ producerId: 1000, producerEpoch: 0 }]);
    // linger.ms=5 gathered the three records into one batch, sent once.
    expect(world.tracesOf('producer.batch')).toMatchObject([{ partition: 0, baseSequence: 0, attempt: 1, broker: 'b1' }]);
    const produce = world.requestsOf('Produce')[0]!;
    expect(produce.acks).toBe(-1);
    expect(produce.topicData[0]!.partitionData[0]!.records).toMatchObject({ producerId: 1000, producerEpoch: 0, baseSequence: 0, lastOffsetDelta: 2 });
  });

  test('keyed records go to murmur2 partitions, each with its own offsets', () => {
    const { world, node } = startProducer({ partitions: 3 }, {});
    const keys = ['k0', 'k1', 'k2', 'k3', 'k4'];
    const ids = keys.map((key) => node.send(key, `v-${key}`));
    world.runFor(100);
    keys.forEach((key, index) => {
      const result = node.resultOf(ids[index]!);
      expect(result).toMatchObject({ partition: partitionForKey(key, 3) });
      const log = world.partition(partitionForKey(key, 3)).log;
      expect(log.find((stored) => stored.value === `v-${key}`)?.offset).toBe(result && 'offset' in result ? result.offset : NaN);
    });
  });
});

describe('Producer: retries', () => {
  test('NOT_LEADER_OR_FOLLOWER refreshes metadata and retries at the new leader', () => {
    const { world, node } = startProducer({}, {});
    warmUp(world, node);
    const metadataBefore = world.requestsOf('Metadata').length;
    const batchesBefore = world.tracesOf('producer.batch').length;
    world.moveLeader(0, 'b2');
    const id = node.send(null, 'x');
    world.runFor(2000);
    expect(node.resultOf(id)).toEqual({ partition: 0, offset: 1 });
    expect(world.requestsOf('Metadata').length).toBeGreaterThan(metadataBefore);
    expect(world.tracesOf('producer.batch').slice(batchesBefore).map((event) => [event.broker, event.attempt, event.baseSequence])).toEqual([
      ['b1', 1, 1],
      ['b2', 2, 1],
    ]);
    expect(valuesOf(world.partition(0).log)).toEqual(['warm-up', 'x']);
  });

  test('a lost response times out, closes the connection, and the retry is a duplicate answered once', () => {
    const { world, node } = startProducer({ duplicateAnswer: 'DUPLICATE_SEQUENCE_NUMBER' }, { 'request.timeout.ms': 1000 });
    world.runFor(10);
    world.partition(0).loseResponsesAfterAppend = 1;
    const id = node.send(null, 'once');
    world.runFor(5000);
    // Kafka's client: DUPLICATE_SEQUENCE_NUMBER is success, with the offset unknown (-1).
    expect(node.results.filter((entry) => entry.id === id)).toHaveLength(1);
    expect(node.resultOf(id)).toEqual({ partition: 0, offset: -1 });
    expect(valuesOf(world.partition(0).log)).toEqual(['once']);
    expect(world.tracesOf('producer.batch').map((event) => event.attempt)).toEqual([1, 2]);
  });

  test('a broker that keeps batch metadata answers the retry with the original offset', () => {
    const { world, node } = startProducer({}, { 'request.timeout.ms': 1000 });
    world.runFor(10);
    node.send(null, 'first');
    world.runFor(100);
    world.partition(0).loseResponsesAfterAppend = 1;
    const id = node.send(null, 'second');
    world.runFor(5000);
    expect(node.resultOf(id)).toEqual({ partition: 0, offset: 1 });
    expect(valuesOf(world.partition(0).log)).toEqual(['first', 'second']);
  });

  test('without idempotence the same lost response writes the record twice (why idempotence exists)', () => {
    const { world, node } = startProducer({}, { 'enable.idempotence': false, 'request.timeout.ms': 1000 });
    world.runFor(10);
    world.partition(0).loseResponsesAfterAppend = 1;
    const id = node.send(null, 'twice');
    world.runFor(5000);
    expect(node.resultOf(id)).toEqual({ partition: 0, offset: 1 });
    expect(valuesOf(world.partition(0).log)).toEqual(['twice', 'twice']);
    expect(world.requestsOf('InitProducerId')).toHaveLength(0);
  });

  test('retries back off exponentially from retry.backoff.ms towards retry.backoff.max.ms', () => {
    const { world, node } = startProducer({}, {});
    world.runFor(10);
    world.partition(0).injectedErrors.push(...Array<'NOT_ENOUGH_REPLICAS'>(5).fill('NOT_ENOUGH_REPLICAS'));
    const id = node.send(null, 'v');
    world.runFor(10_000);
    expect(node.resultOf(id)).toEqual({ partition: 0, offset: 0 });
    const times = world.requests.filter((entry) => entry.request.api === 'Produce').map((entry) => entry.atMs);
    const gaps = times.slice(1).map((atMs, index) => atMs - times[index]!);
    expect(gaps).toHaveLength(5);
    // 100, 200, 400, 800, 1000 ms, each ±20% jitter, plus the round trip.
    expect(gaps[0]).toBeGreaterThanOrEqual(80);
    expect(gaps[0]).toBeLessThanOrEqual(125);
    expect(gaps[4]).toBeGreaterThanOrEqual(800);
    expect(gaps[4]).toBeLessThanOrEqual(1205);
  });
});

describe('Producer: delivery.timeout.ms', () => {
  test('a batch sent to a silent leader fails with TIMEOUT, flagged as possibly written', () => {
    const { world, node } = startProducer({}, { 'request.timeout.ms': 1000, 'delivery.timeout.ms': 3000 });
    world.runFor(10);
    world.silentBrokers.add('b1');
    const id = node.send(null, 'lost');
    world.runFor(2999);
    expect(node.resultOf(id)).toBeUndefined();
    world.runFor(100);
    expect(node.resultOf(id)).toEqual({ partition: 0, error: 'TIMEOUT', definite: false });
    expect(world.tracesOf('producer.batch').length).toBeGreaterThanOrEqual(2);
  });

  test('a batch that never left the accumulator fails with TIMEOUT, definitely unwritten', () => {
    const { world, node } = startProducer({}, { 'request.timeout.ms': 1000, 'delivery.timeout.ms': 3000 });
    warmUp(world, node);
    world.partition(0).leader = null;
    world.partition(0).leaderEpoch += 1;
    world.partition(0).injectedErrors.push('NOT_LEADER_OR_FOLLOWER');
    // The cached leader b1 answers NOT_LEADER_OR_FOLLOWER, which a deposed acks=all leader may answer
    // after its append: possibly written. Then no leader is known and nothing more is sent.
    const id = node.send(null, 'unsent');
    world.runFor(4000);
    expect(node.resultOf(id)).toEqual({ partition: 0, error: 'TIMEOUT', definite: false });
    expect(world.tracesOf('producer.batch')).toHaveLength(2);
    const neverSent = node.send(null, 'never');
    world.runFor(4000);
    expect(node.resultOf(neverSent)).toEqual({ partition: 0, error: 'TIMEOUT', definite: true });
  });
});

describe('Producer: acks=0', () => {
  test('callbacks fire when the request is sent, with offset -1, and no response is awaited', () => {
    const { world, node } = startProducer({}, { acks: 0, 'enable.idempotence': false, 'linger.ms': 0 });
    warmUp(world, node);
    const id = node.send(null, 'fire-and-forget');
    world.runFor(0);
    expect(node.resultOf(id)).toEqual({ partition: 0, offset: -1 });
    expect(world.requestsOf('Produce').map((request) => request.acks)).toEqual([0, 0]);
    world.runFor(10);
    expect(node.producer.inFlightRequestCount('b1')).toBe(0);
    expect(valuesOf(world.partition(0).log)).toEqual(['warm-up', 'fire-and-forget']);
  });
});

describe('Producer: idempotent sequences', () => {
  test('sequence numbers are continuous per partition across many batches', () => {
    const { world, node } = startProducer({ partitions: 3 }, { 'linger.ms': 2 });
    for (let n = 0; n < 60; n++) {
      node.send(`k${n % 7}`, `v${n}`);
      world.runFor(n % 3 === 0 ? 3 : 1);
    }
    world.runFor(1000);
    expect(node.results).toHaveLength(60);
    for (const state of world.partitions) {
      expect(state.log.map((stored) => stored.sequence)).toEqual(state.log.map((_, index) => index));
      expect(state.log.every((stored) => stored.producerId === 1000 && stored.producerEpoch === 0)).toBe(true);
    }
    const batches = world.tracesOf('producer.batch');
    for (let partition = 0; partition < 3; partition++) {
      const sequences = batches.filter((event) => event.partition === partition).map((event) => event.baseSequence as number);
      expect(sequences).toEqual([...sequences].sort((a, b) => a - b));
    }
  });

  test('OUT_OF_ORDER_SEQUENCE_NUMBER on the next expected batch bumps the epoch via InitProducerId and resends from 0', () => {
    const { world, node } = startProducer({}, {});
    world.runFor(10);
    world.partition(0).injectedErrors.push('OUT_OF_ORDER_SEQUENCE_NUMBER');
    const id = node.send(null, 'gap');
    world.runFor(2000);
    expect(node.resultOf(id)).toEqual({ partition: 0, offset: 0 });
    expect(world.requestsOf('InitProducerId').map((request) => [request.producerId, request.producerEpoch])).toEqual([
      [-1, -1],
      [1000, 0],
    ]);
    expect(world.tracesOf('producer.epoch').map((event) => event.producerEpoch)).toEqual([0, 1]);
    expect(world.partition(0).log).toMatchObject([{ value: 'gap', producerEpoch: 1, sequence: 0 }]);
  });

  test('an expired batch that was sent leaves its sequence unresolved; once settled with a gap, the epoch is bumped', () => {
    const { world, node } = startProducer({}, { 'request.timeout.ms': 500, 'delivery.timeout.ms': 1000 });
    warmUp(world, node);
    world.silentBrokers.add('b1');
    const lost = node.send(null, 'lost');
    world.runFor(1500);
    expect(node.resultOf(lost)).toEqual({ partition: 0, error: 'TIMEOUT', definite: false });
    world.silentBrokers.delete('b1');
    const next = node.send(null, 'next');
    world.runFor(2000);
    // Sequence 1 never landed, so sequence 2 could never be accepted: Kafka bumps and restarts at 0.
    expect(node.resultOf(next)).toEqual({ partition: 0, offset: 1 });
    expect(world.tracesOf('producer.epoch').map((event) => event.producerEpoch)).toEqual([0, 1]);
    expect(world.partition(0).log).toMatchObject([
      { value: 'warm-up', producerEpoch: 0, sequence: 0 },
      { value: 'next', producerEpoch: 1, sequence: 0 },
    ]);
  });

  test('PRODUCER_FENCED is fatal: pending sends fail, and later sends fail at once', () => {
    const { world, node } = startProducer({}, {});
    world.runFor(10);
    world.partition(0).injectedErrors.push('PRODUCER_FENCED');
    const first = node.send(null, 'a');
    world.runFor(100);
    expect(node.resultOf(first)).toEqual({ partition: 0, error: 'PRODUCER_FENCED', definite: true });
    const later = node.send(null, 'b');
    expect(node.resultOf(later)).toMatchObject({ error: 'PRODUCER_FENCED', definite: true });
    expect(world.partition(0).log).toEqual([]);
  });
});

describe('Producer: ordering with 5 requests in flight', () => {
  function fiveInFlight(config: Record<string, unknown>) {
    const { world, node } = startProducer({}, { 'batch.size': 1, 'linger.ms': 0, ...config });
    world.runFor(10);
    node.send(null, 'v0');
    world.runFor(10);
    // The first of the next five in-flight batches is rejected (nothing appended); the rest race it.
    world.partition(0).injectedErrors.push('NOT_ENOUGH_REPLICAS');
    const ids = [1, 2, 3, 4, 5].map((n) => node.send(null, `v${n}`));
    world.runFor(5000);
    return { world, node, ids };
  }

  test('idempotence: later batches never land before the failed first one', () => {
    const { world, node, ids } = fiveInFlight({});
    const firstAttempts = world.tracesOf('producer.batch').filter((event) => event.attempt === 1);
    expect(firstAttempts.map((event) => event.baseSequence)).toEqual([0, 1, 2, 3, 4, 5]);
    // v1..v5 left together: five requests in flight at once.
    expect(new Set(firstAttempts.slice(1).map((event) => event.atMs)).size).toBe(1);
    expect(valuesOf(world.partition(0).log)).toEqual(['v0', 'v1', 'v2', 'v3', 'v4', 'v5']);
    expect(ids.map((id) => node.resultOf(id))).toEqual([1, 2, 3, 4, 5].map((offset) => ({ partition: 0, offset })));
  });

  test('without idempotence the same failure reorders the log (the contrast)', () => {
    const { world } = fiveInFlight({ 'enable.idempotence': false });
    expect(valuesOf(world.partition(0).log)).toEqual(['v0', 'v2', 'v3', 'v4', 'v5', 'v1']);
  });
});
