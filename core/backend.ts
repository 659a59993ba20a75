/**
 * The backend contract: what core asks an architecture, in KVM's words.
 *
 * virt/kvm/async_pf.c owns the queue, the done list and the drain loop and asks the
 * architecture through kvm_arch_* hooks; this file is that boundary (DESIGN.md "The backend
 * contract", STYLE.md §1). Core never names a register, a vector or an architecture: what it
 * needs to know about one comes from a hook's answer or from `caps` (core/backend-caps.ts).
 */
import type { BackendCaps, ExitCosts, ExitKind } from './backend-caps.js';
import type { ExceptionClass, PcRegion } from './guest/code-layout.js';

export type { BackendCaps, ExitCosts, ExitKind, ExitSpec, InjectionKind, IpiCaps } from './backend-caps.js';
export type { PcRegion } from './guest/code-layout.js';

/** A predicate's answer: yes, or no with the reason that ends up in the metrics. */
export type Verdict = { readonly ok: true } | { readonly ok: false; readonly reason: string };

export const YES: Verdict = Object.freeze({ ok: true });
export function no(reason: string): Verdict {
  return { ok: false, reason };
}

/** The guest CPU state a backend may read when it decides (PROTOCOLS.md §1 "guest state"). */
export interface GuestCpuState {
  readonly vcpuId: number;
  readonly privilege: 'user' | 'kernel';
  /** x86 RFLAGS.IF = 0, arm64 PSTATE.I = 1. */
  readonly irqsMasked: boolean;
  readonly preemptDisabled: boolean;
  /** Where the PC is (DESIGN.md "Guest"): user code, the exception code of core/guest/code-layout.ts, other kernel code, idle. */
  readonly pcRegion: PcRegion;
  /**
   * The PC as an offset from the exception vector base (VBAR_EL1; the IDT stubs on x86) while the
   * guest runs exception code of the layout (Backend.caps.codeLayout), else null: a design that
   * decides by address compares it with its range.
   */
  readonly pc: number | null;
  /** The run-queue lock of this CPU is held (a context switch in progress). */
  readonly rqLocked: boolean;
  /** An injected event is waiting for the next entry (x86 kvm_is_exception_pending()). */
  readonly eventPending: boolean;
  /**
   * The instruction the guest resumes at would take a stage-2 fault: an IRQ made pending now may
   * not be taken first (Arm ARM D1.13.4, James Morse; facts/arm64.md §2).
   */
  readonly resumeWouldFault: boolean;
  /** An interrupt waits in the controller (x86's IRR) besides the one being handled, or the tick. */
  readonly irqPending: boolean;
}

/** KVM's struct kvm_async_pf, with the arch part carried opaque (STYLE.md §1). */
export interface AsyncPfWork<A = unknown> {
  readonly id: number;
  readonly vcpu: number;
  readonly gfn: number;
  /** cr2_or_gpa in KVM; the guest physical address here (TDP). */
  readonly faultAddress: number;
  readonly token: number;
  readonly arch: A;
  readonly wakeupAll: boolean;
  notPresentInjected: boolean;
}

/**
 * A guest→host call through the architecture's guest-facing ABI. Core carries it to the
 * backend without reading it; each architecture defines its calls (arches/x86/msr.ts,
 * arches/arm64/smccc.ts) and narrows on `kind`.
 */
export interface GuestCall {
  readonly kind: string;
  readonly [field: string]: unknown;
}

/**
 * The architectural answer to a guest call. `fault` is an exception raised in the guest
 * instead of completing the call (the architecture names it); `regs` are the values the call
 * returns in registers.
 */
export type GuestCallResult =
  | { readonly kind: 'ok'; readonly regs: readonly bigint[] }
  | { readonly kind: 'fault'; readonly vector: string };

