/**
 * Parsing of Kafka-style config values, shared by every component's config parser. Kafka accepts
 * numbers and booleans as strings in properties files, so a value may arrive either way. A bad
 * value is a configuration error, thrown at construction and never during a run.
 */

export function parsePositiveInt(key: string, value: unknown): number {
  const number = toNumber(value);
  if (typeof number !== 'number' || !Number.isSafeInteger(number) || number < 1) {
    throw new Error(`${key} must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return number;
}

export function parseNonNegativeInt(key: string, value: unknown): number {
  const number = toNumber(value);
  if (typeof number !== 'number' || !Number.isSafeInteger(number) || number < 0) {
    throw new Error(`${key} must be a non-negative integer, got ${JSON.stringify(value)}`);
  }
  return number;
}

export function parseBoolean(key: string, value: unknown): boolean {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new Error(`${key} must be true or false, got ${JSON.stringify(value)}`);
}

function toNumber(value: unknown): unknown {
  return typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
}

/**
 * Reads one component's fields from a Kafka property map: for each field, its Kafka key if
 * present, else the default; booleans parse as booleans, numbers with `parseNumber` (components
 * differ on whether 0 is allowed). Keys of other components are ignored.
 */
export function parseConfigFields<F extends string>(
  defaults: Readonly<Record<F, number | boolean>>,
  keys: Readonly<Record<F, string>>,
  properties: Readonly<Record<string, unknown>>,
  parseNumber: (key: string, value: unknown) => number,
): Record<F, number | boolean> {
  const fields = { ...defaults } as Record<F, number | boolean>;
  for (const field of Object.keys(keys) as F[]) {
    const key = keys[field];
    const value = properties[key];
    if (value === undefined) continue;
    fields[field] = typeof defaults[field] === 'boolean' ? parseBoolean(key, value) : parseNumber(key, value);
  }
  return fields;
}
