import { CALL_FLOOR_NS } from '../guest/smp.js';
import { MAX_EXPONENTIAL_DEVIATE, MAX_NORMAL_DEVIATE, PAGE_SIZE, PAGES_PER_MIB } from './limits.js';
import { regionMisses, type RegionMiss } from './region-miss.js';
import type { LatencySpec, Scenario, Step, TaskSpec } from './schema.js';
import { sectionOf, touchOf } from './steps.js';
import { coldRegions, type ColdRegion } from './cold-pages.js';

/**
 * What the size estimate (core/scenario/estimate.ts) and the `until` window's
 * (core/scenario/until-estimate.ts) know of a scenario's tasks: what one pass of a program costs,
 * where each task runs, how often a touch may fault and how long a page may take.
 */

/** Tasks of a scenario entry that exist at once: `count`, or a job set's `concurrent` processes. */
export function tasksAtOnce(t: TaskSpec): number {
  return t.jobs ? Math.min(t.jobs.concurrent, t.jobs.total ?? t.jobs.concurrent) : t.count;
}

/** The longest latency the swap device can draw, in µs. */
export function longestDrawUs(l: LatencySpec): number {
  const tail = l.dist === 'fixed' ? l.us : l.dist === 'exponential' ? l.us * MAX_EXPONENTIAL_DEVIATE : l.us * Math.exp(l.sigma * MAX_NORMAL_DEVIATE);
  return Math.max(l.minUs, l.maxUs === undefined ? tail : Math.min(tail, l.maxUs));
}

/** The time one pass of a program takes on an idle vCPU with every page resident, in ns. */
export function loopNs(program: readonly Step[], s: Scenario): number {
  return program.reduce((sum, step) => sum + stepCost(step, s).ns, 0);
}

/** A step's nominal time, the events it takes at least (touches go 256 to an event) and the pages it touches. */
function stepCost(step: Step, s: Scenario, ipi: IpiReach = 'local'): { ns: number; asleepNs: number; events: number; pages: number } {
  const touch = (t: { pages: number; thinkNs: number }) => ({ ns: t.pages * (s.machine.touchNs + t.thinkNs), asleepNs: 0, events: Math.ceil(t.pages / 256), pages: t.pages });
  if ('compute' in step) return { ns: Math.round(step.compute.us * 1000), asleepNs: 0, events: 1, pages: 0 };
  // The sleep's start and its timer, the wake-up's switch back, and the step of the task it preempts
  // (a 200 s run of 4 writers sleeping 100 µs after each 16 touches: 31.4 M events, ~4 a pass in all).
  // Asleep, the task leaves the vCPU to the others (asleepNs).
  if ('sleep' in step) return { ns: Math.round(step.sleep.us * 1000), asleepNs: Math.round(step.sleep.us * 1000), events: 4, pages: 0 };
  if ('touch' in step) return touch(step.touch);
  if ('syscall' in step) return touch(step.syscall);
  // An IPI: the send, the target's interrupt, its handler and the ack, the sender's spin (about 7
  // events). One that surely goes to another vCPU takes at least IPI_FLOOR_NS, the send's exit and
  // the target's entry (a loop of 0 µs handlers ran 511x below a 1 ns floor's count); one that may
  // be local (the sender's own vCPU, or a task that may move onto its target) runs the handler in
  // place, and one to an offline target is refused (-ENXIO): each at least CALL_FLOOR_NS
  // (core/guest/smp.ts, core/sim/guest-kernel.ts callFunctionSingle()).
  if ('ipi' in step) {
    // The most events a call takes (a remote one's 7) over the least time it may take: run in
    // place, the handler's time; refused, the floor whatever the handler. Both the count (fixed
    // work) and the rate (a loop) then run high, whichever way it goes.
    const handler = Math.round(step.ipi.handlerUs * 1000);
    // A pinned task's call to its own vCPU is compiled to a compute step (core/guest/task.ts ipi()).
    if (ipi === 'self') return { ns: Math.max(CALL_FLOOR_NS, handler), asleepNs: 0, events: 1, pages: 0 };
    // One that may be local: run in place it is one event a handler's time, sent it is 7 events
    // over at least the floor; the time that gives the higher of the two rates for its 7 events (7
    // events in 1 ns had 8 tasks of 1 ns handlers refused at 2.8e9 events; 2.34 M real).
    const local = Math.max(CALL_FLOOR_NS, Math.min(7 * handler, Math.max(IPI_FLOOR_NS, handler)));
    const ns = ipi === 'remote' ? Math.max(IPI_FLOOR_NS, handler) : ipi === 'local' ? local : CALL_FLOOR_NS;
    return { ns, asleepNs: 0, events: 7, pages: 0 };
  }
  const section = sectionOf(step)!;
  const lead = Math.round(section.us * 1000);
  const t = section.touch ? touch(section.touch) : { ns: 0, events: 1, pages: 0 };
  // A section with touches runs its lead as a segment of its own (core/sim/segment.ts): one event more.
  return { ns: lead + t.ns, asleepNs: 0, events: t.events + (section.touch && lead > 0 ? 1 : 0), pages: t.pages };
}

