/**
 * `ksim explore`: many seeds in one process — JSON lines plus a summary object for machines, a
 * summary table and the failing seeds' replay commands for people, progress on stderr only when
 * it is a terminal, and the worst verdict as the exit code.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { exitCodeOf, worstVerdict } from '../../sim/cli/exitCodes.js';
import { FIXTURES, ksim, linesOf, tempDir } from './harness.js';

const QUIET = join(FIXTURES, 'quiet.yaml');
const LOST_ACK = join(FIXTURES, 'lost-ack.yaml');

describe('ksim explore', () => {
  test('--json prints one report per seed, then one summary object', () => {
    const outcome = ksim(['explore', QUIET, '--seeds', '3', '--workers', '1', '--from', '10', '--json'], { cwd: tempDir() });
    expect(outcome.code).toBe(0);
    const lines = linesOf(outcome.stdout).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(4);
    expect(lines.slice(0, 3).map((report) => report['seed'])).toEqual([10, 11, 12]);
    for (const report of lines.slice(0, 3)) expect(report).toMatchObject({ scenario: 'quiet', verdict: 'pass' });
    expect(lines[3]).toMatchObject({
      summary: true,
      scenario: 'quiet',
      seeds: 3,
      from: 10,
      pass: 3,
      violation: 0,
      liveness: 0,
      nondeterministic: 0,
      failingSeeds: [],
      events: expect.any(Number),
      wallMs: expect.any(Number),
      eventsPerSecond: expect.any(Number),
    });
    expect(outcome.stderr).toBe('');
  });

  test('failing seeds: FAIL lines as they are found, then a summary with their replay commands; exit 1', () => {
    const cwd = tempDir();
    const outcome = ksim(['explore', LOST_ACK, '--seeds', '2', '--workers', '1'], { cwd });
    expect(outcome.code).toBe(1);
    const lines = linesOf(outcome.stdout);
    expect(lines[0]).toMatch(/^ksim \S+ explore .*seeds=1\.\.2 \(2\)/);
    expect(lines[1]).toMatch(/^FAIL seed=1 violation \S*lost-ack: .* — replay: npx ksim replay reports\/runs\/lost-ack-seed1\/replay\.json$/);
    expect(lines[2]).toMatch(/^FAIL seed=2 violation /);
    expect(outcome.stdout).toMatch(/violation\s+2\n/);
    expect(outcome.stdout).toMatch(/violations found: \S*lost-ack in 2 seeds/);
    expect(outcome.stdout).toContain('failing seeds (2):');
    expect(outcome.stdout).toMatch(/seed 2 +violation +\S*lost-ack +npx ksim replay reports\/runs\/lost-ack-seed2\/replay\.json/);
    expect(existsSync(join(cwd, 'reports/runs/lost-ack-seed1/replay.json'))).toBe(true);
    expect(existsSync(join(cwd, 'reports/runs/lost-ack-seed2/verdict.json'))).toBe(true);
  });

  test('with --json, failing seeds\' FAIL lines go to stderr and the summary lists them', () => {
    const outcome = ksim(['explore', LOST_ACK, '--seeds', '2', '--workers', '1', '--from', '5', '--json'], { cwd: tempDir() });
    expect(outcome.code).toBe(1);
    expect(linesOf(outcome.stderr).map((line) => line.slice(0, 11))).toEqual(['FAIL seed=5', 'FAIL seed=6']);
    const lines = linesOf(outcome.stdout).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({ verdict: 'violation', replayFile: 'reports/runs/lost-ack-seed5/replay.json' });
    expect(lines[2]).toMatchObject({ summary: true, violation: 2, pass: 0, failingSeeds: [5, 6] });
  });

  test('progress goes to stderr only when stderr is a terminal', () => {
    const quiet = ksim(['explore', QUIET, '--seeds', '2', '--workers', '1'], { cwd: tempDir() });
    expect(quiet.stderr).toBe('');
    const shown = ksim(['explore', QUIET, '--seeds', '2', '--workers', '1'], { cwd: tempDir(), stderrTty: true });
    expect(shown.stderr).toContain('[0/2] seed 1');
    expect(shown.stderr).not.toContain('\n');
  });

  test('--check-determinism runs every seed twice', () => {
    const outcome = ksim(['explore', QUIET, '--seeds', '2', '--workers', '1', '--check-determinism', '--json'], { cwd: tempDir() });
    expect(outcome.code).toBe(0);
    const reports = linesOf(outcome.stdout).slice(0, 2).map((line) => JSON.parse(line) as { determinism?: { deterministic: boolean } });
    for (const report of reports) expect(report.determinism?.deterministic).toBe(true);
  });
});

describe('the exit code of many seeds is the worst verdict', () => {
  test('nondeterministic, then violation, then liveness, then pass', () => {
    expect(worstVerdict(['pass', 'liveness', 'violation', 'nondeterministic'])).toBe('nondeterministic');
    expect(worstVerdict(['liveness', 'violation', 'pass'])).toBe('violation');
    expect(worstVerdict(['pass', 'liveness'])).toBe('liveness');
    expect(worstVerdict(['pass'])).toBe('pass');
    expect(worstVerdict([])).toBe('pass');
    expect(['pass', 'violation', 'liveness', 'nondeterministic'].map((verdict) => exitCodeOf(verdict as never))).toEqual([0, 1, 2, 3]);
  });
});
