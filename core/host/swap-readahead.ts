/**
 * The host's swap readahead for the guest's memory (mm/swap_state.c swap_vma_readahead() and
 * __swapin_nr_pages(), Linux 6.12; facts/anchors.md §A7): a swap-in reads a window of pages around
 * the faulting one, up to 2^page-cluster (default 3 → 8), growing with the hits its earlier windows
 * had (faults that found their page already read ahead) and never shrinking below half the last
 * window; forward for an ascending fault, backward for a descending one, centred otherwise,
 * clipped to guest memory (one VMA in the VMM) and to the 2 MiB PMD around the fault.
 */
const PMD_PAGES = 512;
/** SWAP_RA_ORDER_CEILING: VMA readahead never reads more than 2^5 pages. */
const SWAP_RA_ORDER_CEILING = 5;
/** SWAP_RA_HITS_MAX: the hit count is kept in a few bits of swap_readahead_info. */
const SWAP_RA_HITS_MAX = 0xff;

export class SwapReadahead {
  private prevGfn = -1;
  private prevWin = 0;
  /** Faults since the last window that found their page read ahead (swap_readahead_info hits). */
  hits = 0;
  private readonly maxPages: number;

  constructor(
    pageCluster: number,
    private readonly guestPages: number,
  ) {
    this.maxPages = 1 << Math.min(pageCluster, SWAP_RA_ORDER_CEILING);
  }

  /**
   * A fault found `gfn` read ahead (swap_cache_get_folio()): one more hit, and the address the
   * next window is placed from moves to it, so a sequential stream keeps reading forward.
   */
  hit(gfn: number): void {
    this.hits = Math.min(this.hits + 1, SWAP_RA_HITS_MAX);
    this.prevGfn = gfn;
  }

  /** The window to read for a swap-in of `gfn`: [start, start + count), `gfn` inside it. */
  window(gfn: number): { start: number; count: number } {
    let pages = this.hits + 2;
    if (pages === 2) {
      if (gfn !== this.prevGfn + 1 && gfn !== this.prevGfn - 1) pages = 1;
    } else {
      pages = 1 << Math.ceil(Math.log2(pages));
    }
    pages = Math.min(pages, this.maxPages);
    // "Don't shrink readahead too fast."
    pages = Math.max(pages, Math.min(this.maxPages, this.prevWin >> 1));
    const dir = gfn === this.prevGfn + 1 ? 1 : gfn === this.prevGfn - 1 ? -1 : 0;
    this.prevGfn = gfn;
    this.prevWin = pages;
    this.hits = 0;
    const left = dir > 0 ? gfn : dir < 0 ? gfn - pages + 1 : gfn - ((pages - 1) >> 1);
    // Clipped, not shifted, to the PMD and the VMA (swap_vma_ra_win(): max3()/min3() of the bounds):
    // a window that crosses them reads fewer pages.
    const pmd = gfn - (gfn % PMD_PAGES);
    const start = Math.max(left, 0, pmd);
    const end = Math.min(left + pages, this.guestPages, pmd + PMD_PAGES);
    return { start, count: end - start };
  }
}
