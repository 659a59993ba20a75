import { PAGES_PER_MIB } from './limits.js';
import type { Scenario, TaskSpec } from './schema.js';
import { touchOf } from './steps.js';

/**
 * For the size estimate: the share of a task's touches of one region (a scenario region, or the
 * task's own memory) that find the page out of host memory. The host keeps the pages touched
 * most often (CLOCK approximates LRU, core/machine/memory.ts): regions are taken in order of
 * how often each of their pages is touched, at the programs' nominal speed for the time each task
 * runs (50 tasks on one vCPU touch no more than one would: counted as 50 vCPUs' worth, their
 * region outranked a hotter loop's, which was charged every touch as a miss, 25x low; and 50
 * sleepers beside a loop take little of its vCPU: dividing it evenly was 24x low), and
 * fill the host's limit; what does not fit misses, uniformly within its region. A region nobody touches holds
 * nothing for long. One share for the whole scenario had a 1 MiB loop next to an untouched
 * 128 MiB region in an 8 MiB host miss on every other touch, its passes slowed by reads it never
 * made (477x low); a hot loop next to random writers over 1 GiB, 34x low.
 *
 * Over post-copy every page still on the source misses once: `dirtyShare`, whatever the region.
 */
export type RegionMiss = (task: number, region: string) => number;

/** What the estimate knows of each scenario entry's tasks, by the entry's index (core/scenario/task-load.ts). */
export interface TaskRates {
  /** One pass at nominal speed, ns, without its sleeps. */
  readonly awakeNs: readonly number[];
  /** Its tasks at once (each with its own memory). */
  readonly instances: readonly number[];
  /** The share of the run its tasks spend running, together (each up to 1). */
  readonly running: readonly number[];
}

interface Extent {
  readonly pages: number;
  touchesPerNs: number;
}

export function regionMisses(s: Scenario, rates: TaskRates): RegionMiss {
  if (s.backing.kind === 'postcopy') {
    const share = s.backing.dirtyShare;
    return () => share;
  }
  const extents = new Map<string, Extent>();
  for (const r of s.regions) extents.set(regionKey(r.name), { pages: pagesOf(r.mib), touchesPerNs: 0 });
  s.tasks.forEach((t, i) => {
    for (const m of t.memory) extents.set(memoryKey(i, m.name), { pages: rates.instances[i] * pagesOf(m.mib), touchesPerNs: 0 });
    const awakeNs = Math.max(1, rates.awakeNs[i]);
    for (const step of t.program) {
      const touch = touchOf(step);
      const e = touch && extents.get(keyOf(t, i, touch.region));
      if (e) e.touchesPerNs += (rates.running[i] * touch.pages) / awakeNs;
    }
  });
  // Hottest pages first: touches per page per ns.
  const order = [...extents.entries()].sort(([, a], [, b]) => b.touchesPerNs / b.pages - a.touchesPerNs / a.pages);
  const miss = new Map<string, number>();
  let room = Math.round(s.machine.hostResidentMiB * PAGES_PER_MIB);
  for (const [key, e] of order) {
    const held = Math.min(room, e.pages);
    miss.set(key, e.pages > 0 ? 1 - held / e.pages : 0);
    room -= held;
  }
  return (i, region) => miss.get(keyOf(s.tasks[i], i, region)) ?? 0;
}

function keyOf(t: TaskSpec, i: number, region: string): string {
  return t.memory.some((m) => m.name === region) ? memoryKey(i, region) : regionKey(region);
}

/**
 * Whole pages, as the simulator lays them out (core/sim/guest-memory-map.ts, simulation.ts): a
 * limit of 63.999 MiB holds a 64 MiB region (16,384 pages both), which the fraction had miss.
 */
const pagesOf = (mib: number) => Math.max(1, Math.round(mib * PAGES_PER_MIB));

const regionKey = (name: string) => `region ${name}`;
const memoryKey = (task: number, name: string) => `task ${task} memory ${name}`;
