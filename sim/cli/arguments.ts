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

/** `--shard i/n`: shard i (from 1) of n. */
export function parseShard(text: unknown, verb: string, countMax: number): { index: number; count: number } {
  const raw = String(Array.isArray(text) ? text[text.length - 1] : text ?? '').trim();
  const match = /^([0-9]+)\/([0-9]+)$/.exec(raw);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (match === null || !(count >= 1 && count <= countMax) || !(index >= 1 && index <= count)) {
    throw new UsageError(`--shard must be i/n, this job's shard i of n, with 1 ≤ i ≤ n ≤ ${countMax} (got ${JSON.stringify(raw)}); like --shard 2/8.`, verb);
  }
  return { index, count };
}

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** A wall-clock duration like `10m`, `90s`, `1h30m` or `500ms`, in ms, from 1 ms to `maximumMs`. */
export function parseDuration(text: unknown, flag: string, verb: string, maximumMs: number): number {
  const raw = String(Array.isArray(text) ? text[text.length - 1] : text ?? '').trim();
  const allowed = `a duration like 10m, 90s, 1h30m or 500ms (units h, m, s, ms), at most ${maximumMs / 3_600_000}h`;
  if (!/^([0-9]+(ms|h|m|s))+$/.test(raw)) throw new UsageError(`${flag} must be ${allowed} (got ${JSON.stringify(raw)}).`, verb);
  let total = 0;
  for (const [, amount, unit] of raw.matchAll(/([0-9]+)(ms|h|m|s)/g)) total += Number(amount) * DURATION_UNITS_MS[unit!]!;
  if (total < 1 || total > maximumMs) throw new UsageError(`${flag} must be ${allowed} (got ${raw}).`, verb);
  return total;
}
