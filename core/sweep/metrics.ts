import type { RunResult } from '../run.js';
import { roundTo } from '../spread.js';

/**
 * The figures a sweep keeps of each run: numbers from runVariant()'s result (core/run.ts), one
 * name each, so that a CSV column, `--metric` and the JSON agree. `unit` labels a chart's axis.
 * A figure is null where the run has none to give: a latency where no fault completed, a ratio per
 * fault where there was no fault (as `compare` prints "—"), not a 0.
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
 * count is a whole number, an amount any number (work to three decimals), both at least 0 and
 * never absent; a ratio per fault is an amount, or null where there was no fault; a latency is
 * whole nanoseconds (event times are), or null where no fault completed.
 */
export type FigureKind = 'count' | 'amount' | 'perFault' | 'latency';

const sum = (m: Readonly<Record<string, number>>) => Object.values(m).reduce((a, b) => a + b, 0);
/**
 * Work per second of the measured window. A scenario with `until` ends each run's window when its
 * named tasks exit, so windows differ from point to point (a slower disk, a longer window, more
 * work) and raw `work` compares unlike things; `compare` divides by the window where two differ
 * (core/compare.ts workVsBaseline()). A run without a window did no work: 0.
 */
const workPerSecond = (r: RunResult) => (r.run.measuredNs > 0 ? roundTo((r.metrics.work * 1e9) / r.run.measuredNs, 3) : 0);
/** A fault-latency figure, or null where no fault completed (no sample, so no latency). */
const latency = (k: 'p50' | 'p99' | 'max') => (r: RunResult) => r.metrics.faultLatencyNs[k];

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
  { name: 'exitsPerFault', kind: 'perFault', unit: 'exits per fault', describe: 'exits per distinct fault', of: (r) => r.metrics.exitsPerFault },
  { name: 'injectionsPerFault', kind: 'perFault', unit: 'injections per fault', describe: 'injections per distinct fault', of: (r) => r.metrics.injectionsPerFault },
  { name: 'faultLatency.p50', kind: 'latency', unit: 'ns', describe: 'median time from a fault to the access done', of: latency('p50') },
  { name: 'faultLatency.p99', kind: 'latency', unit: 'ns', describe: '99th percentile of fault latency', of: latency('p99') },
  { name: 'faultLatency.max', kind: 'latency', unit: 'ns', describe: 'longest fault latency', of: latency('max') },
  { name: 'contextSwitches', kind: 'count', unit: 'switches', describe: 'guest context switches', of: (r) => r.metrics.contextSwitches },
  { name: 'swapReads', kind: 'count', unit: 'I/Os', describe: 'swap read I/Os', of: (r) => r.metrics.swap.reads },
  { name: 'unsafeInjections', kind: 'count', unit: 'injections', describe: 'injections into exception code that cannot take one', of: (r) => r.metrics.unsafeInjections.total },
  { name: 'violations', kind: 'count', unit: 'violations', describe: 'invariant violations (DESIGN.md "Invariants"); 0 in a sound run', of: (r) => sum(r.invariants.counts) },
  // Last, after the figures sweeps had before them: a column's place in runs.csv does not move.
  { name: 'measuredMs', kind: 'amount', unit: 'ms', describe: "the measured window: durationMs, or shorter where the scenario's until ends it", of: (r) => r.run.measuredNs / 1e6 },
  { name: 'workPerSecond', kind: 'amount', unit: 'units per measured second', describe: 'work over the measured window, comparable between windows of different lengths (until)', of: workPerSecond },
];

export function sweepMetricNames(): string[] {
  return SWEEP_METRICS.map((m) => m.name);
}

