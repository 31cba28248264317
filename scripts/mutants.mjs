/**
 * `npm run mutants`: the mutation check (sim/mutants/runner.ts), run from the compiled dist/ that
 * `npm run mutants` builds first. Not part of `npm test`: a full run builds and explores every
 * mutation, which takes minutes to hours.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runMutants } from '../dist/sim/mutants/runner.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.exitCode = runMutants(process.argv.slice(2), root);
