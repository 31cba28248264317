/**
 * The one module that reads the wall clock. It measures the run's own speed for `stats.wallMs`
 * and `ksim bench`; nothing it returns ever feeds the simulation (DESIGN.md §2).
 */
import { performance } from 'node:perf_hooks';

export function wallClockMs(): number {
  return performance.now();
}
