/**
 * The CLI's streams, environment and working directory, passed in rather than read from `process`
 * so that tests run the CLI in-process and capture everything. Colour honours FORCE_COLOR, NO_COLOR
 * (https://no-color.org: present and not empty) and is off whenever a stream is not a terminal,
 * so piped and captured output is plain text.
 */
import type { Writable } from 'node:stream';
import { ioReason } from './errors.js';
import { EXIT_IO_ERROR } from './exitCodes.js';
import { Chalk, type ChalkInstance, type ColorSupportLevel, supportsColor, supportsColorStderr } from 'chalk';

export interface CliIo {
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /**
   * A seed drawn from the operating system, for `explore` without `--from`. It comes from the bin
   * shim (sim/ reads no ambient randomness); tests pass a fixed one. Absent: --from is required.
   */
  randomSeed?: () => number;
  /**
   * Registers what to do on Ctrl-C (SIGINT). The bin shim listens only once a verb asks, so a
   * verb that never asks is stopped by Ctrl-C at once, as any process is.
   */
  onInterrupt?: (handler: () => void) => void;
}

export class Terminal {
  /** Colours for text written to stdout. */
  readonly colour: ChalkInstance;
  /** Colours for text written to stderr. */
  readonly colourStderr: ChalkInstance;
  private progressShown = false;
  /** What the CLI is doing right now ("running lost-ack with seed 3"), named if ksim crashes. */
  activity: string | undefined;

  constructor(readonly io: CliIo) {
    this.colour = new Chalk({ level: colourLevel(io, io.stdout, supportsColor) });
    this.colourStderr = new Chalk({ level: colourLevel(io, io.stderr, supportsColorStderr) });
  }

  get stderrIsTty(): boolean {
    return isTty(this.io.stderr);
  }

  /** Writes one line to stdout. */
  line(text = ''): void {
    this.clearProgress();
    this.io.stdout.write(`${text}\n`);
  }

  /** Writes one line to stderr. */
  errorLine(text: string): void {
    this.clearProgress();
    this.io.stderr.write(`${text}\n`);
  }

  /** Shows a single updating progress line on stderr, only when stderr is a terminal. */
  progress(text: string): void {
    if (!this.stderrIsTty) return;
    this.io.stderr.write(`\r\x1b[2K${text}`);
    this.progressShown = true;
  }

  clearProgress(): void {
    if (!this.progressShown) return;
    this.io.stderr.write('\r\x1b[2K');
    this.progressShown = false;
  }
}

/**
 * NO_COLOR (present and not empty, https://no-color.org) turns colour off, whatever else is set.
 * Otherwise FORCE_COLOR, when set and not empty (https://force-color.org), decides: `0` or `false`
 * no colour, `2` or `3` that depth, anything else basic colours, terminal or not (a CI log that
 * renders them). Otherwise no colour on a dumb terminal or when the stream is not a terminal. On a
 * terminal, chalk's detection picks the depth; at least basic colours, because chalk detects for
 * the real process streams, which are not always ours.
 */
function colourLevel(io: CliIo, stream: Writable, detected: typeof supportsColor): ColorSupportLevel {
  if (io.env['NO_COLOR'] !== undefined && io.env['NO_COLOR'] !== '') return 0;
  const forced = io.env['FORCE_COLOR'];
  if (forced !== undefined && forced !== '') {
    if (forced === '0' || forced === 'false') return 0;
    return forced === '2' || forced === '3' ? (Number(forced) as ColorSupportLevel) : 1;
  }
  if (io.env['TERM'] === 'dumb' || !isTty(stream)) return 0;
  return detected === false ? 1 : (Math.max(1, detected.level) as ColorSupportLevel);
}

function isTty(stream: Writable): boolean {
  return (stream as { isTTY?: boolean }).isTTY === true;
}

/**
 * What to do when the process's stdout or stderr fails after ksim wrote to it (they report it
 * asynchronously, as an 'error' event): a reader that stopped early (`ksim run ... | head`)
 * closed the pipe, which is no error, so the exit code stands; anything else — stdout on a full
 * disk — is an I/O failure, said in one line on stderr (when stderr is not what failed) and exit 74.
 * Returns the exit code; the bin shim exits with it.
 */
export function exitCodeOfOutputError(error: NodeJS.ErrnoException, streamName: 'stdout' | 'stderr', currentExitCode: number, writeStderr: (text: string) => void): number {
  if (error.code === 'EPIPE') return currentExitCode;
  if (streamName === 'stdout') {
    try {
      writeStderr(`ksim: cannot write to standard output: ${ioReason(error)}. The output is incomplete; free some space or send it elsewhere, and run the command again.\n`);
    } catch {
      // stderr failed too: the exit code is all that is left to say it.
    }
  }
  return EXIT_IO_ERROR;
}
