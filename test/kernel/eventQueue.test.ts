/** The event queue: events pop in (time, insertion) order, whatever order they were pushed in. */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { EventQueue } from '../../sim/eventQueue.js';

describe('EventQueue', () => {
  test('pops by time, and equal times in insertion order (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 50 }), { maxLength: 300 }), (times) => {
        const queue = new EventQueue<number>();
        times.forEach((atMs, index) => queue.push(atMs, index));
        const popped: Array<[number, number]> = [];
        for (let item = queue.pop(); item !== undefined; item = queue.pop()) popped.push([item.atMs, item.event]);
        const expected = times.map((atMs, index): [number, number] => [atMs, index]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        expect(popped).toEqual(expected);
      }),
    );
  });

  test('interleaved pushes and pops never yield an event earlier than one already popped (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.nat({ max: 20 }), fc.constant(-1)), { maxLength: 300 }), (ops) => {
        const queue = new EventQueue<string>();
        let nowMs = 0;
        for (const op of ops) {
          if (op >= 0) queue.push(nowMs + op, 'e');
          else {
            const item = queue.pop();
            if (item !== undefined) {
              expect(item.atMs).toBeGreaterThanOrEqual(nowMs);
              nowMs = item.atMs;
            }
          }
        }
      }),
    );
  });

  test('refuses a non-integer time', () => {
    expect(() => new EventQueue<number>().push(1.5, 1)).toThrow(/not an integer/);
  });
});
