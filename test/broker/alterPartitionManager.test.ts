/**
 * The AlterPartitionManager and the partition together: what a leader does with each outcome of an
 * ISR proposal. An outcome that does not say whether the change was written (NOT_CONTROLLER, a
 * timeout) keeps the proposal pending and sends it again (KAFKA-14010); only INELIGIBLE_REPLICA drops
 * it (KIP-841); refusals based on the controller's own state wait for the metadata log.
 */
import { describe, expect, test } from 'vitest';
import type { Host, NodeId, TimerId } from '../../src/host.js';
import { AlterPartitionManager } from '../../src/broker/alterPartitionManager.js';
import { DEFAULT_LEGACY_SWITCHES } from '../../src/broker/config.js';
import { Partition } from '../../src/broker/partition.js';
import { Timers } from '../../src/broker/timers.js';
import { DEFAULT_LOG_CONFIG } from '../../src/log/config.js';
import { UnifiedLog } from '../../src/log/unifiedLog.js';
import type { PartitionRegistration } from '../../src/metadata/types.js';
import type { AlterPartitionRequest, AlterPartitionResponse, FetchPartition } from '../../src/protocol/apis.js';
import type { KafkaErrorCode } from '../../src/protocol/errors.js';
import { TestDisk } from '../support/testDisk.js';
import { partitionOn } from './brokerParts.js';

/** b1 leads t-0 with ISR b1,b2; b3 catches up and is proposed. The test plays the controller and the clock. */
function rig() {
  const sent: AlterPartitionRequest[] = [];
  const timers = new Map<TimerId, { tag: string; delayMs: number }>();
  let nextTimerId = 1;
  let correlationId = 1;
  const host = {
    nodeId: 'b1',
    nowMs: () => 0,
    send: (_to: NodeId, message: unknown) => sent.push(message as AlterPartitionRequest),
    setTimer: (delayMs: number, tag: string): TimerId => {
      const id = nextTimerId++;
      timers.set(id, { tag, delayMs });
      return id;
    },
    cancelTimer: (id: TimerId) => timers.delete(id),
  } as unknown as Host<unknown>;
  const brokerTimers = new Timers(host);
  const manager = new AlterPartitionManager(host, brokerTimers, { nextCorrelationId: () => correlationId++, activeController: () => 'c1', brokerEpoch: () => 5 });
  const log = UnifiedLog.load(new TestDisk(), 't-0', DEFAULT_LOG_CONFIG, 0);
  const partition = new Partition('t', 0, 'b1', log, { minInsyncReplicas: 2, replicaLagTimeMaxMs: 30_000, legacy: DEFAULT_LEGACY_SWITCHES }, {
    nowMs: () => 0,
    trace: () => {},
    isReplicaIsrEligible: () => true,
    onStorageError: (reason) => {
      throw new Error(reason);
    },
    sendAlterPartition: (p, proposal) => manager.submit(p, proposal, () => {}),
  });
  partition.applyRegistration(registration(['b1', 'b2'], 0));
  partition.appendRecordsToLeader([{ key: null, value: 'a', timestampMs: 0 }], null, -1, 0);
  partition.fetchAsLeaderForFollower('b2', 7, fetchAt(1), 1 << 20, 0);
  partition.fetchAsLeaderForFollower('b3', 7, fetchAt(1), 1 << 20, 0);
  partition.appendRecordsToLeader([{ key: null, value: 'b', timestampMs: 0 }], null, -1, 0);
  const answer = (errorCode: KafkaErrorCode, partitionError: KafkaErrorCode = 'NONE', isr: NodeId[] = []) => {
    const request = sent.at(-1)!;
    const response: AlterPartitionResponse = {
      api: 'AlterPartitionResponse',
      correlationId: request.correlationId,
      errorCode,
      topics: errorCode !== 'NONE' ? [] : [{ topicName: 't', partitions: [{ partitionIndex: 0, errorCode: partitionError, leaderId: 'b1', leaderEpoch: 0, isr, partitionEpoch: partitionError === 'NONE' ? 1 : -1 }] }],
    };
    manager.handleAlterPartitionResponse(response);
  };
  /** Fires every timer whose tag starts with `prefix`, as the world would once its delay passed. */
  const fire = (prefix: string) => {
    for (const [id, timer] of [...timers.entries()]) {
      if (!timer.tag.startsWith(prefix)) continue;
      timers.delete(id);
      brokerTimers.fire(id);
    }
  };
  return { partition, sent, timers, answer, fire };
}

