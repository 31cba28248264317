/**
 * Seeds of one scenario run on worker threads (`ksim explore --workers N`), their reports handed
 * back in seed order.
 *
 * Each worker (seedWorker.ts) runs whole seeds; the pool hands the next seed to whichever worker
 * is idle, so a slow seed holds up one worker, not the sweep. Reports arrive in any order and wait
 * in a reorder buffer until every earlier seed's has arrived, so the caller sees exactly the
 * sequence the in-process loop would give: the output is the same whatever N is.
 *
 * Invariants: seeds are handed out in increasing order, never more than REORDER_WINDOW_PER_WORKER
 * × N past the next seed to deliver (so a slow seed cannot make the buffer grow with the sweep);
 * `onReport` is called once per seed, in increasing seed order.
 *
 * This is the one module under sim/ that uses promises (the tidy test exempts it by name): the
 * parent must wait for other threads, which synchronous code cannot do without blocking the very
 * callbacks that bring their results. Nothing here simulates anything.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { RunReport } from '../report/runReport.js';
import { packageRoot } from '../scenario/paths.js';
import type { Scenario } from '../scenario/types.js';
import { UsageError } from './errors.js';
import type { SeedRequest, SeedResult, SeedWorkerData } from './seedWorker.js';

/** How far past the next seed to deliver the pool may run ahead, per worker. */
const REORDER_WINDOW_PER_WORKER = 16;

/** An exit code that is known once the workers are done. */
export type PendingExitCode = Promise<number>;

export interface SeedPoolOptions {
  readonly scenario: Scenario;
  readonly firstSeed: number;
  readonly seedCount: number;
  readonly workers: number;
  readonly checkDeterminism: boolean;
  /** Each seed's report, in seed order. */
  readonly onReport: (report: RunReport) => void;
  /** Every completed seed, in the order they complete (for progress). */
  readonly onSeedDone?: (report: RunReport) => void;
}

/** A bug in ksim inside a worker: the run of `seed` threw. */
export class SeedWorkerError extends Error {
  override readonly name = 'SeedWorkerError';

  constructor(
    readonly seed: number,
    message: string,
    readonly workerStack: string,
  ) {
    super(message);
  }
}

/** Runs the seeds; settles once every report was delivered (or at the first failure). */
export function runSeedsOnWorkers(options: SeedPoolOptions): Promise<void> {
  const script = seedWorkerScript();
  return new Promise<void>((resolve, reject) => {
    const pool = new Pool(options, script, resolve, reject);
    pool.start();
  });
}

class Pool {
  private readonly workers: Worker[] = [];
  /** Workers running a seed; the others wait for the reorder window to open. */
  private readonly busy = new Set<Worker>();
  private readonly buffered = new Map<number, RunReport>();
  private readonly lastSeed: number;
  private nextSeedToAssign: number;
  private nextSeedToDeliver: number;
  private settled = false;

  constructor(
    private readonly options: SeedPoolOptions,
    private readonly script: string,
    private readonly resolve: () => void,
    private readonly reject: (error: Error) => void,
  ) {
    if (!(options.workers >= 1) || !(options.seedCount >= 1)) throw new Error('a seed pool needs at least one worker and one seed');
    this.nextSeedToAssign = options.firstSeed;
    this.nextSeedToDeliver = options.firstSeed;
    this.lastSeed = options.firstSeed + options.seedCount - 1;
  }

  start(): void {
    const data: SeedWorkerData = { scenario: this.options.scenario, checkDeterminism: this.options.checkDeterminism };
    const count = Math.min(this.options.workers, this.options.seedCount);
    for (let i = 0; i < count; i++) {
      const worker = new Worker(this.script, { workerData: data });
      worker.on('message', (result: SeedResult) => this.onResult(worker, result));
      worker.on('error', (error: Error) => this.fail(error));
      worker.on('exit', (code: number) => {
        if (!this.settled) this.fail(new Error(`a seed worker exited early (code ${code})`));
      });
      this.workers.push(worker);
      this.assign(worker);
    }
  }

  private assign(worker: Worker): void {
    const windowEnd = this.nextSeedToDeliver + REORDER_WINDOW_PER_WORKER * this.workers.length;
    if (this.nextSeedToAssign > this.lastSeed || this.nextSeedToAssign >= windowEnd) return;
    const request: SeedRequest = { kind: 'run', seed: this.nextSeedToAssign++ };
    worker.postMessage(request);
    this.busy.add(worker);
  }

  private onResult(worker: Worker, result: SeedResult): void {
    if (this.settled) return;
    switch (result.kind) {
      case 'report':
        this.options.onSeedDone?.(result.report);
        this.buffered.set(result.seed, result.report);
        break;
      case 'failed':
        return this.fail(new SeedWorkerError(result.seed, result.message, result.stack));
      default: {
        const unreachable: never = result;
        throw new Error(`unknown seed result ${JSON.stringify(unreachable)}`);
      }
    }
    this.busy.delete(worker);
    try {
      this.deliver();
    } catch (error) {
      // The caller's handler threw (a bug, or an I/O failure writing a run folder): stop there.
      return this.fail(error instanceof Error ? error : new Error(String(error)));
    }
    if (this.nextSeedToDeliver > this.lastSeed) return this.finish();
    for (const waiting of this.workers) if (!this.busy.has(waiting)) this.assign(waiting);
  }

  private deliver(): void {
    for (;;) {
      const report = this.buffered.get(this.nextSeedToDeliver);
      if (report === undefined) return;
      this.buffered.delete(this.nextSeedToDeliver);
      this.nextSeedToDeliver++;
      this.options.onReport(report);
    }
  }

  private finish(): void {
    this.settled = true;
    this.stopWorkers();
    this.resolve();
  }

  private fail(error: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.stopWorkers();
    this.reject(error);
  }

  private stopWorkers(): void {
    for (const worker of this.workers) void worker.terminate();
  }
}

/**
 * The compiled worker script. Beside this module when running from dist/; from the TypeScript
 * sources (tests), the package's dist/ copy, which `npm run build` keeps current.
 */
function seedWorkerScript(): string {
  const beside = fileURLToPath(new URL('./seedWorker.js', import.meta.url));
  if (existsSync(beside)) return beside;
  const built = join(packageRoot(), 'dist', 'sim', 'cli', 'seedWorker.js');
  if (existsSync(built)) return built;
  throw new UsageError('--workers above 1 needs the compiled worker (dist/sim/cli/seedWorker.js): run `npm run build`, or use --workers 1.', 'explore');
}
