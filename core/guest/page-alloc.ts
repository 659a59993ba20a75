/**
 * The guest's free pages, as its page allocator hands them to processes: the most recently freed
 * frame is the first one given out again.
 *
 * Linux frees an order-0 page onto the head of the freeing CPU's per-cpu list (mm/page_alloc.c
 * free_unref_page() → free_unref_page_commit(): list_add()) and allocates from the head
 * (rmqueue_pcplist() → __rmqueue_pcplist(): list_first_entry()), so that a page still "hot" in the
 * cache goes out first; a list over its high mark spills a batch to the buddy lists
 * (free_pcppages_bulk()), which also take frees at the head and allocate from it.
 *
 * Model simplification (README "Assumptions"): one last-in, first-out stack for the whole guest
 * instead of a list per CPU and the buddy lists behind them. What it keeps is what the host sees:
 * a frame a process freed goes to the next process that needs one, before frames freed earlier or
 * never used; what it drops is which CPU's list a frame sits on.
 */
export class FreePages {
  private readonly stack: Int32Array;
  private top = 0;

  /**
   * The free frames at boot, `first` … `first + count - 1`; they go out in ascending gfn order
   * (an assumption: where the buddy allocator starts carving memory does not matter to the host,
   * which has never seen any of these frames). `capacity`: the most frames the pool can hold, more
   * than `count` when the page cache frees frames into it (core/guest/page-cache.ts).
   */
  constructor(first: number, count: number, capacity = count) {
    this.stack = new Int32Array(Math.max(count, capacity));
    for (let i = 0; i < count; i++) this.stack[i] = first + count - 1 - i;
    this.top = count;
  }

  get free(): number {
    return this.top;
  }

  /** alloc_page(): the frame freed last; -1 when none is left (the scenario loader rules that out). */
  alloc(): number {
    return this.top > 0 ? this.stack[--this.top] : -1;
  }

  /** free_unref_page(): back on top, the first to go out again. */
  release(gfn: number): void {
    if (this.top >= this.stack.length) throw new Error(`FreePages: frame ${gfn} freed twice (the pool is full)`);
    this.stack[this.top++] = gfn;
  }
}
