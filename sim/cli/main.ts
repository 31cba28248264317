/**
 * The `ksim` command line: parses the arguments with yargs and hands them to one verb (list, run,
 * explore, replay, bench). Synchronous from end to end — the bin shim takes the returned number as
 * the exit code — except `explore` on worker threads, which returns its exit code once the workers
 * are done (seedPool.ts); its errors are sorted the same way.
 *
 * Errors are sorted into two kinds. The user's mistakes (a bad flag or seed, an unknown or
 * malformed scenario, a bad replay file) print one paragraph and exit 64, never with a stack
 * trace. Anything else is a bug in ksim: "ksim: internal error", what it was doing, the stack,
 * exit 70. yargs is told never to exit or print by itself: its failures are thrown to us, and its
 * help and version texts are captured and written to our own stdout.
 */
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import yargs, { type Argv } from 'yargs';
import { ReplayError } from '../report/replay.js';
import { ScenarioError } from '../scenario/errors.js';
import { nearestName } from '../scenario/issues.js';
import { ksimVersion } from '../scenario/paths.js';
import { parseCount, parseSeed, SEED_MAX } from './arguments.js';
import { benchVerb } from './bench.js';
import { guaranteesVerb } from './guarantees.js';
import { UsageError } from './errors.js';
import { EXIT_CODES_HELP, EXIT_INTERNAL, EXIT_USAGE } from './exitCodes.js';
import { exploreVerb } from './explore.js';
import { type CliIo, Terminal } from './io.js';
import { listVerb } from './list.js';
import { replayVerb } from './replay.js';
import { runVerb, type VerbContext } from './run.js';
import { type PendingExitCode, SeedWorkerError } from './seedPool.js';

export type { CliIo } from './io.js';

/** The environment variable that points scenario names at another folder than the built-ins. */
export const SCENARIOS_DIR_ENV = 'KSIM_SCENARIOS_DIR';

/** The most seeds one explore may run; a larger sweep belongs in several processes or shards. */
const EXPLORE_SEEDS_MAX = 100_000_000;
/** More worker threads than this would only queue for the same cores. */
const EXPLORE_WORKERS_MAX = 256;
/** A guarantees cell runs its seeds for every row and column: keep the product sane. */
const GUARANTEES_SEEDS_MAX = 1_000;

/** Usage of each verb, for help and for usage errors. */
const VERB_USAGE: Record<string, string> = {
  list: 'ksim list [--json]',
  run: 'ksim run <scenario|file> [--seed N] [--json] [--trace FILE] [--check-determinism] [--narrate]',
  explore: 'ksim explore <scenario|file> --seeds N [--from S] [--workers W] [--json] [--check-determinism]',
  replay: 'ksim replay <file> [--use-recorded] [--json] [--trace FILE]',
  bench: 'ksim bench [--json] [--quick]',
  guarantees: 'ksim guarantees [--seeds N] [--out FILE]',
};
const VERBS = Object.keys(VERB_USAGE);

/** The options of each verb, for "did you mean" on an unknown option. */
const VERB_OPTIONS: Record<string, readonly string[]> = {
  list: ['json'],
  run: ['seed', 'json', 'trace', 'check-determinism', 'narrate'],
  explore: ['seeds', 'from', 'workers', 'json', 'check-determinism'],
  replay: ['use-recorded', 'json', 'trace'],
  bench: ['json', 'quick'],
  guarantees: ['seeds', 'out'],
};

type Verb = 'list' | 'run' | 'explore' | 'replay' | 'bench' | 'guarantees';

/** The verb yargs matched, with its parsed arguments. */
interface Selected {
  verb: Verb;
  argv: Record<string, unknown>;
}

export function main(argv: string[], io: CliIo): number | PendingExitCode {
  const terminal = new Terminal(io);
  try {
    const outcome = dispatch(argv, terminal);
    if (typeof outcome === 'number') return outcome;
    return outcome.then(undefined, (error: unknown) => exitCodeOfError(error, terminal));
  } catch (error) {
    return exitCodeOfError(error, terminal);
  }
}

