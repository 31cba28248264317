/**
 * `ksim run` and `ksim replay` with output files: --html, --history-edn, --history-json and
 * --shiviz write their file and say so; a path that cannot be written is refused before the run
 * (exit 64), and two outputs may not share a file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { FIXTURES, ksim, tempDir } from './harness.js';

const QUIET = join(FIXTURES, 'quiet.yaml');
const LOST_ACK = join(FIXTURES, 'lost-ack.yaml');

describe('output files', () => {
  test('every failing seed of explore leaves report.html in its run folder', () => {
    const cwd = tempDir();
    const outcome = ksim(['explore', LOST_ACK, '--seeds', '1', '--from', '1', '--workers', '1'], { cwd });
    expect(outcome.code).toBe(1);
    expect(readFileSync(join(cwd, 'reports/lost-ack-1/report.html'), 'utf8')).toContain('"verdict":"violation"');
  });

  test('--html writes one self-contained page, and the run says where', () => {
    const cwd = tempDir();
    const outcome = ksim(['run', QUIET, '--seed', '7', '--html', 'report.html'], { cwd });
    expect(outcome.code).toBe(0);
    expect(outcome.stdout).toMatch(/HTML report: \d+ kB written to report\.html/);
    const html = readFileSync(join(cwd, 'report.html'), 'utf8');
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain('"name":"quiet"');
  });

  test('every export can be asked for at once; with --json the notes go to stderr', () => {
    const cwd = tempDir();
    const outcome = ksim(['run', QUIET, '--json', '--history-edn', 'h.edn', '--history-json', 'h.jsonl', '--shiviz', 's.log'], { cwd });
    expect(outcome.code).toBe(0);
    expect(() => JSON.parse(outcome.stdout) as unknown).not.toThrow();
    expect(outcome.stderr).toContain('ShiViz log');
    expect(readFileSync(join(cwd, 's.log'), 'utf8').split('\n')[0]).toBe('(?<event>.*)\\n(?<host>\\S*) (?<clock>{.*})');
    expect(existsSync(join(cwd, 'h.edn'))).toBe(true);
    expect(existsSync(join(cwd, 'h.jsonl'))).toBe(true);
  });

  test('a failing run\'s report carries its replay command, and replay can write one too', () => {
    const cwd = tempDir();
    const failing = ksim(['run', LOST_ACK, '--seed', '1', '--html', 'failing.html'], { cwd });
    expect(failing.code).toBe(1);
    expect(readFileSync(join(cwd, 'failing.html'), 'utf8')).toContain('npx ksim replay reports/lost-ack-1/replay.json');
    // The run folder holds the same page, written from the same recording.
    expect(readFileSync(join(cwd, 'reports/lost-ack-1/report.html'), 'utf8')).toBe(readFileSync(join(cwd, 'failing.html'), 'utf8'));
    expect(failing.stdout).toContain('(replay.json, verdict.json, history.jsonl, trace.jsonl, report.html)');
    const replayed = ksim(['replay', 'reports/lost-ack-1/replay.json', '--html', 'replayed.html'], { cwd });
    expect(replayed.code).toBe(1);
    expect(readFileSync(join(cwd, 'replayed.html'), 'utf8')).toContain('"verdict":"violation"');
  });

  test('a path that cannot be written is refused before the run, naming the flag', () => {
    const outcome = ksim(['run', QUIET, '--html', 'no-such-folder/report.html'], { cwd: tempDir() });
    expect(outcome.code).toBe(64);
    expect(outcome.stderr).toMatch(/cannot write the HTML report no-such-folder\/report\.html \(--html\)/);
    expect(outcome.stdout).toBe('');
  });

  test('two outputs cannot share a file', () => {
    const outcome = ksim(['run', QUIET, '--history-edn', 'same', '--shiviz', 'same'], { cwd: tempDir() });
    expect(outcome.code).toBe(64);
    expect(outcome.stderr).toContain('--shiviz same names a file another output option already writes');
  });

  test('a flag without a file name is refused', () => {
    const outcome = ksim(['run', QUIET, '--html'], { cwd: tempDir() });
    expect(outcome.code).toBe(64);
    expect(outcome.stderr).toContain('--html needs a value');
  });
});
