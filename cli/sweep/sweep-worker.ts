import { parentPort, workerData } from 'node:worker_threads';
import { findVariant } from '../../arches/registry.js';
import { BadInputError } from '../../core/errors.js';
import { runVariant } from '../../core/run.js';
import { runOutcome } from '../../core/sweep/metrics.js';
import type { Variant } from '../../core/backend.js';
import { variantsFromData } from '../variant-files.js';
import type { FromWorker, PoolWorkerData, ToWorker } from './pool.js';

/**
 * A sweep worker (cli/sweep/pool.ts): runs one run at a time and sends back its outcome. Variants
 * are functions and cannot be sent to a thread, so the worker composes the variant files' variants
 * again, from the files' contents as the main process read and checked them: never from the
 * files, which may have changed since. Any failure is judged here, where BadInputError and its
 * subclasses are known by class (a thread's error reaches the pool as a plain Error).
 */
const { variantFiles } = workerData as PoolWorkerData;
const port = parentPort!;
const failed = (index: number, e: unknown): FromWorker => ({ kind: 'failed', index, badInput: e instanceof BadInputError, message: e instanceof Error ? e.message : String(e) });

let known: readonly Variant[] | null = null;
try {
  known = variantsFromData(variantFiles).known;
} catch (e) {
  port.postMessage(failed(-1, e));
}

port.on('message', (task: ToWorker) => {
  if (known === null) return;
  let reply: FromWorker;
  try {
    const result = runVariant(task.scenario, findVariant(task.variant, known), { seed: task.seed, sizeLimit: task.sizeLimit });
    reply = { kind: 'done', index: task.index, outcome: runOutcome(result) };
  } catch (e) {
    reply = failed(task.index, e);
  }
  port.postMessage(reply);
});
