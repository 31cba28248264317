/**
 * `ksim bench`: measures the simulator's speed (sim/bench.ts) and prints one row per figure.
 * Benchmarks are not tests: this prints, and exits 0; nothing here judges the numbers.
 */
import { runBench } from '../bench.js';
import { formatDecimal, formatInteger, table } from './format.js';
import type { Terminal } from './io.js';
import type { VerbContext } from './run.js';

export function benchVerb(terminal: Terminal, args: { json: boolean; quick: boolean }, context: VerbContext): number {
  terminal.activity = 'running the benchmarks';
  const figures = runBench({ quick: args.quick });
  terminal.activity = undefined;
  if (args.json) {
    terminal.line(JSON.stringify({ ksimVersion: context.version, quick: args.quick, figures }));
    return 0;
  }
  const colour = terminal.colour;
  const rows = [
    ['name', 'events', 'wall ms', 'events/s', 'sim s/wall s', 'note'].map((title) => colour.bold(title)),
    ...figures.map((figure) => [
      figure.name,
      formatInteger(figure.events),
      formatInteger(figure.wallMs),
      formatInteger(figure.eventsPerSecond),
      figure.simSecondsPerWallSecond === undefined ? '-' : formatDecimal(figure.simSecondsPerWallSecond, 1),
      figure.note,
    ]),
  ];
  for (const line of table(rows, [1, 2, 3, 4])) terminal.line(line);
  return 0;
}
