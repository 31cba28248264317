/**
 * The group coordinator's protocols as a transcript (etcd raft's datadriven style): each block of
 * `groupCoordinator.transcript.txt` is a command, `----`, and the exact output it must produce —
 * what the coordinator traced and answered, then the group's state (groupCoordinatorDriver.ts
 * lists the commands). A classic rebalance and a KIP-848 reconciliation, step by step; any change
 * of behaviour changes some output and fails the test. To accept a deliberate change, regenerate
 * and read the diff: UPDATE_TRANSCRIPTS=1 npx vitest run test/broker/groupCoordinator.transcript.test.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { type GroupCoordinatorDriver, newCoordinatorDriver } from './groupCoordinatorDriver.js';

const TRANSCRIPT = join(import.meta.dirname, 'groupCoordinator.transcript.txt');
const UPDATE = process.env['UPDATE_TRANSCRIPTS'] === '1';

function execute(line: string, current: GroupCoordinatorDriver | null): { driver: GroupCoordinatorDriver; output: string[] } {
  if (line.startsWith('new-coordinator')) return { driver: newCoordinatorDriver(line), output: ['b1 hosts __consumer_offsets-0 (every group lives there) and follows orders'] };
  if (current === null) throw new Error(`transcript: "${line}" before any new-coordinator`);
  return { driver: current, output: [...current.run(line), current.state()] };
}

/** Replays the transcript; returns it with every command's output as this code produces it. */
function replay(text: string): string {
  const lines = text.split('\n');
  const out: string[] = [];
  let driver: GroupCoordinatorDriver | null = null;
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!;
    out.push(line);
    if (line.trim() === '' || line.startsWith('#')) continue;
    if (lines[index + 1] !== '----') throw new Error(`transcript line ${index + 1}: "${line}" must be followed by ----`);
    const executed = execute(line, driver);
    driver = executed.driver;
    out.push('----', ...executed.output.flatMap((output) => output.split('\n')));
    index += 1;
    while (index + 1 < lines.length && lines[index + 1]!.trim() !== '') index++;
  }
  return out.join('\n');
}

test('the group coordinator transcript (a classic rebalance, a KIP-848 reconciliation) replays exactly', () => {
  const expected = readFileSync(TRANSCRIPT, 'utf8');
  const actual = replay(expected);
  if (UPDATE) {
    writeFileSync(TRANSCRIPT, actual);
    return;
  }
  expect(actual).toBe(expected);
});
