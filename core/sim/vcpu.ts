import type {
  Backend,
  GuestCpuState,
  GuestKernel,
  InjectedEvent,
  KvmVcpu,
  PcRegion,
} from '../backend.js';
import { framePhase, pcAt, topFrame, type CodePhase, type KernelFrame } from '../guest/code-layout.js';
import { AsyncPfQueue } from '../host/async-pf-queue.js';
import type { SleepTable } from '../guest/sleep-table.js';
import { createSleepTable } from '../guest/sleep-table-create.js';
import type { CallSingleData } from '../guest/smp.js';
import { createRunQueue, type SchedParams } from '../guest/fair-class.js';
import type { RunQueue } from '../guest/run-queue.js';
import type { Task } from '../guest/task.js';
import type { ReclaimStall } from './reclaim-stall.js';
import type { InvariantMonitor } from '../invariants.js';
import type { MetricsCollector, TimeCategory } from '../metrics.js';

/**
 * Where a vCPU is, as the host sees it. `run`: executing guest code (or about to);
 * `sync`: blocked in a synchronous host fault, taking no guest interrupts; `halt`: the APF
 * synthetic halt (KVM_REQ_APF_HALT), woken by guest interrupts; `idle`: the guest has nothing
 * to run (HLT/WFI); `off`: the guest took this CPU down (a scenario `offline` event,
 * core/sim/cpu-hotplug.ts) and it idles in its dead loop until brought up.
 */
export type VcpuMode = 'run' | 'sync' | 'halt' | 'idle' | 'off';

export interface IrqLine {
  readonly line: number;
  level: boolean;
  asserted: boolean;
  pending: boolean;
  /** Enabled at the interrupt controller (KvmVcpu.setIrqEnabled()): a disabled line is not taken. */
  enabled: boolean;
  signal: 'not-present' | 'ready' | 'other';
  /** The token a not-present line announces. */
  token: number | null;
}

/** A line as the controller first sees it: enabled, nothing pending. */
export function newIrqLine(line: number, level: boolean, signal: IrqLine['signal']): IrqLine {
  return { line, level, asserted: false, pending: false, enabled: true, signal, token: null };
}

/** Segment of guest execution in progress (what a preemption has to account for). */
export interface Segment {
  start: number;
  /** compute: ns planned; touch: touches planned. */
  planned: number;
  /** ns per touch in a touch segment; 0 for compute. */
  perTouch: number;
  /** A touch segment: ns of its first touch run before it (Task.touchDoneNs). */
  firstDoneNs: number;
  /** The batch stopped at a page that is not resident: fault at the segment's end. */
  faultAtEnd: boolean;
  /** Phases of exception code (the top kernel frame's, up to this index), not the task's own step. */
  phase: boolean;
  phaseEnd: number;
  /** A section's lead (its compute before its touches, Task.leadDoneNs): kernel time that an interrupt may cut where the section takes them. */
  lead: boolean;
}

/** Touches one segment plans at most: bounds the work one event does and how stale a residency check gets. */
export const SEGMENT_BATCH = 256;

/**
 * What a vCPU asks of the machine it runs in: the KvmVcpu services a backend calls, which the
 * engine (core/sim/simulation.ts) implements. Declared here, next to their caller, so that this
 * file imports no other file of core/sim.
 */
export interface VcpuHost {
  readonly backend: Backend;
  readonly metrics: MetricsCollector;
  readonly monitor: InvariantMonitor;
  guestKernelFor(v: Vcpu): GuestKernel;
  resumeWouldFault(v: Vcpu): boolean;
  charge(v: Vcpu, cat: TimeCategory, ns: number): void;
  kick(v: Vcpu): void;
  wakeUp(v: Vcpu): void;
  setRunnable(v: Vcpu): void;
  raiseIrq(v: Vcpu, line: number, signal: 'not-present' | 'ready' | 'other', level: boolean, token?: number): void;
  interrupt(v: Vcpu): void;
  startAsyncPf(v: Vcpu, gfn: number): { ok: true; token: number } | { ok: false; reason: string };
  wakeupAll(v: Vcpu): void;
  clearCompletionQueue(v: Vcpu): void;
  checkCompletion(v: Vcpu): void;
  exceptionReturn(v: Vcpu, to: 'user' | 'kernel'): void;
  readonly options: { readonly trace?: unknown };
  trace(v: Vcpu, event: string, fields: Readonly<Record<string, number>>): void;
}

