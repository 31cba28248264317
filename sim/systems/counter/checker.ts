/**
 * The counter's checker and its contract.
 *
 * Invariants, checked as trace events arrive:
 * - AckedValueRetained: when the primary starts serving (after a restart), its value is at least
 *   every value it has acknowledged. Below it, acknowledged adds were lost (`lost-ack`).
 * - UniqueAckedValue: no two acknowledged adds report the same resulting value; a repeat means the
 *   primary rolled back and handed the same value out twice (`inconsistent-value`).
 * History check at the end: with F the primary's final value, the sum of acknowledged amounts
 * must be ≤ F (else `lost-ack`) and F ≤ the sum of acknowledged and unknown amounts (else
 * `phantom-add`: value that no client's add can explain).
 * Liveness after the heal: the primary serves, every replica holds the primary's value durably,
 * and an add invoked after the heal is acknowledged.
 *
 * The contract: losing acknowledged adds is allowed only when the data of more than one replica
 * was destroyed (disk loss or a flipped bit), since an add is durable on a majority and recovery
 * reads every replica. Everything else is a violation.
 */
import { Findings } from '../../checker/findings.js';
import type { Violation } from '../../checker/types.js';
import { History, type Operation } from '../../checker/history.js';
import type { TraceRecord, World } from '../../world.js';
import type { SystemChecker } from '../system.js';

export interface CounterContract {
  /** Replicas whose data was destroyed during the run. */
  destroyedReplicas: Set<string>;
}

export function lostAcksAllowed(contract: CounterContract): string | null {
  return contract.destroyedReplicas.size > 1
    ? `the data of ${contract.destroyedReplicas.size} replicas (${[...contract.destroyedReplicas].sort().join(', ')}) was destroyed`
    : null;
}

/** The end-of-run history check, a pure function so tests can feed it broken histories. */
export function checkCounterHistory(operations: readonly Operation[], finalValue: number, atMs: number): Violation[] {
  const amount = (op: Operation) => Number(op.fields['amount']);
  const acked = operations.filter((op) => op.outcome === 'ok');
  const unknown = operations.filter((op) => op.outcome === 'info' || op.outcome === 'open');
  const ackedSum = acked.reduce((sum, op) => sum + amount(op), 0);
  const possibleSum = ackedSum + unknown.reduce((sum, op) => sum + amount(op), 0);
  const violations: Violation[] = [];
  if (finalValue < ackedSum) {
    violations.push({
      invariant: 'lost-ack',
      kind: 'safety',
      message: `final value ${finalValue} is below the ${ackedSum} that acknowledged adds sum to`,
      atMs,
      details: { finalValue, ackedSum, acked: acked.length },
    });
  }
  if (finalValue > possibleSum) {
    violations.push({
      invariant: 'phantom-add',
      kind: 'safety',
      message: `final value ${finalValue} exceeds the ${possibleSum} that acknowledged and unknown adds could sum to`,
      atMs,
      details: { finalValue, possibleSum },
    });
  }
  return violations;
}

export class CounterChecker implements SystemChecker {
  private readonly history = new History();
  private readonly findings: Findings;
  private maxAckedValue = 0;
  private readonly ackedValues = new Map<number, string>();
  private primaryValue = 0;
  private primaryServing = false;
  private readonly durable = new Map<string, number>();
  private healAtMs: number | null = null;
  private ackedAfterHeal = 0;

  constructor(
    private readonly primary: string,
    private readonly replicas: readonly string[],
    private readonly contract: CounterContract,
    world: World,
  ) {
    this.findings = new Findings(world);
  }

