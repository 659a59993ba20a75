import type { CostTable } from '../../core/backend.js';
import { STANDARD_COST_KEYS, type CostKeys, type ExitNames } from '../../core/costs.js';

/**
 * x86 cost table, in cycles at `clockMHz` (facts/anchors.md §A6, §A6a). A scenario overrides any
 * key under `costs.x86`. Each exit kind and injection has its own entry; the published figures
 * come from different Intel machines and are used as cycle counts at this table's clock.
 */
export const X86_COSTS: CostTable = {
  /** Xeon X5570 2.93 GHz, the machine of the SplitX exit measurement. */
  clockMHz: 2930,
  /**
   * An exit with no entry of its own (HLT, a trapped instruction such as #UD): the VM exit + entry
   * "direct cost" ~2,000 cycles (SplitX, Landau et al., Xeon X5570, KVM 2.6.34; §A6).
   */
  exitCycles: 2000,
  /**
   * EPT violation round trip, handled in the host kernel: "I/O kernel", KVM x86 column, 2,565 cycles
   * (Dall, Li, Nieh, USENIX ATC 2017, Table 2, Xeon E5-2450; §A6a).
   */
  stage2FaultExitCycles: 2565,
  /**
   * A guest call (VMCALL, or a PV MSR write handled in kvm such as MSR_KVM_ASYNC_PF_ACK): the
   * hypercall round trip, KVM x86 column, 1,437 cycles (ATC 2017, Table 2; §A6a). Pricing a PV MSR
   * write like a VMCALL is an assumption: both exit, are handled in the kernel and resume.
   */
  hypercallExitCycles: 1437,
  /**
   * A kick of a running vCPU: EXTERNAL_INTERRUPT exit handling ≈ 0.71 µs on Skylake (commit
   * 0c5f81dad46c; §A6a) = 2,080 cycles at this table's clock.
   */
  kickExitCycles: 2080,
  /**
   * Injecting #PF at entry: the guest takes it through its IDT like a native exception, ≈ 600
   * cycles in (Xeon E5 v3, lastweek.io/notes/xperf; §A6a); the iret back is in the guest handler.
   */
  injectEventCycles: 600,
  /** Injecting the page-ready vector at entry: assumed to cost what the #PF entry costs (§A6a). */
  injectIrqCycles: 600,
  /**
   * Host work on an EPT violation for a host-missing page before it goes async or blocks
   * (GUP with FOLL_NOWAIT, work allocation): model assumption, inside §A6's 1–10 µs minor fault.
   */
  stage2FaultCycles: 6000,
  /** Guest #PF entry, read-and-clear of `flags`, sleep-table insert: model assumption. */
  guestPfHandlerCycles: 3000,
  /** Guest sysvec handler for page-ready (wake, clear slot): model assumption. */
  guestIrqHandlerCycles: 1500,
};

/** Which table entry prices each exit kind and injection (core/costs.ts). */
/** x86 injects its async-PF events as exceptions (#PF; #VE is raised by the CPU): one entry prices both. */
export const X86_COST_KEYS: CostKeys = { ...STANDARD_COST_KEYS, inject: { ...STANDARD_COST_KEYS.inject, exception: 'injectEventCycles' } };

/** VMX exit reasons of the exits core causes itself (facts/x86.md §2). */
export const X86_EXIT_NAMES: ExitNames = { stage2Fault: 'EPT_VIOLATION', kick: 'EXTERNAL_INTERRUPT', idle: 'HLT' };
