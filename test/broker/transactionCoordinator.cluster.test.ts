/**
 * The transaction coordinator in a whole simulated cluster (three controllers, three brokers, the
 * kafka system's checker watching every replica), driven by a raw protocol client: a transaction
 * committed and aborted end to end (markers in every partition, the LSO, read_committed fetches),
 * a zombie fenced by a new InitProducerId, a transaction the coordinator aborts on timeout, KIP-890's
 * verification (part 1) and implicit adds with an epoch bump per transaction (part 2), and a
 * coordinator failover between the decision and the markers.
 */
import { describe, expect, test } from 'vitest';
import { partitionForTransactionalId } from '../../src/broker/transactionCoordinator.js';
import type { NodeId } from '../../src/host.js';
import { decodeReceivedRecords, type RecordBatch } from '../../src/log/recordBatch.js';
import type { FetchResponsePartition } from '../../src/protocol/apis.js';
import { TestCluster } from '../support/cluster.js';
import { kafkaScenario } from '../support/scenarios.js';
import { call } from './groupProbe.js';
import { probeSpec } from './groupProbe.js';

const PROBE = 'q1';
const TOPIC = 'orders';
const TXN_PARTITIONS = 3;
const PHASE_MS = 1_000_000;

function buildCluster(seed: number, transactionVersion: 1 | 2, topicConfig: Record<string, unknown> = {}, brokerConfig: Record<string, unknown> = {}): TestCluster {
  const scenario = kafkaScenario({
    cluster: { controllers: 3, brokers: 3, producers: 0 },
    config: { broker: { 'transaction.state.log.num.partitions': TXN_PARTITIONS, 'transaction.version': transactionVersion, ...brokerConfig }, topic: topicConfig },
    workload: { topic: TOPIC, partitions: 2, replicationFactor: 3 },
    durationMs: PHASE_MS,
    livenessMs: PHASE_MS,
  });
  const cluster = TestCluster.ofSystem(scenario, seed, [probeSpec(PROBE)]);
  cluster.runUntil(() => cluster.eventsOf('broker.caught-up').length >= 3, 30_000);
  cluster.runFor(2_000);
  return cluster;
}

function findCoordinator(cluster: TestCluster, transactionalId: string, broker: NodeId = 'b1'): NodeId {
  for (let attempt = 0; attempt < 200; attempt++) {
    const coordinator = call(cluster, PROBE, broker, { api: 'FindCoordinator', keyType: 1, coordinatorKeys: [transactionalId] }).coordinators[0]!;
    if (coordinator.errorCode === 'NONE') {
      const partition = partitionForTransactionalId(transactionalId, TXN_PARTITIONS);
      const loaded = cluster.eventsOf('txn.loaded', coordinator.nodeId as NodeId).some((event) => event['partition'] === partition);
      if (loaded) return coordinator.nodeId as NodeId;
    }
    cluster.runFor(200);
  }
  throw new Error('no transaction coordinator');
}

function leaderOf(cluster: TestCluster, partition: number): NodeId {
  let leader: NodeId | null = null;
  cluster.runUntil(() => {
    leader = call(cluster, PROBE, 'b1', { api: 'Metadata', topics: [TOPIC] }).topics[0]?.partitions.find((p) => p.partitionIndex === partition)?.leaderId ?? null;
    return leader !== null;
  }, 30_000);
  return leader!;
}

function initProducerId(cluster: TestCluster, coordinator: NodeId, transactionalId: string, transactionTimeoutMs = 60_000) {
  for (let attempt = 0; attempt < 50; attempt++) {
    const response = call(cluster, PROBE, coordinator, { api: 'InitProducerId', transactionalId, transactionTimeoutMs, producerId: -1, producerEpoch: -1 });
    if (response.errorCode !== 'CONCURRENT_TRANSACTIONS' && response.errorCode !== 'COORDINATOR_LOAD_IN_PROGRESS') return response;
    cluster.runFor(100);
  }
  throw new Error('InitProducerId never settled');
}

