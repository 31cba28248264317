/**
 * The runnable producer node: its workload and the Jepsen-style history it traces
 * (op.invoke, then exactly one of op.ok / op.fail / op.info).
 */
import { describe, expect, test } from 'vitest';
import { REQUEST_ID_STRIDE, createProducerNode } from '../../sim/systems/kafka/producerNode.js';
import type { TraceEvent } from '../../src/host.js';
import { ProducerTestbed } from './scriptedBrokers.js';

function run(config: Record<string, unknown>, setup: (world: ProducerTestbed) => void, untilMs: number, stopAtMs = 1000, keys = 3): ProducerTestbed {
  const factory = createProducerNode({ bootstrapBrokers: ['b1', 'b2'], topic: 't', config, workload: { intervalMs: 20, keys, stopAtMs } });
  const world = new ProducerTestbed({ brokers: ['b1', 'b2'], topic: 't', partitions: 2 }, (host) => factory(host));
  setup(world);
  world.runUntil(untilMs);
  return world;
}

function completions(traces: readonly TraceEvent[]): Map<number, TraceEvent[]> {
  const byRequest = new Map<number, TraceEvent[]>();
  for (const event of traces) {
    if (!['op.ok', 'op.fail', 'op.info'].includes(event.type)) continue;
    const list = byRequest.get(event.requestId as number) ?? [];
    list.push(event);
    byRequest.set(event.requestId as number, list);
  }
  return byRequest;
}

describe('ProducerNode', () => {
  test('sends until stopAtMs with unique values, and every invoke completes exactly once with its offset', () => {
    const world = run({}, () => {}, 3000);
    const invokes = world.tracesOf('op.invoke');
    expect(invokes.length).toBeGreaterThan(30);
    expect(invokes.every((event) => (event.atMs as number) < 1000)).toBe(true);
    expect(new Set(invokes.map((event) => event.value)).size).toBe(invokes.length);
    expect(invokes[0]).toMatchObject({ op: 'send', requestId: REQUEST_ID_STRIDE, value: 'p1-1-0', key: 'k0' });
    const done = completions(world.traces);
    for (const invoke of invokes) {
      const events = done.get(invoke.requestId as number) ?? [];
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ type: 'op.ok', op: 'send', value: invoke.value });
      const { partition, offset } = events[0] as unknown as { partition: number; offset: number };
      expect(world.partition(partition).log[offset]?.value).toBe(invoke.value);
    }
  });

  test('a timed-out send that was sent is op.info; one that never left is op.fail', () => {
    const world = run(
      { 'request.timeout.ms': 500, 'delivery.timeout.ms': 1000 },
      (w) => {
        w.silentBrokers.add('b1');
        // Partition 1 has no leader: its records never leave the accumulator.
        w.partition(1).leader = null;
      },
      5000,
      300,
      // k3 hashes to partition 0 (led by the silent b1), k1 and k2 to the leaderless partition 1.
      4,
    );
    const events = [...completions(world.traces).values()].flat();
    expect(events.length).toBe(world.tracesOf('op.invoke').length);
    const info = events.filter((event) => event.type === 'op.info');
    const fail = events.filter((event) => event.type === 'op.fail');
    expect(info.length).toBeGreaterThan(0);
    expect(fail.length).toBeGreaterThan(0);
    expect([...info, ...fail].every((event) => event.error === 'TIMEOUT')).toBe(true);
    expect(world.tracesOf('op.ok')).toEqual([]);
  });

  test('a bad config is rejected before the run, naming the key', () => {
    expect(() => createProducerNode({ bootstrapBrokers: ['b1'], topic: 't', config: { acks: 'some' }, workload: { intervalMs: 10, keys: null, stopAtMs: 1 } })).toThrow(/acks/);
    expect(() => createProducerNode({ bootstrapBrokers: ['b1'], topic: 't', config: {}, workload: { intervalMs: 0, keys: null, stopAtMs: 1 } })).toThrow(/intervalMs/);
  });

  test('the same seed gives the same history (determinism)', () => {
    const history = () => JSON.stringify(run({}, () => {}, 2000).traces);
    expect(history()).toBe(history());
  });
});
