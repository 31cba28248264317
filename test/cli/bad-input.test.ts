/**
 * Every bad input of issue 14 item 7, tried as a new user would: a Kafka config value of the
 * wrong type or range, an unknown key, a replication factor above the brokers, a liveness phase
 * too short to converge, overlapping faults on one node, a replay file edited by hand — each is
 * one paragraph on stderr naming the file, the field and what is allowed, exit 64, no stack trace;
 * and an output ksim cannot write (a full device, a path through a file, stdout on a full disk) is
 * one paragraph and exit 74, never 1 (a safety violation) or 70 (a bug).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { withDigest } from '../../sim/report/replay.js';
import { FIXTURES, ksim, REPO_ROOT, tempDir } from './harness.js';

/** A quiet Kafka scenario that runs and passes; each test breaks one line of it. */
const KAFKA = [
  'description: A Kafka scenario written by a test.',
  'system: kafka',
  'cluster: { controllers: 1, brokers: 3, producers: 1 }',
  'config:',
  '  broker: {}',
  '  topic: { min.insync.replicas: 2 }',
  '  producer: { acks: all }',
  'workload: { partitions: 1, replicationFactor: 3 }',
  'faults: { none: true }',
  'durationMs: 2000',
  'livenessMs: 10000',
  'expect: pass',
].join('\n');

function expectRefused(text: string, ...words: string[]): void {
  const cwd = tempDir();
  writeFileSync(join(cwd, 'my-scenario.yaml'), text);
  const outcome = ksim(['run', 'my-scenario.yaml'], { cwd });
  expect(outcome.stderr).toContain('scenario file my-scenario.yaml');
  for (const word of words) expect(outcome.stderr).toContain(word);
  expect(outcome.code).toBe(64);
  expect(outcome.stdout).toBe('');
  expect(outcome.stderr.trim().split('\n')).toHaveLength(1);
  expect(outcome.stderr).not.toMatch(/\n\s+at /);
  // Nothing ran, so nothing was recorded.
  expect(existsSync(join(cwd, 'reports'))).toBe(false);
}

