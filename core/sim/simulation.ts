import type { AsyncPfWork, Backend, ExitKind, GuestKernel } from '../backend.js';
import { EventQueue, type PoppedEvent } from '../engine/event-queue.js';
import { RandomStreams, type RandomStream } from '../engine/rng.js';
import { InterruptedError } from '../errors.js';
import { KERNEL_PAGES_PER_TASK, KERNEL_PAGES_PER_VCPU, type CodePhase, type KernelPage, type Privilege } from '../guest/code-layout.js';
import type { CallSingleData } from '../guest/smp.js';
import { ProcessMemory } from '../guest/mm.js';
import { FreePages } from '../guest/page-alloc.js';
import { PageCache } from '../guest/page-cache.js';
import { compileStep, Task, type RegionLayout } from '../guest/task.js';
import { InvariantMonitor } from '../invariants.js';
import { SwapReadahead } from '../host/swap-readahead.js';
import { PostcopyBlocktime } from '../host/postcopy-blocktime.js';
import { HostMemory } from '../machine/memory.js';
import { PostcopyLink } from '../machine/postcopy.js';
import { SwapDevice } from '../machine/swap.js';
import { MetricsCollector, type TimeCategory } from '../metrics.js';
import { tasksAtOnce } from '../scenario/bounds.js';
import type { Scenario, TaskSpec } from '../scenario/schema.js';
import { EV_HOST_TICK, EV_IO_DONE, EV_IPI, EV_IPI_DONE, EV_MEASURE_END, EV_POSTCOPY_REQUEST, EV_POSTCOPY_SENT, EV_STEP, EV_TICK, EV_TIMER } from './events.js';
import * as entry from './guest-entry.js';
import * as guest from './guest-kernel.js';
import * as sched from './guest-sched.js';
import * as host from './host-async-pf.js';
import { jobExited, JobSet } from './jobs.js';
import * as irq from './irq.js';
import * as seg from './segment.js';
import * as run from './vcpu-run.js';
import type { Machine, SimulationOptions } from './machine.js';
import { Vcpu } from './vcpu.js';
import { ReclaimThrottle, SWAP_CLUSTER_MAX } from '../host/reclaim-throttle.js';

export type { SimulationOptions } from './machine.js';

const MIB_PAGES = 256;
/** Slices of the duration that work is also summed by, for a work-over-time curve (RunMetrics.workOverTime). */
export const WORK_INTERVALS = 100;
/**
 * A runaway guard: this many events in a row at one simulated instant is a loop that makes no
 * progress (a broken backend re-entering forever). Valid scenarios advance time with every
 * touch, slice or exit; the busiest instant of the test suite's runs takes a few hundred events.
 */
const MAX_EVENTS_AT_ONE_INSTANT = 1_000_000;

/** How often run() reports progress and looks at the abort flag: cheap next to 65,536 events. */
const PROGRESS_EVENTS = 65_536;

/**
 * The deterministic discrete-event machine: vCPUs running guest tasks, a host with a memory
 * limit and a swap device, and the arch-neutral APF flow of PROTOCOLS.md §2 (host) and §3
 * (guest), asking the backend at each decision point.
 *
 * This file is the engine: it builds the machine, runs the event loop, dispatches each event to
 * the file KVM or Linux would handle it in, closes the measured window and the invariants. The
 * rest is cut where the kernel cuts it: core/sim/vcpu-run.ts (vcpu_run()), irq.ts (interrupt
 * delivery), guest-sched.ts (kernel/sched), segment.ts (time accounting), host-async-pf.ts
 * (virt/kvm/async_pf.c), guest-kernel.ts (the guest's kvm.c and smp.c). They act on the Machine
 * (core/sim/machine.ts) that this class implements, with thin delegators below.
 */
