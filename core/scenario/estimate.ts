import { PAGE_SIZE, PAGES_PER_MIB } from './limits.js';
import type { Scenario } from './schema.js';
import { coldTouches } from './cold-touches.js';
import { touchOf } from './steps.js';
import { taskLoads, tasksAtOnce } from './task-load.js';
import { untilMs } from './until-estimate.js';

/**
 * Events a guest tick takes at most: its own, the step of the task it interrupts laid out again,
 * and where the slice is up the switch to the next task and its step (three compute loops on one
 * vCPU at 100 Hz took 5.9 events a tick, estimated at 2: 2.9x low).
 */
const TICK_EVENTS = 6;

/** Events a host tick takes at most: its own, and a running vCPU's kick (its step cut short and laid out again). */
const HOST_TICK_EVENTS = 3;

/**
 * Events a page fault may add to its touch, high: the exit, the I/O and its completion, the
 * not-present and the ready, the wake-up and the switches (a run of one-touch tasks takes about 4.6
 * events a task in all).
 */
const FAULT_EVENTS = 16;

/**
 * The least vCPU time a fault takes, ns: the exit's round trip, low (facts/anchors.md §A6a: 0.3–1
 * µs). Fixed work over a device of 1 µs reads was charged 6.4e7 faults a second, the device's
 * bound alone (refused at 1.0e9 events; 748 k real).
 */
const FAULT_FLOOR_NS = 300;

/**
 * Events a minor fault (a zero-fill, a swap cache hit) takes, high: the exit and the step it cuts
 * (a pass over a never-written 1 GiB took 2.0 events a page).
 */
const MINOR_FAULT_EVENTS = 4;

/**
 * The most faults the backing store serves a second: its queue's worth per wait (one read per vCPU
 * on a synchronous device), or the post-copy link's bandwidth in pages.
 */
function faultsPerSecond(s: Scenario, waitNs: number): number {
  const b = s.backing;
  if (b.kind === 'postcopy') return (b.bandwidthMBps * 1e6) / PAGE_SIZE;
  return ((b.synchronousIo ? s.machine.vcpus : b.queueDepth) * 1e9) / waitNs;
}

/**
 * The swap cache hits a run's reads may give: each read brings up to 2^pageCluster pages around
 * the fault, whose touches are minor faults where a pass goes on to them (a sequential pass at
 * page-cluster 10 hit the cache 29 times a read: 1.9x low when hits were charged as reads under
 * the device's rate). Random touches land on a neighbour seldom: none counted.
 */
function hitsPerRead(s: Scenario): number {
  const sequential = s.tasks.some((t) => t.program.some((step) => touchOf(step)?.pattern === 'sequential'));
  return s.backing.kind === 'swap' && sequential ? 2 ** s.backing.pageCluster - 1 : 0;
}

/**
 * Faults a whole run can take: over post-copy each page still on the source faults at most once
 * (the destination holds every page that came over: a host limit is refused there), so the guest's
 * pages times `dirtyShare`, high (the regions' pages are fewer); a swap device serves a page again
 * each time it was evicted, without bound.
 */
function faultsAtMost(s: Scenario): number {
  if (s.backing.kind !== 'postcopy') return Infinity;
  return Math.ceil(s.machine.guestMemoryMiB * PAGES_PER_MIB * s.backing.dirtyShare);
}

/** A fault's wait on average: the device's mean draw within its bounds, or the link's round trip and one page's transfer. */
function meanFaultNs(s: Scenario): number {
  const b = s.backing;
  if (b.kind === 'postcopy') return b.rttUs * 1000 + (PAGE_SIZE * 1000) / b.bandwidthMBps;
  const l = b.latency;
  const mean = l.dist === 'lognormal' ? l.us * Math.exp((l.sigma * l.sigma) / 2) : l.us;
  return Math.max(1, Math.min(Math.max(mean, l.minUs), l.maxUs ?? Infinity) * 1000);
}

/**
 * An estimate of the events a run takes: ticks, plus each vCPU's program steps. A task that loops
 * steps for the whole run, and a busy vCPU cannot step faster than its fastest task; a task with
 * fixed work (passes, or a job set's total) takes at most its passes' steps and faults, however
 * long the run. A run that ends when its `until` tasks have exited is taken to last until
 * untilMs() says they have, if that is sooner than durationMs. Faults of looping tasks add a few
 * events more each; it is meant to tell a minutes-long run from a days-long one, not to predict,
 * and runs high.
 */
