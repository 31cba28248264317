/**
 * The speed targets `ksim bench` judges its figures against (issue 11), each computed from figures
 * measured in the same bench run — as ratios where it can, since wall-clock figures move with the
 * machine and its load while ratios of figures taken side by side move far less.
 *
 * - kafka-swarm events/s at least 0.30 of the bare event loop's;
 * - the default cluster (kafka-basic, its scenario as written) at 500x real time or faster;
 * - one simulated hour of kafka-basic in under 1 GB of peak RSS, and its events/s at least 0.8 of
 *   the events/s of ten simulated minutes (the cost of a run grows linearly with its length);
 * - `ksim explore kafka-swarm --workers 2` at 600 seeds/min or more (on a 2-core machine);
 * - startup, process start to the first event of `ksim run kafka-basic`, under 0.3 s.
 *
 * Judging is pure: figures in, verdicts out. A figure that was not measured gives no verdict.
 */

/** What the targets read from a bench run. */
export interface TargetInputs {
  eventLoopEventsPerSecond?: number;
  kafkaSwarmEventsPerSecond?: number;
  kafkaBasicSimSecondsPerWallSecond?: number;
  longRunShortEventsPerSecond?: number;
  longRunLongEventsPerSecond?: number;
  longRunPeakRssBytes?: number;
  exploreSeedsPerMinute?: number;
  startupMs?: number;
}

export interface TargetVerdict {
  name: string;
  /** The measured figure, as printed. */
  measured: string;
  /** What it must be, as printed. */
  required: string;
  met: boolean;
}

export const KAFKA_SWARM_TO_EVENT_LOOP_MIN = 0.3;
export const KAFKA_BASIC_REAL_TIME_FACTOR_MIN = 500;
export const LONG_RUN_PEAK_RSS_BYTES_MAX = 1_000_000_000;
export const LONG_RUN_EVENTS_PER_SECOND_RATIO_MIN = 0.8;
export const EXPLORE_SEEDS_PER_MINUTE_MIN = 600;
export const STARTUP_MS_MAX = 300;

/** One verdict per target whose figures were measured, in the order of the list above. */
export function judgeTargets(inputs: TargetInputs, longRunMinutes: { short: number; long: number }): TargetVerdict[] {
  const verdicts: TargetVerdict[] = [];
  const { eventLoopEventsPerSecond: loop, kafkaSwarmEventsPerSecond: swarm } = inputs;
  if (loop !== undefined && swarm !== undefined && loop > 0) {
    const ratio = swarm / loop;
    verdicts.push({ name: 'kafka-swarm events/s ÷ event-loop events/s', measured: ratio.toFixed(3), required: `≥ ${KAFKA_SWARM_TO_EVENT_LOOP_MIN}`, met: ratio >= KAFKA_SWARM_TO_EVENT_LOOP_MIN });
  }
  const factor = inputs.kafkaBasicSimSecondsPerWallSecond;
  if (factor !== undefined) {
    verdicts.push({ name: 'kafka-basic, simulated ÷ wall time', measured: `${factor.toFixed(1)}x`, required: `≥ ${KAFKA_BASIC_REAL_TIME_FACTOR_MIN}x`, met: factor >= KAFKA_BASIC_REAL_TIME_FACTOR_MIN });
  }
  const rss = inputs.longRunPeakRssBytes;
  if (rss !== undefined) {
    verdicts.push({
      name: `kafka-basic for ${longRunMinutes.long} simulated min, peak RSS`,
      measured: `${Math.round(rss / 1_000_000)} MB`,
      required: `< ${LONG_RUN_PEAK_RSS_BYTES_MAX / 1_000_000} MB`,
      met: rss < LONG_RUN_PEAK_RSS_BYTES_MAX,
    });
  }
  const { longRunShortEventsPerSecond: short, longRunLongEventsPerSecond: long } = inputs;
  if (short !== undefined && long !== undefined && short > 0) {
    const ratio = long / short;
    verdicts.push({
      name: `kafka-basic events/s, ${longRunMinutes.long} min ÷ ${longRunMinutes.short} min`,
      measured: ratio.toFixed(3),
      required: `≥ ${LONG_RUN_EVENTS_PER_SECOND_RATIO_MIN}`,
      met: ratio >= LONG_RUN_EVENTS_PER_SECOND_RATIO_MIN,
    });
  }
  const seedsPerMinute = inputs.exploreSeedsPerMinute;
  if (seedsPerMinute !== undefined) {
    verdicts.push({ name: 'explore kafka-swarm, 2 workers', measured: `${Math.round(seedsPerMinute)} seeds/min`, required: `≥ ${EXPLORE_SEEDS_PER_MINUTE_MIN} seeds/min`, met: seedsPerMinute >= EXPLORE_SEEDS_PER_MINUTE_MIN });
  }
  const startupMs = inputs.startupMs;
  if (startupMs !== undefined) {
    verdicts.push({ name: 'startup, process start to first event', measured: `${Math.round(startupMs)} ms`, required: `< ${STARTUP_MS_MAX} ms`, met: startupMs < STARTUP_MS_MAX });
  }
  return verdicts;
}
