/**
 * The scenario loader: what a valid file becomes (defaults filled, plan entries turned into timed
 * faults, the name taken from the file), and the one-paragraph errors for every kind of bad file.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ScenarioError } from '../../sim/scenario/errors.js';
import { isScenarioName, listScenarios, loadScenario, parseScenarioText, toScenarioFile, validateScenario } from '../../sim/scenario/load.js';
import { FIXTURES, tempDir } from '../cli/harness.js';

const VALID = `
description: A scenario for the loader's tests.
system: counter
cluster: { replicas: 3, clients: 1 }
faults:
  plan:
    - { atMs: 2000, type: crash, node: r1, mode: power, restartAfterMs: 1000 }
    - { atMs: 4000, type: partition, sides: [[r1], [r2, r3]], durationMs: 3000 }
    - { atMs: 4500, type: isolate, node: '@primary', durationMs: 100 }
durationMs: 20000
livenessMs: 10000
expect: pass
`;

/** Parses a text expected to be invalid and returns the error's message. */
function errorOf(text: string, path = 'bad.yaml'): string {
  try {
    parseScenarioText(text, path);
  } catch (error) {
    expect(error).toBeInstanceOf(ScenarioError);
    const message = (error as Error).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error('expected a ScenarioError');
}

/** VALID with one line replaced. */
function variant(from: string, to: string): string {
  expect(VALID).toContain(from);
  return VALID.replace(from, to);
}

describe('a valid scenario file', () => {
  test('takes its name from the file and fills every documented default', () => {
    const scenario = parseScenarioText(VALID, 'some/folder/my-crash.yaml');
    expect(scenario.name).toBe('my-crash');
    expect(scenario.network).toEqual({});
    expect(scenario.disk).toEqual({});
    expect(scenario.config).toEqual({ 'legacy.ackBeforeFsync': false, 'replicate.interval.ms': 200 });
    expect(scenario.workload).toEqual({ intervalMs: 100, requestTimeoutMs: 1000, amountMax: 5 });
    expect(scenario.lesson).toBeUndefined();
  });

  test('turns plan entries into timed faults, with oneWay and trafficClass defaulted', () => {
    const scenario = parseScenarioText(VALID, 'x.yaml');
    expect(scenario.faults).toEqual({
      plan: [
        { atMs: 2000, action: { type: 'crash', node: 'r1', mode: 'power', restartAfterMs: 1000 } },
        { atMs: 4000, action: { type: 'partition', sides: [['r1'], ['r2', 'r3']], durationMs: 3000, oneWay: false, trafficClass: null } },
        { atMs: 4500, action: { type: 'isolate', node: '@primary', durationMs: 100, trafficClass: null } },
      ],
    });
  });

  test('defaults a crash to a process crash that stays down until the heal', () => {
    const scenario = parseScenarioText(variant('mode: power, restartAfterMs: 1000', 'mode: process'), 'x.yaml');
    const plan = 'plan' in scenario.faults ? scenario.faults.plan : [];
    expect(plan[0]?.action).toEqual({ type: 'crash', node: 'r1', mode: 'process', restartAfterMs: null });
  });

  test('reads JSON files too', () => {
    const loaded = loadScenario(join(FIXTURES, 'quiet-json.json'), '/');
    expect(loaded.scenario.name).toBe('quiet-json');
    expect(loaded.scenario.faults).toEqual({ none: true });
    expect(loaded.source.kind).toBe('file');
    expect(loaded.source.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  test('may repeat its own name, and only its own', () => {
    expect(parseScenarioText(`name: x\n${VALID}`, 'x.yaml').name).toBe('x');
    expect(errorOf(`name: y\n${VALID}`, 'x.yaml')).toContain('name is "y" but the file is named "x"');
  });

  test('survives a round trip through the file shape (as a replay file re-validates it)', () => {
    const scenario = parseScenarioText(VALID, 'x.yaml');
    expect(validateScenario(toScenarioFile(scenario), 'x', 'embedded')).toEqual(scenario);
  });
});

describe('a bad scenario file gives one paragraph naming the file, the field and what is allowed', () => {
  test('a missing field', () => {
    const message = errorOf(variant('durationMs: 20000\n', ''));
    expect(message).toContain('scenario file bad.yaml');
    expect(message).toContain('durationMs is missing (the safety phase, in simulated ms)');
  });

  test('a wrongly typed field, in a system section', () => {
    const message = errorOf(variant('clients: 1', 'clients: "one"'));
    expect(message).toContain('cluster.clients must be an integer (got the string "one")');
  });

  test('an unknown key, with the nearest known key and the allowed keys', () => {
    const message = errorOf(variant('livenessMs: 10000', 'livenessMs: 10000\nworkload: { intervalMss: 5 }'));
    expect(message).toContain('workload.intervalMss is not a known key (did you mean "intervalMs"?)');
    expect(message).toContain('allowed keys in workload: intervalMs, requestTimeoutMs, amountMax');
  });

  test('an unknown key at the top level', () => {
    const message = errorOf(`faultz: 3\n${VALID}`);
    expect(message).toContain('faultz is not a known key');
    expect(message).toContain('allowed keys at the top level: name, description, system');
  });

  test('a bad enum in a fault plan entry lists the allowed values', () => {
    const message = errorOf(variant('mode: power', 'mode: powr'));
    expect(message).toContain('faults.plan[0].mode must be one of process, power, disk (got "powr", did you mean power?)');
  });

  test('an unknown fault type lists every fault type', () => {
    const message = errorOf(variant('type: partition', 'type: partitoin'));
    expect(message).toContain('faults.plan[1].type must be one of crash, restart, pause, clock-skew, partition, isolate');
    expect(message).toContain('did you mean partition?');
  });

  test('a field of another fault type is an unknown key in this one', () => {
    const message = errorOf(variant('durationMs: 3000', 'durationMs: 3000, mode: power'));
    expect(message).toContain('faults.plan[1].mode is not a known key');
    expect(message).toContain('allowed keys in faults.plan[1]: type, atMs, sides, oneWay, trafficClass, durationMs');
  });

  test('a node that is neither an id nor a selector', () => {
    expect(errorOf(variant('node: r1', 'node: "r 1"'))).toContain(
      "faults.plan[0].node must be a node id (like r1) or a selector starting with '@' (like @leader) (got \"r 1\")",
    );
  });

  test('a node the cluster does not have, and a selector the system does not resolve', () => {
    expect(errorOf(variant('node: r1', 'node: r7'))).toContain('faults.plan[0].node is r7, which is not a node of this cluster');
    expect(errorOf(variant("'@primary'", "'@leadr'"))).toContain(
      'faults.plan[2].node is the selector @leadr, which the counter system does not resolve; it knows @primary, @leader',
    );
  });

  test('a fault after the safety phase', () => {
    expect(errorOf(variant('atMs: 4500', 'atMs: 25000'))).toContain('faults.plan[2].atMs is 25000, not before the end of the safety phase');
  });

  test('faults with two sources, or none', () => {
    expect(errorOf(variant('faults:\n', 'faults:\n  none: true\n'))).toContain('faults must set exactly one of plan, swarm, none');
    expect(errorOf(variant('faults:\n  plan:', 'faults: {}\nx:\n  plan:'))).toContain('faults must set exactly one of plan, swarm, none');
  });

  test('an unknown system lists the known systems', () => {
    expect(errorOf(variant('system: counter', 'system: countr'))).toContain('system must be one of counter');
  });

  test('several problems are all reported, in the order of the file', () => {
    const message = errorOf(variant('expect: pass', 'expect: maybe').replace('clients: 1', 'clients: -1'));
    expect(message).toContain('has 2 problems');
    expect(message.indexOf('cluster.clients')).toBeLessThan(message.indexOf('expect must be one of pass, violation, liveness'));
  });

  test('a YAML syntax error names the file and the line', () => {
    const message = errorOf('description: x\nsystem: counter\nfaults: { plan: [ { atMs: 1 }\ndurationMs: 1\n', 'broken.yaml');
    expect(message).toContain('scenario file broken.yaml is not valid YAML at line 4');
  });

  test('a JSON syntax error names the file and the line', () => {
    const message = errorOf('{\n  "description": "x",\n}\n', 'broken.json');
    expect(message).toContain('scenario file broken.json is not valid JSON: ');
    expect(message).toContain('at line 3, column 1');
  });

  test('a file that is not a mapping', () => {
    expect(errorOf('- a\n- b\n')).toContain('the file must be a mapping of keys');
    expect(errorOf('')).toContain('not empty');
  });
});

describe('finding scenarios', () => {
  test('a bare word is a name; a path has a slash or an extension', () => {
    expect(isScenarioName('counter-basic')).toBe(true);
    expect(isScenarioName('./counter-basic')).toBe(false);
    expect(isScenarioName('counter-basic.yaml')).toBe(false);
    expect(isScenarioName('notes.txt')).toBe(false);
  });

  test('an unknown name lists the known names and suggests the nearest', () => {
    const scenariosDir = join(tempDir(), 'scenarios');
    mkdirSync(scenariosDir);
    writeFileSync(join(scenariosDir, 'alpha.yaml'), VALID);
    writeFileSync(join(scenariosDir, 'beta.yaml'), VALID);
    expect(() => loadScenario('alpah', '/', { scenariosDir })).toThrow(
      'unknown scenario "alpah" (did you mean "alpha"?): the built-in scenarios are: alpha, beta.',
    );
  });

  test('a missing file and a file of another kind', () => {
    const cwd = tempDir();
    expect(() => loadScenario('./nope.yaml', cwd)).toThrow('cannot read scenario file ./nope.yaml: no such file.');
    expect(() => loadScenario('notes.txt', cwd)).toThrow('scenario files end in .yaml, .yml, .json');
  });

  test('listScenarios sorts by name and reports each one\'s system and expectation', () => {
    const scenariosDir = join(tempDir(), 'scenarios');
    mkdirSync(scenariosDir);
    writeFileSync(join(scenariosDir, 'zeta.yaml'), VALID);
    writeFileSync(join(scenariosDir, 'alpha.yml'), VALID.replace('expect: pass', 'expect: violation'));
    writeFileSync(join(scenariosDir, 'README.md'), 'not a scenario');
    expect(listScenarios({ scenariosDir })).toEqual([
      { name: 'alpha', description: "A scenario for the loader's tests.", system: 'counter', expect: 'violation' },
      { name: 'zeta', description: "A scenario for the loader's tests.", system: 'counter', expect: 'pass' },
    ]);
  });

  test('every built-in scenario loads', () => {
    const listed = listScenarios();
    for (const entry of listed) expect(loadScenario(entry.name, '/').scenario.name).toBe(entry.name);
  });

  test('a Kafka replica assignment must name brokers of the cluster and agree with partitions', () => {
    const kafka = (workload: string) => `description: d
system: kafka
cluster: { controllers: 3, brokers: 3, producers: 1 }
workload: ${workload}
faults: { plan: [] }
durationMs: 10000
livenessMs: 10000
expect: pass
`;
    expect(() => parseScenarioText(kafka('{ assignments: [[b1, b2, b3]] }'), 'ok.yaml')).not.toThrow();
    expect(errorOf(kafka('{ assignments: [[b1, b4]] }'))).toContain('workload.assignments[0] names b4, which is not a broker of this cluster; its brokers are b1, b2, b3');
    expect(errorOf(kafka('{ assignments: [[b1, b1]] }'))).toContain('names a broker twice');
    expect(errorOf(kafka('{ partitions: 3, assignments: [[b1, b2]] }'))).toContain('workload.partitions is 3 but workload.assignments places 1 partition(s)');
  });

  test('foundAtSeed belongs to swarm scenarios that expect a violation', () => {
    expect(errorOf(variant('expect: pass', 'expect: pass\nfoundAtSeed: 7'))).toContain('foundAtSeed is only for a swarm scenario that expects a violation');
  });
});
