import type { CodeLayout } from './guest/code-layout.js';
import type { WakeSemantics } from './guest/sleep-table.js';

/**
 * What an architecture is, as data rather than hooks (core/backend.ts has the hooks): its exits
 * and their prices, how its interrupts and IPIs travel, and the protocol facts core reads from
 * `Backend.caps` — as KVM keeps an architecture's constants and capabilities apart from its
 * kvm_arch_* functions.
 */

/**
 * What kind of exit a guest→host round trip is, for its price: a stage-2 fault on guest memory,
 * a call the guest makes on purpose (hypercall, paravirtual register write), another trapped instruction or
 * system register, a kick of a running vCPU (host IPI), and the guest's idle instruction.
 */
export type ExitKind = 'stage2Fault' | 'hypercall' | 'trap' | 'kick' | 'idle';

/**
 * How an injected event is priced at entry: `exception`, one the guest takes through its vector
 * table (InjectedEvent.exception: an injected page fault or data abort); `event`, one with an
 * entry of its own (a firmware-style event dispatch); `irq`, an interrupt taken at entry.
 */
export type InjectionKind = 'event' | 'exception' | 'irq';

/**
 * Costs a backend charges, in nanoseconds, already converted from its cycle table (DESIGN.md
 * "Costs are per-architecture tables"): each exit kind and each injection has its own price.
 */
export interface ExitCosts {
  /** One exit + entry round trip of each kind, including the host's handling of that exit. */
  readonly exitNs: Readonly<Record<ExitKind, number>>;
  /** Host work on a stage-2 fault on a host-missing page, beyond the round trip. */
  readonly stage2FaultNs: number;
  /** Host and hardware work to deliver one injection at entry (event injection, list-register write). */
  readonly injectNs: Readonly<Record<InjectionKind, number>>;
}

/** An exit the architecture takes for a guest action: its label for the metrics, its kind for the price. */
export interface ExitSpec {
  readonly name: string;
  readonly kind: ExitKind;
}

/**
 * The guest's call-function IPI (smp_call_function_single()): the line it arrives on is the
 * architecture's (its interrupt controller numbers it), and so is what sending and delivering it cost.
 */
export interface IpiCaps {
  /** The interrupt line the guest's call-function IPI is raised on; no backend may use it for anything else. */
  readonly line: number;
  /** The exit the sender takes to send it (a trapped interrupt-controller register), or null where it does not trap. */
  readonly sendExit: ExitSpec | null;
  /** A target running guest code must be kicked out to take it (no posted-interrupt delivery). */
  readonly kickRunningTarget: boolean;
  /**
   * The exit an interrupt (any line, and the tick) costs when it waits on the guest's interrupt
   * mask: where the interrupt controller cannot hold it for the guest's unmask, the host asks for
   * an exit there and injects it then (x86 without APICv: VMX interrupt-window exiting). null
   * where it is taken at the unmask without an exit.
   */
  readonly irqWindowExit: ExitSpec | null;
}

/** Backend.caps: the architecture's and the design's facts core reads instead of naming either. */
export interface BackendCaps {
  /** ASYNC_PF_PER_VCPU: an architecture constant, not a neutral one (STYLE.md §1). */
  readonly asyncPfPerVcpu: number;
  /** The guest must acknowledge each page-ready before the next (invariant 3). */
  readonly ackRequired: boolean;
  /**
   * What a vCPU does while its fault is outstanding and the guest was not told: x86 halts
   * (KVM_REQ_APF_HALT); Gavin Shan's arm64 series re-enters the guest, which faults again
   * (facts/arm64.md §1 v2–v4; gwshan/linux arch/arm64/kvm/mmu.c try_async_pf()).
   */
  readonly undeliveredWait: 'halt' | 'retry';
  /**
   * What a vCPU does when the guest could be told but the signal's write failed
   * (asyncPageNotPresent() false after canDeliverAsyncPf() said yes); null: as `undeliveredWait`.
   * Today's x86 halts on either (arch/x86/kvm/x86.c kvm_arch_async_page_not_present(), its else
   * branch); the 2010 host neither injects nor halts, so the vCPU re-enters and its access faults
   * again, a repeated fault that halts (seed 001, 7c90705bf2a3 kvm_arch_async_page_not_present();
   * 2.6.38 mmu.c try_async_pf()).
   */
  readonly notInjectedWait: 'halt' | 'retry' | null;
  /**
   * Page-ready goes out only for works whose not-present was injected (or a wake-all): x86
   * since 2a18b7e7cd88 (facts/x86.md §6 "Dummy-entry leak"); the 2010 design sent it regardless.
   */
  readonly readyOnlyIfNotPresentInjected: boolean;
  /**
   * Which pending interrupt the guest takes first: a local APIC serves the highest vector first;
   * a GIC with equal priorities, the lowest INTID.
   */
  readonly irqOrder: 'highest-first' | 'lowest-first';
  /**
   * An entry with a signal interrupt pending, no exception to take first, and a resumed
   * instruction that stage-2 faults: where the architecture does not say which is taken first,
   * the hazard to count and how often the fault wins (each time: one more stage-2 exit, as a
   * repeated fault, before the interrupt is taken). null where the pending interrupt is
   * injected at entry, before any instruction runs.
   */
  readonly irqVsRefault: { readonly hazard: string; readonly faultFirstShare: number } | null;
  /** How the guest's sleep table treats early wakes and flagged tasks (core/guest/sleep-table.ts). */
  readonly guestWake: WakeSemantics;
  /** Guest states in which a not-present delivery is forbidden (invariant 4). */
  readonly forbiddenNotPresent: readonly string[];
  /** How the guest's call-function IPI travels (an `ipi` workload step, PROTOCOLS.md §3 "IPIs"). */
  readonly ipi: IpiCaps;
  /** The guest kernel's exception code as the architecture lays it out (core/guest/code-layout.ts). */
  readonly codeLayout: CodeLayout;
  /**
   * Interrupt lines whose end of handling (the guest's EOI after the handler) exits to the host,
   * whether the timer tick's does (`tick`), and that exit; null where none does. The interrupt
   * controller decides: a software-driven level interrupt can ask for a maintenance exit at its
   * EOI (arches/arm64/vgic.ts); an unvirtualised EOI register traps for every interrupt
   * (arches/x86/eoi.ts), or, with x86's PV EOI, only where another interrupt is pending
   * (`whenPending`: KVM arms PV EOI at entry only with nothing in the IRR).
   */
  readonly eoiExit: { readonly lines: readonly number[]; readonly tick: boolean; readonly exit: ExitSpec; readonly whenPending: boolean } | null;
  /**
   * The stretch of the guest's CPU-down callback before it disables async PF, where the host may
   * still send a page-ready: the exits it makes there, and whether interrupts are off meanwhile
   * (x86: kvm_guest_cpu_offline()'s register writes inside kvm_cpu_down_prepare()'s
   * local_irq_save(); arm64 v4: the interrupt controller write of disable_percpu_irq(),
   * interrupts on). Core runs it as guest time of their round trips,
   * after guestCpuDownPrepare() and before guestCpuOffline() (core/sim/cpu-hotplug.ts); no
   * exits, no stretch.
   */
  readonly offlineWindow: { readonly exits: number; readonly irqsMasked: boolean };
}
