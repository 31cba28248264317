/**
 * The body of one worker thread of `ksim explore --workers N` (seedPool.ts starts it). It is
 * handed the validated scenario once, then runs whole seeds as the parent asks — one message per
 * seed — and posts back each seed's report. It runs the same synchronous code as the in-process
 * path (`executeSeed`), and a seed's run depends on nothing but the scenario and the seed, so a
 * report does not depend on which thread made it.
 *
 * It writes nothing: run folders, FAIL lines and the summary are the parent's, in seed order.
 * An exception escaping a run is a bug in ksim; it is posted as a `failed` message (with its
 * stack) rather than thrown, so the parent can say which seed found it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { RunReport } from '../report/runReport.js';
import type { Scenario } from '../scenario/types.js';
import { executeSeed } from './execute.js';

/** What the parent hands every worker when it starts. */
export interface SeedWorkerData {
  readonly scenario: Scenario;
  readonly checkDeterminism: boolean;
}

/** Parent → worker. */
export type SeedRequest = { readonly kind: 'run'; readonly seed: number };

/** Worker → parent. */
export type SeedResult =
  | { readonly kind: 'report'; readonly seed: number; readonly report: RunReport }
  | { readonly kind: 'failed'; readonly seed: number; readonly message: string; readonly stack: string };

function resultOf(data: SeedWorkerData, seed: number): SeedResult {
  try {
    return { kind: 'report', seed, report: executeSeed(data.scenario, seed, { checkDeterminism: data.checkDeterminism }) };
  } catch (error) {
    const thrown = error instanceof Error ? error : new Error(String(error));
    return { kind: 'failed', seed, message: thrown.message, stack: thrown.stack ?? thrown.message };
  }
}

const port = parentPort;
if (port === null) throw new Error('seedWorker.js runs only as a worker thread of ksim explore');
const data = workerData as SeedWorkerData;
port.on('message', (request: SeedRequest) => {
  port.postMessage(resultOf(data, request.seed));
});