export class Simulation implements Machine {
  readonly metrics = new MetricsCollector();
  readonly monitor: InvariantMonitor;
  readonly vcpus: Vcpu[];
  readonly tasks: Task[] = [];
  readonly memory: HostMemory;
  /** The backing store: a swap device, or the link of a post-copy migration (scenario `backing.kind`). */
  readonly swap: SwapDevice | null = null;
  readonly postcopy: PostcopyLink | null = null;
  /** Post-copy only: how long vCPUs sat waiting for pages from the source. */
  readonly blocktime: PostcopyBlocktime | null = null;
  readonly queue = new EventQueue(4096);
  readonly ioWaiters = new Map<number, (AsyncPfWork | Vcpu)[]>();
  readonly readahead: SwapReadahead;
  readonly readaheadIo = new Map<number, number>();
  readonly readaheadOf = new Map<number, number[]>();
  readonly reclaim = new ReclaimThrottle();
  readonly hugeClearNs: number | null;
  private readonly hostTickNs: number | null;
  private readonly regions = new Map<string, RegionLayout>();
  readonly tickNs: number;
  private readonly sliceNs: number;
  readonly ctxSwitchNs: number;
  readonly touchNs: number;
  readonly anonFaultNs: number;
  readonly preemption: 'none' | 'voluntary' | 'full';
  /**
   * The guest's free pages, where processes' memory comes from (core/guest/page-alloc.ts): the
   * guest memory after its kernel pages and regions. Null when no task has memory of its own.
   */
  readonly freePages: FreePages | null = null;
  /**
   * The guest's page cache that its reclaim drops (core/guest/page-cache.ts): the `pageCache`
   * regions and the files processes wrote. Null when the scenario has neither.
   */
  readonly pageCache: PageCache | null = null;
  /** The job sets (make -jN) by task group. */
  private readonly jobSets = new Map<string, JobSet>();
  private readonly streams: RandomStreams;
  /** The end of the measured window: durationMs, or earlier when the `until` tasks have all exited. */
  measureEnd: number;
  private hardEnd = 0;
  /** Tasks of the scenario's `until` groups that have not exited yet (counted down, not searched, at each exit). */
  private untilLeft = 0;
  draining = false;
  workId = 0;
  readonly csds = new Map<number, CallSingleData>();
  csdId = 0;
  now = 0;
  readonly workNsByGroup = new Map<string, number>();
  readonly workNsByInterval = new Float64Array(WORK_INTERVALS);
  readonly workIntervalNs: number;
  events = 0;
  endTime = 0;
  /** Announced tokens whose work was still on its way when the run stopped. */
  inFlightAtEnd = 0;
  stoppedEarly: string | null = null;
  private aborted: string | null = null;
  /** Who wins when a pending interrupt meets a re-faulting instruction (Backend.caps.irqVsRefault). */
  readonly irqRace: RandomStream;
  readonly contextSwitch: CodePhase | null;
  /**
   * The guest kernel's own pages when the host may evict them (machine.guestKernelPages
   * `swappable`), laid out first: each task's stack, thread-info and thread pages, then each
   * vCPU's idle stack and per-CPU pages (core/guest/code-layout.ts KernelPage). Null when pinned.
   */
  private readonly kernelPagesOf: { readonly tasks: number } | null;

