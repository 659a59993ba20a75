import type { RandomStream } from '../engine/rng.js';
import { BadInputError } from '../errors.js';
import type { IpiSpec, Step, TouchSpec } from '../scenario/schema.js';
import type { KernelFrame } from './code-layout.js';
import type { ProcessMemory } from './mm.js';
import { CALL_FLOOR_NS, type CallSingleData } from './smp.js';

/**
 * A guest region laid out at a gfn offset, or (with `anon`) one of a task's own private anonymous
 * mappings, whose frames come from the guest's free pages at first touch (core/guest/mm.ts).
 */
export interface RegionLayout {
  readonly name: string;
  /** The region's first frame; -1 for a task's own memory, which has no fixed frames. */
  readonly firstGfn: number;
  readonly pages: number;
  /** The index of the mapping in the task's ProcessMemory; absent for guest memory laid out at firstGfn. */
  readonly anon?: number;
  /** A mapping of the pages of files the task writes (`kind: file`), touched only by system calls. */
  readonly file?: boolean;
}

export type TaskState = 'runnable' | 'running' | 'sleeping' | 'timer' | 'exited';

/** One compiled program step. Touch steps carry the region and pattern resolved to gfns. */
export type CompiledStep =
  | {
      readonly kind: 'compute';
      readonly ns: number;
      /** User compute counts as work; kernel time with interrupts off (an irqoff section) does not. */
      readonly privilege: 'user' | 'kernel';
      readonly irqsMasked: boolean;
      /** A preemptoff section: kernel mode, interrupts on, no sleeping (preempt_count() > 0). */
      readonly preemptDisabled: boolean;
    }
  | { readonly kind: 'sleep'; readonly ns: number }
  | {
      /** smp_call_function_single(wait=1) to another vCPU: kernel mode, interrupts on, preemption off. */
      readonly kind: 'ipi';
      readonly target: number;
      readonly handlerNs: number;
      readonly privilege: 'kernel';
      readonly irqsMasked: false;
      readonly preemptDisabled: true;
    }
  | {
      readonly kind: 'touch';
      readonly privilege: 'user' | 'kernel';
      readonly irqsMasked: boolean;
      readonly preemptDisabled: boolean;
      /** A system call: the task enters the kernel through the syscall entry code and returns through the exit code. */
      readonly syscall: boolean;
      readonly region: RegionLayout;
      readonly spec: TouchSpec;
      /** irqoff, preemptoff: compute inside the section before its touches. */
      readonly leadNs: number;
    };

/** A guest task: its program, where it is in it, and its own random stream. */
export class Task {
  /**
   * Its number in creation order, never reused (Linux's pid allocator is cyclic): what traces name
   * it by. `id` is its slot in the task table, which a job set's next process takes over.
   */
  pid: number;
  state: TaskState = 'runnable';
  pc = 0;
  /** Progress inside the current step: ns of compute done, or touches done. */
  progress = 0;
  /**
   * ns already run of the current touch step's next touch (its access, then its think time): an
   * interrupt in the middle of it does not undo it (a touch of 2 ms think at 1,000 Hz was started
   * over at every tick and never finished).
   */
  touchDoneNs = 0;
  /**
   * ns run of the current section's lead (its compute before its touches): an interrupt that cuts
   * it does not start it over (a 20 ms section never ended at 1,000 Hz).
   */
  leadDoneNs = 0;
  /** A drawn page not yet touched (kept across preemption and faults). */
  nextPage = -1;
  /** Sequential pattern cursor. */
  private cursor = 0;
  /** Time of the first fault on `nextPage`, for the fault latency the task sees; -1 if none. */
  faultStart = -1;
  /**
   * The page of this task's access whose request the guest made itself (x86-ve, arm64-s2) and the
   * host refused as it stalled in reclaim (core/sim/host-async-pf.ts startAsyncPf()): the access,
   * come back, is that fault, not a new one. -1 if none; the access's next fault or its end clears it.
   */
  refusedRequestGfn = -1;
  /**
   * The page of a fault this task's access raised in the guest and that was counted there
   * (faultRaisedInGuest()), until the guest's request for it reaches the host (startAsyncPf()),
   * which takes the count back if the page is in by then. -1 if none.
   */
  raisedFaultGfn = -1;
  /** Token this task must sleep on at its next return to user (TIF_ASYNC_PF). */
  flaggedToken = -1;
  /** The vCPU whose sleep table flagged it: where its entry is, if the design enters one at the flag. */
  flaggedOn = -1;
  /** Token the task sleeps on while state === 'sleeping'. */
  sleepToken = -1;
  /** Virtual runtime: ns this task has held its vCPU (one weight for all), placed by the fair class. */
  vruntime = 0;
  /** EEVDF (core/guest/eevdf.ts): the virtual deadline of its request, relative to vruntime while it migrates. */
  deadline = 0;
  relativeDeadline = false;
  /** EEVDF: its lag when it left its queue (V − vruntime), applied where it joins one. */
  vlag = 0;
  /** EEVDF: the deadline it was last picked with (RUN_TO_PARITY protects that slice). */
  pickedDeadline = -1;
  /** EEVDF: the vCPU whose run queue still holds it asleep, delayed (DELAY_DEQUEUE: se->sched_delayed) until picked or woken; -1 if none. */
  delayedOn = -1;
  /** EEVDF: its node in the run queue's tree while queued (core/guest/deadline-tree.ts, which alone reads it). */
  rqNode: object | null = null;
  /** When it last left a CPU (se.exec_start as update_curr() last set it): task_hot() measures from there. */
  offCpuAt = -Infinity;
  /** When its run queue last used it (woken, forked, moved there, or picked): RunQueue's stamp, for the balance's choice. */
  lru = 0;
  /** The call-function request this task sent and waits on (its csd), null when none. */
  csd: CallSingleData | null = null;
  /** Exception code still to run on this task's kernel stack (core/guest/code-layout.ts). */
  readonly frames: KernelFrame[] = [];
  /** Inside a system call step: entered through the syscall entry code, to leave through the exit code. */
  inSyscall = false;
  /**
   * The frame the guest's do_anonymous_page() took for this task's first touch of a page of its own
   * memory and is clearing, in kernel mode (clear_user_highpage()); -1 when none.
   */
  zeroingGfn = -1;
  /** The page index drawn in the current touch step's region, kept until touched (-1: none drawn). */
  private drawn = -1;

