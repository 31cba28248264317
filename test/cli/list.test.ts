/**
 * `ksim list`: the scenarios, one line each, or a JSON array; KSIM_SCENARIOS_DIR points it
 * elsewhere; colour only on a terminal without NO_COLOR; and the real `bin/ksim.js`, spawned.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { listScenarios } from '../../sim/scenario/load.js';
import { ksim, linesOf, REPO_ROOT, scenariosDirWith, tempDir } from './harness.js';

describe('ksim list', () => {
  test('prints one line per built-in scenario: name, system, expected verdict, description', () => {
    const outcome = ksim(['list'], { cwd: tempDir() });
    expect(outcome.code).toBe(0);
    const lines = linesOf(outcome.stdout);
    expect(lines[0]).toMatch(/^name +system +expect +description$/);
    const builtins = listScenarios();
    expect(lines).toHaveLength(builtins.length + 1);
    builtins.forEach((scenario, index) => {
      expect(lines[index + 1]).toMatch(new RegExp(`^${scenario.name} +${scenario.system} +${scenario.expect} +`));
    });
  });

  test('--json prints one array', () => {
    const scenariosDir = scenariosDirWith(['quiet.yaml', 'lost-ack.yaml']);
    const outcome = ksim(['list', '--json'], { cwd: tempDir(), env: { NO_COLOR: '1', KSIM_SCENARIOS_DIR: scenariosDir } });
    expect(outcome.code).toBe(0);
    expect(JSON.parse(outcome.stdout)).toEqual([
      { name: 'lost-ack', description: expect.stringContaining('acknowledges before'), system: 'counter', expect: 'violation', ksimVersion: expect.any(String) },
      { name: 'quiet', description: expect.any(String), system: 'counter', expect: 'pass', ksimVersion: expect.any(String) },
    ]);
  });

  test('colour only on a terminal, and never with NO_COLOR', () => {
    const cwd = tempDir();
    expect(ksim(['list'], { cwd, env: {}, stdoutTty: false }).stdout).not.toMatch(/\x1b\[/);
    expect(ksim(['list'], { cwd, env: { NO_COLOR: '1' }, stdoutTty: true }).stdout).not.toMatch(/\x1b\[/);
    expect(ksim(['list'], { cwd, env: {}, stdoutTty: true }).stdout).toMatch(/\x1b\[/);
  });

  test('the installed command runs: node bin/ksim.js list', () => {
    const child = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'ksim.js'), 'list'], {
      cwd: tempDir(),
      env: { ...process.env, NO_COLOR: '1' },
      encoding: 'utf8',
    });
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    expect(child.stdout).toMatch(/^name +system +expect +description\n/);
  });
});

test('FORCE_COLOR colours output that is not a terminal; NO_COLOR still wins; FORCE_COLOR=0 turns it off', () => {
  const cwd = tempDir();
  expect(ksim(['list'], { cwd, env: { FORCE_COLOR: '1' }, stdoutTty: false }).stdout).toMatch(/\x1b\[/);
  expect(ksim(['list'], { cwd, env: { FORCE_COLOR: '1', NO_COLOR: '1' }, stdoutTty: false }).stdout).not.toMatch(/\x1b\[/);
  expect(ksim(['list'], { cwd, env: { FORCE_COLOR: '0' }, stdoutTty: true }).stdout).not.toMatch(/\x1b\[/);
});
