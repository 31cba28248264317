/**
 * ksim used the way a user's project uses it: test/fixtures/library-user imports `ksim` and
 * `ksim/vitest` by package name, through a node_modules/ksim link to this repository's built
 * package (its `exports` and its type declarations), is type-checked by tsc, and run by Node.
 * Needs the build (`npm test` builds first).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';

const REPO_ROOT = join(import.meta.dirname, '..', '..');
const FIXTURE = join(REPO_ROOT, 'test', 'fixtures', 'library-user');

interface Usage {
  passing: string;
  deterministic: boolean;
  builtin: string;
  failure: { message: string; seed: number } | null;
  explored: number[];
  firstViolation: string | undefined;
  replayed: boolean;
  badField: string;
  lostWriteAllowed: boolean | undefined;
}

describe('a project that depends on ksim', () => {
  let project: string;
  let compiled: ReturnType<typeof spawnSync>;
  let usage: Usage;

  beforeAll(() => {
    if (!existsSync(join(REPO_ROOT, 'dist', 'sim', 'library.d.ts'))) throw new Error('ksim is not built: run `npm run build` (npm test does)');
    project = mkdtempSync(join(tmpdir(), 'ksim-user-'));
    cpSync(FIXTURE, project, { recursive: true });
    mkdirSync(join(project, 'node_modules', '@types'), { recursive: true });
    symlinkSync(REPO_ROOT, join(project, 'node_modules', 'ksim'), 'dir');
    symlinkSync(join(REPO_ROOT, 'node_modules', '@types', 'node'), join(project, 'node_modules', '@types', 'node'), 'dir');
    compiled = spawnSync(process.execPath, [join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(project, 'tsconfig.json')], { encoding: 'utf8' });
    const ran = spawnSync(process.execPath, [join(project, 'out', 'usage.js')], { cwd: project, encoding: 'utf8' });
    if (ran.status !== 0) throw new Error(`usage.js failed (${String(ran.status)}):\n${ran.stderr}`);
    usage = JSON.parse(ran.stdout) as Usage;
  });

  test('type-checks against the package\'s declarations', () => {
    expect(compiled.stdout).toBe('');
    expect(compiled.status).toBe(0);
  });

  test('runs a scenario given as an object or a built-in name, deterministically', () => {
    expect(usage.passing).toBe('pass');
    expect(usage.deterministic).toBe(true);
    expect(usage.builtin).toBe('pass');
  });

  test('expectScenario fails with the seed, the anomaly and the replay command first', () => {
    expect(usage.failure?.seed).toBe(1);
    const [first] = (usage.failure?.message ?? '').split('\n');
    expect(first).toMatch(/^FAIL seed=1 violation AckedValueRetained\/lost-ack: .* — replay: npx ksim replay reports\/lost-ack-1\/replay\.json$/);
    expect(existsSync(join(project, 'reports', 'lost-ack-1', 'report.html'))).toBe(true);
  });

  test('explores and replays a failure, and refuses a bad scenario by its field', () => {
    expect(usage.explored).toEqual([1, 2]);
    expect(usage.firstViolation).toBe('AckedValueRetained/lost-ack');
    expect(usage.replayed).toBe(true);
    expect(usage.badField).toContain('durationMs');
  });

  test('reads the contract, and writes the report and the Jepsen history', () => {
    expect(usage.lostWriteAllowed).toBe(false);
    expect(readFileSync(join(project, 'report.html'), 'utf8')).toMatch(/^<!DOCTYPE html>/);
    expect(readFileSync(join(project, 'history.edn'), 'utf8')).toMatch(/^\{:index 0, /);
  });
});
