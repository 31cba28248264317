/**
 * `ksim explore --shard i/n` and `ksim merge`: n shard jobs together run exactly the seeds of one
 * job, each once, and their merged summaries print what that one job prints — the same FAIL lines
 * in seed order, the same summary, the same exit code. Summaries that do not belong together are
 * refused (exit 64). Every JSON output carries the ksim version.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { shardSeed, shardSeedCount } from '../../sim/cli/sweep.js';
import { FIXTURES, ksim, linesOf, tempDir } from './harness.js';

const MIXED = join(FIXTURES, 'mixed-swarm.yaml');
const QUIET = join(FIXTURES, 'quiet.yaml');

/** Output without what may differ between jobs: wall-clock figures and the header line. */
function withoutHeaderAndTimings(text: string): string {
  return linesOf(text).slice(1).join('\n').replace(/ in [\d,]+ wall ms \([\d,]+ events\/s\)/, ' in T wall ms');
}

describe('shards of a sweep', () => {
  test('the shards of a sweep run every seed of it exactly once', () => {
    for (const seeds of [1, 2, 7, 100]) {
      for (const count of [1, 2, 3, 8]) {
        const options = { from: 5, seeds, checkDeterminism: false, timeBudgetMs: null };
        const ran: number[] = [];
        for (let index = 1; index <= count; index++) {
          const shard = { index, count };
          for (let position = 0; position < shardSeedCount(options, shard); position++) ran.push(shardSeed(options, shard, position));
        }
        expect(ran.sort((a, b) => a - b)).toEqual(Array.from({ length: seeds }, (_, i) => 5 + i));
      }
    }
  });

  test('a 2-shard sweep merged equals the 1-job sweep: the same FAIL lines, summary and exit code', () => {
    const cwd = tempDir();
    const one = ksim(['explore', MIXED, '--seeds', '12', '--from', '1', '--workers', '1'], { cwd });
    const first = ksim(['explore', MIXED, '--seeds', '12', '--from', '1', '--workers', '1', '--shard', '1/2', '--summary-json', 's1.json'], { cwd });
    const second = ksim(['explore', MIXED, '--seeds', '12', '--from', '1', '--workers', '1', '--shard', '2/2', '--summary-json', 's2.json'], { cwd });
    expect(first.stdout).toContain('shard=1/2 (6 seeds)');
    expect(second.stdout).toContain('covered: shard 2/2: 6 of 6, seeds 2..12 (every 2nd)');
    expect(first.stdout).toContain('covered: shard 1/2: 6 of 6, seeds 1..11 (every 2nd)');
    expect(linesOf(one.stdout).filter((line) => line.startsWith('FAIL')).length).toBeGreaterThan(0);
    const merged = ksim(['merge', 's2.json', 's1.json'], { cwd });
    expect(withoutHeaderAndTimings(merged.stdout)).toBe(withoutHeaderAndTimings(one.stdout));
    expect(merged.code).toBe(one.code);
    expect(merged.code).toBe(1);
    expect(linesOf(merged.stdout)[0]).toMatch(/^ksim \S+ merge {2}scenario=mixed-swarm .*shards=2/);

    const json = JSON.parse(ksim(['merge', 's1.json', 's2.json', '--json'], { cwd }).stdout) as Record<string, unknown>;
    const oneJson = JSON.parse(linesOf(ksim(['explore', MIXED, '--seeds', '12', '--from', '1', '--workers', '1', '--json'], { cwd }).stdout).at(-1)!) as Record<string, unknown>;
    for (const field of ['ksimVersion', 'verdict', 'seeds', 'pass', 'violation', 'liveness', 'failingSeeds', 'violations', 'anomalies', 'events']) expect(json[field]).toEqual(oneJson[field]);
  });

  test('a shard needs --from, and gets at least one seed', () => {
    const cwd = tempDir();
    const noFrom = ksim(['explore', QUIET, '--seeds', '4', '--shard', '1/2', '--workers', '1'], { cwd });
    expect(noFrom.code).toBe(64);
    expect(noFrom.stderr).toContain('--shard needs --from: every shard of a sweep must start from the same seed');
    const tooMany = ksim(['explore', QUIET, '--seeds', '2', '--from', '1', '--shard', '3/3', '--workers', '1'], { cwd });
    expect(tooMany.code).toBe(64);
    expect(tooMany.stderr).toContain('--shard 3/3 gets no seeds of a sweep of 2');
    for (const bad of ['0/2', '3/2', '1', 'a/b', '1/0']) {
      const outcome = ksim(['explore', QUIET, '--seeds', '2', '--from', '1', '--shard', bad, '--workers', '1'], { cwd });
      expect(outcome.code).toBe(64);
      expect(outcome.stderr).toContain('--shard must be i/n');
    }
  });
});