/** What the guest's kernel offers the arch half of the guest protocol (core/guest). */
export interface GuestKernel {
  /** kvm_async_pf_task_wait_schedule(): sleep the current task on `token`, or eat a dummy. */
  asyncPfTaskWaitSchedule(token: number): void;
  /**
   * The guest's halt branch of its wait (the 2010 x86 guest's `halted` loop around HLT, RFCv2's
   * `dsb(sy); wfi()`): the current task stays on the vCPU, which halts — an idle exit each time —
   * until a wake for `token` unhashes it; interrupts are taken meanwhile. For a context that may not
   * sleep (idle, preemption off).
   */
  asyncPfTaskWaitHalt(token: number): void;
  /** kvm_async_pf_task_wake(): wake the sleeper, leave a dummy, or wake all for ~0. */
  asyncPfTaskWake(token: number): void;
  /**
   * Flag the current task so that it sleeps on `token` at its next real return to user (a TIF
   * flag acted on in do_notify_resume()); false if the guest refused (the task already has an
   * entry, arm64 v4 kvm_async_pf_add_task()).
   */
  flagAsyncPfAtReturnToUser(token: number): boolean;
  /** Register the handler the guest runs when interrupt `line` is taken. */
  requestIrq(line: number, handler: () => void): void;
  /** Issue a guest→host call: one exit, answered by the backend's guestCall(). */
  call(call: GuestCall): GuestCallResult;
  /** Guest kernel time spent in a handler. */
  charge(ns: number): void;
  /** The token of the task currently on this vCPU is irrelevant here; the current task's name for traces. */
  readonly currentTask: string | null;
}

/** An event the host injects, taken by the guest at the next entry (an exception or an NMI-like event). */
export interface InjectedEvent {
  readonly name: string;
  /** The guest-side handler; runs at entry with the guest kernel API. */
  readonly handler: () => void;
  /** The APF token this event announces, if any (invariant checks and traces). */
  readonly token: number | null;
  /** 'not-present' for an APF announcement (checked against the variant's forbidden states). */
  readonly signal: 'not-present' | 'ready' | 'other';
  /**
   * The exception the guest takes through its vector table for this event (an injected #PF, #VE or
   * data abort is `sync`): it overwrites the exception return and syndrome registers, runs the
   * entry code of the code layout before `handler`, and returns through its exit code. Absent: an
   * event with its own entry that saves the interrupted state elsewhere (an NMI-like event, a
   * paravirtual vector): the handler runs at once.
   */
  readonly exception?: ExceptionClass;
}

/** The vCPU as a backend sees it: state, requests and kicks, injection, accounting. */
export interface KvmVcpu<S = unknown> {
  readonly id: number;
  readonly state: S;
  readonly cpu: GuestCpuState;
  readonly now: number;
  readonly guest: GuestKernel;
  /** KVM_REQ_APF_READY. */
  requestApfReady(): void;
  /** kvm_vcpu_kick(): make a vCPU that is running guest code exit. */
  kick(): void;
  /**
   * kvm_vcpu_wake_up(): wake a vCPU blocked in the host (halt, idle) so it re-checks its requests;
   * a vCPU running guest code does not exit and sees them at its next entry.
   */
  wakeUp(): void;
  /**
   * vcpu->arch.mp_state = KVM_MP_STATE_RUNNABLE (and apf.halted = false): a vCPU waiting in a
   * guest halt or in the APF synthetic halt goes on, with or without an interrupt.
   */
  setRunnable(): void;
  /** Queue an exception or event for the next entry; at most one at a time. */
  injectEvent(event: InjectedEvent): void;
  /** Drop a queued, not yet taken event; returns whether there was one with that name. */
  cancelEvent(name: string): boolean;
  /**
   * The guest takes an IRQ exception at this entry whether or not a line is pending, and returns
   * from it as from any interrupt: how an NMI-like event may finish "and resume" at the guest's
   * IRQ vector (facts/arm64.md §4 "How Linux finishes an event").
   */
  injectIrqException(): void;
  /**
   * Raise an interrupt line: edge (taken once) or level (pending until lowered). A line that
   * announces a not-present carries its token, so that the guest taking it is checked like any
   * other not-present delivery (invariants 1 and 4).
   */
  raiseIrq(line: number, signal: 'not-present' | 'ready' | 'other', level: boolean, token?: number): void;
  lowerIrq(line: number): void;
  /**
   * The guest enables or disables one line at the interrupt controller (disable_percpu_irq(),
   * enable_percpu_irq(), as the controller's emulation sees the write): a disabled line stays
   * pending but is not taken; enabled again, a pending one is taken at the next chance.
   */
  setIrqEnabled(line: number, enabled: boolean): void;
  /** The interrupt controller's reset (x86 INIT: kvm_lapic_reset()): nothing pending, nothing in service. */
  resetIrqs(): void;
  /**
   * The guest asked for `gfn` itself (a hypercall after a fault raised in the guest): KVM's
   * kvm_setup_async_pf() on its behalf — the token the guest sleeps on, announced as if delivered.
   * Refused when the page is in, already outstanding, or the queue is at its cap: then the vCPU
   * waits as the design's caps say (a synchronous fault at the cap).
   */
  startAsyncPf(gfn: number): { readonly ok: true; readonly token: number } | { readonly ok: false; readonly reason: string };
  /** virt/kvm/async_pf.c services the arch calls back. */
  wakeupAll(): void;
  clearCompletionQueue(): void;
  checkCompletion(): void;
  /** The guest acknowledged the last page-ready (for invariant 3). */
  noteReadyAcked(): void;
  /** Count an arch-specific protocol event (e.g. an event cancelled before dispatch). */
  countEvent(name: string): void;
  /** The run has a trace sink: test it first, so that an untraced run builds no field objects. */
  readonly traced: boolean;
  /** Emit a tracepoint at this vCPU's time (core/trace.ts), from where KVM would emit it. */
  trace(event: string, fields: Readonly<Record<string, number>>): void;
  /** Count a delivery that is unsafe at this moment (lab-only, DESIGN.md "hazards"). */
  hazard(name: string): void;
  /** Host time spent on this vCPU's behalf outside an exit round trip (e.g. an event dispatch). */
  chargeHost(ns: number): void;
  /** Current count of queued works (kvm_vcpu.async_pf.queued). */
  readonly queued: number;
  /** The next completion kvm_check_async_pf_completion() would dequeue, if any. */
  readonly doneHead: AsyncPfWork | null;
}

