import type { CostTable } from '../../core/backend.js';

/** arm64 cost table, in cycles at `clockMHz` (facts/anchors.md §A6); override under `costs.arm64`. */
export const ARM64_COSTS: CostTable = {
  /** ThunderX2 CN9975 at 2.0 GHz, the host of Gavin Shan's RFCv2 numbers (facts/anchors.md §A2). */
  clockMHz: 2000,
  /** KVM ARM hypercall round trip ~6,500 cycles, non-VHE (Dall et al., ISCA 2016, Table II [R]); VHE is lower. */
  exitCycles: 6500,
  /** Host work on a stage-2 abort for a host-missing page before async or sync: model assumption. */
  stage2FaultCycles: 4000,
  /** Host dispatch of an SDEI event (save x0–x17, PC, PSTATE; set up the handler): assumption, none measured (§A6). */
  sdeiDispatchCycles: 2000,
  /**
   * Host work on SDEI_EVENT_COMPLETE_AND_RESUME beyond the exit: restore the interrupted context
   * and emulate the IRQ entry (kvm_inject_irq() in Gavin Shan's dispatcher). Assumption: none
   * measured (facts/anchors.md §A6 "SDEI delivery"); taken equal to the dispatch's context work.
   */
  sdeiResumeCycles: 2000,
  /** Guest SDEI handler (table insert, TIF flag, clear the block): model assumption. */
  guestSdeiHandlerCycles: 1500,
  /** Guest IRQ handler work (PPI or reschedule SGI); a GIC EOI does not exit (~71 cycles, ISCA 2016 [R]). */
  guestIrqHandlerCycles: 1000,
};
