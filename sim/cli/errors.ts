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

/** An output file that could not be written after the run (exit 74, EX_IOERR). */
export class OutputError extends Error {
  override readonly name = 'OutputError';
}
