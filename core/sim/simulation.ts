import type { AsyncPfWork, Backend, GuestKernel } from '../backend.js';
import { EventQueue, type PoppedEvent } from '../engine/event-queue.js';
import { RandomStreams, type RandomStream } from '../engine/rng.js';
import { InterruptedError } from '../errors.js';
import type { CallSingleData } from '../guest/smp.js';
import { compileStep, Task, type RegionLayout } from '../guest/task.js';
import { InvariantMonitor } from '../invariants.js';
import { HostMemory } from '../machine/memory.js';
import { SwapDevice } from '../machine/swap.js';
import { MetricsCollector, type TimeCategory } from '../metrics.js';
import type { Scenario } from '../scenario/schema.js';
import * as guest from './guest-kernel.js';
import * as sched from './guest-sched.js';
import * as host from './host-async-pf.js';
import * as seg from './segment.js';
import { EV_IO_DONE, EV_IPI, EV_IPI_DONE, EV_MEASURE_END, EV_STEP, EV_TICK, EV_TIMER } from './events.js';
import type { Machine, SimulationOptions } from './machine.js';
import { Vcpu } from './vcpu.js';

export type { SimulationOptions } from './machine.js';

const MIB_PAGES = 256;
/** Guest kernel time for one timer tick (model assumption, README "Assumptions"). */
const TICK_HANDLER_NS = 1000;
/**
 * A runaway guard: this many events in a row at one simulated instant is a loop that makes no
 * progress (a broken backend re-entering forever). Valid scenarios advance time with every
 * touch, slice or exit; the busiest instant of the test suite's runs takes a few hundred events.
 */
const MAX_EVENTS_AT_ONE_INSTANT = 1_000_000;
/** Lost races in a row at one entry before the interrupt is taken anyway (a share of 1 is a livelock). */
const MAX_LOST_RACES = 1000;

const IRQ_EXCEPTION = 'IRQ exception (emulated)';
const IRQ_NAMES: string[] = [];
function irqName(line: number): string {
  return (IRQ_NAMES[line] ??= `irq ${line}`);
}

/** How often run() reports progress and looks at the abort flag: cheap next to 65,536 events. */
const PROGRESS_EVENTS = 65_536;

/**
 * The deterministic discrete-event machine: vCPUs running guest tasks, a host with a memory
 * limit and a swap device, and the arch-neutral APF flow of PROTOCOLS.md §2 (host) and §3
 * (guest), asking the backend at each decision point.
 */
