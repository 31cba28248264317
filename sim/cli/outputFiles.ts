/**
 * The files a run may write besides its verdict: `--html` (the report page), `--history-edn` and
 * `--history-json` (the client history as Jepsen reads it), `--shiviz` (the messages as a ShiViz
 * log). Each path is created (emptied) before the run, so a path that cannot be written is bad
 * input reported before any time is spent running (exit 64, as for `--trace`); a write that fails
 * after the run is an I/O failure (exit 74).
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { jepsenHistoryEdn, jepsenHistoryJson } from '../report/exports/jepsenHistory.js';
import { shivizLog } from '../report/exports/shivizLog.js';
import { renderHtmlReport } from '../report/html/document.js';
import type { FinishedRun, RecordedRunResult } from '../report/html/recorder.js';
import { UsageError, writingFile } from './errors.js';

export interface OutputRequests {
  html: string | undefined;
  historyEdn: string | undefined;
  historyJson: string | undefined;
  shiviz: string | undefined;
}

/** No output files: a plain run. */
export const NO_OUTPUTS: OutputRequests = { html: undefined, historyEdn: undefined, historyJson: undefined, shiviz: undefined };

type OutputKind = keyof OutputRequests;

/** The flag and the description of each output, for messages. */
const OUTPUTS: Record<OutputKind, { flag: string; what: string; render: (run: RecordedRunResult<FinishedRun>) => string }> = {
  html: { flag: '--html', what: 'HTML report', render: (run) => renderHtmlReport(run.recording) },
  historyEdn: { flag: '--history-edn', what: 'Jepsen history (EDN)', render: (run) => jepsenHistoryEdn(run.heard) },
  historyJson: { flag: '--history-json', what: 'Jepsen history (JSON lines)', render: (run) => jepsenHistoryJson(run.heard) },
  shiviz: { flag: '--shiviz', what: 'ShiViz log', render: (run) => shivizLog(run.heard) },
};
const OUTPUT_KINDS = Object.keys(OUTPUTS) as OutputKind[];

export class OutputFiles {
  private readonly files: Array<{ kind: OutputKind; path: string; absolutePath: string }> = [];

  constructor(cwd: string, requests: OutputRequests, verb: string) {
    for (const kind of OUTPUT_KINDS) {
      const path = requests[kind];
      if (path === undefined) continue;
      const absolutePath = resolve(cwd, path);
      if (this.files.some((file) => file.absolutePath === absolutePath)) {
        throw new UsageError(`${OUTPUTS[kind].flag} ${path} names a file another output option already writes; give each its own file.`, verb);
      }
      try {
        writeFileSync(absolutePath, '');
      } catch (error) {
        throw new UsageError(`cannot write the ${OUTPUTS[kind].what} ${path} (${OUTPUTS[kind].flag}): ${(error as Error).message}.`, verb);
      }
      this.files.push({ kind, path, absolutePath });
    }
  }

  /** Whether any output was asked for: the run is then recorded. */
  get wanted(): boolean {
    return this.files.length > 0;
  }

  /** Writes every requested output; returns one line per file written. */
  write(run: RecordedRunResult<FinishedRun>): string[] {
    return this.files.map((file) => {
      const output = OUTPUTS[file.kind];
      const text = output.render(run);
      writingFile(`the ${output.what}`, file.path, () => writeFileSync(file.absolutePath, text));
      return `${output.what}: ${formatBytes(Buffer.byteLength(text))} written to ${file.path}`;
    });
  }
}

function formatBytes(bytes: number): string {
  return bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} kB`;
}
