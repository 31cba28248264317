/**
 * What a checker has found so far: safety violations (the first one stops the run, so its replay
 * is as short as it can be) and the anomalies the contract allowed, counted with their reason.
 * Every system's checker keeps one; they differ in what they look for, not in how they record it.
 */
import type { World } from '../world.js';
import type { AllowedAnomaly, Excuse, Violation } from './types.js';

export class Findings {
  private readonly safety: Violation[] = [];
  private readonly allowed = new Map<string, { count: number; reason: string; excuses: Excuse[] }>();

  constructor(private readonly world: World | null) {}

  /** A broken promise: recorded, and the run stops after the current event. */
  violation(invariant: string, atMs: number, message: string, details: Record<string, unknown>): void {
    this.safety.push({ invariant, kind: 'safety', message, atMs, details });
    this.world?.stop(`${invariant}: ${message}`);
  }

  /**
   * An anomaly the contract allows; the first reason given for it is kept, and every excused case
   * given (the subject, the rule, the faults it rests on) is listed.
   */
  allow(anomaly: string, reason: string, count = 1, excuse?: Excuse): void {
    const entry = this.allowed.get(anomaly) ?? { count: 0, reason, excuses: [] };
    entry.count += count;
    if (excuse !== undefined) entry.excuses.push(excuse);
    this.allowed.set(anomaly, entry);
  }

  get hasViolations(): boolean {
    return this.safety.length > 0;
  }

  violations(): Violation[] {
    return this.safety.slice();
  }

  anomalies(): AllowedAnomaly[] {
    return [...this.allowed.entries()].map(([anomaly, { count, reason, excuses }]) => ({ anomaly, count, reason, ...(excuses.length > 0 ? { excuses } : {}) }));
  }
}