/** A static feasibility or review finding with its citation. */
export interface Finding {
  readonly id: string;
  readonly severity: 'blocker' | 'concern' | 'note';
  readonly text: string;
  readonly cite: string;
}

/** A guest call's answer and the exit it took: its label for the metrics, its kind for the price. */
export interface GuestCallExit {
  readonly result: GuestCallResult;
  readonly exit: string;
  readonly kind: ExitKind;
}

export interface Backend<S = unknown, A = unknown> {
  readonly arch: string;
  readonly caps: BackendCaps;
  readonly costs: ExitCosts;
  readonly findings: readonly Finding[];
  createVcpuState(vcpuId: number): S;
  /** The guest's boot-time enable sequence on one vCPU (runs through guest.call()). */
  guestInit(vcpu: KvmVcpu<S>): void;
  /**
   * Asked first, before any exit: a design in which the CPU raises the fault in the guest itself
   * for a page the host marked absent (a virtualisation exception, or a stage-2 fault reflected to
   * the guest: DESIGN.md catalogue) injects the guest's handler here and returns true; no exit is
   * taken. False: the fault exits to the host, which runs KVM's flow (PROTOCOLS.md §2).
   */
  faultInGuest(vcpu: KvmVcpu<S>, gfn: number): boolean;
  /** kvm_can_do_async_pf */
  canDoAsyncPf(vcpu: KvmVcpu<S>): Verdict;
  /** kvm_arch_setup_async_pf: the token and the arch payload. */
  setupAsyncPf(vcpu: KvmVcpu<S>, gfn: number): { token: number; arch: A };
  /** kvm_can_deliver_async_pf */
  canDeliverAsyncPf(vcpu: KvmVcpu<S>): Verdict;
  /** kvm_arch_async_page_not_present: tell the guest; returns whether it was injected. */
  asyncPageNotPresent(vcpu: KvmVcpu<S>, work: AsyncPfWork<A>): boolean;
  /** kvm_arch_async_page_present_queued */
  asyncPagePresentQueued(vcpu: KvmVcpu<S>): void;
  /** kvm_arch_can_dequeue_async_page_present */
  canDequeueAsyncPagePresent(vcpu: KvmVcpu<S>): Verdict;
  /**
   * kvm_arch_vcpu_runnable()'s async-PF terms, beyond a deliverable interrupt: while true, a halt
   * or a guest HLT/WFI does not block but returns at once, and the vCPU spins in exits
   * (core/sim/vcpu-run.ts). x86: the done list holds anything, dequeueable or not (the 2010
   * series' `|| !list_empty_careful(&vcpu->async_pf.done)`; Linux 6.12 arch/x86/kvm/x86.c
   * kvm_vcpu_has_events()). Gavin Shan's v4: while enabled, the done list or notpresent_pending or
   * pageready_pending (v4 08/15, 20210815005947.83699-9-gshan@redhat.com, arch/arm64/kvm/arm.c).
   * RFCv1/RFCv2: while enabled, the done list or a non-zero reason word (RFCv2 7/9,
   * 20200508032919.52147-8-gshan@redhat.com, virt/kvm/arm/arm.c). Linux 6.12's arm64: none.
   */
  apfRunnable(vcpu: KvmVcpu<S>): boolean;
  /** kvm_arch_async_page_ready: prefault; returns false where KVM skips it. */
  asyncPageReady(vcpu: KvmVcpu<S>, work: AsyncPfWork<A>): boolean;
  /** kvm_arch_async_page_present: tell the guest page-ready; returns whether it was delivered. */
  asyncPagePresent(vcpu: KvmVcpu<S>, work: AsyncPfWork<A>): boolean;
  /**
   * The vCPU arrives on a live migration's destination (a scenario `migrate` event, PROTOCOLS.md
   * §2). Core has dropped what only the source's kernel held for it (the works, the done list,
   * the gfn table, the synthetic halt, the pending request); the arch drops its own such state and
   * replays what the VMM restores on the fresh vCPU (x86: KVM_SET_MSRS of INT, then EN, whose
   * enable queues a wake-all). Guest memory and the vCPU's architectural state arrive as they were.
   */
  vcpuMigrated(vcpu: KvmVcpu<S>): void;
  /**
   * The guest's CPU-down callback on the dying CPU (a scenario `offline` event, core/sim/cpu-hotplug.ts),
   * through guest.call(): x86's kvm_guest_cpu_offline() writes EN = 0 and wakes every sleeper of
   * the CPU; arm64's kvm_async_pf_cpu_offline() only disables.
   */
  guestCpuOffline(vcpu: KvmVcpu<S>): void;
  /**
   * What the CPU-down callback does before that stretch (caps.offlineWindow), as the host's
   * emulation sees it: arm64 v4's disable_percpu_irq() of its page-ready line. Nothing on x86.
   */
  guestCpuDownPrepare(vcpu: KvmVcpu<S>): void;
  /** The guest's CPU-up callback once the CPU runs again (x86: kvm_guest_cpu_init() as at boot; arm64: the enable alone). */
  guestCpuOnline(vcpu: KvmVcpu<S>): void;
  /**
   * kvm_vcpu_reset() of a CPU brought up again (INIT-SIPI on x86, PSCI CPU_ON on arm64), before the
   * guest's online callback (guestInit()): what the design's reset clears (x86: the enable values, the
   * works, the done list and the gfn table; arm64 v4 and the RFCs: nothing of async PF).
   */
  vcpuReset(vcpu: KvmVcpu<S>): void;
  /** The guest-facing ABI with KVM's validation; returns the architectural answer and the exit taken. */
  guestCall(vcpu: KvmVcpu<S>, call: GuestCall): GuestCallExit;
  /** Arch-specific guest states true now (e.g. 'sdei-running'), for invariant 4. */
  conditions(vcpu: KvmVcpu<S>): readonly string[];
  /** Names for the exits core causes itself. */
  readonly exitNames: { readonly stage2Fault: string; readonly kick: string; readonly idle: string };
}