function batch(producerId: number, producerEpoch: number, baseSequence: number, values: string[]): RecordBatch {
  return {
    baseOffset: 0,
    lastOffsetDelta: values.length - 1,
    partitionLeaderEpoch: -1,
    producerId,
    producerEpoch,
    baseSequence,
    isTransactional: true,
    isControl: false,
    maxTimestampMs: 0,
    records: values.map((value) => ({ key: null, value, timestampMs: 0 })),
  };
}

function produce(cluster: TestCluster, transactionalId: string, partition: number, records: RecordBatch) {
  const response = call(cluster, PROBE, leaderOf(cluster, partition), {
    api: 'Produce',
    transactionalId,
    acks: -1,
    timeoutMs: 30_000,
    topicData: [{ name: TOPIC, partitionData: [{ index: partition, records }] }],
  });
  return response.responses[0]!.partitionResponses[0]!.errorCode;
}

function readCommitted(cluster: TestCluster, partition: number): FetchResponsePartition {
  const response = call(cluster, PROBE, leaderOf(cluster, partition), {
    api: 'Fetch',
    replicaId: -1,
    replicaEpoch: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    isolationLevel: 1,
    topics: [{ topic: TOPIC, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: 0, partitionMaxBytes: 1 << 20 }] }],
  });
  return response.responses[0]!.partitions[0]!;
}

function stateOf(cluster: TestCluster, transactionalId: string): string | undefined {
  return cluster.eventsOf('txn.state').filter((event) => event['transactionalId'] === transactionalId).at(-1)?.['state'] as string | undefined;
}

function markersIn(cluster: TestCluster, partition: number): Array<{ marker: unknown; producerEpoch: unknown }> {
  return cluster
    .eventsOf('partition.append')
    .filter((event) => event['role'] === 'leader' && event['topic'] === TOPIC && event['partition'] === partition && event['control'] === true)
    .map((event) => ({ marker: event['marker'], producerEpoch: event['producerEpoch'] }));
}

