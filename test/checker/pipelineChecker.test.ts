/**
 * The exactly-once checker (sim/systems/kafka/pipelineChecker.ts): a clean pipeline history, then
 * one broken history per anomaly, each of which it must catch; the contract excuses only where
 * committed records were lost as allowed; liveness when the pipeline did not catch up.
 */
import { describe, expect, test } from 'vitest';
import type { TraceEvent } from '../../src/host.js';
import { Findings } from '../../sim/checker/findings.js';
import { PipelineChecker, pipelineContractTable } from '../../sim/systems/kafka/pipelineChecker.js';
import { pipelineOutputValue } from '../../sim/systems/kafka/pipelineNode.js';

const OPTIONS = { inputTopic: 'in', outputTopic: 'out', inputPartitions: 1, outputPartitions: 1, groupId: 'g' };

type Event = [string, TraceEvent, number?];

/** Input transaction X of p1 with values X-0.., committed (decided at `decidedAtMs`) unless `decidedAtMs` is null. */
function inputTransaction(txn: string, decidedAtMs: number | null): Event[] {
  const events: Event[] = [['p1', { type: 'workload.txn-begin', txn, transactionalId: 'txn-p1' }, 0]];
  if (decidedAtMs !== null) events.push(['p1', { type: 'workload.txn-commit', txn }, decidedAtMs]);
  return events;
}

/** A pipeline transaction of e1 over inputs (offset, value), begun at `atMs`, with its outcome. */
function pipelineTransaction(txn: string, inputs: Array<[number, string]>, atMs: number, outcome: 'committed' | 'aborted' | 'fenced', decided = outcome === 'committed'): Event[] {
  const events: Event[] = [['e1', { type: 'pipeline.txn-begin', txn, transactionalId: 'eos-e1', group: 'g', generation: 1, memberId: 'm', inputs: inputs.map(([offset, value]) => ['in-0', offset, value]) }, atMs]];
  if (decided) events.push(['e1', { type: 'pipeline.txn-commit', txn }, atMs + 1]);
  events.push(['e1', { type: 'pipeline.txn-end', txn, outcome }, atMs + 2]);
  return events;
}

const inputRead = (records: Array<[number, string]>): Event => ['r2', { type: 'kafka.final-read-committed', topic: 'in', partition: 0, records }, 1_000];
const outputRead = (outputs: Array<[number, string]>): Event => ['r3', { type: 'kafka.final-read-committed', topic: 'out', partition: 0, records: outputs }, 1_000];
const groupOffsets = (offset: number): Event => ['o1', { type: 'kafka.final-group-offsets', group: 'g', topic: 'in', offsets: [[0, offset]] }, 1_000];

const out = (offset: number, txn: string): string => pipelineOutputValue('in-0', offset, txn);

function judge(events: Event[], lossExcuse: string | null = null): { violations: string[]; anomalies: string[] } {
  const findings = new Findings(null);
  const checker = new PipelineChecker(findings, OPTIONS);
  for (const [node, event, atMs] of events) checker.observe({ atMs: atMs ?? 0, node, incarnation: 1, event });
  const result = checker.finish(2_000, true, lossExcuse);
  return { violations: result.violations.map((violation) => violation.invariant), anomalies: result.anomalies.map((anomaly) => anomaly.anomaly) };
}

/** Two input records A-0 and A-1 (committed at 10 ms), processed by t1 (committed) at 20 ms. */
function clean(): Event[] {
  return [
    ...inputTransaction('A', 10),
    ...pipelineTransaction('t1', [[0, 'A-0'], [1, 'A-1']], 20, 'committed'),
    inputRead([[0, 'A-0'], [1, 'A-1']]),
    outputRead([[0, out(0, 't1')], [1, out(1, 't1')]]),
    groupOffsets(2),
  ];
}