describe('ksim merge refuses summaries that do not belong together (exit 64)', () => {
  function shardSummaries(): string {
    const cwd = tempDir();
    for (const index of [1, 2]) {
      expect(ksim(['explore', QUIET, '--seeds', '4', '--from', '1', '--workers', '1', '--shard', `${index}/2`, '--summary-json', `s${index}.json`], { cwd }).code).toBe(0);
    }
    return cwd;
  }

  function expectRefused(cwd: string, files: string[], ...words: string[]): void {
    const outcome = ksim(['merge', ...files], { cwd });
    expect(outcome.code).toBe(64);
    expect(outcome.stdout).toBe('');
    for (const word of words) expect(outcome.stderr).toContain(word);
    expect(outcome.stderr.trim().split('\n')).toHaveLength(1);
  }

  function edited(cwd: string, file: string, edit: (summary: Record<string, unknown>) => Record<string, unknown>): string {
    const summary = JSON.parse(readFileSync(join(cwd, file), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(cwd, 'edited.json'), JSON.stringify(edit(summary)));
    return 'edited.json';
  }

  test('the control case merges', () => {
    const cwd = shardSummaries();
    expect(ksim(['merge', 's1.json', 's2.json'], { cwd }).code).toBe(0);
  });

  test('a shard missing, or given twice', () => {
    const cwd = shardSummaries();
    expectRefused(cwd, ['s1.json'], 'shard 2/2 is missing');
    expectRefused(cwd, ['s1.json', 's1.json', 's2.json'], 'shard 1/2 is given twice (s1.json, s1.json)');
  });

  test('another scenario, other options, another ksim version', () => {
    const cwd = shardSummaries();
    expectRefused(cwd, ['s1.json', edited(cwd, 's2.json', (s) => ({ ...s, scenario: { ...(s['scenario'] as object), name: 'other', sha256: 'f'.repeat(64) } }))], 'edited.json is a sweep of scenario other');
    expectRefused(cwd, ['s1.json', edited(cwd, 's2.json', (s) => ({ ...s, options: { ...(s['options'] as object), from: 2 } }))], 'edited.json ran with other options');
    expectRefused(cwd, ['s1.json', edited(cwd, 's2.json', (s) => ({ ...s, ksimVersion: '0.0.1' }))], 'edited.json was written by ksim 0.0.1');
  });

  test('a file that is not a summary', () => {
    const cwd = shardSummaries();
    writeFileSync(join(cwd, 'x.json'), '{"hello": 1}');
    expectRefused(cwd, ['x.json'], 'x.json is not a sweep summary');
    expectRefused(cwd, ['nowhere.json'], 'cannot read summary file nowhere.json: no such file');
  });
});

describe('every JSON output names the ksim version', () => {
  test.each([
    [['run', QUIET, '--json']],
    [['explore', QUIET, '--seeds', '1', '--from', '1', '--workers', '1', '--json']],
    [['list', '--json']],
  ])('%j', (args) => {
    const outcome = ksim(args, { cwd: tempDir() });
    for (const line of linesOf(outcome.stdout)) {
      const parsed = JSON.parse(line) as unknown;
      for (const object of Array.isArray(parsed) ? parsed : [parsed]) expect(object).toHaveProperty('ksimVersion', expect.stringMatching(/^\d+\.\d+\.\d+/));
    }
  });
});
