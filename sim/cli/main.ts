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
import { ShrinkError } from '../shrink/shrinkRun.js';
import { nearestName } from '../scenario/issues.js';
import { ksimVersion } from '../scenario/paths.js';
import { parseCount, parseDuration, parseSeed, parseShard, SEED_MAX } from './arguments.js';
import { benchVerb } from './bench.js';
import { guaranteesVerb } from './guarantees.js';
import { InputError, IoError, UsageError } from './errors.js';
import { EXIT_CODES_HELP, EXIT_INTERNAL, EXIT_IO_ERROR, EXIT_USAGE } from './exitCodes.js';
import { EXPLORE_SEEDS_MAX, exploreVerb } from './explore.js';
import { mergeVerb } from './merge.js';
import type { SweepOutputs } from './sweepOutput.js';
import type { OutputRequests } from './outputFiles.js';
import { type CliIo, Terminal } from './io.js';
import { listVerb } from './list.js';
import { replayVerb } from './replay.js';
import { shrinkVerb } from './shrink.js';
import { runVerb, type VerbContext } from './run.js';
import { type PendingExitCode, SeedWorkerError } from './seedPool.js';

export type { CliIo } from './io.js';
export { exitCodeOfOutputError } from './io.js';

/** The environment variable that points scenario names at another folder than the built-ins. */
export const SCENARIOS_DIR_ENV = 'KSIM_SCENARIOS_DIR';

/** The most runs one shrink may make. */
const SHRINK_RUNS_MAX = 100_000;
/** The most shards one sweep may be cut into. */
const EXPLORE_SHARDS_MAX = 100_000;
/** The longest time budget: a week of wall time. */
const TIME_BUDGET_MS_MAX = 7 * 24 * 3_600_000;
/** More worker threads than this would only queue for the same cores. */
const EXPLORE_WORKERS_MAX = 256;
/** A guarantees cell runs its seeds for every row and column: keep the product sane. */
const GUARANTEES_SEEDS_MAX = 1_000;

/** Usage of each verb, for help and for usage errors. */
const VERB_USAGE: Record<string, string> = {
  list: 'ksim list [--json]',
  run: 'ksim run <scenario|file> [--seed N] [--json] [--trace FILE] [--check-determinism] [--narrate] [--expect] [--html FILE] [--history-edn FILE] [--history-json FILE] [--shiviz FILE]',
  explore: 'ksim explore <scenario|file> [--seeds N] [--from S] [--shard i/n] [--time-budget D] [--workers W] [--json] [--check-determinism] [--summary-json FILE] [--junit FILE] [--summary-md FILE]',
  merge: 'ksim merge <summary.json>... [--json] [--summary-json FILE] [--junit FILE] [--summary-md FILE]',
  replay: 'ksim replay <file> [--use-recorded] [--json] [--trace FILE] [--html FILE] [--history-edn FILE] [--history-json FILE] [--shiviz FILE]',
  shrink: 'ksim shrink <replay-file> [--max-runs N] [--json]',
  bench: 'ksim bench [--json] [--quick]',
  guarantees: 'ksim guarantees [--seeds N] [--out FILE]',
};
const VERBS = Object.keys(VERB_USAGE);

/** The options of each verb, for "did you mean" on an unknown option. */
const VERB_OPTIONS: Record<string, readonly string[]> = {
  list: ['json'],
  run: ['seed', 'json', 'trace', 'check-determinism', 'narrate', 'expect', 'html', 'history-edn', 'history-json', 'shiviz'],
  explore: ['seeds', 'from', 'shard', 'time-budget', 'workers', 'json', 'check-determinism', 'summary-json', 'junit', 'summary-md'],
  merge: ['json', 'summary-json', 'junit', 'summary-md'],
  replay: ['use-recorded', 'json', 'trace', 'html', 'history-edn', 'history-json', 'shiviz'],
  shrink: ['max-runs', 'json'],
  bench: ['json', 'quick'],
  guarantees: ['seeds', 'out'],
};

