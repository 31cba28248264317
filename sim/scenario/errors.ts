/**
 * ScenarioError: a scenario that cannot be found, read, parsed or validated. It is the user's
 * mistake, not ours, so the CLI prints its message — one paragraph naming the file, each field
 * path and what is allowed there — with exit code 64 and never a stack trace.
 */

/** One problem in a scenario: the field path (`faults.plan[2].node`, empty for the whole file) and the complaint. */
export interface ScenarioIssue {
  path: string;
  message: string;
}

/** At most this many issues are spelled out; a file with more is usually the wrong file altogether. */
export const SCENARIO_ISSUES_SHOWN_MAX = 8;

export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';

  constructor(
    message: string,
    /** The file concerned, as the user would recognise it; undefined when no file is involved. */
    readonly file: string | undefined = undefined,
    readonly issues: readonly ScenarioIssue[] = [],
  ) {
    super(message);
  }

  /** An error listing a file's issues in one paragraph. */
  static invalid(file: string, issues: readonly ScenarioIssue[]): ScenarioError {
    if (issues.length === 0) throw new Error('ScenarioError.invalid needs at least one issue');
    const shown = issues.slice(0, SCENARIO_ISSUES_SHOWN_MAX).map(formatIssue);
    const hidden = issues.length - shown.length;
    const list = shown.join('; ') + (hidden > 0 ? `; and ${hidden} more` : '');
    const noun = issues.length === 1 ? 'a problem' : `${issues.length} problems`;
    return new ScenarioError(`scenario file ${file} has ${noun}: ${list}.`, file, issues);
  }
}

function formatIssue(issue: ScenarioIssue): string {
  return issue.path === '' ? issue.message : `${issue.path} ${issue.message}`;
}
