import { topFrame } from '../guest/code-layout.js';
import type { AsyncPfWork } from '../backend.js';
import type { Task } from '../guest/task.js';
import type { Machine } from './machine.js';
import { ReclaimStall } from './reclaim-stall.js';
import type { Vcpu } from './vcpu.js';
import { PAGE_SIZE } from '../scenario/limits.js';

/**
 * The host's APF flow up to the work, arch-neutral: the stage-2 fault path of
 * arch/x86/kvm/mmu/mmu.c (__kvm_faultin_pfn → kvm_arch_setup_async_pf) and virt/kvm/async_pf.c's
 * kvm_setup_async_pf(), with the swap-in it starts, asking the backend at each decision point
 * (PROTOCOLS.md §2). The completion side is core/sim/async-pf-completion.ts. Functions of the
 * Machine they act on.
 */
// ---------------------------------------------------------------- host: the fault path (PROTOCOLS.md §2)

/** A stage-2 fault by the current task on `gfn` (PROTOCOLS.md §2). Public for core/harness.ts. */
export function stage2Fault(sim: Machine, v: Vcpu, gfn: number): void {
  // The task's own access, or the exception code's (its kernel page: core/sim/guest-entry.ts).
  const task = v.frames.length === 0 ? v.current : null;
  const b = sim.backend;
  if (!sim.memory.isResident(gfn) && !sim.memory.isPopulated(gfn)) return minorFault(sim, v, gfn, false);
  if (sim.memory.isInSwapCache(gfn)) return minorFault(sim, v, gfn, true);
  if (!sim.memory.isResident(gfn) && b.faultInGuest(v, gfn)) return faultRaisedInGuest(sim, v, task, gfn);
  sim.hostExit(v, b.exitNames.stage2Fault, 'stage2Fault', b.costs.stage2FaultNs);
  if (sim.memory.isResident(gfn)) {
    sim.schedule(v, v.cursor); // it arrived meanwhile: the host maps it and resumes
    return;
  }
  const start = v.cursor - b.costs.exitNs.stage2Fault - b.costs.stage2FaultNs;
  // The access was already waiting for a page (it was told, halted or retried, and came back).
  const returning = task ? task.faultStart >= 0 : (topFrame(v.frames)?.faultStart ?? -1) >= 0;
  if (task && task.faultStart < 0) {
    task.faultStart = start;
    // Lab-only events (apf_lab_*, not KVM tracepoints) mark what KVM does not trace: which task
    // faulted, a synchronous wait, a halt, a page in for a blocked vCPU (the report's sequence diagrams).
    if (sim.options.trace) sim.trace(v, 'apf_lab_stage2_fault', { task: task.pid, gfn, start: task.faultStart });
  } else if (task === null) {
    markFrameFaultStart(v, start);
  }
  // Every fault is a new one but the repeated fault on an outstanding gfn (PROTOCOLS.md §2
  // step 4), even if this task faulted on the same page before (it arrived, was evicted, and
  // is missing again): so async, sync and halted faults never add up to more than the faults.
  // On a synchronous swap device the FOLL_NOWAIT lookup reads the page itself (mm/memory.c
  // do_swap_page(), SWP_SYNCHRONOUS_IO): KVM gets it at once and never considers async PF.
  if (sim.swap?.synchronous) return syncFault(sim, v, gfn, SYNCHRONOUS_IO, countFault(sim));
  // The FOLL_NOWAIT try allocates the page and issues its read in the vCPU's thread before KVM
  // chooses async or sync (arch/x86/kvm/mmu/mmu.c __kvm_faultin_pfn(): __gfn_to_pfn_memslot() with
  // &async first; mm/memory.c do_swap_page() → swapin_readahead() → __read_swap_cache_async(), whose
  // charge reclaims): a stall in reclaim is the vCPU's, whichever way the fault then goes.
  if (allocationStalls(sim) && readNotStarted(sim, gfn)) return stallInReclaim(sim, v, gfn, () => decide(sim, v, gfn, returning));
  decide(sim, v, gfn, returning);
}

