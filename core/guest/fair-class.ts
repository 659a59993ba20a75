import { CfsRunQueue, type CfsParams } from './cfs.js';
import { EevdfRunQueue, type EevdfParams } from './eevdf.js';
import { schedulerDefaults } from '../scenario/scheduler-defaults.js';
import type { RunQueue } from './run-queue.js';

/**
 * The guest's fair class, chosen by the scenario (machine.scheduler): CFS or EEVDF, each a
 * RunQueue per vCPU.
 */

/**
 * The fair class and its parameters, one object that every vCPU's queue reads. `scaled`: the
 * tunables are the defaults, which Linux rescales to the CPUs online (update_sysctl() from
 * rq_online_fair() / rq_offline_fair()); ones the scenario set stay.
 */
export type SchedParams = ({ readonly policy: 'cfs' } & CfsParams & Scaled) | ({ readonly policy: 'eevdf' } & EevdfParams & Scaled);

interface Scaled {
  readonly scaled: boolean;
}

export function createRunQueue(vcpu: number, params: SchedParams): RunQueue {
  return params.policy === 'cfs' ? new CfsRunQueue(params) : new EevdfRunQueue(vcpu, params);
}

/** The scenario's scheduler fields (after the schema's defaults) as the run queue takes them. */
export function schedParams(m: { vcpus: number; scheduler: 'eevdf' | 'cfs'; sliceUs: number; wakeupGranularityUs?: number; schedLatencyUs?: number; hz: number }): SchedParams {
  const sliceNs = Math.round(m.sliceUs * 1000);
  const d = schedulerDefaults(m.vcpus, m.scheduler);
  if (m.scheduler === 'eevdf') return { policy: 'eevdf', sliceNs, tickNs: Math.round(1e9 / m.hz), scaled: m.sliceUs === d.sliceUs };
  const scaled = m.wakeupGranularityUs === d.wakeupGranularityUs && m.schedLatencyUs === d.schedLatencyUs;
  return { policy: 'cfs', sliceNs, wakeupGranularityNs: Math.round((m.wakeupGranularityUs ?? 0) * 1000), latencyNs: Math.round((m.schedLatencyUs ?? 0) * 1000), scaled };
}

/**
 * update_sysctl() as a CPU goes down or comes up: defaults scaled for the CPUs online (EEVDF's base
 * slice; CFS's wakeup granularity and latency; the lab's CFS tick slice is not a sysctl).
 */
export function rescaleForOnline(params: SchedParams, online: number): void {
  if (!params.scaled) return;
  const d = schedulerDefaults(Math.max(1, online), params.policy);
  if (params.policy === 'eevdf') params.sliceNs = Math.round(d.sliceUs * 1000);
  else {
    params.wakeupGranularityNs = Math.round(d.wakeupGranularityUs! * 1000);
    params.latencyNs = Math.round(d.schedLatencyUs! * 1000);
  }
}
