/**
 * Reclaim that cannot outrun write-out. A host allocation for the guest at its memory-cgroup limit
 * reclaims, and what it finds are anonymous pages: each must be written to swap from the reclaiming
 * thread itself (pageout() → mm/page_io.c swap_writepage() → swap_writepage_bdev_async() →
 * submit_bio()). When the device's queue is full, submit_bio() waits for a request tag
 * (block/blk-mq-tag.c blk_mq_get_tag(): io_schedule() unless BLK_MQ_REQ_NOWAIT), so the allocating
 * thread stalls until writes complete: block-layer backpressure. It is not reclaim_throttle() on
 * cgroup v2: mm/vmscan.c folio_check_dirty_writeback() reports anonymous folios as neither dirty
 * nor under writeback ("Do not stall reclaim based on them"), so the congestion throttle never
 * fires for them. Legacy (v1) memcg reclaim would also wait on a folio already marked for reclaim
 * and still under writeback (shrink_folio_list(), "Case 3"); the lab does not model that path.
 *
 * The lab's form: an allocation stalls while the cgroup is at its limit and at least one reclaim
 * batch (SWAP_CLUSTER_MAX = 32 pages, include/linux/swap.h) per device queue slot of its evicted
 * pages is still being written (core/sim/backing-store.ts); it goes on as each write completes. Only
 * writes count (reads in service do not hold the writer back here). Allocations are a vCPU's own:
 * its zero-fill and its FOLL_NOWAIT swap-in, which allocates the page before KVM chooses async or
 * sync (core/sim/host-async-pf.ts stage2Fault()), the same try when the guest asks for the page
 * itself (startAsyncPf(): the vCPU waits there too, before its request is answered); and an
 * async-PF worker's swap-in whose read was not issued by such a try (its page is allocated before
 * the read is issued, mm/swap_state.c __read_swap_cache_async()). Pages read ahead are not
 * throttled (model assumption: they are few next to the faulting pages).
 */
export const SWAP_CLUSTER_MAX = 32;

/**
 * An allocation waiting in reclaim. A vCPU's stalled fault is an object of its own
 * (core/sim/reclaim-stall.ts, the vCPU's `reclaimStall`), so that a switchover can reach it; the
 * others are allocations no one else needs to name (a zero-fill, an async-PF worker's swap-in).
 */
export interface ReclaimWaiter {
  /** The allocation goes through: its turn came and the cgroup is no longer throttled. */
  proceed(): void;
}

/**
 * The stalled allocations in FIFO order. A waiter keeps its place and counts in `pending` until it
 * proceeds, whatever happens to its vCPU meanwhile: its thread sleeps uninterruptibly for a request
 * tag (block/blk-mq-tag.c blk_mq_get_tag(): TASK_UNINTERRUPTIBLE, then io_schedule()), so neither a
 * signal nor a migration's pause takes it out before its turn. A switchover changes only what a
 * stalled fault does once through (core/sim/reclaim-stall.ts cancel()), never the others' turns.
 */
export class ReclaimThrottle {
  private waiting: ReclaimWaiter[] = [];
  private head = 0;
  /** Allocations that had to wait (the metric `swap.writebackStalls`). */
  stalls = 0;

  get pending(): number {
    return this.waiting.length - this.head;
  }

  /** `w` proceeds once the allocation may; in FIFO order with the other stalled allocations. */
  wait(w: ReclaimWaiter): void {
    this.stalls++;
    this.waiting.push(w);
  }

  /** A write finished: let allocations through while `throttled()` says no more. */
  release(throttled: () => boolean): void {
    while (this.head < this.waiting.length && !throttled()) {
      const w = this.waiting[this.head++];
      if (this.head > 1024 && this.head * 2 > this.waiting.length) {
        this.waiting = this.waiting.slice(this.head);
        this.head = 0;
      }
      w.proceed();
    }
  }
}
