import type { RandomStream, RandomStreams } from '../engine/rng.js';
import { KERNEL_PAGES_PER_TASK, KERNEL_PAGES_PER_VCPU, type KernelPage } from '../guest/code-layout.js';
import { FreePages } from '../guest/page-alloc.js';
import { PageCache } from '../guest/page-cache.js';
import type { RegionLayout, Task } from '../guest/task.js';
import type { HostMemory } from '../machine/memory.js';
import type { PostcopyLink } from '../machine/postcopy.js';
import { tasksAtOnce } from '../scenario/task-load.js';
import type { Scenario } from '../scenario/schema.js';

/** Pages are 4 KiB: 256 to the MiB. */
export const MIB_PAGES = 256;

/**
 * The guest's physical memory map, as the guest kernel lays it out at boot (memblock, then the
 * page allocator): its own kernel pages first when the host may evict them, then the scenario's
 * regions in file order, then the free pages processes take their memory from; the page cache
 * holds the `pageCache` regions, oldest first.
 */
export interface GuestMemoryMap {
  readonly regions: Map<string, RegionLayout>;
  /**
   * The guest kernel's own pages when the host may evict them (machine.guestKernelPages
   * `swappable`), laid out first: each task's stack, thread-info and thread pages, then each
   * vCPU's idle stack and per-CPU pages (core/guest/code-layout.ts KernelPage). Null when pinned.
   */
  readonly kernelPagesOf: { readonly tasks: number } | null;
  /** Where processes' memory comes from (core/guest/page-alloc.ts); null when no task has memory of its own. */
  readonly freePages: FreePages | null;
  /** The page cache the guest's reclaim drops (core/guest/page-cache.ts); null when the scenario has none. */
  readonly pageCache: PageCache | null;
}

/** Lays the guest's memory out and gives the populated pages their contents (in host memory or on the post-copy source). */
export function layoutGuestMemory(scenario: Scenario, memory: HostMemory, postcopy: PostcopyLink | null, streams: RandomStreams): GuestMemoryMap {
  // Issued only for a scenario that draws its layout (region onSwapShare): every other scenario's streams stay as they were.
  let layout: RandomStream | null = null;
  const layoutRng = () => (layout ??= streams.stream('layout'));
  const m = scenario.machine;
  // A job set's processes take the kernel stack slots of those they replace: `concurrent` of them.
  const taskCount = scenario.tasks.reduce((n, t) => n + tasksAtOnce(t), 0);
  const kernelPagesOf = m.guestKernelPages === 'swappable' ? { tasks: taskCount } : null;
  let gfn = kernelPagesOf ? KERNEL_PAGES_PER_TASK * taskCount + KERNEL_PAGES_PER_VCPU * m.vcpus : 0;
  memory.populate(0, gfn); // the guest kernel's own pages have contents
  const regions = new Map<string, RegionLayout>();
  for (const r of scenario.regions) {
    const pages = Math.max(1, Math.round(r.mib * MIB_PAGES));
    regions.set(r.name, { name: r.name, firstGfn: gfn, pages });
    if (r.populated) {
      memory.populate(gfn, pages, r.onSwap);
      postcopy?.addRegion(gfn, pages);
    } else if (r.onSwapShare !== undefined) {
      const rng = layoutRng();
      for (let g = gfn; g < gfn + pages; g++) if (rng.float() < r.onSwapShare) memory.populate(g, 1, true);
    }
    gfn += pages;
  }
  const cached = scenario.regions.some((r) => r.pageCache) || scenario.tasks.some((t) => t.memory.some((a) => a.kind === 'file'));
  let pageCache: PageCache | null = null;
  if (cached) {
    // Oldest first: the regions in file order, each from its last page (README "Assumptions").
    pageCache = new PageCache(memory.guestPages);
    for (const r of scenario.regions) {
      const l = regions.get(r.name)!;
      if (r.pageCache) for (let g = l.firstGfn + l.pages - 1; g >= l.firstGfn; g--) pageCache.add(g);
    }
  }
  // Reclaim may free page-cache frames into the pool: it can come to hold any frame.
  const freePages = scenario.tasks.some((t) => t.memory.length > 0) ? new FreePages(gfn, memory.guestPages - gfn, cached ? memory.guestPages : undefined) : null;
  return { regions, kernelPagesOf, freePages, pageCache };
}

/**
 * The gfn of one of the guest kernel's own pages, where the host may evict them (-1 where they are
 * pinned): the running task's stack, thread_info and task_struct in its slot of the layout above,
 * or vCPU `vcpu`'s per-CPU data. The idle task's stack has its own page; its task struct lives
 * with the per-CPU data.
 */
export function kernelPageGfn(kernelPagesOf: GuestMemoryMap['kernelPagesOf'], vcpu: number, task: Task | null, page: KernelPage): number {
  if (kernelPagesOf === null) return -1;
  const cpuBase = KERNEL_PAGES_PER_TASK * kernelPagesOf.tasks + KERNEL_PAGES_PER_VCPU * vcpu;
  if (page === 'percpu' || (!task && page !== 'stack')) return cpuBase + 1;
  if (!task) return cpuBase;
  return KERNEL_PAGES_PER_TASK * task.kernelSlot + (page === 'stack' ? 0 : page === 'thread-info' ? 1 : 2);
}
