/**
 * UsageError: the command line itself is wrong (an unknown flag, a seed that is not a
 * non-negative integer, a missing argument). Like ScenarioError and ReplayError it is the user's
 * mistake: the CLI prints the message and a pointer to the verb's --help, exits 64, shows no stack.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';

  constructor(message: string, readonly verb: string | undefined = undefined) {
    super(message);
  }
}

/**
 * IoError: ksim could not write (or read) a file or stream it needed — a full disk, a folder it
 * may not write, a path that is a file. Neither a bug nor bad input: the CLI prints one paragraph
 * naming what it was writing, where, and the system's reason, and exits 74 (sysexits.h EX_IOERR),
 * never 1, which means a safety violation.
 */
export class IoError extends Error {
  override readonly name = 'IoError';

  constructor(readonly what: string, readonly path: string, readonly reason: string) {
    super(`cannot write ${what} ${path}: ${reason}. Free some space or choose a path ksim may write, and run the command again.`);
  }
}

/** The system's reason for a failed file operation, in words: "no space left on device (ENOSPC)". */
export function ioReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  const words: Record<string, string> = {
    ENOSPC: 'no space left on device',
    EDQUOT: 'disk quota exceeded',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EROFS: 'read-only file system',
    ENOENT: 'no such folder',
    ENOTDIR: 'a part of the path is a file, not a folder',
    EISDIR: 'it is a folder',
    EEXIST: 'a file is in the way of a folder',
    EIO: 'input/output error',
  };
  if (code !== undefined) return `${words[code] ?? (error as Error).message} (${code})`;
  return error instanceof Error ? error.message : String(error);
}

/** Runs a file operation; a failure of the operating system becomes an IoError naming `what` and `path`. */
export function writingFile<T>(what: string, path: string, write: () => T): T {
  try {
    return write();
  } catch (error) {
    if (error instanceof IoError) throw error;
    if ((error as NodeJS.ErrnoException).code === undefined) throw error;
    throw new IoError(what, path, ioReason(error));
  }
}

/**
 * InputError: a file the user handed ksim that it cannot use (a summary file for `ksim merge`
 * that is not one, or summaries that do not belong together). Like ScenarioError and ReplayError
 * it is printed as one paragraph, exit 64, no stack.
 */
export class InputError extends Error {
  override readonly name = 'InputError';
}
