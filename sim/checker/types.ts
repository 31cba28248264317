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

/** A fault event a verdict rests on: when it struck, which node, and what it was. */
export interface FaultCitation {
  atMs: number;
  node: string;
  /** `process-crash`, `power-loss`, `disk-loss`, `bit-flip`, `halt`, ... */
  kind: string;
}

/**
 * One excused case of an allowed anomaly: what was lost (a write, a committed offset), the contract
 * rule that allows it, and the fault events the rule rests on (none for a rule of the
 * configuration alone, such as acks=1).
 */
export interface Excuse {
  subject: string;
  rule: string;
  faults: FaultCitation[];
}

/** An anomaly that happened but that the run's contract allows (e.g. acks=1 losing a write). */
export interface AllowedAnomaly {
  anomaly: string;
  count: number;
  /** Why the contract allows it, for the report (the first reason given). */
  reason: string;
  /** Each excused case with its rule and faults, where the checker scopes its excuses. */
  excuses?: Excuse[];
}
