/**
 * `ksim merge <summary.json>...`: the summaries that the shard jobs of one sweep wrote with
 * `explore --shard i/n --summary-json FILE`, combined into the verdict, FAIL lines, summary and
 * exit code one job over all the seeds would have given (sweep.ts merges; sweepOutput.ts prints
 * exactly what explore prints). It refuses summaries that do not belong together — another
 * scenario, other options, another ksim version, a shard missing or given twice — since a merged
 * verdict over them would claim coverage nobody ran.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describeJsonError } from '../scenario/jsonText.js';
import { InputError } from './errors.js';
import { exitCodeOf } from './exitCodes.js';
import { optionsHeader } from './format.js';
import type { Terminal } from './io.js';
import type { VerbContext } from './run.js';
import { mergeProblems, mergeSweepSummaries, SWEEP_SUMMARY_FORMAT, type SweepSummary, verdictOfSweep } from './sweep.js';
import { failLineOf, type SweepOutputs, summaryJsonLine, sweepSummaryLines, writeSweepOutputs } from './sweepOutput.js';

export interface MergeArguments extends SweepOutputs {
  files: string[];
  json: boolean;
}

export function mergeVerb(terminal: Terminal, args: MergeArguments, context: VerbContext): number {
  const summaries = args.files.map((file) => ({ file, summary: readSummary(resolve(terminal.io.cwd, file), file) }));
  const problems = mergeProblems(summaries, context.version);
  if (problems.length > 0) {
    throw new InputError(`cannot merge these summaries into one sweep: ${problems.join('; ')}. Merge the --summary-json files of the shard jobs of one sweep: the same scenario, options and ksim version, each shard once.`);
  }
  const merged = mergeSweepSummaries(summaries.map(({ summary }) => summary));
  const colour = terminal.colour;
  if (args.json) {
    terminal.line(summaryJsonLine(merged));
  } else {
    const options = merged.options;
    terminal.line(optionsHeader(colour, 'merge', context.version, [
      ['scenario', merged.scenario.name],
      ['system', merged.scenario.system],
      ['seeds', `${options.from}..${options.from + options.seeds - 1} (${options.seeds})`],
      ['shards', String(merged.shards.length)],
      ['files', args.files.join(',')],
    ]));
    for (const failure of merged.failing) terminal.line(failLineOf(failure, colour.red.bold('FAIL')));
    for (const line of sweepSummaryLines(colour, merged)) terminal.line(line);
  }
  writeSweepOutputs(terminal, args, merged, context.command);
  return exitCodeOf(verdictOfSweep(merged));
}

function readSummary(absolute: string, shown: string): SweepSummary {
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(`cannot read summary file ${shown}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : (error as Error).message}.`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new InputError(`summary file ${shown} is not JSON (${describeJsonError(text, error)}); merge reads the files that \`ksim explore --summary-json FILE\` writes.`);
  }
  const record = parsed as Partial<SweepSummary> | null;
  if (record === null || typeof record !== 'object' || record.ksimSweepSummary === undefined) {
    throw new InputError(`${shown} is not a sweep summary (it has no "ksimSweepSummary" field); merge reads the files that \`ksim explore --summary-json FILE\` writes.`);
  }
  if (record.ksimSweepSummary !== SWEEP_SUMMARY_FORMAT) {
    throw new InputError(`summary file ${shown} has format ${JSON.stringify(record.ksimSweepSummary)}; this ksim reads format ${SWEEP_SUMMARY_FORMAT}.`);
  }
  const fields: Array<keyof SweepSummary> = ['ksimVersion', 'scenario', 'options', 'shards', 'seedsRun', 'end', 'counts', 'failing', 'violations', 'anomalies', 'anomalyExamples', 'events', 'wallMs', 'wallMsBySeed'];
  const missing = fields.filter((field) => record[field] === undefined);
  if (missing.length > 0) throw new InputError(`summary file ${shown} is damaged: ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing.`);
  return record as SweepSummary;
}
