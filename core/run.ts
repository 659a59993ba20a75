import type { Finding, Mechanisms, Variant } from './backend.js';
import { BadInputError } from './errors.js';
import { validateScenario } from './scenario/load.js';
import { INVARIANT_NAMES, type Violation } from './invariants.js';
import { percentile, TIME_CATEGORIES, type Samples, type TimeCategory } from './metrics.js';
import { overrideProblem } from './scenario/limits.js';
import type { Scenario } from './scenario/schema.js';
import { Simulation, type SimulationOptions } from './sim/simulation.js';
import { roundTo } from './spread.js';
import type { TraceSink } from './trace.js';

/** One variant's result on one scenario and seed: the `variants[]` entry of `--json`. */
export interface RunResult {
  readonly id: string;
  readonly arch: string;
  /** A no-APF baseline: the reference its architecture's variants are measured against. */
  readonly baseline: boolean;
  readonly title: string;
  readonly origin: string;
  readonly mechanisms: Mechanisms;
  readonly costs: Readonly<Record<string, number>>;
  readonly findings: readonly Finding[];
  readonly metrics: RunMetrics;
  readonly invariants: {
    readonly ok: boolean;
    readonly violations: readonly Violation[];
    /** Violations per invariant number (1–7), including those not kept in full. */
    readonly counts: Readonly<Record<string, number>>;
    /** Announced tokens whose work was still on its way when the run stopped. */
    readonly inFlight: number;
    readonly checked: readonly string[];
  };
  /**
   * `measuredNs`: the measured window — durationMs, or shorter when the scenario's `until` tasks
   * all finished first (or the run was cut short).
   */
  readonly run: { readonly events: number; readonly simulatedNs: number; readonly measuredNs: number; readonly stoppedEarly: string | null };
}

