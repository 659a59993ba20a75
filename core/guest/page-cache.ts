import type { FreePages } from './page-alloc.js';

/**
 * The guest's page cache as its reclaim sees it: the clean file pages no process is using, oldest
 * first. A page joins at the head when it enters the cache (folio_add_lru(), mm/swap.c, from
 * filemap_add_folio(), mm/filemap.c) and reclaim takes from the tail: shrink_inactive_list() →
 * shrink_folio_list() → __remove_mapping() drops a clean page and frees its frame
 * (shrink_folio_list() hands it to free_unref_folios(), mm/page_alloc.c).
 *
 * Model simplification (README "Assumptions"): one first-in, first-out list, no active/inactive
 * split and no second chance for referenced pages, reclaim only when the free pages are gone
 * (no watermarks or kswapd), and every page reclaimed is clean (its writeback to the guest's disk
 * finished long before it reached the tail; the guest's disk is not modelled). What it keeps is
 * what the host sees: the frames a guest drops are those it has not used longest, and it reuses
 * them at once.
 */
export class PageCache {
  private readonly ring: Int32Array;
  private head = 0;
  private count = 0;
  /** Pages dropped by reclaim so far. */
  reclaimed = 0;

  constructor(capacity: number) {
    this.ring = new Int32Array(Math.max(1, capacity));
  }

  get pages(): number {
    return this.count;
  }

  /** folio_add_lru(): a page enters the cache, the newest. */
  add(gfn: number): void {
    if (this.count >= this.ring.length) throw new Error(`PageCache: frame ${gfn} added to a full cache`);
    this.ring[(this.head + this.count) % this.ring.length] = gfn;
    this.count++;
  }

  /**
   * Reclaim up to `n` of the oldest pages into `pool`; returns how many. The oldest goes back last,
   * so that it is the first frame handed out again (FreePages is last-in, first-out).
   */
  shrink(pool: FreePages, n: number): number {
    const k = Math.min(n, this.count);
    for (let i = k - 1; i >= 0; i--) pool.release(this.ring[(this.head + i) % this.ring.length]);
    this.head = (this.head + k) % this.ring.length;
    this.count -= k;
    this.reclaimed += k;
    return k;
  }
}
