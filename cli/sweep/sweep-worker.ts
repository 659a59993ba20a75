import { parentPort, workerData } from 'node:worker_threads';
import { findVariant } from '../../arches/registry.js';
import { BadInputError } from '../../core/errors.js';
import { runVariant } from '../../core/run.js';
import { runFigures } from '../../core/sweep/metrics.js';
import { variantsWithFiles } from '../variant-files.js';
import type { FromWorker, PoolWorkerData, ToWorker } from './pool.js';

/**
 * A sweep worker (cli/sweep/pool.ts): runs one run at a time and sends back its figures. Variants
 * are functions and cannot be sent to a thread, so the worker looks each up by id, reading the
 * sweep's variant files itself.
 */
const { variantFiles } = workerData as PoolWorkerData;
const port = parentPort!;
const { known } = variantsWithFiles({ variantFile: [...variantFiles] });

port.on('message', (task: ToWorker) => {
  let reply: FromWorker;
  try {
    const result = runVariant(task.scenario, findVariant(task.variant, known), { seed: task.seed });
    reply = { kind: 'done', index: task.index, figures: runFigures(result) };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    reply = { kind: 'failed', index: task.index, badInput: e instanceof BadInputError, message };
  }
  port.postMessage(reply);
});
