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