/**
 * A step after which the task returns to user mode, where a resched is always taken (README
 * "preemption model": exit_to_user_mode_loop()), or that sleeps: the task leaves the vCPU to the
 * others. A kernel section or a cross-call's spin alone is not one.
 */
function yieldsAfter(step: Step): boolean {
  return 'compute' in step || 'touch' in step || 'syscall' in step || 'sleep' in step;
}

/**
 * Where an IPI step's call goes, for its cost: `remote`, surely to another vCPU that is up (a
 * pinned task, another target, and no CPU ever taken down: hotplug moves a pinned task off its
 * CPU, possibly onto its target); `self`, a pinned task's own vCPU; `down`, possibly to an
 * offline CPU; `local`, possibly run in place (a task without `vcpu` may be balanced onto its target).
 */
type IpiReach = 'remote' | 'local' | 'down' | 'self';

function ipiReach(target: number | 'next', t: TaskSpec, s: Scenario): IpiReach {
  // A target that may be down answers -ENXIO at once: only where the call may reach a CPU the
  // scenario takes down (any offline event made every call 1 ns: refused at 1.4e10 events, 16,994
  // real). An unpinned sender's `next`, or a sender whose own CPU goes down (it moves), may be any.
  const offline = offlineVcpus(s);
  if (offline.size > 0) {
    const mobile = t.vcpu === undefined || offline.has(t.vcpu);
    const to = target === 'next' ? (t.vcpu! + 1) % s.machine.vcpus : target;
    if ((target === 'next' && mobile) || offline.has(to)) return 'down';
  }
  if (t.vcpu === undefined) return 'local';
  return (target === 'next' ? s.machine.vcpus > 1 : target !== t.vcpu) ? 'remote' : 'self';
}

/** The vCPUs the scenario takes down at some point (its `offline` events). */
function offlineVcpus(s: Scenario): Set<number> {
  return new Set((s.events ?? []).flatMap((e) => (e.offline ? [e.offline.vcpu] : [])));
}

/** The least an IPI step takes, ns: an exit round trip, low (facts/anchors.md §A6a: 0.3–1 µs). */
const IPI_FLOOR_NS = 300;

/** Events a process's first touch of a page of its own memory takes (the guest fault, its clear, the return). */
export const MEMORY_PAGE_EVENTS = 3;

/**
 * The share of touches that fault, high for uniform access (a hot set faults less): the pages the
 * host cannot hold of the regions and of every task's own memory (4 writers over 200 MiB each in a
 * 4 MiB host were estimated 282x low with the regions' 4 MiB alone), or, over post-copy, the pages
 * still on the source.
 */
function missShare(s: Scenario): number {
  if (s.backing.kind === 'postcopy') return s.backing.dirtyShare;
  const memoryMiB = s.tasks.reduce((n, t) => n + tasksAtOnce(t) * t.memory.reduce((m, r) => m + r.mib, 0), 0);
  const touchedMiB = s.regions.reduce((n, r) => n + r.mib, 0) + memoryMiB;
  return touchedMiB > 0 ? Math.min(1, Math.max(0, 1 - s.machine.hostResidentMiB / touchedMiB)) : 0;
}

