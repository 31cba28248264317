/**
 * The tidy test: bans the APIs that would make a run depend on anything but its seed (DESIGN.md
 * §2), and the one import direction that would tangle the layers (`src/` never imports `sim/`).
 * Each ban names its replacement.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, test } from 'vitest';

const ROOT = join(import.meta.dirname, '..');

/** The one module allowed to read the wall clock; it measures speed and never feeds the run. */
const WALL_CLOCK_MODULE = 'sim/wallclock.ts';
/** The CLI's entry point may touch the process (streams, exit codes), never time or randomness. */
/**
 * The one module allowed promises: `ksim explore --workers N` waits for worker threads, and a
 * thread that waits synchronously for others blocks the very callbacks that bring their results.
 * It orchestrates threads and simulates nothing; every seed still runs synchronously, in one
 * worker, with the same code as in-process. Only the async bans are lifted for it: time,
 * randomness and the rest stay banned there too.
 */
const THREAD_ORCHESTRATION_MODULE = 'sim/cli/seedPool.ts';

interface Ban {
  pattern: RegExp;
  replacement: string;
  /** Files exempt from this ban, relative to the root. */
  exempt?: string[];
}

const BANS: Ban[] = [
  { pattern: /\bDate\.now\s*\(/, replacement: 'host.nowMs() in src/, world.nowMs in sim/', exempt: [WALL_CLOCK_MODULE] },
  { pattern: /\bnew Date\s*\(/, replacement: 'simulated time (host.nowMs() / world.nowMs)', exempt: [WALL_CLOCK_MODULE] },
  { pattern: /\bperformance\.now\s*\(/, replacement: `wallClockMs() from ${WALL_CLOCK_MODULE}, for speed figures only`, exempt: [WALL_CLOCK_MODULE] },
  { pattern: /\bprocess\.hrtime\b/, replacement: `wallClockMs() from ${WALL_CLOCK_MODULE}, for speed figures only`, exempt: [WALL_CLOCK_MODULE] },
  { pattern: /\bMath\.random\s*\(/, replacement: 'host.random (a node) or a RandomRoot stream (sim/random.ts)' },
  { pattern: /\bcrypto\.random\w*/, replacement: 'a seeded stream from sim/random.ts' },
  { pattern: /\brandom(UUID|Bytes|Int)\s*\(/, replacement: 'a seeded stream from sim/random.ts' },
  { pattern: /\bsetTimeout\s*\(/, replacement: 'host.setTimer(delayMs, tag)' },
  { pattern: /\bsetInterval\s*\(/, replacement: 'a host timer that re-arms itself' },
  { pattern: /\bsetImmediate\s*\(/, replacement: 'an event on the world queue' },
  { pattern: /\bqueueMicrotask\s*\(/, replacement: 'an event on the world queue' },
  { pattern: /\bprocess\.nextTick\s*\(/, replacement: 'an event on the world queue' },
  {
    pattern: /\basync\s+(function\b|\(|[A-Za-z_$][\w$]*\s*(\(|=>))/,
    replacement: 'a synchronous state machine driven by host inputs',
    exempt: [THREAD_ORCHESTRATION_MODULE],
  },
  { pattern: /\bawait\s/, replacement: 'a synchronous state machine driven by host inputs', exempt: [THREAD_ORCHESTRATION_MODULE] },
  { pattern: /\bPromise\b/, replacement: 'a synchronous state machine driven by host inputs', exempt: [THREAD_ORCHESTRATION_MODULE] },
  { pattern: /\bfor\s*\(\s*(const|let|var)\s+[\w$]+\s+in\s/, replacement: 'for...of over Object.keys(...) (insertion order is explicit)' },
  { pattern: /\.sort\(\s*\)/, replacement: '.sort(compareFn): a comparator makes the order explicit' },
];

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(ROOT, dir)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) out.push(...sourceFiles(path));
    else if (name.endsWith('.ts')) out.push(path);
  }
  return out;
}

/** Drops comments and string contents, so a ban mentioned in prose or a message is not a hit. */
function codeOnly(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, ' '))
    .replace(/\/\/.*$/gm, '')
    .replace(/'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`/g, (m) => m.replace(/[^\n]/g, ' '));
}

export function findBanned(path: string, text: string): string[] {
  const hits: string[] = [];
  const lines = codeOnly(text).split('\n');
  for (const ban of BANS) {
    if (ban.exempt?.includes(path)) continue;
    lines.forEach((line, index) => {
      if (ban.pattern.test(line)) hits.push(`${path}:${index + 1}: ${ban.pattern.source} — use ${ban.replacement}`);
    });
  }
  return hits;
}

const FILES = [...sourceFiles('src'), ...sourceFiles('sim')];

describe('tidy', () => {
  test('no ambient time, randomness, async scheduling or unordered iteration in src/ and sim/', () => {
    const hits = FILES.flatMap((path) => findBanned(path, readFileSync(join(ROOT, path), 'utf8')));
    expect(hits).toEqual([]);
  });

  test('src/ never imports sim/', () => {
    const hits = sourceFiles('src').filter((path) => {
      const text = readFileSync(join(ROOT, path), 'utf8');
      return /from\s+['"](\.\.\/)+sim\//.test(text) || /import\(\s*['"](\.\.\/)+sim\//.test(text);
    });
    expect(hits).toEqual([]);
  });

  test('the bans catch what they ban (the tidy test can fail)', () => {
    const broken = [
      'const t = Date.now();',
      'const r = Math.random();',
      'setTimeout(() => 1, 5);',
      'async function f() {}',
      'const x = await y;',
      'new Promise((r) => r(1));',
      'for (const k in obj) {}',
      'items.sort();',
      'process.nextTick(f);',
    ];
    for (const line of broken) expect(findBanned('sim/example.ts', line), line).not.toEqual([]);
    expect(findBanned('sim/example.ts', "// Date.now() in a comment\nconst s = 'Math.random()';")).toEqual([]);
    expect(findBanned(WALL_CLOCK_MODULE, 'performance.now()')).toEqual([]);
    // The thread orchestration module may wait on promises, and nothing else; no other module may.
    expect(findBanned(THREAD_ORCHESTRATION_MODULE, 'return new Promise((resolve) => resolve());')).toEqual([]);
    expect(findBanned(THREAD_ORCHESTRATION_MODULE, 'const r = Math.random();')).not.toEqual([]);
    expect(findBanned(THREAD_ORCHESTRATION_MODULE, 'setTimeout(() => 1, 5);')).not.toEqual([]);
    expect(findBanned('sim/cli/explore.ts', 'return new Promise((resolve) => resolve());')).not.toEqual([]);
  });

  test('every source file starts with a header comment saying what it models', () => {
    const missing = FILES.filter((path) => !readFileSync(join(ROOT, path), 'utf8').trimStart().startsWith('/**'));
    expect(missing.map((path) => relative(ROOT, join(ROOT, path)))).toEqual([]);
  });
});