/** Prints what went wrong, in the words its kind calls for, and returns the exit code. */
function exitCodeOfError(error: unknown, terminal: Terminal): number {
  if (error instanceof UsageError) {
    const verb = error.verb;
    terminal.errorLine(`ksim${verb !== undefined ? ` ${verb}` : ''}: ${error.message}`);
    terminal.errorLine(
      verb !== undefined && VERB_USAGE[verb] !== undefined
        ? `usage: ${VERB_USAGE[verb]} (see \`ksim ${verb} --help\`)`
        : 'usage: ksim <list|run|explore|replay|bench|guarantees> ... (see `ksim --help`)',
    );
    return EXIT_USAGE;
  }
  if (error instanceof ScenarioError || error instanceof ReplayError) {
    terminal.errorLine(`ksim: ${error.message}`);
    return EXIT_USAGE;
  }
  if (error instanceof SeedWorkerError) {
    terminal.errorLine(`ksim: internal error${terminal.activity !== undefined ? ` while ${terminal.activity}` : ''}, in the run of seed ${error.seed}`);
    terminal.errorLine(error.workerStack);
  } else {
    terminal.errorLine(`ksim: internal error${terminal.activity !== undefined ? ` while ${terminal.activity}` : ''}`);
    terminal.errorLine(error instanceof Error ? (error.stack ?? String(error)) : String(error));
  }
  terminal.errorLine('This is a bug in ksim. Please report it with the command line above and, if one was written, the replay.json of the run.');
  return EXIT_INTERNAL;
}

function dispatch(argv: string[], terminal: Terminal): number | PendingExitCode {
  const version = ksimVersion();
  let selected: Selected | undefined;
  let output = '';
  const parser = buildParser(version, argv, (verb, parsed) => {
    selected = { verb, argv: parsed };
  });
  parser.parse(argv, {}, (_error: Error | undefined, _parsed: unknown, text: string) => {
    output = text;
  });
  if (selected === undefined) {
    // yargs handled --help or --version itself and gave us the text.
    if (output !== '') terminal.io.stdout.write(output.endsWith('\n') ? output : `${output}\n`);
    return 0;
  }
  const scenariosDir = terminal.io.env[SCENARIOS_DIR_ENV];
  const context: VerbContext = {
    version,
    lookup: scenariosDir !== undefined && scenariosDir !== '' ? { scenariosDir: resolve(terminal.io.cwd, scenariosDir) } : {},
    command: ['ksim', ...argv].map(shellQuote).join(' '),
  };
  const args = selected.argv;
  const verb: Verb = selected.verb;
  switch (verb) {
    case 'list':
      return listVerb(terminal, { json: args['json'] === true }, context);
    case 'run':
      return runVerb(terminal, {
        scenario: String(args['scenario']),
        seed: parseSeed(args['seed'], '--seed', 'run'),
        json: args['json'] === true,
        trace: optionalString(args['trace'], '--trace', 'run'),
        checkDeterminism: args['checkDeterminism'] === true,
        narrate: args['narrate'] === true,
      }, context);
    case 'explore':
      return exploreVerb(terminal, {
        scenario: String(args['scenario']),
        seeds: parseCount(args['seeds'], '--seeds', 'explore', EXPLORE_SEEDS_MAX),
        from: parseSeed(args['from'], '--from', 'explore'),
        json: args['json'] === true,
        checkDeterminism: args['checkDeterminism'] === true,
        workers: args['workers'] === undefined ? availableParallelism() : parseCount(args['workers'], '--workers', 'explore', EXPLORE_WORKERS_MAX),
      }, context);
    case 'replay':
      return replayVerb(terminal, {
        file: String(args['file']),
        useRecorded: args['useRecorded'] === true,
        json: args['json'] === true,
        trace: optionalString(args['trace'], '--trace', 'replay'),
      }, context);
    case 'bench':
      return benchVerb(terminal, { json: args['json'] === true, quick: args['quick'] === true }, context);
    case 'guarantees':
      return guaranteesVerb(terminal, {
        seeds: parseCount(args['seeds'], '--seeds', 'guarantees', GUARANTEES_SEEDS_MAX),
        out: optionalString(args['out'], '--out', 'guarantees') ?? 'reports/guarantees.md',
      }, context);
    default: {
      const unreachable: never = verb;
      throw new Error(`unknown verb ${String(unreachable)}`);
    }
  }
}

