/**
 * The HTML report's data and document: recording a run leaves its trace hash alone, the recorded
 * run holds what the page draws (lanes, messages paired with their arrival, faults, partitions,
 * the violation and its contract row), a long run is cut down outside its detail window, and no
 * string from a run can become markup in the file. The page itself is tested in a browser
 * (test/browser/report.browser.test.ts).
 */
import { describe, expect, test } from 'vitest';
import { renderHtmlReport } from '../../sim/report/html/document.js';
import { recordRun } from '../../sim/report/html/recorder.js';
import type { RecordedRun } from '../../sim/report/html/recordedRun.js';
import { runScenario } from '../../sim/runner.js';
import { loadScenario } from '../../sim/scenario/load.js';

const LESSON = 'kafka-legacy-truncate-to-hw';
const PAYLOAD = '<img src=x onerror="document.title=\'pwned\'">';

function lesson() {
  return loadScenario(LESSON, process.cwd()).scenario;
}

describe('recording a run', () => {
  const scenario = lesson();
  const recorded = recordRun(scenario, 1, `npx ksim run ${LESSON} --seed 1`);
  const run = recorded.recording;

  test('only listens: the trace hash is the one the run has without it', () => {
    expect(recorded.result.traceHash).toBe(runScenario(scenario, 1).traceHash);
  });

  test('holds one lane per node and every message between them, sent before it arrived', () => {
    expect(run.nodes).toEqual(expect.arrayContaining(['c1', 'b1', 'b2', 'b3', 'p1', 'p2']));
    const count = run.messages.sentDeltaMs.length;
    expect(count).toBeGreaterThan(100);
    for (const column of [run.messages.latencyMs, run.messages.from, run.messages.to, run.messages.api]) expect(column).toHaveLength(count);
    expect(run.messages.sentDeltaMs.every((delta) => delta >= 0)).toBe(true);
    expect(run.messages.latencyMs.every((latency) => latency >= -1)).toBe(true);
    expect([...run.messages.from, ...run.messages.to].every((lane) => lane >= 0 && lane < run.nodes.length)).toBe(true);
  });

  test('opens on the violation, and names its contract row', () => {
    const violation = run.outcome.violations[0];
    expect(violation?.invariant).toBe('LeaderHoldsCommitted/committed-data-lost');
    expect(run.focus.violationAtMs).toBe(violation?.atMs);
    expect(run.focus.fromMs).toBeLessThan(violation!.atMs);
    expect(run.outcome.contract?.find((row) => row.anomaly === 'committed-data-lost')?.allowed).toBe(false);
  });

  test('holds each replica\'s appends with their values, and the faults as windows on their lanes', () => {
    const partition = run.partitions.find((p) => p.name === 'events-0');
    const appends = partition?.events.filter((event) => event[2] === 'a') ?? [];
    expect(appends.length).toBeGreaterThan(10);
    expect(appends.some((event) => Array.isArray(event[6]) && (event[6] as string[]).includes('p2-1-157'))).toBe(true);
    expect(partition?.events.some((event) => event[2] === 'T')).toBe(true);
    expect(run.faults.length).toBeGreaterThan(0);
    for (const fault of run.faults) {
      expect(fault.endMs).toBeGreaterThanOrEqual(fault.atMs);
      expect(fault.nodes.length).toBeGreaterThan(0);
    }
  });

  test('tells the run in the narrator\'s words, and keeps the client history', () => {
    expect(run.narration.some(([, tone, text]) => tone === 'leader' && text.includes('LEADS events-0'))).toBe(true);
    expect(run.history.rows.some((row) => row[3] === 'ok' && row[5] === 'p2-1-157')).toBe(true);
  });
});

describe('a long run', () => {
  const scenario = loadScenario('kafka-basic', process.cwd()).scenario;
  const run = recordRun(scenario, 1, 'npx ksim run x', undefined, { messagesMax: 500, valuesAllMax: 0 }).recording;
  const detail = { fromMs: 0, toMs: 14_000 };
  const events = run.partitions.flatMap((partition) => partition.events);

  test('keeps the messages nearest its detail window (a passing run\'s first seconds), and counts the rest', () => {
    expect(run.messages.sentDeltaMs).toHaveLength(500);
    expect(run.messages.omitted).toBeGreaterThan(0);
    const lastSentMs = run.messages.sentDeltaMs.reduce((sum, delta) => sum + delta, 0);
    expect(lastSentMs).toBeLessThanOrEqual(detail.toMs);
  });

  test('keeps record values only inside the detail window, and merges appends outside it', () => {
    const appends = events.filter((event) => event[2] === 'a');
    expect(appends.some((event) => event[6] !== 0)).toBe(true);
    for (const event of appends) if (event[6] !== 0) expect(event[0]).toBeLessThanOrEqual(detail.toMs);
    // At most one append per partition, replica and 250 ms outside the window (two where a bucket straddles its edge).
    const outside = run.partitions.flatMap((partition) =>
      partition.events.filter((event) => event[2] === 'a' && event[0] > detail.toMs + 1_000).map((event) => `${partition.name}/${String(event[1])}/${Math.floor(event[0] / 250)}`));
    expect(outside.length).toBeGreaterThan(0);
    expect(outside.length).toBe(new Set(outside).size);
  });
});

describe('the document', () => {
  const run = recordRun(lesson(), 1, 'npx ksim run x').recording;

  test('is self-contained: no external resource, and a policy that forbids loading one', () => {
    const html = renderHtmlReport(run);
    expect(html).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(html).not.toMatch(/<(link|img|iframe)\b/i);
    expect(html).not.toMatch(/\b(src|href)=["']?https?:/i);
    expect(html.match(/<script\b/g)).toHaveLength(2);
  });

  test('writes every string from the run as data, never as markup', () => {
    const hostile: RecordedRun = structuredClone(run);
    hostile.scenario.description = `${PAYLOAD}</script><script>document.title='pwned'</script>`;
    hostile.scenario.name = PAYLOAD;
    hostile.narration.push([1, 'info', PAYLOAD]);
    hostile.outcome.violations[0]!.message = PAYLOAD;
    const html = renderHtmlReport(hostile);
    expect(html).not.toContain('<img');
    expect(html.match(/<\/script>/g)).toHaveLength(2);
    expect(html).toContain('\\u003cimg src=x');
    expect(html).toContain('<title>ksim · &lt;img src=x onerror=&quot;');
  });
});