  constructor(
    readonly scenario: Scenario,
    readonly backend: Backend,
    readonly options: SimulationOptions,
  ) {
    const m = scenario.machine;
    this.tickNs = Math.round(1e9 / m.hz);
    this.sliceNs = Math.round(m.sliceUs * 1000);
    this.ctxSwitchNs = Math.round(m.contextSwitchNs);
    this.touchNs = Math.round(m.touchNs);
    this.hugeClearNs = m.hostThp ? Math.round(m.hugeClearUs * 1000) : null;
    this.hostTickNs = m.hostHz === undefined ? null : Math.round(1e9 / m.hostHz);
    this.anonFaultNs = Math.round(m.anonFaultNs);
    this.preemption = m.preemption;
    this.measureEnd = Math.round(scenario.durationMs * 1e6);
    this.workIntervalNs = Math.max(1, Math.ceil(this.measureEnd / WORK_INTERVALS));
    this.monitor = new InvariantMonitor(m.vcpus, backend.caps);
    const streams = (this.streams = new RandomStreams(options.seed));
    this.memory = new HostMemory(Math.round(m.guestMemoryMiB * MIB_PAGES), Math.round(m.hostResidentMiB * MIB_PAGES));
    const backing = scenario.backing;
    this.readahead = new SwapReadahead(backing.kind === 'swap' ? backing.pageCluster : 0, this.memory.guestPages);
    // The swap stream is issued either way, so that the streams after it are the same for both kinds.
    const swapStream = streams.stream('swap');
    if (backing.kind === 'swap') {
      this.swap = new SwapDevice(backing.latency, backing.queueDepth, swapStream, (gfn, at) => this.queue.push(at, EV_IO_DONE, gfn, 0));
    } else {
      const kinds = { 'request-arrived': EV_POSTCOPY_REQUEST, sent: EV_POSTCOPY_SENT, arrived: EV_IO_DONE } as const;
      this.postcopy = new PostcopyLink(this.memory.guestPages, backing, (at, what, gfn) => this.queue.push(at, kinds[what], gfn, 0));
      this.blocktime = new PostcopyBlocktime(m.vcpus);
    }
    // A job set's processes take the kernel stack slots of those they replace: `concurrent` of them.
    const taskCount = scenario.tasks.reduce((n, t) => n + tasksAtOnce(t), 0);
    this.kernelPagesOf = m.guestKernelPages === 'swappable' ? { tasks: taskCount } : null;
    let gfn = this.kernelPagesOf ? KERNEL_PAGES_PER_TASK * taskCount + KERNEL_PAGES_PER_VCPU * m.vcpus : 0;
    this.memory.populate(0, gfn); // the guest kernel's own pages have contents
    const cs = backend.caps.codeLayout.contextSwitch;
    this.contextSwitch = this.ctxSwitchNs > 0 ? { ...cs, ns: this.ctxSwitchNs } : null;
    for (const r of scenario.regions) {
      const pages = Math.max(1, Math.round(r.mib * MIB_PAGES));
      this.regions.set(r.name, { name: r.name, firstGfn: gfn, pages });
      if (r.populated) {
        this.memory.populate(gfn, pages, r.onSwap);
        this.postcopy?.addRegion(gfn, pages);
      }
      gfn += pages;
    }
    const cached = scenario.regions.some((r) => r.pageCache) || scenario.tasks.some((t) => t.memory.some((a) => a.kind === 'file'));
    if (cached) {
      // Oldest first: the regions in file order, each from its last page (README "Assumptions").
      const cache = (this.pageCache = new PageCache(this.memory.guestPages));
      for (const r of scenario.regions) {
        const l = this.regions.get(r.name)!;
        if (r.pageCache) for (let g = l.firstGfn + l.pages - 1; g >= l.firstGfn; g--) cache.add(g);
      }
    }
    if (scenario.tasks.some((t) => t.memory.length > 0)) {
      // Reclaim may free page-cache frames into the pool: it can come to hold any frame.
      this.freePages = new FreePages(gfn, this.memory.guestPages - gfn, cached ? this.memory.guestPages : undefined);
    }
    if (this.postcopy) {
      // Everything the precopy phase migrated is mapped on the destination; the rest is on the source.
      for (let g = 0; g < this.memory.guestPages; g++) if (this.memory.isPopulated(g) && !this.postcopy.isMissing(g)) this.memory.insert(g);
    } else {
      this.memory.prefill();
    }
    const swap = this.swap;
    if (swap) {
      this.memory.onWriteback = () => swap.write(this.now);
      // Reclaim stalls once the device holds as many write batches as it serves at once (reclaim-throttle.ts).
      this.memory.writebackLimit = SWAP_CLUSTER_MAX * swap.queueDepth;
    }
    const sched = {
      sliceNs: this.sliceNs,
      wakeupGranularityNs: Math.round(m.wakeupGranularityUs * 1000),
      latencyNs: Math.round(m.schedLatencyUs * 1000),
    };
    this.vcpus = Array.from({ length: m.vcpus }, (_, i) => new Vcpu(i, this, sched));
    let next = 0;
    for (const spec of scenario.tasks) {
      const set = spec.jobs ? new JobSet(spec, spec.jobs) : null;
      if (set) this.jobSets.set(spec.name, set);
      const n = set ? set.initial : spec.count;
      for (let k = 0; k < n; k++) {
        const vcpu = spec.vcpu ?? next++ % m.vcpus;
        const name = spec.count > 1 || set ? `${spec.name}/${k}` : spec.name;
        this.vcpus[vcpu].runq.enqueue(this.createTask(spec, vcpu, name, this.tasks.length));
        if (set) set.started++;
      }
    }
    const until = scenario.until;
    // A job set counts once: it is done when its last process exits.
    if (until) this.untilLeft = scenario.tasks.filter((t) => until.tasks.includes(t.name)).reduce((n, t) => n + (t.jobs ? 1 : t.count), 0);
    // Issued after every other actor, so that adding it changed no existing stream.
    this.irqRace = streams.stream('irq-vs-refault');
  }