function buildParser(version: string, argv: readonly string[], select: (verb: Verb, argv: Record<string, unknown>) => void): Argv {
  const json = { type: 'boolean', default: false, describe: 'Print JSON on stdout (and nothing else there)' } as const;
  const checkDeterminism = {
    type: 'boolean',
    default: false,
    describe: 'Run each seed twice and compare trace hashes (a difference exits 3)',
  } as const;
  const trace = { type: 'string', requiresArg: true, describe: 'Write the trace as JSON lines to FILE' } as const;
  return yargs()
    .scriptName('ksim')
    .usage(
      helpText(
        'ksim — a deterministic simulation testbed for Apache Kafka',
        'Runs a whole cluster inside one process over a simulated clock, disk and network, injects faults ' +
          'from a seed and judges the run. The same seed always gives the same run.',
        'Usage: ksim <verb> [options]',
      ),
    )
    .command('list', 'List the built-in scenarios', (y) =>
      y.usage(helpText(VERB_USAGE['list'] ?? '', 'Lists the built-in scenarios: name, system, expected verdict, description.')).option('json', { ...json, describe: 'Print one JSON array' }),
      (parsed) => select('list', parsed),
    )
    .command('run <scenario>', 'Run one scenario with one seed', (y) =>
      y
        .usage(
          helpText(
            VERB_USAGE['run'] ?? '',
            'Runs one scenario (a built-in name from `ksim list`, or the path of a .yaml/.yml/.json file) with one seed: ' +
            'a safety phase with faults, then a liveness phase after everything heals. Every option is printed first. ' +
            'A failing run writes reports/runs/<scenario>-seed<N>/ (replay.json, verdict.json) and prints one FAIL line with the replay command.',
          ),
        )
        .positional('scenario', { type: 'string', describe: 'A built-in scenario name, or a scenario file path' })
        .option('seed', { type: 'string', default: '1', defaultDescription: '1', requiresArg: true, describe: `The seed, a whole number from 0 to ${SEED_MAX}` })
        .option('json', { ...json, describe: 'Print exactly one JSON object (the run report) on stdout' })
        .option('trace', trace)
        .option('check-determinism', checkDeterminism)
        .option('narrate', {
          type: 'boolean',
          describe: 'Tell the run as it happens: one coloured line per fault, phase, election step, leadership change and commit',
        })
        .example('ksim run counter-basic --seed 7', 'run a built-in scenario')
        .example('ksim run raft-leader-crash --seed 3 --narrate', 'follow an election, line by line')
        .example('ksim run kafka-legacy-isr-join-without-epoch-start --narrate', 'watch a historical Kafka bug lose committed data')
        .example('ksim run ./my-scenario.yaml --seed 3 --json', 'run a file, machine-readable'),
      (parsed) => select('run', parsed),
    )
    .command('explore <scenario>', 'Run one scenario over many seeds', (y) =>
      y
        .usage(
          helpText(
            VERB_USAGE['explore'] ?? '',
            'Runs seeds S..S+N-1 of one scenario on W worker threads (default: this machine\'s cores; --workers 1 runs them in this ' +
            'process). Each failing seed writes its run folder and prints a FAIL line in seed order; a summary follows at the end. ' +
            'What is printed and the exit code are the same whatever W is. Progress (seeds done, seeds per minute, failures so far) ' +
            'shows on stderr when it is a terminal. ' +
            'The exit code is the worst verdict: nondeterministic (3), then violation (1), then liveness (2), then pass (0).',
          ),
        )
        .positional('scenario', { type: 'string', describe: 'A built-in scenario name, or a scenario file path' })
        .option('seeds', { type: 'string', demandOption: true, requiresArg: true, describe: 'How many seeds to run' })
        .option('from', { type: 'string', default: '1', defaultDescription: '1', requiresArg: true, describe: 'The first seed' })
        .option('workers', {
          type: 'string',
          requiresArg: true,
          defaultDescription: `this machine's cores (${availableParallelism()})`,
          describe: `Worker threads running seeds, a whole number from 1 to ${EXPLORE_WORKERS_MAX}; 1 runs them in this process`,
        })
        .option('json', { ...json, describe: 'Print one run report per line, then a summary object ("summary": true)' })
        .option('check-determinism', checkDeterminism)
        .example('ksim explore counter-swarm --seeds 1000', 'sweep seeds 1..1000 on every core')
        .example('ksim explore kafka-swarm --seeds 200 --from 801 --workers 1', 'sweep seeds 801..1000 in this process'),
      (parsed) => select('explore', parsed),
    )
    .command('replay <file>', 'Replay a failing run from its replay file', (y) =>
      y
        .usage(
          helpText(
            VERB_USAGE['replay'] ?? '',
            'Runs the scenario embedded in a replay file (reports/runs/<scenario>-seed<N>/replay.json) with its seed, and checks that ' +
            'the trace hash matches the recording: exit 3 if it does not, else the verdict\'s exit code. Replays are exact only within ' +
            'the version of ksim that recorded them.',
          ),
        )
        .positional('file', { type: 'string', describe: 'The replay.json of a failing run' })
        .option('use-recorded', {
          type: 'boolean',
          default: false,
          describe: 'Replay the embedded scenario even if the built-in of that name has changed',
        })
        .option('json', { ...json, describe: 'Print exactly one JSON object (the run report, with a "replay" field)' })
        .option('trace', trace),
      (parsed) => select('replay', parsed),
    )
    .command('bench', "Measure the simulator's speed", (y) =>
      y
        .usage(helpText(VERB_USAGE['bench'] ?? '', 'Measures events per second, simulated seconds per wall second, the default cluster over 10 and 60 simulated minutes (and its peak RSS), explore on 2 workers and startup, and prints beside them the speed targets, met or not. It exits 0 whatever they say.'))
        .option('json', { ...json, describe: 'Print one JSON object with the figures' })
        .option('quick', { type: 'boolean', default: false, describe: 'Shorter measurements' }),
      (parsed) => select('bench', parsed),
    )
    .command('guarantees', 'Measure what each Kafka configuration guarantees under each fault family', (y) =>
      y
        .usage(
          helpText(
            VERB_USAGE['guarantees'] ?? '',
            'Runs the default Kafka cluster for every configuration row and fault family column over seeds 1..N and writes a Markdown ' +
            'table of the anomalies each showed, allowed or not by the configuration\'s contract (reports/guarantees.md by default).',
          ),
        )
        .option('seeds', { type: 'string', default: '5', requiresArg: true, describe: 'Seeds per cell' })
        .option('out', { type: 'string', requiresArg: true, describe: 'Where to write the report (default reports/guarantees.md)' }),
      (parsed) => select('guarantees', parsed),
    )
    .demandCommand(1, 'choose a verb')
    .strict()
    .parserConfiguration({ 'duplicate-arguments-array': false })
    .epilog(
      `${EXIT_CODES_HELP}\n\n` +
        'Environment:\n' +
        `  NO_COLOR            no colour (colour is also off when output is not a terminal)\n` +
        `  ${SCENARIOS_DIR_ENV}  look scenario names up in this folder instead of the built-in scenarios/`,
    )
    .version(version)
    .help()
    .alias('help', 'h')
    .wrap(null)
    .exitProcess(false)
    .fail((message: string | undefined | null, error: Error | undefined) => {
      if (error !== undefined && error !== null && !(error instanceof UsageError) && message == null) throw error;
      throw friendlyUsageError(message ?? String(error), argv);
    });
}

