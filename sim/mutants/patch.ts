/**
 * How a mutation is applied to a copy of the sources: a list of exact search-and-replace edits,
 * each of which must match its file exactly once. A source that drifted under a mutation (the
 * searched text changed, vanished or appears twice) fails loudly, naming the file and the count,
 * instead of silently testing an unmutated build.
 *
 * Invariant: applying a mutation either changes every edited file as written or changes nothing.
 * Left out: fuzzy matching and line numbers — a patch that no longer applies must be rewritten by
 * a person who knows which rule it breaks.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** One exact replacement in one file, named relative to the repository root. */
export interface SourceEdit {
  readonly file: string;
  readonly search: string;
  readonly replace: string;
}

/** Why an edit cannot be applied: the file is missing, or the text matches other than once. */
export interface EditProblem {
  readonly file: string;
  readonly search: string;
  readonly problem: string;
}

/** How many times `search` occurs in `text` (non-overlapping, as a replacement would see it). */
export function occurrences(text: string, search: string): number {
  if (search.length === 0) return 0;
  let count = 0;
  for (let at = text.indexOf(search); at !== -1; at = text.indexOf(search, at + search.length)) count++;
  return count;
}

/** Applies one edit to a file's text, or says why it cannot. */
export function applyEdit(text: string, edit: SourceEdit): { text: string } | { problem: string } {
  const count = occurrences(text, edit.search);
  if (count !== 1) return { problem: `the searched text occurs ${count} times, not exactly once` };
  if (edit.search === edit.replace) return { problem: 'the replacement equals the searched text, so nothing would change' };
  return { text: text.replace(edit.search, () => edit.replace) };
}

/**
 * Checks every edit against the files under `root` (edits to one file in order, each on the
 * result of the one before) and returns the new texts by file, or every problem found.
 */
export function planEdits(root: string, edits: readonly SourceEdit[]): { files: Map<string, string> } | { problems: EditProblem[] } {
  const files = new Map<string, string>();
  const problems: EditProblem[] = [];
  for (const edit of edits) {
    let text = files.get(edit.file);
    if (text === undefined) {
      try {
        text = readFileSync(join(root, edit.file), 'utf8');
      } catch {
        problems.push({ file: edit.file, search: edit.search, problem: 'the file cannot be read' });
        continue;
      }
    }
    const applied = applyEdit(text, edit);
    if ('problem' in applied) problems.push({ file: edit.file, search: edit.search, problem: applied.problem });
    else files.set(edit.file, applied.text);
  }
  return problems.length > 0 ? { problems } : { files };
}

/** Applies the edits under `root`, all or none; returns the problems when there are any. */
export function applyEdits(root: string, edits: readonly SourceEdit[]): EditProblem[] {
  const planned = planEdits(root, edits);
  if ('problems' in planned) return planned.problems;
  for (const [file, text] of planned.files) writeFileSync(join(root, file), text);
  return [];
}