  /**
   * A new task of `spec` on `vcpu` (not yet on a run queue): its program compiled for that vCPU, its
   * own random stream (issued in creation order, so that a run is the same every time), and its own
   * memory, empty until touched.
   */
  createTask(spec: TaskSpec, vcpu: number, name: string, kernelSlot: number): Task {
    const id = this.tasks.length;
    const regions = spec.memory.length === 0 ? this.regions : new Map(this.regions);
    const pages = spec.memory.map((a, i) => {
      const n = Math.max(1, Math.round(a.mib * MIB_PAGES));
      regions.set(a.name, { name: a.name, firstGfn: -1, pages: n, anon: i, file: a.kind === 'file' });
      return n;
    });
    const program = spec.program.map((s) => compileStep(s, regions, { vcpu, vcpus: this.vcpus.length }));
    const passes = spec.passes ?? (spec.jobs ? 1 : null);
    const mm = pages.length > 0 ? new ProcessMemory(pages, spec.memory.map((a) => a.kind === 'file')) : null;
    const task = new Task(id, name, spec.name, vcpu, program, this.streams.stream(`task:${id}`), passes, spec.vcpu !== undefined, mm, kernelSlot);
    this.tasks.push(task);
    return task;
  }

  // ---------------------------------------------------------------- running

  /** Create each vCPU's arch state and run the guest's per-CPU APF init (kvm_guest_cpu_init()). */
  boot(guestInit = true): void {
    for (const v of this.vcpus) {
      v.state = this.backend.createVcpuState(v.id);
      if (guestInit) this.backend.guestInit(v);
      guest.requestCallFunctionIrq(this, v);
    }
  }

  run(): void {
    this.boot();
    for (const v of this.vcpus) {
      this.queue.push(v.cursor, EV_STEP, v.id, v.epoch);
      this.queue.push(this.tickNs, EV_TICK, v.id, 0);
      // Half a period out of phase with the guest's tick (the two clocks are not aligned).
      if (this.hostTickNs !== null) this.queue.push(Math.round(this.hostTickNs / 2), EV_HOST_TICK, v.id, 0);
    }
    this.queue.push(this.measureEnd, EV_MEASURE_END, 0, 0);
    // The run starts at the switch to post-copy: the source starts sending what is left.
    this.postcopy?.start(0);
    const drain = this.scenario.drain;
    this.hardEnd = this.measureEnd + (drain.enabled ? Math.round(drain.maxMs * 1e6) : 0);
    const ev: PoppedEvent = { time: 0, kind: 0, a: 0, b: 0 };
    let sameInstant = 0;
    while (this.queue.size > 0 && this.aborted === null) {
      if (this.queue.peekTime() > this.hardEnd) {
        this.queue.pop(ev);
        // The duration cap of a window the `until` tasks ended early is not work left undone.
        if (ev.kind === EV_MEASURE_END && ev.time !== this.measureEnd) continue;
        this.stoppedEarly = drain.enabled ? 'drain timed out' : null;
        break;
      }
      this.queue.pop(ev);
      sameInstant = ev.time === this.now ? sameInstant + 1 : 0;
      this.now = ev.time;
      this.events++;
      if (sameInstant > MAX_EVENTS_AT_ONE_INSTANT) {
        this.abort(`${MAX_EVENTS_AT_ONE_INSTANT} events at ${this.now} ns without simulated time advancing: a vCPU is spinning`);
        break;
      }
      this.dispatch(ev);
      if (this.events % PROGRESS_EVENTS === 1) this.reportProgress(this.hardEnd);
      if (this.options.stopWhen?.(this.now)) {
        this.stoppedEarly = `stopped at ${this.now} ns by the caller`;
        break;
      }
      if (!drain.enabled && this.now >= this.measureEnd) break;
    }
    // A run cut short claims only the time it simulated.
    this.endTime = this.aborted !== null ? this.now : Math.max(this.now, this.measureEnd);
    if (!this.draining) this.endMeasurement(Math.min(this.measureEnd, this.endTime));
    this.closeInvariants();
  }

