import type { AsyncPfWork } from '../backend.js';
import { WAKE_ALL } from '../guest/sleep-table.js';
import { SWAP_CLUSTER_MAX } from '../host/reclaim-throttle.js';
import { PAGE_SIZE } from '../scenario/limits.js';
import type { Machine } from './machine.js';
import { Vcpu } from './vcpu.js';

/**
 * The host's APF flow from the read's end, arch-neutral: virt/kvm/async_pf.c (async_pf_execute,
 * kvm_check_async_pf_completion, kvm_async_pf_wakeup_all, kvm_clear_async_pf_completion_queue),
 * asking the backend at each decision point (PROTOCOLS.md §2). The fault path up to the work is
 * core/sim/host-async-pf.ts.
 */

/**
 * Where QEMU's mapping of guest RAM starts in its address space: an assumption (the lab has no host
 * process), a typical x86-64/arm64 mmap address, so that a trace's host addresses look like one.
 */
const GUEST_RAM_HVA = 0x7f00_0000_0000;

// ---------------------------------------------------------------- host: completion (virt/kvm/async_pf.c)

/** The backing store finished reading `gfn`. Public for core/harness.ts. */
export function onIoDone(sim: Machine, gfn: number): void {
  if (sim.postcopy) sim.postcopy.arrived(gfn, sim.now);
  else sim.swap!.finish(gfn, sim.now);
  if (gfn < 0) {
    // A swap-out write: its page leaves the charge, and allocations stalled behind it go on.
    sim.memory.writebackDone(SWAP_CLUSTER_MAX);
    sim.reclaim.release(() => sim.memory.reclaimThrottled());
    return;
  }
  sim.memory.insert(gfn);
  const waiters = sim.ioWaiters.get(gfn) ?? [];
  sim.ioWaiters.delete(gfn);
  // Pages read ahead: in the swap cache, or mapped at once where a fault waits for them.
  const along = sim.readaheadOf.get(gfn);
  if (along !== undefined) {
    sim.readaheadOf.delete(gfn);
    for (const p of along) {
      sim.readaheadIo.delete(p);
      sim.memory.insertSwapCache(p);
    }
    if (sim.metrics.measuring) sim.metrics.readaheadPages += along.length;
  }
  finishWaiters(sim, waiters);
}

/**
 * The waiters of a read that ended: a vCPU in a synchronous fault goes on, and each work finishes
 * as its kworker's async_pf_execute() does. Public for core/harness.ts: each work is a work item of
 * its own, so a test may finish one vCPU's works on a page before another's.
 */
export function finishWaiters(sim: Machine, waiters: readonly (AsyncPfWork | Vcpu)[]): void {
  for (const w of waiters) {
    if (w instanceof Vcpu) {
      if (w.mode === 'sync' && w.syncGfn >= 0) {
        sim.memory.insert(w.syncGfn);
        if (sim.options.trace) sim.traceAt(sim.now, w.id, 'apf_lab_page_in', { gfn: w.syncGfn });
        w.syncGfn = -1;
        sim.leaveWait(w);
      }
      continue;
    }
    sim.memory.insert(w.gfn);
    // The worker's get_user_pages_remote() asks for FOLL_WRITE whatever the guest's access
    // (virt/kvm/async_pf.c async_pf_execute()): do_swap_page() maps the page dirty and frees its
    // swap copy (mm/memory.c should_try_to_free_swap()), so evicting it again costs a write.
    sim.memory.touch(w.gfn, true);
    completeWork(sim, w);
  }
}

/** async_pf_execute(): the page is in; put the work on the done list and tell the arch. */
function completeWork(sim: Machine, work: AsyncPfWork): void {
  const v = sim.vcpus[work.vcpu];
  if (!v.apf.inFlight.delete(work.id)) {
    // Cleared by a disable or reset meanwhile; the last of those a vCPU waits for lets it go.
    if (v.apf.cancelling.delete(work.id) && v.apf.cancelling.size === 0 && v.mode === 'sync') sim.leaveWait(v);
    return;
  }
  sim.sync(v);
  const first = v.apf.done.length === 0;
  v.apf.done.push(work);
  if (first) sim.backend.asyncPagePresentQueued(v);
  // async_pf_execute() ends with __kvm_vcpu_wake_up() for every completion, first or not.
  sim.completionWake(v);
  // `address` is the page's host virtual address in QEMU (virt/kvm/async_pf.c traces work->addr).
  // The kworker traces it when the page is in, by its own clock: not the vCPU's, which may have run ahead.
  if (sim.options.trace) sim.traceAt(sim.now, v.id, 'kvm_async_pf_completed', { address: GUEST_RAM_HVA + work.gfn * PAGE_SIZE, gva: work.faultAddress });
}

