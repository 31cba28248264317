/**
 * The seeded draws every conformance case generator uses (scripts/kafka-conformance.mjs and
 * scripts/conformance/*.mjs): one seedrandom stream, and the helpers drawn from it, so that a
 * fixture changes only when its generator or its seed does. `reseed` starts the stream again
 * from another seed (a generator's second family of cases).
 */
import seedrandom from 'seedrandom';

export function draws(seed) {
  let stream = seedrandom.alea(seed);
  const random = () => stream();
  const between = (low, high) => low + Math.floor(random() * (high - low + 1));
  return {
    random,
    between,
    chance: (probability) => random() < probability,
    pick: (values) => values[Math.floor(random() * values.length)],
    shuffled: (values) => {
      const copy = [...values];
      for (let index = copy.length - 1; index > 0; index--) {
        const other = Math.floor(random() * (index + 1));
        [copy[index], copy[other]] = [copy[other], copy[index]];
      }
      return copy;
    },
    reseed: (next) => {
      stream = seedrandom.alea(next);
    },
  };
}
