/**
 * Canonical JSON: object keys in code-unit order at every depth, no whitespace, `undefined`
 * fields dropped. Two objects with the same content give the same text whatever order their keys
 * were written in, so a hash of it identifies a scenario's content (not its formatting).
 */
import { createHash } from 'node:crypto';

export function canonicalJson(value: unknown): string {
  return JSON.stringify(canonicalize(value));
}

/** sha256 (hex) of the canonical JSON of a value. */
export function canonicalSha256(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

function canonicalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => (item === undefined ? null : canonicalize(item)));
  if (value === null || typeof value !== 'object') return value;
  const sorted: Record<string, unknown> = {};
  const keys = Object.keys(value).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const key of keys) {
    const field = (value as Record<string, unknown>)[key];
    if (field !== undefined) sorted[key] = canonicalize(field);
  }
  return sorted;
}