/** kvm_check_async_pf_completion(): drain the done list while the arch allows. */
export function checkCompletion(sim: Machine, v: Vcpu): void {
  const b = sim.backend;
  while (v.apf.done.length > 0 && b.canDequeueAsyncPagePresent(v).ok) {
    const work = v.apf.done.shift()!;
    // The prefault is a second pass of the host's fault handling on the vCPU thread (x86
    // kvm_mmu_do_page_fault(), arm64 kvm_handle_user_mem_abort() with prefault): the lookup and
    // the stage-2 map a synchronous fault does once, priced as that fault's host work.
    if (b.asyncPageReady(v, work)) sim.charge(v, 'host', b.costs.stage2FaultNs);
    if (!work.wakeupAll) v.apf.gfns.delete(work.gfn);
    if (sim.options.trace) sim.trace(v, 'kvm_async_pf_ready', { token: work.wakeupAll ? WAKE_ALL : work.token, gva: work.faultAddress });
    // Since 2020 page-ready goes only where not-present went, or for a wake-all (facts/x86.md §6).
    let delivered = false;
    if (work.notPresentInjected || work.wakeupAll || !b.caps.readyOnlyIfNotPresentInjected) {
      delivered = b.asyncPagePresent(v, work);
      if (delivered) {
        if (sim.metrics.measuring) sim.metrics.readyDelivered++;
        sim.monitor.onReadyDelivered(v.cursor, v.id);
      }
    }
    v.apf.queued--;
    sim.monitor.onDequeued(v.id, work.gfn, work.wakeupAll, work.token, delivered);
    if (v.mode === 'halt') sim.leaveWait(v);
  }
}

/** kvm_async_pf_wakeup_all(): only when nothing is on the done list. */
export function wakeupAll(sim: Machine, v: Vcpu): void {
  if (v.apf.done.length > 0) return;
  const work: AsyncPfWork = {
    id: sim.workId++,
    vcpu: v.id,
    gfn: -1,
    faultAddress: 0,
    token: WAKE_ALL,
    arch: null,
    wakeupAll: true,
    notPresentInjected: false,
  };
  v.apf.done.push(work);
  sim.backend.asyncPagePresentQueued(v);
  v.apf.queued++;
  if (sim.metrics.measuring) sim.metrics.wakeupAll++;
  sim.monitor.onQueued(v.cursor, v.id, -1, WAKE_ALL, true);
}

/**
 * The queue dropped with the vCPU (a migration's source): no thread waits for the works. One
 * that was waiting for them (cancelWorksSync()) is destroyed with it: it goes on, on the destination.
 */
export function clearCompletionQueue(sim: Machine, v: Vcpu): void {
  const waited = v.apf.cancelling.size > 0;
  v.apf.clear();
  sim.monitor.onQueueCleared(v.id);
  if (waited && v.mode === 'sync') sim.leaveWait(v);
  sim.endIdleSpin(v);
}

/**
 * A disable or reset by the vCPU's own thread (x86 EN = 0, arm64 ENABLE(0), kvm_vcpu_reset()):
 * kvm_clear_async_pf_completion_queue() (virt/kvm/async_pf.c) calls cancel_work_sync() on each
 * queued work, which waits for one whose async_pf_execute() is running, blocked in its
 * get_user_pages_remote() on the read. The lab's works all run at once (a workqueue starts another
 * worker when one sleeps), so the vCPU waits, blocked in the host and taking no interrupts, until
 * the last read it dropped is done. A vCPU not running guest code waits for nothing (cpuUp() makes
 * a vCPU coming back runnable before its reset, so that reset waits).
 */
export function cancelWorksSync(sim: Machine, v: Vcpu): void {
  const running = v.mode === 'run' ? v.apf.clear(true) : v.apf.clear();
  sim.monitor.onQueueCleared(v.id);
  sim.endIdleSpin(v);
  if (running === 0) return;
  if (sim.options.trace) sim.trace(v, 'apf_lab_cancel_wait', { works: running });
  sim.enterWait(v, 'sync');
}

