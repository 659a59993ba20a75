import type { RunResult } from '../run.js';

/**
 * The figures a sweep keeps of each run: numbers from runVariant()'s result (core/run.ts), one
 * name each, so that a CSV column, `--metric` and the JSON agree. `unit` labels a chart's axis.
 * A figure is null where the run has none to give: a latency where no fault completed (as
 * `compare` prints "—"), not a latency of 0.
 */
export interface SweepMetric {
  readonly name: string;
  readonly kind: FigureKind;
  readonly unit: string;
  readonly describe: string;
  readonly of: (r: RunResult) => number | null;
}

/**
 * What a figure may be, as `of` gives it, so that `sweep merge` can refuse a hand-edited one: a
 * count is a whole number, an amount any number (work to three decimals, a ratio), both at least
 * 0 and never absent; a latency is whole nanoseconds (event times are), or null where no fault
 * completed — the only figure a run may lack.
 */
export type FigureKind = 'count' | 'amount' | 'latency';

const sum = (m: Readonly<Record<string, number>>) => Object.values(m).reduce((a, b) => a + b, 0);
/** A fault-latency figure, or null where no fault completed (no sample, so no latency). */
const latency = (k: 'p50' | 'p99' | 'max') => (r: RunResult) => (r.metrics.faultLatencyNs.count > 0 ? r.metrics.faultLatencyNs[k] : null);

export const SWEEP_METRICS: readonly SweepMetric[] = [
  { name: 'work', kind: 'amount', unit: 'units, 1 = 1 µs of task compute', describe: 'total work done by the tasks', of: (r) => r.metrics.work },
  { name: 'faults', kind: 'count', unit: 'faults', describe: 'distinct faults on host-missing pages', of: (r) => r.metrics.apf.faults },
  { name: 'apfs', kind: 'count', unit: 'faults', describe: 'asynchronous page faults started', of: (r) => r.metrics.apf.asyncStarted },
  { name: 'notPresent', kind: 'count', unit: 'deliveries', describe: '"page not present" told to the guest', of: (r) => r.metrics.apf.notPresentDelivered },
  { name: 'ready', kind: 'count', unit: 'deliveries', describe: '"page ready" told to the guest', of: (r) => r.metrics.apf.readyDelivered },
  { name: 'syncFallbacks', kind: 'count', unit: 'faults', describe: 'faults served synchronously, all reasons', of: (r) => sum(r.metrics.apf.syncFallbacks) },
  { name: 'halts', kind: 'count', unit: 'halts', describe: 'vCPU halts waiting for a page', of: (r) => r.metrics.apf.halts },
  { name: 'repeatedFaults', kind: 'count', unit: 'faults', describe: 'faults on a page already outstanding', of: (r) => r.metrics.apf.repeatedFaults },
  { name: 'exits', kind: 'count', unit: 'exits', describe: 'exits to the host, all kinds', of: (r) => r.metrics.exitsTotal },
  { name: 'exitsPerFault', kind: 'amount', unit: 'exits per fault', describe: 'exits per distinct fault', of: (r) => r.metrics.exitsPerFault },
  { name: 'injectionsPerFault', kind: 'amount', unit: 'injections per fault', describe: 'injections per distinct fault', of: (r) => r.metrics.injectionsPerFault },
  { name: 'faultLatency.p50', kind: 'latency', unit: 'ns', describe: 'median time from a fault to the access done', of: latency('p50') },
  { name: 'faultLatency.p99', kind: 'latency', unit: 'ns', describe: '99th percentile of fault latency', of: latency('p99') },
  { name: 'faultLatency.max', kind: 'latency', unit: 'ns', describe: 'longest fault latency', of: latency('max') },
  { name: 'contextSwitches', kind: 'count', unit: 'switches', describe: 'guest context switches', of: (r) => r.metrics.contextSwitches },
  { name: 'swapReads', kind: 'count', unit: 'I/Os', describe: 'swap read I/Os', of: (r) => r.metrics.swap.reads },
  { name: 'unsafeInjections', kind: 'count', unit: 'injections', describe: 'injections into exception code that cannot take one', of: (r) => r.metrics.unsafeInjections.total },
  { name: 'violations', kind: 'count', unit: 'violations', describe: 'invariant violations (DESIGN.md "Invariants"); 0 in a sound run', of: (r) => sum(r.invariants.counts) },
];

export function sweepMetricNames(): string[] {
  return SWEEP_METRICS.map((m) => m.name);
}

/** The metrics of one run, by name, in SWEEP_METRICS order (null: no figure, see SweepMetric). */
export function runFigures(r: RunResult): Record<string, number | null> {
  return Object.fromEntries(SWEEP_METRICS.map((m) => [m.name, m.of(r)]));
}