/**
 * What one task's `touches` of `name` must read on first touch: every page of its own memory (up to
 * its touches); of a region's pages that start out of host memory (cold-pages.ts; its zero-fills
 * do no I/O and the estimate counts them apart), its share by touches of all fixed work's
 * (`regionTouches`), since each page is read once whoever touches it first (10,000 tasks each
 * charged a 512 MiB region's reads: 3x the window of the run).
 */
function coldReads(cold: Map<string, ColdRegion>, regionTouches: Map<string, number>, t: TaskSpec, name: string, touches: number): number {
  const own = t.memory.find((m) => m.name === name);
  if (own) return Math.min(touches, Math.ceil(own.mib * PAGES_PER_MIB));
  const all = regionTouches.get(name) ?? touches;
  return (Math.min(cold.get(name)?.reads ?? 0, all) * touches) / Math.max(1, all);
}

/** Every fixed-work task's touches of each scenario region over its passes. */
function fixedRegionTouches(s: Scenario): Map<string, number> {
  const out = new Map<string, number>();
  for (const t of s.tasks) {
    const passes = passesOf(t);
    if (passes === null) continue;
    for (const step of t.program) {
      const touch = touchOf(step);
      if (touch && !t.memory.some((m) => m.name === touch.region)) out.set(touch.region, (out.get(touch.region) ?? 0) + passes * tasksAtOnce(t) * touch.pages);
    }
  }
  return out;
}

/**
 * The tasks of a scenario entry on one vCPU as the estimate sees them: where they run, how many
 * (`count`: the sums count each, a maximum one) and what one pass of each costs.
 */
export interface TaskLoad {
  /** Tasks of the entry placed on this vCPU: one record for all of them (a record each made a sweep's check of 1,000 points of up to 8,000 tasks take 25 s). */
  readonly count: number;
  /** Its scenario entry's index in `tasks`. */
  readonly entry: number;
  readonly vcpu: number;
  /** Pinned to its vCPU (the entry's `vcpu`): never moved by the balancer. */
  readonly pinned: boolean;
  readonly until: boolean;
  /** The passes it runs in all, or null for a task that loops for as long as the run lasts. */
  readonly passes: number | null;
  /** Events once, at its start (the first touches of its own memory). */
  readonly startEvents: number;
  /** The least time one pass may take (for rates), and the most (for how long fixed work lasts). */
  readonly passNs: number;
  readonly passLongNs: number;
  /** Of passNs, the time it is asleep and off the vCPU. */
  readonly passAsleepNs: number;
  readonly passEvents: number;
  /** Pages one pass touches: each may fault. */
  readonly passPages: number;
  /** Of those, the ones that fault, high (core/scenario/region-miss.ts). */
  readonly passFaults: number;
  /**
   * Faults its fixed work takes at most: its passes' missing touches (fixedFaults()) and the first
   * touches of the pages that start out of host memory (a million passes over a region that fits
   * were refused at 4.1e9 events: 1.1 M real).
   */
  readonly fixedFaults: number;
  /** Its longest kernel section (irqoff, preemptoff) in ns, and the pages that section touches. */
  readonly sectionNs: number;
  readonly sectionPages: number;
  /** Whether a pass of its program ever leaves the vCPU to others (README "preemption model"). */
  readonly yields: boolean;
  /**
   * The times it waits for its turn on the vCPU, for fixed work: once per process it starts (a job
   * set's processes, each a new task placed at the queue's floor) and after each sleep of each pass.
   */
  readonly turns: number;
}

/**
 * The scenario's tasks at once, each on the vCPU the round-robin gives it (or its own). A job set
 * with a total shares its processes' passes among its slots.
 */
