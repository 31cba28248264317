/**
 * `ksim replay` refuses what it cannot replay exactly — a file that is not JSON or lacks a field,
 * a recording from another ksim version, an embedded scenario modified by hand, a built-in
 * scenario changed since the recording (unless --use-recorded) — with exit 64 and one paragraph.
 * A different trace hash is non-determinism: exit 3 with both hashes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { withDigest } from '../../sim/report/replay.js';
import { ksim, scenariosDirWith, tempDir } from './harness.js';
import { FIXTURES } from './harness.js';

const REPLAY = 'reports/lost-ack-2/replay.json';

/** A working directory holding the replay file of a failing run of the lost-ack fixture. */
function recordedRun(): { cwd: string; replay: Record<string, unknown> } {
  const cwd = tempDir();
  expect(ksim(['run', join(FIXTURES, 'lost-ack.yaml'), '--seed', '2'], { cwd }).code).toBe(1);
  return { cwd, replay: JSON.parse(readFileSync(join(cwd, REPLAY), 'utf8')) as Record<string, unknown> };
}

function writeReplay(cwd: string, content: unknown): string {
  const file = 'edited.json';
  writeFileSync(join(cwd, file), typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

function expectRefused(cwd: string, args: string[], ...words: string[]): void {
  const outcome = ksim(args, { cwd });
  expect(outcome.code).toBe(64);
  expect(outcome.stdout).toBe('');
  expect(outcome.stderr.trim().split('\n')).toHaveLength(1);
  for (const word of words) expect(outcome.stderr).toContain(word);
}

describe('bad replay files exit 64', () => {
  let cwd: string;
  let replay: Record<string, unknown>;
  beforeAll(() => {
    ({ cwd, replay } = recordedRun());
  });

  test('a file that is not JSON', () => {
    expectRefused(cwd, ['replay', writeReplay(cwd, 'seed=2\n')], 'replay file edited.json is not JSON', 'under reports/');
  });

  test('JSON that is not a replay file', () => {
    expectRefused(cwd, ['replay', writeReplay(cwd, { hello: 1 })], 'edited.json is JSON but not a ksim replay file: it has no "ksimReplay" field');
  });

  test('a missing field is named', () => {
    const { traceHash: _dropped, ...withoutHash } = replay;
    expectRefused(cwd, ['replay', writeReplay(cwd, withoutHash)], 'replay file edited.json is damaged: traceHash is missing');
  });

  test('a replay recorded by another version of ksim', () => {
    expectRefused(
      cwd,
      ['replay', writeReplay(cwd, { ...replay, ksimVersion: '0.0.1' })],
      'was recorded by ksim 0.0.1, this is ksim ',
      'replays are only exact within one version',
      '--seed 2',
    );
  });

  test('a replay whose embedded scenario was modified', () => {
    const scenario = replay['scenario'] as { content: Record<string, unknown> };
    const edited = { ...replay, scenario: { ...scenario, content: { ...scenario.content, durationMs: 7000 } } };
    expectRefused(cwd, ['replay', writeReplay(cwd, edited)], 'replay file edited.json was changed after it was recorded');
    // Signed again (as if the digest were forged), the scenario's own hash still refuses it.
    expectRefused(cwd, ['replay', writeReplay(cwd, withDigest(edited as never))], 'the scenario embedded in replay file edited.json was modified after it was recorded');
  });

  test('a missing replay file', () => {
    expectRefused(cwd, ['replay', 'nowhere/replay.json'], 'cannot read replay file nowhere/replay.json: no such file');
  });
});

describe('replaying', () => {
  test('a recorded hash that this run does not reproduce is non-determinism: exit 3, both hashes printed', () => {
    const { cwd, replay } = recordedRun();
    // Signed as ksim would have: a recording that differs from this run, not an edited file.
    const outcome = ksim(['replay', writeReplay(cwd, withDigest({ ...replay, traceHash: '0123456789abcdef' } as never))], { cwd });
    expect(outcome.code).toBe(3);
    expect(outcome.stdout).toContain('NOT REPRODUCED');
    expect(outcome.stdout).toContain('recorded: trace hash 0123456789abcdef');
    expect(outcome.stdout).toContain(`this run: trace hash ${String(replay['traceHash'])}`);
  });

  test('a built-in scenario that changed since the recording is refused, unless --use-recorded', () => {
    const cwd = tempDir();
    const scenariosDir = scenariosDirWith(['lost-ack.yaml']);
    const env = { NO_COLOR: '1', KSIM_SCENARIOS_DIR: scenariosDir };
    expect(ksim(['run', 'lost-ack', '--seed', '2'], { cwd, env }).code).toBe(1);
    const recorded = JSON.parse(readFileSync(join(cwd, REPLAY), 'utf8')) as { scenario: { source: { kind: string } }; traceHash: string };
    expect(recorded.scenario.source.kind).toBe('builtin');

    // Comments, formatting and prose are not changes: what decides the run is compared.
    const file = join(scenariosDir, 'lost-ack.yaml');
    writeFileSync(file, `# a comment\n${readFileSync(file, 'utf8').replace('An acknowledgement promises', 'An ack promises')}`);
    expect(ksim(['replay', REPLAY], { cwd, env }).code).toBe(1);

    writeFileSync(file, readFileSync(file, 'utf8').replace('durationMs: 6000', 'durationMs: 5000'));
    const refused = ksim(['replay', REPLAY], { cwd, env });
    expect(refused.code).toBe(64);
    expect(refused.stderr).toContain('the built-in scenario "lost-ack" changed since this replay was recorded');
    expect(refused.stderr).toContain('--use-recorded');

    const accepted = ksim(['replay', REPLAY, '--use-recorded'], { cwd, env });
    expect(accepted.code).toBe(1);
    expect(accepted.stdout).toContain('replaying the copy recorded in the replay file');
    expect(accepted.stdout).toContain(`reproduced: trace hash ${recorded.traceHash}`);
  });
});