  constructor(
    readonly id: number,
    readonly name: string,
    readonly group: string,
    /** The vCPU whose run queue it is on (idle balancing may move a runnable task). */
    public vcpu: number,
    readonly program: readonly CompiledStep[],
    private readonly rng: RandomStream,
    /** Fixed work: program passes before the task exits (null: it loops until the run ends). */
    readonly passes: number | null = null,
    /** Pinned to its vCPU (the scenario named one, as taskset does): never migrated. */
    public pinned = false,
    /** Its own memory (the scenario's task `memory`), null when it has none. */
    readonly mm: ProcessMemory | null = null,
    /** Which kernel stack and task struct pages are its (a process reuses those of the one it replaced). */
    readonly kernelSlot: number = id,
  ) {
    this.pid = id;
  }

  /** Whole passes of the program run so far. */
  passesDone = 0;

  /** The task ran all its passes: it exits instead of starting its program again. */
  get finished(): boolean {
    return this.passes !== null && this.passesDone >= this.passes;
  }

  get step(): CompiledStep {
    return this.program[this.pc];
  }

  advance(): void {
    this.pc = (this.pc + 1) % this.program.length;
    if (this.pc === 0) this.passesDone++;
    this.progress = 0;
    this.touchDoneNs = 0;
    this.leadDoneNs = 0;
  }

  /**
   * The frame of the next page this task's current touch step accesses (drawn once, kept until
   * touched); -1 if it is a page of the task's own memory that has no frame yet: the guest's page
   * fault comes first (anonFrame()).
   */
  peekPage(): number {
    if (this.nextPage < 0) {
      const step = this.step;
      if (step.kind !== 'touch') throw new Error('peekPage outside a touch step');
      const r = step.region;
      if (this.drawn < 0) this.drawn = this.draw(r, step.spec);
      this.nextPage = r.anon === undefined ? r.firstGfn + this.drawn : this.mm!.frameOf(r.anon, this.drawn);
    }
    return this.nextPage;
  }

  /** do_anonymous_page() gave the drawn page of the task's own memory frame `gfn`. */
  mapAnon(gfn: number): void {
    const step = this.step;
    if (step.kind !== 'touch' || step.region.anon === undefined || this.drawn < 0) throw new Error('mapAnon outside a first touch of a task\'s own memory');
    this.mm!.map(step.region.anon, this.drawn, gfn);
    this.nextPage = gfn;
  }

  consumePage(): void {
    this.nextPage = -1;
    this.drawn = -1;
    this.faultStart = -1;
    this.refusedRequestGfn = -1;
  }

  /** The page index drawn for the next touch (peekPage()), -1 if none. */
  get drawnIndex(): number {
    return this.drawn;
  }

  /**
   * A touch cut during its access (an interrupt, a tick, a kick) takes up the same page when it goes
   * on, looked up again: a random pass drew a new one at every cut, and a task whose access took
   * longer than a tick period went on drawing until it found a resident page (9,281 faults for
   * 2,680 touches done).
   */
  resumePage(drawn: number, gfn: number): void {
    this.drawn = drawn;
    this.nextPage = gfn;
  }

