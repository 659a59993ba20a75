import type { RunResult } from '../run.js';

/**
 * The figures a sweep keeps of each run: numbers from runVariant()'s result (core/run.ts), one
 * name each, so that a CSV column, `--metric` and the JSON agree. `unit` labels a chart's axis.
 * A figure is null where the run has none to give: a latency where no fault completed (as
 * `compare` prints "—"), not a latency of 0.
 */
export interface SweepMetric {
  readonly name: string;
  readonly unit: string;
  readonly describe: string;
  readonly of: (r: RunResult) => number | null;
}

const sum = (m: Readonly<Record<string, number>>) => Object.values(m).reduce((a, b) => a + b, 0);
/** A fault-latency figure, or null where no fault completed (no sample, so no latency). */
const latency = (k: 'p50' | 'p99' | 'max') => (r: RunResult) => (r.metrics.faultLatencyNs.count > 0 ? r.metrics.faultLatencyNs[k] : null);

export const SWEEP_METRICS: readonly SweepMetric[] = [
  { name: 'work', unit: 'units, 1 = 1 µs of task compute', describe: 'total work done by the tasks', of: (r) => r.metrics.work },
  { name: 'faults', unit: 'faults', describe: 'distinct faults on host-missing pages', of: (r) => r.metrics.apf.faults },
  { name: 'apfs', unit: 'faults', describe: 'asynchronous page faults started', of: (r) => r.metrics.apf.asyncStarted },
  { name: 'notPresent', unit: 'deliveries', describe: '"page not present" told to the guest', of: (r) => r.metrics.apf.notPresentDelivered },
  { name: 'ready', unit: 'deliveries', describe: '"page ready" told to the guest', of: (r) => r.metrics.apf.readyDelivered },
  { name: 'syncFallbacks', unit: 'faults', describe: 'faults served synchronously, all reasons', of: (r) => sum(r.metrics.apf.syncFallbacks) },
  { name: 'halts', unit: 'halts', describe: 'vCPU halts waiting for a page', of: (r) => r.metrics.apf.halts },
  { name: 'repeatedFaults', unit: 'faults', describe: 'faults on a page already outstanding', of: (r) => r.metrics.apf.repeatedFaults },
  { name: 'exits', unit: 'exits', describe: 'exits to the host, all kinds', of: (r) => r.metrics.exitsTotal },
  { name: 'exitsPerFault', unit: 'exits per fault', describe: 'exits per distinct fault', of: (r) => r.metrics.exitsPerFault },
  { name: 'injectionsPerFault', unit: 'injections per fault', describe: 'injections per distinct fault', of: (r) => r.metrics.injectionsPerFault },
  { name: 'faultLatency.p50', unit: 'ns', describe: 'median time from a fault to the access done', of: latency('p50') },
  { name: 'faultLatency.p99', unit: 'ns', describe: '99th percentile of fault latency', of: latency('p99') },
  { name: 'faultLatency.max', unit: 'ns', describe: 'longest fault latency', of: latency('max') },
  { name: 'contextSwitches', unit: 'switches', describe: 'guest context switches', of: (r) => r.metrics.contextSwitches },
  { name: 'swapReads', unit: 'I/Os', describe: 'swap read I/Os', of: (r) => r.metrics.swap.reads },
  { name: 'unsafeInjections', unit: 'injections', describe: 'injections into exception code that cannot take one', of: (r) => r.metrics.unsafeInjections.total },
  { name: 'violations', unit: 'violations', describe: 'invariant violations (DESIGN.md "Invariants"); 0 in a sound run', of: (r) => sum(r.invariants.counts) },
];

export function sweepMetricNames(): string[] {
  return SWEEP_METRICS.map((m) => m.name);
}

/** The metrics of one run, by name, in SWEEP_METRICS order (null: no figure, see SweepMetric). */
export function runFigures(r: RunResult): Record<string, number | null> {
  return Object.fromEntries(SWEEP_METRICS.map((m) => [m.name, m.of(r)]));
}
