/**
 * The counter's checks must be able to fail: each is fed a broken history or a broken stream of
 * trace events and must report the anomaly; the contract must allow exactly what it says.
 */
import { describe, expect, test } from 'vitest';
import type { TraceEvent } from '../../src/host.js';
import { History, type Operation } from '../../sim/checker/history.js';
import { CounterChecker, checkCounterHistory } from '../../sim/systems/counter/checker.js';
import { World } from '../../sim/world.js';

const op = (requestId: number, outcome: Operation['outcome'], amount: number, value?: number): Operation => ({
  client: 'c1',
  requestId,
  op: 'add',
  outcome,
  invokedAtMs: requestId,
  completedAtMs: outcome === 'open' ? null : requestId + 1,
  fields: value === undefined ? { amount } : { amount, value },
});

describe('checkCounterHistory', () => {
  test('a final value that explains every acknowledged add passes', () => {
    expect(checkCounterHistory([op(1, 'ok', 2, 2), op(2, 'info', 3), op(3, 'fail', 4)], 5, 0)).toEqual([]);
    expect(checkCounterHistory([op(1, 'ok', 2, 2), op(2, 'info', 3)], 2, 0)).toEqual([]);
  });

  test('a final value below the acknowledged sum is a lost-ack', () => {
    const violations = checkCounterHistory([op(1, 'ok', 2, 2), op(2, 'ok', 3, 5)], 2, 0);
    expect(violations.map((v) => v.invariant)).toEqual(['lost-ack']);
    expect(violations[0]!.message).toMatch(/below the 5/);
  });

  test('a final value no add can explain is a phantom-add; failed adds do not count', () => {
    const violations = checkCounterHistory([op(1, 'ok', 2, 2), op(2, 'fail', 3)], 5, 0);
    expect(violations.map((v) => v.invariant)).toEqual(['phantom-add']);
  });
});

describe('History', () => {
  const record = (node: string, atMs: number, event: TraceEvent) => ({ atMs, node, incarnation: 1, event });

  test('pairs invocations with completions; open operations end as info', () => {
    const history = new History();
    history.observe(record('c1', 1, { type: 'op.invoke', op: 'add', requestId: 1, amount: 2 }));
    history.observe(record('c1', 2, { type: 'op.invoke', op: 'add', requestId: 2, amount: 3 }));
    history.observe(record('c1', 3, { type: 'op.ok', op: 'add', requestId: 1, amount: 2, value: 2 }));
    expect(history.all().map((o) => [o.requestId, o.outcome, o.fields['value']])).toEqual([
      [1, 'ok', 2],
      [2, 'info', undefined],
    ]);
  });

  test('a completion without an invocation is a broken history, not silently ignored', () => {
    const history = new History();
    expect(() => history.observe(record('c1', 1, { type: 'op.ok', op: 'add', requestId: 9 }))).toThrow(/not open/);
  });
});

describe('CounterChecker invariants', () => {
  function feed(events: Array<[string, TraceEvent]>, destroyed: string[] = []) {
    const world = new World({ seed: 1, sizeOf: () => 1 });
    const checker = new CounterChecker('r1', ['r1', 'r2', 'r3'], { destroyedReplicas: new Set(destroyed) }, world);
    events.forEach(([node, event], atMs) => checker.observe({ atMs, node, incarnation: 1, event }));
    return { checker, world };
  }
  const acked = (requestId: number, amount: number, value: number): Array<[string, TraceEvent]> => [
    ['c1', { type: 'op.invoke', op: 'add', requestId, amount }],
    ['c1', { type: 'op.ok', op: 'add', requestId, amount, value }],
  ];

  test('AckedValueRetained fires when the primary serves less than it acknowledged, and stops the run', () => {
    const { checker, world } = feed([...acked(1, 5, 5), ['r1', { type: 'counter.serving', value: 3 }]]);
    expect(checker.violations().map((v) => v.invariant)).toEqual(['AckedValueRetained/lost-ack']);
    expect(world.stopped).toMatch(/AckedValueRetained/);
  });

  test('UniqueAckedValue fires when two adds are acknowledged with the same value', () => {
    const { checker } = feed([...acked(1, 5, 5), ...acked(2, 1, 5)]);
    expect(checker.violations().map((v) => v.invariant)).toEqual(['UniqueAckedValue/inconsistent-value']);
  });

  test('the contract allows lost acks once two replicas lost their data, and counts them', () => {
    const { checker } = feed([...acked(1, 5, 5), ['r1', { type: 'counter.serving', value: 3 }]], ['r1', 'r2']);
    expect(checker.violations()).toEqual([]);
    const world = new World({ seed: 1, sizeOf: () => 1 });
    const finished = checker.finish(world);
    expect(finished.anomalies.map((a) => a.anomaly)).toContain('lost-ack');
    expect(finished.anomalies[0]!.reason).toMatch(/2 replicas/);
  });

  test('one destroyed replica does not excuse a lost ack', () => {
    const { checker } = feed([...acked(1, 5, 5), ['r1', { type: 'counter.serving', value: 3 }]], ['r1']);
    expect(checker.violations()).toHaveLength(1);
  });

  test('liveness: replicas that never converge after the heal are reported', () => {
    const { checker, world } = feed([
      ['r1', { type: 'counter.serving', value: 0 }],
      ...acked(1, 5, 5),
      ['r1', { type: 'counter.durable', value: 5 }],
      ['r2', { type: 'counter.durable', value: 5 }],
      ['r3', { type: 'counter.durable', value: 4 }],
    ]);
    checker.onHeal(world);
    const finished = checker.finish(world);
    expect(finished.violations.map((v) => v.invariant).sort()).toEqual(['liveness/converged', 'liveness/progress']);
    expect(finished.violations.every((v) => v.kind === 'liveness')).toBe(true);
    expect(finished.violations.find((v) => v.invariant === 'liveness/converged')!.message).toMatch(/r3=4/);
  });
});
