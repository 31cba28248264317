/**
 * Which marker closed a transactional record's transaction (sim/systems/kafka/lostMarkers.ts), and
 * the excuse it gives only when the loss rules allowed that very marker's loss (seed 602's shape).
 */
import { describe, expect, test } from 'vitest';
import type { TraceEvent } from '../../src/host.js';
import { LostMarkers } from '../../sim/systems/kafka/lostMarkers.js';

const data = (offset: number, value: string, producerId = 2000, role = 'leader'): TraceEvent => ({
  type: 'partition.append', topic: 'events', partition: 2, role, baseOffset: offset, lastOffset: offset, epoch: 0, values: [value], transactional: true, producerId, producerEpoch: 3,
});
const marker = (offset: number, kind: 'COMMIT' | 'ABORT', producerId = 2000, role = 'leader'): TraceEvent => ({
  type: 'partition.append', topic: 'events', partition: 2, role, baseOffset: offset, lastOffset: offset, epoch: 0, values: [null], control: true, marker: kind, producerId, producerEpoch: 4, coordinatorEpoch: 0,
});

function markers(events: TraceEvent[]): LostMarkers {
  const lostMarkers = new LostMarkers();
  for (const event of events) lostMarkers.observeAppend(event);
  return lostMarkers;
}

describe('the marker that closed a transactional record', () => {
  // Seed 602: t3's data at events-2@10 and @12, another producer's marker at @13, t3's ABORT at
  // @15; after the loss, the producer's next transaction writes a COMMIT at @14.
  const history = [data(10, 't3-0'), data(12, 't3-2'), marker(13, 'COMMIT', 1000), marker(15, 'ABORT'), marker(14, 'COMMIT')];

  test('is the first marker a leader wrote for the record\'s producer after it, at a higher offset', () => {
    expect(markers(history).closingMarker('events-2', 10, 't3-0')).toEqual({ partition: 'events-2', offset: 15, marker: 'ABORT', producerId: 2000 });
  });

  test('a follower\'s copy, another producer\'s marker, another value at the offset: no closing marker', () => {
    expect(markers([data(10, 't3-0'), marker(15, 'ABORT', 2000, 'follower')]).closingMarker('events-2', 10, 't3-0')).toBeNull();
    expect(markers([data(10, 't3-0'), marker(15, 'ABORT', 1000)]).closingMarker('events-2', 10, 't3-0')).toBeNull();
    expect(markers(history).closingMarker('events-2', 10, 'other')).toBeNull();
    // A marker written before the record does not close it.
    expect(markers([marker(15, 'ABORT'), data(10, 't3-0')]).closingMarker('events-2', 10, 't3-0')).toBeNull();
  });

  test('excuses only when the loss rules allowed the loss of that marker', () => {
    expect(markers(history).excuse('events-2', 10, 't3-0', (partition, offset) => partition === 'events-2' && offset === 15)).toContain('the ABORT marker at events-2@15');
    // Another record of the partition lost (even its data at @12) is no excuse: the marker is still there.
    expect(markers(history).excuse('events-2', 10, 't3-0', (partition, offset) => partition === 'events-2' && offset === 12)).toBeNull();
    expect(markers(history).excuse('events-2', 10, 't3-0', () => false)).toBeNull();
  });
});
