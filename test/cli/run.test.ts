/**
 * `ksim run`: the options header, --json, --trace, --check-determinism, and what a failing run
 * leaves behind — the FAIL line first, the run folder with replay.json and verdict.json — which
 * `ksim replay` then reproduces with the same trace hash.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { FIXTURES, ksim, linesOf, tempDir } from './harness.js';

const QUIET = join(FIXTURES, 'quiet.yaml');
const LOST_ACK = join(FIXTURES, 'lost-ack.yaml');

describe('a passing run', () => {
  test('prints every option first, then the verdict and the figures', () => {
    const outcome = ksim(['run', QUIET, '--seed', '7'], { cwd: tempDir() });
    expect(outcome.code).toBe(0);
    const lines = linesOf(outcome.stdout);
    expect(lines[0]).toMatch(/^ksim \S+ run {2}scenario=quiet \(.*quiet\.yaml\) {2}system=counter {2}seed=7 {2}durationMs=2000 {2}livenessMs=1000 {2}faults=none/);
    expect(outcome.stdout).toContain('verdict: pass');
    expect(outcome.stdout).toMatch(/stats: [\d,]+ events, 3\.0 simulated s, [\d,]+ wall ms, [\d,]+ events\/s, trace hash [0-9a-f]+/);
    expect(outcome.stdout).toContain('expected: pass ✓');
    expect(outcome.stdout).not.toContain('FAIL');
    expect(outcome.stdout).not.toMatch(/\x1b\[/);
  });

  test('without --seed runs seed 1, and says so', () => {
    const outcome = ksim(['run', QUIET], { cwd: tempDir() });
    expect(outcome.code).toBe(0);
    expect(linesOf(outcome.stdout)[0]).toContain('seed=1 ');
  });

  test('--json prints exactly one JSON object with the run report\'s fields', () => {
    const outcome = ksim(['run', QUIET, '--seed', '7', '--json'], { cwd: tempDir() });
    expect(outcome.code).toBe(0);
    expect(linesOf(outcome.stdout)).toHaveLength(1);
    const report = JSON.parse(outcome.stdout) as Record<string, unknown>;
    for (const field of ['scenario', 'system', 'seed', 'traceHash', 'verdict', 'expected', 'violations', 'anomalies', 'summary', 'stats', 'faultPlan']) {
      expect(report).toHaveProperty(field);
    }
    expect(report).toMatchObject({ scenario: 'quiet', system: 'counter', seed: 7, verdict: 'pass', expected: 'pass', violations: [] });
    expect(report['stats']).toMatchObject({ events: expect.any(Number), simTimeMs: 3000, wallMs: expect.any(Number) });
    expect(outcome.stderr).toBe('');
  });

  test('the same seed gives the same trace hash, and another seed another', () => {
    const hashOf = (seed: string): unknown => (JSON.parse(ksim(['run', QUIET, '--seed', seed, '--json'], { cwd: tempDir() }).stdout) as { traceHash: unknown }).traceHash;
    expect(hashOf('5')).toBe(hashOf('5'));
    expect(hashOf('5')).not.toBe(hashOf('6'));
  });

  test('--trace writes the trace as JSON lines', () => {
    const cwd = tempDir();
    const outcome = ksim(['run', QUIET, '--trace', 'out.jsonl'], { cwd });
    expect(outcome.code).toBe(0);
    const lines = linesOf(readFileSync(join(cwd, 'out.jsonl'), 'utf8'));
    expect(lines.length).toBeGreaterThan(100);
    for (const line of lines.slice(0, 20)) expect(() => JSON.parse(line) as unknown).not.toThrow();
    expect(outcome.stdout).toContain(`trace: ${lines.length} lines written to out.jsonl`);
  });

  test('--check-determinism runs the seed twice and reports both hashes equal', () => {
    const outcome = ksim(['run', QUIET, '--seed', '3', '--check-determinism', '--json'], { cwd: tempDir() });
    expect(outcome.code).toBe(0);
    const report = JSON.parse(outcome.stdout) as { traceHash: string; determinism: { traceHashes: string[]; deterministic: boolean } };
    expect(report.determinism).toEqual({ traceHashes: [report.traceHash, report.traceHash], deterministic: true });
  });

  test('a passing run writes no run folder', () => {
    const cwd = tempDir();
    ksim(['run', QUIET], { cwd });
    expect(existsSync(join(cwd, 'reports'))).toBe(false);
  });
});

describe('a failing run', () => {
  test('prints the FAIL line before anything else about the outcome, and writes the run folder', () => {
    const cwd = tempDir();
    const outcome = ksim(['run', LOST_ACK, '--seed', '3'], { cwd });
    expect(outcome.code).toBe(1);
    const lines = linesOf(outcome.stdout);
    // Line 0 is the options header, printed before the run starts; the FAIL line is the first result.
    expect(lines[0]).toMatch(/^ksim \S+ run .*seed=3/);
    expect(lines[1]).toMatch(
      /^FAIL seed=3 violation \S*lost-ack: .+ — replay: npx ksim replay reports\/lost-ack-3\/replay\.json$/,
    );
    expect(outcome.stdout).toContain('expected: violation ✓');
    expect(outcome.stdout).toContain('lesson:');

    const folder = join(cwd, 'reports', 'lost-ack-3');
    const replay = JSON.parse(readFileSync(join(folder, 'replay.json'), 'utf8')) as Record<string, unknown>;
    expect(replay).toMatchObject({ ksimReplay: 2, seed: 3, verdict: 'violation', scenario: { name: 'lost-ack', source: { kind: 'file' } } });
    expect(replay['faultPlan']).toEqual([{ atMs: 3000, action: { type: 'crash', node: 'r1', mode: 'power', restartAfterMs: 500 } }]);
    expect((replay['firstViolation'] as { invariant: string }).invariant).toMatch(/lost-ack/);
    const verdict = JSON.parse(readFileSync(join(folder, 'verdict.json'), 'utf8')) as Record<string, unknown>;
    expect(verdict).toMatchObject({ verdict: 'violation', traceHash: replay['traceHash'], replayFile: 'reports/lost-ack-3/replay.json' });
  });

  test('with --json, the FAIL line goes to stderr and stdout holds one JSON object', () => {
    const cwd = tempDir();
    const outcome = ksim(['run', LOST_ACK, '--seed', '3', '--json'], { cwd });
    expect(outcome.code).toBe(1);
    expect(linesOf(outcome.stderr)).toHaveLength(1);
    expect(outcome.stderr).toMatch(/^FAIL seed=3 violation /);
    const report = JSON.parse(outcome.stdout) as { verdict: string; violations: Array<{ invariant: string; atMs: number; kind: string }>; replayFile: string };
    expect(report.verdict).toBe('violation');
    expect(report.violations[0]).toMatchObject({ kind: 'safety', atMs: expect.any(Number) });
    expect(report.replayFile).toBe('reports/lost-ack-3/replay.json');
  });

  test('`ksim replay` of its replay file reproduces the same hash and exits with the verdict\'s code', () => {
    const cwd = tempDir();
    const run = JSON.parse(ksim(['run', LOST_ACK, '--seed', '4', '--json'], { cwd }).stdout) as { traceHash: string };
    const outcome = ksim(['replay', 'reports/lost-ack-4/replay.json'], { cwd });
    expect(outcome.code).toBe(1);
    expect(outcome.stdout).toContain(`reproduced: trace hash ${run.traceHash} matches the recording, verdict violation`);
    const json = ksim(['replay', 'reports/lost-ack-4/replay.json', '--json'], { cwd });
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ traceHash: run.traceHash, verdict: 'violation', replay: { reproduced: true } });
  });
});

test('--json --narrate keeps the narration, on stderr, and stdout holds the one JSON object', () => {
  const outcome = ksim(['run', join(FIXTURES, 'lost-ack.yaml'), '--seed', '3', '--json', '--narrate'], { cwd: tempDir() });
  expect(outcome.code).toBe(1);
  expect(() => JSON.parse(outcome.stdout) as unknown).not.toThrow();
  expect(outcome.stderr).toContain('── safety phase: faults as planned ──');
  expect(outcome.stderr).toContain('FAULT ');
});

describe('--expect: the scenario\'s expected verdict is success', () => {
  test('a lesson whose violation appears exits 0; without --expect it exits 1', () => {
    expect(ksim(['run', LOST_ACK, '--expect'], { cwd: tempDir() }).code).toBe(0);
    expect(ksim(['run', LOST_ACK], { cwd: tempDir() }).code).toBe(1);
  });

  test('a scenario expected to pass that passes exits 0', () => {
    expect(ksim(['run', QUIET, '--expect'], { cwd: tempDir() }).code).toBe(0);
  });

  test('a lesson that does not show its failure exits 4, and --json keeps the same code', () => {
    const cwd = tempDir();
    const unshown = join(cwd, 'unshown.yaml');
    writeFileSync(unshown, readFileSync(QUIET, 'utf8').replace('expect: pass', 'expect: violation'));
    expect(ksim(['run', unshown, '--expect'], { cwd }).code).toBe(4);
    expect(ksim(['run', unshown, '--expect', '--json'], { cwd }).code).toBe(4);
    expect(ksim(['run', unshown], { cwd }).code).toBe(0);
  });
});
