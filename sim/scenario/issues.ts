/**
 * Turns ajv's errors into sentences a new user can act on: the field path in the notation they
 * would write (`faults.plan[2].node`, `config.acks`), and what is allowed there — the allowed
 * values of an enum, the expected type, the known keys when a key is unknown (with the nearest
 * one when it looks like a typo). ajv's own wording ("must be equal to one of the allowed values")
 * never names the values, which is why this file exists.
 */
import type { ErrorObject } from 'ajv';
import type { ScenarioIssue } from './errors.js';

/** Converts ajv errors, placing their paths under `prefix` (e.g. `workload` for a system section). */
export function issuesFromAjv(errors: readonly ErrorObject[], prefix: string): ScenarioIssue[] {
  const issues: ScenarioIssue[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    const issue = issueFromAjv(error, prefix);
    const key = `${issue.path}\u0000${issue.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push(issue);
  }
  return issues;
}

function issueFromAjv(error: ErrorObject, prefix: string): ScenarioIssue {
  const path = joinPath(prefix, pointerSegments(error.instancePath));
  const parent = (error.parentSchema ?? {}) as SchemaLike;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required': {
      const missing = String(params['missingProperty']);
      const about = parent.properties?.[missing]?.description;
      return { path: joinPath(path, [missing]), message: `is missing${about !== undefined ? ` (${about})` : ''}` };
    }
    case 'additionalProperties': {
      const unknown = String(params['additionalProperty']);
      const allowed = Object.keys(parent.properties ?? {});
      const nearest = nearestName(unknown, allowed);
      const where = path === '' ? 'at the top level' : `in ${path}`;
      const allowedText = allowed.length === 0 ? `no keys are allowed ${where}` : `allowed keys ${where}: ${allowed.join(', ')}`;
      return {
        path: joinPath(path, [unknown]),
        message: `is not a known key${nearest !== undefined ? ` (did you mean "${nearest}"?)` : ''}; ${allowedText}`,
      };
    }
    case 'type':
      return { path, message: `must be ${typeNames(String(params['type']))} (got ${describeValue(error.data)})` };
    case 'enum': {
      const allowed = (params['allowedValues'] as unknown[]) ?? [];
      const nearest = typeof error.data === 'string' ? nearestName(error.data, allowed.filter(isString)) : undefined;
      return {
        path,
        message: `must be one of ${allowed.map(formatValue).join(', ')} (got ${quoteValue(error.data)}${nearest !== undefined ? `, did you mean ${nearest}?` : ''})`,
      };
    }
    case 'const':
      return { path, message: `must be ${formatValue(params['allowedValue'])} (got ${quoteValue(error.data)})` };
    case 'discriminator': {
      const types = (parent.oneOf ?? []).map((branch) => branch.properties?.['type']?.const).filter(isString);
      const tagValue = params['tagValue'];
      if (params['error'] === 'mapping' && typeof tagValue === 'string') {
        const nearest = nearestName(tagValue, types);
        return {
          path: joinPath(path, ['type']),
          message: `must be one of ${types.join(', ')} (got "${tagValue}"${nearest !== undefined ? `, did you mean ${nearest}?` : ''})`,
        };
      }
      return { path: joinPath(path, ['type']), message: `is missing or not a string; it names the fault, one of ${types.join(', ')}` };
    }
    case 'minProperties':
    case 'maxProperties': {
      const allowed = Object.keys(parent.properties ?? {});
      return { path, message: `must set exactly one of ${allowed.join(', ')}` };
    }
    case 'pattern':
      return {
        path,
        message: `must be ${parent.description ?? `a string matching ${String(params['pattern'])}`} (got ${quoteValue(error.data)})`,
      };
    case 'minimum':
      return { path, message: `must be at least ${String(params['limit'])} (got ${quoteValue(error.data)})` };
    case 'maximum':
      return { path, message: `must be at most ${String(params['limit'])} (got ${quoteValue(error.data)})` };
    case 'exclusiveMinimum':
      return { path, message: `must be greater than ${String(params['limit'])} (got ${quoteValue(error.data)})` };
    case 'exclusiveMaximum':
      return { path, message: `must be less than ${String(params['limit'])} (got ${quoteValue(error.data)})` };
    case 'minItems':
      return { path, message: `must have at least ${String(params['limit'])} ${plural(Number(params['limit']), 'item')}` };
    case 'maxItems':
      return { path, message: `must have at most ${String(params['limit'])} ${plural(Number(params['limit']), 'item')}` };
    case 'minLength':
      return { path, message: Number(params['limit']) === 1 ? 'must not be empty' : `must be at least ${String(params['limit'])} characters long` };
    case 'uniqueItems':
      return { path, message: `must not repeat an item (items ${String(params['j'])} and ${String(params['i'])} are the same)` };
    default:
      return { path, message: error.message ?? `fails the ${error.keyword} rule` };
  }
}

interface SchemaLike {
  description?: string;
  properties?: Record<string, { description?: string; const?: unknown }>;
  oneOf?: Array<{ properties?: Record<string, { const?: unknown }> }>;
}

/** Decodes a JSON pointer (`/faults/plan/2/node`) into its segments. */
function pointerSegments(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer.slice(1).split('/').map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/**
 * Writes a path as a user would: `faults.plan[2].node`. Kafka config keys contain dots and are
 * written as they are (`config.min.insync.replicas`) because that is how the user typed them;
 * anything stranger is quoted in brackets.
 */
export function joinPath(prefix: string, segments: readonly string[]): string {
  let path = prefix;
  for (const segment of segments) {
    if (/^[0-9]+$/.test(segment)) path += `[${segment}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(segment)) path += path === '' ? segment : `.${segment}`;
    else path += `[${JSON.stringify(segment)}]`;
  }
  return path;
}

