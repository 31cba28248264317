#!/usr/bin/env node
// The ksim command. The TypeScript sources are compiled to dist/ by `npm install` (the "prepare"
// script), so this shim only loads the compiled CLI and hands it the process's arguments.
import { writeSync } from 'node:fs';
import { exitCodeOfOutputError, main } from '../dist/sim/cli/main.js';

// A reader that stops early (`ksim run ... | head`) closes the pipe, which is no error; stdout on
// a full disk is an I/O failure, exit 74 (sim/cli/io.ts says which is which).
for (const [name, stream] of [['stdout', process.stdout], ['stderr', process.stderr]]) {
  stream.on('error', (error) => {
    process.exit(exitCodeOfOutputError(error, name, Number(process.exitCode ?? 0), (text) => writeSync(2, text)));
  });
}

const code = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
});
process.exitCode = code;
