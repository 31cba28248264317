/**
 * The bench's targets are judged from figures of one run: each verdict says met exactly when its
 * figure is on the right side of its bound, and a figure that was not measured gives no verdict.
 * (The figures themselves are measured by `ksim bench`, never timed in a test.)
 */
import { describe, expect, test } from 'vitest';
import { judgeTargets, type TargetInputs } from '../../sim/benchTargets.js';

const MINUTES = { short: 10, long: 60 };

const PASSING: TargetInputs = {
  eventLoopEventsPerSecond: 1_000_000,
  kafkaSwarmEventsPerSecond: 300_000,
  kafkaBasicSimSecondsPerWallSecond: 500,
  longRunShortEventsPerSecond: 100_000,
  longRunLongEventsPerSecond: 80_000,
  longRunPeakRssBytes: 999_999_999,
  exploreSeedsPerMinute: 600,
  startupMs: 299,
};

describe('bench targets', () => {
  test('figures on the bounds meet every target', () => {
    const verdicts = judgeTargets(PASSING, MINUTES);
    expect(verdicts).toHaveLength(6);
    expect(verdicts.filter((verdict) => !verdict.met)).toEqual([]);
  });

  test('each figure just past its bound fails its own target and no other', () => {
    const past: Array<[keyof TargetInputs, number, string]> = [
      ['kafkaSwarmEventsPerSecond', 299_999, 'kafka-swarm events/s ÷ event-loop events/s'],
      ['kafkaBasicSimSecondsPerWallSecond', 499.9, 'kafka-basic, simulated ÷ wall time'],
      ['longRunPeakRssBytes', 1_000_000_000, 'kafka-basic for 60 simulated min, peak RSS'],
      ['longRunLongEventsPerSecond', 79_999, 'kafka-basic events/s, 60 min ÷ 10 min'],
      ['exploreSeedsPerMinute', 599, 'explore kafka-swarm, 2 workers'],
      ['startupMs', 300, 'startup, process start to first event'],
    ];
    for (const [field, value, name] of past) {
      const failed = judgeTargets({ ...PASSING, [field]: value }, MINUTES).filter((verdict) => !verdict.met);
      expect(failed.map((verdict) => verdict.name), field).toEqual([name]);
    }
  });

  test('a target whose figures were not measured gives no verdict', () => {
    expect(judgeTargets({ startupMs: 120 }, MINUTES)).toEqual([
      { name: 'startup, process start to first event', measured: '120 ms', required: '< 300 ms', met: true },
    ]);
    expect(judgeTargets({}, MINUTES)).toEqual([]);
  });
});
