import type { AsyncPfWork, Backend, ExitKind } from '../backend.js';
import type { CodePhase, KernelPage, Privilege } from '../guest/code-layout.js';
import type { EventQueue } from '../engine/event-queue.js';
import type { IntMap } from '../engine/int-map.js';
import type { SwapReadahead } from '../host/swap-readahead.js';
import type { RandomStream } from '../engine/rng.js';
import type { FreePages } from '../guest/page-alloc.js';
import type { PageCache } from '../guest/page-cache.js';
import type { CallSingleData } from '../guest/smp.js';
import type { Task } from '../guest/task.js';
import type { InvariantMonitor } from '../invariants.js';
import type { PostcopyBlocktime } from '../host/postcopy-blocktime.js';
import type { HostMemory } from '../machine/memory.js';
import type { PostcopyLink } from '../machine/postcopy.js';
import type { SwapDevice } from '../machine/swap.js';
import type { Counter, MetricsCollector, TimeCategory } from '../metrics.js';
import type { Scenario, TaskSpec } from '../scenario/schema.js';
import type { SizeLimit } from '../scenario/size-limit.js';
import type { TraceSink } from '../trace.js';
import type { Vcpu, VcpuHost } from './vcpu.js';
import type { ReclaimThrottle } from '../host/reclaim-throttle.js';
import type { ChargedAhead } from './charged-ahead.js';

/** Every task created in a run, exited ones included (a job set's processes replace each other in `tasks`). */
export interface TasksCreated {
  /** So far: the next task's pid (Task.pid). */
  total: number;
  readonly byGroup: Map<string, number>;
}

export interface SimulationOptions {
  readonly seed: number;
  readonly trace?: TraceSink;
  /** Called every PROGRESS_EVENTS events with the simulated time reached and the latest possible end. */
  readonly onProgress?: (doneNs: number, totalNs: number) => void;
  /** Checked at the first event and every PROGRESS_EVENTS after: when set, run() stops with an InterruptedError. */
  readonly signal?: { readonly aborted: boolean };
  /** Asked after every event with the clock: true ends the run there, as one cut short (stoppedEarly). */
  readonly stopWhen?: (nowNs: number) => boolean;
  /** When set, run() stops with its ScenarioError once it has done more events than allowed (core/scenario/size-limit.ts). */
  readonly sizeLimit?: SizeLimit;
}

/**
 * The machine the function modules of core/sim act on, as `struct kvm_vcpu`/`struct kvm` are what
 * KVM's files share: the state of the run and the services that cross a file boundary. The
 * engine (Simulation, core/sim/simulation.ts) implements it; no module imports the engine.
 *
 * The modules stack as KVM's and Linux's files call each other: vcpu-run.ts (vcpu_run()) calls
 * irq.ts, guest-sched.ts, segment.ts and async-pf-completion.ts directly; irq.ts calls guest-sched.ts and segment.ts;
 * guest-sched.ts calls segment.ts and guest-kernel.ts; segment.ts calls host-async-pf.ts and
 * guest-kernel.ts. A call the other way (a lower file waking, kicking or descheduling) goes
 * through the methods here, so that the imports have no cycle (test/core/layout.test.ts).
 */
