import { describe, expect, test } from 'vitest';
import { DEFAULT_LOG_CONFIG, NEVER, parseLogConfig, resolveLogConfig } from '../../src/log/config.js';

describe('LogConfig', () => {
  test('has Kafka’s defaults', () => {
    expect(DEFAULT_LOG_CONFIG).toEqual({
      segmentBytes: 1073741824,
      segmentMs: 604800000,
      retentionMs: 604800000,
      retentionBytes: -1,
      flushMessages: Number.MAX_SAFE_INTEGER,
      flushMs: Number.MAX_SAFE_INTEGER,
      indexIntervalBytes: 4096,
      maxMessageBytes: 1048588,
      minInsyncReplicas: 1,
      uncleanLeaderElectionEnable: false,
      messageTimestampType: 'CreateTime',
    });
  });

  test('parses Kafka-named keys from numbers and strings; Long.MAX_VALUE means never', () => {
    const parsed = parseLogConfig({
      'segment.bytes': '1024',
      'retention.ms': -1,
      'flush.messages': '9223372036854775807',
      'min.insync.replicas': 2,
      'unclean.leader.election.enable': 'true',
      'message.timestamp.type': 'LogAppendTime',
    });
    expect(parsed).toEqual({
      ok: true,
      config: {
        ...DEFAULT_LOG_CONFIG,
        segmentBytes: 1024,
        retentionMs: -1,
        flushMessages: NEVER,
        minInsyncReplicas: 2,
        uncleanLeaderElectionEnable: true,
        messageTimestampType: 'LogAppendTime',
      },
    });
  });

  test('reports unknown keys and values outside Kafka’s validators', () => {
    const parsed = parseLogConfig({ 'segment.bytes': 10, 'flush.messages': 0, 'retention.ms': 'soon', 'message.timestamp.type': 'Now', 'cleanup.policy': 'compact' });
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.errors).toHaveLength(5);
    expect(parsed.errors.join('\n')).toMatch(/unknown log config cleanup.policy/);
    expect(parsed.errors.join('\n')).toMatch(/segment.bytes must be an integer ≥ 14/);
  });

  test('a topic resolves as LogConfig.fromProps: its overrides, else the defaults; a bad override leaves the default', () => {
    const defaults = { ...DEFAULT_LOG_CONFIG, minInsyncReplicas: 2, segmentBytes: 4096 };
    expect(resolveLogConfig(defaults, {})).toEqual(defaults);
    expect(resolveLogConfig(defaults, { 'min.insync.replicas': '1', 'flush.messages': '1' })).toEqual({ ...defaults, minInsyncReplicas: 1, flushMessages: 1 });
    expect(resolveLogConfig(defaults, { 'min.insync.replicas': '0', 'segment.bytes': '2048', 'cleanup.policy': 'compact' })).toEqual({ ...defaults, segmentBytes: 2048 });
  });
});
