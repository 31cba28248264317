/**
 * `ksim bench`: measures the simulator's speed (sim/bench.ts) and prints one row per figure, then
 * the targets (sim/benchTargets.ts) with the figure each was judged on and whether it was met.
 * Benchmarks are not tests: this prints, and exits 0 whatever the targets say.
 */
import { availableParallelism } from 'node:os';
import { runBench } from '../bench.js';
import { formatDecimal, formatInteger, table } from './format.js';
import type { Terminal } from './io.js';
import type { VerbContext } from './run.js';

export function benchVerb(terminal: Terminal, args: { json: boolean; quick: boolean }, context: VerbContext): number {
  terminal.activity = 'running the benchmarks';
  const { figures, targets } = runBench({ quick: args.quick });
  terminal.activity = undefined;
  const cores = availableParallelism();
  if (args.json) {
    terminal.line(JSON.stringify({ ksimVersion: context.version, quick: args.quick, cores, figures, targets }));
    return 0;
  }
  const colour = terminal.colour;
  const rows = [
    ['name', 'events', 'wall ms', 'events/s', 'sim s/wall s', 'note'].map((title) => colour.bold(title)),
    ...figures.map((figure) => [
      figure.name,
      figure.events === 0 ? '-' : formatInteger(figure.events),
      formatInteger(figure.wallMs),
      figure.events === 0 ? '-' : formatInteger(figure.eventsPerSecond),
      figure.simSecondsPerWallSecond === undefined ? '-' : formatDecimal(figure.simSecondsPerWallSecond, 1),
      figure.note,
    ]),
  ];
  for (const line of table(rows, [1, 2, 3, 4])) terminal.line(line);
  terminal.line();
  terminal.line(colour.bold(`targets (${args.quick ? 'quick: shorter runs than the targets name, ' : ''}${cores} cores; wall-clock figures move with the machine's load, ratios far less)`));
  const targetRows = [
    ['target', 'measured', 'required', ''].map((title) => colour.bold(title)),
    ...targets.map((target) => [target.name, target.measured, target.required, target.met ? colour.green('met') : colour.red('not met')]),
  ];
  for (const line of table(targetRows, [1])) terminal.line(`  ${line}`);
  return 0;
}