/** KVM's choice for a fault whose page is on its way (or whose read starts with the choice). */
function decide(sim: Machine, v: Vcpu, gfn: number, returning: boolean): void {
  const b = sim.backend;
  const can = b.canDoAsyncPf(v);
  // The same access back on a gfn still outstanding here (told or halted, and come back while, say,
  // the last signal is unread) and refused now: KVM waits for it synchronously, but the access's
  // fault was counted when it started. Another access to that page is a fault of its own.
  if (!can.ok) return syncFault(sim, v, gfn, can.reason, !(returning && v.apf.gfns.has(gfn)) && countFault(sim));
  if (sim.options.trace) sim.trace(v, 'kvm_try_async_get_page', { gva: gfn * PAGE_SIZE, gfn });
  if (v.apf.gfns.has(gfn)) {
    if (sim.options.trace) sim.trace(v, 'kvm_async_pf_repeated_fault', { gva: gfn * PAGE_SIZE, gfn });
    if (sim.metrics.measuring) sim.metrics.repeatedFaults++;
    sim.monitor.onFaultDecided(v.cursor, v.id, gfn, b.caps.undeliveredWait, 'repeated-fault');
    return waitUndelivered(sim, v, 'repeated-fault', false);
  }
  // The arch takes its token (kvm_arch_setup_async_pf()) before kvm_setup_async_pf() checks the
  // cap (virt/kvm/async_pf.c), so a refused fault still uses one up (facts/x86.md §2a).
  const first = countFault(sim);
  const { token, arch } = b.setupAsyncPf(v, gfn);
  if (v.apf.queued >= b.caps.asyncPfPerVcpu) return syncFault(sim, v, gfn, 'queue-full', first);
  sim.monitor.onFaultDecided(v.cursor, v.id, gfn, 'queued', '');
  const work = setupAsyncPf(sim, v, gfn, token, arch);
  const deliver = b.canDeliverAsyncPf(v);
  if (deliver.ok) work.notPresentInjected = b.asyncPageNotPresent(v, work);
  const reason = deliver.ok ? (work.notPresentInjected ? '' : 'not-injected') : deliver.reason;
  if (work.notPresentInjected) {
    if (sim.metrics.measuring) sim.metrics.asyncStarted++;
    sim.schedule(v, v.cursor);
  } else {
    const wait = reason === 'not-injected' ? (b.caps.notInjectedWait ?? b.caps.undeliveredWait) : b.caps.undeliveredWait;
    waitUndelivered(sim, v, reason, first, wait);
  }
}

/**
 * A fault the host serves from memory (facts/anchors.md §A7 "Linux swap-in and memory"): a page
 * the guest never wrote, which it allocates zeroed (do_anonymous_page()), or one read ahead into
 * the swap cache, which it maps (a readahead hit that widens the next window). An exit and the
 * host's fault work, no I/O, nothing for the async path.
 */
function minorFault(sim: Machine, v: Vcpu, gfn: number, swapCache: boolean): void {
  const b = sim.backend;
  if (swapCache) sim.readahead.hit(gfn);
  if (sim.metrics.measuring) {
    if (swapCache) sim.metrics.swapCacheHits++;
    else sim.metrics.zeroFills++;
  }
  const huge = !swapCache && sim.hugeClearNs !== null && hugePageFits(sim) && extentUntouched(sim, gfn);
  sim.hostExit(v, b.exitNames.stage2Fault, 'stage2Fault', b.costs.stage2FaultNs + (huge ? sim.hugeClearNs! : 0));
  const fill = () => (huge ? zeroFillHuge(sim, gfn) : sim.memory.insert(gfn));
  // A zero-fill allocates a page: at the limit it may stall behind write-out (reclaim-throttle.ts).
  // Nothing is chosen after it, so a switchover meanwhile leaves it as it is: not a ReclaimStall.
  if (!swapCache && allocationStalls(sim)) {
    sim.enterWait(v, 'sync');
    sim.reclaim.wait({
      proceed: () => {
        fill();
        sim.leaveWait(v);
      },
    });
    return;
  }
  fill();
  sim.schedule(v, v.cursor);
}

/**
 * A fault of the exception code (core/sim/guest-entry.ts) starts its latency here, where a task's
 * does: past the zero-fills and swap-cache hits, which are minor faults with no latency of their own.
 */
function markFrameFaultStart(v: Vcpu, t: number): void {
  const f = topFrame(v.frames);
  if (f !== undefined && f.faultStart < 0) f.faultStart = t;
}

/** The reason counted for a fault a synchronous swap device served in the faulting thread. */
const SYNCHRONOUS_IO = 'swap-synchronous-io';

