/**
 * Consumer groups in scenario files: what a `workload.groups` entry builds (member nodes with the
 * group's configs), the one-paragraph errors for bad groups (exit 64 through the CLI), and the
 * consumer fault families, which swarm plans draw only for systems that have consumers.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { generateSwarmPlan } from '../../sim/faults/swarm.js';
import { FAULT_FAMILIES } from '../../sim/faults/plan.js';
import { ScenarioError } from '../../sim/scenario/errors.js';
import { parseScenarioText } from '../../sim/scenario/load.js';
import { realizeFaultPlan } from '../../sim/runner.js';
import { getSystem } from '../../sim/systems/index.js';
import { ksim, tempDir } from '../cli/harness.js';

const WITH_GROUPS = `
description: Two consumer groups reading the topic.
system: kafka
cluster: { controllers: 3, brokers: 3, producers: 1 }
config:
  consumer: { session.timeout.ms: 6000, heartbeat.interval.ms: 1000, max.poll.records: 50 }
workload:
  groups:
    - { members: 2, protocol: classic, assignor: cooperative-sticky, commit: sync, processingMs: 2, staticMembership: true }
    - { id: readers, members: 1, protocol: consumer, assignor: uniform, commit: auto }
faults: { none: true }
durationMs: 4000
livenessMs: 10000
expect: pass
`;

function errorOf(text: string): string {
  try {
    parseScenarioText(text, 'groups.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(ScenarioError);
    return (error as Error).message;
  }
  throw new Error('expected a ScenarioError');
}

describe('workload.groups', () => {
  test('each group becomes member nodes g<n>c<m>, each a consumer with the group\'s configs', () => {
    const scenario = parseScenarioText(WITH_GROUPS, 'groups.yaml');
    const built = getSystem('kafka').build(scenario, 1);
    const ids = built.nodes.map((node) => node.id);
    expect(ids).toEqual(expect.arrayContaining(['g1c1', 'g1c2', 'g2c1']));
    expect(built.consumers).toEqual(['g1c1', 'g1c2', 'g2c1']);
    expect(built.nodes.find((node) => node.id === 'g1c1')!.role).toBe('client');
    expect(scenario.workload['groups']).toEqual([
      { id: null, members: 2, protocol: 'classic', assignor: 'cooperative-sticky', commit: 'sync', processingMs: 2, pollTimeoutMs: 500, staticMembership: true, subscription: 'subscribe' },
      { id: 'readers', members: 1, protocol: 'consumer', assignor: 'uniform', commit: 'auto', processingMs: 1, pollTimeoutMs: 500, staticMembership: false, subscription: 'subscribe' },
    ]);
  });

  test('an assignor the protocol does not have is an error naming the group and what it has', () => {
    const message = errorOf(WITH_GROUPS.replace('assignor: cooperative-sticky', 'assignor: uniform'));
    expect(message).toContain('workload.groups[0].assignor is uniform, which the classic protocol does not have; it has range, roundrobin, sticky, cooperative-sticky');
  });

  test('a bad consumer config is an error naming config.consumer, the group and the key', () => {
    expect(errorOf(WITH_GROUPS.replace('max.poll.records: 50', 'max.poll.records: 0'))).toContain('config.consumer.max.poll.records is 0, which is not allowed: expected an integer ≥ 1');
    expect(errorOf(WITH_GROUPS.replace('heartbeat.interval.ms: 1000', 'heartbeat.interval.ms: 6000'))).toContain(
      'config.consumer has settings that conflict: heartbeat.interval.ms (6000) must be lower than session.timeout.ms (6000)',
    );
  });

  test('classic-only keys in the shared config.consumer apply to the classic groups only (KIP-848 members may not set them)', () => {
    expect(() => parseScenarioText(WITH_GROUPS, 'groups.yaml')).not.toThrow();
  });

  test('keys a group decides for itself cannot be set in config.consumer', () => {
    expect(errorOf(WITH_GROUPS.replace('max.poll.records: 50', 'group.id: g'))).toMatch(/config\.consumer\.group\.id is not a known key/);
  });

  test('a group field out of range is a schema error', () => {
    expect(errorOf(WITH_GROUPS.replace('commit: sync', 'commit: sometimes'))).toMatch(/workload\.groups\[0\]\.commit must be one of auto, sync, async/);
  });

  test('through the CLI a bad group exits 64 with one line and no stack', () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'groups.yaml'), WITH_GROUPS.replace('members: 2', 'members: 0'));
    const outcome = ksim(['run', 'groups.yaml', '--seed', '1'], { cwd });
    expect(outcome.code).toBe(64);
    expect(outcome.stderr.trim().split('\n')).toHaveLength(1);
    expect(outcome.stderr).toContain('workload.groups[0].members');
    expect(outcome.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('consumer fault families', () => {
  const swarmInput = (consumers: string[]) => ({
    seed: 11,
    profile: { families: ['consumer-crash', 'consumer-pause', 'consumer-partition'] as (typeof FAULT_FAMILIES)[number][], intensity: 3 },
    supportedFamilies: FAULT_FAMILIES,
    servers: ['b1', 'b2', 'b3'],
    clients: ['p1', ...consumers],
    consumers,
    durationMs: 30_000,
  });

  test('a swarm draws crashes, long pauses and cuts from the coordinator aimed at consumers', () => {
    const plan = [1, 2, 3, 4, 5, 6, 7, 8].flatMap((seed) => generateSwarmPlan({ ...swarmInput(['g1c1', 'g1c2']), seed }));
    const kinds = new Set(plan.map((fault) => fault.action.type));
    expect(kinds).toEqual(new Set(['crash', 'pause', 'partition']));
    for (const { action } of plan) {
      if (action.type === 'crash' || action.type === 'pause') expect(['g1c1', 'g1c2']).toContain(action.node);
      if (action.type === 'partition') expect(action.sides[1]).toEqual(['@coordinator']);
    }
    expect(plan.some((fault) => fault.action.type === 'pause' && fault.action.durationMs > 6_000)).toBe(true);
  });

  test('without consumers the families stay off, drawing nothing and changing no other draw', () => {
    expect(generateSwarmPlan(swarmInput([]))).toEqual([]);
  });

  test('a kafka scenario with groups realizes a swarm plan that strikes its consumers', () => {
    const scenario = parseScenarioText(WITH_GROUPS.replace('faults: { none: true }', 'faults: { swarm: { families: [consumer-crash], intensity: 4 } }'), 'groups.yaml');
    const plan = realizeFaultPlan(scenario, 3);
    expect(plan.length).toBeGreaterThan(0);
    for (const { action } of plan) expect(action).toMatchObject({ type: 'crash', mode: 'process' });
  });
});
