/**
 * A Jepsen-style history of client operations, collected from the clients' trace events: each
 * operation is invoked (`op.invoke`) and then completes as ok (`op.ok`), fail (`op.fail`: it
 * certainly did not take effect) or info (`op.info`: the outcome is unknown — a timeout or a broken
 * connection). An operation still open at the end of the run is info.
 */
import type { TraceRecord } from '../world.js';

export type OpOutcome = 'invoke' | 'ok' | 'fail' | 'info';

export interface Operation {
  /** The client node that ran it. */
  client: string;
  requestId: number;
  op: string;
  outcome: Exclude<OpOutcome, 'invoke'> | 'open';
  invokedAtMs: number;
  completedAtMs: number | null;
  /** The fields of the invoke and completion events (amount, value, offset, ...). */
  fields: Record<string, unknown>;
}

export class History {
  private readonly operations: Operation[] = [];
  private readonly open = new Map<string, Operation>();

  /** Feeds one trace record; returns the operation it touched, if it was an operation event. */
  observe(record: TraceRecord): Operation | undefined {
    const { type } = record.event;
    if (!type.startsWith('op.')) return undefined;
    const outcome = type.slice(3) as OpOutcome;
    const requestId = record.event['requestId'];
    if (typeof requestId !== 'number') throw new Error(`${type} from ${record.node} has no numeric requestId`);
    const key = `${record.node}/${requestId}`;
    const { type: _type, requestId: _id, ...fields } = record.event;
    if (outcome === 'invoke') {
      if (this.open.has(key)) throw new Error(`operation ${key} invoked twice`);
      const operation: Operation = {
        client: record.node,
        requestId,
        op: String(record.event['op']),
        outcome: 'open',
        invokedAtMs: record.atMs,
        completedAtMs: null,
        fields,
      };
      this.open.set(key, operation);
      this.operations.push(operation);
      return operation;
    }
    const operation = this.open.get(key);
    if (operation === undefined) throw new Error(`${type} for ${key}, which is not open`);
    this.open.delete(key);
    operation.outcome = outcome;
    operation.completedAtMs = record.atMs;
    Object.assign(operation.fields, fields);
    return operation;
  }

  /** Every operation, in invocation order; the open ones are reported as `info`. */
  all(): Operation[] {
    return this.operations.map((op) => (op.outcome === 'open' ? { ...op, outcome: 'info' as const } : op));
  }
}
