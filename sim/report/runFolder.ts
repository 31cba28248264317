/**
 * The folder a failing run leaves behind — and only a failing one: `reports/<scenario>-<seed>/`
 * under the working directory, holding
 * - `replay.json`, the replay file (replay.ts);
 * - `verdict.json`, the RunReport with the ksim version;
 * - `history.jsonl`, the client history in Jepsen's shape (history.ts);
 * - `trace.jsonl`, every event of the run (the `--trace` format);
 * and whatever the registered artifact writers add. Writing it again for the same scenario and
 * seed replaces it, since the same version of ksim would write the same.
 *
 * The hook: another part of ksim (the HTML report) adds a file to every run folder by registering
 * an ArtifactWriter once, at load; it is called after the four files above exist, with their
 * paths, and returns the names of the files it wrote (for the messages that list them).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ReplayFile } from './replay.js';
import type { RunReport } from './runReport.js';

/** Where run folders go, relative to the working directory. */
export const RUNS_DIR = 'reports';

export interface WrittenRunFolder {
  /** The folder, relative to the working directory, with forward slashes (as printed). */
  folder: string;
  /** replay.json, relative to the working directory, with forward slashes (as printed). */
  replayFile: string;
  /** Every file written in the folder, by name, in the order written. */
  files: string[];
}

/** What an artifact writer gets: the run, and the folder with the files already in it. */
export interface RunFolderContents {
  /** The folder's absolute path. */
  readonly absoluteFolder: string;
  readonly replay: ReplayFile;
  readonly report: RunReport;
  /** Absolute paths of the files every run folder holds. */
  readonly paths: { readonly replay: string; readonly verdict: string; readonly history: string; readonly trace: string };
}

/** Adds files to every failing run's folder (e.g. report.html). */
export interface ArtifactWriter {
  /** For messages: what it writes ("the HTML report"). */
  readonly name: string;
  /** Writes its files into `contents.absoluteFolder`; returns their names. */
  write(contents: RunFolderContents): string[];
}

const artifactWriters: ArtifactWriter[] = [];

/** Registers a writer called for every run folder from now on, after the built-in files. */
export function registerArtifactWriter(writer: ArtifactWriter): void {
  if (artifactWriters.some((known) => known.name === writer.name)) return;
  artifactWriters.push(writer);
}

/** The run folder's path relative to the working directory. */
export function runFolderOf(scenario: string, seed: number): string {
  // Scenario names come from file names; keep the folder name portable whatever they hold.
  const safeName = scenario.replace(/[^A-Za-z0-9._-]/g, '_');
  return `${RUNS_DIR}/${safeName}-${seed}`;
}

/** The absolute path of the run folder, created if need be. */
export function makeRunFolder(cwd: string, scenario: string, seed: number): string {
  const absolute = join(cwd, ...runFolderOf(scenario, seed).split('/'));
  mkdirSync(absolute, { recursive: true });
  return absolute;
}

/** The trace file's name in a run folder; the caller writes it while re-running the seed. */
export const TRACE_FILE = 'trace.jsonl';

/**
 * Writes replay.json, verdict.json and history.jsonl into the folder made by makeRunFolder (whose
 * trace.jsonl the caller has written), then runs every registered artifact writer.
 */
export function writeRunFolder(cwd: string, replay: ReplayFile, report: RunReport, historyJsonLines: string): WrittenRunFolder {
  const folder = runFolderOf(replay.scenario.name, replay.seed);
  const replayFile = `${folder}/replay.json`;
  const absoluteFolder = makeRunFolder(cwd, replay.scenario.name, replay.seed);
  const paths = {
    replay: join(absoluteFolder, 'replay.json'),
    verdict: join(absoluteFolder, 'verdict.json'),
    history: join(absoluteFolder, 'history.jsonl'),
    trace: join(absoluteFolder, TRACE_FILE),
  };
  writeFileSync(paths.replay, `${JSON.stringify(replay, null, 2)}\n`);
  writeFileSync(paths.verdict, `${JSON.stringify({ ...report, ksimVersion: replay.ksimVersion, replayFile }, null, 2)}\n`);
  writeFileSync(paths.history, historyJsonLines);
  const files = ['replay.json', 'verdict.json', 'history.jsonl', TRACE_FILE];
  for (const writer of artifactWriters) files.push(...writer.write({ absoluteFolder, replay, report, paths }));
  return { folder, replayFile, files };
}