export interface RunMetrics {
  /** Work units: one per microsecond of task compute (compute steps and think time). */
  readonly work: number;
  readonly workByTask: Readonly<Record<string, number>>;
  /** vCPU time in ns summed over vCPUs, by what the vCPU was doing. */
  readonly vcpuTimeNs: Readonly<Record<TimeCategory, number>>;
  readonly apf: {
    /** Distinct faults on host-missing pages (a repeated fault is not a new one). */
    readonly faults: number;
    /** First touches of pages the guest never wrote (regions with `populated: false`): zero-filled, no I/O, not counted in faults. */
    readonly zeroFills: number;
    /** Faults on pages an earlier swap-in read ahead (backing.pageCluster): mapped from the swap cache, no I/O, not counted in faults. */
    readonly swapCacheHits: number;
    /**
     * The guest's own page faults on processes' memory (task `memory`): first touches, each taking a
     * frame from the guest's free pages and clearing it (do_anonymous_page()). The host sees the
     * clear as a zero-fill, a swap-in, or nothing, by what it holds of that frame.
     */
    readonly guestPageFaults: number;
    readonly asyncStarted: number;
    readonly notPresentDelivered: number;
    readonly readyDelivered: number;
    readonly syncFallbacks: Readonly<Record<string, number>>;
    readonly halts: number;
    readonly haltReasons: Readonly<Record<string, number>>;
    /** Faults not announced where the vCPU re-enters the guest and faults again instead of halting. */
    readonly retries: number;
    readonly retryReasons: Readonly<Record<string, number>>;
    readonly repeatedFaults: number;
    readonly wakeupAll: number;
    readonly leakedDummies: number;
    /** Arch-specific protocol events (e.g. sdei-cancelled). */
    readonly archEvents: Readonly<Record<string, number>>;
  };
  readonly exits: Readonly<Record<string, number>>;
  readonly exitsTotal: number;
  /** exitsTotal over apf.faults; null when there was no fault (no ratio: the tables print —). */
  readonly exitsPerFault: number | null;
  readonly injections: Readonly<Record<string, number>>;
  /** Injections over apf.faults; null when there was no fault. */
  readonly injectionsPerFault: number | null;
  readonly hazards: Readonly<Record<string, number>>;
  /**
   * Exceptions injected while the guest ran exception code that cannot take one (vectors, entry
   * code, the C entry code before the syndrome is read, the return path), and faults raised in
   * the guest there: each overwrites state that code still needs (PROTOCOLS.md §4.5, "Hazard to
   * report"), by code region.
   */
  readonly unsafeInjections: { readonly total: number; readonly byRegion: Readonly<Record<string, number>> };
  /**
   * Time from a task's fault to the moment it completes that access: one per access that met a
   * host-missing page, so a repeated fault on a page another vCPU is already waiting for has one
   * (though it is not counted in apf.faults), and a page evicted again before its access gives two
   * faults and one latency.
   */
  readonly faultLatencyNs: {
    readonly count: number;
    /** null without a sample (count 0): no latency, not a latency of 0. */
    readonly p50: number | null;
    readonly p99: number | null;
    readonly max: number | null;
    /**
     * The distribution in 101 numbers: `quantiles[i]` is the latency that i % of faults stayed
     * within (index 0 the fastest, 100 the slowest); null without faults. A CDF can be drawn from it.
     */
    readonly quantiles: readonly number[] | null;
  };
  /**
   * Work done in each of `units.length` equal slices of the duration, `intervalNs` long (units as
   * `work`; their sum is `work`, up to rounding): the shape of the run over time.
   */
  readonly workOverTime: { readonly intervalNs: number; readonly units: readonly number[] };
  /**
   * `reads`: read I/Os; `writes`: swap-out write I/Os, each a reclaim batch of 32 dirty pages
   * evicted, and `writePages` the pages they carried; `readaheadPages`: pages
   * read along with a faulting one; `writebackStalls`: host allocations that waited for write-out
   * at the cgroup limit (core/host/reclaim-throttle.ts). All in the measured window, as the faults:
   * an I/O counts where it starts, and the drain's are left out.
   */
  readonly swap: {
    readonly reads: number;
    readonly writes: number;
    readonly writePages: number;
    readonly readaheadPages: number;
    readonly maxQueued: number;
    /** null without a read. */
    readonly meanLatencyNs: number | null;
    readonly evictions: number;
    readonly writebackStalls: number;
  };
  readonly contextSwitches: number;
  /** Runnable tasks an idle vCPU pulled from another vCPU's run queue (newidle balancing). */
  readonly migrations: number;
  /**
   * Per task group: how many tasks it has, how many ran all their passes in the window (fixed work,
   * `passes`), their completion times (tasks start at 0; null when none finished), and the group's
   * work per second of the measured window. A job set (`jobs`): the processes it created and those
   * that exited, and one completion time, when its last process exited (null until then).
   */
  readonly tasks: Readonly<Record<string, TaskGroupMetrics>>;
  /**
   * Call-function IPIs (smp_call_function_single(wait=1)) sent in the window, and how long each
   * sender spun from the call to the target's unlock: kernel time, not work. A call still waiting
   * when the window closes is counted but has no wait, as a fault latency has none; `waitNs` is
   * null when no call's wait ended in the window.
   */
  readonly ipi: { readonly count: number; readonly refused: number; readonly waitNs: { readonly mean: number; readonly p99: number; readonly max: number } | null };
  /** A post-copy backing store's figures (null for swap). */
  readonly postcopy: PostcopyMetrics | null;
}

/**
 * Post-copy migration (facts/anchors.md §A4; §A7 "QEMU postcopy blocktime"): QEMU's blocktime in
 * the measured window (core/host/postcopy-blocktime.ts) — `blocktimeNs` while every vCPU waited
 * for a page at once, `vcpuBlocktimeNs` per vCPU — and the link's pages: sent because a fault asked
 * (`pagesRequested`) or by the background push (`pagesPushed`), and when the last one landed
 * (`completedAtNs`, from the switch; null if pages were still to come when the run stopped).
 */
export interface PostcopyMetrics {
  readonly blocktimeNs: number;
  readonly vcpuBlocktimeNs: readonly number[];
  readonly pagesRequested: number;
  readonly pagesPushed: number;
  readonly completedAtNs: number | null;
}

export interface TaskGroupMetrics {
  readonly count: number;
  readonly finished: number;
  readonly completionNs: { readonly mean: number; readonly min: number; readonly max: number } | null;
  readonly workPerSecond: number;
}

export interface RunOptions {
  readonly seed?: number;
  readonly trace?: TraceSink;
  readonly onProgress?: SimulationOptions['onProgress'];
  readonly signal?: SimulationOptions['signal'];
  readonly stopWhen?: SimulationOptions['stopWhen'];
  readonly sizeLimit?: SimulationOptions['sizeLimit'];
}