export function estimateEvents(s: Scenario): number {
  const loads = taskLoads(s);
  const seconds = Math.min(s.durationMs, untilMs(s, loads)) / 1000;
  const vcpus = s.machine.vcpus;
  const [sum, max, loopSum, loopMax, fixed] = Array.from({ length: 5 }, () => new Float64Array(vcpus));
  // Half the mean wait, so that the estimate runs high (gleb-2010-bm: 218,015 events, 2.3e5
  // estimated with the whole wait).
  const waitNs = meanFaultNs(s) / 2;
  let loopFaults = 0;
  let fixedFaults = 0;
  for (const t of loads) {
    // A task waits for its own faults, which slow its passes; their events are counted apart,
    // since the backing store bounds how many faults all tasks together get a second.
    const faults = t.passFaults;
    const passNs = t.passNs + faults * waitNs;
    const rate = (t.passEvents * 1e9) / passNs;
    // What the vCPU could step if this task had it all the time: its sleeps leave it to others
    // (50,000 tasks sleeping 1 ms between 0.1 µs computes were capped at one task's rate, 473x low).
    // A pass that sleeps gives the vCPU up and gets it back, a context switch at least (10,000
    // tasks sleeping 1 µs were counted 1 ns awake a pass: refused at 1.2e9 events, 545,652 real).
    const awakeNs = passNs - t.passAsleepNs;
    const busyRate = (t.passEvents * 1e9) / Math.max(1, t.passAsleepNs > 0 ? Math.max(awakeNs, s.machine.contextSwitchNs) : awakeNs);
    const n = t.count;
    sum[t.vcpu] += n * rate;
    max[t.vcpu] = Math.max(max[t.vcpu], busyRate);
    fixed[t.vcpu] += n * t.startEvents;
    if (t.passes === null) {
      loopSum[t.vcpu] += n * rate;
      loopMax[t.vcpu] = Math.max(loopMax[t.vcpu], busyRate);
      loopFaults += (n * faults * 1e9) / passNs;
    } else {
      // Its start and exit, its steps, and its faults.
      fixed[t.vcpu] += n * (2 + t.passes * t.passEvents);
      fixedFaults += n * t.fixedFaults;
    }
  }
  let steps = 0;
  for (let v = 0; v < vcpus; v++) {
    const byTime = Math.min(sum[v], max[v]) * seconds;
    steps += Math.min(byTime, fixed[v] + Math.min(loopSum[v], loopMax[v]) * seconds);
  }
  // A fault takes its vCPU an exit's round trip at least: no vCPU faults faster than that.
  const byVcpus = (vcpus * seconds * 1e9) / FAULT_FLOOR_NS;
  // Cold pages are touched once: reads among the faults; zero-fills apart, since they wait for no device.
  const loopPasses = new Float64Array(s.tasks.length);
  for (const t of loads) if (t.passes === null) loopPasses[t.entry] = Math.max(loopPasses[t.entry], (seconds * 1e9) / Math.max(1, t.passNs));
  const cold = coldTouches(s, (entry) => loopPasses[entry]);
  const missing = fixedFaults + loopFaults * seconds + cold.loopReads;
  const faults = Math.min(missing, faultsPerSecond(s, waitNs) * seconds, byVcpus, faultsAtMost(s));
  // What the device cannot read may be found in the swap cache, read ahead by the reads it did;
  // minor faults take their exit's round trip too.
  const hits = Math.min(missing - faults, faults * hitsPerRead(s));
  const minorFaults = Math.min(cold.zeroFills + hits, byVcpus - faults);
  const ticks = vcpus * (TICK_EVENTS * s.machine.hz + HOST_TICK_EVENTS * (s.machine.hostHz ?? 0)) * seconds;
  return Math.round(ticks + steps + FAULT_EVENTS * (faults + migrationRefaults(s)) + MINOR_FAULT_EVENTS * minorFaults + pushEvents(s, seconds) + hotplugEvents(s));
}

/**
 * A CPU taken down or brought up: its callback, the moves, the enable's calls and wake-all, and
 * each sleeper it wakes faulting again (1,000 toggles of idle CPUs took 3,514 events, estimated at
 * 13; with 256 sleepers, 13,883, estimated at 4,843). High: every touching task at each one.
 */
function hotplugEvents(s: Scenario): number {
  const hotplugs = (s.events ?? []).filter((e) => e.offline !== undefined || e.online !== undefined).length;
  return hotplugs * (HOTPLUG_EVENTS + FAULT_EVENTS * touchingTasks(s));
}

/** Events of a CPU's own way down or up, high (3.5 a toggle measured). */
const HOTPLUG_EVENTS = 8;

function touchingTasks(s: Scenario): number {
  return s.tasks.reduce((n, t) => n + (t.program.some((step) => touchOf(step) !== null) ? tasksAtOnce(t) : 0), 0);
}

/**
 * A live migration drops the source's works and the destination's wake-all wakes every sleeper,
 * which faults again on a page whose read is still under way: a fault each, with no read of its
 * own, outside the device's rate (999 migrations 2 ms apart over 256 such tasks: 1,042,733
 * events, estimated at 12,098). At most every task that touches memory, at each migration.
 */
function migrationRefaults(s: Scenario): number {
  const migrations = (s.events ?? []).filter((e) => e.migrate !== undefined).length;
  if (migrations === 0) return 0;
  return migrations * touchingTasks(s);
}

/**
 * Post-copy's background push: a send and an arrival for each page still on the source, as many
 * as the link carries in the run (a 4 GiB guest pushed whole took 2.05 M events, estimated at 2,500).
 */
function pushEvents(s: Scenario, seconds: number): number {
  if (s.backing.kind !== 'postcopy' || !s.backing.push) return 0;
  // The push goes on through the drain (a 10 ms window pushed 4 GiB in 4.2 s of drain).
  const pushing = seconds + (s.drain.enabled ? s.drain.maxMs / 1000 : 0);
  return 2 * Math.min(faultsAtMost(s), faultsPerSecond(s, 1) * pushing);
}
