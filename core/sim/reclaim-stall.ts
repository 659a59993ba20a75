import type { ReclaimWaiter } from '../host/reclaim-throttle.js';

/**
 * A vCPU's allocation stalled in host reclaim inside its fault (core/sim/host-async-pf.ts
 * stallInReclaim()): the FOLL_NOWAIT try of a stage-2 fault, or of a guest's own request
 * (startAsyncPf()), which is refused as it stalls. The reclaim throttle holds it in its FIFO
 * (core/host/reclaim-throttle.ts), the vCPU as `reclaimStall` while it lasts, so that a switchover
 * can cancel it. Which access a refused request was for is the task's to remember
 * (Task.refusedRequestGfn), not the stall's: the access comes back when the task runs again,
 * perhaps after other tasks' faults, perhaps on another vCPU.
 */
export class ReclaimStall implements ReclaimWaiter {
  private choose: (() => void) | null;

  /**
   * `allocated`: the page's read goes out and the vCPU goes on; `choose`: a stage-2 fault's
   * async-or-sync choice, made after (null for a guest's request, refused already).
   */
  constructor(
    /** The page being allocated: its read is claimed (Machine.ioWaiters) and goes out when the stall ends. */
    readonly gfn: number,
    private readonly allocated: () => void,
    choose: (() => void) | null,
  ) {
    this.choose = choose;
  }

  /** The throttle lets the allocation through. */
  proceed(): void {
    this.allocated();
    const choose = this.choose;
    this.choose = null;
    if (choose !== null) choose();
  }

  /**
   * A switchover during the stall (core/sim/migration.ts migrate()): the source's vCPU thread
   * chose (its token counter) before it stopped, and that work went with the source; the
   * destination's fresh vCPU runs the access again after its first entry, which takes the enable's
   * wake-all first (x86 since 5.8: an interrupt, taken before anything runs with IF=1). Choosing
   * at the stall's end instead, with the destination's counter started again and no entry
   * between, handed out a token a task still slept on before that wake-all: the guest took the
   * sleeper's node for a dummy (arch/x86/kernel/kvm.c kvm_async_pf_queue_task()) and the sleeper
   * slept for good (invariant 7). Only the choice goes: the allocation keeps its turn in the
   * throttle (the thread sleeps there uninterruptibly, and the switchover waits for it), so the
   * read goes out and the vCPU's wait ends when it proceeds. O(1); nothing for a request's stall.
   */
  cancel(): void {
    this.choose = null;
  }
}
