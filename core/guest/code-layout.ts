/**
 * Where the guest's PC is: the kernel code an exception runs through, as the architecture lays it
 * out (DESIGN.md "Guest" and "guest PC and code layout"). After every exception, interrupt,
 * injected event or system call the guest runs its vector stub, then entry code that saves the
 * interrupted state, then C entry code that reads the syndrome, and only then the handler; on the
 * way out it restores the state and returns. A design that decides by PC (a range check on the
 * vectors) or that injects an exception the guest cannot take there (it overwrites the return and
 * syndrome registers that code still needs) is judged against these phases.
 *
 * Core knows the shape, not the addresses: each architecture gives its layout as data
 * (arches/<arch>/code-layout.ts), with offsets from its exception vector base and the time each
 * phase takes, stated as assumptions there.
 */

/** The code regions of DESIGN.md "Guest" and Mark Rutland's list (facts/arm64.md §2). */
export type PcRegion = 'user' | 'vectors' | 'entry' | 'fault' | 'modules' | 'kernel' | 'idle';

/** The regions an exception's own code runs in, in the order metrics list them. */
export const EXCEPTION_REGIONS: readonly PcRegion[] = ['vectors', 'entry', 'fault', 'modules'];

/**
 * A guest kernel page a phase touches first: the page of the task's kernel stack that holds its
 * saved registers (pt_regs), the head of its task struct (thread_info and its flags, which the C
 * entry and exit code read), the tail of its task struct (the thread's saved context, which the
 * context switch loads), or the vCPU's per-CPU data. A task struct spans pages (~9.5 KiB on a
 * 6.12 arm64 defconfig, thread_info first and the thread struct last: an assumption of the lab's
 * page choice).
 */
export type KernelPage = 'stack' | 'thread-info' | 'thread' | 'percpu';

/** Guest kernel pages per task (stack, thread-info, thread) and per vCPU (idle stack, per-CPU data). */
export const KERNEL_PAGES_PER_TASK = 3;
export const KERNEL_PAGES_PER_VCPU = 2;

/** One stretch of kernel code an exception runs through. */
export interface CodePhase {
  /** The kernel's name for it (a symbol or file), for traces and `show`. */
  readonly name: string;
  readonly region: PcRegion;
  /** Offset of its first instruction from the exception vector base, in bytes. */
  readonly pc: number;
  readonly bytes: number;
  readonly ns: number;
  /** The guest kernel page it reads or writes first (saving registers, reading flags), if any. */
  readonly touches: KernelPage | null;
  /**
   * The interrupted context's return address, state and syndrome are still only in the exception
   * registers, or are being restored into them: an exception taken here overwrites what this code
   * still needs (Mark Rutland, 20200526123424.GF1363@C02TD0UTHF1T.local).
   */
  readonly nonReentrant: boolean;
  /** Interrupts stay masked from the exception until the C entry code unmasks them. */
  readonly irqsMasked: boolean;
  /** The run-queue lock is held (the scheduler's context switch). */
  readonly rqLocked: boolean;
}

/** An exception class as the vector table sorts them: synchronous (faults, calls) or interrupt. */
export type ExceptionClass = 'sync' | 'irq';
export type Privilege = 'user' | 'kernel';

/** An architecture's exception code, as data (Backend.caps.codeLayout). */
export interface CodeLayout {
  /** Vector stub, entry code and C entry code of an exception of `cls` taken from `from`. */
  entry(cls: ExceptionClass, from: Privilege): readonly CodePhase[];
  /** The way back: restore the saved state and return to `to`. */
  exit(to: Privilege): readonly CodePhase[];
  /** A system call's entry (its own instruction on x86, a synchronous exception on arm64). */
  readonly syscall: readonly CodePhase[];
  /**
   * The scheduler's context switch (__schedule() → context_switch()): run-queue lock held,
   * interrupts off; core takes its time from machine.contextSwitchNs.
   */
  readonly contextSwitch: CodePhase;
  /** The regions laid out, for `show` and the README: where each is and what it holds. */
  readonly regions: readonly { readonly region: PcRegion; readonly pc: number; readonly bytes: number; readonly what: string }[];
  /** Where the layout's figures come from. */
  readonly source: string;
}