/** Runs one variant through a scenario and returns its metrics and invariant report. */
export function runVariant(given: Scenario, variant: Variant, options: RunOptions = {}): RunResult {
  if (!variant || typeof variant.createBackend !== 'function') throw new BadInputError('runVariant: not a variant (see VARIANTS)');
  // A scenario object may be built by hand: checked as a file would be (bad input, not a crash).
  const scenario = validateScenario(given, '(scenario object)');
  const costs = mergeOverrides(variant.defaultCosts, scenario.costs[variant.arch] ?? {}, `costs.${variant.arch}`);
  const knobs = mergeOverrides(variant.knobs, scenario.arch[variant.arch] ?? {}, `arch.${variant.arch}`);
  const guestMemoryBytes = Math.round(scenario.machine.guestMemoryMiB * 1024 * 1024);
  const backend = variant.createBackend({ costOverrides: costs, knobs, guestMemoryBytes });
  const seed = options.seed ?? scenario.seed;
  const sim = new Simulation(scenario, backend, { seed, trace: options.trace, onProgress: options.onProgress, signal: options.signal, stopWhen: options.stopWhen, sizeLimit: options.sizeLimit });
  sim.run();
  return {
    id: variant.id,
    arch: variant.arch,
    baseline: variant.baseline === true,
    title: variant.title,
    origin: variant.origin,
    mechanisms: variant.mechanisms,
    costs,
    findings: backend.findings,
    metrics: collectMetrics(sim),
    invariants: {
      ok: sim.monitor.violations.length === 0,
      violations: sim.monitor.violations,
      counts: Object.fromEntries(Object.keys(INVARIANT_NAMES).map((k) => [k, sim.monitor.counts[Number(k)]])),
      inFlight: sim.inFlightAtEnd,
      checked: Object.entries(INVARIANT_NAMES).map(([k, v]) => `${k}: ${v}`),
    },
    run: { events: sim.events, simulatedNs: sim.endTime, measuredNs: Math.min(sim.measureEnd, sim.endTime), stoppedEarly: sim.stoppedEarly },
  };
}

function mergeOverrides<T extends Readonly<Record<string, number>>>(
  defaults: T,
  overrides: Readonly<Record<string, number>>,
  field: string,
): Readonly<Record<string, number>> {
  const out: Record<string, number> = { ...defaults };
  for (const key of Object.keys(overrides).sort()) {
    const problem = overrideProblem(defaults, key, overrides[key], field.startsWith('costs.'));
    if (problem) throw new BadInputError(`scenario ${field}.${key}: ${problem}`);
    out[key] = overrides[key];
  }
  return out;
}

function collectMetrics(sim: Simulation): RunMetrics {
  const m = sim.metrics;
  const sorted = m.latencies.sorted();
  const workByTask: Record<string, number> = {};
  const workNs = sim.workNsByGroup.toJSON(); // sorted by group
  for (const k of Object.keys(workNs)) workByTask[k] = roundTo(workNs[k] / 1000, 3);
  const work = roundTo(sim.workNsByGroup.total / 1000, 3);
  const vcpuTimeNs = Object.fromEntries(TIME_CATEGORIES.map((c) => [c, m.time[c]])) as Record<TimeCategory, number>;
  const exits = m.exits.toJSON();
  const exitsTotal = m.exits.total;
  const injections = m.injections.toJSON();
  const faults = m.faults;
  // The window's figures: a drain's swap-ins and evictions are not counted, as its faults are not.
  const host = sim.hostAtWindowEnd!;
  const swap = host.swap;
  const reads = swap ? swap.reads : 0;
  return {
    work,
    workByTask,
    vcpuTimeNs,
    apf: {
      faults,
      zeroFills: m.zeroFills,
      swapCacheHits: m.swapCacheHits,
      guestPageFaults: m.guestPageFaults,
      asyncStarted: m.asyncStarted,
      notPresentDelivered: m.notPresentDelivered,
      readyDelivered: m.readyDelivered,
      syncFallbacks: m.syncFallbacks.toJSON(),
      halts: m.haltReasons.total,
      haltReasons: m.haltReasons.toJSON(),
      retries: m.retryReasons.total,
      retryReasons: m.retryReasons.toJSON(),
      repeatedFaults: m.repeatedFaults,
      wakeupAll: m.wakeupAll,
      leakedDummies: sim.vcpus.reduce((n, v) => n + v.sleepTable.dummies, 0),
      archEvents: m.archEvents.toJSON(),
    },
    exits,
    exitsTotal,
    exitsPerFault: faults ? roundTo(exitsTotal / faults, 3) : null,
    injections,
    injectionsPerFault: faults ? roundTo(m.injections.total / faults, 3) : null,
    hazards: m.hazards.toJSON(),
    unsafeInjections: { total: m.unsafeInjections.total, byRegion: m.unsafeInjections.toJSON() },
    faultLatencyNs: faultLatency(sorted),
    workOverTime: { intervalNs: sim.workIntervalNs, units: Array.from(sim.workNsByInterval, (ns) => roundTo(ns / 1000, 3)) },
    swap: {
      reads,
      writes: swap ? swap.writes : 0,
      writePages: swap ? swap.writePages : 0,
      readaheadPages: m.readaheadPages,
      maxQueued: swap ? swap.maxQueued : 0,
      meanLatencyNs: swap && reads ? Math.round(swap.latencyNsSum / reads) : null,
      evictions: host.evictions,
      writebackStalls: host.writebackStalls,
    },
    contextSwitches: m.contextSwitches,
    migrations: m.migrations,
    tasks: taskGroups(sim, workByTask),
    ipi: ipiMetrics(m.ipis, m.ipisRefused, m.ipiWaits),
    postcopy: postcopyMetrics(sim),
  };
}