/** The verb of a command line: its first word that is not an option, if it is a verb. */
function verbOf(argv: readonly string[]): string | undefined {
  const first = argv.find((arg) => !arg.startsWith('-'));
  return first !== undefined && VERBS.includes(first) ? first : undefined;
}

/** Rewrites yargs' failure messages in our words: what was wrong, and what is allowed. */
function friendlyUsageError(message: string, argv: readonly string[]): UsageError {
  const verb = verbOf(argv);
  const unknown = /^Unknown arguments?: (.*)$/.exec(message);
  if (unknown?.[1] !== undefined) {
    const names = unknown[1].split(', ');
    const first = names[0] ?? '';
    if (verb === undefined) {
      const nearest = nearestName(first, VERBS);
      return new UsageError(
        `unknown verb "${first}"${nearest !== undefined ? ` (did you mean ${nearest}?)` : ''}; the verbs are ${VERBS.join(', ')}.`,
      );
    }
    return new UsageError(
      names.map((name) => (isFlag(name, argv) ? unknownOption(name, argv, verb) : `unexpected argument "${name}"`)).join('; ') + '.',
      verb,
    );
  }
  if (message.startsWith('Not enough non-option arguments')) {
    if (verb === undefined) return new UsageError(`choose a verb: ${VERBS.join(', ')}.`);
    return new UsageError(`missing the ${verb === 'replay' ? 'replay file' : 'scenario (a name from `ksim list`, or a file path)'}.`, verb);
  }
  if (message === 'choose a verb') return new UsageError(`choose a verb: ${VERBS.join(', ')}.`);
  const missing = /^Missing required argument: (.*)$/.exec(message);
  if (missing?.[1] !== undefined) return new UsageError(`missing --${missing[1]} (${missing[1] === 'seeds' ? 'how many seeds to run' : 'required'}).`, verb);
  const notEnough = /^Not enough arguments following: (.*)$/.exec(message);
  if (notEnough?.[1] !== undefined) return new UsageError(`--${notEnough[1]} needs a value.`, verb);
  return new UsageError(message.charAt(0).toLowerCase() + message.slice(1), verb);
}