/** The mechanism dimensions a variant picks (DESIGN.md "Variant catalogue"). */
export interface Mechanisms {
  readonly enable: string;
  readonly notPresent: string;
  readonly ready: string;
  readonly token: string;
  readonly eligibility: string;
  readonly wake: string;
  readonly ack: string;
}

/** Per-architecture cost table in cycles (facts/anchors.md §A6) with its clock. */
export type CostTable = Readonly<Record<string, number>> & { readonly clockMHz: number };

export interface VariantContext {
  /** Guest memory size: a shared area outside it fails the host's gfn→hva cache init. */
  readonly guestMemoryBytes: number;
  /** Scenario overrides for this variant's architecture: costs and knobs. */
  readonly costOverrides: Readonly<Record<string, number>>;
  readonly knobs: Readonly<Record<string, number>>;
}

export interface Variant {
  readonly id: string;
  readonly arch: string;
  readonly title: string;
  readonly origin: string;
  readonly mechanisms: Mechanisms;
  /** The catalogue id of each mechanism, for a variant composed from a spec (arches/spec.ts). */
  readonly mechanismIds?: { readonly [D in keyof Mechanisms]: string };
  /**
   * True for an architecture's no-APF baseline: a comparison measures each APF variant against
   * the baseline of its own `arch` (absent means false).
   */
  readonly baseline?: boolean;
  /** Cost table keys a scenario may override, with the defaults (cycles, and clockMHz). */
  readonly defaultCosts: CostTable;
  readonly knobs: Readonly<Record<string, number>>;
  createBackend(ctx: VariantContext): Backend<any, any>;
}
