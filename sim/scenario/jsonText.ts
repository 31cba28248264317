/**
 * Describes a JSON.parse failure in one line, with the line and column when the engine gives a
 * position. V8's messages either end "in JSON at position N" or quote the whole (multi-line)
 * input back (`Unexpected token 's', "seed=2\n..." is not valid JSON`); both are rewritten so a
 * message stays one paragraph.
 */
export function describeJsonError(text: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const reason = message
    .replace(/, ".*" is not valid JSON$/s, '')
    .replace(/ in JSON at position \d+.*$/s, '')
    .replace(/\s+/g, ' ')
    .trim();
  const position = /position (\d+)/.exec(message);
  if (position?.[1] === undefined) return reason;
  const before = text.slice(0, Number(position[1]));
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return `${reason} at line ${line}, column ${column}`;
}
