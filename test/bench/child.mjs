/**
 * One measurement in a process of its own (test/bench/run.mjs starts it), so that its first run is
 * cold and its peak RSS is its own. Prints one JSON line.
 *   node test/bench/child.mjs warm                 default and 64-vCPU model, pending counts, bare heap
 *   node test/bench/child.mjs first-second         the same run twice in a fresh process
 *   node test/bench/child.mjs big <variant>        the 256-vCPU run of one variant
 */
import { arm64SdeiVariant, findVariant, x86Variant } from '../../dist/index.js';
import { bareHeap, median, modelRun, peakRssMiB, pendingEvents, rate } from './measure.mjs';
import { BENCH_SCENARIOS } from './scenarios.mjs';

/** The README's comparison: each architecture's baseline and its upstream or latest design. */
const COMPARED = [findVariant('sync-x86'), x86Variant, findVariant('sync-arm64'), arm64SdeiVariant];
/**
 * Measured compares. On a shared machine one compare's rate varies by half from the next; the
 * median and the best of nine are both reported.
 */
const REPS = 9;
/**
 * Compares run before the measured ones: the JIT takes about four of them to settle on code for
 * all four variants (measured: the second compare in a process runs at a third of the fifth's rate).
 */
const WARMUP = 5;
/** Pops of the bare heap per repetition: enough to time, few enough to repeat. */
const HEAP_EVENTS = 4_000_000;

const [job, arg] = process.argv.slice(2);
const jobs = { warm, 'first-second': firstSecond, big };
if (!Object.hasOwn(jobs, job)) throw new Error(`unknown job ${job}`);
console.log(JSON.stringify(jobs[job](arg)));

function warm() {
  const def = BENCH_SCENARIOS.default();
  const wide = BENCH_SCENARIOS.vcpu64();
  const cold = modelRun(def, COMPARED);
  for (let i = 1; i < WARMUP; i++) modelRun(def, COMPARED);
  const defaultRuns = Array.from({ length: REPS }, () => modelRun(def, COMPARED));
  const wideRuns = [modelRun(wide, [x86Variant]), modelRun(wide, [arm64SdeiVariant])];
  const pending = {
    default: pendingEvents(def, x86Variant, Infinity),
    vcpu64: pendingEvents(wide, x86Variant, 2_000_000),
    vcpu256: pendingEvents(BENCH_SCENARIOS.vcpu256(), x86Variant, 2_000_000),
  };
  const heap = Object.fromEntries(
    Object.entries(pending).map(([k, n]) => {
      const reps = Array.from({ length: 5 }, () => bareHeap(n, HEAP_EVENTS));
      return [k, { pending: n, ...summary(reps) }];
    }),
  );
  return {
    default: summary(defaultRuns),
    defaultCold: { events: cold.events, eventsPerCpuSecond: cold.eventsPerCpuSecond, eventsPerWallSecond: cold.eventsPerWallSecond },
    vcpu64: combined(wideRuns),
    heap,
    peakRssMiB: peakRssMiB(),
  };
}

function firstSecond() {
  const wide = BENCH_SCENARIOS.vcpu64();
  const first = modelRun(wide, [x86Variant]);
  const second = modelRun(wide, [x86Variant]);
  return { first, second, peakRssMiB: peakRssMiB() };
}

function big(id) {
  const run = modelRun(BENCH_SCENARIOS.vcpu256(), [findVariant(id)]);
  return { variant: id, ...run, peakRssMiB: peakRssMiB() };
}

/** Medians over repetitions of the same runs, and the best rate. */
function summary(runs) {
  return {
    runs: runs.length,
    events: median(runs.map((r) => r.events)),
    eventsPerCpuSecond: median(runs.map((r) => r.eventsPerCpuSecond)),
    eventsPerWallSecond: median(runs.map((r) => r.eventsPerWallSecond)),
    bestEventsPerCpuSecond: Math.max(...runs.map((r) => r.eventsPerCpuSecond)),
  };
}

/** Runs of different variants: their events over their time. */
function combined(runs) {
  const sum = (k) => runs.reduce((n, r) => n + r[k], 0);
  return { runs: runs.length, events: sum('events'), eventsPerCpuSecond: rate(sum('events'), sum('cpuMs')), eventsPerWallSecond: rate(sum('events'), sum('wallMs')) };
}