type Verb = 'list' | 'run' | 'explore' | 'merge' | 'replay' | 'shrink' | 'bench' | 'guarantees';

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
        : `usage: ksim <${VERBS.join('|')}> ... (see \`ksim --help\`)`,
    );
    return EXIT_USAGE;
  }
  if (error instanceof IoError) {
    terminal.errorLine(`ksim: ${error.message}`);
    return EXIT_IO_ERROR;
  }
  if (error instanceof ScenarioError || error instanceof ReplayError || error instanceof InputError || error instanceof ShrinkError) {
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
  checkSwitchValues(argv);
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
        expect: args['expect'] === true,
        outputs: outputRequests(args, 'run'),
      }, context);
    case 'explore':
      return exploreVerb(terminal, {
        scenario: String(args['scenario']),
        seeds: args['seeds'] === undefined ? undefined : parseCount(args['seeds'], '--seeds', 'explore', EXPLORE_SEEDS_MAX),
        from: args['from'] === undefined ? undefined : parseSeed(args['from'], '--from', 'explore'),
        shard: args['shard'] === undefined ? undefined : parseShard(args['shard'], 'explore', EXPLORE_SHARDS_MAX),
        timeBudgetMs: args['timeBudget'] === undefined ? undefined : parseDuration(args['timeBudget'], '--time-budget', 'explore', TIME_BUDGET_MS_MAX),
        json: args['json'] === true,
        checkDeterminism: args['checkDeterminism'] === true,
        workers: args['workers'] === undefined ? availableParallelism() : parseCount(args['workers'], '--workers', 'explore', EXPLORE_WORKERS_MAX),
        ...sweepOutputsOf(args, 'explore'),
      }, context);
    case 'merge':
      return mergeVerb(terminal, {
        files: positionalsAfterVerb(argv, 'merge', ['--summary-json', '--junit', '--summary-md']),
        json: args['json'] === true,
        ...sweepOutputsOf(args, 'merge'),
      }, context);
    case 'replay':
      return replayVerb(terminal, {
        file: String(args['file']),
        useRecorded: args['useRecorded'] === true,
        json: args['json'] === true,
        trace: optionalString(args['trace'], '--trace', 'replay'),
        outputs: outputRequests(args, 'replay'),
      }, context);
    case 'shrink':
      return shrinkVerb(terminal, {
        file: String(args['file']),
        maxRuns: parseCount(args['maxRuns'], '--max-runs', 'shrink', SHRINK_RUNS_MAX),
        json: args['json'] === true,
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
  const sweepFile = (what: string) => ({ type: 'string', requiresArg: true, describe: `Write ${what} to FILE` }) as const;
  const outputs = (y: Argv): Argv =>
    y
      .option('html', { type: 'string', requiresArg: true, describe: 'Write a self-contained HTML report of the run to FILE (open it in any browser)' })
      .option('history-edn', { type: 'string', requiresArg: true, describe: "Write the client history as Jepsen's Kafka workload reads it (EDN, one operation per line) to FILE" })
      .option('history-json', { type: 'string', requiresArg: true, describe: 'Write the same history as JSON lines to FILE' })
      .option('shiviz', { type: 'string', requiresArg: true, describe: 'Write the messages as a ShiViz log (vector clocks) to FILE' });
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
      outputs(y)
        .usage(
          helpText(
            VERB_USAGE['run'] ?? '',
            'Runs one scenario (a built-in name from `ksim list`, or the path of a .yaml/.yml/.json file) with one seed: ' +
            'a safety phase with faults, then a liveness phase after everything heals. Every option is printed first. ' +
            'A failing run writes reports/<scenario>-<seed>/ (replay.json, verdict.json, history.jsonl, trace.jsonl, report.html) and prints one FAIL line with the replay command.',
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
        .option('expect', {
          type: 'boolean',
          describe: "Exit 0 when the verdict is the scenario's expected one (a lesson's violation included); 4 when it passed where a failure was expected",
        })
        .example('ksim run counter-basic --seed 7', 'run a built-in scenario')
        .example('ksim run kafka-legacy-truncate-to-hw --expect', 'a lesson as a CI step: exit 0 when it shows its failure')
        .example('ksim run raft-leader-crash --seed 3 --narrate', 'follow an election, line by line')
        .example('ksim run kafka-legacy-isr-join-without-epoch-start --narrate', 'watch a historical Kafka bug lose committed data')
        .example('ksim run ./my-scenario.yaml --seed 3 --json', 'run a file, machine-readable')
        .example('ksim run kafka-legacy-truncate-to-hw --html report.html', 'see the run as a picture: timeline, replicas, verdict'),
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
        .option('seeds', { type: 'string', requiresArg: true, describe: 'How many seeds to run (all shards together); with --time-budget, the most to run' })
        .option('from', { type: 'string', requiresArg: true, defaultDescription: 'a random seed, printed first', describe: 'The first seed' })
        .option('shard', { type: 'string', requiresArg: true, describe: 'Run shard i of n (i/n): every n-th seed from the i-th, so n jobs together run exactly the seeds of one; needs --from' })
        .option('time-budget', { type: 'string', requiresArg: true, describe: 'Start no seed after this much wall time (10m, 90s, 1h30m); the running seeds finish and the summary says what was covered' })
        .option('summary-json', sweepFile('the summary, for `ksim merge`'))
        .option('junit', sweepFile('JUnit XML: a test case per seed, a failure carrying its anomaly and replay command'))
        .option('summary-md', sweepFile('a Markdown summary, for a CI job summary page'))
        .option('workers', {
          type: 'string',
          requiresArg: true,
          defaultDescription: `this machine's cores (${availableParallelism()})`,
          describe: `Worker threads running seeds, a whole number from 1 to ${EXPLORE_WORKERS_MAX}; 1 runs them in this process`,
        })
        .option('json', { ...json, describe: 'Print one run report per line, then a summary object ("summary": true)' })
        .option('check-determinism', checkDeterminism)
        .example('ksim explore counter-swarm --seeds 1000 --from 1', 'sweep seeds 1..1000 on every core')
        .example('ksim explore kafka-swarm --seeds 200 --from 801 --workers 1', 'sweep seeds 801..1000 in this process')
        .example('ksim explore kafka-swarm --time-budget 10m', 'from a random seed, for ten minutes')
        .example('ksim explore kafka-swarm --seeds 1000 --from 1 --shard 2/4 --summary-json s2.json', 'the second of four CI jobs (then `ksim merge s*.json`)'),
      (parsed) => select('explore', parsed),
    )
    .command('merge <summaries..>', 'Merge the summaries of the shard jobs of one sweep', (y) =>
      y
        .usage(
          helpText(
            VERB_USAGE['merge'] ?? '',
            'Reads the --summary-json files of the shard jobs of one sweep (`ksim explore --shard i/n`) and prints what one job over all ' +
            'their seeds would have printed: the FAIL lines in seed order, the summary, and the exit code of the worst verdict. Refuses ' +
            'summaries of other scenarios, options or ksim versions, and a shard missing or given twice.',
          ),
        )
        .positional('summaries', { type: 'string', array: true, describe: 'The summary files, one per shard' })
        .option('json', { ...json, describe: 'Print the merged summary as one JSON object' })
        .option('summary-json', sweepFile('the merged summary'))
        .option('junit', sweepFile('JUnit XML of the merged sweep'))
        .option('summary-md', sweepFile('a Markdown summary of the merged sweep'))
        .example('ksim merge shard-*.json --junit ksim.xml', 'one verdict for a CI matrix'),
      (parsed) => select('merge', parsed),
    )
    .command('replay <file>', 'Replay a failing run from its replay file', (y) =>
      outputs(y)
        .usage(
          helpText(
            VERB_USAGE['replay'] ?? '',
            'Runs the scenario embedded in a replay file (reports/<scenario>-<seed>/replay.json) with its seed, and checks that ' +
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
    .command('shrink <file>', 'Shrink a failing run to a minimal one that fails the same way', (y) =>
      y
        .usage(
          helpText(
            VERB_USAGE['shrink'] ?? '',
            'Reduces the run of a replay file, with its seed, to a smaller one that fails the same way (the same verdict and first ' +
            'invariant): fewer faults (delta debugging over the realized fault plan), shorter fault windows, fewer records, fewer ' +
            'brokers where the scenario allows. Prints the shrunk plan and saves shrunk-replay.json beside the file; exits with the ' +
            'shrunk run\'s verdict, as replay does.',
          ),
        )
        .positional('file', { type: 'string', describe: 'The replay.json of a failing run' })
        .option('max-runs', { type: 'string', default: '300', requiresArg: true, describe: `The most runs shrinking may make, 1 to ${SHRINK_RUNS_MAX}` })
        .option('json', { ...json, describe: 'Print one JSON object: the shrunk plan, the cuts kept, the runs made' })
        .example('ksim shrink reports/kafka-legacy-truncate-to-hw-swarm-2/replay.json', 'the fewest faults that still lose the committed write'),
      (parsed) => select('shrink', parsed),
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
        `  FORCE_COLOR         colour even when output is not a terminal (0: none); NO_COLOR wins\n` +
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

/** The options that are switches (present or not), in every verb. */
const SWITCHES: readonly string[] = ['json', 'check-determinism', 'narrate', 'expect', 'use-recorded', 'quick'];

/**
 * A switch given a value (`--json=maybe`) would be read by yargs as false without a word: refuse
 * any value but true or false, naming the switch.
 */
function checkSwitchValues(argv: readonly string[]): void {
  for (const arg of argv) {
    const given = /^--(?:no-)?([a-z-]+)=(.*)$/.exec(arg);
    if (given === null || !SWITCHES.includes(given[1]!)) continue;
    if (given[2] !== 'true' && given[2] !== 'false') {
      throw new UsageError(`--${given[1]} is a switch: give it alone (or =true / =false), not "${given[2]}".`, verbOf(argv));
    }
  }
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
    return new UsageError(`missing the ${verb === 'replay' || verb === 'shrink' ? 'replay file' : verb === 'merge' ? 'summary files (the --summary-json of each shard job)' : 'scenario (a name from `ksim list`, or a file path)'}.`, verb);
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

/**
 * The positional arguments after a verb, as typed: yargs keeps only the last value of a variadic
 * positional under `duplicate-arguments-array: false`, which the options need.
 */
function positionalsAfterVerb(argv: readonly string[], verb: string, optionsWithValue: readonly string[]): string[] {
  const positionals: string[] = [];
  for (let i = argv.indexOf(verb) + 1; i < argv.length; i++) {
    const argument = argv[i]!;
    if (argument === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (optionsWithValue.includes(argument)) i++;
    else if (!argument.startsWith('-')) positionals.push(argument);
  }
  return positionals;
}

function sweepOutputsOf(args: Record<string, unknown>, verb: string): SweepOutputs {
  return {
    summaryJson: optionalString(args['summaryJson'], '--summary-json', verb),
    junit: optionalString(args['junit'], '--junit', verb),
    summaryMd: optionalString(args['summaryMd'], '--summary-md', verb),
  };
}

function outputRequests(args: Record<string, unknown>, verb: string): OutputRequests {
  return {
    html: optionalString(args['html'], '--html', verb),
    historyEdn: optionalString(args['historyEdn'], '--history-edn', verb),
    historyJson: optionalString(args['historyJson'], '--history-json', verb),
    shiviz: optionalString(args['shiviz'], '--shiviz', verb),
  };
}

function optionalString(value: unknown, flag: string, verb: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw new UsageError(`${flag} needs a file name.`, verb);
  return value;
}

function shellQuote(argument: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(argument) ? argument : `'${argument.replace(/'/g, "'\\''")}'`;
}

