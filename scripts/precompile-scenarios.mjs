/**
 * Build step (after tsc): parses every built-in scenario's YAML ahead of time into
 * dist/sim/scenario/scenarios.generated.json (text digest → parsed value), so that a ksim process
 * running a built-in scenario need not load the `yaml` package (sim/scenario/yaml.ts). A value that
 * would not survive JSON unchanged is left out, and is parsed at run time as before.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { PREPARSED_FILE, parseYamlNow, yamlTextDigest } from '../dist/sim/scenario/yaml.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const directory = join(root, 'scenarios');
const preparsed = {};
for (const name of readdirSync(directory).filter((file) => /\.ya?ml$/.test(file)).sort()) {
  const text = readFileSync(join(directory, name), 'utf8');
  let value;
  try {
    value = parseYamlNow(text, `scenarios/${name}`);
  } catch {
    continue; // A broken file is reported when it is loaded, by the same parser.
  }
  if (isDeepStrictEqual(JSON.parse(JSON.stringify(value)), value)) preparsed[yamlTextDigest(text)] = value;
}
writeFileSync(join(root, 'dist', 'sim', 'scenario', PREPARSED_FILE), `${JSON.stringify(preparsed)}\n`);
