/**
 * PauseLedger: when each node was paused, so that a checker can measure a node's running time —
 * the time its timers count (a paused process runs nothing, its timers included; sim/faults/pause.ts).
 * Checkers that hold a node to a timeout (CheckQuorum, NoDisruptiveElection) measure in it.
 */
import type { NodeId } from '../../src/host.js';

export class PauseLedger {
  private readonly pauses = new Map<NodeId, Array<readonly [number, number]>>();

  onPaused(node: NodeId, atMs: number, durationMs: number): void {
    const pauses = this.pauses.get(node) ?? [];
    pauses.push([atMs, atMs + durationMs]);
    this.pauses.set(node, pauses);
  }

  /** Simulated time in [fromMs, toMs) during which `node` was not paused (overlapping pauses counted once). */
  runningMs(node: NodeId, fromMs: number, toMs: number): number {
    const pauses = (this.pauses.get(node) ?? [])
      .map(([start, end]) => [Math.max(start, fromMs), Math.min(end, toMs)] as const)
      .filter(([start, end]) => end > start)
      .sort((a, b) => a[0] - b[0]);
    let paused = 0;
    let coveredTo = fromMs;
    for (const [start, end] of pauses) {
      const from = Math.max(start, coveredTo);
      if (end > from) paused += end - from;
      coveredTo = Math.max(coveredTo, end);
    }
    return toMs - fromMs - paused;
  }
}
