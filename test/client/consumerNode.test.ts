/**
 * The consumer workload driver (sim/systems/kafka/consumerNode.ts) against scripted brokers: the
 * history it records — polls with their records per partition, generation, assignment and
 * positions; application commits with their outcome; the rebalance callbacks; the close — and its
 * loop of poll, processing time, commit.
 */
import { describe, expect, test } from 'vitest';
import type { StampedEvent } from '../support/cluster.js';
import { createConsumerNode } from '../../sim/systems/kafka/consumerNode.js';
import { ConsumerTestbed, TOPIC } from './consumerTestbed.js';

function driven(commit: 'auto' | 'sync' | 'async', extra: Record<string, unknown> = {}, processingMs = 10): ConsumerTestbed {
  const config = { 'group.id': 'g', 'auto.offset.reset': 'earliest', 'session.timeout.ms': 1_000, 'heartbeat.interval.ms': 100, 'enable.auto.commit': commit === 'auto', ...extra };
  return new ConsumerTestbed({ partitions: 2, consumers: [] }, [], [
    {
      id: 'g1c1',
      factory: createConsumerNode({
        bootstrapBrokers: ['b1', 'b2', 'b3'],
        config,
        workload: { topic: TOPIC, subscription: 'subscribe', partitions: 2, commit, processingMs, pollTimeoutMs: 200, stopAtMs: 2_000 },
      }),
    },
  ]);
}

const history = (bed: ConsumerTestbed): StampedEvent[] => bed.cluster.traces.filter((record) => record.node === 'g1c1').map((record) => ({ ...record.event, atMs: record.atMs, node: record.node }));
const ofType = (events: StampedEvent[], type: string, op?: string) => events.filter((event) => event.type === type && (op === undefined || event['op'] === op));

describe('ConsumerNode history', () => {
  test('polls: invoke with the member state, ok with records by partition, generation, assignment and positions', () => {
    const bed = driven('sync');
    bed.append(0, 'a', 'b');
    bed.append(1, 'c');
    bed.runFor(1_000);
    const events = history(bed);
    expect(ofType(events, 'consumer.subscribed')).toMatchObject([{ group: 'g', topics: [TOPIC], partitions: [], incarnation: 1 }]);
    const oks = ofType(events, 'op.ok', 'poll');
    const withRecords = oks.filter((event) => Object.keys(event['records'] as object).length > 0);
    const read = withRecords.flatMap((event) => Object.entries(event['records'] as Record<string, Array<[number, string]>>).flatMap(([partition, records]) => records.map(([offset, value]) => `${partition}@${offset}=${value}`)));
    expect(read.sort()).toEqual(['t-0@0=a', 't-0@1=b', 't-1@0=c']);
    expect(withRecords[0]).toMatchObject({ group: 'g', generation: 1, memberId: 'g1c1-m1', assignment: ['t-0', 't-1'] });
    const last = oks.at(-1)!;
    expect(last['positions']).toEqual({ 't-0': 2, 't-1': 1 });
    // Every invoke was completed, in order.
    const invokes = ofType(events, 'op.invoke', 'poll').map((event) => event['requestId']);
    expect(oks.map((event) => event['requestId'])).toEqual(invokes.slice(0, oks.length));
    expect(invokes[0]).toBe(1_000_000);
  });

  test('sync commits after processing: invoke with the offsets, then ok; the next poll waits for processingMs per record', () => {
    const bed = driven('sync', {}, 50);
    bed.append(0, 'a', 'b');
    bed.runFor(1_000);
    const events = history(bed);
    const commits = ofType(events, 'op.invoke', 'commit');
    expect(commits[0]).toMatchObject({ mode: 'sync', generation: 1, offsets: { 't-0': 2, 't-1': 0 } });
    expect(ofType(events, 'op.ok', 'commit')[0]!['requestId']).toBe(commits[0]!['requestId']);
    const polled = ofType(events, 'op.ok', 'poll').find((event) => Object.keys(event['records'] as object).length > 0)!;
    expect(commits[0]!.atMs - polled.atMs).toBe(100);
    expect(bed.committed.get('g')!.get(0)?.offset).toBe(2);
  });

  test('a commit the coordinator refuses is op.fail; one lost on the network would be op.info', () => {
    const bed = driven('sync');
    bed.append(0, 'a');
    bed.runFor(300);
    bed.injectedErrors.set('OffsetCommit', ['ILLEGAL_GENERATION']);
    bed.append(0, 'b');
    bed.runFor(500);
    const failed = ofType(history(bed), 'op.fail', 'commit');
    expect(failed[0]).toMatchObject({ group: 'g', error: 'ILLEGAL_GENERATION' });
  });

  test('auto-commit: no application commits, the library traces its own; rebalance callbacks and the close are events', () => {
    const bed = driven('auto', { 'auto.commit.interval.ms': 300 });
    bed.append(0, 'a');
    bed.runFor(3_000);
    const events = history(bed);
    expect(ofType(events, 'op.invoke', 'commit')).toEqual([]);
    expect(ofType(events, 'consumer.commit-sent').length).toBeGreaterThan(0);
    expect(ofType(events, 'consumer.commit-done').at(-1)).toMatchObject({ groupId: 'g', error: 'NONE', offsets: { 't-0': 1, 't-1': 0 } });
    expect(ofType(events, 'rebalance.assigned')).toMatchObject([{ group: 'g', generation: 1, partitions: ['t-0', 't-1'] }]);
    // stopAtMs 2000: the node closes its consumer, revoking and leaving.
    expect(ofType(events, 'rebalance.revoked')).toMatchObject([{ partitions: ['t-0', 't-1'] }]);
    expect(ofType(events, 'consumer.closed')).toHaveLength(1);
    expect(bed.requestsOf('LeaveGroup')).toHaveLength(1);
    expect(ofType(events, 'op.invoke', 'poll').at(-1)!.atMs).toBeLessThan(2_300);
  });
});

describe('ConsumerNode after a fatal error', () => {
  test('a poll that throws a fatal KafkaException (GROUP_ID_NOT_FOUND) ends the process, for its supervisor to restart', () => {
    const bed = driven('auto', { 'group.protocol': 'consumer', 'session.timeout.ms': undefined, 'heartbeat.interval.ms': undefined });
    bed.runFor(500);
    bed.injectedErrors.set('ConsumerGroupHeartbeat', ['GROUP_ID_NOT_FOUND']);
    bed.runFor(1_500);
    const events = history(bed);
    const failed = ofType(events, 'op.fail', 'poll');
    expect(failed.map((event) => event['error'])).toContain('GROUP_ID_NOT_FOUND');
    expect(ofType(events, 'process.halt')).toMatchObject([{ reason: 'poll threw GROUP_ID_NOT_FOUND' }]);
  });
});
