/**
 * `ksim explore --workers N`: the same seeds on one thread and on three give the same output —
 * every FAIL line and JSON report in seed order, the same summary, the same run folders and the
 * same exit code — apart from wall-clock figures and the `workers` option in the header. Runs the
 * built command (`npm test` builds it first), since worker threads load the compiled worker.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { FIXTURES, REPO_ROOT, tempDir } from './harness.js';

/** Seeds of this fixture reach different verdicts and take different times. */
const MIXED = join(FIXTURES, 'mixed-swarm.yaml');
const SEEDS = '20';

interface Sweep {
  status: number | null;
  stdout: string;
  stderr: string;
  /** Each run folder's replay.json, by folder name, without the --workers of the command it records. */
  runFolders: Record<string, string>;
}

function explore(workers: number, extra: string[] = []): Sweep {
  const cwd = tempDir();
  const child = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'ksim.js'), 'explore', MIXED, '--seeds', SEEDS, '--workers', String(workers), ...extra], {
    cwd,
    env: { ...process.env, NO_COLOR: '1' },
    encoding: 'utf8',
  });
  const runs = join(cwd, 'reports', 'runs');
  const names = readdirSync(runs).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const runFolders = Object.fromEntries(names.map((name) => [name, readFileSync(join(runs, name, 'replay.json'), 'utf8').replace(/ --workers \d+/, '')]));
  return { status: child.status, stdout: child.stdout, stderr: child.stderr, runFolders };
}

/** The human output without what may differ: wall-clock figures and the workers option. */
function humanWithoutTimings(text: string): string {
  return text.replace(/ workers=\d+/, ' workers=W').replace(/ in [\d,]+ wall ms \([\d,]+ events\/s\)/, ' in T wall ms (R events/s)');
}

/** Each JSON line without its wall-clock figures. */
function jsonWithoutTimings(text: string): unknown[] {
  return text.split('\n').filter((line) => line !== '').map((line) => {
    const object = JSON.parse(line) as Record<string, unknown> & { stats?: Record<string, unknown> };
    delete object['wallMs'];
    delete object['eventsPerSecond'];
    if (object.stats !== undefined) delete object.stats['wallMs'];
    return object;
  });
}

describe('ksim explore --workers', () => {
  test('one worker and three give the same FAIL lines, summary, run folders and exit code', () => {
    const one = explore(1);
    const three = explore(3);
    expect(one.stderr).toBe('');
    expect(one.status).toBe(1);
    expect(one.stdout).toContain('workers=1');
    expect(three.stdout).toContain('workers=3');
    // The sweep must hold failures among passes, or the order of its lines would prove little.
    const failLines = one.stdout.split('\n').filter((line) => line.startsWith('FAIL seed='));
    expect(failLines.length).toBeGreaterThan(1);
    expect(failLines.length).toBeLessThan(Number(SEEDS));
    expect({ ...three, stdout: humanWithoutTimings(three.stdout) }).toEqual({ ...one, stdout: humanWithoutTimings(one.stdout) });
  });

  test('with --json, one worker and three print the same reports in seed order and the same summary', () => {
    const one = explore(1, ['--json']);
    const three = explore(3, ['--json']);
    expect(one.status).toBe(1);
    const reports = jsonWithoutTimings(three.stdout);
    expect(reports.slice(0, -1).map((report) => (report as { seed: number }).seed)).toEqual(Array.from({ length: Number(SEEDS) }, (_, i) => i + 1));
    expect(reports).toEqual(jsonWithoutTimings(one.stdout));
    expect(three.stderr).toBe(one.stderr);
    expect(three.status).toBe(one.status);
    expect(three.runFolders).toEqual(one.runFolders);
  });
});
