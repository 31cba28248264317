/**
 * Which transaction holds a partition's last stable offset (sim/systems/kafka/hangingTransactions.ts),
 * and the excuse only a loss of that transaction's own __transaction_state partition gives.
 */
import { describe, expect, test } from 'vitest';
import type { TraceEvent } from '../../src/host.js';
import { HangingTransactions } from '../../sim/systems/kafka/hangingTransactions.js';

const append = (baseOffset: number, lastOffset: number, producerId: number): TraceEvent => ({ type: 'partition.append', topic: 'events', partition: 2, role: 'leader', baseOffset, lastOffset, epoch: 2, transactional: true, producerId, producerEpoch: 28, values: [] });
const state = (producerId: number, transactionalId: string): TraceEvent => ({ type: 'txn.state', transactionalId, producerId, producerEpoch: 0, state: 'Ongoing', partitions: [] });
const read = (lastStableOffset: number, highWatermark: number): TraceEvent => ({ type: 'partition.read', topic: 'events', partition: 2, leaderEpoch: 3, fetchOffset: lastStableOffset, endOffset: lastStableOffset, highWatermark, isolationLevel: 'read_committed', lastStableOffset });

function tracker(events: TraceEvent[]): HangingTransactions {
  const hanging = new HangingTransactions();
  events.forEach((event, atMs) => hanging.observe({ atMs, node: 'b2', incarnation: 1, event }));
  return hanging;
}

describe('HangingTransactions', () => {
  const lostTxnP1 = (transactionalId: string) => (transactionalId === 'txn-p1' ? ['b3 lost __transaction_state-4 below offset 40 at 9000 ms'] : []);

  test('the producer at the last stable offset, named with its transactional id', () => {
    const hanging = tracker([state(0, 'txn-p1'), state(2001, 'txn-p2'), append(66, 66, 2001), append(67, 67, 0), read(67, 346)]);
    expect(hanging.holderOf('events-2')).toEqual({ lastStableOffset: 67, producerId: 0, transactionalId: 'txn-p1' });
    expect(hanging.excuse('events-2', lostTxnP1)).toContain('held by producer 0 (txn-p1)');
  });

  test('no excuse when the holder\'s own coordinator partition lost nothing, or when the read reached the high watermark', () => {
    expect(tracker([state(2001, 'txn-p2'), append(67, 67, 2001), read(67, 346)]).excuse('events-2', lostTxnP1)).toBeNull();
    expect(tracker([state(0, 'txn-p1'), append(67, 67, 0), read(67, 346), read(346, 346)]).excuse('events-2', lostTxnP1)).toBeNull();
    expect(tracker([state(0, 'txn-p1'), append(67, 67, 0), read(67, 346)]).excuse('events-1', lostTxnP1)).toBeNull();
  });
});
