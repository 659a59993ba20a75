import { Worker } from 'node:worker_threads';
import { BadInputError, InterruptedError } from '../../core/errors.js';
import type { Scenario } from '../../core/scenario/schema.js';
import type { SizeLimit } from '../../core/scenario/size-limit.js';
import type { RunOutcome } from '../../core/sweep/metrics.js';
import type { VariantFileData } from '../variant-files.js';

/**
 * Runs a sweep's runs on worker threads (cli/sweep/sweep-worker.ts; in the bundle,
 * dist/bin/sweep-worker.js, next to this code's chunk), `jobs` at a time. Runs are handed out
 * in order, one to each idle worker; results are kept by the run's index, so what comes back never
 * depends on which worker ran what or when. An abort (Ctrl-C) stops every worker at once,
 * mid-run: a simulation never yields, and terminate() is what stops it.
 */
export interface PoolTask {
  readonly scenario: Scenario;
  /** The events the run may do (cli/options.ts checkRunnable()); a plain object, sent as it is. */
  readonly sizeLimit?: SizeLimit;
  readonly variant: string;
  readonly seed: number;
}

export interface PoolWorkerData {
  /** The variant files' contents the main process checked; a worker never reads the files. */
  readonly variantFiles: readonly VariantFileData[];
}
export type ToWorker = PoolTask & { readonly index: number };
export type FromWorker =
  | { readonly kind: 'done'; readonly index: number; readonly outcome: RunOutcome }
  /** A run that failed, or (index -1) a worker that could not start; badInput as the worker judged it, where the error's class is known. */
  | { readonly kind: 'failed'; readonly index: number; readonly badInput: boolean; readonly message: string };

export interface PoolOptions {
  readonly jobs: number;
  readonly variantFiles: readonly VariantFileData[];
  /** Called after each run with the number done so far. */
  readonly onDone?: (done: number) => void;
  readonly signal?: AbortSignal;
}

const WORKER = new URL('./sweep-worker.js', import.meta.url);

export function runPool(tasks: readonly PoolTask[], options: PoolOptions): Promise<RunOutcome[]> {
  const results: RunOutcome[] = new Array(tasks.length);
  if (tasks.length === 0) return Promise.resolve(results);
  return new Promise((resolve, reject) => {
    const workers: Worker[] = [];
    let next = 0;
    let done = 0;
    let settled = false;
    const finish = (error: Error | null) => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener('abort', onAbort);
      void Promise.all(workers.map((w) => w.terminate())).then(() => (error ? reject(error) : resolve(results)));
    };
    const onAbort = () => finish(new InterruptedError());
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort);

    const give = (w: Worker) => {
      if (next < tasks.length) w.postMessage({ ...tasks[next], index: next++ } satisfies ToWorker);
    };
    const data: PoolWorkerData = { variantFiles: options.variantFiles };
    for (let i = 0; i < Math.min(options.jobs, tasks.length); i++) {
      const w = new Worker(WORKER, { workerData: data });
      workers.push(w);
      w.on('message', (m: FromWorker) => {
        if (settled) return;
        if (m.kind === 'failed') return finish(m.badInput ? new BadInputError(m.message) : new Error(m.message));
        results[m.index] = m.outcome;
        options.onDone?.(++done);
        if (done === tasks.length) return finish(null);
        give(w);
      });
      // A worker that crashes: its own failures to start come as a 'failed' message, judged where their class is known.
      w.on('error', (e) => finish(e));
      w.on('exit', (code) => {
        if (!settled) finish(new Error(`a sweep worker stopped (exit code ${code})`));
      });
      give(w);
    }
  });
}
