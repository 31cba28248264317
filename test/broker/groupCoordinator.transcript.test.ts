/**
 * The group coordinator's protocols as a transcript (etcd raft's datadriven style): each block of
 * `groupCoordinator.transcript.txt` is a command, `----`, and the exact output it must produce —
 * what the coordinator traced and answered, then the group's state (groupCoordinatorDriver.ts
 * lists the commands). A classic rebalance and a KIP-848 reconciliation, step by step; any change
 * of behaviour changes some output and fails the test. To accept a deliberate change, regenerate
 * and read the diff: UPDATE_TRANSCRIPTS=1 npx vitest run test/broker/groupCoordinator.transcript.test.ts
 */
import { join } from 'node:path';
import { test } from 'vitest';
import { checkTranscript } from '../support/transcript.js';
import { type GroupCoordinatorDriver, newCoordinatorDriver } from './groupCoordinatorDriver.js';

function execute(line: string, current: GroupCoordinatorDriver | null): { state: GroupCoordinatorDriver; output: string[] } {
  if (line.startsWith('new-coordinator')) return { state: newCoordinatorDriver(line), output: ['b1 hosts __consumer_offsets-0 (every group lives there) and follows orders'] };
  if (current === null) throw new Error(`transcript: "${line}" before any new-coordinator`);
  return { state: current, output: [...current.run(line), current.state()] };
}

test('the group coordinator transcript (a classic rebalance, a KIP-848 reconciliation) replays exactly', () => {
  checkTranscript(join(import.meta.dirname, 'groupCoordinator.transcript.txt'), execute);
});