export function taskLoads(s: Scenario): TaskLoad[] {
  const out: TaskLoad[] = [];
  const where = placements(s);
  const cold = coldRegions(s, s.tasks.reduce((n, t) => n + tasksAtOnce(t), 0));
  const regionTouches = fixedRegionTouches(s);
  const awake = s.tasks.map((t) => Math.max(1, t.program.reduce((n, step) => n + awakeNsOf(stepCost(step, s)), 0)));
  // What a task wants of its vCPU while it lives: its time awake. What it takes from the others
  // over the run: the same for a loop; for fixed work, its passes' time over the run at most (50
  // one-pass tasks beside a loop had divided its vCPU by 51: 15x low).
  const wants = s.tasks.map((t, i) => awake[i] / Math.max(1, loopNs(t.program, s)));
  const takes = s.tasks.map((t, i) => Math.min(wants[i], ((passesOf(t) ?? Infinity) * awake[i]) / Math.max(1, s.durationMs * 1e6)));
  const onVcpu = new Float64Array(s.machine.vcpus);
  where.forEach((list, i) => list.forEach((v) => (onVcpu[v] += takes[i])));
  const missOf = regionMisses(s, {
    awakeNs: awake,
    instances: s.tasks.map(tasksAtOnce),
    running: where.map((list, i) => list.reduce((n, v) => n + wants[i] / Math.max(1, onVcpu[v]), 0)),
  });
  s.tasks.forEach((t, i) => {
    const costs = t.program.map((step) => stepCost(step, s, 'ipi' in step ? ipiReach(step.ipi.target, t, s) : 'local'));
    const passes = passesOf(t);
    // A process's own memory: each page's first touch is a guest fault with its clear, about 3
    // events, at each process's start, shared among its passes (a job set of 1-pass processes
    // over 1 MiB each took 53x its estimate without them).
    const memory = t.memory.reduce((n, m) => n + Math.ceil(m.mib * PAGES_PER_MIB), 0);
    // A job set's processes start again and again; another task touches its memory first once.
    const memPages = t.jobs ? memory / (t.passes ?? 1) : 0;
    const passPages = costs.reduce((a, c) => a + c.pages, 0);
    const sections = t.program.map((step, i) => (sectionOf(step) ? costs[i] : null)).filter((c) => c !== null);
    const longest = sections.reduce((a, c) => (c.ns > a.ns ? c : a), { ns: 0, pages: 0 });
    const load = {
      startEvents: t.jobs ? 0 : MEMORY_PAGE_EVENTS * memory,
      until: s.until?.tasks.includes(t.name) ?? false,
      pinned: t.vcpu !== undefined,
      passes,
      // A job set's process starts on a context switch (64 processes of 1 ns each were refused at 1.2e9
      // events; 2.18 M real), shared among its passes.
      passNs: Math.max(1, costs.reduce((a, c) => a + c.ns, 0) + memPages * s.machine.anonFaultNs + (t.jobs ? s.machine.contextSwitchNs / (t.passes ?? 1) : 0)),
      // An IPI's longest is a remote call's: its exit and the handler on the target.
      passLongNs: Math.max(1, t.program.reduce((a, step) => a + stepCost(step, s, 'remote').ns, 0) + memPages * s.machine.anonFaultNs),
      passAsleepNs: costs.reduce((a, c) => a + c.asleepNs, 0),
      // A job set's process also starts and exits: 2 events, shared among its passes.
      passEvents: costs.reduce((a, c) => a + c.events, 0) + MEMORY_PAGE_EVENTS * memPages + (t.jobs ? 2 / (t.passes ?? 1) : 0),
      passPages,
      passFaults: t.program.reduce((n, step) => n + stepFaults(i, step, missOf), 0),
      fixedFaults: passes === null ? 0 : fixedFaults(cold, regionTouches, t, i, passes, missOf),
      sectionNs: longest.ns,
      sectionPages: longest.pages,
      yields: t.program.some(yieldsAfter),
      turns: passes === null ? 0 : processesOf(t) + passes * t.program.filter((step) => 'sleep' in step).length,
    };
    const perVcpu = new Map<number, number>();
    for (const vcpu of where[i]) perVcpu.set(vcpu, (perVcpu.get(vcpu) ?? 0) + 1);
    for (const [vcpu, count] of perVcpu) out.push({ ...load, vcpu, entry: i, count });
  });
  return out;
}

