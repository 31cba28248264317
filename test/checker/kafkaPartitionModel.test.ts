/**
 * The Kafka checker's partition model keeps, for every replica, the committed offsets it lacks or
 * holds differently. These tests compare that bookkeeping with its definition, recomputed from
 * scratch, after every step of random histories of appends, truncations, log-start moves and
 * commits, and the conflicts it finds in a range with theirs — the checker's verdicts depend on it
 * being exact.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { PartitionModel, type ReplicaModel } from '../../sim/systems/kafka/model.js';

type Step =
  | { kind: 'append'; replica: number; epoch: number; values: Array<string | null> }
  | { kind: 'truncate'; replica: number; offset: number }
  | { kind: 'log-start'; replica: number; offset: number }
  | { kind: 'commit'; offset: number; value: string | null }
  | { kind: 'commit-held'; replica: number; offset: number }
  | { kind: 'uncommit'; offset: number };

const value = fc.constantFrom<string | null>('a', 'b', 'c', null);
const offset = fc.nat({ max: 12 });
const replicaIndex = fc.nat({ max: 2 });
// Epochs vary so that the model is seen to compare values only: what was committed is a value.
const epoch = fc.nat({ max: 2 });
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('append' as const), replica: replicaIndex, epoch, values: fc.array(value, { minLength: 1, maxLength: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), replica: replicaIndex, offset }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('log-start' as const), replica: replicaIndex, offset }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('commit' as const), offset, value }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('commit-held' as const), replica: replicaIndex, offset }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('uncommit' as const), offset }) },
);

/** The definition: committed offsets at or above the log start where the replica holds no record or another. */
function divergentByDefinition(model: PartitionModel, replica: ReplicaModel): number[] {
  const out: number[] = [];
  for (let o = replica.logStartOffset; o <= 40; o++) {
    const committed = model.committedAt(o);
    if (committed !== undefined && !replica.holdsCommitted(o, committed)) out.push(o);
  }
  return out;
}

/** The definition: offsets in [from, to), at or above the log start, where the replica holds a record whose value differs from the committed one. */
function conflictsByDefinition(model: PartitionModel, replica: ReplicaModel, from: number, to: number): number[] {
  const out: number[] = [];
  for (let o = Math.max(from, replica.logStartOffset); o < to; o++) {
    const committed = model.committedAt(o);
    if (committed !== undefined && replica.entries.has(o) && !replica.holdsCommitted(o, committed)) out.push(o);
  }
  return out;
}

/** Ranges both narrower and wider than a replica's disagreements, so that conflictsIn takes both of its ways. */
const CONFLICT_RANGES: ReadonlyArray<readonly [number, number]> = [[0, 41], [2, 4], [5, 6], [3, 12]];

function apply(model: PartitionModel, replicas: ReplicaModel[], step: Step): void {
  switch (step.kind) {
    case 'append': {
      const replica = replicas[step.replica]!;
      step.values.forEach((v, i) => model.setEntry(replica, replica.logEndOffset + i, { value: v, epoch: step.epoch }));
      replica.logEndOffset += step.values.length;
      return;
    }
    case 'truncate':
      return model.truncate(replicas[step.replica]!, step.offset);
    case 'log-start': {
      const replica = replicas[step.replica]!;
      model.advanceLogStart(replica, step.offset);
      replica.logEndOffset = Math.max(replica.logEndOffset, step.offset);
      return;
    }
    case 'commit':
      return model.setCommitted(step.offset, step.value);
    case 'commit-held': {
      // What a leader does: commit the record it holds.
      const replica = replicas[step.replica]!;
      const held = replica.entries.get(step.offset);
      if (held !== undefined) model.setCommitted(step.offset, held.value);
      return;
    }
    case 'uncommit':
      return model.deleteCommitted(step.offset);
    default: {
      const unreachable: never = step;
      throw new Error(`unknown step ${JSON.stringify(unreachable)}`);
    }
  }
}

describe('Kafka checker partition model', () => {
  test('each replica\'s disagreements with the committed records match their definition after every step (property)', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 20, maxLength: 80 }), fc.nat({ max: 79 }), (steps, lateJoinAt) => {
        const model = new PartitionModel();
        const replicas = [model.addReplica('b1', 1), model.addReplica('b2', 1)];
        steps.forEach((step, index) => {
          // A replica may first appear mid-run, as after a lost disk.
          if (index === lateJoinAt) replicas.push(model.addReplica('b3', 1));
          if ('replica' in step && replicas[step.replica] === undefined) return;
          apply(model, replicas, step);
          for (const replica of replicas) {
            expect(model.missingOn(replica)).toEqual(divergentByDefinition(model, replica));
            for (const [from, to] of CONFLICT_RANGES) expect(model.conflictsIn(replica, from, to)).toEqual(conflictsByDefinition(model, replica, from, to));
            expect([...replica.entries.keys()].every((o) => o < replica.logEndOffset)).toBe(true);
          }
        });
      }),
      { numRuns: 300 },
    );
  });

  test('conflicts in a range are the offsets held with another record than the committed one, whichever way they are found', () => {
    const model = new PartitionModel();
    const replica = model.addReplica('b1', 1);
    ['a', 'b', 'x', 'd', null].forEach((v, o) => model.setEntry(replica, o, { value: v, epoch: o % 2 }));
    replica.logEndOffset = 5;
    ['a', 'b', 'c', 'd', 'e', 'f'].forEach((v, o) => model.setCommitted(o, v));
    // Offset 2 holds x where c was committed, offset 4 holds null where e was; offset 5 is not held.
    expect(model.conflictsIn(replica, 0, 6)).toEqual([2, 4]);
    expect(model.conflictsIn(replica, 3, 6)).toEqual([4]);
    expect(model.conflictsIn(replica, 0, 1)).toEqual([]);
    expect(model.missingOn(replica)).toEqual([2, 4, 5]);
  });
});