/** Host THP: the 2 MiB extent around `gfn` is zero-filled at once, every page of it not yet written. */
const HPAGE_PAGES = 512;

/**
 * Can the cgroup take a 2 MiB page at all? The 512-page folio is charged whole before it is cleared
 * (__do_huge_pmd_anonymous_page(), mm/huge_memory.c): under a memory.max smaller than that,
 * mem_cgroup_charge() fails whatever reclaim frees, the fault counts THP_FAULT_FALLBACK_CHARGE and
 * returns VM_FAULT_FALLBACK, and __handle_mm_fault() zero-fills one 4 KiB page instead
 * (do_anonymous_page(), mm/memory.c). Filling the extent anyway would evict the very page faulted
 * for. Not modelled: the reclaim the failing charge tries first (try_charge_memcg(), mm/memcontrol.c).
 */
function hugePageFits(sim: Machine): boolean {
  return sim.memory.residentLimit >= HPAGE_PAGES;
}

/**
 * A huge page is made at a fault only where the 2 MiB range has no page table yet
 * (__handle_mm_fault(): pmd_none() → create_huge_pmd(), mm/memory.c): not where a page of it has
 * contents, resident or on swap (a PTE or a swap entry), e.g. a frame the host had swapped out
 * (region onSwapShare) or a written region's page across the extent. Then it is 4 KiB faults.
 */
function extentUntouched(sim: Machine, gfn: number): boolean {
  const first = gfn - (gfn % HPAGE_PAGES);
  const end = Math.min(first + HPAGE_PAGES, sim.memory.guestPages);
  for (let p = first; p < end; p++) if (sim.memory.isPopulated(p) || sim.memory.isResident(p)) return false;
  return true;
}

/**
 * With room for the folio, the fill never takes a frame of its own extent, as Linux's charge
 * reclaims only pages already on the LRU (the folio joins it after, folio_add_lru_vma()): CLOCK
 * takes a frame it filled (referenced) only on its second pass over it, and in between takes every
 * other frame once, so not before `residentLimit - 1` (at least 511) further fills, which the
 * extent's 512 pages never reach.
 */
function zeroFillHuge(sim: Machine, gfn: number): void {
  const first = gfn - (gfn % HPAGE_PAGES);
  const end = Math.min(first + HPAGE_PAGES, sim.memory.guestPages);
  for (let p = first; p < end; p++) if (p === gfn || (!sim.memory.isPopulated(p) && !sim.memory.isResident(p))) sim.memory.insert(p);
}

/** No read of `gfn` under way or waiting for its page: a fault on it allocates one (post-copy's pages come from the source). */
function readNotStarted(sim: Machine, gfn: number): boolean {
  return sim.postcopy === null && !sim.ioWaiters.has(gfn) && !sim.readaheadIo.has(gfn);
}

/**
 * The vCPU waits in reclaim (time blocked in the host, as a synchronous fault's), then the read goes
 * out and `choose` runs: KVM decides for a stage-2 fault; a guest's request (startAsyncPf()) has
 * been refused (null) and its access comes back. Faults on the page meanwhile join the read
 * (requestRead()), as they would find its folio in the swap cache once allocated. Allocates the
 * stall's object: stalls are rare.
 */
function stallInReclaim(sim: Machine, v: Vcpu, gfn: number, choose: (() => void) | null): void {
  const allocated = () => {
    v.reclaimStall = null;
    issueRead(sim, gfn, sim.now);
    sim.leaveWait(v);
  };
  v.reclaimStall = new ReclaimStall(gfn, allocated, choose);
  sim.enterWait(v, 'sync');
  sim.ioWaiters.set(gfn, []);
  sim.reclaim.wait(v.reclaimStall);
}

/** Must a host allocation wait now? Behind the cgroup's write-out, or behind allocations already waiting (FIFO). */
function allocationStalls(sim: Machine): boolean {
  return sim.reclaim.pending > 0 || sim.memory.reclaimThrottled();
}

/**
 * The fault went straight to the guest's handler (Backend.faultInGuest): no exit, no host work
 * yet. The guest asks for the page itself (startAsyncPf) or touches it again.
 */
