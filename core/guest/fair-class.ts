import { CfsRunQueue, type CfsParams } from './cfs.js';
import { EevdfRunQueue, type EevdfParams } from './eevdf.js';
import type { RunQueue } from './run-queue.js';

/**
 * The guest's fair class, chosen by the scenario (machine.scheduler): CFS or EEVDF, each a
 * RunQueue per vCPU.
 */

/** The fair class and its parameters. */
export type SchedParams = ({ readonly policy: 'cfs' } & CfsParams) | ({ readonly policy: 'eevdf' } & EevdfParams);

export function createRunQueue(vcpu: number, params: SchedParams): RunQueue {
  return params.policy === 'cfs' ? new CfsRunQueue(params) : new EevdfRunQueue(vcpu, params);
}

/** The scenario's scheduler fields (after the schema's defaults) as the run queue takes them. */
export function schedParams(m: { scheduler: 'eevdf' | 'cfs'; sliceUs: number; wakeupGranularityUs?: number; schedLatencyUs?: number; hz: number }): SchedParams {
  const sliceNs = Math.round(m.sliceUs * 1000);
  if (m.scheduler === 'eevdf') return { policy: 'eevdf', sliceNs, tickNs: Math.round(1e9 / m.hz) };
  return { policy: 'cfs', sliceNs, wakeupGranularityNs: Math.round((m.wakeupGranularityUs ?? 0) * 1000), latencyNs: Math.round((m.schedLatencyUs ?? 0) * 1000) };
}
