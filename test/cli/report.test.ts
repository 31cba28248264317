/**
 * The pieces of a failure report that the end-to-end tests cannot reach with a deterministic
 * system: the FAIL line of a non-deterministic seed, and the canonical hash that identifies a
 * scenario's content whatever order its keys were written in.
 */
import { describe, expect, test } from 'vitest';
import { failLine } from '../../sim/cli/execute.js';
import { canonicalJson, canonicalSha256 } from '../../sim/report/canonical.js';
import { runFolderOf } from '../../sim/report/runFolder.js';
import type { RunReport } from '../../sim/report/runReport.js';

function report(overrides: Partial<RunReport>): RunReport {
  return {
    scenario: 's',
    system: 'counter',
    seed: 9,
    traceHash: 'aaaa',
    verdict: 'violation',
    expected: 'pass',
    violations: [{ invariant: 'lost-ack', kind: 'safety', message: 'primary r1 serves 0 after acknowledging 12', atMs: 3500 }],
    anomalies: [],
    faultPlan: [],
    summary: {},
    stats: { events: 1, traceEvents: 1, simTimeMs: 1, wallMs: 1, messagesSent: 0, messagesDropped: 0, bytesSent: 0, crashes: 0, restarts: 0 },
    ...overrides,
  };
}

describe('the FAIL line', () => {
  test('names the seed, the verdict, the first invariant and its message, and the replay command', () => {
    expect(failLine(report({}), 'reports/s-9/replay.json')).toBe(
      'FAIL seed=9 violation lost-ack: primary r1 serves 0 after acknowledging 12 — replay: npx ksim replay reports/s-9/replay.json',
    );
  });

  test('for a non-deterministic seed, names both trace hashes', () => {
    const line = failLine(report({ verdict: 'nondeterministic', determinism: { traceHashes: ['aaaa', 'bbbb'], deterministic: false } }), 'r.json');
    expect(line).toBe('FAIL seed=9 nondeterministic trace-hash: run 1 gave aaaa, run 2 gave bbbb — replay: npx ksim replay r.json');
  });

  test('keeps a long message to one short line', () => {
    const message = `first line\n${'x'.repeat(500)}`;
    const line = failLine(report({ violations: [{ invariant: 'i', kind: 'liveness', message, atMs: 1 }], verdict: 'liveness' }), 'r.json');
    expect(line).not.toContain('\n');
    expect(line.length).toBeLessThan(200);
  });
});

describe('canonical JSON', () => {
  test('the same content in another key order has the same text and hash', () => {
    const a = { b: 1, a: { d: [1, { f: 2, e: 3 }], c: null } };
    const b = { a: { c: null, d: [1, { e: 3, f: 2 }] }, b: 1 };
    expect(canonicalJson(a)).toBe('{"a":{"c":null,"d":[1,{"e":3,"f":2}]},"b":1}');
    expect(canonicalSha256(a)).toBe(canonicalSha256(b));
    expect(canonicalSha256(a)).not.toBe(canonicalSha256({ ...b, b: 2 }));
  });

  test('undefined fields do not count', () => {
    expect(canonicalJson({ a: 1, lesson: undefined })).toBe(canonicalJson({ a: 1 }));
  });
});

test('run folder names are portable whatever the scenario is called', () => {
  expect(runFolderOf('lost-ack', 3)).toBe('reports/lost-ack-3');
  expect(runFolderOf('my scenario:v2', 0)).toBe('reports/my_scenario_v2-0');
});