/**
 * The passes each of an entry's tasks runs, or null for tasks that loop for as long as the run
 * lasts: `passes`, or a job set's total shared among its slots.
 */
/** The processes each of an entry's tasks runs in turn: a job set's total shared among its slots, else one. */
function processesOf(t: TaskSpec): number {
  return t.jobs?.total === undefined ? 1 : t.jobs.total / tasksAtOnce(t);
}

export function passesOf(t: TaskSpec): number | null {
  if (!t.jobs) return t.passes ?? null;
  return t.jobs.total === undefined ? null : (t.jobs.total * (t.passes ?? 1)) / tasksAtOnce(t);
}

/** A step's time on its vCPU: its nominal time but its sleep. */
function awakeNsOf(c: { ns: number; asleepNs: number }): number {
  return c.ns - c.asleepNs;
}

/** Each scenario entry's tasks, each on the vCPU the round-robin gives it (or its own). */
function placements(s: Scenario): number[][] {
  let next = 0;
  // A task pinned to a CPU the scenario takes down loses its pin and may be balanced onto any
  // (8 cross-call senders counted on their one vCPU spread over three: 50,388 events, 31,520 estimated).
  const offline = offlineVcpus(s);
  return s.tasks.map((t) => Array.from({ length: tasksAtOnce(t) }, () => (t.vcpu !== undefined && !offline.has(t.vcpu) ? t.vcpu : next++ % s.machine.vcpus)));
}

/** A pass's touches that miss: every one of a sequential pass over a region that does not fit, else the region's share. */
function stepFaults(task: number, step: Step, missOf: RegionMiss): number {
  const touch = touchOf(step);
  if (!touch) return 0;
  const miss = missOf(task, touch.region);
  // CLOCK evicts the page a pass over more than the host holds comes back to: a loop over 64 MiB
  // in 63.996 was charged 1 miss in 16,384 touches, and missed on every one (18x low).
  return touch.pattern === 'sequential' && miss > 0 ? touch.pages : touch.pages * miss;
}

/**
 * The touches of a region the host cannot hold all of that miss — every one of a sequential pass
 * (CLOCK evicts the page a pass over more than it holds comes back to), a random one's share
 * (every touch was counted: a pass over 65 MiB in a 64 MiB host was refused at 1.6e9 events, 14 M
 * real) — and the first touches of one that starts out of host memory.
 */
function fixedFaults(cold: Map<string, ColdRegion>, regionTouches: Map<string, number>, t: TaskSpec, task: number, passes: number, missOf: RegionMiss): number {
  const touched = new Map<string, number>();
  let faults = 0;
  for (const step of t.program) {
    const touch = touchOf(step);
    if (!touch) continue;
    const all = passes * touch.pages;
    faults += passes * stepFaults(task, step, missOf);
    touched.set(touch.region, (touched.get(touch.region) ?? 0) + all);
  }
  for (const [region, pages] of touched) faults += coldReads(cold, regionTouches, t, region, pages);
  return faults;
}

/**
 * Whether any touch may wait for a page: the host cannot hold what is touched, a region or a
 * task's own memory starts out of it, or the pages are on a post-copy source.
 */
export function touchesMayFault(s: Scenario): boolean {
  if (missShare(s) > 0 || s.backing.kind === 'postcopy') return true;
  return s.regions.some((r) => !r.populated || r.onSwap) || s.tasks.some((t) => t.memory.length > 0);
}

/**
 * The longest a vCPU may wait for one page, ns: over a swap device, the longest draw behind the
 * reads queued ahead (one per vCPU, a queue's worth at a time: 256 vCPUs on a queue of 1 took 12x
 * the one read's wait); over post-copy, a round trip and those reads through the link.
 */
export function longestPageWaitNs(s: Scenario): number {
  const b = s.backing;
  const reads = Math.ceil(s.machine.vcpus / (b.kind === 'postcopy' ? 1 : b.queueDepth));
  return b.kind === 'postcopy' ? b.rttUs * 1000 + (reads * PAGE_SIZE * 1000) / b.bandwidthMBps : reads * longestDrawUs(b.latency) * 1000;
}
