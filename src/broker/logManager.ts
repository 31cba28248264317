/**
 * LogManager: the broker's partition logs on its disk — loading (recovering) each one when its
 * partition first appears, resolving each topic's LogConfig (the topic's overrides, else the
 * broker's defaults, as Kafka's LogConfig.fromProps), routing fsync completions to the log
 * that issued them, and the periodic maintenance every log needs: the flush policy (flush.messages,
 * flush.ms) and retention (retention.ms, retention.bytes).
 *
 * Timer: `broker.flush` (periodic, every LOG_MAINTENANCE_INTERVAL_MS: flush policy and retention,
 * Kafka's separate log-flusher and log-retention tasks in one).
 *
 * Left out: several log directories, stray-log deletion, the recovery-point and log-start-offset
 * checkpoints, and the log cleaner.
 */
import type { DiskCompletion, Host } from '../host.js';
import { type LogConfig, resolveLogConfig } from '../log/config.js';
import { UnifiedLog } from '../log/unifiedLog.js';
import type { KRaftMetadataCache } from './metadataCache.js';
import type { Timers } from './timers.js';

/** How often the logs' flush policy and retention are checked. */
const LOG_MAINTENANCE_INTERVAL_MS = 1_000;
const MAINTENANCE_TIMER = 'broker.flush';

export class LogManager {
  /** Keyed by `<topic>-<partition>`, the log's directory; in the order they were loaded. */
  private readonly logs = new Map<string, UnifiedLog>();

  constructor(
    private readonly host: Host<unknown>,
    private readonly timers: Timers,
    private readonly metadataCache: KRaftMetadataCache,
    /** The broker's defaults, which each topic's ConfigRecords override (config.ts defaultLogConfig). */
    private readonly defaultConfig: LogConfig,
  ) {}

  startup(): void {
    this.timers.schedulePeriodic(MAINTENANCE_TIMER, LOG_MAINTENANCE_INTERVAL_MS, () => this.maintainLogs());
  }

  /** The partition's log, loaded from disk (and recovered) the first time it is asked for. */
  getOrCreateLog(topic: string, partitionId: number, nowMs: number): UnifiedLog {
    const dir = `${topic}-${partitionId}`;
    const existing = this.logs.get(dir);
    if (existing !== undefined) return existing;
    const log = UnifiedLog.load(this.host.disk, dir, this.logConfig(topic), nowMs);
    const summary = log.loadSummary;
    this.host.trace({
      type: 'partition.recovered',
      topic,
      partition: partitionId,
      logStartOffset: summary.logStartOffset,
      logEndOffset: summary.logEndOffset,
      truncatedBytes: summary.truncatedBytes,
    });
    this.logs.set(dir, log);
    return log;
  }

  /**
   * The topic's settings as the metadata image has them now: its overrides over the broker's
   * defaults. The log, the partition and anything else that needs a topic's settings read this.
   */
  logConfig(topic: string): LogConfig {
    return resolveLogConfig(this.defaultConfig, this.metadataCache.topicConfigOverrides(topic));
  }

  /** Routes an fsync completion to the log that issued it; false when none did. */
  onFsyncComplete(completion: DiskCompletion): boolean {
    for (const log of this.logs.values()) if (log.onFsyncComplete(completion)) return true;
    return false;
  }

  private maintainLogs(): void {
    const nowMs = this.host.nowMs();
    const dirs = [...this.logs.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const dir of dirs) {
      const log = this.logs.get(dir)!;
      log.maybeFlush(nowMs);
      log.deleteOldSegments(nowMs);
    }
  }
}
