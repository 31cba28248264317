/**
 * min.insync.replicas is resolved in one place (LogManager.logConfig, i.e. resolveLogConfig over
 * the broker's defaultLogConfig): a topic's own config, else the broker's default. The partition
 * reads that resolution, so acks=all and the high watermark obey the same number the log's config
 * says.
 */
import { describe, expect, test } from 'vitest';
import { defaultLogConfig, DEFAULT_BROKER_CONFIG } from '../../src/broker/config.js';
import { brokerParts, imageSnapshot, partitionOn } from './brokerParts.js';

const record = [{ key: null, value: 'v', timestampMs: 0 }];

describe('topic configs on the broker', () => {
  test('min.insync.replicas: the topic override, else the broker default; the partition obeys the resolved value', () => {
    const { publisher, replicaManager, logManager, caughtUp } = brokerParts('b1', { minInsyncReplicas: 2 });
    caughtUp.value = true;
    const ledAlone = (topic: string) => [partitionOn(topic, 0, 'b1', 1, { isr: ['b1'] })];
    publisher.handleLoadSnapshot(imageSnapshot(10, { plain: ledAlone('plain'), relaxed: ledAlone('relaxed'), malformed: ledAlone('malformed') }, {
      relaxed: { 'min.insync.replicas': '1' },
      malformed: { 'min.insync.replicas': '0' },
    }));
    expect(logManager.logConfig('plain').minInsyncReplicas).toBe(2);
    expect(logManager.logConfig('relaxed').minInsyncReplicas).toBe(1);
    expect(logManager.logConfig('malformed').minInsyncReplicas).toBe(2);
    const appendAcksAll = (topic: string) => replicaManager.getPartition(topic, 0)!.appendRecordsToLeader(record, null, -1, 0);
    expect(appendAcksAll('plain')).toEqual({ error: 'NOT_ENOUGH_REPLICAS' });
    expect(appendAcksAll('relaxed')).toMatchObject({ firstOffset: 0 });
    expect(appendAcksAll('malformed')).toEqual({ error: 'NOT_ENOUGH_REPLICAS' });
  });

  test("the broker's own min.insync.replicas is the default, whatever the cluster's log defaults say", () => {
    const config = { ...DEFAULT_BROKER_CONFIG, minInsyncReplicas: 3 };
    expect(defaultLogConfig(config, { 'min.insync.replicas': 2, 'segment.bytes': 4096 })).toMatchObject({ minInsyncReplicas: 3, segmentBytes: 4096 });
  });
});
