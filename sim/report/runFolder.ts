/**
 * The run folder a failing run leaves behind: reports/runs/<scenario>-seed<N>/ under the working
 * directory, holding replay.json (replay.ts) and verdict.json (the RunReport). Writing it again
 * for the same scenario and seed replaces it, since the same version of ksim would write the same.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ReplayFile } from './replay.js';
import type { RunReport } from './runReport.js';

export const RUNS_DIR = 'reports/runs';

export interface WrittenRunFolder {
  /** The folder, relative to the working directory, with forward slashes (as printed). */
  folder: string;
  /** replay.json, relative to the working directory, with forward slashes (as printed). */
  replayFile: string;
}

/** The run folder's path relative to the working directory. */
export function runFolderOf(scenario: string, seed: number): string {
  // Scenario names come from file names; keep the folder name portable whatever they hold.
  const safeName = scenario.replace(/[^A-Za-z0-9._-]/g, '_');
  return `${RUNS_DIR}/${safeName}-seed${seed}`;
}

export function writeRunFolder(cwd: string, replay: ReplayFile, report: RunReport): WrittenRunFolder {
  const folder = runFolderOf(replay.scenario.name, replay.seed);
  const replayFile = `${folder}/replay.json`;
  const absolute = join(cwd, ...folder.split('/'));
  mkdirSync(absolute, { recursive: true });
  writeFileSync(join(absolute, 'replay.json'), `${JSON.stringify(replay, null, 2)}\n`);
  writeFileSync(join(absolute, 'verdict.json'), `${JSON.stringify({ ...report, ksimVersion: replay.ksimVersion, replayFile }, null, 2)}\n`);
  return { folder, replayFile };
}
