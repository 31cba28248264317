/**
 * Scenario files' YAML, parsed into plain values, with errors that name the file, line and column.
 *
 * Loading the `yaml` package costs a process tens of milliseconds before its first event, and
 * nearly every run reads a built-in scenario, whose text never changes between builds. So
 * `npm run build` parses every built-in scenario ahead of time (scripts/precompile-scenarios.mjs
 * writes dist/sim/scenario/scenarios.generated.json: text digest → parsed value), and a text
 * whose digest is there is not parsed again. Any other text — an edited built-in, a user's file,
 * or every file when running from the TypeScript sources — is parsed here, loading `yaml` then.
 * The same text always gives the same value, so the shortcut cannot change what a run sees.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { ScenarioError } from './errors.js';

/** The file the build writes, beside this module in dist/. */
export const PREPARSED_FILE = 'scenarios.generated.json';

const requireCommonJs = createRequire(import.meta.url);
let preparsed: Map<string, unknown> | undefined;

/** The digest a pre-parsed text is filed under. */
export function yamlTextDigest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The value of a YAML text; `shown` names the file in errors. Give it a text you read, not one you will change. */
export function parseYaml(text: string, shown: string): unknown {
  preparsed ??= loadPreparsed();
  const digest = yamlTextDigest(text);
  // A fresh copy each time: callers fill defaults into what they get.
  if (preparsed.has(digest)) return structuredClone(preparsed.get(digest));
  return parseYamlNow(text, shown);
}

/** Parses with the `yaml` package, whatever was pre-parsed (the build uses this). */
export function parseYamlNow(text: string, shown: string): unknown {
  const YAML = requireCommonJs('yaml') as typeof import('yaml');
  const document = YAML.parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  const error = document.errors[0];
  if (error !== undefined) {
    const position = error.linePos?.[0];
    const reason = error.message.split(/ at line \d+, column \d+/)[0] ?? error.message;
    const lineText = position !== undefined ? text.split(/\r?\n/)[position.line - 1] : undefined;
    throw new ScenarioError(
      `scenario file ${shown} is not valid YAML` +
        (position !== undefined ? ` at line ${position.line}, column ${position.col}` : '') +
        `: ${reason.replace(/\s+/g, ' ').trim()}` +
        (lineText !== undefined && lineText.trim() !== '' ? ` (line ${position?.line}: ${JSON.stringify(lineText.trim())})` : '') +
        '.',
      shown,
    );
  }
  return document.toJS({ maxAliasCount: 100 });
}

function loadPreparsed(): Map<string, unknown> {
  const file = fileURLToPath(new URL(`./${PREPARSED_FILE}`, import.meta.url));
  if (!existsSync(file)) return new Map();
  return new Map(Object.entries(JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>));
}
