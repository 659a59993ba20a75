import { longestDrawUs, longestPageWaitNs, type TaskLoad, tasksAtOnce, touchesMayFault } from './task-load.js';
import { coldTouches } from './cold-touches.js';
import { PAGE_SIZE } from './limits.js';
import type { Scenario } from './schema.js';

/** A minor fault's cost at its highest, ns (facts/anchors.md §A6, "Minor fault": 1–10 µs). */
const MINOR_FAULT_NS = 10_000;

/**
 * A high estimate of when the `until` tasks have exited, in ms; Infinity without `until`, or where
 * nothing bounds it. Each vCPU's fixed work at nominal speed, plus a slice per task for the
 * scheduler's turns, stretched by its looping tasks each taking a turn in between; plus every
 * fixed-work task's cross-calls and faults; doubled for the exits, injections and interrupts the
 * nominal times leave out.
 */
export function untilMs(s: Scenario, loads: readonly TaskLoad[]): number {
  if (!s.until) return Infinity;
  // A looping task's cross-calls may hold a vCPU for as long as their targets keep interrupts off,
  // over and over: nothing bounds when the `until` tasks get it back.
  if (s.tasks.some((t) => t.passes === undefined && !t.jobs?.total && t.program.some((step) => 'ipi' in step))) return Infinity;
  // So does a looping task that never gives the vCPU up: kernel sections one after another, with
  // no return to user, take no resched short of `full` preemption (a loop of 10 s irqoff sections
  // held an `until` task's vCPU for a day-long window estimated at 147 events).
  if (s.machine.preemption !== 'full' && loads.some((t) => t.passes === null && !t.yields && mayHold(s, loads, t))) return Infinity;
  const vcpus = s.machine.vcpus;
  const slice = sliceTurnNs(s);
  const turn = turnNs(s);
  const [work, tasks, stretch] = Array.from({ length: 3 }, () => new Float64Array(vcpus));
  for (const t of loads) {
    if (t.passes === null) {
      tasks[t.vcpu] += t.count;
      stretch[t.vcpu] += (t.count * turn(t)) / slice;
    } else {
      // A turn each time it comes back to the queue: each process's start, each wake (a job set of
      // 5,000 one-pass processes behind looping tasks took 72 s, estimated as one task's 0.55 s).
      tasks[t.vcpu] += t.count * t.turns;
      work[t.vcpu] += t.count * t.passes * t.passLongNs;
    }
  }
  let cpuNs = 0;
  for (let v = 0; v < vcpus; v++) cpuNs = Math.max(cpuNs, (work[v] + tasks[v] * slice) * (1 + stretch[v]));
  // A CPU taken down sends its tasks to another, which may be the busiest: all on one, high
  // (an `until` task moved onto a vCPU of 8 looping tasks took 4x the window of its own vCPU).
  if ((s.events ?? []).some((e) => 'offline' in e)) {
    const sum = (a: Float64Array) => a.reduce((n, x) => n + x, 0);
    cpuNs = (sum(work) + sum(tasks) * slice) * (1 + sum(stretch));
  }
  return (2 * (cpuNs + untilIpiWaitNs(s, loads) + untilIoNs(s, loads))) / 1e6;
}

/**
 * May `hog` hold the vCPU of an `until` task? Not where it is pinned to a vCPU no `until` task
 * is on and every `until` task is pinned too, with no CPU taken down: then nothing moves either
 * way (a window of 1 ms beside a pinned irqoff loop on the other vCPU was refused at 1.1e9 events).
 */
function mayHold(s: Scenario, loads: readonly TaskLoad[], hog: TaskLoad): boolean {
  if (!hog.pinned || (s.events ?? []).some((e) => 'offline' in e)) return true;
  return loads.some((t) => t.until && (!t.pinned || t.vcpu === hog.vcpu));
}

/**
 * A turn of the scheduler, ns: a slice, which ends at the tick after it is up (at 1 Hz a 4 ms
 * slice ran for a second: an `until` window estimated at 40 ms took 1,003 ms, 22x low).
 */
function sliceTurnNs(s: Scenario): number {
  return s.machine.sliceUs * 1000 + 1e9 / s.machine.hz;
}

/**
 * How long a looping task may keep the vCPU at its turn, ns: a slice, then the kernel section it
 * is in when the tick comes (the tick waits for it), with its pages' waits (no async PF with
 * interrupts off), and a synchronous fault's wait, which its clock counts as its time (a task
 * touching pages on an hour's swap held an `until` task's vCPU for hours: estimated at 46,087 events).
 */
function turnNs(s: Scenario): (t: TaskLoad) => number {
  const page = longestPageWaitNs(s);
  const mayFault = touchesMayFault(s);
  const slice = sliceTurnNs(s);
  return (t) => slice + t.sectionNs + (mayFault ? t.sectionPages * page : 0) + (mayFault && t.passPages > 0 ? page : 0);
}

/**
 * The cross-calls of tasks with fixed work (a looping one's make untilMs() unbounded), each
 * spinning until its target runs the handler: at most the longest interrupts-off or preempt-off
 * section of any task, a slice, and the longest wait for a page (a target blocked in a
 * synchronous fault), one after another (200 IPIs to a vCPU in 100 ms irqoff sections took 10 s,
 * estimated at 16 ms without them).
 */
function untilIpiWaitNs(s: Scenario, loads: readonly TaskLoad[]): number {
  let ipis = 0;
  for (const t of s.tasks) {
    // Any task's: one spinning on an `until` task's vCPU keeps it from running (10 tasks' calls to
    // a vCPU in 10 ms irqoff sections starved one 135x past the window estimated).
    for (const step of t.program) if ('ipi' in step) ipis += tasksAtOnce(t) * (t.jobs?.total ?? 1) * (t.passes ?? 1);
  }
  if (ipis === 0) return 0;
  const page = longestPageWaitNs(s);
  // A section's touches fault synchronously (no APF with interrupts off), each a page's wait
  // (1,000 post-copy pages in one irqoff section: 38x low counting its touches' time only).
  const section = loads.reduce((m, t) => Math.max(m, t.sectionNs + t.sectionPages * page), 0);
  return ipis * (section + sliceTurnNs(s) + page);
}

/**
 * How long the faults of every task with fixed work take, high: each read at the device's longest
 * draw, a vCPU's one after another (a synchronous fault holds it: another task's one page on an
 * hour's swap held the `until` task's vCPU, which counted only its own pages), the queue's worth
 * at once; over post-copy, each a round trip and every one of them through the link. Faults, not
 * touches: 1e8 touches of a region that fits were each charged a read (refused at 2.0e9 events;
 * 2.2 M real).
 */
function untilIoNs(s: Scenario, loads: readonly TaskLoad[]): number {
  const b = s.backing;
  const byVcpu = new Float64Array(s.machine.vcpus);
  let pages = 0;
  for (const t of loads) {
    if (t.passes === null) continue;
    byVcpu[t.vcpu] += t.count * t.fixedFaults;
    pages += t.count * t.fixedFaults;
  }
  const onOne = byVcpu.reduce((m, x) => Math.max(m, x), 0);
  // Zero-fills wait for no device but take the host's fault work each, all on one vCPU (high).
  const zeroFillNs = coldTouches(s, () => 0).fixedZeroFills * MINOR_FAULT_NS;
  if (b.kind === 'postcopy') return zeroFillNs + onOne * b.rttUs * 1000 + (pages * PAGE_SIZE * 1000) / b.bandwidthMBps;
  return zeroFillNs + Math.max(onOne, pages / b.queueDepth) * longestDrawUs(b.latency) * 1000;
}
