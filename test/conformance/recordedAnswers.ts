/**
 * How a conformance test judges ksim against Kafka's recorded answers: every case of one assignor,
 * ksim's answer normalized as Kafka's is, equal; where Kafka threw, ksim must throw too, naming the
 * same Java exception. The first mismatch is shown with the count of all of them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';

export interface RecordedAnswer<Assignment> {
  readonly assignment?: Assignment;
  readonly error?: string;
}

/** A fixture in test/conformance/: which Kafka answered, and its cases. */
export function readFixture<Case>(name: string): { readonly kafka: string; readonly cases: Case[] } {
  return JSON.parse(readFileSync(join(import.meta.dirname, name), 'utf8')) as { kafka: string; cases: Case[] };
}

export function expectKafkasAnswers<Case extends { readonly kafka: RecordedAnswer<unknown> }>(
  cases: readonly Case[],
  ksimAnswer: (testCase: Case) => Record<string, string[]>,
  kafkaAnswer: (assignment: NonNullable<Case['kafka']['assignment']>) => Record<string, string[]>,
): void {
  expect(cases.length).toBeGreaterThan(100);
  const mismatches = cases.flatMap((testCase, index) => {
    if (testCase.kafka.error !== undefined) {
      expect(() => ksimAnswer(testCase), `case ${index}: Kafka threw ${testCase.kafka.error}`).toThrow(testCase.kafka.error.split(':')[0]!);
      return [];
    }
    const expected = kafkaAnswer(testCase.kafka.assignment as NonNullable<Case['kafka']['assignment']>);
    const actual = ksimAnswer(testCase);
    return JSON.stringify(actual) === JSON.stringify(expected) ? [] : [{ index, testCase, kafka: expected, ksim: actual }];
  });
  expect(mismatches.slice(0, 1), `${mismatches.length} of ${cases.length} cases differ from Kafka`).toEqual([]);
}
