import { describe, expect, test } from 'vitest';
import { OffsetIndex } from '../../src/log/offsetIndex.js';

describe('OffsetIndex', () => {
  test('lookup returns the position of the greatest entry ≤ target, else 0', () => {
    const index = new OffsetIndex(4096);
    index.append(9, 100);
    index.append(19, 200);
    index.append(29, 300);
    expect(index.lookup(0)).toBe(0);
    expect(index.lookup(8)).toBe(0);
    expect(index.lookup(9)).toBe(100);
    expect(index.lookup(25)).toBe(200);
    expect(index.lookup(1000)).toBe(300);
  });

  test('entries must increase in offset and position', () => {
    const index = new OffsetIndex(0);
    index.append(10, 100);
    expect(() => index.append(10, 200)).toThrow();
    expect(() => index.append(11, 100)).toThrow();
  });

  test('indexes a batch only after more than index.interval.bytes since the last entry (LogSegment.append)', () => {
    const index = new OffsetIndex(100);
    index.onBatchAppended(0, 0, 60);
    index.onBatchAppended(1, 60, 60);
    expect(index.entryCount).toBe(0);
    index.onBatchAppended(2, 120, 60);
    expect(index.entries()).toEqual([{ offset: 2, position: 120 }]);
    index.onBatchAppended(3, 180, 60);
    expect(index.entryCount).toBe(1);
  });

  test('truncateTo removes entries at or above the offset', () => {
    const index = new OffsetIndex(0);
    index.append(9, 100);
    index.append(19, 200);
    index.truncateTo(19);
    expect(index.entries()).toEqual([{ offset: 9, position: 100 }]);
    index.truncateTo(0);
    expect(index.entryCount).toBe(0);
  });
});
