/**
 * `--trace FILE`: the run's JSON-lines trace, written synchronously. Lines are buffered and
 * appended in chunks, so a long run neither holds its whole trace in memory nor makes a system
 * call per event. The file is created (emptied) before the run, so a path that cannot be written
 * is reported (exit 74) before any time is spent running.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { writingFile } from './errors.js';

/** Buffered characters before a chunk is appended to the file. */
const TRACE_CHUNK_CHARS_MAX = 1 << 20;

export class TraceFile {
  readonly absolutePath: string;
  private chunk: string[] = [];
  private chunkChars = 0;
  lines = 0;

  constructor(cwd: string, readonly path: string) {
    this.absolutePath = resolve(cwd, path);
    writingFile('the trace file', path, () => writeFileSync(this.absolutePath, ''));
  }

  /** The sink to pass as runScenario's traceSink. */
  readonly sink = (line: string): void => {
    this.chunk.push(line);
    this.chunkChars += line.length + 1;
    this.lines++;
    if (this.chunkChars >= TRACE_CHUNK_CHARS_MAX) this.flush();
  };

  flush(): void {
    if (this.chunk.length === 0) return;
    writingFile('the trace file', this.path, () => appendFileSync(this.absolutePath, `${this.chunk.join('\n')}\n`));
    this.chunk = [];
    this.chunkChars = 0;
  }
}