const TYPE_NAMES: Record<string, string> = {
  integer: 'an integer',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  object: 'a mapping of keys to values',
  array: 'a list',
  null: 'null',
};

function typeNames(types: string): string {
  return types.split(',').map((type) => TYPE_NAMES[type] ?? type).join(' or ');
}

/** Describes a value the user wrote, saying what kind of thing it is when that is the problem. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the string ${JSON.stringify(truncate(value, 40))}`;
  return String(value);
}

/** A value the user wrote, as they would have written it: `"powr"`, `3`, `null`. */
function quoteValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (value !== null && typeof value === 'object') return 'a mapping';
  return typeof value === 'string' ? JSON.stringify(truncate(value, 40)) : String(value);
}

function formatValue(value: unknown): string {
  return value === null ? 'null' : typeof value === 'string' ? value : JSON.stringify(value);
}

function truncate(text: string, lengthMax: number): string {
  return text.length <= lengthMax ? text : `${text.slice(0, lengthMax - 1)}…`;
}

function plural(count: number, noun: string): string {
  return count === 1 ? noun : `${noun}s`;
}

function isString(value: unknown): value is string {
  return typeof value === 'string';
}

/** The candidate closest to `name` by edit distance, if it is close enough to be a likely typo. */
export function nearestName(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    if (candidate === name) continue;
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  // A third of the name may differ: `rateMss` → `rateMs`, `powr` → `power`, but not `x` → `none`.
  const distanceMax = Math.max(1, Math.floor(name.length / 3));
  return bestDistance <= distanceMax ? best : undefined;
}

/** Edit distance counting a swap of two neighbours as one edit (optimal string alignment). */
function editDistance(a: string, b: string): number {
  let beforePrevious: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      let distance = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        distance = Math.min(distance, (beforePrevious[j - 2] ?? 0) + 1);
      }
      current.push(distance);
    }
    beforePrevious = previous;
    previous = current;
  }
  return previous[b.length] ?? 0;
}
