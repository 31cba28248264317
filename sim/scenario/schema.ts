/**
 * The JSON Schema of a scenario file, for ajv. The system named by `system` brings the schemas of
 * `cluster`, `config` and `workload` (see systems/system.ts); this file owns everything else.
 *
 * Every object forbids unknown keys, so a typo is an error instead of a silently ignored setting.
 * Every fault type has its own branch, chosen by the `type` discriminator, so an
 * error speaks about the fault the user wrote ("faults.plan[1].mode must be one of process, power,
 * disk") rather than about all fourteen branches at once; each fault family declares its fields
 * in its own file (faults/crash.ts, ...). Optional fields carry their documented
 * default, which ajv fills in (`useDefaults`), so the loaded scenario is complete.
 *
 * `description` texts double as the explanation in error messages (see issues.ts).
 */
import type { ValidateFunction } from 'ajv';
import { FAULT_FAMILIES, type FaultType } from '../faults/plan.js';
import { FAULT_KINDS } from '../faults/registry.js';
import { validatorFor } from './validators.js';

/**
 * The longest phase a scenario may ask for: one simulated day. Longer runs are almost always a
 * typo (an extra zero or two), and would run for many minutes before anyone noticed.
 */
export const PHASE_DURATION_MS_MAX = 86_400_000;

export { NODE_REFERENCE_PATTERN } from '../faults/fields.js';

const timeMs = { type: 'integer', minimum: 0, description: 'simulated milliseconds' } as const;

/** Every fault type, in the order of faults/registry.ts, for messages and docs. */
export const FAULT_TYPES: readonly FaultType[] = FAULT_KINDS.map((kind) => kind.type);

/** The node-reference fields of each fault type, for checking selectors against the system's. */
export const FAULT_NODE_FIELDS: readonly string[] = ['node', 'nodes', 'sides'];

const timedFault = {
  type: 'object',
  discriminator: { propertyName: 'type' },
  oneOf: FAULT_KINDS.map((kind) => ({
    properties: { type: { const: kind.type }, atMs: { ...timeMs, description: 'when the fault fires' }, ...kind.fields.properties },
    required: ['type', 'atMs', ...kind.fields.required],
    additionalProperties: false,
  })),
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
