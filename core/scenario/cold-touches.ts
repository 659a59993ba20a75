import { coldRegions } from './cold-pages.js';
import type { Scenario } from './schema.js';
import { touchOf } from './steps.js';
import { passesOf, tasksAtOnce } from './task-load.js';

/** First touches of pages that start out of host memory, once in a run, as the estimate counts them. */
export interface ColdTouches {
  /** Zero-fills (never-written pages) the run's touches reach: minor faults, no I/O. */
  readonly zeroFills: number;
  /** Of those, the ones fixed work reaches (what an `until` window waits for). */
  readonly fixedZeroFills: number;
  /** Reads of the cold pages of regions a looping task touches (fixed work counts its own: task-load.ts fixedFaults()). */
  readonly loopReads: number;
}

/**
 * A region's cold pages are touched once each at most, and no more often than the run's touches of
 * it: a fixed-work task's passes', a looping task's passes in the run (`loopPasses`, by scenario
 * entry, each of its tasks). A 1 GiB new region behind a 10 ms disk zero-filled 262,144 pages in
 * 1 s, estimated as reads at the disk's rate: 111x low.
 */
export function coldTouches(s: Scenario, loopPasses: (entry: number) => number): ColdTouches {
  const cold = coldRegions(s, s.tasks.reduce((n, t) => n + tasksAtOnce(t), 0));
  const fixedTouches = new Map<string, number>();
  const loopTouches = new Map<string, number>();
  s.tasks.forEach((t, i) => {
    const passes = passesOf(t);
    for (const step of t.program) {
      const touch = touchOf(step);
      // A task's own memory is counted with the task (task-load.ts), not here.
      if (!touch || !cold.has(touch.region) || t.memory.some((m) => m.name === touch.region)) continue;
      const into = passes === null ? loopTouches : fixedTouches;
      into.set(touch.region, (into.get(touch.region) ?? 0) + (passes ?? loopPasses(i)) * tasksAtOnce(t) * touch.pages);
    }
  });
  let zeroFills = 0;
  let fixedZeroFills = 0;
  let loopReads = 0;
  for (const [name, c] of cold) {
    const fixed = Math.min(c.zeroFills, fixedTouches.get(name) ?? 0);
    fixedZeroFills += fixed;
    zeroFills += Math.min(c.zeroFills, fixed + (loopTouches.get(name) ?? 0));
    loopReads += Math.min(c.reads, loopTouches.get(name) ?? 0);
  }
  return { zeroFills, fixedZeroFills, loopReads };
}