function unknownOption(name: string, argv: readonly string[], verb: string): string {
  const known = [...(VERB_OPTIONS[verb] ?? []), 'help', 'version'];
  const nearest = nearestName(name, known);
  return `unknown option ${flagSpelling(name, argv) ?? `--${name}`}` +
    (nearest !== undefined ? ` (did you mean --${nearest}?)` : `; the options of ${verb} are ${known.map((option) => `--${option}`).join(', ')}`);
}

/** yargs reports unknown options without their dashes, like unknown positionals; the argv tells them apart. */
function isFlag(name: string, argv: readonly string[]): boolean {
  return flagSpelling(name, argv) !== undefined;
}

function flagSpelling(name: string, argv: readonly string[]): string | undefined {
  const spelled = argv.find((arg) => arg === `--${name}` || arg.startsWith(`--${name}=`) || arg === `-${name}` || arg.startsWith(`-${name}=`));
  return spelled?.split('=')[0];
}

/** Help width: yargs' own wrapping (in its ESM build) cuts words, so paragraphs are wrapped here. */
const HELP_WIDTH = 96;

/** Paragraphs of help text, each wrapped at word boundaries, separated by blank lines. */
function helpText(...paragraphs: string[]): string {
  return paragraphs.map((paragraph) => wrapWords(paragraph, HELP_WIDTH)).join('\n\n');
}

function wrapWords(paragraph: string, width: number): string {
  const lines: string[] = [];
  let line = '';
  for (const word of paragraph.split(/\s+/)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines.join('\n');
}

function optionalString(value: unknown, flag: string, verb: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw new UsageError(`${flag} needs a file name.`, verb);
  return value;
}

function shellQuote(argument: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(argument) ? argument : `'${argument.replace(/'/g, "'\\''")}'`;
}