export interface Machine extends VcpuHost {
  readonly scenario: Scenario;
  readonly backend: Backend;
  readonly options: SimulationOptions;
  readonly metrics: MetricsCollector;
  readonly monitor: InvariantMonitor;
  readonly vcpus: Vcpu[];
  /** The vCPUs waiting in the guest's idle HLT/WFI (core/sim/vcpu-run.ts enterWait()/leaveWait()): where a woken task may go. */
  readonly idleVcpus: Set<number>;
  readonly tasks: Task[];
  readonly memory: HostMemory;
  /** The backing store: exactly one of the two, as the scenario's `backing.kind` says. */
  readonly swap: SwapDevice | null;
  readonly postcopy: PostcopyLink | null;
  /** Post-copy only: vCPU waits for pages from the source (QEMU's blocktime). */
  readonly blocktime: PostcopyBlocktime | null;
  readonly queue: EventQueue;
  /** Waiters of each read in flight, by the gfn the read was started for (its readahead pages join it). */
  readonly ioWaiters: IntMap<(AsyncPfWork | Vcpu)[]>;
  /** The host's swap readahead state, and which read each page read ahead rides along with. */
  readonly readahead: SwapReadahead;
  readonly readaheadIo: IntMap<number>;
  readonly readaheadOf: IntMap<number[]>;
  /** Host THP on: the time to clear a 2 MiB page on a first touch; null with THP off. */
  readonly hugeClearNs: number | null;
  /** Host allocations stalled behind write-out (core/host/reclaim-throttle.ts). */
  readonly reclaim: ReclaimThrottle;
  readonly csds: IntMap<CallSingleData>;
  readonly workNsByGroup: Counter;
  /** Work in each of WORK_INTERVALS equal slices of the duration (RunMetrics.workOverTime). */
  readonly workNsByInterval: Float64Array;
  readonly workIntervalNs: number;
  readonly measureEnd: number;
  /** Time charged past the clock, while an `until` may still end the window early (null without one). */
  readonly chargedAhead: ChargedAhead | null;
  /** A task ran all its passes and exited at `t` (core/sim/simulation.ts). */
  taskExited(task: Task, t: number): void;
  /**
   * A new task of `spec` on `vcpu`, not yet queued; a job set's next process (core/sim/jobs.ts)
   * takes the place of the one that exited (`replaces`): its slot in `tasks` and its kernel stack.
   */
  createTask(spec: TaskSpec, vcpu: number, name: string, replaces: Task | null): Task;
  readonly tasksCreated: TasksCreated;
  /** The guest's free pages that processes' memory comes from; null when no task has memory of its own. */
  readonly freePages: FreePages | null;
  /** The guest's page cache its reclaim drops to refill the free pages; null when the scenario has none. */
  readonly pageCache: PageCache | null;
  /** The guest's do_anonymous_page() work for one first touch (machine.anonFaultNs). */
  readonly anonFaultNs: number;
  readonly tickNs: number;
  readonly ctxSwitchNs: number;
  readonly touchNs: number;
  readonly preemption: 'none' | 'voluntary' | 'full';
  /** The measured window has closed: tasks exit instead of running, and the tick stops. */
  readonly draining: boolean;
  /** Who wins when a pending interrupt meets a re-faulting instruction (Backend.caps.irqVsRefault). */
  readonly irqRace: RandomStream;
  /** The scheduler's context switch as a phase of kernel code (machine.contextSwitchNs), null if it takes no time. */
  readonly contextSwitch: CodePhase | null;
  /** The same as the phases of a frame, built once: a switch pushes a frame, not a new array too. */
  readonly contextSwitchCode: readonly CodePhase[] | null;
  /** The gfn of a guest kernel page of what runs on `v`, or -1 where kernel pages are pinned (machine.guestKernelPages). */
  kernelPageGfn(v: Vcpu, page: KernelPage): number;
  now: number;
  workId: number;
  csdId: number;

  // ---- the engine (core/sim/simulation.ts)
  schedule(v: Vcpu, t: number): void;
  /** Cancel the vCPU's scheduled STEP, if any (lazy deletion: it stays queued, stale). */
  dropStep(v: Vcpu): void;
  /** A sleeping task's timer, to wake it at `t`. */
  startTimer(task: Task, t: number): void;
  abort(reason: string): void;
  trace(v: Vcpu, event: string, fields: Readonly<Record<string, number>>): void;
  traceAt(t: number, vcpu: number, event: string, fields: Readonly<Record<string, number>>): void;

  // ---- time (core/sim/segment.ts)
  charge(v: Vcpu, cat: TimeCategory, ns: number): void;
  /** An exit: counted under `name`, priced at its kind's round trip plus `hostNs` (core/sim/segment.ts). */
  hostExit(v: Vcpu, name: string, kind: ExitKind, hostNs?: number): void;
  preempt(v: Vcpu, t: number): void;
  advance(v: Vcpu, task: Task): void;

  // ---- the vCPU run loop and its waits (core/sim/vcpu-run.ts)
  sync(v: Vcpu): void;
  enterWait(v: Vcpu, mode: 'sync' | 'halt' | 'idle'): void;
  leaveWait(v: Vcpu): void;
  wakesFromWait(v: Vcpu): boolean;
  /** async_pf_execute()'s wake of the vCPU after a completion (core/sim/vcpu-run.ts completionWake()). */
  completionWake(v: Vcpu): void;
  /** The done list was cleared: an idle wait spinning on it blocks from now (core/sim/vcpu-run.ts endIdleSpin()). */
  endIdleSpin(v: Vcpu): void;

  // ---- exception entry and exit (core/sim/guest-entry.ts)
  exceptionReturn(v: Vcpu, to: Privilege): void;

  // ---- interrupt delivery (core/sim/irq.ts)
  interrupt(v: Vcpu): void;

  // ---- the guest scheduler (core/sim/guest-sched.ts)
  /** `sleep`: the task leaves to sleep (its fair class keeps what it keeps of a sleeper). */
  deschedule(v: Vcpu, sleep?: boolean): Task;
  makeRunnable(task: Task): void;
}
