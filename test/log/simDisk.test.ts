/**
 * The log on the simulator's own disk (sim/disk.ts): its fsync ordering, torn writes and bit flips
 * come from a seeded stream rather than from the test, so these properties exercise the fault model
 * the runs will use.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { DEFAULT_LOG_CONFIG } from '../../src/log/config.js';
import type { RecordBatch } from '../../src/log/recordBatch.js';
import { UnifiedLog, isLogError } from '../../src/log/unifiedLog.js';
import { DEFAULT_DISK_CONFIG, type PendingFsync, SimDisk } from '../../sim/disk.js';
import { SeededRandom } from '../../sim/random.js';

const CONFIG = { ...DEFAULT_LOG_CONFIG, segmentBytes: 600 };

function world(seed: string): { disk: SimDisk; pending: PendingFsync[] } {
  const pending: PendingFsync[] = [];
  const disk = new SimDisk('b1', DEFAULT_DISK_CONFIG, new SeededRandom('disk', seed), () => 0, (fsync) => pending.push(fsync));
  return { disk, pending };
}

function everything(log: UnifiedLog): RecordBatch[] {
  return log.readBatches(log.logStartOffset, Number.MAX_SAFE_INTEGER, log.logEndOffset).batches;
}

describe('UnifiedLog on SimDisk', () => {
  test('property: after a power loss, and after a bit flip, the reloaded log is a clean prefix holding the recovery point', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 8 }), fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 30 }), fc.nat(), fc.boolean(), (seed, appends, completeSeed, flip) => {
        const { disk, pending } = world(seed);
        const log = UnifiedLog.load(disk, 't-0', { ...CONFIG, flushMessages: 2 }, 0);
        appends.forEach((count, i) => {
          const result = log.appendAsLeader(
            Array.from({ length: count }, (_, r) => ({ key: null, value: `${i}.${r}`, timestampMs: i })),
            Math.floor(i / 5),
            null,
            i,
          );
          expect(isLogError(result)).toBe(false);
        });
        const completed = pending.splice(0, completeSeed % (pending.length + 1));
        for (const fsync of completed) {
          expect(disk.completeFsync(fsync)).toBe(true);
          log.onFsyncComplete(fsync.completion);
        }
        const written = everything(log);
        const recoveryPoint = log.recoveryPoint;
        disk.powerLoss();
        const afterPowerLoss = UnifiedLog.load(disk, 't-0', CONFIG, 0);
        const survived = everything(afterPowerLoss);
        expect(survived).toEqual(written.slice(0, survived.length));
        expect(afterPowerLoss.logEndOffset).toBeGreaterThanOrEqual(recoveryPoint);
        if (!flip) return;
        disk.flushPageCache();
        disk.flipBit();
        const afterFlip = everything(UnifiedLog.load(disk, 't-0', CONFIG, 0));
        expect(afterFlip).toEqual(survived.slice(0, afterFlip.length));
      }),
      { numRuns: 100 },
    );
  });
});
