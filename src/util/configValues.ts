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
  const parsed = booleanOrNull(value);
  if (parsed === null) throw new Error(`${key} must be true or false, got ${JSON.stringify(value)}`);
  return parsed;
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

// ---------------------------------------------------------------------------------------------
// Kafka's ConfigDef, the part the clients need: each key with its type, default and validator,
// parsed into errors as data (a scenario file is user input) rather than thrown.

/** One value parsed: the value, or a phrase saying what the key allows ("an integer ≥ 0"). */
export type ConfigValueParse<V> = { readonly ok: true; readonly value: V } | { readonly ok: false; readonly allowed: string };

/** A config key: Kafka's name, its default, and how a value is parsed and validated. */
export interface ConfigKey<V> {
  readonly name: string;
  readonly defaultValue: V;
  parse(value: unknown): ConfigValueParse<V>;
}

/** Kafka's Type.INT range. */
const INT_MIN = -2_147_483_648;
const INT_MAX = 2_147_483_647;

/** An integer or a numeric string as a safe integer, else null. */
export function integerOrNull(value: unknown): number | null {
  const number = toNumber(value);
  return typeof number === 'number' && Number.isSafeInteger(number) ? number : null;
}

/** A boolean or "true"/"false", else null. */
export function booleanOrNull(value: unknown): boolean | null {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  return null;
}

/** Type.INT (or Type.LONG with `long`), with ConfigDef.Range.atLeast / between. */
export function integerKey(name: string, defaultValue: number, range: { readonly min?: number; readonly max?: number; readonly long?: boolean } = {}): ConfigKey<number> {
  const min = range.min ?? (range.long === true ? Number.MIN_SAFE_INTEGER : INT_MIN);
  const max = range.max ?? (range.long === true ? Number.MAX_SAFE_INTEGER : INT_MAX);
  const allowed = range.max === undefined ? (range.min === undefined ? 'an integer' : `an integer ≥ ${min}`) : `an integer in [${min}, ${max}]`;
  return {
    name,
    defaultValue,
    parse(value) {
      const number = integerOrNull(value);
      return number === null || number < min || number > max ? { ok: false, allowed } : { ok: true, value: number };
    },
  };
}

/** Type.BOOLEAN. */
export function booleanKey(name: string, defaultValue: boolean): ConfigKey<boolean> {
  return {
    name,
    defaultValue,
    parse(value) {
      const parsed = booleanOrNull(value);
      return parsed === null ? { ok: false, allowed: 'true or false' } : { ok: true, value: parsed };
    },
  };
}

/** Type.STRING without a validator (null default allowed), or with ConfigDef.NonEmptyString. */
export function stringKey(name: string, defaultValue: string | null, options: { readonly nonEmpty?: boolean } = {}): ConfigKey<string | null> {
  return {
    name,
    defaultValue,
    parse(value) {
      if (typeof value !== 'string') return { ok: false, allowed: 'a string' };
      if (options.nonEmpty === true && value.trim() === '') return { ok: false, allowed: 'a non-empty string' };
      return { ok: true, value };
    },
  };
}

/** Type.STRING with ConfigDef.ValidString.in (or CaseInsensitiveValidString.in). */
export function validStringKey<T extends string>(name: string, defaultValue: T, validValues: readonly T[], options: { readonly caseInsensitive?: boolean } = {}): ConfigKey<T> {
  const allowed = `one of ${validValues.join(', ')}`;
  return {
    name,
    defaultValue,
    parse(value) {
      if (typeof value !== 'string') return { ok: false, allowed };
      const match = validValues.find((valid) => (options.caseInsensitive === true ? valid.toLowerCase() === value.toLowerCase() : valid === value));
      return match === undefined ? { ok: false, allowed } : { ok: true, value: match };
    },
  };
}

/**
 * Type.LIST with ConfigDef.ValidList.anyNonDuplicateValues: a comma-separated string or an array,
 * each item mapped by `item` (null when the item is not allowed), no duplicates, not empty.
 */
export function listKey<T>(name: string, defaultValue: readonly T[], item: (text: string) => T | null, itemsAllowed: string): ConfigKey<readonly T[]> {
  const allowed = `a non-empty list without duplicates of ${itemsAllowed}`;
  return {
    name,
    defaultValue,
    parse(value) {
      const texts = typeof value === 'string' ? value.split(',').map((text) => text.trim()) : Array.isArray(value) ? value : null;
      if (texts === null || texts.length === 0 || texts.some((text) => typeof text !== 'string')) return { ok: false, allowed };
      const items = (texts as string[]).map(item);
      if (items.some((parsed) => parsed === null) || new Set(items).size !== items.length) return { ok: false, allowed };
      return { ok: true, value: items as T[] };
    },
  };
}

/** A component's keys, one per field of its config. */
export type ConfigKeys<C> = { readonly [F in keyof C]: ConfigKey<C[F]> };

export type ParsedConfigKeys<C> =
  | { readonly ok: true; readonly config: C; /** The Kafka names the properties set, for cross-checks that treat a default differently. */ readonly explicit: ReadonlySet<string> }
  | { readonly ok: false; readonly errors: readonly string[] };

/**
 * Parses a component's properties against its keys (AbstractConfig's parse): every key absent
 * takes its default; every error is reported at once, naming the key, what it allows and what it
 * got. Unknown keys are errors too (Kafka only logs them, but in a scenario they are typos).
 */
export function parseConfigKeys<C>(component: string, keys: ConfigKeys<C>, properties: Readonly<Record<string, unknown>>): ParsedConfigKeys<C> {
  const errors: string[] = [];
  const known = new Set(Object.values<ConfigKey<unknown>>(keys).map((key) => key.name));
  for (const name of Object.keys(properties)) {
    if (!known.has(name)) errors.push(`unknown ${component} config '${name}'`);
  }
  const config: Record<string, unknown> = {};
  const explicit = new Set<string>();
  for (const field of Object.keys(keys) as Array<keyof C & string>) {
    const key: ConfigKey<unknown> = keys[field];
    const value = properties[key.name];
    if (value === undefined) {
      config[field] = key.defaultValue;
      continue;
    }
    const parsed = key.parse(value);
    if (parsed.ok) {
      config[field] = parsed.value;
      explicit.add(key.name);
    } else {
      errors.push(`${key.name}: expected ${parsed.allowed}, got ${JSON.stringify(value)}`);
    }
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, config: config as C, explicit };
}
