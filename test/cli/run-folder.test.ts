/**
 * A failing run's folder, reports/<scenario>-<seed>/: the replay file, the verdict, the client
 * history as JSON lines in Jepsen's shape and the trace, plus what registered artifact writers
 * add; passing seeds of a sweep leave nothing.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { registerArtifactWriter } from '../../sim/report/runFolder.js';
import { FIXTURES, ksim, linesOf, tempDir } from './harness.js';

describe('the run folder of a failing seed', () => {
  test('holds replay.json, verdict.json, history.jsonl in Jepsen\'s shape and trace.jsonl; a passing seed leaves none', () => {
    const cwd = tempDir();
    const outcome = ksim(['explore', join(FIXTURES, 'mixed-swarm.yaml'), '--seeds', '4', '--from', '1', '--workers', '1'], { cwd });
    expect(outcome.code).toBe(1);
    // Seed 3 fails, the others pass.
    expect(readdirSync(join(cwd, 'reports'))).toEqual(['mixed-swarm-3']);
    const folder = join(cwd, 'reports', 'mixed-swarm-3');
    expect(readdirSync(folder).sort()).toEqual(['history.jsonl', 'replay.json', 'report.html', 'trace.jsonl', 'verdict.json']);

    const history = linesOf(readFileSync(join(folder, 'history.jsonl'), 'utf8')).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(history.length).toBeGreaterThan(10);
    history.forEach((event, index) => {
      expect(event).toMatchObject({ index, type: expect.stringMatching(/^(invoke|ok|fail|info)$/), f: 'add', process: expect.stringMatching(/^c\d$/) });
      expect(event['time']).toBe((event['atMs'] as number) * 1_000_000);
    });
    // Every invoke is completed once: by ok, fail or info (the open ones at the end).
    const invokes = history.filter((event) => event['type'] === 'invoke').length;
    expect(history.length).toBe(2 * invokes);

    const trace = linesOf(readFileSync(join(folder, 'trace.jsonl'), 'utf8'));
    expect(trace.length).toBeGreaterThan(history.length);
    const verdict = JSON.parse(readFileSync(join(folder, 'verdict.json'), 'utf8')) as Record<string, unknown>;
    expect(verdict).toMatchObject({ seed: 3, verdict: 'violation', ksimVersion: expect.any(String) });
    // The trace written into the folder is the failing run's: the same number of trace events.
    const traceEvents = trace.filter((line) => line.includes('"trace":')).length;
    expect(traceEvents).toBe((verdict['stats'] as { traceEvents: number }).traceEvents);
  });

  test('a registered artifact writer adds its file to every run folder', () => {
    registerArtifactWriter({
      name: 'a test writer',
      write: (contents) => {
        writeFileSync(join(contents.absoluteFolder, 'extra.txt'), `seed ${contents.replay.seed}, history at ${existsSync(contents.paths.history)}`);
        return ['extra.txt'];
      },
    });
    const cwd = tempDir();
    expect(ksim(['run', join(FIXTURES, 'lost-ack.yaml'), '--seed', '2'], { cwd }).code).toBe(1);
    expect(readFileSync(join(cwd, 'reports', 'lost-ack-2', 'extra.txt'), 'utf8')).toBe('seed 2, history at true');
  });
});