export class Simulation implements Machine {
  readonly metrics = new MetricsCollector();
  readonly monitor: InvariantMonitor;
  readonly vcpus: Vcpu[];
  readonly tasks: Task[] = [];
  readonly memory: HostMemory;
  readonly swap: SwapDevice;
  readonly queue = new EventQueue(4096);
  readonly ioWaiters = new Map<number, (AsyncPfWork | Vcpu)[]>();
  private readonly regions = new Map<string, RegionLayout>();
  readonly tickNs: number;
  private readonly sliceNs: number;
  readonly ctxSwitchNs: number;
  readonly touchNs: number;
  readonly preemption: 'none' | 'voluntary' | 'full';
  readonly measureEnd: number;
  draining = false;
  workId = 0;
  readonly csds = new Map<number, CallSingleData>();
  csdId = 0;
  now = 0;
  readonly workNsByGroup = new Map<string, number>();
  events = 0;
  endTime = 0;
  /** Announced tokens whose work was still on its way when the run stopped. */
  inFlightAtEnd = 0;
  stoppedEarly: string | null = null;
  private aborted: string | null = null;
  /** Who wins when a pending interrupt meets a re-faulting instruction (Backend.caps.irqVsRefault). */
  readonly irqRace: RandomStream;

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
    this.preemption = m.preemption;
    this.measureEnd = Math.round(scenario.durationMs * 1e6);
    this.monitor = new InvariantMonitor(m.vcpus, backend.caps);
    const streams = new RandomStreams(options.seed);
    this.memory = new HostMemory(Math.round(m.guestMemoryMiB * MIB_PAGES), Math.round(m.hostResidentMiB * MIB_PAGES));
    this.swap = new SwapDevice(scenario.backing.latency, scenario.backing.queueDepth, streams.stream('swap'), (gfn, at) =>
      this.queue.push(at, EV_IO_DONE, gfn, 0),
    );
    let gfn = 0;
    for (const r of scenario.regions) {
      const pages = Math.max(1, Math.round(r.mib * MIB_PAGES));
      this.regions.set(r.name, { name: r.name, firstGfn: gfn, pages });
      gfn += pages;
    }
    this.memory.prefill();
    const sched = {
      sliceNs: this.sliceNs,
      wakeupGranularityNs: Math.round(m.wakeupGranularityUs * 1000),
      latencyNs: Math.round(m.schedLatencyUs * 1000),
    };
    this.vcpus = Array.from({ length: m.vcpus }, (_, i) => new Vcpu(i, this, sched));
    let next = 0;
    for (const spec of scenario.tasks) {
      for (let k = 0; k < spec.count; k++) {
        const id = this.tasks.length;
        const vcpu = spec.vcpu ?? next++ % m.vcpus;
        const name = spec.count > 1 ? `${spec.name}/${k}` : spec.name;
        const program = spec.program.map((s) => compileStep(s, this.regions, { vcpu, vcpus: m.vcpus }));
        const task = new Task(id, name, spec.name, vcpu, program, streams.stream(`task:${id}`));
        this.tasks.push(task);
        this.vcpus[vcpu].runq.enqueue(task);
      }
    }
    // Issued after every other actor, so that adding it changed no existing stream.
    this.irqRace = streams.stream('irq-vs-refault');
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
    }
    this.queue.push(this.measureEnd, EV_MEASURE_END, 0, 0);
    const drain = this.scenario.drain;
    const hardEnd = this.measureEnd + (drain.enabled ? Math.round(drain.maxMs * 1e6) : 0);
    const ev: PoppedEvent = { time: 0, kind: 0, a: 0, b: 0 };
    let sameInstant = 0;
    while (this.queue.size > 0 && this.aborted === null) {
      if (this.queue.peekTime() > hardEnd) {
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
      if (this.events % PROGRESS_EVENTS === 1) this.reportProgress(hardEnd);
      if (!drain.enabled && this.now >= this.measureEnd) break;
    }
    // A run cut short claims only the time it simulated.
    this.endTime = this.aborted !== null ? this.now : Math.max(this.now, this.measureEnd);
    if (!this.draining) this.endMeasurement(Math.min(this.measureEnd, this.endTime));
    this.closeInvariants();
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
        if (ev.b === v.epoch) this.onStep(v);
        return;
      }
      case EV_TICK:
        return sched.onTick(this, this.vcpus[ev.a]);
      case EV_IO_DONE:
        return this.onIoDone(ev.a);
      case EV_TIMER:
        return sched.onTimer(this, this.tasks[ev.a]);
      case EV_MEASURE_END:
        return this.endMeasurement(ev.time);
      case EV_IPI:
        return guest.onIpi(this, ev.a);
      case EV_IPI_DONE:
        return guest.onCsdUnlocked(this, ev.a);
    }
  }

  private endMeasurement(t: number): void {
    for (const v of this.vcpus) {
      this.closeWait(v, t);
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

  sync(v: Vcpu): void {
    if (v.cursor < this.now) v.cursor = this.now;
  }

  enterWait(v: Vcpu, mode: 'sync' | 'halt' | 'idle'): void {
    v.mode = mode;
    v.modeSince = v.cursor;
    v.epoch++; // nothing scheduled for this vCPU survives a wait
  }

  private closeWait(v: Vcpu, t: number): void {
    if (v.mode === 'sync' || v.mode === 'halt' || v.mode === 'idle') {
      seg.account(this, v.mode, v.modeSince, t);
      v.modeSince = t;
    }
  }

  leaveWait(v: Vcpu): void {
    // A wait entered inside this vCPU's own step ends no earlier than it began.
    const t = Math.max(this.now, v.modeSince);
    this.closeWait(v, t);
    v.mode = 'run';
    v.cursor = t;
    this.schedule(v, t);
  }

  // ---------------------------------------------------------------- the vCPU step

  /** The vCPU is free to go on: process requests and injections at entry, then run a task. */
  private onStep(v: Vcpu): void {
    if (v.mode !== 'run') return;
    this.sync(v);
    // A kernel step's explicit preemption points lie between its accesses: a segment that ran out.
    let betweenAccesses = false;
    if (v.segment) {
      if (seg.finishSegment(this, v)) return;
      betweenAccesses = true;
    }
    // Each pass schedules something, waits, or takes a task off the run queue (a sleep step),
    // so a pass count beyond the tasks that exist is a loop.
    const limit = 2 * this.tasks.length + 64;
    for (let pass = 0; pass < limit; pass++) {
      if (v.mode !== 'run') return;
      this.enterGuest(v);
      if (v.mode !== 'run') return;
      if (betweenAccesses) sched.maybeResched(this, v, 'kernel-step');
      betweenAccesses = false;
      if (!v.current && !sched.pickNext(this, v)) {
        this.goIdle(v);
        return;
      }
      if (seg.startSegment(this, v)) return;
    }
    this.abort(`vCPU ${v.id} made no progress in ${limit} passes of its run loop`);
  }

  /**
   * vcpu_enter_guest() and what the guest does first: pending requests (page-ready), the
   * injected event, interrupts if unmasked, a resched, and a flagged task's sleep on its way
   * back to user. Public so that a test can drive one protocol step (core/harness.ts).
   */
  enterGuest(v: Vcpu): void {
    this.sync(v);
    if (v.apf.readyRequested) {
      v.apf.readyRequested = false;
      this.checkCompletion(v);
    }
    const exception = v.injected !== null || v.irqException;
    if (v.injected) this.takeInjected(v);
    if (v.irqException) this.takeIrqException(v);
    if (!exception) this.checkIrqVsRefault(v);
    if (!v.irqsMasked) this.takeInterrupts(v);
    if (v.mode === 'run') sched.maybeResched(this, v, 'irq-exit');
    v.irqWindow = false;
    if (v.mode !== 'run') return;
    sched.returnToUser(this, v);
  }

  private takeInjected(v: Vcpu): void {
    const ev = v.injected!;
    v.injected = null;
    if (this.metrics.measuring) this.metrics.injections.add(ev.name);
    // Delivering it is work at this entry (event injection, an event dispatch): the backend's price.
    seg.charge(this, v, 'host', this.backend.costs.injectNs.event);
    if (ev.signal === 'not-present' && ev.token !== null) this.announceNotPresent(v, ev.token);
    ev.handler();
  }

  /** The guest takes a not-present (an event or an interrupt line): counted and checked (invariants 1, 4). */
  private announceNotPresent(v: Vcpu, token: number): void {
    if (this.metrics.measuring) this.metrics.notPresentDelivered++;
    const conditions = [v.privilege === 'kernel' ? 'kernel-mode' : '', v.irqsMasked ? 'irqs-masked' : '']
      .filter(Boolean)
      .concat(this.backend.conditions(v));
    this.monitor.onGuestNotPresent(v.cursor, v.id, token, conditions);
  }

  /**
   * Entering straight at an instruction that stage-2 faults with a signal interrupt pending:
   * where the architecture does not order the two, the wake-up may wait for the fault (the
   * backend names the hazard). The model then takes the interrupt first.
   */
  private checkIrqVsRefault(v: Vcpu): void {
    const race = this.backend.caps.irqVsRefault;
    if (race === null || v.irqsMasked || !v.resumeWouldFault) return;
    let signal = false;
    for (const l of v.irqs.values()) if (l.pending && l.signal !== 'other') signal = true;
    if (!signal) return;
    if (this.metrics.measuring) this.metrics.hazards.add(race.hazard);
    // Each time the fault wins, the instruction exits again as a repeated fault and re-enters.
    for (let n = 0; n < MAX_LOST_RACES && this.irqRace.float() < race.faultFirstShare; n++) {
      if (this.metrics.measuring) {
        this.metrics.exits.add(this.backend.exitNames.stage2Fault);
        this.metrics.repeatedFaults++;
      }
      seg.charge(this, v, 'host', this.backend.costs.exitNs.stage2Fault + this.backend.costs.stage2FaultNs);
    }
  }

  /**
   * An IRQ exception the host emulated: the guest enters its IRQ vector, its interrupt
   * controller driver takes whatever is pending (possibly nothing), and it returns as from any
   * interrupt (facts/arm64.md §4 "How Linux finishes an event").
   */
  private takeIrqException(v: Vcpu): void {
    v.irqException = false;
    if (this.metrics.measuring) this.metrics.injections.add(IRQ_EXCEPTION);
    this.takeInterrupts(v, true);
  }

  private takeInterrupts(v: Vcpu, inException = false): void {
    for (let guard = 0; guard < 64 && v.mode === 'run' && (inException || !v.irqsMasked); guard++) {
      const line = this.nextPendingLine(v);
      if (line >= 0) {
        const l = v.irqs.get(line)!;
        l.pending = false;
        if (this.metrics.measuring) this.metrics.injections.add(irqName(line));
        seg.charge(this, v, 'host', this.backend.costs.injectNs.irq); // interrupt injection at entry
        if (l.signal === 'not-present' && l.token !== null) this.announceNotPresent(v, l.token);
        const handler = v.irqHandlers.get(line);
        if (handler) handler();
        // A level line still asserted after its handler fires again (GIC level semantics).
        if (l.level && l.asserted) l.pending = true;
        continue;
      }
      if (v.tickPending) {
        v.tickPending = false;
        seg.charge(this, v, 'kernel', TICK_HANDLER_NS);
        sched.schedulerTick(this, v);
        continue;
      }
      return;
    }
  }

  private nextPendingLine(v: Vcpu): number {
    const highest = this.backend.caps.irqOrder === 'highest-first';
    let best = -1;
    for (const [line, l] of v.irqs) {
      if (l.pending && (best < 0 || (highest ? line > best : line < best))) best = line;
    }
    return best;
  }

  /** Nothing to run: the guest idles in HLT/WFI, which exits (no halt polling modelled). */
  private goIdle(v: Vcpu): void {
    if (this.metrics.measuring) this.metrics.exits.add(this.backend.exitNames.idle);
    seg.charge(this, v, 'host', this.backend.costs.exitNs.idle);
    this.enterWait(v, 'idle');
    // A request still pending (a refused dequeue re-raises it) keeps the vCPU runnable.
    if (this.wakesFromWait(v)) this.leaveWait(v);
  }

  /** Would the instruction the current task resumes at take a stage-2 fault (D1.13.4 hazard input)? */
  resumeWouldFault(v: Vcpu): boolean {
    const t = v.current;
    return t !== null && t.nextPage >= 0 && !this.memory.isResident(t.nextPage);
  }

  // ---------------------------------------------------------------- interrupts and kicks

  /** A guest interrupt became pending: a running vCPU takes it at once; a halted one wakes. */
  interrupt(v: Vcpu): void {
    if (v.mode === 'run') {
      if (v.segment && !v.irqsMasked) {
        seg.preempt(this, v, this.now);
        this.schedule(v, v.cursor);
      }
    } else if (v.mode === 'halt' || v.mode === 'idle') {
      // vcpu_block(): a wake-up clears apf.halted (facts/x86.md §2 "Synthetic halt").
      if (v.hasDeliverableIrq()) this.leaveWait(v);
    }
  }

  raiseIrq(v: Vcpu, line: number, signal: 'not-present' | 'ready' | 'other', level: boolean, token?: number): void {
    let l = v.irqs.get(line);
    if (!l) {
      l = { level, asserted: false, pending: false, signal, token: null };
      v.irqs.set(line, l);
    }
    l.level = level;
    l.signal = signal;
    l.token = token ?? null;
    l.asserted = level;
    l.pending = true;
    this.interrupt(v);
  }


  /** kvm_vcpu_kick(): a vCPU in guest mode exits so that a request is seen at the next entry. */
  kick(v: Vcpu): void {
    if (v.mode === 'run' && v.segment) {
      seg.preempt(this, v, this.now);
      if (this.metrics.measuring) this.metrics.exits.add(this.backend.exitNames.kick);
      seg.charge(this, v, 'host', this.backend.costs.exitNs.kick);
      this.schedule(v, v.cursor);
    } else {
      this.wakeUp(v);
    }
  }

  /**
   * kvm_vcpu_wake_up(): a vCPU blocked in the host (halt or idle) re-checks whether it may run; one
   * running guest code is left alone and sees the request at its next entry.
   */
  wakeUp(v: Vcpu): void {
    if ((v.mode === 'halt' || v.mode === 'idle') && this.wakesFromWait(v)) this.leaveWait(v);
  }

  /** mp_state = RUNNABLE: a guest halt or the APF halt ends; a synchronous fault does not. */
  setRunnable(v: Vcpu): void {
    if (v.mode === 'halt' || v.mode === 'idle') this.leaveWait(v);
  }

  /** kvm_arch_vcpu_runnable(): completions to dequeue or a deliverable interrupt end a wait. */
  wakesFromWait(v: Vcpu): boolean {
    if (v.hasDeliverableIrq()) return true;
    if (v.apf.readyRequested && v.apf.done.length > 0 && this.backend.canDequeueAsyncPagePresent(v).ok) return true;
    return v.mode === 'idle' && v.runq.length > 0;
  }

  // ---------------------------------------------------------------- what the modules call each other through (machine.ts)

  charge(v: Vcpu, cat: TimeCategory, ns: number): void {
    seg.charge(this, v, cat, ns);
  }
  preempt(v: Vcpu, t: number): void {
    seg.preempt(this, v, t);
  }
  advance(v: Vcpu, task: Task): void {
    seg.advance(this, v, task);
  }
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
  trace(v: Vcpu, event: string, fields: Record<string, number>): void {
    this.options.trace?.(v.cursor, v.id, event, fields);
  }
}
