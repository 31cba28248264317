/**
 * Kafka's ExponentialBackoff as the producer uses it for retries (KIP-580, Kafka 3.7+): the pause
 * doubles from `retry.backoff.ms` up to `retry.backoff.max.ms`, with ±20% jitter so that many
 * clients failing together do not retry in lockstep. The jitter draws from the node's own random
 * stream, so the pause is as reproducible as everything else.
 */

import type { Random } from '../host.js';

export const RETRY_BACKOFF_MULTIPLIER = 2;
export const RETRY_BACKOFF_JITTER = 0.2;

/** The pause before retry number `attempts + 1` (0 for the first retry), an integer ≥ 0. */
export function retryBackoffMs(attempts: number, initialMs: number, maxMs: number, random: Random): number {
  if (attempts < 0 || initialMs < 0) throw new Error(`retryBackoffMs: negative input ${attempts}, ${initialMs}`);
  if (initialMs === 0) return 0;
  const cap = Math.max(initialMs, maxMs);
  const term = Math.min(cap, initialMs * RETRY_BACKOFF_MULTIPLIER ** Math.min(attempts, 31));
  const factor = 1 - RETRY_BACKOFF_JITTER + random.nextFloat() * 2 * RETRY_BACKOFF_JITTER;
  return Math.max(0, Math.floor(term * factor));
}