/** t-0 led by b1 in leader epoch 0, as the metadata log carries it at `partitionEpoch`. */
const registration = (isr: NodeId[], partitionEpoch: number): PartitionRegistration => partitionOn('t', 0, 'b1', 0, { isr, partitionEpoch });

const fetchAt = (fetchOffset: number): FetchPartition => ({ partition: 0, currentLeaderEpoch: 0, fetchOffset, lastFetchedEpoch: -1, logStartOffset: 0, partitionMaxBytes: 1 << 20 });

const proposedIsr = (request: AlterPartitionRequest | undefined) => request?.topics[0]?.partitions[0]?.newIsrWithEpochs.map((member) => member.brokerId);

describe('an AlterPartition whose outcome is unknown', () => {
  test('NOT_CONTROLLER keeps the expansion pending: the high watermark does not pass the joiner, and the proposal goes out again', () => {
    const { partition, sent, answer, fire } = rig();
    expect(proposedIsr(sent[0])).toEqual(['b1', 'b2', 'b3']);
    answer('NOT_CONTROLLER');
    expect(partition.maximalIsr).toEqual(['b1', 'b2', 'b3']);
    // b2 holds both records; b3 only the first. Dropping the proposal here would commit offset 1.
    partition.fetchAsLeaderForFollower('b2', 7, fetchAt(2), 1 << 20, 0);
    expect(partition.highWatermark).toBe(1);
    fire('broker.alter-partition-retry/');
    expect(sent.map(proposedIsr)).toEqual([['b1', 'b2', 'b3'], ['b1', 'b2', 'b3']]);
    expect(sent[1]!.topics[0]!.partitions[0]!.partitionEpoch).toBe(0);
  });

  test('the old controller\'s change, committed by the next one, reaches the leader through the metadata log and ends the retries', () => {
    const { partition, sent, answer, fire } = rig();
    answer('NOT_CONTROLLER');
    partition.applyRegistration(registration(['b1', 'b2', 'b3'], 1));
    expect(partition.proposedIsr).toBeNull();
    expect(partition.isr).toEqual(['b1', 'b2', 'b3']);
    fire('broker.alter-partition-retry/');
    expect(sent).toHaveLength(1);
  });

  test('a request that times out is sent again', () => {
    const { partition, sent, fire } = rig();
    fire('broker.alter-partition/');
    expect(partition.proposedIsr).toEqual(['b1', 'b2', 'b3']);
    fire('broker.alter-partition-retry/');
    expect(sent).toHaveLength(2);
  });
});

describe('an AlterPartition the controller refused', () => {
  test('INELIGIBLE_REPLICA: not applied under any controller (KIP-841), so the proposal is dropped and not sent again', () => {
    const { partition, sent, answer, fire } = rig();
    answer('NONE', 'INELIGIBLE_REPLICA');
    expect(partition.proposedIsr).toBeNull();
    fire('broker.alter-partition-retry/');
    expect(sent).toHaveLength(1);
  });

  test('INVALID_UPDATE_VERSION: the controller holds a newer partition epoch; the proposal waits for the metadata log, unsent', () => {
    const { partition, sent, answer, fire } = rig();
    answer('NONE', 'INVALID_UPDATE_VERSION');
    expect(partition.proposedIsr).toEqual(['b1', 'b2', 'b3']);
    fire('broker.alter-partition-retry/');
    expect(sent).toHaveLength(1);
    partition.applyRegistration(registration(['b1', 'b2'], 1));
    expect(partition.proposedIsr).toBeNull();
  });

  test('success commits the proposal, and an answer about a proposal the metadata log already settled is ignored', () => {
    const { partition, answer } = rig();
    answer('NONE', 'NONE', ['b1', 'b2', 'b3']);
    expect(partition.isr).toEqual(['b1', 'b2', 'b3']);
    expect(partition.proposedIsr).toBeNull();
    const late = rig();
    late.partition.applyRegistration(registration(['b1', 'b2'], 1));
    late.answer('NONE', 'NONE', ['b1', 'b2', 'b3']);
    expect(late.partition.isr).toEqual(['b1', 'b2']);
  });
});
