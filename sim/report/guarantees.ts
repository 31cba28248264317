/**
 * The guarantees report (`ksim guarantees`, committed as reports/guarantees.md): what Kafka actually
 * delivered, measured. Each row is a configuration, each column a fault family; each cell runs the
 * default cluster over a fixed seed range with only that family turned on, and counts the runs
 * that showed each anomaly — marked allowed (the contract excuses it) or VIOLATION. A learner reads
 * it as the answer to "what can go wrong with my settings, and under which failure?".
 */
import type { FaultFamily } from '../faults/plan.js';
import { runScenario } from '../runner.js';
import type { Scenario } from '../scenario/types.js';
import { listScenarios, loadScenario } from '../scenario/load.js';
import { LOSS_RULES, contractTable, neverAllowed } from '../systems/kafka/contract.js';
import { RAFT_INVARIANTS } from '../systems/raft/checker.js';
import { producerContractInputs } from '../systems/kafka/system.js';
import { TRANSACTION_GUARANTEES } from '../systems/kafka/transactionChecker.js';

export interface GuaranteeRow {
  readonly name: string;
  readonly config: Record<string, Record<string, unknown>>;
  /** Transactional producers instead of idempotent ones (transactionalProducerNode.ts), judged by the transaction checks too. */
  readonly transactions?: { readonly recordsPerTransaction: number; readonly abortProbability: number };
}

export const GUARANTEE_ROWS: readonly GuaranteeRow[] = [
  { name: 'acks=0', config: { producer: { acks: '0' }, topic: { 'min.insync.replicas': 2 } } },
  { name: 'acks=1', config: { producer: { acks: '1' }, topic: { 'min.insync.replicas': 2 } } },
  { name: 'acks=all, min.insync.replicas=1', config: { producer: { acks: 'all' }, topic: { 'min.insync.replicas': 1 } } },
  { name: 'acks=all, min.insync.replicas=2', config: { producer: { acks: 'all' }, topic: { 'min.insync.replicas': 2 } } },
  {
    name: 'acks=all, min.insync.replicas=2, ELR',
    config: { producer: { acks: 'all' }, topic: { 'min.insync.replicas': 2 }, controller: { 'eligible.leader.replicas.enable': true } },
  },
  { name: 'acks=all, min.insync.replicas=2, flush.messages=1', config: { producer: { acks: 'all' }, topic: { 'min.insync.replicas': 2, 'flush.messages': 1 } } },
  { name: '2013: unclean election, min.insync.replicas=1', config: { producer: { acks: 'all' }, topic: { 'min.insync.replicas': 1, 'unclean.leader.election.enable': true } } },
  { name: 'idempotence off', config: { producer: { acks: 'all', 'enable.idempotence': false }, topic: { 'min.insync.replicas': 2 } } },
  {
    name: 'transactions (transaction.version=2), min.insync.replicas=2',
    config: { producer: { acks: 'all', 'transaction.timeout.ms': 10000 }, topic: { 'min.insync.replicas': 2 } },
    transactions: { recordsPerTransaction: 3, abortProbability: 0.25 },
  },
];

export const GUARANTEE_COLUMNS: readonly FaultFamily[] = [
  'process-crash',
  'power-loss',
  'disk-loss',
  'pause',
  'partition',
  'class-partition',
  'connection-reset',
  'clog',
];

export interface GuaranteeCell {
  readonly row: string;
  readonly family: FaultFamily;
  readonly runs: number;
  /** Anomaly → runs that showed it, and whether the contract allowed it there. */
  readonly anomalies: Record<string, { runs: number; allowed: boolean }>;
  readonly liveness: number;
}

export interface GuaranteesOptions {
  readonly seeds: number;
  readonly rows?: readonly GuaranteeRow[];
  readonly columns?: readonly FaultFamily[];
  readonly onCell?: (cell: GuaranteeCell, done: number, total: number) => void;
}

function cellScenario(row: GuaranteeRow, family: FaultFamily): Scenario {
  return {
    name: `guarantees: ${row.name} × ${family}`,
    description: 'a cell of the guarantees report',
    system: 'kafka',
    cluster: { controllers: 3, brokers: 3, producers: 2 },
    config: { ...row.config, broker: { 'replica.lag.time.max.ms': 10000, ...(row.config['broker'] ?? {}) } },
    workload: { topic: 'events', partitions: 3, replicationFactor: 3, intervalMs: 50, ...(row.transactions === undefined ? {} : { transactions: row.transactions }) },
    network: {},
    disk: {},
    faults: { swarm: { families: [family], intensity: 2 } },
    durationMs: 20_000,
    livenessMs: 30_000,
    expect: 'pass',
  };
}

