/**
 * Bad command lines: each exits 64 with a message that says what was wrong and what is allowed,
 * on stderr, with no stack trace. Also help and version, which are not errors.
 */
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { Writable } from 'node:stream';
import { main } from '../../sim/cli/main.js';
import { captureStream, FIXTURES, ksim, tempDir } from './harness.js';

const QUIET = join(FIXTURES, 'quiet.yaml');

function expectUsageError(args: string[], ...words: string[]): string {
  const outcome = ksim(args, { cwd: tempDir() });
  expect(outcome.code).toBe(64);
  expect(outcome.stdout).toBe('');
  for (const word of words) expect(outcome.stderr).toContain(word);
  expect(outcome.stderr).not.toMatch(/\n\s+at /);
  return outcome.stderr;
}

describe('bad usage exits 64 and says why', () => {
  test('an unknown flag, with the nearest known one', () => {
    expectUsageError(['run', QUIET, '--sed', '3'], 'ksim run: unknown option --sed (did you mean --seed?)', 'usage: ksim run <scenario|file>');
  });

  test('an unknown flag with nothing near lists the options of the verb', () => {
    expectUsageError(['explore', QUIET, '--seeds', '2', '--frobnicate'], 'unknown option --frobnicate; the options of explore are --seeds, --from');
  });

  test('a switch given a value other than true or false', () => {
    expectUsageError(['run', QUIET, '--json=maybe'], 'ksim run: --json is a switch: give it alone (or =true / =false), not "maybe".');
    expectUsageError(['run', QUIET, '--expect=yes'], '--expect is a switch');
    expect(ksim(['run', QUIET, '--json=true'], { cwd: tempDir() }).code).toBe(0);
  });

  test('a non-integer seed', () => {
    expectUsageError(['run', QUIET, '--seed', '1.5'], '--seed must be a whole number from 0 to 9007199254740991 (got "1.5")');
    expectUsageError(['run', QUIET, '--seed', 'abc'], '--seed must be a whole number', '(got "abc")');
  });

  test('a negative seed', () => {
    expectUsageError(['run', QUIET, '--seed', '-1'], '--seed must not be negative (got -1)');
    expectUsageError(['explore', QUIET, '--seeds', '2', '--from=-4'], '--from must not be negative (got -4)');
  });

  test('a seed count that is not at least 1', () => {
    expectUsageError(['explore', QUIET, '--seeds', '0'], '--seeds must be a whole number from 1 to');
  });

  test('a worker count that is not a whole number of at least 1', () => {
    expectUsageError(['explore', QUIET, '--seeds', '2', '--workers', '0'], 'ksim explore: --workers must be a whole number from 1 to 256 (got 0)', 'usage: ksim explore');
    expectUsageError(['explore', QUIET, '--seeds', '2', '--workers', 'two'], '--workers must be a whole number from 1 to 256 (got "two")');
    expectUsageError(['explore', QUIET, '--seeds', '2', '--workers', '1.5'], '--workers must be a whole number', '(got "1.5")');
    expectUsageError(['explore', QUIET, '--seeds', '2', '--workers', '-3'], '--workers must not be negative (got -3)');
    expectUsageError(['explore', QUIET, '--seeds', '2', '--workers', '257'], '--workers must be a whole number from 1 to 256 (got 257)');
    expectUsageError(['explore', QUIET, '--seeds', '2', '--workers'], '--workers needs a value');
  });

  test('a flag without its value', () => {
    expectUsageError(['run', QUIET, '--seed'], '--seed needs a value');
  });

  test('a missing --seeds', () => {
    expectUsageError(['explore', QUIET], 'say how many seeds to run with --seeds N, or give a --time-budget');
  });

  test('a missing scenario, an extra argument', () => {
    expectUsageError(['run'], 'missing the scenario');
    expectUsageError(['run', QUIET, 'extra'], 'unexpected argument "extra"');
  });

  test('an unknown verb, and no verb at all', () => {
    expectUsageError(['rn'], 'unknown verb "rn" (did you mean run?); the verbs are list, run, explore, merge');
    expectUsageError([], 'choose a verb: list, run, explore, merge');
  });

  test('an unknown scenario lists the known names', () => {
    const stderr = expectUsageError(['run', 'no-such-scenario'], 'unknown scenario "no-such-scenario"', 'the built-in scenarios are:', 'ksim list');
    expect(stderr).toContain('counter-basic');
  });
});

describe('help and version', () => {
  test('--help lists the verbs and the exit codes', () => {
    const outcome = ksim(['--help'], { cwd: tempDir() });
    expect(outcome.code).toBe(0);
    for (const verb of ['list', 'run <scenario>', 'explore <scenario>', 'replay <file>', 'bench']) expect(outcome.stdout).toContain(`ksim ${verb}`);
    expect(outcome.stdout).toContain('64  bad usage or bad input');
    expect(outcome.stdout).toContain('3, then 1, then 2, then 0');
    expect(outcome.stderr).toBe('');
  });

  test('a verb\'s --help documents its options', () => {
    const outcome = ksim(['run', '--help'], { cwd: tempDir() });
    expect(outcome.code).toBe(0);
    for (const option of ['--seed', '--json', '--trace', '--check-determinism']) expect(outcome.stdout).toContain(option);
    const explore = ksim(['explore', '--help'], { cwd: tempDir() });
    for (const option of ['--seeds', '--from', '--json', '--check-determinism']) expect(explore.stdout).toContain(option);
  });

  test('--version prints the package version', () => {
    const outcome = ksim(['--version'], { cwd: tempDir() });
    expect(outcome.code).toBe(0);
    expect(outcome.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('internal errors', () => {
  test('an unexpected exception exits 70 with "ksim: internal error" and the stack', () => {
    const brokenStdout = { isTTY: false, write: (): boolean => { throw new Error('the stream broke'); } } as unknown as Writable;
    const stderr = captureStream();
    const exit = main(['list'], { stdout: brokenStdout, stderr: stderr.stream, env: { NO_COLOR: '1' }, cwd: tempDir() });
    expect(exit).toBe(70);
    expect(stderr.text()).toContain('ksim: internal error');
    expect(stderr.text()).toContain('the stream broke');
    expect(stderr.text()).toMatch(/\n\s+at /);
  });
});
