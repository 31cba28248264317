/**
 * The JSON Schema of a scenario file, for ajv. The system named by `system` brings the schemas of
 * `cluster`, `config` and `workload` (see systems/system.ts); this file owns everything else.
 *
 * Every object forbids unknown keys, so a typo is an error instead of a silently ignored setting.
 * Every fault type of faults/plan.ts has its own branch, chosen by the `type` discriminator, so an
 * error speaks about the fault the user wrote ("faults.plan[1].mode must be one of process, power,
 * disk") rather than about all fourteen branches at once. Optional fields carry their documented
 * default, which ajv fills in (`useDefaults`), so the loaded scenario is complete.
 *
 * `description` texts double as the explanation in error messages (see issues.ts).
 */
import type { ValidateFunction } from 'ajv';
import { TRAFFIC_CLASSES } from '../../src/host.js';
import { FAULT_FAMILIES, type FaultType } from '../faults/plan.js';
import { validatorFor } from './validators.js';

/**
 * The longest phase a scenario may ask for: one simulated day. Longer runs are almost always a
 * typo (an extra zero or two), and would run for many minutes before anyone noticed.
 */
export const PHASE_DURATION_MS_MAX = 86_400_000;

/** A node id (`r1`) or a selector the system resolves when the fault fires (`@leader`). */
export const NODE_REFERENCE_PATTERN = '^(@[a-z][a-z0-9-]*|[A-Za-z0-9][A-Za-z0-9_.-]*)$';

const nodeReference = {
  type: 'string',
  pattern: NODE_REFERENCE_PATTERN,
  description: "a node id (like r1) or a selector starting with '@' (like @leader)",
} as const;

const nodeReferenceList = (minItems: number, maxItems?: number): object => ({
  type: 'array',
  items: nodeReference,
  minItems,
  ...(maxItems !== undefined ? { maxItems } : {}),
});

const timeMs = { type: 'integer', minimum: 0, description: 'simulated milliseconds' } as const;
const durationMs = { type: 'integer', minimum: 1, description: 'how long the fault lasts, in simulated ms' } as const;
const trafficClass = {
  enum: [...TRAFFIC_CLASSES, null],
  default: null,
  description: 'the traffic class to cut (null: all traffic)',
} as const;

/** The fields of each fault type besides `type` and `atMs`, and which of them are required. */
const FAULT_FIELDS: Record<FaultType, { properties: Record<string, object>; required: string[] }> = {
  crash: {
    properties: {
      node: nodeReference,
      mode: { enum: ['process', 'power', 'disk'], default: 'process', description: 'what survives the crash' },
      restartAfterMs: { type: ['integer', 'null'], minimum: 0, default: null, description: 'null: stays down until the heal' },
    },
    required: ['node'],
  },
  restart: { properties: { node: nodeReference }, required: ['node'] },
  pause: { properties: { node: nodeReference, durationMs }, required: ['node', 'durationMs'] },
  'clock-skew': { properties: { node: nodeReference, skewMs: { type: 'integer' } }, required: ['node', 'skewMs'] },
  partition: {
    properties: {
      sides: { type: 'array', items: nodeReferenceList(1), minItems: 2, maxItems: 2, description: 'two lists of nodes' },
      oneWay: { type: 'boolean', default: false },
      trafficClass,
      durationMs,
    },
    required: ['sides', 'durationMs'],
  },
  isolate: { properties: { node: nodeReference, trafficClass, durationMs }, required: ['node', 'durationMs'] },
  reset: { properties: { nodes: nodeReferenceList(2, 2) }, required: ['nodes'] },
  'latency-spike': {
    properties: {
      nodes: { type: ['array', 'null'], items: nodeReference, minItems: 1, default: null, description: 'null: every link' },
      extraMs: { type: 'integer', minimum: 1 },
      durationMs,
    },
    required: ['extraMs', 'durationMs'],
  },
  clog: { properties: { nodes: nodeReferenceList(1, 2), durationMs }, required: ['nodes', 'durationMs'] },
  'slow-fsync': {
    properties: { node: nodeReference, factor: { type: 'number', minimum: 1 }, durationMs },
    required: ['node', 'factor', 'durationMs'],
  },
  'disk-full': { properties: { node: nodeReference, durationMs }, required: ['node', 'durationMs'] },
  'bit-flip': { properties: { node: nodeReference }, required: ['node'] },
  heal: { properties: {}, required: [] },
};

