import type { CostTable } from '../../core/backend.js';

/**
 * x86 cost table, in cycles at `clockMHz` (facts/anchors.md §A6). A scenario overrides any key
 * under `costs.x86`.
 */
export const X86_COSTS: CostTable = {
  /** Xeon X5570 2.93 GHz, the machine of the SplitX exit measurement. */
  clockMHz: 2930,
  /** VM exit + entry "direct cost" ~2,000 cycles (SplitX, §A6). */
  exitCycles: 2000,
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
