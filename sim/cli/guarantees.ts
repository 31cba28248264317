/**
 * `ksim guarantees`: measures what each Kafka configuration delivers under each fault family
 * (sim/report/guarantees.ts) and writes the Markdown report, reports/guarantees.md by default.
 * Progress goes to stderr when it is a terminal; the report is data, not a verdict, so this exits 0.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { guaranteesMarkdown, measureGuarantees, measureHistoricalFixes } from '../report/guarantees.js';
import { writingFile } from './errors.js';
import type { Terminal } from './io.js';
import type { VerbContext } from './run.js';

export interface GuaranteesArguments {
  seeds: number;
  out: string;
}

export function guaranteesVerb(terminal: Terminal, args: GuaranteesArguments, context: VerbContext): number {
  const path = resolve(terminal.io.cwd, args.out);
  // Measuring takes minutes: find out first that the report can be written at all.
  writingFile('the guarantees report', args.out, () => {
    mkdirSync(dirname(path), { recursive: true });
    appendFileSync(path, '');
  });
  terminal.activity = 'measuring the guarantees report';
  const cells = measureGuarantees({
    seeds: args.seeds,
    onCell: (cell, done, total) => terminal.progress(`guarantees: ${done}/${total} cells (${cell.row} × ${cell.family})`),
  });
  const fixes = measureHistoricalFixes((lesson) => terminal.progress(`guarantees: the historical fixes (${lesson})`));
  terminal.clearProgress();
  terminal.activity = undefined;
  writingFile('the guarantees report', args.out, () => {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, guaranteesMarkdown(cells, args.seeds, context.version, fixes));
  });
  const violations = cells.filter((cell) => Object.values(cell.anomalies).some((entry) => !entry.allowed));
  terminal.line(`wrote ${args.out}: ${cells.length} cells × ${args.seeds} seeds; cells with a violation: ${violations.length}`);
  for (const cell of violations) terminal.line(`  ${cell.row} × ${cell.family}: ${Object.keys(cell.anomalies).join(', ')}`);
  return 0;
}
