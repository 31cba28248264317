/**
 * Where ksim's own files are: the package root (found from this module's location, never from the
 * working directory, so that `npx ksim` works from any folder) and the built-in scenarios in it.
 * The same code runs from the TypeScript sources (vitest) and from dist/ (the bin), at different
 * depths, so the root is found by walking up to ksim's package.json rather than by a fixed `../..`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package's name in package.json, which marks the root when walking up. */
const PACKAGE_NAME = 'ksim';

let packageRootCached: string | undefined;

export function packageRoot(): string {
  if (packageRootCached !== undefined) return packageRootCached;
  let directory = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(directory, 'package.json');
    if (existsSync(candidate) && readPackageName(candidate) === PACKAGE_NAME) {
      packageRootCached = directory;
      return directory;
    }
    const parent = dirname(directory);
    if (parent === directory) {
      throw new Error(`cannot find ksim's package.json above ${fileURLToPath(import.meta.url)}`);
    }
    directory = parent;
  }
}

export function builtinScenariosDir(): string {
  return join(packageRoot(), 'scenarios');
}

/** The version in ksim's package.json; a replay file is exact only within one version. */
export function ksimVersion(): string {
  const parsed: unknown = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8'));
  const version = (parsed as { version?: unknown }).version;
  if (typeof version !== 'string') throw new Error("ksim's package.json has no version");
  return version;
}

function readPackageName(file: string): unknown {
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown }).name;
  } catch {
    return undefined;
  }
}