  /**
   * A segment planned `untouched` more touches than it did before it was cut short: a sequential
   * pass steps back over them (and over a page drawn for the next touch), so that it touches
   * every page once instead of skipping the ones it planned and never reached. Random draws need
   * no undoing.
   */
  rewind(untouched: number): void {
    const step = this.step;
    if (step.kind !== 'touch' || step.spec.pattern !== 'sequential') return;
    const back = untouched + (this.drawn >= 0 ? 1 : 0);
    this.cursor = Math.max(0, this.cursor - back);
    this.nextPage = -1;
    this.drawn = -1;
  }

  /** A page index in the region. */
  private draw(r: RegionLayout, spec: TouchSpec): number {
    switch (spec.pattern) {
      case 'sequential':
        return this.cursor++ % r.pages;
      case 'hotcold': {
        const hot = Math.max(1, Math.floor(r.pages * spec.hotFraction));
        return this.rng.float() < spec.hotShare ? this.rng.int(hot) : hot + this.rng.int(Math.max(1, r.pages - hot));
      }
      default:
        return this.rng.int(r.pages);
    }
  }
}

/** Where a task runs, for the steps that name another vCPU. */
export interface TaskPlacement {
  readonly vcpu: number;
  readonly vcpus: number;
}

/** Resolves a scenario step into a compiled one. */
export function compileStep(step: Step, regions: ReadonlyMap<string, RegionLayout>, at: TaskPlacement): CompiledStep {
  if ('ipi' in step) return ipi(step.ipi, at);
  if ('compute' in step) return { kind: 'compute', ns: Math.round(step.compute.us * 1000), privilege: 'user', irqsMasked: false, preemptDisabled: false };
  if ('sleep' in step) return { kind: 'sleep', ns: Math.round(step.sleep.us * 1000) };
  if ('touch' in step) return touch(step.touch, USER, 0, regions);
  if ('syscall' in step) return touch(step.syscall, SYSCALL, 0, regions);
  const [section, mode] = 'irqoff' in step ? [step.irqoff, IRQOFF] : [step.preemptoff, PREEMPTOFF];
  const lead = Math.round(section.us * 1000);
  if (!section.touch) return { kind: 'compute', ns: Math.max(1, lead), privilege: 'kernel', irqsMasked: mode.irqsMasked, preemptDisabled: mode.preemptDisabled };
  return touch(section.touch, mode, lead, regions);
}

/** The CPU state a touch step runs in. */
interface TouchMode {
  readonly privilege: 'user' | 'kernel';
  readonly irqsMasked: boolean;
  readonly preemptDisabled: boolean;
  readonly syscall: boolean;
}
const USER: TouchMode = { privilege: 'user', irqsMasked: false, preemptDisabled: false, syscall: false };
const SYSCALL: TouchMode = { privilege: 'kernel', irqsMasked: false, preemptDisabled: false, syscall: true };
// Interrupts off is not preemptible by itself (Vcpu.preemptDisabled); the flag marks preemptoff sections.
const IRQOFF: TouchMode = { privilege: 'kernel', irqsMasked: true, preemptDisabled: false, syscall: false };
const PREEMPTOFF: TouchMode = { privilege: 'kernel', irqsMasked: false, preemptDisabled: true, syscall: false };

function touch(spec: TouchSpec, mode: TouchMode, leadNs: number, regions: ReadonlyMap<string, RegionLayout>): CompiledStep {
  const region = regions.get(spec.region);
  if (!region) throw new Error(`unknown region ${spec.region}`);
  return { kind: 'touch', ...mode, region, spec, leadNs };
}

/**
 * smp_call_function_single() on the sender's own CPU does not send an IPI: it runs the function
 * there with interrupts off (kernel/smp.c generic_exec_single()).
 */
function ipi(spec: IpiSpec, at: TaskPlacement): CompiledStep {
  const target = spec.target === 'next' ? (at.vcpu + 1) % at.vcpus : spec.target;
  if (target >= at.vcpus) throw new BadInputError(`ipi target ${target}: the machine has ${at.vcpus} vCPUs (0–${at.vcpus - 1})`);
  const handlerNs = Math.round(spec.handlerUs * 1000);
  if (target === at.vcpu) return { kind: 'compute', ns: Math.max(CALL_FLOOR_NS, handlerNs), privilege: 'kernel', irqsMasked: true, preemptDisabled: false };
  return { kind: 'ipi', target, handlerNs, privilege: 'kernel', irqsMasked: false, preemptDisabled: true };
}