function faultRaisedInGuest(sim: Machine, v: Vcpu, task: Task | null, gfn: number): void {
  const returning = task ? task.faultStart >= 0 : (topFrame(v.frames)?.faultStart ?? -1) >= 0;
  if (task && task.faultStart < 0) {
    task.faultStart = v.cursor;
    // Lab-only, as apf_lab_stage2_fault: which task faulted, where no exit tells KVM.
    if (sim.options.trace) sim.trace(v, 'apf_lab_guest_fault', { task: task.pid, gfn, start: task.faultStart });
  } else if (task === null) markFrameFaultStart(v, v.cursor);
  // The same access back after its request stalled in reclaim (startAsyncPf()) is not a new fault.
  const again = returning && task !== null && task.refusedRequestGfn === gfn;
  if (task) task.refusedRequestGfn = -1;
  const counted = !again && !v.apf.gfns.has(gfn) && sim.metrics.measuring;
  if (counted) countFault(sim);
  if (task) task.raisedFaultGfn = counted ? gfn : -1;
  sim.schedule(v, v.cursor);
}

/** KvmVcpu.startAsyncPf(): kvm_setup_async_pf() for a page the guest asked for itself. */
export function startAsyncPf(sim: Machine, v: Vcpu, gfn: number): { ok: true; token: number } | { ok: false; reason: string } {
  const b = sim.backend;
  const refuse = (reason: string, wait: () => void) => (wait(), { ok: false as const, reason });
  const task = v.current;
  const raised = task !== null && task.raisedFaultGfn === gfn;
  if (task) task.raisedFaultGfn = -1;
  if (sim.memory.isResident(gfn)) {
    // Another fault's read brought the page in between the guest's fault and its request: the host
    // maps it, as for a stage-2 fault whose page arrived during the exit (stage2Fault(), counted
    // nowhere), so the fault counted at the guest's raise has no outcome and is taken back.
    if (raised && sim.metrics.measuring) sim.metrics.faults--;
    return { ok: false, reason: 'resident' };
  }
  // The host's work on the guest's request is a stage-2 fault's (stage2Fault()): the lookup and
  // the FOLL_NOWAIT try, before it goes async or synchronous.
  sim.charge(v, 'host', b.costs.stage2FaultNs);
  if (sim.swap?.synchronous) return refuse(SYNCHRONOUS_IO, () => syncFault(sim, v, gfn, SYNCHRONOUS_IO, true));
  if (v.apf.gfns.has(gfn)) {
    if (sim.metrics.measuring) sim.metrics.repeatedFaults++;
    return refuse('repeated-fault', () => waitUndelivered(sim, v, 'repeated-fault', false));
  }
  // The FOLL_NOWAIT try allocates the page in the vCPU's thread (stage2Fault()): at the cgroup's
  // limit with its write-out backed up, the vCPU waits in reclaim before the request is answered.
  // It is then refused (the read is under way), and the guest's access, re-executed, asks again
  // and joins that read.
  if (allocationStalls(sim) && readNotStarted(sim, gfn)) {
    // The guest routes only user-mode faults to itself (x86-ve, arm64-s2): the access is the current task's.
    if (task) task.refusedRequestGfn = gfn;
    return refuse('reclaim-stall', () => stallInReclaim(sim, v, gfn, null));
  }
  const { token, arch } = b.setupAsyncPf(v, gfn);
  if (v.apf.queued >= b.caps.asyncPfPerVcpu) return refuse('queue-full', () => syncFault(sim, v, gfn, 'queue-full', true));
  sim.monitor.onFaultDecided(v.cursor, v.id, gfn, 'queued', '');
  const work = setupAsyncPf(sim, v, gfn, token, arch);
  work.notPresentInjected = true; // the guest knows: it asked
  sim.monitor.onGuestNotPresent(v.cursor, v.id, token, []);
  if (sim.metrics.measuring) {
    sim.metrics.asyncStarted++;
    sim.metrics.notPresentDelivered++;
  }
  return { ok: true, token };
}

function countFault(sim: Machine): true {
  if (sim.metrics.measuring) sim.metrics.faults++;
  return true;
}

