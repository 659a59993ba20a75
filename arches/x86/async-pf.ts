import { no, YES, type AsyncPfWork, type KvmVcpu, type Verdict } from '../../core/backend.js';
import { KVM_PV_REASON_PAGE_NOT_PRESENT, PF_VECTOR, WAKE_ALL_TOKEN } from './constants.js';
import { guestAsyncPageFault } from './guest.js';
import { APF_DATA_FLAGS, APF_DATA_TOKEN } from './guest-memory.js';
import { pvAsyncPfEnabled, type X86VcpuState } from './state.js';
import { allocToken, X86_TOKEN } from '../token.js';

/**
 * The x86 kvm_arch_* async-PF hooks as of Linux 5.8+ (facts/x86.md §2 "Host flow (current)";
 * arch/x86/kvm/x86.c and mmu/mmu.c). Each returns KVM's answer; core does the rest.
 */
type V = KvmVcpu<X86VcpuState>;

/**
 * kvm_can_do_async_pf(): no LAPIC, an event to re-inject or a pending exception, or IF=0 → sync.
 * With HLT passthrough the synthetic halt is not used: a fault the guest cannot be told about
 * is synchronous too (facts/x86.md §2a).
 */
export function canDoAsyncPf(vcpu: V): Verdict {
  if (!vcpu.state.lapicInKernel) return no('no-lapic');
  if (vcpu.cpu.eventPending) return no('exception-pending');
  if (vcpu.state.hltInGuest && !canDeliverAsyncPf(vcpu).ok) return no('hlt-in-guest');
  if (vcpu.cpu.irqsMasked) return no('irqs-masked');
  return YES;
}

/** alloc_apf_token(): `(apf.id++ << 12) | vcpu_id`, never 0 (arches/token.ts). */
export function setupAsyncPf(vcpu: V, gfn: number): { token: number; arch: { gfn: number } } {
  return { token: allocToken(vcpu.state, X86_TOKEN), arch: { gfn } };
}

/** kvm_can_deliver_async_pf(): PV APF on, and CPL≠0 unless SEND_ALWAYS; paging is always on here. */
export function canDeliverAsyncPf(vcpu: V): Verdict {
  const s = vcpu.state;
  if (!pvAsyncPfEnabled(s)) return no('apf-disabled');
  if (!s.sendAlways && vcpu.cpu.privilege === 'kernel') return no('kernel-mode');
  return YES;
}

/**
 * kvm_arch_async_page_not_present(): write `flags = 1` into the area and inject #PF (vector 14,
 * error code 0, CR2 = token). A failed write (apf_put_user_notpresent() through an invalid
 * cache, facts/x86.md §2a) means no injection, and core halts the vCPU.
 */
export function asyncPageNotPresent(vcpu: V, work: AsyncPfWork, guestCfg: { pfHandlerNs: number }): boolean {
  const s = vcpu.state;
  if (!apfPutUserNotpresent(s)) return false;
  s.lastPf = { vector: PF_VECTOR, errorCode: 0, cr2: work.token };
  vcpu.injectEvent({
    name: '#PF',
    token: work.token,
    signal: 'not-present',
    // Vector 14 through the IDT: asm_exc_page_fault, error_entry, then exc_page_fault() (arches/x86/code-layout.ts).
    exception: 'sync',
    handler: () => guestAsyncPageFault(vcpu, guestCfg),
  });
  return true;
}

/** kvm_arch_async_page_present_queued(): request, and kick only if no page-ready awaits its ACK. */
export function asyncPagePresentQueued(vcpu: V): void {
  vcpu.requestApfReady();
  if (!vcpu.state.pagereadyPending) vcpu.kick();
}

/**
 * kvm_arch_can_dequeue_async_page_present(): disabled (drop), or apf_pageready_slot_free(): the
 * token slot reads back 0. A read through an invalid cache fails, which counts as not free, so
 * after a failed enable nothing is ever dequeued (facts/x86.md §2a). The slot is read at the area
 * of the last successful enable: after the guest moved its area, a token it never cleared at the
 * old place no longer holds page-ready back, and one left at the new place does.
 */
export function canDequeueAsyncPagePresent(vcpu: V): Verdict {
  const s = vcpu.state;
  if (!pvAsyncPfEnabled(s)) return YES;
  if (!s.lapicInKernel) return no('no-lapic');
  if (s.areaGpa === null) return no('area-unreadable');
  return apfPageReadySlotFree(s) ? YES : no('ready-unacked');
}

/** kvm_arch_async_page_ready(): prefault, skipped for a wake-all (the page is in host memory already). */
export function asyncPageReady(_vcpu: V, work: AsyncPfWork): boolean {
  return !work.wakeupAll;
}

/**
 * kvm_arch_async_page_present(): write the token slot and inject the page-ready interrupt on
 * the programmed vector; at most one is outstanding until the guest's ACK (facts/x86.md §2).
 * Whatever was injected, the vCPU ends up runnable: apf.halted = false and mp_state =
 * RUNNABLE, so a guest HLT ends even without an interrupt (facts/x86.md §2a).
 */
export function asyncPagePresent(vcpu: V, work: AsyncPfWork): boolean {
  const injected = putPageReady(vcpu, work);
  vcpu.setRunnable();
  return injected;
}

/** apf_put_user_ready() and the interrupt: only while enabled and the area is writable. */
function putPageReady(vcpu: V, work: AsyncPfWork): boolean {
  const s = vcpu.state;
  if (!pvAsyncPfEnabled(s) || !apfPutUserReady(s, work.wakeupAll ? WAKE_ALL_TOKEN : work.token)) return false;
  s.pagereadyPending = true;
  // APIC_DM_FIXED: edge semantics, one IRR bit per vector.
  vcpu.raiseIrq(s.vec, 'ready', false);
  return true;
}

/*
 * The host's accesses to the area, all through the gfn→hva cache of the last successful enable
 * (arch/x86/kvm/x86.c apf_put_user_notpresent(), apf_put_user_ready(), apf_pageready_slot_free()):
 * at `areaGpa`, never at the guest's own `apf_reason` (arches/x86/guest-memory.ts). With the cache
 * invalid (`areaGpa` null) each access fails: a write returns false, the read counts as not free.
 */

/** apf_put_user_notpresent(): `flags = KVM_PV_REASON_PAGE_NOT_PRESENT` at offset 0. */
function apfPutUserNotpresent(s: X86VcpuState): boolean {
  if (s.areaGpa === null) return false;
  s.memory.write32(s.areaGpa + APF_DATA_FLAGS, KVM_PV_REASON_PAGE_NOT_PRESENT);
  return true;
}

/** apf_put_user_ready(): the token at offsetof(struct kvm_vcpu_pv_apf_data, token). */
function apfPutUserReady(s: X86VcpuState, token: number): boolean {
  if (s.areaGpa === null) return false;
  s.memory.write32(s.areaGpa + APF_DATA_TOKEN, token);
  return true;
}

/** apf_pageready_slot_free(): the token slot reads back 0. */
function apfPageReadySlotFree(s: X86VcpuState): boolean {
  return s.areaGpa !== null && s.memory.read32(s.areaGpa + APF_DATA_TOKEN) === 0;
}
