/**
 * The exports for other tools: the client history as Jepsen's Kafka workload reads it (EDN and
 * JSON lines), and the messages as a ShiViz log whose vector clocks ShiViz can check.
 */
import { describe, expect, test } from 'vitest';
import type { Operation } from '../../sim/checker/history.js';
import { jepsenHistoryEdn, jepsenHistoryJson, jepsenOperations } from '../../sim/report/exports/jepsenHistory.js';
import { SHIVIZ_REGEX, shivizLog } from '../../sim/report/exports/shivizLog.js';
import { type HeardRun, recordRun } from '../../sim/report/html/recorder.js';
import { loadScenario } from '../../sim/scenario/load.js';

const heard = recordRun(loadScenario('kafka-basic', process.cwd()).scenario, 1, 'x').heard;

describe('the Jepsen history', () => {
  const edn = jepsenHistoryEdn(heard).trimEnd().split('\n');

  test('is one operation map per line, indexed in time order', () => {
    const shape = /^\{:index (\d+), :time (\d+), :type :(invoke|ok|info|fail), :process (\d+), :f :(send|poll), :value \[.*\]\}$/;
    let previousTime = -1;
    edn.forEach((line, index) => {
      const match = shape.exec(line);
      expect(match, line).not.toBeNull();
      expect(Number(match![1])).toBe(index);
      expect(Number(match![2])).toBeGreaterThanOrEqual(previousTime);
      previousTime = Number(match![2]);
    });
  });

  test('writes each send as Jepsen does: [:send key value] invoked, [:send key [offset value]] acknowledged', () => {
    const sends = heard.operations.filter((operation) => operation.op === 'send');
    expect(edn.filter((line) => line.includes(':type :invoke, ') && line.includes(':f :send'))).toHaveLength(sends.length);
    const acknowledged = sends.find((operation) => operation.outcome === 'ok')!;
    const value = String(acknowledged.fields['value']);
    const key = String(acknowledged.fields['partition']);
    expect(edn).toContainEqual(expect.stringContaining(`:type :ok, :process ${heard.nodes.indexOf(acknowledged.client)}, :f :send, :value [[:send ${key} [${String(acknowledged.fields['offset'])} "${value}"]]]`));
  });

  test('ends with the final reader\'s polls, one per partition, with what it read', () => {
    const polls = edn.filter((line) => line.includes(':type :ok') && line.includes(':f :poll'));
    expect(polls).toHaveLength(heard.finalReads.length);
    expect(polls[0]).toMatch(/:value \[\[:poll \{\d+ \[\[0 "[^"]+"\]/);
  });

  test('as JSON lines holds the same operations', () => {
    const json = jepsenHistoryJson(heard).trimEnd().split('\n').map((line) => JSON.parse(line) as unknown);
    expect(json).toEqual(jepsenOperations(heard));
  });

  test('escapes strings as EDN does', () => {
    const operation: Operation = { client: 'p1', requestId: 1, op: 'send', outcome: 'ok', invokedAtMs: 1, completedAtMs: 2, fields: { value: 'a "quoted" \\ value', partition: 0, offset: 7 } };
    const run: HeardRun = { nodes: ['p1'], messages: [], faults: [], operations: [operation], finalReads: [] };
    expect(jepsenHistoryEdn(run)).toContain('[[:send 0 [7 "a \\"quoted\\" \\\\ value"]]]');
  });
});

describe('the ShiViz log', () => {
  // A smaller run: every event's clock is checked.
  const heard = recordRun(loadScenario('raft-leader-crash', process.cwd()).scenario, 1, 'x').heard;
  const lines = shivizLog(heard).trimEnd().split('\n');

  test('starts with its parser regex and an empty delimiter line, then two lines per event', () => {
    expect(lines[0]).toBe(SHIVIZ_REGEX);
    expect(lines[1]).toBe('');
    const arrivals = heard.messages.filter((message) => message.deliveredAtMs >= 0).length;
    expect((lines.length - 2) / 2).toBeGreaterThanOrEqual(heard.messages.length + arrivals);
  });

  test('has vector clocks ShiViz accepts: each host\'s own entry counts its events, and no entry goes back', () => {
    const regex = /^(\S+) (\{.*\})$/;
    const last = new Map<string, Record<string, number>>();
    for (let i = 3; i < lines.length; i += 2) {
      const match = regex.exec(lines[i]!);
      expect(match, lines[i]).not.toBeNull();
      const host = match![1]!;
      const clock = JSON.parse(match![2]!) as Record<string, number>;
      const previous = last.get(host) ?? {};
      expect(clock[host]).toBe((previous[host] ?? 0) + 1);
      for (const [node, count] of Object.entries(previous)) expect(clock[node]).toBeGreaterThanOrEqual(count);
      last.set(host, clock);
    }
  });

  test('carries each message\'s clock to its arrival', () => {
    const firstArrival = lines.findIndex((line) => / receive \S+ from \S+$/.test(line));
    const [, api, from] = / receive (\S+) from (\S+)$/.exec(lines[firstArrival]!)!;
    const receiverClock = JSON.parse(lines[firstArrival + 1]!.replace(/^\S+ /, '')) as Record<string, number>;
    expect(receiverClock[from!]).toBeGreaterThanOrEqual(1);
    expect(api).toBeTruthy();
  });
});
