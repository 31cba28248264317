/**
 * `ksim list`: the built-in scenarios, one line each — name, system, expected verdict,
 * description — sorted by name. `--json` prints them as one array.
 */
import { listScenarios } from '../scenario/load.js';
import { table } from './format.js';
import type { Terminal } from './io.js';
import type { VerbContext } from './run.js';

export function listVerb(terminal: Terminal, args: { json: boolean }, context: VerbContext): number {
  const scenarios = listScenarios(context.lookup);
  if (args.json) {
    terminal.line(JSON.stringify(scenarios.map((scenario) => ({ ...scenario, ksimVersion: context.version }))));
    return 0;
  }
  if (scenarios.length === 0) {
    terminal.line('no built-in scenarios found');
    return 0;
  }
  const colour = terminal.colour;
  const rows = [
    ['name', 'system', 'expect', 'description'].map((title) => colour.bold(title)),
    ...scenarios.map((scenario) => [scenario.name, scenario.system, scenario.expect, scenario.description]),
  ];
  for (const line of table(rows)) terminal.line(line);
  return 0;
}