describe('the exactly-once pipeline checks', () => {
  test('a clean history passes', () => {
    expect(judge(clean())).toEqual({ violations: [], anomalies: [] });
  });

  test('pipeline-lost-write: an input below the committed offset without its output', () => {
    const events = clean().filter((event) => event[1].type !== 'kafka.final-read-committed' || event[1]['topic'] !== 'out');
    expect(judge([...events, outputRead([[0, out(0, 't1')]])]).violations).toEqual(['pipeline-lost-write']);
  });

  test('pipeline-duplicate: two committed outputs of one input (a zombie and its successor)', () => {
    const events = [...clean().filter((event) => event[1]['topic'] !== 'out'), ...pipelineTransaction('t2', [[1, 'A-1']], 30, 'committed'), outputRead([[0, out(0, 't1')], [1, out(1, 't1')], [2, out(1, 't2')]])];
    expect(judge(events).violations).toEqual(['pipeline-duplicate']);
  });

  test('pipeline-output-beyond-offsets: an output committed without its offsets', () => {
    const events = [...clean().filter((event) => event[1].type !== 'kafka.final-group-offsets'), groupOffsets(1)];
    expect(judge(events).violations).toEqual(['pipeline-output-beyond-offsets']);
  });

  test('pipeline-aborted-read: an output of an input that read_committed does not show', () => {
    const events = [...clean().filter((event) => event[1].type !== 'kafka.final-read-committed' || event[1]['topic'] !== 'in'), inputRead([[0, 'A-0']])];
    expect(judge(events).violations).toEqual(['pipeline-aborted-read']);
  });

  test('precommitted-read: the pipeline read an input before its producer decided to commit it', () => {
    const events = clean().map((event): Event => (event[1].type === 'workload.txn-commit' ? [event[0], event[1], 25] : event));
    // Both of t1's inputs were read too early: each is named.
    expect(judge(events).violations).toEqual(['precommitted-read', 'precommitted-read']);
  });

  test('precommitted-read of an input whose closing marker was lost as allowed is allowed (marker-lost); of any other input, not', () => {
    // kafka-eos-pipeline-swarm seed 602: A's ABORT marker was lost with the last replica standing,
    // and A-0 became visible when its producer's next transaction committed.
    const events = [...inputTransaction('A', null), ...pipelineTransaction('t1', [[0, 'A-0'], [1, 'A-1']], 20, 'committed'), inputRead([[0, 'A-0'], [1, 'A-1']]), outputRead([[0, out(0, 't1')], [1, out(1, 't1')]]), groupOffsets(2)];
    const judgeWith = (lost: (offset: number) => boolean) => {
      const findings = new Findings(null);
      const checker = new PipelineChecker(findings, OPTIONS, (partition, offset) => (partition === 'in-0' && lost(offset) ? 'its marker was lost' : null));
      for (const [node, event, atMs] of events) checker.observe({ atMs: atMs ?? 0, node, incarnation: 1, event });
      const result = checker.finish(2_000, true, null);
      return { violations: result.violations.map((violation) => violation.invariant), anomalies: result.anomalies.map((anomaly) => anomaly.anomaly) };
    };
    expect(judgeWith(() => true)).toEqual({ violations: [], anomalies: ['precommitted-read'] });
    expect(judgeWith((offset) => offset === 0).violations).toEqual(['precommitted-read']);
    expect(judgeWith(() => false).violations).toEqual(['precommitted-read', 'precommitted-read']);
  });

  test('aborted-read: an output of a pipeline transaction the instance aborted is committed', () => {
    const events = [...inputTransaction('A', 10), ...pipelineTransaction('t1', [[0, 'A-0']], 20, 'aborted'), inputRead([[0, 'A-0']]), outputRead([[0, out(0, 't1')]]), groupOffsets(1)];
    expect(judge(events).violations).toEqual(['aborted-read']);
  });

  test('zombie-write: an output of a transaction nobody decided to commit (fenced first) is committed', () => {
    const events = [...inputTransaction('A', 10), ...pipelineTransaction('t1', [[0, 'A-0']], 20, 'fenced', false), inputRead([[0, 'A-0']]), outputRead([[0, out(0, 't1')]]), groupOffsets(1)];
    expect(judge(events).violations).toEqual(['zombie-write']);
  });

  test('a loss the producer contract allowed excuses the exactly-once anomalies, naming it', () => {
    const events = clean().filter((event) => event[1]['topic'] !== 'out');
    const verdict = judge([...events, outputRead([[0, out(0, 't1')]])], 'committed records were lost as the producer contract allows (out-0)');
    expect(verdict).toEqual({ violations: [], anomalies: ['pipeline-lost-write'] });
  });

  test('liveness: input left at or above the committed offsets after heal, or reads that never came', () => {
    const behind = [...clean().filter((event) => event[1].type !== 'kafka.final-group-offsets' && event[1]['topic'] !== 'out'), outputRead([]), groupOffsets(0)];
    expect(judge(behind).violations).toEqual(['liveness/pipeline-caught-up']);
    expect(judge(clean().filter((event) => event[1].type !== 'kafka.final-group-offsets')).violations).toEqual(['liveness/pipeline-final-read']);
  });

  test('a final read held by a hanging transaction is allowed only where its coordinator lost that transaction, per partition', () => {
    // kafka-eos-pipeline-swarm seed 378: events-2's last stable offset stayed at a transaction of
    // txn-p1 that its coordinator forgot with the committed records __transaction_state-4 lost.
    const withoutInput = clean().filter((event) => event[1].type !== 'kafka.final-read-committed' || event[1]['topic'] !== 'in');
    const run = (hangingExcuse: (partition: string) => string | null) => {
      const findings = new Findings(null);
      const checker = new PipelineChecker(findings, OPTIONS);
      for (const [node, event, atMs] of withoutInput) checker.observe({ atMs: atMs ?? 0, node, incarnation: 1, event });
      return checker.finish(2_000, true, null, { hanging: hangingExcuse });
    };
    const excused = run((partition) => (partition === 'in-0' ? 'in-0 is held by a transaction its coordinator forgot' : null));
    expect(excused.violations).toEqual([]);
    expect(excused.anomalies).toEqual([expect.objectContaining({ anomaly: 'hanging-transaction', excuses: [expect.objectContaining({ subject: "the pipeline's final read of in-0 never completed", rule: 'transaction-state-lost' })] })]);
    // Another partition's excuse does not reach this one.
    expect(run((partition) => (partition === 'out-0' ? 'out-0 is held' : null)).violations.map((violation) => violation.invariant)).toEqual(['liveness/pipeline-final-read']);
  });

  test('a cluster whose metadata is gone excuses the liveness failures as the kafka checker does, and only then', () => {
    // kafka-eos-pipeline-swarm seeds 473 and 500: the metadata log rolled back beneath brokers that halted.
    const noOffsets = clean().filter((event) => event[1].type !== 'kafka.final-group-offsets');
    const run = (clusterMetadataLoss: string | null) => {
      const checker = new PipelineChecker(new Findings(null), OPTIONS);
      for (const [node, event, atMs] of noOffsets) checker.observe({ atMs: atMs ?? 0, node, incarnation: 1, event });
      return checker.finish(2_000, true, null, { clusterMetadataLoss });
    };
    const excused = run('controllers lost their disks (c3) and the metadata log rolled back beneath nodes that had applied it, which halted');
    expect(excused.violations).toEqual([]);
    expect(excused.anomalies.map((anomaly) => anomaly.anomaly)).toEqual(['cluster-metadata-lost']);
    expect(run(null).violations.map((violation) => violation.invariant)).toEqual(['liveness/pipeline-final-read']);
  });

  test('the contract allows none of them on its own, each with a reason', () => {
    const table = pipelineContractTable();
    expect(table.map((row) => row.anomaly).sort()).toEqual(['aborted-read', 'pipeline-aborted-read', 'pipeline-duplicate', 'pipeline-lost-write', 'pipeline-output-beyond-offsets', 'precommitted-read', 'zombie-write']);
    for (const row of table) {
      expect(row.allowed).toBe(false);
      expect(row.reason.length).toBeGreaterThan(20);
    }
  });
});
