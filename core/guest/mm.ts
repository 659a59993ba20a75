import { IntMap } from '../engine/int-map.js';
import type { FreePages } from './page-alloc.js';
import type { PageCache } from './page-cache.js';

/**
 * A process's own memory, as its mm_struct holds it: each private anonymous mapping (the
 * scenario's task `memory`) as a table from page index to the guest frame behind it, -1 until
 * the page's first touch (do_anonymous_page() fills the entry). Typed arrays, so that thousands of
 * processes over a run stay cheap.
 */
export class ProcessMemory {
  /**
   * Per mapping, page index → frame, for the pages touched so far: sparse, so that a process that
   * touches a few pages of a large mapping costs what it touches, at fork and at exit (a table of
   * every page, filled at fork and walked at exit, made a job set of 1 GiB processes 35 µs an event).
   */
  private tables: IntMap<number>[];

  /**
   * `file[i]`: mapping `i` is the pages of files the process writes (the scenario's `kind: file`),
   * which stay in the page cache when it exits; the others are anonymous memory.
   */
  constructor(
    pagesPerMapping: readonly number[],
    private readonly file: readonly boolean[] = [],
  ) {
    this.tables = pagesPerMapping.map(() => new IntMap<number>());
  }

  /** The frame behind page `index` of mapping `mapping`, or -1 if the process never touched it. */
  frameOf(mapping: number, index: number): number {
    return this.tables[mapping].get(index) ?? -1;
  }

  /** set_pte_at() at the end of do_anonymous_page(). */
  map(mapping: number, index: number, gfn: number): void {
    this.tables[mapping].set(index, gfn);
  }

  /** Pages that have a frame. */
  get mapped(): number {
    return this.tables.reduce((n, t) => n + t.size, 0);
  }

  /**
   * exit_mmap(): every frame goes back to the free pages, in address order as zap_pte_range()
   * walks the page tables, so the process's last page is the first frame handed out again.
   * The host is not told (no free page reporting; README "Assumptions"): what it holds of these
   * frames, resident or on swap, stays.
   *
   * The pages of the files it wrote are not freed: they are the file's page cache, which outlives
   * the writer (mm/filemap.c; a file's pages go only when reclaim drops them, mm/vmscan.c), and
   * join the guest's page cache in address order (core/guest/page-cache.ts).
   */
  release(pool: FreePages, cache: PageCache | null = null): void {
    this.tables.forEach((t, m) => {
      const keep = this.file[m] === true;
      if (keep && cache === null) throw new Error('ProcessMemory: file pages to keep but no page cache');
      for (const i of t.keyList().sort((a, b) => a - b)) {
        const gfn = t.get(i)!;
        if (keep) cache!.add(gfn);
        else pool.release(gfn);
      }
    });
    this.tables = [];
  }
}
