#!/usr/bin/env node
// The ksim command. The TypeScript sources are compiled to dist/ by `npm install` (the "prepare"
// script), so this shim only loads the compiled CLI and hands it the process's arguments.
import { randomInt } from 'node:crypto';
import { writeSync } from 'node:fs';
import { exitCodeOfOutputError, main } from '../dist/sim/cli/main.js';

// A reader that stops early (`ksim run ... | head`) closes the pipe, which is no error; stdout on
// a full disk is an I/O failure, exit 74 (sim/cli/io.ts says which is which).
for (const [name, stream] of [['stdout', process.stdout], ['stderr', process.stderr]]) {
  stream.on('error', (error) => {
    process.exit(exitCodeOfOutputError(error, name, Number(process.exitCode ?? 0), (text) => writeSync(2, text)));
  });
}

// Ctrl-C: a verb that asks (explore) hears it and finishes what it can; a second Ctrl-C, or one
// during a verb that did not ask, stops the process at once, exit 130 (128 + SIGINT).
const interruptHandlers = [];
let interrupts = 0;
function onInterrupt(handler) {
  if (interruptHandlers.length === 0) {
    process.on('SIGINT', () => {
      interrupts++;
      if (interrupts > 1) process.exit(130);
      for (const each of interruptHandlers) each();
    });
  }
  interruptHandlers.push(handler);
}

const code = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  // The one source of ambient randomness: explore's first seed when --from is not given.
  randomSeed: () => randomInt(1, 2 ** 31),
  onInterrupt,
});
process.exitCode = code;
