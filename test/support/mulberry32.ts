/**
 * A tiny seeded generator (mulberry32) for tests that drive protocol code without the world: the
 * raft and client harnesses. The world itself uses seedrandom streams (sim/random.ts).
 */
import type { Random } from '../../src/host.js';

export function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  const nextFloat = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    nextFloat,
    nextInt: (min, max) => (max <= min ? min : min + Math.floor(nextFloat() * (max - min))),
    chance: (p) => nextFloat() < p,
    pick: <T>(items: readonly T[]): T => {
      if (items.length === 0) throw new Error('pick: empty');
      return items[Math.floor(nextFloat() * items.length)]!;
    },
  };
}
