/**
 * The guarantees report: a tiny matrix is measured and rendered; an anomaly the contract forbids is
 * marked as a violation, an allowed one is not.
 */
import { describe, expect, test } from 'vitest';
import { GUARANTEE_ROWS, type GuaranteeCell, guaranteesMarkdown, measureGuarantees } from '../../sim/report/guarantees.js';

describe('guarantees report', () => {
  test('measures each cell over the seeds and renders the matrix and the contracts', () => {
    const cells = measureGuarantees({ seeds: 1, rows: [{ name: 'acks=1', config: { producer: { acks: '1' } } }], columns: ['clog'] });
    expect(cells).toHaveLength(1);
    expect(cells[0]!.runs).toBe(1);
    const markdown = guaranteesMarkdown(cells, 1, '0.0.0-test');
    expect(markdown).toMatch(/\| configuration \| clog \|/);
    expect(markdown).toMatch(/\| acks=1 \|/);
    expect(markdown).toMatch(/\*\*acks=1\*\*: allows lost-write/);
  });

  test('a forbidden anomaly is rendered as a VIOLATION, an allowed one plainly', () => {
    const cells: GuaranteeCell[] = [
      { row: 'acks=1', family: 'partition', runs: 5, anomalies: { 'lost-write': { runs: 2, allowed: true } }, liveness: 0 },
      { row: 'acks=1', family: 'clog', runs: 5, anomalies: { duplicate: { runs: 1, allowed: false } }, liveness: 1 },
    ];
    const markdown = guaranteesMarkdown(cells, 5, '0.0.0-test');
    expect(markdown).toContain('lost-write 2/5');
    expect(markdown).toContain('**duplicate VIOLATION** 1/5<br>liveness 1/5');
  });

  test('the report lists the invariants no configuration relaxes and the loss rules judged record by record', () => {
    const markdown = guaranteesMarkdown([{ row: 'acks=1', family: 'clog', runs: 1, anomalies: {}, liveness: 0 }], 1, '0.0.0-test');
    expect(markdown).toMatch(/- \*\*high-watermark-above-isr\*\*: /);
    expect(markdown).toMatch(/- \*\*isr-join-early\*\*: .*KAFKA-7128/);
    expect(markdown).toMatch(/## The loss rules/);
    expect(markdown).toMatch(/- \*\*last-replica-standing\*\*: /);
    expect(markdown).toMatch(/- \*\*last-known-leader\*\*: /);
    expect(markdown).toMatch(/## The KRaft quorum/);
    expect(markdown).toMatch(/- \*\*CheckQuorum\*\*: .*KAFKA-15489/);
    expect(markdown).toMatch(/- \*\*NoDisruptiveElection\*\*: .*KIP-996/);
    expect(markdown).toMatch(/- \*\*aborted-read\*\*: .*G1a/);
    expect(markdown).toMatch(/- \*\*MarkerNotBelowProducerEpoch\*\*: /);
  });

  test('the historical fixes are a table: the fix, the switch, and what the lesson, its fixed twin and its swarm twin showed', () => {
    const markdown = guaranteesMarkdown([], 1, '0.0.0-test', [
      { lesson: 'raft-legacy-no-pre-vote', fix: 'before KIP-996', switchSetting: 'ksim.raft.pre.vote: false', lessonFailure: 'NoDisruptiveElection', fixedVerdict: 'pass', swarm: { seed: 1, failure: 'NoDisruptiveElection' } },
      { lesson: 'counter-legacy-ack-before-fsync', fix: '(a teaching switch)', switchSetting: 'legacy.ackBeforeFsync: true', lessonFailure: 'AckedValueRetained/lost-ack', fixedVerdict: null, swarm: null },
    ]);
    expect(markdown).toContain('| `raft-legacy-no-pre-vote` | before KIP-996 | `ksim.raft.pre.vote: false` | NoDisruptiveElection | pass | NoDisruptiveElection at seed 1 |');
    expect(markdown).toContain('| `counter-legacy-ack-before-fsync` | (a teaching switch) | `legacy.ackBeforeFsync: true` | AckedValueRetained/lost-ack | — | — |');
    expect(guaranteesMarkdown([], 1, '0.0.0-test')).not.toContain('historical fix');
  });

  test('a transactions row runs transactional producers and is judged by the transaction checks', () => {
    const row = GUARANTEE_ROWS.find((candidate) => candidate.transactions !== undefined)!;
    const cells = measureGuarantees({ seeds: 1, rows: [row], columns: ['pause'] });
    expect(cells[0]!.row).toBe(row.name);
    expect(Object.values(cells[0]!.anomalies).filter((entry) => !entry.allowed)).toEqual([]);
    expect(guaranteesMarkdown(cells, 1, '0.0.0-test')).toContain(`| ${row.name} |`);
  });
});