export function measureGuarantees(options: GuaranteesOptions): GuaranteeCell[] {
  const rows = options.rows ?? GUARANTEE_ROWS;
  const columns = options.columns ?? GUARANTEE_COLUMNS;
  const cells: GuaranteeCell[] = [];
  const total = rows.length * columns.length;
  for (const row of rows) {
    for (const family of columns) {
      const anomalies: Record<string, { runs: number; allowed: boolean }> = {};
      let liveness = 0;
      for (let seed = 1; seed <= options.seeds; seed++) {
        const result = runScenario(cellScenario(row, family), seed);
        const seen = new Map<string, boolean>();
        for (const violation of result.violations) {
          if (violation.kind === 'liveness') continue;
          seen.set(violation.invariant.split('/').pop()!, false);
        }
        for (const anomaly of result.anomalies) if (!seen.has(anomaly.anomaly)) seen.set(anomaly.anomaly, true);
        if (result.verdict === 'liveness') liveness++;
        for (const [anomaly, allowed] of seen) {
          const entry = anomalies[anomaly] ?? { runs: 0, allowed };
          entry.runs++;
          entry.allowed = entry.allowed && allowed;
          anomalies[anomaly] = entry;
        }
      }
      const cell: GuaranteeCell = { row: row.name, family, runs: options.seeds, anomalies, liveness };
      cells.push(cell);
      options.onCell?.(cell, cells.length, total);
    }
  }
  return cells;
}

/** One historical fix, measured: its lesson, fixed twin and swarm twin, each run at its seed. */
export interface HistoricalFix {
  readonly lesson: string;
  /** What the lesson's description cites ("pre-KIP-101", "before KAFKA-15489"). */
  readonly fix: string;
  /** The switch the lesson turns on, as `key: value`. */
  readonly switchSetting: string;
  readonly lessonFailure: string;
  readonly fixedVerdict: string | null;
  readonly swarm: { readonly seed: number; readonly failure: string } | null;
}

/**
 * Runs every built-in legacy lesson (seed 1), its `-fixed` twin (seed 1) and its `-swarm` twin at
 * the seed it names (`foundAtSeed`), and says what each showed: the measured half of "what each
 * historical fix changed".
 */
export function measureHistoricalFixes(onLesson?: (lesson: string) => void): HistoricalFix[] {
  const names = listScenarios().map((listing) => listing.name);
  const lessons = names.filter((name) => name.includes('-legacy-') && !name.endsWith('-fixed') && !name.endsWith('-swarm'));
  return lessons.map((lesson): HistoricalFix => {
    onLesson?.(lesson);
    const { scenario } = loadScenario(lesson, process.cwd());
    const failureOf = (name: string, seed: number): { verdict: string; failure: string } => {
      const result = runScenario(loadScenario(name, process.cwd()).scenario, seed);
      return { verdict: result.verdict, failure: result.violations[0]?.invariant ?? result.verdict };
    };
    const swarmName = `${lesson}-swarm`;
    const swarmSeed = names.includes(swarmName) ? (loadScenario(swarmName, process.cwd()).scenario.foundAtSeed ?? firstFailingSeed(swarmName)) : undefined;
    const cited = /\((pre-[^)]+|before [^)]+)\)/.exec(scenario.description)?.[1] ?? '(a teaching switch)';
    return {
      lesson,
      fix: cited,
      switchSetting: switchSettingOf(scenario.config),
      lessonFailure: failureOf(lesson, 1).failure,
      fixedVerdict: names.includes(`${lesson}-fixed`) ? failureOf(`${lesson}-fixed`, 1).verdict : null,
      swarm: swarmSeed === undefined ? null : { seed: swarmSeed, failure: failureOf(swarmName, swarmSeed).failure },
    };
  });
}

/** A swarm twin that names no seed: the first of seeds 1..20 that fails, as `ksim explore` would find it. */
function firstFailingSeed(name: string): number | undefined {
  const { scenario } = loadScenario(name, process.cwd());
  for (let seed = 1; seed <= 20; seed++) if (runScenario(scenario, seed).verdict !== 'pass') return seed;
  return undefined;
}

/** The legacy or protocol switch a lesson sets, found in any section of its config. */
function switchSettingOf(config: Readonly<Record<string, unknown>>): string {
  const settings: string[] = [];
  const visit = (value: unknown): void => {
    if (value === null || typeof value !== 'object') return;
    for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
      if (/^(ksim\.legacy\.|ksim\.raft\.pre\.vote|legacy\.|transaction\.version$|transaction\.partition\.verification\.enable$)/.test(key)) settings.push(`${key}: ${String(inner)}`);
      else visit(inner);
    }
  };
  visit(config);
  return settings.join(', ');
}

