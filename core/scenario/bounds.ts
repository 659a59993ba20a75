import { ScenarioError } from './error.js';
import { costValueProblem, HARD, MAX_EXPONENTIAL_DEVIATE, MAX_INTERVAL_US, MAX_NORMAL_DEVIATE, PAGE_SIZE, PAGES_PER_MIB, SIZE } from './limits.js';
import type { LatencySpec, Scenario, Step, TaskSpec } from './schema.js';

/** Per architecture, the keys `costs.<arch>` and `arch.<arch>` may use (from the registered variants). */
export interface KnownOverrides {
  readonly costs: Readonly<Record<string, readonly string[]>>;
  readonly arch: Readonly<Record<string, readonly string[]>>;
}

/**
 * Checks `costs` and `arch` on the raw YAML data, before the schema: a zod record drops a
 * `__proto__` key that YAML made an own property, and `in` would find `toString` on any object.
 */
export function checkOverrideKeys(raw: unknown, file: string, known: KnownOverrides | undefined): void {
  if (!isPlainObject(raw)) return;
  for (const section of ['costs', 'arch'] as const) {
    const byArch = raw[section];
    if (!isPlainObject(byArch)) continue;
    const knownArches = known ? known[section] : undefined;
    for (const arch of Object.keys(byArch)) {
      const field = `${section}.${arch}`;
      if (knownArches && !Object.hasOwn(knownArches, arch)) throw unknownKey(file, field, 'architecture', Object.keys(knownArches));
      if (!knownArches && reserved(arch)) throw unknownKey(file, field, 'architecture', []);
      const entries = byArch[arch];
      if (!isPlainObject(entries)) continue;
      for (const key of Object.keys(entries)) checkEntry(file, `${field}.${key}`, key, entries[key], knownArches?.[arch], section === 'costs');
    }
  }
}

function checkEntry(file: string, field: string, key: string, value: unknown, knownKeys: readonly string[] | undefined, isCost: boolean): void {
  if (knownKeys ? !knownKeys.includes(key) : reserved(key)) throw unknownKey(file, field, 'key', knownKeys ?? []);
  if (typeof value !== 'number') return; // the schema names the wrong type
  const problem = isCost ? costValueProblem(key, value) : Number.isFinite(value) ? null : `${value} is not a finite number`;
  if (problem) throw new ScenarioError(file, field, problem);
}

function unknownKey(file: string, field: string, what: string, knownList: readonly string[]): ScenarioError {
  const list = knownList.length ? ` (known: ${[...knownList].sort().join(', ')})` : '';
  return new ScenarioError(file, field, `unknown ${what}${list}`);
}

