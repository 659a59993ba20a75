/**
 * Reclaim that cannot outrun write-out. A host allocation for the guest at its memory-cgroup limit
 * reclaims; when what it finds are dirty anonymous pages, their frames are free only once their
 * swap-out writes finish, so the allocating thread stalls: legacy (v1) memcg reclaim waits on
 * writeback itself (mm/vmscan.c shrink_folio_list(), "Case 3": a folio already marked for reclaim
 * and still under writeback), cgroup v2 and global reclaim stall in
 * reclaim_throttle(VMSCAN_THROTTLE_WRITEBACK) (mm/vmscan.c) — both wait for the device.
 *
 * The lab's form: an allocation stalls while the cgroup is at its limit and at least one reclaim
 * batch (SWAP_CLUSTER_MAX = 32 pages, include/linux/swap.h) of its evicted pages is still being
 * written; it goes on as each write completes. Allocations are a vCPU's own zero-fill or
 * synchronous swap-in and the async-PF worker's swap-in (its page is allocated before the read is
 * issued, mm/swap_state.c __read_swap_cache_async()). Pages read ahead are not throttled (model
 * assumption: they are few next to the faulting pages).
 */
export const SWAP_CLUSTER_MAX = 32;

export class ReclaimThrottle {
  private waiting: (() => void)[] = [];
  private head = 0;
  /** Allocations that had to wait (the metric `swap.writebackStalls`). */
  stalls = 0;

  get pending(): number {
    return this.waiting.length - this.head;
  }

  /** Run `go` once the allocation may proceed; in FIFO order with the other stalled allocations. */
  wait(go: () => void): void {
    this.stalls++;
    this.waiting.push(go);
  }

  /** A write finished: let allocations through while `throttled()` says no more. */
  release(throttled: () => boolean): void {
    while (this.head < this.waiting.length && !throttled()) {
      const go = this.waiting[this.head++];
      if (this.head > 1024 && this.head * 2 > this.waiting.length) {
        this.waiting = this.waiting.slice(this.head);
        this.head = 0;
      }
      go();
    }
  }
}
