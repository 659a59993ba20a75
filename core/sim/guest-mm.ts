import { codeFrame } from '../guest/code-layout.js';
import type { Task } from '../guest/task.js';
import { SWAP_CLUSTER_MAX } from '../host/reclaim-throttle.js';
import * as entry from './guest-entry.js';
import { faultLatencyDone } from './fault-latency.js';
import * as host from './host-async-pf.js';
import type { Machine } from './machine.js';
import type { Vcpu } from './vcpu.js';

/**
 * The guest's own page fault on a process's memory: the first touch of a page of a task's private
 * anonymous mapping has no frame behind it, so the guest takes a fault, and
 * do_anonymous_page() (mm/memory.c; facts/anchors.md §A7) takes a frame from its free pages
 * (core/guest/page-alloc.ts), clears it in kernel mode (clear_user_highpage()) and maps it; the
 * access then runs again in user mode.
 *
 * The clearing store is the guest's first write to the frame, and it is what the host sees: a frame
 * the host never populated is a host zero-fill, one the host still holds is no fault at all, and a
 * reused frame whose old contents the host swapped out is a swap-in of contents the guest is about
 * to overwrite (the host cannot know). Being kernel mode, that fault is one a design that announces
 * only user-mode faults does not announce.
 */

/**
 * alloc_page() for a process: a frame from the guest's free pages, and when none is left, the
 * guest's own reclaim first drops a batch (SWAP_CLUSTER_MAX, include/linux/swap.h) of the oldest
 * clean page cache into them (mm/vmscan.c shrink_inactive_list(); core/guest/page-cache.ts).
 * Model simplification (README "Assumptions"): reclaim runs only when the free pages are empty,
 * in the allocating task's context, and costs no guest time; there are no watermarks or kswapd.
 */
export function allocFrame(sim: Machine, task: Task): number {
  const pool = sim.freePages;
  if (pool === null) throw new Error('allocFrame: the guest has no free pages (no task has memory)');
  if (pool.free === 0 && sim.pageCache !== null) sim.pageCache.shrink(pool, SWAP_CLUSTER_MAX);
  const gfn = pool.alloc();
  // The scenario loader checks that the processes alive at once fit in free and reclaimable memory (core/scenario/load.ts).
  if (gfn < 0) throw new Error(`allocFrame: the guest's free pages ran out and nothing is left to reclaim (task ${task.name})`);
  return gfn;
}

/**
 * The first write() to a page of a file the task writes (a `kind: file` mapping): the system call
 * creates the page-cache page itself (mm/filemap.c generic_perform_write() → write_begin →
 * __filemap_get_folio(FGP_CREAT)), no page fault; the copy that follows is the guest's first
 * store to the frame, which is what the host sees, exactly as for a cleared anonymous page.
 */
export function fileWritePage(sim: Machine, task: Task): number {
  const gfn = allocFrame(sim, task);
  task.mapAnon(gfn);
  return gfn;
}

/** The fault: its entry code runs, then the handler takes and maps the frame and starts clearing it. */
export function anonFault(sim: Machine, v: Vcpu, task: Task): void {
  if (sim.metrics.measuring) sim.metrics.guestPageFaults++;
  task.frames.push(
    codeFrame(sim.backend.caps.codeLayout.entry('sync', v.privilege), () => {
      const gfn = allocFrame(sim, task);
      task.mapAnon(gfn);
      task.zeroingGfn = gfn;
      sim.charge(v, 'kernel', sim.anonFaultNs);
    }),
  );
}

/**
 * Clear the frame the handler took: a kernel-mode store that may stage-2 fault (the task then
 * retries it once the host has the page). True once something is scheduled or the vCPU waits;
 * false when the clear is done and the way back to the faulting access is on the stack.
 */
export function zeroPage(sim: Machine, v: Vcpu, task: Task): boolean {
  const gfn = task.zeroingGfn;
  if (!sim.memory.isResident(gfn)) {
    host.stage2Fault(sim, v, gfn);
    return true;
  }
  sim.memory.touch(gfn, true);
  if (task.faultStart >= 0) {
    faultLatencyDone(sim, task.faultStart, v.cursor);
    if (sim.options.trace) sim.trace(v, 'apf_lab_access_done', { task: task.pid, latency: v.cursor - task.faultStart });
    task.faultStart = -1;
  }
  task.zeroingGfn = -1;
  const step = task.step;
  const to = step.kind === 'touch' ? step.privilege : 'user';
  task.frames.push(entry.exitFrame(sim, v, to));
  return false;
}