/** kvm_setup_async_pf(): queue the work on the backing store and record the gfn. */
function setupAsyncPf(sim: Machine, v: Vcpu, gfn: number, token: number, arch: unknown): AsyncPfWork {
  const work: AsyncPfWork = {
    id: sim.workId++,
    vcpu: v.id,
    gfn,
    faultAddress: gfn * PAGE_SIZE,
    token,
    arch,
    wakeupAll: false,
    notPresentInjected: false,
  };
  v.apf.queued++;
  v.apf.gfns.set(gfn, work);
  v.apf.inFlight.set(work.id, work);
  sim.monitor.onQueued(v.cursor, v.id, gfn, token, false);
  if (sim.options.trace) sim.trace(v, 'kvm_async_pf_not_present', { token, gva: work.faultAddress });
  requestRead(sim, gfn, work, v.cursor);
  return work;
}

/**
 * Start (or join) the read of `gfn` at `at`: the faulting vCPU's cursor, which may be ahead of the
 * clock. A page already being read ahead with another joins that read; a new read takes the
 * readahead window around it in the same I/O (core/host/swap-readahead.ts).
 */
function requestRead(sim: Machine, gfn: number, waiter: AsyncPfWork | Vcpu, at: number): void {
  const ahead = sim.readaheadIo.get(gfn);
  // A fault on a page its read-ahead is still bringing in finds it in the swap cache: a hit too.
  if (ahead !== undefined) sim.readahead.hit(gfn);
  const io = ahead ?? gfn;
  const list = sim.ioWaiters.get(io);
  if (list) {
    list.push(waiter); // its read is under way, or waiting for its page to be allocated
    return;
  }
  sim.ioWaiters.set(io, [waiter]);
  if (io !== gfn) return;
  // A post-copy page is asked of the source: no readahead, the background push brings its neighbours.
  if (sim.postcopy) sim.postcopy.request(gfn, at);
  else startRead(sim, gfn, at);
}

/** Allocate the page (perhaps after a stall in reclaim), then issue its read with the readahead window. */
function startRead(sim: Machine, gfn: number, at: number): void {
  // A stalled allocation is let through by the throttle itself (release() checks the cgroup).
  if (allocationStalls(sim)) return sim.reclaim.wait({ proceed: () => issueRead(sim, gfn, sim.now) });
  issueRead(sim, gfn, at);
}

function issueRead(sim: Machine, gfn: number, at: number): void {
  if (sim.swap!.request(gfn, at)) readAround(sim, gfn);
}

/** swap_vma_readahead(): the window's other pages that are on swap and not on their way ride along. */
function readAround(sim: Machine, gfn: number): void {
  const { start, count } = sim.readahead.window(gfn);
  let along: number[] | null = null;
  for (let p = start; p < start + count; p++) {
    if (p === gfn || !sim.memory.isPopulated(p) || sim.memory.isResident(p) || sim.memory.isInSwapCache(p)) continue;
    // A page whose fault is allocating it (stalled in reclaim) has its swap cache entry claimed
    // already (swapcache_prepare() comes before the charge in __read_swap_cache_async()): not read twice.
    if (sim.swap!.isReading(p) || sim.readaheadIo.has(p) || sim.ioWaiters.has(p)) continue;
    sim.readaheadIo.set(p, gfn);
    (along ??= []).push(p);
  }
  if (along !== null) sim.readaheadOf.set(gfn, along);
}

function syncFault(sim: Machine, v: Vcpu, gfn: number, reason: string, first: boolean): void {
  if (first && sim.metrics.measuring) sim.metrics.syncFallbacks.add(reason);
  sim.monitor.onFaultDecided(v.cursor, v.id, gfn, 'sync', reason);
  v.syncGfn = gfn;
  if (sim.options.trace) sim.trace(v, 'apf_lab_sync_fault', { gfn });
  sim.enterWait(v, 'sync');
  requestRead(sim, gfn, v, v.cursor);
}

/** The guest was not told: halt (x86) or re-enter and fault again (arm64 v2–v4), as `wait` says. */
function waitUndelivered(sim: Machine, v: Vcpu, reason: string, count: boolean, wait = sim.backend.caps.undeliveredWait): void {
  if (wait === 'retry') {
    if (sim.options.trace) sim.trace(v, 'apf_lab_retry', {});
    if (count && sim.metrics.measuring) sim.metrics.retryReasons.add(reason);
    sim.schedule(v, v.cursor);
    return;
  }
  if (count && sim.metrics.measuring) sim.metrics.haltReasons.add(reason);
  if (sim.options.trace) sim.trace(v, 'apf_lab_halt', {});
  sim.enterWait(v, 'halt');
  if (sim.wakesFromWait(v)) sim.leaveWait(v);
}
