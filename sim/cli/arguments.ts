/**
 * Parsing of the numeric command-line values. yargs would turn `--seed 1.5` or `--seed abc` into a
 * number or NaN without complaint, so seeds and counts are taken as strings and checked here,
 * with messages that say what is allowed.
 */
import { UsageError } from './errors.js';

/** The largest seed: seeds are integers that a JavaScript number holds exactly (2^53 - 1). */
export const SEED_MAX = Number.MAX_SAFE_INTEGER;

export function parseSeed(text: unknown, flag: string, verb: string): number {
  return parseInteger(text, flag, verb, 0, SEED_MAX);
}

/** A count of at least 1 (e.g. `--seeds`). */
export function parseCount(text: unknown, flag: string, verb: string, countMax: number): number {
  return parseInteger(text, flag, verb, 1, countMax);
}

function parseInteger(text: unknown, flag: string, verb: string, minimum: number, maximum: number): number {
  const value = Array.isArray(text) ? text[text.length - 1] : text;
  const raw = String(value ?? '').trim();
  const allowed = `a whole number from ${minimum} to ${maximum}`;
  if (!/^[+-]?[0-9]+$/.test(raw)) throw new UsageError(`${flag} must be ${allowed} (got ${JSON.stringify(raw)}).`, verb);
  const parsed = Number(raw);
  if (parsed < 0 && minimum >= 0) throw new UsageError(`${flag} must not be negative (got ${raw}); it is ${allowed}.`, verb);
  if (parsed < minimum || parsed > maximum || !Number.isSafeInteger(parsed)) {
    throw new UsageError(`${flag} must be ${allowed} (got ${raw}).`, verb);
  }
  return parsed;
}
