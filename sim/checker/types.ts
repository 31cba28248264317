/**
 * What checkers report. A violation is a broken promise: something the configuration's contract
 * says must never happen (kind `safety`), or a failure to converge once everything healed (kind
 * `liveness`). An anomaly the contract allows is not a violation: it is counted and reported.
 */
export interface Violation {
  /** The name of the broken invariant or history check, e.g. `SingleLeader`, `lost-write`. */
  invariant: string;
  kind: 'safety' | 'liveness';
  message: string;
  atMs: number;
  /** The nodes, records, offsets involved (JSON). */
  details?: Record<string, unknown>;
}

/** An anomaly that happened but that the run's contract allows (e.g. acks=1 losing a write). */
export interface AllowedAnomaly {
  anomaly: string;
  count: number;
  /** Why the contract allows it, for the report. */
  reason: string;
}
