/**
 * A malformed scenario file given to `ksim run`: exit 64, one paragraph on stderr naming the
 * file, the field path and what is allowed there, and no stack trace.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ksim, tempDir } from './harness.js';

const GOOD = [
  'description: A scenario written by a test.',
  'system: counter',
  'cluster: { replicas: 3, clients: 1 }',
  'workload: { intervalMs: 100 }',
  'faults:',
  '  plan:',
  '    - { atMs: 500, type: pause, node: r2, durationMs: 100 }',
  '    - { atMs: 1000, type: crash, node: r1, mode: power, restartAfterMs: 200 }',
  'durationMs: 2000',
  'livenessMs: 1000',
  'expect: pass',
].join('\n');

function runFile(text: string, file = 'my-scenario.yaml'): { code: number; stdout: string; stderr: string } {
  const cwd = tempDir();
  writeFileSync(join(cwd, file), text);
  return ksim(['run', file, '--seed', '1'], { cwd });
}

function expectScenarioError(text: string, ...words: string[]): void {
  const outcome = runFile(text);
  expect(outcome.code).toBe(64);
  expect(outcome.stdout).toBe('');
  expect(outcome.stderr.trim().split('\n')).toHaveLength(1);
  expect(outcome.stderr).toContain('my-scenario.yaml');
  for (const word of words) expect(outcome.stderr).toContain(word);
  expect(outcome.stderr).not.toMatch(/\n\s+at /);
}

describe('ksim run with a malformed scenario file exits 64', () => {
  test('the file itself runs (the control case)', () => {
    expect(runFile(GOOD).code).toBe(0);
  });

  test('a missing field', () => {
    expectScenarioError(GOOD.replace('livenessMs: 1000', ''), 'livenessMs is missing');
  });

  test('a wrongly typed field', () => {
    expectScenarioError(GOOD.replace('intervalMs: 100', 'intervalMs: fast'), 'workload.intervalMs must be an integer (got the string "fast")');
  });

  test('an unknown key', () => {
    expectScenarioError(
      GOOD.replace('intervalMs: 100', 'intervalMS: 100'),
      'workload.intervalMS is not a known key (did you mean "intervalMs"?)',
      'allowed keys in workload: intervalMs, requestTimeoutMs, amountMax',
    );
  });

  test('a bad enum in a fault plan entry', () => {
    expectScenarioError(GOOD.replace('mode: power', 'mode: battery'), 'faults.plan[1].mode must be one of process, power, disk (got "battery")');
  });

  test('a YAML syntax error', () => {
    expectScenarioError(GOOD.replace('cluster: { replicas: 3, clients: 1 }', 'cluster: { replicas: 3, clients: 1'), 'is not valid YAML at line');
  });
});
