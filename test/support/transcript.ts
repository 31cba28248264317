/**
 * Transcript tests in etcd raft's datadriven style: a text file of commands, each followed by
 * `----` and the exact output it must produce. `replayTranscript` runs every command through the
 * test's own `execute` and returns the file as this code would write it; `checkTranscript` compares
 * it with the file, or rewrites the file when UPDATE_TRANSCRIPTS=1 (then read the diff).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { expect } from 'vitest';

/** Runs one command line against the current state (or makes a new one); returns the new state and the output lines. */
export type TranscriptExecute<S> = (line: string, current: S | null) => { state: S; output: string[] };

/** Replays a transcript; returns it with every command's output as `execute` produces it now. */
export function replayTranscript<S>(text: string, execute: TranscriptExecute<S>): string {
  const lines = text.split('\n');
  const out: string[] = [];
  let state: S | null = null;
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!;
    out.push(line);
    if (line.trim() === '' || line.startsWith('#')) continue;
    if (lines[index + 1] !== '----') throw new Error(`transcript line ${index + 1}: "${line}" must be followed by ----`);
    const executed = execute(line, state);
    state = executed.state;
    out.push('----', ...executed.output.flatMap((output) => output.split('\n')));
    // Skip the expected output: everything up to the next blank line.
    index += 1;
    while (index + 1 < lines.length && lines[index + 1]!.trim() !== '') index++;
  }
  return out.join('\n');
}

/** The transcript file replays exactly; with UPDATE_TRANSCRIPTS=1 it is rewritten instead. */
export function checkTranscript<S>(file: string, execute: TranscriptExecute<S>): void {
  const expected = readFileSync(file, 'utf8');
  const actual = replayTranscript(expected, execute);
  if (process.env['UPDATE_TRANSCRIPTS'] === '1') {
    writeFileSync(file, actual);
    return;
  }
  expect(actual).toBe(expected);
}
