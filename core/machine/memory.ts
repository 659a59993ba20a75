/**
 * Host residency of guest pages under a memory-cgroup limit, with CLOCK eviction.
 *
 * A page is resident (mapped in stage 2) or not. At the limit, bringing a page in evicts one
 * chosen by a CLOCK hand over the resident frames, sparing pages touched since the hand last
 * passed (an LRU approximation, DESIGN.md "Machine"). Per-page state is one byte in a typed
 * array, so a 2 GiB guest (524,288 pages) costs half a megabyte.
 * A page is also populated (it has contents, in memory or on swap) or not: a page the guest never
 * wrote is zero-filled by the host on its first touch, with no I/O (do_anonymous_page()).
 * Evicting a page written since it was last on swap writes it out (swap_writepage()): the host calls
 * `onWriteback`, and the write takes the swap device (core/machine/swap.ts); a clean page (read in
 * and not written since) keeps its swap copy and goes for free. The frame is reused at once: the
 * write is off the faulting task's path, but the page stays charged to the cgroup until its write
 * completes (`writebackInFlight`), and an allocation at the limit waits for the device when a
 * reclaim batch is still being written (core/host/reclaim-throttle.ts).
 */
import { SWAP_CLUSTER_MAX } from '../host/reclaim-throttle.js';

const RESIDENT = 1;
const REFERENCED = 2;
/** The page has contents: resident, or on swap. A page never populated is zero-filled on first touch. */
const POPULATED = 4;
/** In host memory but not mapped for the guest: read ahead into the swap cache, mapped at its first touch. */
const SWAPCACHE = 8;
/** Written since it was last on swap: evicting it writes it out (a zero-filled page has no swap copy yet). */
const DIRTY = 16;
/** Populated before the run and already on swap: prefill() leaves it out. */
const ON_SWAP_AT_START = 32;

export class HostMemory {
  private readonly flags: Uint8Array;
  private readonly frames: Int32Array;
  private used = 0;
  private hand = 0;
  evictions = 0;

  /** Called with each dirty page evicted (its swap-out write). */
  onWriteback: ((gfn: number) => void) | null = null;
  writebacks = 0;
  /** Evicted dirty pages whose swap-out write has not finished. */
  writebackInFlight = 0;
  /** Pages under writeback at which allocations stall: the device's worth of write batches (set by the simulation). */
  writebackLimit = SWAP_CLUSTER_MAX;

  constructor(
    readonly guestPages: number,
    readonly residentLimit: number,
  ) {
    // With no frame at all, insert() would find nothing to evict and the limit would silently stop
    // limiting; the scenario loader refuses such limits, this guards library callers.
    if (!Number.isSafeInteger(residentLimit) || residentLimit < 1) {
      throw new RangeError(`HostMemory: the resident limit must be at least one page, got ${residentLimit}`);
    }
    this.flags = new Uint8Array(guestPages);
    this.frames = new Int32Array(residentLimit).fill(-1);
  }

  /** Start warm: the first `residentLimit` populated guest pages are in, as after a long run in gfn order. */
  prefill(count = this.residentLimit): void {
    // insert() written out for a walk that never evicts (it stops at the limit): every run walks
    // its guest's pages here, half a million for 2 GiB.
    const flags = this.flags;
    const limit = Math.min(count, this.residentLimit);
    for (let g = 0, n = this.guestPages; g < n && this.used < limit; g++) {
      const f = flags[g];
      if ((f & (POPULATED | ON_SWAP_AT_START)) !== POPULATED) continue;
      // Written before the run and never written out: dirty.
      if (f & RESIDENT) {
        flags[g] = f | DIRTY;
        continue;
      }
      if ((f & SWAPCACHE) === 0) this.frames[this.used++] = g;
      flags[g] = RESIDENT | REFERENCED | POPULATED | DIRTY;
    }
  }

  /** Give pages contents (on swap unless resident): a region written before the run. */
  populate(first: number, count: number, onSwap = false): void {
    const f = onSwap ? POPULATED | ON_SWAP_AT_START : POPULATED;
    const flags = this.flags;
    for (let g = first, end = Math.min(first + count, this.guestPages); g < end; g++) flags[g] |= f;
  }

  /** Has the page contents (resident or on swap)? If not, its first touch is a zero-fill with no I/O. */
  isPopulated(gfn: number): boolean {
    return (this.flags[gfn] & POPULATED) !== 0;
  }

  /** Read ahead: in host memory (it takes a frame) but not mapped, so its first touch is a minor fault. */
  isInSwapCache(gfn: number): boolean {
    return (this.flags[gfn] & SWAPCACHE) !== 0;
  }

  /** Put a page read ahead into the swap cache (unreferenced, so CLOCK takes it first if it is not used). */
  insertSwapCache(gfn: number): void {
    if (this.isResident(gfn) || this.isInSwapCache(gfn)) return;
    this.frames[this.takeFrame()] = gfn;
    this.flags[gfn] = SWAPCACHE | POPULATED;
  }

  isResident(gfn: number): boolean {
    return (this.flags[gfn] & RESIDENT) !== 0;
  }

  /** An access to a resident page: the referenced bit the CLOCK hand reads, and dirty for a store. */
  touch(gfn: number, write = false): void {
    this.flags[gfn] |= write ? REFERENCED | DIRTY : REFERENCED;
  }

  get residentPages(): number {
    return this.used;
  }

  /** A swap-out write of `pages` finished: they leave the cgroup's charge. */
  writebackDone(pages: number): void {
    this.writebackInFlight = Math.max(0, this.writebackInFlight - pages);
  }

  /**
   * Would an allocation now stall in reclaim? At the limit, with `writebackLimit` evicted pages
   * still under writeback (core/host/reclaim-throttle.ts).
   */
  reclaimThrottled(): boolean {
    return this.used >= this.residentLimit && this.writebackInFlight >= this.writebackLimit;
  }

  /** Makes `gfn` resident, evicting one page if the limit is reached. */
  insert(gfn: number): void {
    if (this.isResident(gfn)) return;
    // A page in the swap cache already has its frame: mapping it takes no other.
    if (!this.isInSwapCache(gfn)) this.frames[this.takeFrame()] = gfn;
    // A page with contents comes back clean (its swap copy stays); a new one has no copy yet.
    this.flags[gfn] = RESIDENT | REFERENCED | POPULATED | ((this.flags[gfn] & POPULATED) !== 0 ? 0 : DIRTY);
  }

  private takeFrame(): number {
    return this.used < this.residentLimit ? this.used++ : this.evictOne();
  }

  private evictOne(): number {
    for (;;) {
      const frame = this.hand;
      this.hand = (this.hand + 1) % this.residentLimit;
      const victim = this.frames[frame];
      if (this.flags[victim] & REFERENCED) {
        this.flags[victim] &= ~REFERENCED;
        continue;
      }
      if (this.flags[victim] & DIRTY) {
        this.writebacks++;
        if (this.onWriteback) {
          this.writebackInFlight++;
          this.onWriteback(victim);
        }
      }
      this.flags[victim] = POPULATED; // on swap
      this.evictions++;
      return frame;
    }
  }
}
