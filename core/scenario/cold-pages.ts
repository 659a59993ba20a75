import { KERNEL_PAGES_PER_TASK, KERNEL_PAGES_PER_VCPU } from '../guest/code-layout.js';
import { PAGES_PER_MIB } from './limits.js';
import type { Scenario } from './schema.js';

/** A region's pages out of host memory as the run starts, by what their first touch costs. */
export interface ColdRegion {
  /** Read from the backing store (swap, or the post-copy source): a fault with I/O. */
  readonly reads: number;
  /** Never written: the host zero-fills them, a minor fault with no I/O (core/sim/host-async-pf.ts minorFault()). */
  readonly zeroFills: number;
}

/**
 * For the size estimate: each region's pages not in host memory when the run starts, as the
 * simulator lays memory out (core/sim/guest-memory-map.ts: the guest kernel's own pages first
 * when swappable, then the regions in file order) and fills the host (core/machine/memory.ts
 * prefill(): populated pages in gfn order up to the limit). A region behind others that fill the
 * limit starts on swap though it is neither `onSwap` nor new: a pass over 32 MiB behind a 64 MiB
 * region in a 64 MiB host read every page, estimated at none (315x low). `tasks`: the tasks that
 * exist at once, whose kernel pages come first.
 */
export function coldRegions(s: Scenario, tasks: number): Map<string, ColdRegion> {
  const out = new Map<string, ColdRegion>();
  const b = s.backing;
  const kernel = s.machine.guestKernelPages === 'swappable' ? KERNEL_PAGES_PER_TASK * tasks + KERNEL_PAGES_PER_VCPU * s.machine.vcpus : 0;
  let room = Math.max(0, Math.round(s.machine.hostResidentMiB * PAGES_PER_MIB) - kernel);
  for (const r of s.regions) {
    const pages = Math.max(1, Math.round(r.mib * PAGES_PER_MIB));
    if (!r.populated) {
      // Frames the guest used before: their share is on swap (or nothing over post-copy).
      const reads = b.kind === 'swap' ? Math.ceil(pages * (r.onSwapShare ?? 0)) : 0;
      out.set(r.name, { reads, zeroFills: pages - reads });
    } else if (b.kind === 'postcopy') {
      // What the precopy phase did not send (core/machine/postcopy.ts).
      out.set(r.name, { reads: Math.ceil(pages * b.dirtyShare), zeroFills: 0 });
    } else if (r.onSwap) {
      out.set(r.name, { reads: pages, zeroFills: 0 });
    } else {
      const held = Math.min(room, pages);
      room -= held;
      out.set(r.name, { reads: pages - held, zeroFills: 0 });
    }
  }
  return out;
}
