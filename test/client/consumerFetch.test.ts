/**
 * The consumer's fetch path against scripted brokers, without a group: positions and
 * max.poll.records, the long poll, auto.offset.reset by ListOffsets (earliest, latest, none), seek,
 * pause and resume, out-of-range positions, and KIP-320's validation after a leader change, with
 * and without truncation.
 */
import { describe, expect, test } from 'vitest';
import { type ConsumerTestbed, TOPIC, type TestConsumerNode, startConsumers } from './consumerTestbed.js';

const p0 = { topic: TOPIC, partition: 0 };
const p1 = { topic: TOPIC, partition: 1 };

function assigned(config: Record<string, unknown>, partitions = 1): { bed: ConsumerTestbed; node: TestConsumerNode } {
  const bed = startConsumers({ partitions }, config);
  const node = bed.node('c1');
  return { bed, node };
}

/** Polls once and runs the world until the poll completed (or `forMs`). */
function pollOnce(bed: ConsumerTestbed, node: TestConsumerNode, timeoutMs = 1_000): void {
  const before = node.polls.length;
  node.poll(timeoutMs);
  bed.cluster.runUntil(() => node.polls.length > before, timeoutMs + 100);
}

describe('Consumer: positions and polls', () => {
  test('earliest: every record from the log start, at most max.poll.records per poll, positions advancing', () => {
    const { bed, node } = assigned({ 'auto.offset.reset': 'earliest', 'max.poll.records': 2 });
    bed.append(0, 'a', 'b', 'c');
    node.consumer.assign([p0]);
    pollOnce(bed, node);
    expect(node.values()).toEqual(['a', 'b']);
    expect(node.consumer.position(p0)).toBe(2);
    pollOnce(bed, node);
    expect(node.values()).toEqual(['a', 'b', 'c']);
    expect(node.consumer.position(p0)).toBe(3);
    expect(bed.requestsOf('ListOffsets')[0]!.topics[0]!.partitions[0]!.timestamp).toBe(-2);
  });

  test('latest: only what is appended after the reset; the poll waits for it (long poll)', () => {
    const { bed, node } = assigned({ 'auto.offset.reset': 'latest' });
    bed.append(0, 'old');
    node.consumer.assign([p0]);
    node.poll(5_000);
    bed.runFor(200);
    expect(node.polls).toHaveLength(0);
    bed.append(0, 'new');
    bed.runFor(10);
    expect(node.values()).toEqual(['new']);
    expect(node.polls[0]!.atMs).toBeLessThan(250);
    const fetch = bed.requestsOf('Fetch')[0]!;
    expect(fetch).toMatchObject({ replicaId: -1, maxWaitMs: 500, minBytes: 1 });
  });

  test('a poll with nothing to read completes empty at its timeout', () => {
    const { bed, node } = assigned({ 'auto.offset.reset': 'earliest' });
    node.consumer.assign([p0]);
    node.poll(300);
    bed.runFor(400);
    expect(node.polls).toEqual([{ atMs: 300, result: { ok: true, records: [] } }]);
  });

  test('none: a partition without a position raises NoOffsetForPartition until the application seeks', () => {
    const { bed, node } = assigned({ 'auto.offset.reset': 'none' });
    bed.append(0, 'a', 'b');
    node.consumer.assign([p0]);
    pollOnce(bed, node);
    expect(node.lastPoll()).toEqual({ ok: false, exception: { kind: 'NoOffsetForPartition', partitions: [p0] } });
    node.consumer.seek(p0, 1);
    pollOnce(bed, node);
    expect(node.values()).toEqual(['b']);
  });

  test('seekToBeginning and seekToEnd reset by ListOffsets; seek moves the position and drops what was buffered', () => {
    const { bed, node } = assigned({ 'auto.offset.reset': 'earliest' });
    bed.append(0, 'a', 'b', 'c');
    node.consumer.assign([p0]);
    pollOnce(bed, node);
    node.consumer.seekToBeginning([p0]);
    pollOnce(bed, node);
    node.consumer.seek(p0, 2);
    pollOnce(bed, node);
    expect(node.values()).toEqual(['a', 'b', 'c', 'a', 'b', 'c', 'c']);
    node.consumer.seekToEnd([p0]);
    node.poll(200);
    bed.runFor(300);
    expect(node.consumer.position(p0)).toBe(3);
    expect(node.lastPoll()).toEqual({ ok: true, records: [] });
  });

  test('a paused partition is not returned; resumed, it is', () => {
    const { bed, node } = assigned({ 'auto.offset.reset': 'earliest' }, 2);
    bed.append(0, 'a0');
    bed.append(1, 'a1');
    node.consumer.assign([p0, p1]);
    node.consumer.pause([p1]);
    pollOnce(bed, node);
    bed.runFor(100);
    expect(node.values()).toEqual(['a0']);
    node.consumer.resume([p1]);
    pollOnce(bed, node);
    expect(node.values()).toEqual(['a0', 'a1']);
  });

  test('a position outside the log is reset by auto.offset.reset, or raises OffsetOutOfRange with none', () => {
    const reset = assigned({ 'auto.offset.reset': 'earliest' });
    reset.bed.append(0, 'a', 'b');
    reset.node.consumer.assign([p0]);
    reset.node.consumer.seek(p0, 10);
    pollOnce(reset.bed, reset.node);
    expect(reset.node.values()).toEqual(['a', 'b']);
    const none = assigned({ 'auto.offset.reset': 'none' });
    none.bed.append(0, 'a');
    none.node.consumer.assign([p0]);
    none.node.consumer.seek(p0, 10);
    pollOnce(none.bed, none.node);
    expect(none.node.lastPoll()).toEqual({ ok: false, exception: { kind: 'OffsetOutOfRange', partition: p0, offset: 10 } });
  });
});

