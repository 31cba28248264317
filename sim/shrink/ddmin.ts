/**
 * Delta debugging (Zeller and Hildebrandt, "Simplifying and Isolating Failure-Inducing Input",
 * 2002): the ddmin algorithm, which reduces a list to a 1-minimal sublist on which a test still
 * fails — removing any single element more makes it pass. It tries the list cut into n chunks,
 * each chunk alone and each complement, keeps the first that still fails, and cuts finer when none
 * does; O(n²) tests at worst, O(n log n) when one small part is to blame.
 *
 * Invariants: the result is a sublist of the input in the input's order, and `fails(result)` held
 * (or the input is returned unchanged when nothing smaller fails). `fails` is called at most once
 * per distinct sublist: answers are remembered by the elements' positions.
 */

/** The smallest sublist of `items` found on which `fails` holds; `fails(items)` must hold. */
export function ddmin<T>(items: readonly T[], fails: (candidate: readonly T[]) => boolean): T[] {
  const answers = new Map<string, boolean>();
  const test = (positions: readonly number[]): boolean => {
    const key = positions.join(',');
    const known = answers.get(key);
    if (known !== undefined) return known;
    const answer = fails(positions.map((position) => items[position]!));
    answers.set(key, answer);
    return answer;
  };
  let current = items.map((_, position) => position);
  if (current.length > 0 && test([])) return [];
  let granularity = 2;
  while (current.length >= 2) {
    const chunks = split(current, Math.min(granularity, current.length));
    const chunk = chunks.find((candidate) => test(candidate));
    if (chunk !== undefined) {
      current = chunk;
      granularity = 2;
      continue;
    }
    const complement = chunks.length > 2
      ? chunks.map((_, i) => chunks.flatMap((other, j) => (i === j ? [] : other))).find((candidate) => test(candidate))
      : undefined;
    if (complement !== undefined) {
      current = complement;
      granularity = Math.max(granularity - 1, 2);
      continue;
    }
    if (granularity >= current.length) break;
    granularity = Math.min(current.length, granularity * 2);
  }
  return current.map((position) => items[position]!);
}

/** `list` cut into `count` chunks of near-equal size, in order. */
function split<T>(list: readonly T[], count: number): T[][] {
  const chunks: T[][] = [];
  let start = 0;
  for (let i = 0; i < count; i++) {
    const end = start + Math.floor((list.length - start) / (count - i));
    chunks.push(list.slice(start, end));
    start = end;
  }
  return chunks.filter((chunk) => chunk.length > 0);
}
