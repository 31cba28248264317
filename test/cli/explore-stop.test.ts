/**
 * Where an explore starts and how it stops early: without --from it starts at a random seed (the
 * bin shim's; the harness's is fixed) and prints it first; with --time-budget no seed starts once
 * the budget is spent and the summary says which seeds were covered; Ctrl-C (SIGINT, sent to the
 * built command) prints the summary of the seeds that finished and exits 130.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { FIXTURES, ksim, linesOf, RANDOM_SEED, REPO_ROOT, tempDir } from './harness.js';

const QUIET = join(FIXTURES, 'quiet.yaml');

describe('a random first seed', () => {
  test('without --from, the first line names the seed and how to repeat the sweep', () => {
    const outcome = ksim(['explore', QUIET, '--seeds', '2', '--workers', '1'], { cwd: tempDir() });
    expect(outcome.code).toBe(0);
    const lines = linesOf(outcome.stdout);
    expect(lines[0]).toBe(`random first seed ${RANDOM_SEED}: repeat this sweep with --from ${RANDOM_SEED}`);
    expect(lines[1]).toContain(`seeds=${RANDOM_SEED}..${RANDOM_SEED + 1} (2)`);
  });

  test('with --json, it goes to stderr and the summary names it', () => {
    const outcome = ksim(['explore', QUIET, '--seeds', '2', '--workers', '1', '--json'], { cwd: tempDir() });
    expect(outcome.stderr).toContain(`random first seed ${RANDOM_SEED}`);
    const summary = JSON.parse(linesOf(outcome.stdout).at(-1)!) as Record<string, unknown>;
    expect(summary).toMatchObject({ summary: true, from: RANDOM_SEED, seeds: 2 });
  });
});

describe('--time-budget', () => {
  test('stops starting seeds once it is spent, and says what was covered', () => {
    const outcome = ksim(['explore', QUIET, '--seeds', '100000', '--from', '1', '--workers', '1', '--time-budget', '1s'], { cwd: tempDir() });
    expect(outcome.code).toBe(0);
    expect(outcome.stdout).toContain('time-budget=1s');
    const covered = /covered: seeds: ([\d,]+) of 100,000, seeds 1\.\.(\d+), then the time budget ran out/.exec(outcome.stdout);
    expect(covered).not.toBeNull();
    expect(Number(covered![1]!.replace(/,/g, ''))).toBe(Number(covered![2]));
    expect(outcome.stdout).toMatch(/explored [\d,]+ seeds/);
  });

  test('runs until it is spent without --seeds', () => {
    const outcome = ksim(['explore', QUIET, '--from', '1', '--workers', '1', '--time-budget', '500ms', '--json'], { cwd: tempDir() });
    expect(outcome.code).toBe(0);
    const summary = JSON.parse(linesOf(outcome.stdout).at(-1)!) as Record<string, unknown>;
    expect(summary).toMatchObject({ summary: true, end: ['time-budget'] });
  });

  test.each(['0s', '10', 'ten minutes', '8d'])('refuses %s', (budget) => {
    const outcome = ksim(['explore', QUIET, '--seeds', '2', '--from', '1', '--time-budget', budget], { cwd: tempDir() });
    expect(outcome.code).toBe(64);
    expect(outcome.stderr).toContain('--time-budget must be a duration like 10m, 90s, 1h30m or 500ms');
  });
});

/** Starts the built command, sends SIGINT once a few seeds have run, and collects the outcome. */
function interruptedExplore(workers: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'ksim.js'), 'explore', QUIET, '--seeds', '100000', '--from', '1', '--workers', String(workers)], {
      cwd: tempDir(),
      env: { ...process.env, NO_COLOR: '1' },
    });
    let stdout = '';
    let stderr = '';
    let sent = false;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      if (!sent && stdout.includes('workers=')) {
        sent = true;
        // Let a few seeds finish first, so the partial summary has something in it.
        setTimeout(() => child.kill('SIGINT'), 1_500);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('Ctrl-C', () => {
  test.each([1, 2])('with %i worker(s): the partial summary of the finished seeds, exit 130', async (workers) => {
    const outcome = await interruptedExplore(workers);
    expect(outcome.stderr).toContain('interrupted: finishing the seeds that are running, then the summary');
    expect(outcome.code).toBe(130);
    const covered = /covered: seeds: ([\d,]+) of 100,000, seeds 1\.\.(\d+), then it was interrupted/.exec(outcome.stdout);
    expect(covered).not.toBeNull();
    expect(Number(covered![1]!.replace(/,/g, ''))).toBeGreaterThan(0);
    expect(outcome.stdout).toMatch(/ {2}pass +[\d,]+/);
  }, 60_000);
});
