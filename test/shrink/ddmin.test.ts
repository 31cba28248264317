/**
 * Delta debugging: ddmin returns a 1-minimal sublist on which the test still fails, in the input's
 * order, and never calls the test twice for the same sublist.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { ddmin } from '../../sim/shrink/ddmin.js';

describe('ddmin', () => {
  test('finds exactly the elements a failure needs, wherever they are', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.uniqueArray(fc.nat(39), { minLength: 1, maxLength: 4 }), (length, needed) => {
        const items = Array.from({ length }, (_, i) => i);
        const inList = needed.filter((i) => i < length);
        fc.pre(inList.length > 0);
        const seen = new Set<string>();
        const result = ddmin(items, (candidate) => {
          const key = candidate.join(',');
          expect(seen.has(key)).toBe(false);
          seen.add(key);
          return inList.every((i) => candidate.includes(i));
        });
        expect(result).toEqual([...inList].sort((a, b) => a - b));
      }),
    );
  });

  test('a failure that needs nothing shrinks to nothing', () => {
    expect(ddmin([1, 2, 3], () => true)).toEqual([]);
  });

  test('a failure that needs everything keeps everything', () => {
    expect(ddmin([1, 2, 3, 4, 5], (candidate) => candidate.length === 5)).toEqual([1, 2, 3, 4, 5]);
  });

  test('the result is 1-minimal: removing any one element passes', () => {
    // Fails when the sum reaches 10: many minimal answers, each must be 1-minimal.
    const items = [3, 1, 4, 1, 5, 9, 2, 6];
    const fails = (candidate: readonly number[]) => candidate.reduce((a, b) => a + b, 0) >= 10;
    const result = ddmin(items, fails);
    expect(fails(result)).toBe(true);
    result.forEach((_, i) => expect(fails(result.filter((__, j) => j !== i))).toBe(false));
  });
});