  /**
   * A task ran all its passes and exited at `t`. When it was the last of the scenario's `until`
   * tasks, the measured window ends there (and the drain, if on, runs from there).
   */
  taskExited(task: Task, t: number): void {
    // exit_mmap(): its frames go back to the guest's free pages; the files it wrote stay cached.
    if (task.mm !== null) task.mm.release(this.freePages!, this.pageCache);
    if (this.metrics.measuring) this.metrics.taskExits.add(task.group);
    const set = this.jobSets.get(task.group);
    // A job set completes once, when its last process exits (a build's time); a task, when it exits.
    if (set !== undefined && !jobExited(this, set, task)) return;
    if (this.metrics.measuring) this.metrics.completions.push({ group: task.group, ns: t });
    const until = this.scenario.until;
    if (!until || this.draining || !until.tasks.includes(task.group)) return;
    if (--this.untilLeft > 0) return;
    const end = Math.min(t, this.measureEnd);
    this.hardEnd -= this.measureEnd - end;
    this.measureEnd = end;
    this.queue.push(end, EV_MEASURE_END, 0, 0);
  }

  /** Stop the run here: a livelock, reported as invariant 7, and the output says where it stopped. */
  abort(reason: string): void {
    this.aborted = reason;
    this.stoppedEarly = `stopped at ${this.now} ns: ${reason}`;
    this.monitor.violate(7, this.now, 0, reason);
  }

  private reportProgress(hardEnd: number): void {
    this.options.onProgress?.(this.now, hardEnd);
    if (this.options.signal?.aborted) throw new InterruptedError();
  }

  private dispatch(ev: PoppedEvent): void {
    switch (ev.kind) {
      case EV_STEP: {
        const v = this.vcpus[ev.a];
        if (ev.b === v.epoch) run.onStep(this, v);
        return;
      }
      case EV_TICK:
        return sched.onTick(this, this.vcpus[ev.a]);
      case EV_HOST_TICK:
        if (!this.draining) this.queue.push(this.now + this.hostTickNs!, EV_HOST_TICK, ev.a, 0);
        return run.hostTick(this, this.vcpus[ev.a]);
      case EV_IO_DONE:
        return this.onIoDone(ev.a);
      case EV_TIMER:
        return sched.onTimer(this, this.tasks[ev.a]);
      case EV_MEASURE_END:
        if (!this.draining && ev.time === this.measureEnd) this.endMeasurement(ev.time);
        return;
      case EV_IPI:
        return guest.onIpi(this, ev.a);
      case EV_IPI_DONE:
        return guest.onCsdUnlocked(this, ev.a);
      case EV_POSTCOPY_REQUEST:
        return this.postcopy!.onRequestArrived(ev.a, ev.time);
      case EV_POSTCOPY_SENT:
        return this.postcopy!.onSent(ev.a, ev.time);
    }
  }

  private endMeasurement(t: number): void {
    for (const v of this.vcpus) {
      run.closeWait(this, v, t);
      if (v.segment) {
        seg.preempt(this, v, t);
        this.schedule(v, v.cursor);
      }
    }
    this.metrics.measuring = false;
    this.draining = true;
  }

  private closeInvariants(): void {
    const sleeping = this.tasks
      .filter((t) => t.state === 'sleeping')
      .map((t) => ({ vcpu: t.vcpu, task: t.name, token: t.sleepToken }));
    // A task halted in the guest (its halt frame) waits on its token as a sleeper does.
    for (const v of this.vcpus) {
      const top = v.frames[v.frames.length - 1];
      if (top?.haltToken !== undefined && top.haltToken >= 0) sleeping.push({ vcpu: v.id, task: v.current?.name ?? 'idle', token: top.haltToken });
    }
    const halted = this.vcpus
      .filter((v) => v.mode === 'halt')
      .map((v) => ({ vcpu: v.id, hasWork: v.apf.inFlight.size > 0 || v.apf.done.length > 0 }));
    this.inFlightAtEnd = this.monitor.finish(this.now, sleeping, halted, (vcpu, token) =>
      this.vcpus[vcpu].apf.hasOutstandingToken(token),
    );
  }

  schedule(v: Vcpu, t: number): void {
    v.epoch++;
    this.queue.push(t, EV_STEP, v.id, v.epoch);
  }

  // ---------------------------------------------------------------- the Machine's services (core/sim/machine.ts)

  // Time (core/sim/segment.ts).
  charge(v: Vcpu, cat: TimeCategory, ns: number): void {
    seg.charge(this, v, cat, ns);
  }
  hostExit(v: Vcpu, name: string, kind: ExitKind, hostNs = 0): void {
    seg.hostExit(this, v, name, kind, hostNs);
  }
  preempt(v: Vcpu, t: number): void {
    seg.preempt(this, v, t);
  }
  advance(v: Vcpu, task: Task): void {
    seg.advance(this, v, task);
  }

