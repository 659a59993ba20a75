import type { AsyncPfWork, Backend, ExitKind, GuestKernel } from '../backend.js';
import { EventQueue, type PoppedEvent } from '../engine/event-queue.js';
import { IntMap } from '../engine/int-map.js';
import { RandomStreams, type RandomStream } from '../engine/rng.js';
import { InterruptedError } from '../errors.js';
import { type CodePhase, type KernelPage, type Privilege } from '../guest/code-layout.js';
import type { CallSingleData } from '../guest/smp.js';
import type { FreePages } from '../guest/page-alloc.js';
import type { PageCache } from '../guest/page-cache.js';
import type { RegionLayout, Task } from '../guest/task.js';
import { InvariantMonitor } from '../invariants.js';
import type { SwapReadahead } from '../host/swap-readahead.js';
import type { PostcopyBlocktime } from '../host/postcopy-blocktime.js';
import { HostMemory } from '../machine/memory.js';
import type { PostcopyLink } from '../machine/postcopy.js';
import type { SwapDevice, SwapFigures } from '../machine/swap.js';
import { Counter, MetricsCollector, type TimeCategory } from '../metrics.js';
import type { Scenario, TaskSpec } from '../scenario/schema.js';
import { pastSizeLimit } from '../scenario/size-limit.js';
import { EV_HOST_TICK, EV_MEASURE_END, EV_TICK, EV_VM_EVENT } from './events.js';
import * as entry from './guest-entry.js';
import * as guest from './guest-kernel.js';
import * as sched from './guest-sched.js';
import * as completion from './async-pf-completion.js';
import * as host from './host-async-pf.js';
import { copyProcess, initialTasks, type ForkContext } from './fork.js';
import { exitTask, type JobSet } from './jobs.js';
import * as irq from './irq.js';
import * as seg from './segment.js';
import { dispatch } from './dispatch.js';
import * as run from './vcpu-run.js';
import type { Machine, SimulationOptions, TasksCreated } from './machine.js';
import { Vcpu } from './vcpu.js';
import { schedParams } from '../guest/fair-class.js';
import { ReclaimThrottle } from '../host/reclaim-throttle.js';
import { createBackingStore, startBackingStore } from './backing-store.js';
import { closeInvariants } from './close-invariants.js';
import { kernelPageGfn, layoutGuestMemory, MIB_PAGES } from './guest-memory-map.js';
import { NotWork } from './not-work.js';
import { SleepTimers } from './sleep-timers.js';
import type { ChargedAhead } from './charged-ahead.js';
import { UntilWindow } from './until-window.js';