describe('Kafka config values are checked as Kafka checks them (exit 64)', () => {
  test('the scenario itself is valid (the control case)', () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'my-scenario.yaml'), KAFKA);
    expect(ksim(['run', 'my-scenario.yaml'], { cwd }).code).toBe(0);
  });

  test.each([
    ['topic: { min.insync.replicas: 2 }', 'topic: { min.insync.replicas: 0 }', 'config.topic.min.insync.replicas is 0, which is not allowed: must be an integer ≥ 1'],
    ['topic: { min.insync.replicas: 2 }', 'topic: { min.insync.replicas: "x" }', 'config.topic.min.insync.replicas is the string "x", which is not allowed'],
    ['producer: { acks: all }', 'producer: { acks: two }', 'config.producer.acks is the string "two", which is not allowed: expected all, -1, 0 or 1'],
    ['producer: { acks: all }', 'producer: { enable.idempotence: maybe }', 'config.producer.enable.idempotence is the string "maybe", which is not allowed: expected true or false'],
    ['producer: { acks: all }', 'producer: { retries: -1 }', 'config.producer.retries is -1, which is not allowed: expected an integer ≥ 0'],
    ['broker: {}', 'broker: { replica.lag.time.max.ms: -5 }', 'config.broker.replica.lag.time.max.ms is -5, which is not allowed: must be a positive integer'],
    ['broker: {}', 'broker: { ksim.legacy.truncate.to.high.watermark: 7 }', 'config.broker.ksim.legacy.truncate.to.high.watermark is 7, which is not allowed: must be true or false'],
    ['broker: {}', 'broker: { ksim.legacy.commit.without.member.epoch: maybe }', 'config.broker.ksim.legacy.commit.without.member.epoch is the string "maybe", which is not allowed: must be true or false'],
    ['broker: {}', 'broker: { transaction.partition.verification.enable: 1 }', 'config.broker.transaction.partition.verification.enable is 1, which is not allowed: must be true or false'],
    ['broker: {}', 'broker: { ksim.legacy.commit.without.generation: 1 }', 'config.broker.ksim.legacy.commit.without.generation is 1, which is not allowed: must be true or false'],
    ['broker: {}', 'broker: { ksim.legacy.txn.offset.commit.without.group.metadata: 1 }', 'config.broker.ksim.legacy.txn.offset.commit.without.group.metadata is 1, which is not allowed: must be true or false'],
    ['broker: {}', 'broker: { ksim.legacy.lso.reads.high.watermark.twice: often }', 'config.broker.ksim.legacy.lso.reads.high.watermark.twice is the string "often", which is not allowed: must be true or false'],
    ['broker: {}', 'broker: { ksim.legacy.no.producer.epoch.fencing: yes }', 'config.broker.ksim.legacy.no.producer.epoch.fencing is the string "yes", which is not allowed: must be true or false'],
    ['topic: { min.insync.replicas: 2 }', 'topic: { unclean.leader.election.enable: sometimes }', 'config.topic.unclean.leader.election.enable is the string "sometimes", which is not allowed: must be true or false'],
  ])('%s → %s', (line, broken, message) => {
    expectRefused(KAFKA.replace(line, broken), message);
  });

  test('settings that conflict with each other are named together', () => {
    expectRefused(KAFKA.replace('producer: { acks: all }', 'producer: { acks: 1, enable.idempotence: true }'), 'config.producer has settings that conflict: enable.idempotence=true: acks must be all (-1)');
  });

  test('an unknown key names the nearest known one', () => {
    expectRefused(KAFKA.replace('min.insync.replicas: 2', 'min.insync.replica: 2'), 'config.topic.min.insync.replica is not a known key (did you mean "min.insync.replicas"?)');
  });

  test('a KRaft config value out of range', () => {
    expectRefused(
      ['description: d', 'system: raft', 'config: { controller.quorum.fetch.timeout.ms: 0 }', 'faults: { none: true }', 'durationMs: 2000', 'livenessMs: 5000', 'expect: pass'].join('\n'),
      'config.controller.quorum.fetch.timeout.ms is 0, which is not allowed: must be positive',
    );
  });

  test('a bad value beside a fault plan (naming the nodes of a plan builds the cluster, which must not be tried)', () => {
    const plan = "faults:\n  plan:\n    - { atMs: 1000, type: isolate, node: '@leader', durationMs: 500 }";
    expectRefused(
      KAFKA.replace('  producer: { acks: all }', '  producer: { acks: all }\n  raft: { ksim.legacy.raft.no.check.quorum: maybe }').replace('faults: { none: true }', plan),
      'config.raft.ksim.legacy.raft.no.check.quorum is the string "maybe", which is not allowed: must be true or false',
    );
    expectRefused(
      ['description: d', 'system: raft', 'config: { ksim.raft.pre.vote: 7 }', plan, 'durationMs: 2000', 'livenessMs: 5000', 'expect: pass'].join('\n'),
      'ksim.raft.pre.vote must be true or false',
    );
  });
});

describe('scenarios that could only fail for a reason of their own making (exit 64)', () => {
  test('a replication factor above the number of brokers', () => {
    expectRefused(KAFKA.replace('replicationFactor: 3', 'replicationFactor: 5'), 'workload.replicationFactor is 5, more than the 3 broker(s) of cluster.brokers');
  });

  test('a liveness phase too short to converge in', () => {
    expectRefused(KAFKA.replace('livenessMs: 10000', 'livenessMs: 0'), 'livenessMs is 0, too short for the kafka system to converge after the heal: it must be at least 10000');
  });

  test('a crash of a node that an earlier crash still holds down', () => {
    const plan = 'faults:\n  plan:\n    - { atMs: 100, type: crash, node: b1, restartAfterMs: 1000 }\n    - { atMs: 200, type: crash, node: b1, mode: power, restartAfterMs: 500 }';
    expectRefused(KAFKA.replace('faults: { none: true }', plan), 'faults.plan[1] crashes b1 at 200 ms, while the crash at faults.plan[0] still holds it down until 1100 ms; it would be skipped');
  });

  test('a restart of a node that is up', () => {
    expectRefused(KAFKA.replace('faults: { none: true }', 'faults:\n  plan:\n    - { atMs: 100, type: restart, node: b2 }'), 'faults.plan[0] restarts b2 at 100 ms, when no earlier crash holds it down');
  });
});