/** Every fault type, in the order of faults/plan.ts, for messages and docs. */
export const FAULT_TYPES = Object.keys(FAULT_FIELDS) as FaultType[];

/** The node-reference fields of each fault type, for checking selectors against the system's. */
export const FAULT_NODE_FIELDS: readonly string[] = ['node', 'nodes', 'sides'];

const timedFault = {
  type: 'object',
  discriminator: { propertyName: 'type' },
  oneOf: FAULT_TYPES.map((type) => {
    const fields = FAULT_FIELDS[type];
    return {
      properties: { type: { const: type }, atMs: { ...timeMs, description: 'when the fault fires' }, ...fields.properties },
      required: ['type', 'atMs', ...fields.required],
      additionalProperties: false,
    };
  }),
} as const;

const swarmProfile = {
  type: 'object',
  properties: {
    families: { type: 'array', items: { enum: [...FAULT_FAMILIES] }, uniqueItems: true, minItems: 1 },
    intensity: { type: 'number', exclusiveMinimum: 0, description: 'scales every family rate (1 = default rates)' },
    maxDown: { type: 'integer', minimum: 0, description: 'at most this many servers down at once' },
    maxWindowMs: { type: 'integer', minimum: 200, description: 'the longest a partition, latency spike, slow fsync or full disk lasts (default 5000)' },
    maxDownMs: { type: 'integer', minimum: 100, description: 'the longest a crashed server stays down (default 4000)' },
  },
  additionalProperties: false,
} as const;

export const SCENARIO_SCHEMA = {
  type: 'object',
  properties: {
    name: { type: 'string', description: "the scenario's name, which must be the file's base name" },
    description: { type: 'string', minLength: 1, description: 'one line shown by `ksim list`' },
    system: { type: 'string', description: 'which system runs' },
    cluster: { type: 'object', default: {} },
    config: { type: 'object', default: {} },
    workload: { type: 'object', default: {} },
    network: {
      type: 'object',
      properties: { latencyMs: timeMs, jitterMs: timeMs },
      additionalProperties: false,
      default: {},
    },
    disk: {
      type: 'object',
      properties: {
        fsyncLatencyMs: timeMs,
        fsyncJitterMs: timeMs,
        pageCacheFlushIntervalMs: { type: 'integer', minimum: 1 },
        capacityBytes: { type: 'integer', minimum: 0 },
      },
      additionalProperties: false,
      default: {},
    },
    faults: {
      type: 'object',
      properties: {
        plan: { type: 'array', items: timedFault, description: 'a written fault plan' },
        swarm: { ...swarmProfile, description: 'faults generated from the seed' },
        none: { const: true, description: 'no faults' },
      },
      additionalProperties: false,
      minProperties: 1,
      maxProperties: 1,
      description: 'exactly one of plan, swarm, none',
    },
    durationMs: { type: 'integer', minimum: 1, maximum: PHASE_DURATION_MS_MAX, description: 'the safety phase, in simulated ms' },
    livenessMs: { type: 'integer', minimum: 0, maximum: PHASE_DURATION_MS_MAX, description: 'the liveness phase after the heal, in simulated ms' },
    expect: { enum: ['pass', 'violation', 'liveness'], description: 'the verdict this scenario should give' },
    lesson: { type: 'string', description: 'text for learners' },
    foundAtSeed: { type: 'integer', minimum: 0, description: 'for a swarm scenario that expects a violation: the first seed where exploring found it' },
  },
  required: ['description', 'system', 'faults', 'durationMs', 'livenessMs', 'expect'],
  additionalProperties: false,
} as const;

/** The compiled scenario validator. It fills in defaults, so give it a copy you may change. */
export function scenarioValidator(): ValidateFunction {
  return validatorFor('scenario', SCENARIO_SCHEMA);
}
