/**
 * The mutation catalogue still fits the sources (every edit applies exactly once), and the
 * runner's classification of explore results is right. The mutation run itself is
 * `npm run mutants`, never part of the test suite.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { MUTATIONS } from '../../sim/mutants/catalogue.js';
import { allCaught, firstCatch, livenessSeeds, markdownReport, MUTANTS_EXIT, mutantsExitCode, type MutationOutcome, parseExploreLines } from '../../sim/mutants/outcome.js';
import { applyEdit, applyEdits, planEdits } from '../../sim/mutants/patch.js';
import { loadScenario } from '../../sim/scenario/load.js';

const ROOT = join(import.meta.dirname, '..', '..');

describe('the mutation catalogue', () => {
  test('holds at least 15 mutations with distinct ids, a rule and scenarios each', () => {
    expect(MUTATIONS.length).toBeGreaterThanOrEqual(15);
    expect(new Set(MUTATIONS.map((mutation) => mutation.id)).size).toBe(MUTATIONS.length);
    for (const mutation of MUTATIONS) {
      expect(mutation.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(mutation.rule.length).toBeGreaterThan(20);
      expect(mutation.scenarios.length).toBeGreaterThan(0);
      expect(mutation.edits.length).toBeGreaterThan(0);
      for (const edit of mutation.edits) expect(edit.file.startsWith('src/')).toBe(true);
    }
  });

  test.each(MUTATIONS.map((mutation) => [mutation.id, mutation] as const))('%s applies exactly once to the current sources', (_id, mutation) => {
    expect(planEdits(ROOT, mutation.edits)).not.toHaveProperty('problems');
  });

  test('every scenario a mutation explores exists', () => {
    const names = new Set(MUTATIONS.flatMap((mutation) => mutation.scenarios));
    for (const name of names) expect(loadScenario(name, ROOT).scenario.name).toBe(name);
  });
});

describe('applying an edit', () => {
  test('refuses text that is missing or appears twice, and a replacement that changes nothing', () => {
    expect(applyEdit('a b a', { file: 'f', search: 'a', replace: 'c' })).toEqual({ problem: 'the searched text occurs 2 times, not exactly once' });
    expect(applyEdit('a b', { file: 'f', search: 'x', replace: 'c' })).toEqual({ problem: 'the searched text occurs 0 times, not exactly once' });
    expect(applyEdit('a b', { file: 'f', search: 'a', replace: 'a' })).toHaveProperty('problem');
    expect(applyEdit('a b', { file: 'f', search: 'a', replace: '$&$&' })).toEqual({ text: '$&$& b' });
  });

  test('writes all edits or none', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ksim-patch-'));
    try {
      writeFileSync(join(dir, 'one.ts'), 'const a = 1;\n');
      writeFileSync(join(dir, 'two.ts'), 'const b = 2;\n');
      const problems = applyEdits(dir, [
        { file: 'one.ts', search: 'a = 1', replace: 'a = 3' },
        { file: 'two.ts', search: 'missing', replace: 'x' },
      ]);
      expect(problems).toEqual([{ file: 'two.ts', search: 'missing', problem: 'the searched text occurs 0 times, not exactly once' }]);
      expect(readFileSync(join(dir, 'one.ts'), 'utf8')).toBe('const a = 1;\n');
      expect(applyEdits(dir, [{ file: 'one.ts', search: 'a = 1', replace: 'a = 3' }])).toEqual([]);
      expect(readFileSync(join(dir, 'one.ts'), 'utf8')).toBe('const a = 3;\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('classifying explore results', () => {
  const stdout = [
    JSON.stringify({ seed: 3, verdict: 'pass', violations: [], summary: { sends: 3 } }),
    JSON.stringify({ seed: 4, verdict: 'liveness', violations: [] }),
    JSON.stringify({ seed: 6, verdict: 'violation', violations: [{ invariant: 'AckedWriteLost', message: 'lost 7' }] }),
    JSON.stringify({ seed: 5, verdict: 'violation', violations: [{ invariant: 'HighWatermarkWithinMaximalIsr', message: 'hw 9' }] }),
    'not json',
    JSON.stringify({ summary: true, seeds: 4, seed: 9, verdict: 'violation' }),
  ].join('\n');

  test('reads run reports and skips the summary and other lines', () => {
    expect(parseExploreLines(stdout).map((result) => result.seed)).toEqual([3, 4, 6, 5]);
  });

  test('the lowest violating seed catches; liveness failures do not', () => {
    const results = parseExploreLines(stdout);
    expect(firstCatch('kafka-swarm', results)).toEqual({ scenario: 'kafka-swarm', seed: 5, invariant: 'HighWatermarkWithinMaximalIsr', message: 'hw 9' });
    expect(firstCatch('kafka-swarm', results.filter((result) => result.verdict !== 'violation'))).toBeNull();
    expect(livenessSeeds(results)).toEqual([4]);
  });

  test('a run succeeds only when every mutation was caught, and the report says which were not', () => {
    const caught: MutationOutcome = { kind: 'caught', caught: { scenario: 'raft-swarm', seed: 2, invariant: 'SingleLeader', message: 'two' }, seedsRun: 2, wallMs: 1 };
    const missed: MutationOutcome = { kind: 'missed', seedsRun: 500, livenessSeeds: [], wallMs: 1 };
    const notApplied: MutationOutcome = { kind: 'not-applied', problems: [{ file: 'src/x.ts', search: 'y', problem: 'gone' }] };
    const [first, second] = [MUTATIONS[0]!, MUTATIONS[1]!];
    expect(allCaught(new Map([[first.id, caught]]))).toBe(true);
    expect(allCaught(new Map<string, MutationOutcome>([[first.id, caught], [second.id, missed]]))).toBe(false);
    expect(allCaught(new Map([[first.id, notApplied]]))).toBe(false);
    const report = markdownReport([first, second], new Map<string, MutationOutcome>([[first.id, caught], [second.id, missed]]), { commit: 'abc', seedsMax: 500, workers: 1 });
    expect(report).toContain('**1 of 2 mutations caught.**');
    expect(report).toContain(`| \`${first.id}\` |`);
    expect(report).toContain('| raft-swarm 2 | 2 |');
    expect(report).toContain('MISSED in 500 seeds');
  });

  test('the exit code never says 1 (a safety violation in ksim): 0 all caught, 4 a survivor, 70 an untested mutation', () => {
    const caught: MutationOutcome = { kind: 'caught', caught: { scenario: 'raft-swarm', seed: 2, invariant: 'SingleLeader', message: 'two' }, seedsRun: 2, wallMs: 1 };
    const missed: MutationOutcome = { kind: 'missed', seedsRun: 500, livenessSeeds: [], wallMs: 1 };
    const notApplied: MutationOutcome = { kind: 'not-applied', problems: [{ file: 'src/x.ts', search: 'y', problem: 'gone' }] };
    const buildFailed: MutationOutcome = { kind: 'build-failed', output: 'error TS2304' };
    expect(mutantsExitCode(new Map([['a', caught]]))).toBe(0);
    expect(mutantsExitCode(new Map<string, MutationOutcome>([['a', caught], ['b', missed]]))).toBe(4);
    expect(mutantsExitCode(new Map<string, MutationOutcome>([['a', missed], ['b', notApplied]]))).toBe(70);
    expect(mutantsExitCode(new Map<string, MutationOutcome>([['a', caught], ['b', buildFailed]]))).toBe(70);
    expect(Object.values(MUTANTS_EXIT)).not.toContain(1);
  });
});
