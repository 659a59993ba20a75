import type { CostTable } from '../../core/backend.js';
import { STANDARD_COST_KEYS, type CostKeys, type ExitNames } from '../../core/costs.js';

/**
 * arm64 cost table, in cycles at `clockMHz` (facts/anchors.md §A6, §A6a); override under
 * `costs.arm64`.
 *
 * The anchor host (ThunderX2, Armv8.1) runs the host kernel at EL2 (VHE), so exits are priced from
 * the el2Linux column of Dall, Li, Nieh, "Optimizing the Design and Implementation of the Linux ARM
 * Hypervisor", USENIX ATC 2017, Table 2 (§A6a): Linux run at EL2 on an AMD Seattle (Cortex-A57),
 * which has no VHE — the authors' stand-in for it. ThunderX2 is a different core with real VHE, and
 * no exit cost was found measured on it (§A6a), so these cycle counts are an assumption for it.
 * For a non-VHE host use the KVM ARM column of the same table: hypercall 6,413, I/O kernel 8,034,
 * virtual IPI 13,121 (the previous default, 6,500, was ISCA 2016's non-VHE hypercall).
 */
export const ARM64_COSTS: CostTable = {
  /** ThunderX2 CN9975 at 2.0 GHz, the host of Gavin Shan's RFCv2 numbers (facts/anchors.md §A2). */
  clockMHz: 2000,
  /**
   * An exit with no entry of its own (WFx, a trapped system register such as ICC_SGI1R_EL1):
   * assumed to cost the minimal round trip, the el2Linux hypercall (752 cycles, ATC 2017 Table 2).
   */
  exitCycles: 752,
  /** Stage-2 abort handled in the host kernel: "I/O kernel", el2Linux, 1,604 cycles (ATC 2017 Table 2). */
  stage2FaultExitCycles: 1604,
  /** HVC (SMCCC async-PF and SDEI calls): hypercall, el2Linux, 752 cycles (ATC 2017 Table 2). */
  hypercallExitCycles: 752,
  /** A kick of a running vCPU: virtual IPI, el2Linux, 2,526 cycles (ATC 2017 Table 2). */
  kickExitCycles: 2526,
  /**
   * Host dispatch of an SDEI event at entry (save x0–x17, PC, PSTATE; set up the handler), charged
   * as the event injection: assumption, none measured (facts/anchors.md §A6b "SDEI delivery").
   */
  sdeiDispatchCycles: 2000,
  /**
   * A PPI or SGI taken at entry: a list-register write at the vGIC flush plus the guest's exception
   * entry. Assumption: an EL0→EL1 exception round trip measures 0.10–0.43 µs (lmbench lat_syscall
   * null, §A6a), ≈ 500 cycles at 2 GHz. The EOI of an edge or hardware-mapped interrupt does not
   * exit (~71 cycles, ISCA 2016 [R]); that of the level-configured async-PF PPI does, as its own
   * exit (arches/arm64/vgic.ts).
   */
  injectIrqCycles: 500,
  /**
   * A synchronous exception injected at entry through the guest's vectors (the data abort of
   * RFCv1/RFCv2, arm64-s2's reflected abort; not arm64-pvvec's PV entry, which carries no
   * exception and is priced as the event entry, its host saving the interrupted context in a save
   * area as an SDEI dispatch does): kvm_inject_dabt() writes FAR/ESR/ELR/SPSR and points the PC at the vector, and the
   * guest takes it as its own exception entry. Assumption: priced as the PPI's entry above, an
   * EL0→EL1 exception round trip (lmbench lat_syscall null 0.10–0.43 µs, §A6a), not as an SDEI
   * dispatch, which saves and restores a context and needs a COMPLETE call.
   */
  injectExceptionCycles: 500,
  /** Host work on a stage-2 abort for a host-missing page before async or sync: model assumption. */
  stage2FaultCycles: 4000,
  /**
   * Host work on SDEI_EVENT_COMPLETE_AND_RESUME beyond the exit: restore the interrupted context
   * and emulate the IRQ entry (kvm_inject_irq() in Gavin Shan's dispatcher). Assumption: none
   * measured (facts/anchors.md §A6 "SDEI delivery"); taken equal to the dispatch's context work.
   */
  sdeiResumeCycles: 2000,
  /** Guest SDEI handler (table insert, TIF flag, clear the block): model assumption. */
  guestSdeiHandlerCycles: 1500,
  /** Guest IRQ handler work (PPI or reschedule SGI); the PPI's EOI exit is priced apart (arches/arm64/vgic.ts). */
  guestIrqHandlerCycles: 1000,
};

/**
 * Which table entry prices each exit kind and injection (core/costs.ts): an event with its own
 * entry is an SDEI dispatch; an exception through the vectors is an exception entry.
 */
export const ARM64_COST_KEYS: CostKeys = { ...STANDARD_COST_KEYS, inject: { event: 'sdeiDispatchCycles', exception: 'injectExceptionCycles', irq: 'injectIrqCycles' } };

/** The exits core causes itself, named as KVM's kvm_exit tracepoint shows them (ESR_EL2 class, or IRQ). */
export const ARM64_EXIT_NAMES: ExitNames = { stage2Fault: 'DABT_LOW', kick: 'IRQ', idle: 'WFx' };