export type { SimulationOptions } from './machine.js';

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
 * This file is the engine: it builds the machine, runs the event loop (each event goes to the
 * file KVM or Linux would handle it in: dispatch.ts), closes the measured window and the invariants. The
 * rest is cut where the kernel cuts it: core/sim/vcpu-run.ts (vcpu_run()), irq.ts (interrupt
 * delivery), guest-sched.ts (kernel/sched), segment.ts (time accounting), host-async-pf.ts
 * (the mmu fault path and the work's setup), async-pf-completion.ts (virt/kvm/async_pf.c's end), guest-kernel.ts (the guest's kvm.c and smp.c), guest-memory-map.ts (the
 * guest's memory layout at boot), backing-store.ts (swap device or post-copy link), fork.ts
 * (copy_process()). They act on the Machine
 * (core/sim/machine.ts) that this class implements, with thin delegators below.
 */
export class Simulation implements Machine {
  readonly metrics = new MetricsCollector();
  readonly monitor: InvariantMonitor;
  readonly vcpus: Vcpu[];
  readonly idleVcpus = new Set<number>();
  readonly tasks: Task[] = [];
  readonly tasksCreated: TasksCreated = { total: 0, byGroup: new Map() };
  readonly memory: HostMemory;
  /** The backing store: a swap device, or the link of a post-copy migration (scenario `backing.kind`). */
  readonly swap: SwapDevice | null;
  readonly postcopy: PostcopyLink | null;
  /** Post-copy only: how long vCPUs sat waiting for pages from the source. */
  readonly blocktime: PostcopyBlocktime | null;
  /**
   * Sized to the machine: a vCPU keeps a few events pending (its step, its ticks) and reads in
   * flight add theirs; the queue doubles when that is not enough. A small machine (a protocol
   * harness, built thousands of times by core/check/) then costs little to build.
   */
  readonly queue: EventQueue;
  readonly ioWaiters = new IntMap<(AsyncPfWork | Vcpu)[]>();
  readonly readahead: SwapReadahead;
  readonly readaheadIo = new IntMap<number>();
  readonly readaheadOf = new IntMap<number[]>();
  readonly reclaim = new ReclaimThrottle();
  readonly hugeClearNs: number | null;
  readonly hostTickNs: number | null;
  /** Events allowed (options.sizeLimit), Infinity without a limit. */
  private readonly eventLimit: number;
  private readonly regions: Map<string, RegionLayout>;
  readonly tickNs: number;
  readonly ctxSwitchNs: number;
  readonly touchNs: number;
  readonly anonFaultNs: number;
  readonly preemption: 'none' | 'voluntary' | 'full';
  /** The guest's free pages and page cache (core/sim/guest-memory-map.ts). */
  readonly freePages: FreePages | null;
  readonly pageCache: PageCache | null;
  /** The job sets (make -jN) by task group. */
  private readonly jobSets: Map<string, JobSet>;
  private readonly streams: RandomStreams;
  /** The end of the measured window: durationMs, or earlier when the `until` tasks have all exited. */
  measureEnd: number;
  private hardEnd = 0;
  private readonly until: UntilWindow | null;
  readonly chargedAhead: ChargedAhead | null;
  draining = false;
  workId = 0;
  readonly csds = new IntMap<CallSingleData>();
  csdId = 0;
  now = 0;
  /** Work (ns) by task group: integers, so that their sum does not depend on the order. */
  readonly workNsByGroup = new Counter();
  readonly workNsByInterval = new Float64Array(WORK_INTERVALS);
  readonly workIntervalNs: number;
  events = 0;
  endTime = 0;
  /** Announced tokens whose work was still on its way when the run stopped. */
  inFlightAtEnd = 0;
  /**
   * The host's swap figures when the measured window ended (endMeasurement()): the I/O and the
   * evictions of the drain are left out, as its faults are (core/metrics.ts).
   */
  hostAtWindowEnd: { readonly swap: SwapFigures | null; readonly evictions: number; readonly writebackStalls: number } | null = null;
  /** The drain ends when nothing but these is queued (run()). */
  readonly timers: SleepTimers;
  readonly notWork: NotWork;
  stoppedEarly: string | null = null;
  private aborted: string | null = null;
  /** Who wins when a pending interrupt meets a re-faulting instruction (Backend.caps.irqVsRefault). */
  readonly irqRace: RandomStream;
  readonly contextSwitch: CodePhase | null;
  readonly contextSwitchCode: readonly CodePhase[] | null;
  /** The guest kernel's own pages when the host may evict them (core/sim/guest-memory-map.ts). */
  private readonly kernelPagesOf: { readonly tasks: number } | null;

  constructor(
    readonly scenario: Scenario,
    readonly backend: Backend,
    readonly options: SimulationOptions,
  ) {
    const m = scenario.machine;
    this.queue = new EventQueue(Math.max(64, 16 * m.vcpus));
    this.timers = new SleepTimers(this.queue);
    this.notWork = new NotWork(this.queue, this.timers);
    this.tickNs = Math.round(1e9 / m.hz);
    this.ctxSwitchNs = Math.round(m.contextSwitchNs);
    this.touchNs = Math.round(m.touchNs);
    this.hugeClearNs = m.hostThp ? Math.round(m.hugeClearUs * 1000) : null;
    this.hostTickNs = m.hostHz === undefined ? null : Math.round(1e9 / m.hostHz);
    this.eventLimit = options.sizeLimit?.events ?? Infinity;
    this.anonFaultNs = Math.round(m.anonFaultNs);
    this.preemption = m.preemption;
    this.measureEnd = Math.round(scenario.durationMs * 1e6);
    this.workIntervalNs = Math.max(1, Math.ceil(this.measureEnd / WORK_INTERVALS));
    this.monitor = new InvariantMonitor(m.vcpus, backend.caps);
    const streams = (this.streams = new RandomStreams(options.seed));
    this.memory = new HostMemory(Math.round(m.guestMemoryMiB * MIB_PAGES), Math.round(m.hostResidentMiB * MIB_PAGES));
    // The swap stream is issued whatever the backing, so that the streams after it are the same for both kinds.
    const store = createBackingStore(scenario, this.memory, streams.stream('swap'), (at, kind, gfn) => this.queue.push(at, kind, gfn, 0));
    ({ swap: this.swap, postcopy: this.postcopy, blocktime: this.blocktime, readahead: this.readahead } = store);
    const map = layoutGuestMemory(scenario, this.memory, this.postcopy, streams);
    ({ regions: this.regions, kernelPagesOf: this.kernelPagesOf, freePages: this.freePages, pageCache: this.pageCache } = map);
    const cs = backend.caps.codeLayout.contextSwitch;
    this.contextSwitch = this.ctxSwitchNs > 0 ? { ...cs, ns: this.ctxSwitchNs } : null;
    this.contextSwitchCode = this.contextSwitch && [this.contextSwitch];
    startBackingStore(store, this.memory, () => this.now);
    const sched = schedParams(m);
    this.vcpus = Array.from({ length: m.vcpus }, (_, i) => new Vcpu(i, this, sched));
    const { placed, jobSets } = initialTasks(scenario, m.vcpus, (spec, vcpu, name) => this.createTask(spec, vcpu, name, null));
    for (const { task, vcpu } of placed) this.vcpus[vcpu].runq.enqueueNew(task, null);
    this.jobSets = jobSets;
    this.until = UntilWindow.of(scenario);
    this.chargedAhead = this.until?.ahead ?? null;
    // Issued after every other actor, so that adding it changed no existing stream.
    this.irqRace = streams.stream('irq-vs-refault');
  }

  /** copy_process() (core/sim/fork.ts): a new task, not yet on a run queue. */
  createTask(spec: TaskSpec, vcpu: number, name: string, replaces: Task | null): Task {
    const context: ForkContext = { regions: this.regions, vcpuCount: this.vcpus.length, streams: this.streams, tasks: this.tasks, created: this.tasksCreated };
    return copyProcess(context, spec, vcpu, name, replaces);
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
      this.schedule(v, v.cursor);
      this.queue.pushInOrder(this.tickNs, EV_TICK, v.id, 0);
      // Half a period out of phase with the guest's tick (the two clocks are not aligned).
      if (this.hostTickNs !== null) this.queue.push(Math.round(this.hostTickNs / 2), EV_HOST_TICK, v.id, 0);
    }
    this.queue.push(this.measureEnd, EV_MEASURE_END, 0, 0);
    this.timers.startVmEvents((this.scenario.events ?? []).map((e) => Math.round(e.atMs * 1e6)));
    // The run starts at the switch to post-copy: the source starts sending what is left.
    this.postcopy?.start(0);
    const drain = this.scenario.drain;
    this.hardEnd = this.measureEnd + (drain.enabled ? Math.round(drain.maxMs * 1e6) : 0);
    const ev: PoppedEvent = { time: 0, kind: 0, a: 0, b: 0 };
    let sameInstant = 0;
    let drainTimedOut = false;
    while (this.queue.size > 0 && this.aborted === null) {
      if (this.draining && this.onlyTimersLeft()) break;
      this.queue.pop(ev);
      // The duration cap of a window the `until` tasks ended early: not an event of the run (it
      // would stretch the run's time to the cap), nor work left undone past the drain.
      if (ev.kind === EV_MEASURE_END && ev.time !== this.measureEnd) continue;
      // A VM event after the measured window (an `until` that ended it early): the drain starts nothing new.
      if (ev.kind === EV_VM_EVENT && this.draining && this.timers.drop()) continue;
      if (ev.time > this.hardEnd) {
        drainTimedOut = drain.enabled;
        this.stoppedEarly = drainTimedOut ? 'drain timed out' : null;
        break;
      }
      sameInstant = ev.time === this.now ? sameInstant + 1 : 0;
      this.now = ev.time;
      this.events++;
      if (this.events > this.eventLimit) throw pastSizeLimit(this.options.sizeLimit!, this.scenario, this.now);
      if (sameInstant > MAX_EVENTS_AT_ONE_INSTANT) {
        this.abort(`${MAX_EVENTS_AT_ONE_INSTANT} events at ${this.now} ns without simulated time advancing: a vCPU is spinning`);
        break;
      }
      dispatch(this, ev);
      if (this.events % PROGRESS_EVENTS === 1) this.reportProgress(this.hardEnd);
      if (this.options.stopWhen?.(this.now)) {
        this.stoppedEarly = `stopped at ${this.now} ns by the caller`;
        break;
      }
      if (!drain.enabled && this.now >= this.measureEnd) break;
    }
    // A run cut short claims only the time it simulated; a drain that timed out simulated up to its
    // cap, though its last event came earlier (the next one lay past the cap).
    const reached = drainTimedOut ? this.hardEnd : this.now;
    this.endTime = this.aborted !== null ? this.now : Math.max(reached, this.measureEnd);
    if (!this.draining) this.endMeasurement(Math.min(this.measureEnd, this.endTime));
    // A run that ended with nothing left to happen but timers (a drain that ran dry): what still
    // waits then waits forever, and is not in flight.
    const settled = this.aborted === null && this.stoppedEarly === null && this.onlyTimersLeft();
    this.inFlightAtEnd = closeInvariants(this, this.now, settled);
  }

  /** A task's sleep (nanosleep()): its wake-up at `t` (core/sim/sleep-timers.ts). */
  startTimer(task: Task, t: number): void {
    this.timers.start(task.id, t);
  }

  /**
   * A task ran all its passes and exited at `t`. When it was the last of the scenario's `until`
   * tasks, the measured window ends there (and the drain, if on, runs from there).
   */
  taskExited(task: Task, t: number): void {
    if (!exitTask(this, this.jobSets, task, t) || this.draining || this.until === null) return;
    const end = this.until.exited(task.group, t, this.measureEnd, this.metrics.time);
    if (end === null) return;
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

  /** The measured window ends at `t`: each vCPU is accounted up to it, and the drain (if on) begins. */
  endMeasurement(t: number): void {
    for (const v of this.vcpus) run.closeAt(this, v, t);
    this.metrics.measuring = false;
    this.hostAtWindowEnd = { swap: this.swap?.figures() ?? null, evictions: this.memory.evictions, writebackStalls: this.reclaim.stalls };
    this.draining = true;
    // Each vCPU has one guest tick queued, and one host tick where the host has them: each re-arms
    // as it fires, until now (core/sim/guest-sched.ts onTick(), dispatch()).
    this.notWork.beginDrain(this.vcpus.length * (this.hostTickNs !== null ? 2 : 1));
  }

  schedule(v: Vcpu, t: number): void {
    this.notWork.schedule(v, t);
  }

  dropStep(v: Vcpu): void {
    this.notWork.drop(v);
  }

  /** Nothing queued that is work (core/sim/not-work.ts). */
  private onlyTimersLeft(): boolean {
    return this.notWork.onlyLeft(this.draining && this.scenario.drain.enabled, () => this.vcpus.every((v) => v.apf.done.length === 0));
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
  completionWake(v: Vcpu): void {
    run.completionWake(this, v);
  }
  endIdleSpin(v: Vcpu): void {
    run.endIdleSpin(this, v);
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
    return kernelPageGfn(this.kernelPagesOf, v.id, v.current, page);
  }

  // Interrupt delivery (core/sim/irq.ts).
  interrupt(v: Vcpu): void {
    irq.interrupt(this, v);
  }
  raiseIrq(v: Vcpu, line: number, signal: 'not-present' | 'ready' | 'other', level: boolean, token?: number): void {
    irq.raiseIrq(this, v, line, signal, level, token);
  }

  // The guest scheduler (core/sim/guest-sched.ts).
  deschedule(v: Vcpu, sleep = false): Task {
    return sched.deschedule(this, v, sleep);
  }
  makeRunnable(task: Task): void {
    sched.makeRunnable(this, task);
  }

  // ---------------------------------------------------------------- host APF flow (core/sim/host-async-pf.ts, async-pf-completion.ts)

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
    completion.onIoDone(this, gfn);
  }
  /** kvm_check_async_pf_completion() */
  checkCompletion(v: Vcpu): void {
    completion.checkCompletion(this, v);
  }
  /** kvm_async_pf_wakeup_all() */
  wakeupAll(v: Vcpu): void {
    completion.wakeupAll(this, v);
  }
  clearCompletionQueue(v: Vcpu): void {
    completion.cancelWorksSync(this, v);
  }

  /** The guest kernel a backend's guest half calls (core/sim/guest-kernel.ts). */
  guestKernelFor(v: Vcpu): GuestKernel {
    return guest.guestKernelFor(this, v);
  }

  // ---------------------------------------------------------------- tracing

  /**
   * An event of vCPU `v`'s own execution, stamped at its clock (which may run ahead of the
   * engine's within a step). Callers test `options.trace` first, so that an untraced run builds
   * no field objects.
   */
  trace(v: Vcpu, event: string, fields: Readonly<Record<string, number>>): void {
    this.options.trace?.(v.cursor, v.id, event, fields);
  }

  /** An event stamped at `t`: a host thread's (a kworker's completion at the engine's time), or a moment a caller computed. */
  traceAt(t: number, vcpu: number, event: string, fields: Readonly<Record<string, number>>): void {
    this.options.trace?.(t, vcpu, event, fields);
  }
}