describe('the transaction coordinator in a cluster (transaction.version 1)', () => {
  test('a committed transaction: partitions added, records written, COMMIT markers everywhere, the LSO catches up', () => {
    const cluster = buildCluster(3, 1);
    const coordinator = findCoordinator(cluster, 'tx-a');
    expect(cluster.eventsOf('txn.create-transaction-state-topic').length).toBe(1);
    const init = initProducerId(cluster, coordinator, 'tx-a');
    expect(init).toMatchObject({ errorCode: 'NONE', producerEpoch: 0, transactionVersion: 1 });
    const { producerId } = init;
    const added = call(cluster, PROBE, coordinator, { api: 'AddPartitionsToTxn', transactions: [{ transactionalId: 'tx-a', producerId, producerEpoch: 0, verifyOnly: false, topics: [{ name: TOPIC, partitions: [0, 1] }] }] });
    expect(added.results[0]!.topicResults[0]!.results.map((r) => r.partitionErrorCode)).toEqual(['NONE', 'NONE']);
    expect(produce(cluster, 'tx-a', 0, batch(producerId, 0, 0, ['a0', 'a1']))).toBe('NONE');
    // Open: a read_committed consumer sees nothing of it yet.
    expect(readCommitted(cluster, 0).records.batches).toEqual([]);
    const ended = call(cluster, PROBE, coordinator, { api: 'EndTxn', transactionalId: 'tx-a', producerId, producerEpoch: 0, committed: true });
    expect(ended).toMatchObject({ errorCode: 'NONE', producerId, producerEpoch: 0 });
    cluster.runUntil(() => stateOf(cluster, 'tx-a') === 'CompleteCommit', 10_000);
    expect(markersIn(cluster, 0)).toEqual([{ marker: 'COMMIT', producerEpoch: 0 }]);
    expect(markersIn(cluster, 1)).toEqual([{ marker: 'COMMIT', producerEpoch: 0 }]);
    cluster.runUntil(() => readCommitted(cluster, 0).lastStableOffset === 3, 10_000);
    const read = readCommitted(cluster, 0);
    expect((decodeReceivedRecords(read.records) ?? []).flatMap(({ batch }) => (batch.isControl ? [] : batch.records.map((r) => r.value)))).toEqual(['a0', 'a1']);
    expect(read.abortedTransactions).toEqual([]);
    expect(cluster.violations()).toEqual([]);
  });

  test('KIP-890 part 1: a transactional write to a partition not in the transaction is INVALID_TXN_STATE', () => {
    const cluster = buildCluster(5, 1);
    const coordinator = findCoordinator(cluster, 'tx-v');
    const { producerId } = initProducerId(cluster, coordinator, 'tx-v');
    expect(produce(cluster, 'tx-v', 0, batch(producerId, 0, 0, ['stray']))).toBe('INVALID_TXN_STATE');
    expect(readCommitted(cluster, 0).lastStableOffset).toBe(readCommitted(cluster, 0).highWatermark);
  });

  /** A transaction of one batch aborted at epoch 0, then that producer's late batch at epoch 0: the produce's answer and the partition after it. */
  function lateBatchAfterAbort(verification: boolean) {
    const cluster = buildCluster(19, 1, {}, { 'transaction.partition.verification.enable': verification });
    const coordinator = findCoordinator(cluster, 'tx-h');
    const { producerId } = initProducerId(cluster, coordinator, 'tx-h');
    call(cluster, PROBE, coordinator, { api: 'AddPartitionsToTxn', transactions: [{ transactionalId: 'tx-h', producerId, producerEpoch: 0, verifyOnly: false, topics: [{ name: TOPIC, partitions: [0] }] }] });
    expect(produce(cluster, 'tx-h', 0, batch(producerId, 0, 0, ['h0']))).toBe('NONE');
    expect(call(cluster, PROBE, coordinator, { api: 'EndTxn', transactionalId: 'tx-h', producerId, producerEpoch: 0, committed: false }).errorCode).toBe('NONE');
    cluster.runUntil(() => stateOf(cluster, 'tx-h') === 'CompleteAbort', 10_000);
    expect(markersIn(cluster, 0)).toEqual([{ marker: 'ABORT', producerEpoch: 0 }]);
    // Transaction version 1 keeps the epoch across transactions: only verification can tell this batch is late.
    const late = produce(cluster, 'tx-h', 0, batch(producerId, 0, 1, ['late']));
    cluster.runFor(20_000);
    return { late, coordinatorState: stateOf(cluster, 'tx-h'), read: readCommitted(cluster, 0) };
  }

  test('KIP-890 part 1 (KAFKA-14402): a batch that arrives after its transaction’s ABORT marker is INVALID_TXN_STATE', () => {
    const { late, read } = lateBatchAfterAbort(true);
    expect(late).toBe('INVALID_TXN_STATE');
    expect(read.lastStableOffset).toBe(read.highWatermark);
  });

  test('transaction.partition.verification.enable=false: the late batch opens a transaction its coordinator never hears of, and the LSO hangs', () => {
    const { late, coordinatorState, read } = lateBatchAfterAbort(false);
    expect(late).toBe('NONE');
    expect(coordinatorState).toBe('CompleteAbort');
    // The ABORT marker is at offset 1 and the late batch at 2: the LSO stops there, below the high watermark, for good.
    expect(read.highWatermark).toBe(3);
    expect(read.lastStableOffset).toBe(2);
  });

  test('a new InitProducerId fences the zombie and aborts its open transaction; read_committed is told of the abort', () => {
    const cluster = buildCluster(7, 1);
    const coordinator = findCoordinator(cluster, 'tx-z');
    const { producerId } = initProducerId(cluster, coordinator, 'tx-z');
    call(cluster, PROBE, coordinator, { api: 'AddPartitionsToTxn', transactions: [{ transactionalId: 'tx-z', producerId, producerEpoch: 0, verifyOnly: false, topics: [{ name: TOPIC, partitions: [1] }] }] });
    expect(produce(cluster, 'tx-z', 1, batch(producerId, 0, 0, ['z0']))).toBe('NONE');
    // The new instance: its first InitProducerId fences epoch 0 and starts the abort (CONCURRENT_TRANSACTIONS until done).
    const first = call(cluster, PROBE, coordinator, { api: 'InitProducerId', transactionalId: 'tx-z', transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
    expect(first.errorCode).toBe('CONCURRENT_TRANSACTIONS');
    const second = initProducerId(cluster, coordinator, 'tx-z');
    expect(second).toMatchObject({ errorCode: 'NONE', producerId, producerEpoch: 2 });
    expect(markersIn(cluster, 1)).toEqual([{ marker: 'ABORT', producerEpoch: 1 }]);
    // The zombie: fenced at the coordinator and at the partition.
    const zombieEnd = call(cluster, PROBE, coordinator, { api: 'EndTxn', transactionalId: 'tx-z', producerId, producerEpoch: 0, committed: true });
    expect(zombieEnd.errorCode).toBe('PRODUCER_FENCED');
    expect(produce(cluster, 'tx-z', 1, batch(producerId, 0, 1, ['z1']))).toBe('INVALID_PRODUCER_EPOCH');
    cluster.runUntil(() => readCommitted(cluster, 1).lastStableOffset === readCommitted(cluster, 1).highWatermark, 10_000);
    expect(readCommitted(cluster, 1).abortedTransactions).toEqual([{ producerId, firstOffset: 0 }]);
    expect(cluster.violations()).toEqual([]);
  });

  test('a transaction open past transaction.timeout.ms is aborted by the coordinator, which fences its producer', () => {
    const cluster = buildCluster(9, 1);
    const coordinator = findCoordinator(cluster, 'tx-t');
    const { producerId } = initProducerId(cluster, coordinator, 'tx-t', 1_000);
    call(cluster, PROBE, coordinator, { api: 'AddPartitionsToTxn', transactions: [{ transactionalId: 'tx-t', producerId, producerEpoch: 0, verifyOnly: false, topics: [{ name: TOPIC, partitions: [0] }] }] });
    expect(produce(cluster, 'tx-t', 0, batch(producerId, 0, 0, ['t0']))).toBe('NONE');
    cluster.runUntil(() => stateOf(cluster, 'tx-t') === 'CompleteAbort', 30_000);
    expect(cluster.eventsOf('txn.timed-out').map((event) => event['transactionalId'])).toEqual(['tx-t']);
    const late = call(cluster, PROBE, coordinator, { api: 'EndTxn', transactionalId: 'tx-t', producerId, producerEpoch: 0, committed: true });
    expect(late.errorCode).toBe('PRODUCER_FENCED');
    expect(cluster.violations()).toEqual([]);
  });

  test('the coordinator fails over between the decision and the markers: the next one loads PrepareCommit and finishes it', () => {
    const cluster = buildCluster(13, 1);
    const coordinator = findCoordinator(cluster, 'tx-f');
    const { producerId } = initProducerId(cluster, coordinator, 'tx-f');
    call(cluster, PROBE, coordinator, { api: 'AddPartitionsToTxn', transactions: [{ transactionalId: 'tx-f', producerId, producerEpoch: 0, verifyOnly: false, topics: [{ name: TOPIC, partitions: [0, 1] }] }] });
    expect(produce(cluster, 'tx-f', 0, batch(producerId, 0, 0, ['f0']))).toBe('NONE');
    expect(call(cluster, PROBE, coordinator, { api: 'EndTxn', transactionalId: 'tx-f', producerId, producerEpoch: 0, committed: true }).errorCode).toBe('NONE');
    cluster.crash(coordinator);
    const survivor = ['b1', 'b2', 'b3'].find((broker) => broker !== coordinator)!;
    cluster.runUntil(() => stateOf(cluster, 'tx-f') === 'CompleteCommit', 60_000);
    expect(findCoordinator(cluster, 'tx-f', survivor)).not.toBe(coordinator);
    // Every partition has exactly one COMMIT: a marker the old coordinator wrote may be written again, never contradicted.
    for (const partition of [0, 1]) expect(new Set(markersIn(cluster, partition).map((m) => m.marker))).toEqual(new Set(['COMMIT']));
    expect(cluster.violations()).toEqual([]);
  });

  test('a CompleteCommit write that finds too few in-sync replicas is tried again until it is written (kafka-eos-pipeline-swarm seed 48)', () => {
    // The data topic commits with one replica; __transaction_state keeps transaction.state.log.min.isr=2.
    // The other two brokers crash as the coordinator starts writing the markers: once they are
    // fenced, the data partitions' leadership comes to the coordinator and the markers land, but its
    // __transaction_state ISR is itself alone, and the CompleteCommit write is NOT_ENOUGH_REPLICAS
    // (COORDINATOR_NOT_AVAILABLE to the coordinator).
    const cluster = buildCluster(17, 1, { 'min.insync.replicas': 1 });
    const coordinator = findCoordinator(cluster, 'tx-r');
    const { producerId } = initProducerId(cluster, coordinator, 'tx-r');
    call(cluster, PROBE, coordinator, { api: 'AddPartitionsToTxn', transactions: [{ transactionalId: 'tx-r', producerId, producerEpoch: 0, verifyOnly: false, topics: [{ name: TOPIC, partitions: [0, 1] }] }] });
    expect(produce(cluster, 'tx-r', 0, batch(producerId, 0, 0, ['r0']))).toBe('NONE');
    expect(call(cluster, PROBE, coordinator, { api: 'EndTxn', transactionalId: 'tx-r', producerId, producerEpoch: 0, committed: true }).errorCode).toBe('NONE');
    const others = ['b1', 'b2', 'b3'].filter((broker) => broker !== coordinator);
    for (const broker of others) cluster.crash(broker);
    cluster.runUntil(() => cluster.eventsOf('txn.complete-failed').length >= 2, 60_000);
    expect(new Set(cluster.eventsOf('txn.complete-failed').map((event) => event['errorCode']))).toEqual(new Set(['COORDINATOR_NOT_AVAILABLE']));
    expect(stateOf(cluster, 'tx-r')).toBe('PrepareCommit');
    // The brokers back: a retry finds the followers in sync again, and the same coordinator completes it.
    for (const broker of others) cluster.restart(broker);
    cluster.runUntil(() => stateOf(cluster, 'tx-r') === 'CompleteCommit', 120_000);
    expect(findCoordinator(cluster, 'tx-r')).toBe(coordinator);
    for (const partition of [0, 1]) expect(new Set(markersIn(cluster, partition).map((m) => m.marker))).toEqual(new Set(['COMMIT']));
    expect(cluster.violations()).toEqual([]);
  });
});

describe('the transaction coordinator in a cluster (transaction.version 2, KIP-890 part 2)', () => {
  test('a transaction with nothing in it: abort bumps the epoch through PrepareAbort and CompleteAbort, commit is INVALID_TXN_STATE (KAFKA-14563)', () => {
    const cluster = buildCluster(11, 2);
    const coordinator = findCoordinator(cluster, 'tx-e');
    const { producerId } = initProducerId(cluster, coordinator, 'tx-e');
    expect(call(cluster, PROBE, coordinator, { api: 'EndTxn', transactionalId: 'tx-e', producerId, producerEpoch: 0, committed: true }).errorCode).toBe('INVALID_TXN_STATE');
    expect(call(cluster, PROBE, coordinator, { api: 'EndTxn', transactionalId: 'tx-e', producerId, producerEpoch: 0, committed: false })).toMatchObject({ errorCode: 'NONE', producerId, producerEpoch: 1 });
    cluster.runUntil(() => stateOf(cluster, 'tx-e') === 'CompleteAbort', 10_000);
    const states = cluster.eventsOf('txn.state').filter((event) => event['transactionalId'] === 'tx-e').map((event) => event['state']);
    expect(states.slice(-2)).toEqual(['PrepareAbort', 'CompleteAbort']);
    // Its retry (the epoch before the bump) is answered again; a commit after a completed abort is refused.
    expect(call(cluster, PROBE, coordinator, { api: 'EndTxn', transactionalId: 'tx-e', producerId, producerEpoch: 0, committed: false })).toMatchObject({ errorCode: 'NONE', producerEpoch: 1 });
    expect(call(cluster, PROBE, coordinator, { api: 'EndTxn', transactionalId: 'tx-e', producerId, producerEpoch: 1, committed: true }).errorCode).toBe('INVALID_TXN_STATE');
    expect(cluster.violations()).toEqual([]);
  });

  test('transaction.partition.verification.enable=false does not apply: the first produce still goes to the coordinator, which adds the partition', () => {
    const cluster = buildCluster(3, 2, {}, { 'transaction.partition.verification.enable': false });
    const coordinator = findCoordinator(cluster, 'tx-2v');
    const { producerId } = initProducerId(cluster, coordinator, 'tx-2v');
    expect(produce(cluster, 'tx-2v', 0, batch(producerId, 0, 0, ['v0']))).toBe('NONE');
    expect(stateOf(cluster, 'tx-2v')).toBe('Ongoing');
  });

  test('a partition joins the transaction on its first produce, and every EndTxn bumps the epoch', () => {
    const cluster = buildCluster(3, 2);
    const coordinator = findCoordinator(cluster, 'tx-2');
    const init = initProducerId(cluster, coordinator, 'tx-2');
    expect(init).toMatchObject({ errorCode: 'NONE', producerEpoch: 0, transactionVersion: 2 });
    const { producerId } = init;
    expect(produce(cluster, 'tx-2', 0, batch(producerId, 0, 0, ['x0']))).toBe('NONE');
    expect(stateOf(cluster, 'tx-2')).toBe('Ongoing');
    const ended = call(cluster, PROBE, coordinator, { api: 'EndTxn', transactionalId: 'tx-2', producerId, producerEpoch: 0, committed: false });
    expect(ended).toMatchObject({ errorCode: 'NONE', producerId, producerEpoch: 1 });
    cluster.runUntil(() => stateOf(cluster, 'tx-2') === 'CompleteAbort', 10_000);
    expect(markersIn(cluster, 0)).toEqual([{ marker: 'ABORT', producerEpoch: 1 }]);
    // A retry of that EndTxn with the old epoch is recognised; the old epoch cannot write any more.
    const retried = call(cluster, PROBE, coordinator, { api: 'EndTxn', transactionalId: 'tx-2', producerId, producerEpoch: 0, committed: false });
    expect(retried).toMatchObject({ errorCode: 'NONE', producerEpoch: 1 });
    expect(produce(cluster, 'tx-2', 0, batch(producerId, 0, 1, ['late']))).toBe('INVALID_PRODUCER_EPOCH');
    // The next transaction, on the new epoch from sequence 0.
    expect(produce(cluster, 'tx-2', 0, batch(producerId, 1, 0, ['x1']))).toBe('NONE');
    expect(call(cluster, PROBE, coordinator, { api: 'EndTxn', transactionalId: 'tx-2', producerId, producerEpoch: 1, committed: true })).toMatchObject({ errorCode: 'NONE', producerEpoch: 2 });
    cluster.runUntil(() => stateOf(cluster, 'tx-2') === 'CompleteCommit', 10_000);
    cluster.runUntil(() => readCommitted(cluster, 0).lastStableOffset === readCommitted(cluster, 0).highWatermark, 10_000);
    const read = readCommitted(cluster, 0);
    expect(read.abortedTransactions).toEqual([{ producerId, firstOffset: 0 }]);
    expect(cluster.violations()).toEqual([]);
  });
});