  observe(record: TraceRecord): void {
    const event = record.event;
    const operation = this.history.observe(record);
    if (operation !== undefined) {
      if (operation.outcome === 'ok') this.onAcked(operation, record.atMs);
      return;
    }
    const value = typeof event['value'] === 'number' ? event['value'] : undefined;
    switch (event.type) {
      case 'counter.recovered':
        this.durable.set(record.node, value!);
        if (record.node === this.primary) this.primaryServing = false;
        return;
      case 'counter.durable':
        this.durable.set(record.node, value!);
        if (record.node === this.primary) this.primaryValue = Math.max(this.primaryValue, value!);
        return;
      case 'counter.recovering':
        if (record.node === this.primary) this.primaryServing = false;
        return;
      case 'counter.serving':
        this.primaryServing = true;
        this.primaryValue = value!;
        if (value! < this.maxAckedValue) {
          this.report('AckedValueRetained', 'lost-ack', record.atMs, `primary ${record.node} serves value ${value} after acknowledging ${this.maxAckedValue}`, {
            node: record.node,
            value,
            maxAckedValue: this.maxAckedValue,
          });
          // From here on the checker measures against what the primary now serves.
          this.maxAckedValue = value!;
          this.ackedValues.clear();
        }
        return;
    }
  }

  private onAcked(operation: Operation, atMs: number): void {
    const value = Number(operation.fields['value']);
    const key = `${operation.client}/${operation.requestId}`;
    const earlier = this.ackedValues.get(value);
    if (earlier !== undefined) {
      this.report('UniqueAckedValue', 'inconsistent-value', atMs, `adds ${earlier} and ${key} were both acknowledged with value ${value}`, {
        value,
        first: earlier,
        second: key,
      });
    }
    this.ackedValues.set(value, key);
    this.maxAckedValue = Math.max(this.maxAckedValue, value);
    if (this.healAtMs !== null && operation.invokedAtMs >= this.healAtMs) this.ackedAfterHeal++;
  }

  /** Records an anomaly: a violation, unless the contract allows it. */
  private report(invariant: string, anomaly: string, atMs: number, message: string, details: Record<string, unknown>): void {
    const reason = anomaly === 'lost-ack' || anomaly === 'inconsistent-value' ? lostAcksAllowed(this.contract) : null;
    if (reason !== null) this.findings.allow(anomaly, reason);
    else this.findings.violation(`${invariant}/${anomaly}`, atMs, message, details);
  }

  violations(): Violation[] {
    return this.findings.violations();
  }

  onHeal(world: World): void {
    this.healAtMs = world.nowMs;
  }

  finish(world: World): ReturnType<SystemChecker['finish']> {
    const violations = this.findings.violations();
    const operations = this.history.all();
    if (violations.length === 0 && this.healAtMs !== null) {
      for (const violation of checkCounterHistory(operations, this.primaryValue, world.nowMs)) {
        if (violation.invariant === 'lost-ack' && lostAcksAllowed(this.contract) !== null) {
          this.findings.allow('lost-ack', lostAcksAllowed(this.contract)!);
        } else {
          violations.push(violation);
        }
      }
      violations.push(...this.livenessFailures(world));
    }
    const anomalies = this.findings.anomalies();
    const count = (outcome: string) => operations.filter((op) => op.outcome === outcome).length;
    return {
      violations,
      anomalies,
      summary: { finalValue: this.primaryValue, adds: operations.length, ok: count('ok'), fail: count('fail'), info: count('info') },
    };
  }

  private livenessFailures(world: World): Violation[] {
    const failures: Violation[] = [];
    const fail = (invariant: string, message: string) => failures.push({ invariant, kind: 'liveness', message, atMs: world.nowMs });
    if (!this.primaryServing) fail('liveness/primary-serving', `primary ${this.primary} is not serving at the end of the liveness phase`);
    const lagging = this.replicas.filter((id) => this.durable.get(id) !== this.primaryValue);
    if (lagging.length > 0) {
      const values = lagging.map((id) => `${id}=${this.durable.get(id) ?? 'none'}`).join(', ');
      fail('liveness/converged', `replicas did not converge on the primary's value ${this.primaryValue}: ${values}`);
    }
    if (this.ackedAfterHeal === 0) fail('liveness/progress', 'no add invoked after the heal was acknowledged');
    return failures;
  }
}
