/**
 * Schema pieces the fault families share (JSON Schema, for ajv): a node reference, a list of them,
 * a fault's duration and a traffic class. `description` texts double as the explanation in error
 * messages (see scenario/issues.ts).
 */
import { TRAFFIC_CLASSES } from '../../src/host.js';

/** A node id (`r1`) or a selector the system resolves when the fault fires (`@leader`). */
export const NODE_REFERENCE_PATTERN = '^(@[a-z][a-z0-9-]*|[A-Za-z0-9][A-Za-z0-9_.-]*)$';

export const nodeReference = {
  type: 'string',
  pattern: NODE_REFERENCE_PATTERN,
  description: "a node id (like r1) or a selector starting with '@' (like @leader)",
} as const;

export const nodeReferenceList = (minItems: number, maxItems?: number): object => ({
  type: 'array',
  items: nodeReference,
  minItems,
  ...(maxItems !== undefined ? { maxItems } : {}),
});

export const durationMs = { type: 'integer', minimum: 1, description: 'how long the fault lasts, in simulated ms' } as const;

export const trafficClass = {
  enum: [...TRAFFIC_CLASSES, null],
  default: null,
  description: 'the traffic class to cut (null: all traffic)',
} as const;
