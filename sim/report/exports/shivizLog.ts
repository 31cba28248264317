/**
 * The run's messages as a ShiViz log (https://bestchai.bitbucket.io/shiviz/): every send and every
 * arrival is an event of its node, stamped with a vector clock, two lines each — the description,
 * then `node {"node": n, ...}`. ShiViz draws the space-time diagram from the clocks alone; paste
 * the file into it with the parser regex written on the file's first line:
 * `(?<event>.*)\n(?<host>\S*) (?<clock>{.*})`.
 *
 * Clocks follow Fidge/Mattern: a send ticks its node's own entry and travels with the message; an
 * arrival merges the message's clock into the receiver's and ticks. Events are taken in simulated
 * time, a send before any arrival at the same millisecond, so every arrival follows its send.
 * Faults are local events of the nodes they struck. Messages that never arrived appear as sends only.
 */
import type { HeardRun } from '../html/recorder.js';

export const SHIVIZ_REGEX = '(?<event>.*)\\n(?<host>\\S*) (?<clock>{.*})';

type Step =
  | { atMs: number; order: number; kind: 'send'; message: number }
  | { atMs: number; order: number; kind: 'arrive'; message: number }
  | { atMs: number; order: number; kind: 'fault'; node: string; text: string };

/** Sends sort before arrivals and faults at the same millisecond. */
const KIND_RANK = { send: 0, fault: 1, arrive: 2 } as const;

export function shivizLog(heard: HeardRun): string {
  const steps: Step[] = [];
  heard.messages.forEach((message, index) => {
    steps.push({ atMs: message.sentAtMs, order: index, kind: 'send', message: index });
    if (message.deliveredAtMs >= 0) steps.push({ atMs: message.deliveredAtMs, order: index, kind: 'arrive', message: index });
  });
  heard.faults.forEach((fault, index) => {
    for (const node of heard.nodes) {
      if (fault.note.split(/[^A-Za-z0-9_-]+/).includes(node)) steps.push({ atMs: fault.atMs, order: index, kind: 'fault', node, text: fault.description });
    }
  });
  steps.sort((a, b) => a.atMs - b.atMs || KIND_RANK[a.kind] - KIND_RANK[b.kind] || a.order - b.order);

  const clocks = new Map<string, Record<string, number>>(heard.nodes.map((node) => [node, {}]));
  const inFlight = new Map<number, Record<string, number>>();
  const lines = [SHIVIZ_REGEX, ''];
  const tick = (node: string): Record<string, number> => {
    const clock = clocks.get(node) ?? {};
    clock[node] = (clock[node] ?? 0) + 1;
    clocks.set(node, clock);
    return clock;
  };
  const emit = (node: string, text: string, clock: Record<string, number>) => {
    lines.push(text.replace(/\n/g, ' '), `${node} ${JSON.stringify(clock)}`);
  };
  for (const step of steps) {
    switch (step.kind) {
      case 'send': {
        const message = heard.messages[step.message]!;
        const clock = tick(message.from);
        inFlight.set(step.message, { ...clock });
        emit(message.from, `${(step.atMs / 1000).toFixed(3)}s send ${message.api} to ${message.to}`, clock);
        break;
      }
      case 'arrive': {
        const message = heard.messages[step.message]!;
        const carried = inFlight.get(step.message) ?? {};
        inFlight.delete(step.message);
        const clock = clocks.get(message.to) ?? {};
        for (const [node, count] of Object.entries(carried)) clock[node] = Math.max(clock[node] ?? 0, count);
        clocks.set(message.to, clock);
        emit(message.to, `${(step.atMs / 1000).toFixed(3)}s receive ${message.api} from ${message.from}`, tick(message.to));
        break;
      }
      case 'fault':
        emit(step.node, `${(step.atMs / 1000).toFixed(3)}s FAULT ${step.text}`, tick(step.node));
        break;
      default: {
        const unreachable: never = step;
        throw new Error(`unknown step ${JSON.stringify(unreachable)}`);
      }
    }
  }
  return `${lines.join('\n')}\n`;
}