function postcopyMetrics(sim: Simulation): PostcopyMetrics | null {
  const link = sim.postcopy;
  if (!link || !sim.blocktime) return null;
  const { overallNs, perVcpuNs } = sim.blocktime.totals(Math.min(sim.measureEnd, sim.endTime));
  return {
    blocktimeNs: overallNs,
    vcpuBlocktimeNs: perVcpuNs,
    pagesRequested: link.pagesRequested,
    pagesPushed: link.pagesPushed,
    completedAtNs: link.completedAt >= 0 ? link.completedAt : null,
  };
}

/**
 * Each group's tasks, exits, completion times and work rate, in one pass over the tasks and one
 * over the completions (a pass per group made 10,000 groups take 34 s after a 0.5 s run).
 */
function taskGroups(sim: Simulation, workByTask: Readonly<Record<string, number>>): Record<string, TaskGroupMetrics> {
  const seconds = Math.min(sim.measureEnd, sim.endTime) / 1e9;
  const counts = sim.tasksCreated.byGroup;
  const done = new Map<string, number[]>();
  for (const c of sim.metrics.completions) {
    const list = done.get(c.group);
    if (list) list.push(c.ns);
    else done.set(c.group, [c.ns]);
  }
  const exits = sim.metrics.taskExits.toJSON();
  const out: Record<string, TaskGroupMetrics> = {};
  for (const group of [...counts.keys()].sort()) {
    const ns = done.get(group) ?? [];
    const completionNs = ns.length
      ? { mean: Math.round(ns.reduce((a, b) => a + b, 0) / ns.length), min: ns.reduce((a, b) => Math.min(a, b)), max: ns.reduce((a, b) => Math.max(a, b)) }
      : null;
    out[group] = {
      count: counts.get(group)!,
      finished: exits[group] ?? 0,
      completionNs,
      workPerSecond: seconds > 0 ? roundTo((workByTask[group] ?? 0) / seconds, 3) : 0,
    };
  }
  return out;
}

/** Percentiles of the fault latencies; none (null) without a sample. */
function faultLatency(sorted: Float64Array): RunMetrics['faultLatencyNs'] {
  if (sorted.length === 0) return { count: 0, p50: null, p99: null, max: null, quantiles: null };
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1],
    quantiles: Array.from({ length: 101 }, (_, p) => (p === 0 ? sorted[0] : percentile(sorted, p))),
  };
}

function ipiMetrics(count: number, refused: number, waits: Samples): RunMetrics['ipi'] {
  const sorted = waits.sorted();
  if (sorted.length === 0) return { count, refused, waitNs: null };
  const mean = Math.round(sorted.reduce((a, b) => a + b, 0) / sorted.length);
  return { count, refused, waitNs: { mean, p99: percentile(sorted, 99), max: sorted[sorted.length - 1] } };
}
