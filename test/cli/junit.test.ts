/**
 * `--junit FILE` and `--summary-md FILE`: the JUnit XML is well formed and keeps the rules of the
 * JUnit schema CI tools validate against (the Jenkins JUnit XSD, the one JUnit 5's own tests use):
 * which elements nest where and in what order, which attributes are required and which allowed.
 * There is one test case per seed, and a failing one carries its anomaly and replay command. The
 * schema's rules are written out below as data, and the checker is fed broken documents too.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { FIXTURES, ksim, tempDir } from './harness.js';

interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

/** A small XML reader for what ksim writes: elements, attributes, text, the five entities. */
function parseXml(text: string): XmlElement {
  const body = text.replace(/^<\?xml[^?]*\?>\s*/, '');
  let at = 0;
  const decode = (raw: string): string => raw.replace(/&(lt|gt|quot|apos|amp|#10);/g, (_, entity: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&', '#10': '\n' })[entity]!);
  const element = (): XmlElement => {
    const open = /^<([A-Za-z][\w-]*)((?:\s+[\w-]+="[^"<]*")*)\s*(\/?)>/.exec(body.slice(at));
    if (open === null) throw new Error(`expected an element at ${at}: ${body.slice(at, at + 40)}`);
    at += open[0].length;
    const attributes: Record<string, string> = {};
    for (const [, key, value] of open[2]!.matchAll(/([\w-]+)="([^"]*)"/g)) {
      if (key! in attributes) throw new Error(`attribute ${key} twice on ${open[1]}`);
      attributes[key!] = decode(value!);
    }
    const node: XmlElement = { name: open[1]!, attributes, children: [], text: '' };
    if (open[3] === '/') return node;
    for (;;) {
      const textEnd = body.indexOf('<', at);
      if (textEnd === -1) throw new Error(`${node.name} is never closed`);
      node.text += decode(body.slice(at, textEnd));
      at = textEnd;
      if (body.startsWith(`</${node.name}>`, at)) {
        at += node.name.length + 3;
        return node;
      }
      if (body.startsWith('</', at)) throw new Error(`${node.name} closed by ${body.slice(at, at + 20)}`);
      node.children.push(element());
    }
  };
  const root = element();
  if (body.slice(at).trim() !== '') throw new Error('content after the root element');
  return root;
}

/** The Jenkins JUnit schema's rules: each element's attributes and its children, in order, with their counts. */
const JUNIT_RULES: Record<string, { required: string[]; optional: string[]; children: Array<[string, number, number]>; text: boolean }> = {
  testsuites: { required: [], optional: ['name', 'time', 'tests', 'failures', 'disabled', 'errors'], children: [['testsuite', 0, Infinity]], text: false },
  testsuite: {
    required: ['name', 'tests'],
    optional: ['failures', 'errors', 'time', 'disabled', 'skipped', 'timestamp', 'hostname', 'id', 'package'],
    children: [['properties', 0, 1], ['testcase', 0, Infinity], ['system-out', 0, 1], ['system-err', 0, 1]],
    text: false,
  },
  properties: { required: [], optional: [], children: [['property', 1, Infinity]], text: false },
  property: { required: ['name', 'value'], optional: [], children: [], text: false },
  testcase: {
    required: ['name'],
    optional: ['assertions', 'time', 'classname', 'status'],
    children: [['skipped', 0, 1], ['error', 0, Infinity], ['failure', 0, Infinity], ['system-out', 0, Infinity], ['system-err', 0, Infinity]],
    text: false,
  },
  failure: { required: [], optional: ['type', 'message'], children: [], text: true },
  error: { required: [], optional: ['type', 'message'], children: [], text: true },
  skipped: { required: [], optional: [], children: [], text: true },
  'system-out': { required: [], optional: [], children: [], text: true },
  'system-err': { required: [], optional: [], children: [], text: true },
};

/** Every way the document breaks the schema's rules; empty when it is valid. */
function junitSchemaProblems(element: XmlElement, path = ''): string[] {
  const here = `${path}/${element.name}`;
  const rule = JUNIT_RULES[element.name];
  if (rule === undefined) return [`${here}: no such element in the schema`];
  const problems: string[] = [];
  for (const required of rule.required) if (!(required in element.attributes)) problems.push(`${here}: lacks ${required}`);
  for (const name of Object.keys(element.attributes)) if (!rule.required.includes(name) && !rule.optional.includes(name)) problems.push(`${here}: no attribute ${name}`);
  if (!rule.text && element.text.trim() !== '') problems.push(`${here}: text where none is allowed`);
  let index = 0;
  for (const [name, min, max] of rule.children) {
    let count = 0;
    while (element.children[index]?.name === name) {
      count++;
      index++;
    }
    if (count < min || count > max) problems.push(`${here}: ${count} ${name} (from ${min} to ${max})`);
  }
  if (index < element.children.length) problems.push(`${here}: ${element.children[index]!.name} out of place`);
  for (const child of element.children) problems.push(...junitSchemaProblems(child, here));
  return problems;
}

describe('the JUnit schema checker can fail', () => {
  test.each([
    ['<testsuites><testsuite tests="1"/></testsuites>', 'lacks name'],
    ['<testsuites><testsuite name="s" tests="1"><testcase/></testsuite></testsuites>', 'testcase: lacks name'],
    ['<testsuites><testsuite name="s" tests="1"><testcase name="a"/><properties><property name="a" value="b"/></properties></testsuite></testsuites>', 'properties out of place'],
    ['<testsuites><testsuite name="s" tests="1" colour="red"/></testsuites>', 'no attribute colour'],
    ['<testsuites><testsuite name="s" tests="1"><testcase name="a"><failure/><error/></testcase></testsuite></testsuites>', 'error out of place'],
  ])('%s', (xml, problem) => {
    expect(junitSchemaProblems(parseXml(xml)).join('; ')).toContain(problem);
  });
});

describe('--junit and --summary-md', () => {
  test('one test case per seed; failures carry the anomaly and the replay command; the schema holds', () => {
    const cwd = tempDir();
    const outcome = ksim(['explore', join(FIXTURES, 'mixed-swarm.yaml'), '--seeds', '12', '--from', '1', '--workers', '1', '--junit', 'out/../junit.xml', '--summary-md', 'summary.md'], { cwd });
    expect(outcome.code).toBe(1);
    const root = parseXml(readFileSync(join(cwd, 'junit.xml'), 'utf8'));
    expect(junitSchemaProblems(root)).toEqual([]);
    const suite = root.children[0]!;
    const cases = suite.children.filter((child) => child.name === 'testcase');
    expect(cases.map((testcase) => testcase.attributes['name'])).toEqual(Array.from({ length: 12 }, (_, i) => `seed ${i + 1}`));
    const failing = cases.filter((testcase) => testcase.children.length > 0);
    expect(failing.length).toBe(Number(suite.attributes['failures']));
    expect(failing.length).toBeGreaterThan(0);
    for (const testcase of failing) {
      const failure = testcase.children[0]!;
      expect(failure.name).toBe('failure');
      expect(failure.attributes['type']).toBe('violation');
      expect(failure.attributes['message']).toMatch(/^violation AckedValueRetained\/lost-ack: /);
      expect(failure.text).toContain(`npx ksim replay reports/`);
      expect(outcome.stdout).toContain(failure.text.split('\n')[0]!);
    }
    const markdown = readFileSync(join(cwd, 'summary.md'), 'utf8');
    expect(markdown).toMatch(/^### ❌ ksim \S+: `mixed-swarm` — violation over 12 seeds/);
    expect(markdown).toContain('| violation | 2 |');
    expect(markdown).toMatch(/\| 3 \| violation \| AckedValueRetained\/lost-ack: .* \| `npx ksim replay reports\//);
  });

  test('a passing sweep: no failures, a green summary', () => {
    const cwd = tempDir();
    expect(ksim(['explore', join(FIXTURES, 'quiet.yaml'), '--seeds', '3', '--from', '1', '--workers', '1', '--junit', 'j.xml', '--summary-md', 's.md'], { cwd }).code).toBe(0);
    const root = parseXml(readFileSync(join(cwd, 'j.xml'), 'utf8'));
    expect(junitSchemaProblems(root)).toEqual([]);
    expect(root.attributes).toMatchObject({ tests: '3', failures: '0', errors: '0' });
    expect(readFileSync(join(cwd, 's.md'), 'utf8')).toMatch(/^### ✅ ksim \S+: `quiet` — pass over 3 seeds/);
  });
});