/** Names every object inherits: never a cost, a knob or an architecture. */
function reserved(key: string): boolean {
  return key === '__proto__' || key in Object.prototype;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Tasks of a scenario entry that exist at once: `count`, or a job set's `concurrent` processes. */
export function tasksAtOnce(t: TaskSpec): number {
  return t.jobs ? Math.min(t.jobs.concurrent, t.jobs.total ?? t.jobs.concurrent) : t.count;
}

/**
 * Beyond the 2 MiB minimum (MIN_GUEST_MIB), a guest holds a page of its kernel's per-CPU data per
 * vCPU above 1.5 MiB: x86-ve's #VE information pages lie there, 4 KiB a vCPU (a 2 MiB guest had
 * none for vCPUs 128 and up, which then ran as plain x86 without a word). Linux's own per-CPU
 * areas are larger still.
 */
const PER_CPU_FLOOR_MIB = 1.5;
const PER_CPU_PAGE_MIB = 1 / 256;

/** Rules that span fields: totals, distribution tails, programs that take no time. */
export function checkScenarioBounds(s: Scenario, file: string): void {
  const tasks = s.tasks.reduce((n, t) => n + tasksAtOnce(t), 0);
  if (tasks > HARD.tasks) throw new ScenarioError(file, 'tasks', `${tasks} tasks in all: at most ${HARD.tasks} (task ids are 32-bit in the engine, and each task has its own state)`);
  const perCpuMiB = PER_CPU_FLOOR_MIB + s.machine.vcpus * PER_CPU_PAGE_MIB;
  if (s.machine.guestMemoryMiB < perCpuMiB) {
    throw new ScenarioError(file, 'machine.guestMemoryMiB', `${s.machine.guestMemoryMiB} MiB cannot hold the guest kernel's per-CPU data of ${s.machine.vcpus} vCPUs (a 4 KiB page each above 1.5 MiB): at least ${perCpuMiB} MiB`);
  }
  if (s.backing.kind === 'swap') {
    checkLatencyTail(s.backing.latency, file);
    const l = s.backing.latency;
    if (l.maxUs !== undefined && l.minUs > l.maxUs) {
      throw new ScenarioError(file, 'backing.latency', `minUs ${l.minUs} is above maxUs ${l.maxUs}: no latency can be drawn`);
    }
    // A fixed latency outside its own bounds would be silently served as the bound instead.
    if (l.dist === 'fixed' && (l.us < l.minUs || (l.maxUs !== undefined && l.us > l.maxUs))) {
      const bound = l.us < l.minUs ? `below minUs ${l.minUs}` : `above maxUs ${l.maxUs}`;
      throw new ScenarioError(file, 'backing.latency', `the fixed latency us ${l.us} is ${bound}: every read would take the bound instead; set us (a fixed latency needs no minUs or maxUs)`);
    }
  }
  s.tasks.forEach((t, i) => {
    if (loopNs(t.program, s) < 1) {
      throw new ScenarioError(file, `tasks[${i}].program`, 'one pass takes no simulated time (no compute, sleep, irqoff or preemptoff time, and touchNs + thinkNs is 0): the task would spin forever at one instant');
    }
  });
}

/**
 * The largest latency the swap device can draw must stay within one hour (README "Limits"):
 * without maxUs a wide lognormal can draw years, past the exact range of time.
 */
function checkLatencyTail(l: LatencySpec, file: string): void {
  const largest = longestDrawUs(l);
  if (largest > MAX_INTERVAL_US) {
    const how = l.dist === 'fixed' ? 'lower us' : 'set maxUs, or lower us or sigma';
    throw new ScenarioError(file, 'backing.latency', `the longest possible draw is ${largest.toExponential(4)} µs, more than ${MAX_INTERVAL_US} µs (one hour): ${how}`);
  }
}

/** The longest latency the swap device can draw, in µs. */
function longestDrawUs(l: LatencySpec): number {
  const tail = l.dist === 'fixed' ? l.us : l.dist === 'exponential' ? l.us * MAX_EXPONENTIAL_DEVIATE : l.us * Math.exp(l.sigma * MAX_NORMAL_DEVIATE);
  return Math.max(l.minUs, l.maxUs === undefined ? tail : Math.min(tail, l.maxUs));
}

/** The time one pass of a program takes on an idle vCPU with every page resident, in ns. */
function loopNs(program: readonly Step[], s: Scenario): number {
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
  // place, at least 1 ns (core/sim/guest-kernel.ts callFunctionSingle()).
  if ('ipi' in step) {
    // The most events a call takes (a remote one's 7) over the least time it may take: run in
    // place, the handler's time; to an offline target (-ENXIO), a nanosecond whatever the handler.
    // Both the count (fixed work) and the rate (a loop) then run high, whichever way it goes.
    const handler = Math.round(step.ipi.handlerUs * 1000);
    // A pinned task's call to its own vCPU is compiled to a compute step (core/guest/task.ts ipi()).
    if (ipi === 'self') return { ns: Math.max(1, handler), asleepNs: 0, events: 1, pages: 0 };
    const ns = ipi === 'remote' ? Math.max(IPI_FLOOR_NS, handler) : ipi === 'local' ? Math.max(1, handler) : 1;
    return { ns, asleepNs: 0, events: 7, pages: 0 };
  }
  const section = 'irqoff' in step ? step.irqoff : step.preemptoff;
  const lead = Math.round(section.us * 1000);
  const t = section.touch ? touch(section.touch) : { ns: 0, events: 1, pages: 0 };
  return { ns: lead + t.ns, asleepNs: 0, events: t.events, pages: t.pages };
}

/**
 * Where an IPI step's call goes, for its cost: `remote`, surely to another vCPU that is up (a
 * pinned task, another target, and no CPU ever taken down: hotplug moves a pinned task off its
 * CPU, possibly onto its target); `self`, a pinned task's own vCPU; `down`, possibly to an
 * offline CPU; `local`, possibly run in place (a task without `vcpu` may be balanced onto its target).
 */
type IpiReach = 'remote' | 'local' | 'down' | 'self';

function ipiReach(target: number | 'next', t: TaskSpec, s: Scenario): IpiReach {
  if ((s.events ?? []).some((e) => 'offline' in e)) return 'down';
  if (t.vcpu === undefined) return 'local';
  return (target === 'next' ? s.machine.vcpus > 1 : target !== t.vcpu) ? 'remote' : 'self';
}

/** The least an IPI step takes, ns: an exit round trip, low (facts/anchors.md §A6a: 0.3–1 µs). */
const IPI_FLOOR_NS = 300;

/** Events a process's first touch of a page of its own memory takes (the guest fault, its clear, the return). */
const MEMORY_PAGE_EVENTS = 3;

/** Events a host tick takes at most: its own, and a running vCPU's kick (its step cut short and laid out again). */
const HOST_TICK_EVENTS = 3;

/**
 * Events a page fault may add to its touch, high: the exit, the I/O and its completion, the
 * not-present and the ready, the wake-up and the switches (a run of one-touch tasks takes about 4.6
 * events a task in all).
 */
const FAULT_EVENTS = 16;

/**
 * The share of touches that fault, high for uniform access (a hot set faults less): the regions'
 * pages the host cannot hold, or, over post-copy, the pages still on the source.
 */
function missShare(s: Scenario): number {
  if (s.backing.kind === 'postcopy') return s.backing.dirtyShare;
  const regionMiB = s.regions.reduce((n, r) => n + r.mib, 0);
  return regionMiB > 0 ? Math.min(1, Math.max(0, 1 - s.machine.hostResidentMiB / regionMiB)) : 0;
}

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

/** One task of a scenario entry as the estimate sees it: where it runs and what one pass costs. */
interface TaskLoad {
  readonly vcpu: number;
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
}

/**
 * The scenario's tasks at once, each on the vCPU the round-robin gives it (or its own). A job set
 * with a total shares its processes' passes among its slots.
 */
function taskLoads(s: Scenario): TaskLoad[] {
  const out: TaskLoad[] = [];
  let next = 0;
  for (const t of s.tasks) {
    const costs = t.program.map((step) => stepCost(step, s, 'ipi' in step ? ipiReach(step.ipi.target, t, s) : 'local'));
    const instances = tasksAtOnce(t);
    const total = t.jobs ? (t.jobs.total === undefined ? null : t.jobs.total * (t.passes ?? 1)) : (t.passes ?? null);
    // A process's own memory: each page's first touch is a guest fault with its clear, about 3
    // events, at each process's start, shared among its passes (a job set of 1-pass processes
    // over 1 MiB each took 53x its estimate without them).
    const memory = t.memory.reduce((n, m) => n + Math.ceil(m.mib * PAGES_PER_MIB), 0);
    // A job set's processes start again and again; another task touches its memory first once.
    const memPages = t.jobs ? memory / (t.passes ?? 1) : 0;
    const load = {
      startEvents: t.jobs ? 0 : MEMORY_PAGE_EVENTS * memory,
      until: s.until?.tasks.includes(t.name) ?? false,
      passes: total === null ? null : t.jobs ? total / instances : total,
      passNs: Math.max(1, costs.reduce((a, c) => a + c.ns, 0) + memPages * s.machine.anonFaultNs),
      // An IPI's longest is a remote call's: its exit and the handler on the target.
      passLongNs: Math.max(1, t.program.reduce((a, step) => a + stepCost(step, s, 'remote').ns, 0) + memPages * s.machine.anonFaultNs),
      passAsleepNs: costs.reduce((a, c) => a + c.asleepNs, 0),
      passEvents: costs.reduce((a, c) => a + c.events, 0) + MEMORY_PAGE_EVENTS * memPages,
      passPages: costs.reduce((a, c) => a + c.pages, 0),
    };
    for (let k = 0; k < instances; k++) out.push({ ...load, vcpu: t.vcpu ?? next++ % s.machine.vcpus });
  }
  return out;
}

/**
 * An estimate of the events a run takes: ticks, plus each vCPU's program steps. A task that loops
 * steps for the whole run, and a busy vCPU cannot step faster than its fastest task; a task with
 * fixed work (passes, or a job set's total) takes at most its passes' steps, every touched page
 * counted as a fault, however long the run. A run that ends when its `until` tasks have exited is
 * taken to last until untilMs() says they have, if that is sooner than durationMs. Faults of
 * looping tasks add a few events more each; it is meant to tell a minutes-long run from a
 * days-long one, not to predict, and runs high.
 */
export function estimateEvents(s: Scenario): number {
  const seconds = Math.min(s.durationMs, untilMs(s)) / 1000;
  const vcpus = s.machine.vcpus;
  const [sum, max, loopSum, loopMax, fixed] = Array.from({ length: 5 }, () => new Float64Array(vcpus));
  const miss = missShare(s);
  // Half the mean wait, so that the estimate runs high (gleb-2010-bm: 218,015 events, 2.3e5
  // estimated with the whole wait).
  const waitNs = meanFaultNs(s) / 2;
  let loopFaults = 0;
  let fixedFaults = 0;
  for (const t of taskLoads(s)) {
    // A task waits for its own faults, which slow its passes; their events are counted apart,
    // since the backing store bounds how many faults all tasks together get a second.
    const faults = t.passPages * miss;
    const passNs = t.passNs + faults * waitNs;
    const rate = (t.passEvents * 1e9) / passNs;
    // What the vCPU could step if this task had it all the time: its sleeps leave it to others
    // (50,000 tasks sleeping 1 ms between 0.1 µs computes were capped at one task's rate, 473x low).
    const busyRate = (t.passEvents * 1e9) / Math.max(1, passNs - t.passAsleepNs);
    sum[t.vcpu] += rate;
    max[t.vcpu] = Math.max(max[t.vcpu], busyRate);
    fixed[t.vcpu] += t.startEvents;
    if (t.passes === null) {
      loopSum[t.vcpu] += rate;
      loopMax[t.vcpu] = Math.max(loopMax[t.vcpu], busyRate);
      loopFaults += (faults * 1e9) / passNs;
    } else {
      // Its start and exit, its steps, and a fault per page it touches.
      fixed[t.vcpu] += 2 + t.passes * t.passEvents;
      fixedFaults += t.passes * t.passPages;
    }
  }
  let steps = 0;
  for (let v = 0; v < vcpus; v++) {
    const byTime = Math.min(sum[v], max[v]) * seconds;
    steps += Math.min(byTime, fixed[v] + Math.min(loopSum[v], loopMax[v]) * seconds);
  }
  const faults = Math.min(fixedFaults + loopFaults * seconds, faultsPerSecond(s, waitNs) * seconds, faultsAtMost(s));
  const ticks = vcpus * (s.machine.hz + HOST_TICK_EVENTS * (s.machine.hostHz ?? 0)) * seconds;
  return Math.round(ticks + steps + FAULT_EVENTS * faults + pushEvents(s, seconds));
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

/**
 * A high estimate of when the `until` tasks have exited, in ms; Infinity without `until`, or where the
 * backing gives no bound (post-copy: a request may wait behind the whole push). Each vCPU's
 * fixed work at nominal speed, plus a slice per task for the scheduler's turns, stretched by its
 * looping tasks taking their fair share; plus the until tasks' faults each waiting the longest
 * draw, queueDepth at a time (a task's own one after another); doubled for the exits,
 * injections and interrupts the nominal times leave out.
 */
function untilMs(s: Scenario): number {
  if (!s.until) return Infinity;
  const vcpus = s.machine.vcpus;
  const [work, tasks, loops] = Array.from({ length: 3 }, () => new Float64Array(vcpus));
  let pages = 0;
  let taskPages = 0;
  for (const t of taskLoads(s)) {
    tasks[t.vcpu]++;
    if (t.passes === null) loops[t.vcpu]++;
    else work[t.vcpu] += t.passes * t.passLongNs;
    if (t.until && t.passes !== null) {
      pages += t.passes * t.passPages;
      taskPages = Math.max(taskPages, t.passes * t.passPages);
    }
  }
  // A looping task's cross-calls may hold a vCPU for as long as their targets keep interrupts off,
  // over and over: nothing bounds when the `until` tasks get it back.
  if (s.tasks.some((t) => t.passes === undefined && !t.jobs?.total && t.program.some((step) => 'ipi' in step))) return Infinity;
  const slice = s.machine.sliceUs * 1000;
  let cpuNs = 0;
  for (let v = 0; v < vcpus; v++) cpuNs = Math.max(cpuNs, (work[v] + tasks[v] * slice) * (1 + loops[v]));
  // A CPU taken down sends its tasks to another, which may be the busiest: all on one, high
  // (an `until` task moved onto a vCPU of 8 looping tasks took 4x the window of its own vCPU).
  if ((s.events ?? []).some((e) => 'offline' in e)) {
    const sum = (a: Float64Array) => a.reduce((n, x) => n + x, 0);
    cpuNs = (sum(work) + sum(tasks) * slice) * (1 + sum(loops));
  }
  return (2 * (cpuNs + untilIpiWaitNs(s) + untilIoNs(s, pages, taskPages))) / 1e6;
}

/**
 * The cross-calls of tasks with fixed work (a looping one's make untilMs() unbounded), each
 * spinning until its target runs the handler: at most the
 * longest interrupts-off or preempt-off section of any task, a slice, and the longest wait for a
 * page (a target blocked in a synchronous fault), one after another (200 IPIs to a vCPU in 100 ms
 * irqoff sections took 10 s, estimated at 16 ms without them).
 */
function untilIpiWaitNs(s: Scenario): number {
  // A target blocked in a synchronous fault waits behind the reads queued ahead of its own: one per
  // vCPU, a queue's worth at a time (256 vCPUs on a queue of 1 took 12x the one read's wait).
  const b = s.backing;
  const reads = Math.ceil(s.machine.vcpus / (b.kind === 'postcopy' ? 1 : b.queueDepth));
  const page = b.kind === 'postcopy' ? b.rttUs * 1000 + (reads * PAGE_SIZE * 1000) / b.bandwidthMBps : reads * longestDrawUs(b.latency) * 1000;
  let ipis = 0;
  let section = 0;
  for (const t of s.tasks) {
    for (const step of t.program) {
      // A section's touches fault synchronously (no APF with interrupts off), each a page's wait
      // (1,000 post-copy pages in one irqoff section: 38x low counting its touches' time only).
      if ('irqoff' in step || 'preemptoff' in step) {
        const c = stepCost(step, s);
        section = Math.max(section, c.ns + c.pages * page);
      }
      // Any task's: one spinning on an `until` task's vCPU keeps it from running (10 tasks' calls to
      // a vCPU in 10 ms irqoff sections starved one 135x past the window estimated).
      if ('ipi' in step) ipis += tasksAtOnce(t) * (t.jobs?.total ?? 1) * (t.passes ?? 1);
    }
  }
  if (ipis === 0) return 0;
  return ipis * (section + s.machine.sliceUs * 1000 + page);
}

/**
 * How long the `until` tasks' `pages` (`taskPages` for the one that touches most) take to come in,
 * high: each read at the device's longest draw, its queue's worth at once; over post-copy, each
 * page a round trip and every one of them through the link.
 */
function untilIoNs(s: Scenario, pages: number, taskPages: number): number {
  const b = s.backing;
  if (b.kind === 'postcopy') return taskPages * b.rttUs * 1000 + (pages * PAGE_SIZE * 1000) / b.bandwidthMBps;
  return Math.max(taskPages, pages / b.queueDepth) * longestDrawUs(b.latency) * 1000;
}

/**
 * Refuses a scenario larger than a laptop runs in minutes (SIZE), naming the limit and how to
 * raise it (`raise` is the caller's instruction, e.g. a command-line option).
 */
export function checkScenarioSize(s: Scenario, file: string, raise: string): void {
  const tasks = s.tasks.reduce((n, t) => n + tasksAtOnce(t), 0);
  const pages = Math.round(s.machine.guestMemoryMiB * PAGES_PER_MIB);
  const events = estimateEvents(s);
  const over = (field: string, what: string, limit: string) => new ScenarioError(file, field, `${what}, more than the ${limit} a laptop runs in minutes; ${raise}`);
  if (s.machine.vcpus > SIZE.vcpus) throw over('machine.vcpus', `${s.machine.vcpus} vCPUs`, `${SIZE.vcpus}`);
  if (tasks > SIZE.tasks) throw over('tasks', `${tasks} tasks`, `${SIZE.tasks}`);
  if (pages > SIZE.guestPages) throw over('machine.guestMemoryMiB', `${pages} guest pages`, `${SIZE.guestPages} (64 GiB)`);
  if (events > SIZE.expectedEvents) throw over('durationMs', `about ${events.toExponential(1)} events expected`, `${SIZE.expectedEvents.toExponential(0)}`);
}
