/** The checkers' shared ledger: a violation stops the run; allowed anomalies are counted with their first reason. */
import { expect, test } from 'vitest';
import { Findings } from '../../sim/checker/findings.js';
import { World } from '../../sim/world.js';

test('a violation is kept and stops the run', () => {
  const world = new World({ seed: 1, sizeOf: () => 1 });
  const findings = new Findings(world);
  expect(findings.hasViolations).toBe(false);
  findings.violation('SingleLeader', 5, 'two leaders', { epoch: 3 });
  expect(findings.hasViolations).toBe(true);
  expect(findings.violations()).toEqual([{ invariant: 'SingleLeader', kind: 'safety', message: 'two leaders', atMs: 5, details: { epoch: 3 } }]);
  expect(world.stopped).toBe('SingleLeader: two leaders');
});

test('allowed anomalies are counted, keeping the first reason, and never stop the run', () => {
  const world = new World({ seed: 1, sizeOf: () => 1 });
  const findings = new Findings(world);
  findings.allow('lost-write', 'acks=1');
  findings.allow('lost-write', 'another reason', 4);
  expect(findings.anomalies()).toEqual([{ anomaly: 'lost-write', count: 5, reason: 'acks=1' }]);
  expect(findings.hasViolations).toBe(false);
  expect(world.stopped).toBeNull();
});