/**
 * Why a run's figures cannot all be true at once, naming the figures; null when they can. Only
 * relations every run keeps, so that `sweep merge` refuses an edited part and never a real one:
 * - a distinct fault is counted once, when the host decides it, and at that moment as at most one
 *   of started async, served synchronously or halted on (core/sim/host-async-pf.ts), so
 *   apfs + syncFallbacks + halts ≤ faults. Not ready ≤ notPresent: a halted fault's page is
 *   announced ready too.
 * - a run has all three fault latencies or none, and p50 ≤ p99 ≤ max. Latencies with faults 0 are
 *   not refused: a fault is counted when the host decides it, its latency from its start, so one
 *   that starts in the window and stalls in reclaim past its end (stallInReclaim()) has a latency
 *   and no count; a run whose only fault does that gives exactly these figures.
 * - exitsPerFault is exits over faults to three decimals, null without faults (core/run.ts), as is
 *   injectionsPerFault (its injections are not a sweep figure: only its presence is checked).
 */
export function brokenRelation(f: Readonly<Record<string, number | null>>): string | null {
  const n = (name: string) => f[name] ?? 0;
  const faults = n('faults');
  const started = n('apfs') + n('syncFallbacks') + n('halts');
  if (started > faults) {
    return `apfs ${n('apfs')} + syncFallbacks ${n('syncFallbacks')} + halts ${n('halts')} is more than faults ${faults}: a run counts each fault once, as at most one of these`;
  }
  const latency = ['faultLatency.p50', 'faultLatency.p99', 'faultLatency.max'];
  const missing = latency.filter((name) => f[name] === null);
  if (missing.length > 0 && missing.length < latency.length) return `${missing.join(' and ')} null but not ${latency.filter((name) => !missing.includes(name)).join(' and ')}: a run has all three fault latencies or none`;
  if (missing.length === 0 && !(n(latency[0]) <= n(latency[1]) && n(latency[1]) <= n(latency[2]))) {
    return `faultLatency.p50 ${n(latency[0])}, p99 ${n(latency[1])} and max ${n(latency[2])} are out of order: a percentile is never above a higher one`;
  }
  const perFault = ['exitsPerFault', 'injectionsPerFault'];
  if (faults === 0 && perFault.some((name) => f[name] !== null)) {
    return `exitsPerFault ${f.exitsPerFault} and injectionsPerFault ${f.injectionsPerFault} with faults 0: a run without faults has no figure per fault (null)`;
  }
  if (faults > 0 && perFault.some((name) => f[name] === null)) {
    return `exitsPerFault ${f.exitsPerFault} and injectionsPerFault ${f.injectionsPerFault} with faults ${faults}: a run with faults has both`;
  }
  // Rounding to three decimals moves the ratio by at most half a thousandth (and a float's error).
  if (faults > 0 && Math.abs(n('exitsPerFault') - n('exits') / faults) > 0.0005 + 1e-9) {
    return `exitsPerFault ${n('exitsPerFault')} is not exits ${n('exits')} over faults ${faults}`;
  }
  // workPerSecond is work over measuredMs, rounded to three decimals (and a float's error at its size).
  const perSecond = n('measuredMs') > 0 ? (n('work') * 1000) / n('measuredMs') : 0;
  if (Math.abs(n('workPerSecond') - perSecond) > 0.0005 + 1e-12 * perSecond) {
    return `workPerSecond ${n('workPerSecond')} is not work ${n('work')} over measuredMs ${n('measuredMs')} (${roundTo(perSecond, 3)})`;
  }
  return null;
}

/** What a sweep keeps of a run (a SweepRun's own fields, core/sweep/document.ts). */
export interface RunOutcome {
  readonly stoppedEarly: string | null;
  readonly metrics: Readonly<Record<string, number | null>>;
}

/** What a sweep keeps of a run: why it stopped early, if it did, and its figures. */
export function runOutcome(r: RunResult): RunOutcome {
  return { stoppedEarly: r.run.stoppedEarly, metrics: runFigures(r) };
}

/** The metrics of one run, by name, in SWEEP_METRICS order (null: no figure, see SweepMetric). */
export function runFigures(r: RunResult): Record<string, number | null> {
  return Object.fromEntries(SWEEP_METRICS.map((m) => [m.name, m.of(r)]));
}