describe('a replay file edited by hand is refused as changed (exit 64)', () => {
  function recorded(): { cwd: string; replay: Record<string, unknown> } {
    const cwd = tempDir();
    expect(ksim(['run', join(FIXTURES, 'lost-ack.yaml'), '--seed', '2'], { cwd }).code).toBe(1);
    const file = readdirReplay(cwd);
    return { cwd, replay: JSON.parse(readFileSync(join(cwd, file), 'utf8')) as Record<string, unknown> };
  }

  test.each([
    ['its seed', (replay: Record<string, unknown>) => ({ ...replay, seed: 3 })],
    ['its fault plan', (replay: Record<string, unknown>) => ({ ...replay, faultPlan: [] })],
    ['its recorded trace hash', (replay: Record<string, unknown>) => ({ ...replay, traceHash: '0123456789abcdef' })],
  ])('%s', (_what, edit) => {
    const { cwd, replay } = recorded();
    writeFileSync(join(cwd, 'edited.json'), JSON.stringify(edit(replay)));
    const outcome = ksim(['replay', 'edited.json'], { cwd });
    expect(outcome.code).toBe(64);
    expect(outcome.stderr).toContain('replay file edited.json was changed after it was recorded: its digest no longer matches its content');
    expect(outcome.stderr).not.toContain('determinism');
    expect(outcome.stderr.trim().split('\n')).toHaveLength(1);
  });

  test('the same replay, signed again by ksim, runs (the control case)', () => {
    const { cwd, replay } = recorded();
    writeFileSync(join(cwd, 'signed.json'), JSON.stringify(withDigest(replay as never)));
    expect(ksim(['replay', 'signed.json'], { cwd }).code).toBe(1);
  });
});

function readdirReplay(cwd: string): string {
  const candidates = ['reports/lost-ack-2/replay.json', 'reports/lost-ack-2/replay.json'];
  const found = candidates.find((candidate) => existsSync(join(cwd, candidate)));
  if (found === undefined) throw new Error('no replay file was written');
  return found;
}

describe('outputs ksim cannot write end in exit 74', () => {
  function expectIoError(outcome: { code: number; stderr: string }, ...words: string[]): void {
    for (const word of words) expect(outcome.stderr).toContain(word);
    expect(outcome.code).toBe(74);
    expect(outcome.stderr).not.toMatch(/\n\s+at /);
  }

  test.runIf(existsSync('/dev/full'))('--trace to a full device', () => {
    expectIoError(ksim(['run', join(FIXTURES, 'quiet.yaml'), '--trace', '/dev/full'], { cwd: tempDir() }), 'cannot write the trace file /dev/full: no space left on device (ENOSPC)');
  });

  test('--trace into a folder that does not exist', () => {
    expectIoError(ksim(['run', join(FIXTURES, 'quiet.yaml'), '--trace', 'no/such/folder/trace.jsonl'], { cwd: tempDir() }), 'cannot write the trace file no/such/folder/trace.jsonl: no such folder (ENOENT)');
  });

  test('a reports/ that cannot hold folders (a file is in the way)', () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'reports'), 'not a folder');
    const outcome = ksim(['run', join(FIXTURES, 'lost-ack.yaml'), '--seed', '2'], { cwd });
    expectIoError(outcome, 'cannot write the run folder reports/', '(ENOTDIR)');
  });

  test('guarantees --out to a path it cannot write, found before measuring', () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'blocked'), '');
    expectIoError(ksim(['guarantees', '--seeds', '1', '--out', 'blocked/guarantees.md'], { cwd }), 'cannot write the guarantees report blocked/guarantees.md');
  });

  test.runIf(existsSync('/dev/full'))('stdout on a full disk (the built command)', () => {
    const child = spawnSync('/bin/sh', ['-c', `"${process.execPath}" "${join(REPO_ROOT, 'bin', 'ksim.js')}" list > /dev/full`], { encoding: 'utf8' });
    expect(child.stderr).toContain('ksim: cannot write to standard output: no space left on device (ENOSPC)');
    expect(child.status).toBe(74);
  });
});