export class Vcpu<S = unknown> implements KvmVcpu<S>, GuestCpuState {
  mode: VcpuMode = 'run';
  modeSince = 0;
  /**
   * Where the vCPU's idle wait turned into a spin, or -1: its HLT or WFI returns at once while the
   * arch's async-PF state makes it runnable (Backend.apfRunnable(): x86's done list holding a
   * completion it cannot dequeue), so each exits and the guest's idle loop halts again
   * (core/sim/vcpu-run.ts closeIdleSpin()).
   */
  idleSpinFrom = -1;
  /** Time up to which this vCPU's work has been laid out. */
  cursor = 0;
  /** Bumped to cancel a scheduled STEP event (lazy deletion). */
  epoch = 0;
  /** A STEP of the current epoch is queued (core/sim/simulation.ts schedule()). */
  stepQueued = false;
  /** The segment under way, if any: `segmentRecord` while one runs (see beginSegment()). */
  segment: Segment | null = null;
  private readonly segmentRecord: Segment = { start: 0, planned: 0, perTouch: 0, firstDoneNs: 0, faultAtEnd: false, phase: false, phaseEnd: 0, lead: false };
  /** The touch segment's planned touches, by index: page index and gfn (Task.drawnIndex, peekPage()), so that a touch cut during its access keeps its page. */
  readonly batchDrawn = new Int32Array(SEGMENT_BATCH);
  readonly batchPages = new Int32Array(SEGMENT_BATCH);
  /** The gfn a sync fault waits for. */
  syncGfn = -1;
  /** The vCPU's allocation stalled in host reclaim inside a fault, while it lasts (core/sim/reclaim-stall.ts): a switchover cancels it. */
  reclaimStall: ReclaimStall | null = null;

  readonly runq: RunQueue;
  /** cpu_down() asked for this CPU: the hotplug thread takes it down where it next picks a task. */
  goingDown = false;
  /** Taken down (cpu_active() false): no wake, fork or fallback picks it. */
  down = false;
  /** An `online` event came while the CPU was still on its way down: it comes up once down. */
  upPending = false;
  /** sd->balance_interval (ms) of the one domain, as this vCPU balances it; 0 until its first balance sets the vCPU count (sd_init()). */
  balanceIntervalMs = 0;
  /** When this vCPU's next periodic balance is due (rq->next_balance), in ns. */
  nextBalance = 0;
  /** sd->nr_balance_failed: periodic balances in a row that found an imbalance and moved nothing. */
  balanceFailed = 0;
  /** TIF_NEED_RESCHED: the current task should yield at the next preemption point the model allows. */
  needResched = false;
  /**
   * The current task just left an interrupts-off section: interrupts are enabled for a moment
   * (local_irq_enable() between two sections), so what is pending is taken before the next one.
   */
  irqWindow = false;
  /** A preemptoff section just ended (its preempt_enable()): the run loop's next resched check may switch. */
  preemptEnabled = false;
  current: Task | null = null;
  sliceStart = 0;
  tickPending = false;
  /** An interrupt waited on the guest's mask at an entry: where the arch says so, its unmask exits (irq.ts requestIrqWindow()). */
  irqWindowRequested = false;
  /**
   * An interrupt arrives while the running guest has IF=0: where the arch needs one, the window is
   * asked for now (KVM kicks the vCPU and its entry finds IF=0), even if the vCPU's own steps ran
   * ahead in one go past the masked stretch (an `irqoff` section charged whole).
   */
  maskedArrival(): void {
    if (this.sim.backend.caps.ipi.irqWindowExit !== null) this.irqWindowRequested = true;
  }
  /** IRQ vectors entered whose handler has not yet taken its line (the APIC's ISR, not yet in the lab's lines). */
  irqsEntered = 0;
  /**
   * The vCPU exited since it last entered the guest: requests are looked at on the way back in
   * (vcpu_enter_guest()), not at every step of the guest's own execution.
   */
  exited = true;
  /** The idle task's kernel stack: exception code taken while nothing runs. */
  readonly idleFrames: KernelFrame[] = [];

