/**
 * The compiled JSON Schema validators of scenario files, their system sections and replay files,
 * by name: `scenario`, `replay`, `<system>.<section>`.
 *
 * Compiling them with ajv takes about a fifth of a second, most of what ksim did before its first
 * event. So `npm run build` compiles them ahead of time (scripts/precompile-validators.mjs writes
 * ajv's standalone code to dist/sim/scenario/validators.generated.cjs), and a process loads that
 * in a few milliseconds without loading ajv at all. Each precompiled validator carries a digest of
 * the schema it was compiled from: when the schema in hand differs (a stale build), or when there
 * is no precompiled file (running from the TypeScript sources, as the tests do), the validator is
 * compiled with ajv at first use instead. A stale build can only be slower, never wrong.
 *
 * Both ways use the same ajv options (AJV_OPTIONS), so they fill the same defaults and report the
 * same errors; a test compares them.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Ajv, Options, ValidateFunction } from 'ajv';

/**
 * ajv's options for every schema. `useDefaults` fills in documented defaults; `verbose` keeps the
 * failing value and its schema on each error, which the messages quote (issues.ts).
 */
export const AJV_OPTIONS: Options = {
  allErrors: true,
  strict: true,
  useDefaults: true,
  discriminator: true,
  allowUnionTypes: true,
  verbose: true,
};

/** The file the build writes, beside this module in dist/. */
export const PRECOMPILED_FILE = 'validators.generated.cjs';

/** The precompiled module's shape: a validator and its schema's digest per name. */
export interface PrecompiledValidators {
  readonly validators: Record<string, ValidateFunction | undefined>;
  readonly digests: Record<string, string | undefined>;
}

const requireCommonJs = createRequire(import.meta.url);
const compiled = new Map<string, ValidateFunction>();
let precompiled: PrecompiledValidators | null | undefined;

/** The validator of a system's section schema, as the build names it. */
export function sectionValidatorName(system: string, section: 'cluster' | 'config' | 'workload'): string {
  return `${system}.${section}`;
}

/** The digest that ties a precompiled validator to the schema it was compiled from. */
export function schemaDigest(schema: object): string {
  return createHash('sha256').update(JSON.stringify(schema)).digest('hex');
}

/** The validator of `schema`, precompiled if the build made one from this very schema, else compiled now. */
export function validatorFor(name: string, schema: object): ValidateFunction {
  let validator = compiled.get(name);
  if (validator === undefined) {
    validator = precompiledValidator(name, schema) ?? createAjv().compile(schema);
    compiled.set(name, validator);
  }
  return validator;
}

/** A new ajv instance with AJV_OPTIONS (and any extra options, for the build), loaded only when needed. */
export function createAjv(extra: Options = {}): Ajv {
  const { Ajv: AjvClass } = requireCommonJs('ajv') as typeof import('ajv');
  return new AjvClass({ ...AJV_OPTIONS, ...extra });
}

function precompiledValidator(name: string, schema: object): ValidateFunction | undefined {
  if (precompiled === undefined) precompiled = loadPrecompiled();
  if (precompiled === null) return undefined;
  const validator = precompiled.validators[name];
  if (validator === undefined || precompiled.digests[name] !== schemaDigest(schema)) return undefined;
  return validator;
}

function loadPrecompiled(): PrecompiledValidators | null {
  const file = fileURLToPath(new URL(`./${PRECOMPILED_FILE}`, import.meta.url));
  if (!existsSync(file)) return null;
  return requireCommonJs(file) as PrecompiledValidators;
}
