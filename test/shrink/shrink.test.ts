/**
 * `ksim shrink`: a failing run reduced to a smaller one that fails the same way — fewer faults,
 * shorter windows, fewer clients — saved as a replay file that `ksim replay` reproduces. And the
 * shrunk plans of the swarm lessons that the README shows: each still fails as its lesson does,
 * with at most a few faults.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import type { TimedFault } from '../../sim/faults/plan.js';
import { describeFault } from '../../sim/faults/plan.js';
import { runScenario } from '../../sim/runner.js';
import { ShrinkError, shrinkRun } from '../../sim/shrink/shrinkRun.js';
import { loadScenario, toScenarioFile, validateScenario } from '../../sim/scenario/load.js';
import { FIXTURES, ksim, REPO_ROOT, tempDir } from '../cli/harness.js';

const SHRUNK_LESSONS = join(dirname(fileURLToPath(import.meta.url)), 'swarm-lessons-shrunk.json');

/** A swarm fixture whose seed 3 loses an acknowledged add among several faults. */
const MIXED = join(FIXTURES, 'mixed-swarm.yaml');

describe('ksim shrink', () => {
  test('shrinks a failing swarm seed to fewer faults that fail the same way, and saves a replayable file', () => {
    const cwd = tempDir();
    expect(ksim(['run', MIXED, '--seed', '3'], { cwd }).code).toBe(1);
    const original = JSON.parse(readFileSync(join(cwd, 'reports/mixed-swarm-3/replay.json'), 'utf8')) as { faultPlan: unknown[]; firstViolation: { invariant: string } };
    const outcome = ksim(['shrink', 'reports/mixed-swarm-3/replay.json', '--json'], { cwd });
    expect(outcome.code).toBe(1);
    const result = JSON.parse(outcome.stdout) as { faultsBefore: number; faultsAfter: number; invariant: string; file: string; runs: number };
    expect(result.faultsBefore).toBe(original.faultPlan.length);
    expect(result.faultsAfter).toBeLessThan(result.faultsBefore);
    expect(result.faultsAfter).toBeLessThanOrEqual(2);
    expect(result.invariant).toBe(original.firstViolation.invariant);
    expect(result.file).toBe('reports/mixed-swarm-3/shrunk-replay.json');
    expect(outcome.stderr).toContain('shrink: dropped');

    const replayed = ksim(['replay', result.file], { cwd });
    expect(replayed.code).toBe(1);
    expect(replayed.stdout).toContain('reproduced: trace hash');
    const shrunk = JSON.parse(readFileSync(join(cwd, result.file), 'utf8')) as { firstViolation: { invariant: string }; faultPlan: unknown[] };
    expect(shrunk.firstViolation.invariant).toBe(original.firstViolation.invariant);
    expect(shrunk.faultPlan).toHaveLength(result.faultsAfter);
  });

  test('a passing run has nothing to shrink', () => {
    const { scenario } = loadScenario(MIXED, REPO_ROOT);
    expect(() => shrinkRun(scenario, 1, { verdict: 'pass', invariant: '' }, { maxRuns: 10 })).toThrow(ShrinkError);
  });

  test('a replay file edited to claim another verdict is refused before any run (exit 64)', () => {
    const cwd = tempDir();
    expect(ksim(['run', MIXED, '--seed', '3'], { cwd }).code).toBe(1);
    const file = join(cwd, 'reports/mixed-swarm-3/replay.json');
    const replay = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    // A replay recorded as passing cannot come from ksim: it is refused as edited first.
    writeFileSync(file, JSON.stringify({ ...replay, verdict: 'pass' }));
    const outcome = ksim(['shrink', 'reports/mixed-swarm-3/replay.json'], { cwd });
    expect(outcome.code).toBe(64);
    expect(outcome.stderr).toContain('was changed after it was recorded');
  });
});

interface ShrunkLesson {
  scenario: string;
  seed: number;
  verdict: string;
  invariant: string;
  cluster: Record<string, unknown>;
  workload: Record<string, unknown>;
  durationMs: number;
  plan: TimedFault[];
}

describe('the swarm lessons shrunk, as the README shows them', () => {
  const lessons = JSON.parse(readFileSync(SHRUNK_LESSONS, 'utf8')) as ShrunkLesson[];
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');

  test('every swarm lesson has its shrunk plan', () => {
    const swarmLessons = readme.match(/kafka-legacy-[a-z0-9-]+-swarm/g) ?? [];
    expect(new Set(lessons.map((lesson) => lesson.scenario))).toEqual(new Set(swarmLessons));
  });

  test.each(lessons.map((lesson) => [lesson.scenario, lesson] as const))('%s: at most five faults (eight for KIP-279), failing as the lesson does, shown in the README', (name, lesson) => {
    // pre-KIP-903 needs five faults in order (a registration left, a stale fetch, a proposal), and
    // pre-KIP-279 eight (two quick leader changes while isolations keep the controller from fencing
    // anyone): ddmin finds no smaller plan for either (a second shrink keeps them all). Since a broker
    // registering again in one process is no longer taken for a restart, the KIP-279 lesson's
    // earlier 4-fault plan no longer fails.
    expect(lesson.plan.length).toBeLessThanOrEqual(lesson.scenario === 'kafka-legacy-epoch-lookup-without-epoch-swarm' ? 8 : 5);
    const { scenario: original } = loadScenario(name, REPO_ROOT);
    const { foundAtSeed: _foundAtSeed, ...rest } = original;
    const file = toScenarioFile({ ...rest, cluster: lesson.cluster, workload: lesson.workload, durationMs: lesson.durationMs, faults: { none: true } });
    const scenario = validateScenario({ ...file, faults: { plan: lesson.plan.map((fault) => ({ atMs: fault.atMs, ...fault.action })) } }, name, 'the shrunk plan');
    const result = runScenario(scenario, lesson.seed);
    expect(result.verdict).toBe(lesson.verdict);
    expect(result.violations[0]?.invariant).toBe(lesson.invariant);
    for (const fault of scenario.faults && 'plan' in scenario.faults ? scenario.faults.plan : ([] as TimedFault[])) {
      expect(readme).toContain(`${fault.atMs}ms ${describeFault(fault.action)}`);
    }
  });
});