  readonly apf = new AsyncPfQueue();
  readonly sleepTable: SleepTable;
  /** An IRQ exception the host made the guest take at the next entry (KvmVcpu.injectIrqException). */
  irqException = false;
  /**
   * The guest's IRQ vector handlers on this vCPU (core/sim/irq.ts), made at the first interrupt
   * rather than one per interrupt: a tick brings one every few milliseconds.
   */
  irqVectorHandler: (() => void) | null = null;
  irqExceptionHandler: (() => void) | null = null;
  injected: InjectedEvent | null = null;
  /** The interrupt lines raised so far, in the order they were first raised (a handful per vCPU). */
  readonly irqLines: IrqLine[] = [];
  readonly irqHandlers = new Map<number, () => void>();
  /** call_single_queue: call-function requests other vCPUs sent here, run at the next IPI taken. */
  readonly csdQueue: CallSingleData[] = [];
  readonly guest: GuestKernel;
  /** What the end of an exception's way out runs (exceptionReturn()), made once: every exit frame carries one. */
  readonly returnToUser: () => void;
  readonly returnToKernel: () => void;
  state!: S;

  constructor(
    readonly id: number,
    private readonly sim: VcpuHost,
    /** The fair class's parameters, one object for every vCPU (fair-class.ts). */
    readonly sched: SchedParams,
  ) {
    this.guest = sim.guestKernelFor(this);
    this.returnToUser = () => sim.exceptionReturn(this, 'user');
    this.returnToKernel = () => sim.exceptionReturn(this, 'kernel');
    this.sleepTable = createSleepTable(sim.backend.caps.guestWake);
    this.runq = createRunQueue(id, sched);
  }

  /**
   * Lay out a segment from `start`. The record is this vCPU's own, reused: a vCPU runs one segment
   * at a time, a step starts one, and whoever ends it (its end, a preemption) reads it before
   * anything can start the next.
   */
  beginSegment(start: number, planned: number, perTouch: number, faultAtEnd: boolean, phase: boolean, phaseEnd: number, firstDoneNs = 0): Segment {
    const s = this.segmentRecord;
    s.start = start;
    s.planned = planned;
    s.perTouch = perTouch;
    s.firstDoneNs = firstDoneNs;
    s.faultAtEnd = faultAtEnd;
    s.phase = phase;
    s.phaseEnd = phaseEnd;
    s.lead = false;
    this.segment = s;
    return s;
  }

  // ---- GuestCpuState: derived from what the vCPU is executing ----

  get vcpuId(): number {
    return this.id;
  }
  get cpu(): GuestCpuState {
    return this;
  }
  /** Set by core/harness.ts to put the guest in a given state for a single-step test. */
  forced: { privilege?: 'user' | 'kernel'; irqsMasked?: boolean; preemptDisabled?: boolean } | null = null;

  /** The kernel stack of what runs: the current task's, or the idle task's. */
  get frames(): KernelFrame[] {
    return this.current ? this.current.frames : this.idleFrames;
  }
  /** The exception code the PC is in, if any (core/guest/code-layout.ts). */
  get phase(): CodePhase | null {
    return framePhase(topFrame(this.frames));
  }
  /** The guest's halted wait (a halt frame on top): kernel mode, interrupts on, not preemptible. */
  get guestHalted(): boolean {
    const top = topFrame(this.frames);
    return top !== undefined && top.haltToken >= 0;
  }

  get privilege(): 'user' | 'kernel' {
    if (this.forced?.privilege) return this.forced.privilege;
    if (this.frames.length > 0) return 'kernel';
    // The guest's do_anonymous_page() clearing a frame for the task's first touch (core/sim/guest-mm.ts).
    if (this.current !== null && this.current.zeroingGfn >= 0) return 'kernel';
    const step = this.current?.step;
    if (!step) return 'kernel';
    return step.kind === 'sleep' ? 'user' : step.privilege;
  }
  get irqsMasked(): boolean {
    if (this.forced?.irqsMasked !== undefined) return this.forced.irqsMasked;
    // The phase, then a halted wait, from one look at the top frame (asked several times a step).
    const top = topFrame(this.frames);
    if (top !== undefined && top.haltToken >= 0) return false;
    const phase = framePhase(top);
    if (phase) return phase.irqsMasked;
    const cur = this.current;
    if (this.irqWindow || cur === null) return false;
    const step = cur.step;
    return step !== undefined && step.kind !== 'sleep' && step.irqsMasked;
  }
  /** Interrupts off, exception code, a halted wait, or a preemptoff step (preempt_count() > 0). */
  get preemptDisabled(): boolean {
    if (this.forced?.preemptDisabled !== undefined) return this.forced.preemptDisabled;
    if (this.phase || this.guestHalted) return true;
    const step = this.current?.step;
    return this.irqsMasked || (step !== undefined && step.kind !== 'sleep' && step.preemptDisabled);
  }
  get pcRegion(): PcRegion {
    const phase = this.phase;
    if (phase) return phase.region;
    if (this.guestHalted) return 'kernel';
    if (!this.current) return 'idle';
    return this.privilege === 'user' ? 'user' : 'kernel';
  }
  get pc(): number | null {
    const top = topFrame(this.frames);
    const phase = framePhase(top);
    // Read at an entry, after any preemption credited the phase's time so far.
    return phase && top ? pcAt(phase, top.doneNs) : null;
  }
  get rqLocked(): boolean {
    return this.phase?.rqLocked ?? false;
  }
  get eventPending(): boolean {
    return this.injected !== null;
  }
  get resumeWouldFault(): boolean {
    return this.sim.resumeWouldFault(this);
  }

