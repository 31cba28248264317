/**
 * Seeded random streams. All randomness in a run comes from one root seed; the root derives named,
 * independent streams (`network`, `faults`, `node/b1/2`, `disk/b1`, ...), so that a component that
 * draws one more number does not shift the draws of any other component. Streams use seedrandom's
 * Alea generator: fast, and identical on every platform.
 */
import seedrandom from 'seedrandom';
import type { Random } from '../src/host.js';

export class SeededRandom implements Random {
  private readonly next: () => number;

  constructor(readonly name: string, seed: string) {
    this.next = seedrandom.alea(seed);
  }

  nextFloat(): number {
    return this.next();
  }

  nextInt(minInclusive: number, maxExclusive: number): number {
    if (!(maxExclusive > minInclusive)) {
      throw new Error(`nextInt: empty range [${minInclusive}, ${maxExclusive}) on stream ${this.name}`);
    }
    return minInclusive + Math.floor(this.next() * (maxExclusive - minInclusive));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error(`pick: empty array on stream ${this.name}`);
    return items[this.nextInt(0, items.length)]!;
  }

  /** A Fisher-Yates shuffle into a new array. */
  shuffle<T>(items: readonly T[]): T[] {
    const copy = items.slice();
    for (let i = copy.length - 1; i > 0; i--) {
      const j = this.nextInt(0, i + 1);
      const held = copy[i]!;
      copy[i] = copy[j]!;
      copy[j] = held;
    }
    return copy;
  }
}

/** The root of a run's randomness; derives one independent stream per name. */
export class RandomRoot {
  constructor(readonly seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`seed must be a non-negative integer, got ${seed}`);
  }

  stream(name: string): SeededRandom {
    return new SeededRandom(name, `ksim/${this.seed}/${name}`);
  }
}
