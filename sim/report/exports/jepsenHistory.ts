/**
 * The client history in the shape Jepsen's Kafka workload reads (`jepsen.tests.kafka`): one
 * operation map per line, `{:index i, :time nanos, :type :invoke|:ok|:info|:fail, :process p,
 * :f :send|:poll, :value [...]}`. A send is `[[:send key value]]` when invoked and
 * `[[:send key [offset value]]]` when it completes; a key is the partition number (Jepsen's keys
 * map one to one to topic-partitions). The final reader's reads become one `:poll` per partition,
 * `[[:poll {key [[offset value] ...]}]]`, so Jepsen's lost-write analysis sees what survived.
 *
 * An offset not known (a send that timed out, or offset -1 at acks=0) is nil, as Jepsen writes it; a
 * key not known (a send never acknowledged, whose partition the producer never reported) is nil too.
 * Left out: operations other than sends (the counter's adds have no Kafka shape). Processes are
 * numbered by node in the order the run lists them.
 */
import type { HeardRun } from '../html/recorder.js';

/** One Jepsen operation, as JSON (the `--history-json` form); EDN is written from the same rows. */
export interface JepsenOperation {
  index: number;
  time: number;
  type: 'invoke' | 'ok' | 'info' | 'fail';
  process: number;
  f: 'send' | 'poll';
  value: unknown[];
}

const NANOS_PER_MS = 1_000_000;

export function jepsenOperations(heard: HeardRun): JepsenOperation[] {
  const processOf = new Map(heard.nodes.map((node, index) => [node, index]));
  const timed: Array<Omit<JepsenOperation, 'index'> & { order: number }> = [];
  let order = 0;
  for (const operation of heard.operations) {
    if (operation.op !== 'send') continue;
    const process = processOf.get(operation.client) ?? -1;
    const value = operation.fields['value'] ?? null;
    const partition = typeof operation.fields['partition'] === 'number' ? operation.fields['partition'] : null;
    const offset = typeof operation.fields['offset'] === 'number' && operation.fields['offset'] >= 0 ? operation.fields['offset'] : null;
    timed.push({ order: order++, time: operation.invokedAtMs * NANOS_PER_MS, type: 'invoke', process, f: 'send', value: [['send', partition, value]] });
    if (operation.completedAtMs === null) continue;
    // Jepsen writes a send whose outcome is unknown with a nil offset, and a failed one as invoked.
    const completion = operation.outcome === 'fail' ? [['send', partition, value]] : [['send', partition, [offset, value]]];
    timed.push({ order: order++, time: operation.completedAtMs * NANOS_PER_MS, type: operation.outcome === 'open' ? 'info' : operation.outcome, process, f: 'send', value: completion });
  }
  for (const read of heard.finalReads) {
    const process = processOf.get(read.client) ?? -1;
    const time = read.atMs * NANOS_PER_MS;
    timed.push({ order: order++, time, type: 'invoke', process, f: 'poll', value: [['poll']] });
    timed.push({ order: order++, time, type: 'ok', process, f: 'poll', value: [['poll', { [read.partition]: read.records.map(([offset, value]) => [offset, value]) }]] });
  }
  timed.sort((a, b) => a.time - b.time || a.order - b.order);
  return timed.map(({ order: _order, ...operation }, index) => ({ index, ...operation }));
}

/** The history as Jepsen's history.edn: one operation map per line. */
export function jepsenHistoryEdn(heard: HeardRun): string {
  return jepsenOperations(heard).map((operation) => `${ednMap(operation)}\n`).join('');
}

/** The history as JSON lines, the same operations with keywords as strings. */
export function jepsenHistoryJson(heard: HeardRun): string {
  return jepsenOperations(heard).map((operation) => `${JSON.stringify(operation)}\n`).join('');
}

function ednMap(operation: JepsenOperation): string {
  return `{:index ${operation.index}, :time ${operation.time}, :type :${operation.type}, :process ${operation.process}, :f :${operation.f}, :value ${ednValue(operation.value, true)}}`;
}

/** EDN for the values a history holds: the first element of a micro-operation is a keyword. */
function ednValue(value: unknown, topLevel = false): string {
  if (value === null || value === undefined) return 'nil';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : String(value);
  if (typeof value === 'string') return ednString(value);
  if (Array.isArray(value)) {
    if (topLevel) return `[${value.map((micro) => ednMicroOperation(micro)).join(' ')}]`;
    return `[${value.map((item) => ednValue(item)).join(' ')}]`;
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).map(([key, item]) => `${/^-?\d+$/.test(key) ? key : ednString(key)} ${ednValue(item)}`);
    return `{${entries.join(', ')}}`;
  }
  return ednString(String(value));
}

function ednMicroOperation(micro: unknown): string {
  if (!Array.isArray(micro) || typeof micro[0] !== 'string') return ednValue(micro);
  return `[:${micro[0]}${micro.slice(1).map((item) => ` ${ednValue(item)}`).join('')}]`;
}

/** An EDN string: the escapes EDN shares with Java strings. */
function ednString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t')}"`;
}