describe('Consumer: leader changes and log truncation (KIP-320)', () => {
  test('a new leader without truncation: the position is validated, then fetching goes on from it', () => {
    const { bed, node } = assigned({ 'auto.offset.reset': 'earliest', 'metadata.max.age.ms': 100 });
    bed.append(0, 'a', 'b');
    node.consumer.assign([p0]);
    pollOnce(bed, node);
    bed.moveLeader(0, 'b2');
    bed.append(0, 'c');
    pollOnce(bed, node, 2_000);
    expect(node.values()).toEqual(['a', 'b', 'c']);
    const validation = bed.requestsOf('OffsetsForLeaderEpoch');
    expect(validation).toHaveLength(1);
    expect(validation[0]!.topics[0]!.partitions[0]).toEqual({ partition: 0, currentLeaderEpoch: 1, leaderEpoch: 0 });
  });

  test('truncation below the position: with a reset policy the position moves back to where the epoch ends', () => {
    const { bed, node } = assigned({ 'auto.offset.reset': 'earliest', 'metadata.max.age.ms': 100 });
    bed.append(0, 'a', 'b', 'c');
    node.consumer.assign([p0]);
    pollOnce(bed, node);
    expect(node.consumer.position(p0)).toBe(3);
    // An unclean election: the new leader's log ends at offset 1; it writes its own records there.
    bed.moveLeader(0, 'b2', 1);
    bed.append(0, 'x', 'y');
    pollOnce(bed, node, 2_000);
    expect(node.values()).toEqual(['a', 'b', 'c', 'x', 'y']);
  });

  test('truncation below the position without a reset policy raises LogTruncation with the divergent offset', () => {
    const { bed, node } = assigned({ 'auto.offset.reset': 'none', 'metadata.max.age.ms': 100 });
    bed.append(0, 'a', 'b', 'c');
    node.consumer.assign([p0]);
    node.consumer.seek(p0, 0);
    pollOnce(bed, node);
    bed.moveLeader(0, 'b2', 1);
    pollOnce(bed, node, 2_000);
    expect(node.lastPoll()).toMatchObject({ ok: false, exception: { kind: 'LogTruncation', truncation: { partition: p0, fetchPosition: { offset: 3 }, divergentOffset: { offset: 1, leaderEpoch: 0 } } } });
  });

  test('a fetch refused with FENCED_LEADER_EPOCH refreshes metadata and goes on at the new leader', () => {
    const { bed, node } = assigned({ 'auto.offset.reset': 'earliest' });
    bed.append(0, 'a');
    node.consumer.assign([p0]);
    pollOnce(bed, node);
    const metadataBefore = bed.requestsOf('Metadata').length;
    bed.moveLeader(0, 'b1');
    bed.append(0, 'b');
    pollOnce(bed, node, 2_000);
    expect(node.values()).toEqual(['a', 'b']);
    expect(bed.requestsOf('Metadata').length).toBeGreaterThan(metadataBefore);
  });
});