  // The vCPU run loop and its waits (core/sim/vcpu-run.ts); enterGuest() is public for core/harness.ts.
  enterGuest(v: Vcpu): void {
    run.enterGuest(this, v);
  }
  sync(v: Vcpu): void {
    run.sync(this, v);
  }
  enterWait(v: Vcpu, mode: 'sync' | 'halt' | 'idle'): void {
    run.enterWait(this, v, mode);
  }
  leaveWait(v: Vcpu): void {
    run.leaveWait(this, v);
  }
  wakesFromWait(v: Vcpu): boolean {
    return run.wakesFromWait(this, v);
  }
  resumeWouldFault(v: Vcpu): boolean {
    return run.resumeWouldFault(this, v);
  }
  kick(v: Vcpu): void {
    run.kick(this, v);
  }
  wakeUp(v: Vcpu): void {
    run.wakeUp(this, v);
  }
  setRunnable(v: Vcpu): void {
    run.setRunnable(this, v);
  }

  // Exception entry and exit (core/sim/guest-entry.ts).
  exceptionReturn(v: Vcpu, to: Privilege): void {
    entry.exceptionReturn(this, v, to);
  }
  kernelPageGfn(v: Vcpu, page: KernelPage): number {
    const k = this.kernelPagesOf;
    if (k === null) return -1;
    const cpuBase = KERNEL_PAGES_PER_TASK * k.tasks + KERNEL_PAGES_PER_VCPU * v.id;
    const t = v.current;
    // The idle task's stack has its own page; its task struct lives with the per-CPU data.
    if (page === 'percpu' || (!t && page !== 'stack')) return cpuBase + 1;
    if (!t) return cpuBase;
    return KERNEL_PAGES_PER_TASK * t.kernelSlot + (page === 'stack' ? 0 : page === 'thread-info' ? 1 : 2);
  }

  // Interrupt delivery (core/sim/irq.ts).
  interrupt(v: Vcpu): void {
    irq.interrupt(this, v);
  }
  raiseIrq(v: Vcpu, line: number, signal: 'not-present' | 'ready' | 'other', level: boolean, token?: number): void {
    irq.raiseIrq(this, v, line, signal, level, token);
  }

  // The guest scheduler (core/sim/guest-sched.ts).
  deschedule(v: Vcpu): Task {
    return sched.deschedule(this, v);
  }
  makeRunnable(task: Task): void {
    sched.makeRunnable(this, task);
  }

  // ---------------------------------------------------------------- host APF flow (core/sim/host-async-pf.ts)

  /** A stage-2 fault by the current task on `gfn` (PROTOCOLS.md §2). Public for core/harness.ts. */
  stage2Fault(v: Vcpu, gfn: number): void {
    host.stage2Fault(this, v, gfn);
  }
  /** KvmVcpu.startAsyncPf(): kvm_setup_async_pf() for a page the guest asked for itself. */
  startAsyncPf(v: Vcpu, gfn: number): { ok: true; token: number } | { ok: false; reason: string } {
    return host.startAsyncPf(this, v, gfn);
  }
  /** The backing store finished reading `gfn`. Public for core/harness.ts. */
  onIoDone(gfn: number): void {
    host.onIoDone(this, gfn);
  }
  /** kvm_check_async_pf_completion() */
  checkCompletion(v: Vcpu): void {
    host.checkCompletion(this, v);
  }
  /** kvm_async_pf_wakeup_all() */
  wakeupAll(v: Vcpu): void {
    host.wakeupAll(this, v);
  }
  clearCompletionQueue(v: Vcpu): void {
    host.clearCompletionQueue(this, v);
  }

  /** The guest kernel a backend's guest half calls (core/sim/guest-kernel.ts). */
  guestKernelFor(v: Vcpu): GuestKernel {
    return guest.guestKernelFor(this, v);
  }

  // ---------------------------------------------------------------- tracing

  /** Callers test `options.trace` first, so that an untraced run builds no field objects. */
  trace(v: Vcpu, event: string, fields: Readonly<Record<string, number>>): void {
    this.options.trace?.(v.cursor, v.id, event, fields);
  }
}