/** The report as Markdown: the matrix, then each row's contract, the invariants, and the historical fixes. */
export function guaranteesMarkdown(cells: readonly GuaranteeCell[], seeds: number, version: string, fixes: readonly HistoricalFix[] = []): string {
  const rows = [...new Set(cells.map((cell) => cell.row))];
  const columns = [...new Set(cells.map((cell) => cell.family))];
  const lines: string[] = [
    '# What Kafka guarantees, measured',
    '',
    `Generated by \`npx ksim guarantees --seeds ${seeds}\` (ksim ${version}). Each cell runs the default cluster (3 controllers, 3 brokers,`,
    'a topic of 3 partitions replicated 3 times, 2 producers) over seeds 1..' + seeds + ' with only that fault family on, at twice the',
    'default rate, and counts the runs that showed each anomaly: *allowed* where the configuration\'s contract excuses it,',
    '**VIOLATION** where it does not. An empty cell (—) means no anomaly in any run.',
    '',
    `| configuration | ${columns.join(' | ')} |`,
    `| --- | ${columns.map(() => '---').join(' | ')} |`,
  ];
  for (const row of rows) {
    const cellsOfRow = columns.map((family) => cells.find((cell) => cell.row === row && cell.family === family)!);
    lines.push(`| ${row} | ${cellsOfRow.map(describeCell).join(' | ')} |`);
  }
  lines.push('', '## The contracts', '', 'What each configuration allows whatever happens (`sim/systems/kafka/contract.ts`):', '');
  for (const row of GUARANTEE_ROWS.filter((r) => rows.includes(r.name))) {
    const topic = row.config['topic'] ?? {};
    const producer = row.config['producer'] ?? {};
    const controller = row.config['controller'] ?? {};
    const table = contractTable({
      ...producerContractInputs(producer),
      minInsyncReplicas: Number(topic['min.insync.replicas'] ?? 1),
      replicationFactor: 3,
      uncleanLeaderElection: topic['unclean.leader.election.enable'] === true,
      flushMessages: Number(topic['flush.messages'] ?? Number.MAX_SAFE_INTEGER),
      controllers: ['c1', 'c2', 'c3'],
      eligibleLeaderReplicas: controller['eligible.leader.replicas.enable'] === true,
      legacy: [],
    });
    const allowed = table.filter((entry) => entry.allowed).map((entry) => `${entry.anomaly} (${entry.reason})`);
    lines.push(`- **${row.name}**: ${allowed.length === 0 ? 'no anomaly allowed.' : `allows ${allowed.join('; ')}.`}`);
  }
  lines.push('', 'No configuration allows these; every run is held to them after every event:', '');
  for (const { anomaly, reason } of neverAllowed()) lines.push(`- **${anomaly}**: ${reason}.`);
  lines.push('', 'With transactional producers, no configuration allows these either (`sim/systems/kafka/transactionChecker.ts`):', '');
  for (const [check, reason] of Object.entries(TRANSACTION_GUARANTEES)) lines.push(`- **${check}**: ${reason}.`);
  lines.push(
    '',
    '## The loss rules',
    '',
    'Where a configuration forbids losing a committed record, a loss is judged record by record: it is allowed only where one of these',
    'rules holds for the replicas that held that record and the faults that struck them after they held it (a power loss on a broker',
    'that never held the record excuses nothing). The verdict names, for each excused record, its rule and fault events.',
    '',
  );
  for (const [rule, statement] of Object.entries(LOSS_RULES)) lines.push(`- **${rule}**: ${statement}.`);
  lines.push('', '## The KRaft quorum', '', 'The metadata quorum is held to these after every event, in `raft` and `kafka` runs alike (`sim/systems/raft/checker.ts`):', '');
  for (const [invariant, statement] of Object.entries(RAFT_INVARIANTS)) lines.push(`- **${invariant}**: ${statement}.`);
  if (fixes.length > 0) {
    lines.push(
      '',
      '## What each historical fix changed, measured',
      '',
      'Each legacy switch brings back one bug a Kafka fix removed. Its lesson runs a written fault plan (seed 1), its fixed twin the same',
      'plan with the switch off, and its swarm twin random faults at the seed `ksim explore` first found the bug; the first violation each showed:',
      '',
      '| lesson | fix | switch | lesson (seed 1) | fixed twin (seed 1) | swarm twin |',
      '| --- | --- | --- | --- | --- | --- |',
    );
    for (const fix of fixes) {
      const swarm = fix.swarm === null ? '—' : `${fix.swarm.failure} at seed ${fix.swarm.seed}`;
      lines.push(`| \`${fix.lesson}\` | ${fix.fix} | \`${fix.switchSetting}\` | ${fix.lessonFailure} | ${fix.fixedVerdict ?? '—'} | ${swarm} |`);
    }
  }
  lines.push('');
  return lines.join('\n');
}

function describeCell(cell: GuaranteeCell): string {
  const parts = Object.entries(cell.anomalies)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([anomaly, { runs, allowed }]) => `${allowed ? anomaly : `**${anomaly} VIOLATION**`} ${runs}/${cell.runs}`);
  if (cell.liveness > 0) parts.push(`liveness ${cell.liveness}/${cell.runs}`);
  return parts.length === 0 ? '—' : parts.join('<br>');
}