/** A phase of straight-line code that runs `cyclesPerByte` cycles per byte at `clockMHz` (at least 1 ns). */
export function timedPhase(
  timing: { readonly cyclesPerByte: number; readonly clockMHz: number },
  name: string,
  region: PcRegion,
  pc: number,
  bytes: number,
  touches: KernelPage | null,
  nonReentrant = true,
): CodePhase {
  const ns = Math.max(1, Math.round((bytes * timing.cyclesPerByte * 1000) / timing.clockMHz));
  return { name, region, pc, bytes, ns, touches, nonReentrant, irqsMasked: true, rqLocked: false };
}

/** CodeLayout.entry built once per exception class and origin: a table, looked up on every exception. */
export function cachedEntry(build: (cls: ExceptionClass, from: Privilege) => readonly CodePhase[]): CodeLayout['entry'] {
  const syncUser = build('sync', 'user');
  const syncKernel = build('sync', 'kernel');
  const irqUser = build('irq', 'user');
  const irqKernel = build('irq', 'kernel');
  // Branches, not table[cls][from]: two lookups by a string key at every exception.
  return (cls, from) => (cls === 'sync' ? (from === 'user' ? syncUser : syncKernel) : from === 'user' ? irqUser : irqKernel);
}

/** The PC `doneNs` into a phase: code runs straight through, so the offset grows with time. */
export function pcAt(phase: CodePhase, doneNs: number): number {
  if (phase.ns <= 0) return phase.pc;
  const f = Math.min(1, Math.max(0, doneNs / phase.ns));
  return phase.pc + Math.min(phase.bytes - 4, Math.floor((f * phase.bytes) / 4) * 4);
}

/**
 * Exception code a vCPU still has to run for one task (or for the idle task): the frames on that
 * task's kernel stack, innermost last. A task that sleeps inside an exception keeps its frames and
 * runs the rest (its way out) when it runs again, as Linux does.
 */
export interface KernelFrame {
  readonly phases: readonly CodePhase[];
  idx: number;
  /** Time run of phases[idx] so far. */
  doneNs: number;
  /** phases[idx] has touched its kernel page. */
  touched: boolean;
  /** When phases[idx] first faulted on its page (the fault latency), -1 if it did not. */
  faultStart: number;
  /** What runs once the phases are done: the handler, or what the way out leads to. */
  readonly then: (() => void) | null;
  /**
   * An exception's entry code: once `then` (its handler) has run, the way out back to this
   * privilege follows (core/sim/guest-entry.ts finishFrame()). Null for any other frame.
   */
  readonly returnTo: Privilege | null;
  /** A halt frame: the guest's halted wait for this token (no phases); -1 otherwise. */
  readonly haltToken: number;
}

export function codeFrame(phases: readonly CodePhase[], then: (() => void) | null): KernelFrame {
  return { phases, idx: 0, doneNs: 0, touched: false, faultStart: -1, then, returnTo: null, haltToken: -1 };
}

/** An exception's entry code, then `handler`, then the way back to `returnTo`. */
export function entryFrame(phases: readonly CodePhase[], handler: () => void, returnTo: Privilege): KernelFrame {
  return { phases, idx: 0, doneNs: 0, touched: false, faultStart: -1, then: handler, returnTo, haltToken: -1 };
}

export function haltFrame(token: number): KernelFrame {
  return { phases: [], idx: 0, doneNs: 0, touched: true, faultStart: -1, then: null, returnTo: null, haltToken: token };
}

/**
 * The innermost frame of a kernel stack, or undefined when it is empty. Checked, not read at
 * index -1: on an empty array V8 looks a negative index up as a named property, along the
 * prototype chain, and this is asked at every step of every vCPU.
 */
export function topFrame(stack: readonly KernelFrame[]): KernelFrame | undefined {
  return stack.length === 0 ? undefined : stack[stack.length - 1];
}

/** The phase a frame is in, or null (a halt frame, or phases all run). */
export function framePhase(f: KernelFrame | undefined): CodePhase | null {
  return f !== undefined && f.haltToken < 0 && f.idx < f.phases.length ? f.phases[f.idx] : null;
}
