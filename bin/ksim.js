#!/usr/bin/env node
// The ksim command. The TypeScript sources are compiled to dist/ by `npm install` (the "prepare"
// script), so this shim only loads the compiled CLI and hands it the process's arguments.
import { main } from '../dist/sim/cli/main.js';

// A reader that stops early (`ksim run ... | head`) closes the pipe: that is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

const code = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
});
process.exitCode = code;
