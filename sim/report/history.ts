/**
 * The client history of a run as JSON lines in Jepsen's shape, for a failing run's folder
 * (`history.jsonl`): one line per event of a client operation, in the order they happened —
 * `{"index", "type": "invoke" | "ok" | "fail" | "info", "f", "process", "time", "value"}` — where
 * `f` is the operation (`send`, `add`, ...), `process` the client node, `time` Jepsen's
 * nanoseconds (simulated here: `atMs` × 10^6, with `atMs` beside it) and `value` the fields the
 * client traced (value, partition, offset, ...). It is built from the clients' own `op.*` trace
 * events, the same ones the checker's History reads; an operation still open when the run ends
 * gets an `info` line then, as the checker counts it (its outcome is unknown).
 */
import type { RunObserver } from '../runner.js';

export interface JepsenEvent {
  index: number;
  type: 'invoke' | 'ok' | 'fail' | 'info';
  f: string;
  process: string;
  time: number;
  atMs: number;
  value: Record<string, unknown>;
}

const NANOSECONDS_PER_MS = 1_000_000;

export class JepsenHistory {
  private readonly events: JepsenEvent[] = [];
  /** Open operations by `client/requestId`: their `f`. */
  private readonly open = new Map<string, { f: string; process: string }>();
  private lastAtMs = 0;

  /** The observer to run the seed with. */
  readonly observer: RunObserver = {
    onTrace: (atMs, node, event) => this.onTrace(atMs, node, event),
  };

  private onTrace(atMs: number, node: string, event: { type: string; [field: string]: unknown }): void {
    this.lastAtMs = atMs;
    if (!event.type.startsWith('op.')) return;
    const type = event.type.slice(3);
    if (type !== 'invoke' && type !== 'ok' && type !== 'fail' && type !== 'info') return;
    const { type: _type, requestId, op, ...value } = event;
    const key = `${node}/${String(requestId)}`;
    const f = typeof op === 'string' ? op : (this.open.get(key)?.f ?? 'unknown');
    if (type === 'invoke') this.open.set(key, { f, process: node });
    else this.open.delete(key);
    this.push(type, f, node, atMs, { requestId, ...value });
  }

  private push(type: JepsenEvent['type'], f: string, process: string, atMs: number, value: Record<string, unknown>): void {
    this.events.push({ index: this.events.length, type, f, process, time: atMs * NANOSECONDS_PER_MS, atMs, value });
  }

  /** The history as JSON lines, with an `info` for each operation still open at the end. */
  jsonLines(): string {
    for (const [key, operation] of this.open) {
      const requestId = Number(key.slice(key.lastIndexOf('/') + 1));
      this.push('info', operation.f, operation.process, this.lastAtMs, { requestId, note: 'still open when the run ended: the outcome is unknown' });
    }
    this.open.clear();
    return this.events.map((event) => JSON.stringify(event)).join('\n') + (this.events.length > 0 ? '\n' : '');
  }
}
