/**
 * A pipeline instance's consumer and producer share the node's one connection to each broker
 * (sim/systems/kafka/pipelineNode.ts): when one client closes it, the other's requests in flight on
 * it are lost, and that client must hear of it as of any broken connection — not wait out
 * request.timeout.ms. kafka-eos-pipeline-swarm seed 42: the consumer closed its connection to a
 * coordinator that answered NOT_COORDINATOR, the producer's Produce answer on it was dropped, and
 * the transaction outlived transaction.timeout.ms.
 */
import { describe, expect, test } from 'vitest';
import type { Disk, Host, NodeId, Random, TimerId } from '../../src/host.js';
import { createPipelineNode } from '../../sim/systems/kafka/pipelineNode.js';

class FakeHost implements Host<unknown> {
  readonly nodeId = 'e1';
  readonly incarnation = 1;
  now = 0;
  readonly sends: Array<{ to: NodeId; message: Record<string, unknown> }> = [];
  readonly disconnects: NodeId[] = [];
  readonly timers = new Map<TimerId, { atMs: number; tag: string }>();
  private nextTimerId = 1;
  readonly disk = {} as Disk;
  readonly random: Random = { nextFloat: () => 0, nextInt: (min) => min, chance: () => false, pick: (items) => items[0]! };
  nowMs(): number {
    return this.now;
  }
  send(to: NodeId, message: unknown): void {
    this.sends.push({ to, message: message as Record<string, unknown> });
  }
  disconnect(peer: NodeId): void {
    this.disconnects.push(peer);
  }
  setTimer(delayMs: number, tag: string): TimerId {
    const id = this.nextTimerId++;
    this.timers.set(id, { atMs: this.now + delayMs, tag });
    return id;
  }
  cancelTimer(id: TimerId): void {
    this.timers.delete(id);
  }
  trace(): void {}
  halt(reason: string): void {
    throw new Error(`halt: ${reason}`);
  }
}

function instance() {
  const host = new FakeHost();
  const node = createPipelineNode({
    bootstrapBrokers: ['b1'],
    consumerConfig: { 'group.id': 'pipeline' },
    producerConfig: {},
    workload: { inputTopic: 'events', outputTopic: 'output', pollTimeoutMs: 100, processingMs: 1, stopAtMs: 60_000 },
  })(host);
  node.onStart();
  return { host, node };
}

/** The producer's FindCoordinator for its transactional id (the first thing initTransactions asks), answered or not. */
function producerFindCoordinator(host: FakeHost): { to: NodeId; correlationId: number } {
  const sent = host.sends.find(({ message }) => message['api'] === 'FindCoordinator' && (message['coordinatorKeys'] as string[])[0] === 'eos-e1');
  if (sent === undefined) throw new Error('the producer asked for no transaction coordinator');
  return { to: sent.to, correlationId: sent.message['correlationId'] as number };
}

const answer = (correlationId: number) => ({ api: 'FindCoordinatorResponse', correlationId, coordinators: [{ key: 'eos-e1', nodeId: 'b1', errorCode: 'NONE', errorMessage: null }] });

/** Fires every timer due now whose tag starts with `prefix`. */
function fire(host: FakeHost, node: ReturnType<typeof instance>['node'], prefix: string): number {
  const due = [...host.timers.entries()].filter(([, timer]) => timer.atMs <= host.now && timer.tag.startsWith(prefix));
  for (const [id, timer] of due) {
    host.timers.delete(id);
    node.onTimer(timer.tag, id);
  }
  return due.length;
}

describe('a pipeline instance\'s shared connections', () => {
  test('the producer\'s answer in flight when the consumer closed the connection is given up, so the producer asks again', () => {
    const { host, node } = instance();
    const asked = producerFindCoordinator(host);
    // The consumer closes the node's connection to b1 (as its coordinator lookup does), which tells the node.
    node.onTimer(`pipeline.closed-by-consumer/${asked.to}`, host.setTimer(0, `pipeline.closed-by-consumer/${asked.to}`));
    // The answer on the closed connection, had it come, is no longer the producer's: no InitProducerId follows.
    node.onMessage(asked.to, answer(asked.correlationId), 'client');
    expect(host.sends.some(({ message }) => message['api'] === 'InitProducerId')).toBe(false);
  });

  test('without that word, the same answer would have been taken (the test can fail)', () => {
    const { host, node } = instance();
    const asked = producerFindCoordinator(host);
    node.onMessage(asked.to, answer(asked.correlationId), 'client');
    expect(host.sends.some(({ message }) => message['api'] === 'InitProducerId')).toBe(true);
  });

  test('a client that closes a connection has the node tell the other client, by a timer', () => {
    const { host, node } = instance();
    const asked = producerFindCoordinator(host);
    // The producer's request times out: it closes the connection (Kafka's NetworkClient does), and
    // the consumer is to hear of it.
    host.now = 40_000;
    fire(host, node, 'producer.');
    expect(host.disconnects).toContain(asked.to);
    expect([...host.timers.values()].map((timer) => timer.tag)).toContain(`pipeline.closed-by-producer/${asked.to}`);
    expect(fire(host, node, 'pipeline.closed-by-')).toBeGreaterThan(0);
  });
});
