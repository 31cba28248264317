/**
 * Runs the CLI in-process for tests: `main` with captured stdout and stderr, NO_COLOR set, and a
 * fresh temporary working directory, so run folders under reports/ land there and not in the repo.
 */
import { cpSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { main } from '../../sim/cli/main.js';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface CliOutcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** A writable that keeps what is written, and claims to be a terminal when asked to. */
export function captureStream(isTTY = false): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = {
    isTTY,
    write(chunk: string | Uint8Array): boolean {
      chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    },
  } as unknown as Writable;
  return { stream, text: () => chunks.join('') };
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'ksim-cli-'));
}

export function ksim(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; stdoutTty?: boolean; stderrTty?: boolean }): CliOutcome {
  const stdout = captureStream(options.stdoutTty ?? false);
  const stderr = captureStream(options.stderrTty ?? false);
  const code = main(args, { stdout: stdout.stream, stderr: stderr.stream, env: options.env ?? { NO_COLOR: '1' }, cwd: options.cwd });
  // Explore on worker threads finishes later; in-process tests run explore with --workers 1, and
  // the worker threads are tested through the built CLI (explore-workers.test.ts).
  if (typeof code !== 'number') throw new Error(`ksim ${args.join(' ')} did not finish synchronously: pass --workers 1`);
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

/** A temporary scenarios folder holding copies of the named fixtures, for KSIM_SCENARIOS_DIR. */
export function scenariosDirWith(files: readonly string[]): string {
  const directory = join(tempDir(), 'scenarios');
  mkdirSync(directory);
  for (const file of files) cpSync(join(FIXTURES, file), join(directory, file));
  return directory;
}

/** Non-empty lines of a text. */
export function linesOf(text: string): string[] {
  return text.split('\n').filter((line) => line !== '');
}
