/**
 * The Kafka narrator turns trace events into sentences a learner can follow: leaderships, ISR
 * changes, fencing, truncations — and keeps quiet about what would drown them (repeated metadata,
 * follower high watermarks, a high watermark moving many times a second).
 */
import { describe, expect, test } from 'vitest';
import { KafkaNarrator } from '../../sim/systems/kafka/narrator.js';

const partition = { topic: 'events', partition: 0 };

describe('the Kafka narrator', () => {
  test('tells leaderships, follower switches, ISR proposals and truncations', () => {
    const narrator = new KafkaNarrator();
    expect(narrator.onTrace(1, 'b2', { type: 'partition.leader', ...partition, leaderEpoch: 1, isr: ['b2', 'b3'], leaderEpochStartOffset: 316, highWatermark: 315 })?.text)
      .toBe('b2 LEADS events-0 in leader epoch 1 (ISR b2,b3); its epoch starts at offset 316, its high watermark is 315');
    expect(narrator.onTrace(2, 'b1', { type: 'partition.follower', ...partition, leader: 'b2', leaderEpoch: 1 })?.text).toBe('b1 follows b2 for events-0 in leader epoch 1');
    expect(narrator.onTrace(3, 'b1', { type: 'partition.truncate', ...partition, offset: 316, reason: 'diverging epoch' })).toMatchObject({ tone: 'recovery', text: 'b1 truncates events-0 at offset 316 (diverging epoch)' });
    expect(narrator.onTrace(4, 'b2', { type: 'partition.isr-proposed', ...partition, isr: ['b2', 'b3', 'b1'], reason: 'b1 reached offset 326' })?.text).toContain("make events-0's ISR b2,b3,b1 (b1 reached offset 326)");
  });

  test('tells a registration, a re-registration and a fencing apart, and each committed record once', () => {
    const narrator = new KafkaNarrator();
    const broker = (offset: number, brokerEpoch: number, fenced: boolean) =>
      narrator.onTrace(offset, 'c1', { type: 'metadata.broker', offset, brokerId: 'b1', brokerEpoch, fenced, inControlledShutdown: false })?.text ?? null;
    expect(broker(1, 1, true)).toContain('b1 registers (broker epoch 1), fenced until it catches up');
    expect(broker(2, 1, false)).toContain('unfences b1');
    expect(broker(2, 1, false)).toBeNull();
    expect(broker(5, 1, true)).toContain('FENCES b1: no heartbeat');
    expect(broker(9, 9, true)).toContain('b1 registers again (broker epoch 9): if it restarted, its old self leaves every ISR');
    const record = { type: 'metadata.partition', ...partition, leader: null, leaderEpoch: 3, isr: [], eligibleLeaderReplicas: ['b2'], leaderRecoveryState: 'RECOVERED' };
    expect(narrator.onTrace(10, 'c1', { ...record, offset: 10 })).toMatchObject({ tone: 'fault', text: 'metadata: events-0 has NO LEADER, ISR empty, eligible leader replicas b2 (leader epoch 3)' });
    expect(narrator.onTrace(10, 'c2', { ...record, offset: 10 })).toBeNull();
  });

  test('tells a leader\'s high watermark at most once a second when nothing else happens, and never a follower\'s', () => {
    const narrator = new KafkaNarrator();
    const hw = (atMs: number, role: string) => narrator.onTrace(atMs, 'b1', { type: 'partition.hw', ...partition, role, leaderEpoch: 0, highWatermark: atMs });
    expect(hw(0, 'leader')).not.toBeNull();
    expect(hw(10, 'leader')).toBeNull();
    expect(hw(20, 'follower')).toBeNull();
    expect(hw(1_000, 'leader')).not.toBeNull();
    narrator.onTrace(1_001, 'b2', { type: 'partition.follower', ...partition, leader: 'b1', leaderEpoch: 0 });
    expect(hw(1_002, 'leader')).not.toBeNull();
  });

  test('tells a transaction’s life: begin, partitions added, decision, markers, completion, LSO moves, fencing', () => {
    const narrator = new KafkaNarrator();
    const say = (atMs: number, node: string, event: { type: string; [field: string]: unknown }) => narrator.onTrace(atMs, node, event)?.text ?? null;
    const state = (state: string, partitions: unknown[]) => ({ type: 'txn.state', transactionalId: 'txn-p1', producerId: 4, producerEpoch: 2, state, previousState: null, partitions, coordinatorEpoch: 1 });
    expect(say(1, 'p1', { type: 'workload.txn-begin', txn: 'p1-t1', transactionalId: 'txn-p1' })).toBe('p1 begins transaction p1-t1 as txn-p1');
    expect(say(2, 'b1', state('Ongoing', [{ topic: 'events', partition: 0 }]))).toBe("b1 adds events-0 to txn-p1's transaction (producer 4 epoch 2)");
    expect(say(3, 'b1', state('Ongoing', [{ topic: 'events', partition: 0 }]))).toBeNull();
    expect(say(3, 'b1', state('Ongoing', [{ topic: 'events', partition: 0 }, { topic: 'events', partition: 1 }]))).toBe("b1 adds events-1 to txn-p1's transaction (producer 4 epoch 2)");
    expect(say(4, 'b1', state('PrepareCommit', [{ topic: 'events', partition: 0 }]))).toContain('records PrepareCommit for txn-p1');
    expect(say(5, 'b2', { type: 'partition.append', ...partition, role: 'leader', baseOffset: 12, lastOffset: 12, epoch: 1, values: [null], control: true, marker: 'COMMIT', producerId: 4, producerEpoch: 3, coordinatorEpoch: 1 }))
      .toBe('b2 appends a COMMIT marker to events-0 at offset 12 for producer 4 epoch 3');
    expect(say(6, 'b3', { type: 'partition.append', ...partition, role: 'follower', baseOffset: 12, lastOffset: 12, epoch: 1, values: [null], control: true, marker: 'COMMIT', producerId: 4, producerEpoch: 3 })).toBeNull();
    expect(say(7, 'b1', state('CompleteCommit', []))).toContain("completes txn-p1's transaction (CompleteCommit)");
    const read = (lastStableOffset: number) => say(8, 'b2', { type: 'partition.read', ...partition, leaderEpoch: 1, fetchOffset: 0, endOffset: 0, highWatermark: 13, isolationLevel: 'read_committed', lastStableOffset });
    expect(read(9)).toContain("events-0's last stable offset 9, below the high watermark 13");
    expect(read(9)).toBeNull();
    expect(read(13)).toContain('last stable offset 13, at the high watermark');
    expect(narrator.onTrace(9, 'b1', { type: 'txn.timed-out', transactionalId: 'txn-p2', producerId: 5, producerEpoch: 0, startedMs: 0, timeoutMs: 5000 })?.tone).toBe('fault');
    expect(say(10, 'p2', { type: 'workload.txn-end', txn: 'p2-t3', outcome: 'fenced' })).toContain('p2 is FENCED in p2-t3');
  });
});
