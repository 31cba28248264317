/**
 * Validation of a scenario's Kafka config sections by the components' own parsers. Each
 * component's parser in src/ is its ConfigDef: Kafka's key names, types, ranges, valid values and
 * real defaults live there once (src/broker/config.ts, src/log/config.ts, src/client/config.ts,
 * ...), and the scenario loader asks the same code that the run will use, so a file that loads
 * cannot fail at construction (exit 70) and the two can never disagree about what is allowed.
 *
 * A section is parsed whole first; only when that fails is each key parsed alone, to name the key
 * at fault. What no single key explains is a conflict between keys (enable.idempotence=true with
 * acks=1, a heartbeat interval above the session timeout) and is reported on the section, in the
 * parser's own words. Unknown keys never reach here: the section's JSON Schema refuses them first,
 * with the nearest known key suggested (issues.ts).
 */
import type { ScenarioIssue } from './errors.js';
import { describeValue } from './issues.js';

/** A component's parser, made to return its complaints: empty when the properties are valid. */
export type ConfigParser = (properties: Readonly<Record<string, unknown>>) => readonly string[];

/** Wraps a parser that throws on a bad value (the broker's, the controller's, KRaft's). */
export function throwingParser(parse: (properties: Readonly<Record<string, unknown>>) => unknown): ConfigParser {
  return (properties) => {
    try {
      parse(properties);
      return [];
    } catch (error) {
      return [error instanceof Error ? error.message : String(error)];
    }
  };
}

/** Wraps a parser that returns its errors as data (the producer's, the log's). */
export function resultParser(parse: (properties: Readonly<Record<string, unknown>>) => { ok: true } | { ok: false; errors: readonly string[] }): ConfigParser {
  return (properties) => {
    const result = parse(properties);
    return result.ok ? [] : result.errors;
  };
}

/**
 * The issues of one config section (`config.producer`), given every parser that reads it (the
 * topic section is read by the log, the broker and the controller).
 */
export function configSectionIssues(path: string, properties: Readonly<Record<string, unknown>>, parsers: readonly ConfigParser[]): ScenarioIssue[] {
  const whole = unique(parsers.flatMap((parse) => parse(properties)));
  if (whole.length === 0) return [];
  const issues: ScenarioIssue[] = [];
  for (const [key, value] of Object.entries(properties)) {
    const complaints = unique(parsers.flatMap((parse) => parse({ [key]: value })));
    if (complaints.length === 0) continue;
    issues.push({ path: `${path}.${key}`, message: `is ${describeValue(value)}, which is not allowed: ${complaints.map((complaint) => withoutKeyAndValue(complaint, key)).join('; ')}` });
  }
  if (issues.length > 0) return issues;
  return [{ path, message: `has settings that conflict: ${whole.join('; ')}` }];
}

/**
 * A parser's complaint without the key's name in front and the value at the end, since the issue
 * names both already: "acks: expected all, -1, 0 or 1, got \"two\"" becomes "expected all, -1, 0 or 1".
 */
function withoutKeyAndValue(complaint: string, key: string): string {
  let text = complaint.trim();
  const invalid = /^Invalid value .* for configuration (\S+): (.*)$/.exec(text);
  if (invalid?.[2] !== undefined) text = invalid[2];
  if (text.startsWith(`${key}:`)) text = text.slice(key.length + 1).trim();
  else if (text.startsWith(`${key} `)) text = text.slice(key.length + 1).trim();
  return text.replace(/,? got .*$/, '');
}

function unique(messages: readonly string[]): string[] {
  return [...new Set(messages)];
}