  // ---- KvmVcpu: what a backend may do ----

  get now(): number {
    return this.cursor;
  }
  get queued(): number {
    return this.apf.queued;
  }
  requestApfReady(): void {
    this.apf.readyRequested = true;
  }
  kick(): void {
    this.sim.kick(this);
  }
  wakeUp(): void {
    this.sim.wakeUp(this);
  }
  setRunnable(): void {
    this.sim.setRunnable(this);
  }
  injectEvent(event: InjectedEvent): void {
    if (this.injected) throw new Error(`vCPU ${this.id}: ${event.name} injected while ${this.injected.name} is pending`);
    this.injected = event;
  }
  cancelEvent(name: string): boolean {
    if (this.injected?.name !== name) return false;
    this.injected = null;
    return true;
  }
  injectIrqException(): void {
    this.irqException = true;
  }
  raiseIrq(line: number, signal: 'not-present' | 'ready' | 'other', level: boolean, token?: number): void {
    this.sim.raiseIrq(this, line, signal, level, token);
  }
  /** The interrupt line `line`, once it has been raised. */
  irqLine(line: number): IrqLine | undefined {
    for (const l of this.irqLines) if (l.line === line) return l;
    return undefined;
  }
  /** The line's enable bit at the controller, as lowerIrq() its level; one enabled again with an interrupt pending is taken. */
  setIrqEnabled(line: number, enabled: boolean): void {
    let l = this.irqLine(line);
    if (!l) {
      l = newIrqLine(line, false, 'other');
      this.irqLines.push(l);
    }
    l.enabled = enabled;
    if (enabled && l.pending) this.sim.interrupt(this);
  }
  lowerIrq(line: number): void {
    const l = this.irqLine(line);
    if (l) {
      l.asserted = false;
      if (l.level) l.pending = false;
    }
  }
  resetIrqs(): void {
    for (const l of this.irqLines) {
      l.pending = false;
      l.asserted = false;
    }
    this.tickPending = false;
    this.irqsEntered = 0;
  }
  startAsyncPf(gfn: number) {
    return this.sim.startAsyncPf(this, gfn);
  }
  wakeupAll(): void {
    this.sim.wakeupAll(this);
  }
  clearCompletionQueue(): void {
    this.sim.clearCompletionQueue(this);
  }
  checkCompletion(): void {
    this.sim.checkCompletion(this);
  }
  noteReadyAcked(): void {
    this.sim.monitor.onReadyAcked(this.id);
  }
  chargeHost(ns: number): void {
    this.sim.charge(this, 'host', ns);
  }
  get doneHead() {
    return this.apf.done[0] ?? null;
  }
  countEvent(name: string): void {
    if (this.sim.metrics.measuring) this.sim.metrics.archEvents.add(name);
  }
  get traced(): boolean {
    return this.sim.options.trace !== undefined;
  }
  trace(event: string, fields: Readonly<Record<string, number>>): void {
    this.sim.trace(this, event, fields);
  }
  hazard(name: string): void {
    if (this.sim.metrics.measuring) this.sim.metrics.hazards.add(name);
  }

  /** An interrupt the guest would take now if it ran (pending and unmasked). */
  hasDeliverableIrq(): boolean {
    // Pending first: it is rarely so, and the mask is the dearer question (asked at every entry).
    return this.hasPendingIrq() && !this.irqsMasked;
  }

  get irqPending(): boolean {
    return this.hasPendingIrq();
  }

  /** The tick or an enabled line pending, masked or not. */
  hasPendingIrq(): boolean {
    if (this.tickPending) return true;
    for (const l of this.irqLines) if (l.pending && l.enabled) return true;
    return false;
  }
}

