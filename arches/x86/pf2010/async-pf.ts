import { no, YES, type AsyncPfWork, type KvmVcpu, type Verdict } from '../../../core/backend.js';
import { KVM_PV_REASON_PAGE_NOT_PRESENT, KVM_PV_REASON_PAGE_READY, WAKE_ALL_TOKEN } from '../constants.js';
import { pf2010AsyncPageFault } from './guest.js';
import { PF2010_REASON, pf2010Enabled, type Pf2010VcpuState } from './state.js';
import { allocToken, X86_2010_TOKEN } from '../../token.js';

/**
 * The 2010 x86 kvm_arch_* hooks (seed 001 = 7c90705bf2a3, with fc5f06fac6fb's send_user_only;
 * facts/x86.md §2 "2010 ready path"). Both signals are a #PF with CR2 = token; which one it is
 * lives in the single `reason` word.
 */
type V = KvmVcpu<Pf2010VcpuState>;
type GuestCfg = { readonly pfHandlerNs: number };

/**
 * Lab-only hazard names (DESIGN.md "hazards"), counted by situation, not by outcome. Both
 * signals and every real #PF share one `reason` word and CR2.
 */
export const PF2010_HAZARDS = {
  /** The host writes `reason` while the guest has not read the last one (facts/x86.md §6 "Reason clobbered"). */
  reasonClobbered: 'x86-pf reason clobbered: async #PF injected over an unread reason (facts/x86.md §6 "Reason clobbered")',
  /**
   * A page-ready #PF lands in kernel code with IF=1: any #PF the kernel takes before
   * read_cr2() (tracing, an NMI) overwrites the token (facts/x86.md §6 "CR2 clobbering").
   */
  cr2Window: 'x86-pf CR2 clobber window: page-ready #PF taken in kernel mode (facts/x86.md §6 "CR2 clobbering")',
} as const;

/** The lab's name for a page-ready #PF sent where no not-present went (facts/x86.md §6 "Dummy-entry leak"). */
export const READY_UNANNOUNCED = 'page-ready #PF for a fault never announced (leak fixed by 2a18b7e7cd88)';

/**
 * can_do_async_pf() of 2.6.38 (mmu.c): no in-kernel irqchip or kvm_event_needs_reinjection() →
 * synchronous; otherwise interrupt_allowed() (IF=1). No HLT-passthrough rule yet.
 */
export function canDoAsyncPf(vcpu: V): Verdict {
  if (!vcpu.state.lapicInKernel) return no('no-lapic');
  if (vcpu.cpu.eventPending) return no('event-needs-reinjection');
  if (vcpu.cpu.irqsMasked) return no('irqs-masked');
  return YES;
}

/** kvm_arch_setup_async_pf(): `(apf.id++ << 12) | vcpu_id` in u32, without the 2022 zero guard (arches/token.ts). */
export function setupAsyncPf(vcpu: V, gfn: number): { token: number; arch: { gfn: number } } {
  return { token: allocToken(vcpu.state, X86_2010_TOKEN), arch: { gfn } };
}

/** The `else` of 7c90705bf2a3's test: enabled, and CPL≠0 unless send_user_only is off (fc5f06fac6fb). */
export function canDeliverAsyncPf(vcpu: V): Verdict {
  const s = vcpu.state;
  if (!pf2010Enabled(s)) return no('apf-disabled');
  if (!s.sendAlways && vcpu.cpu.privilege === 'kernel') return no('kernel-mode');
  return YES;
}

/**
 * apf_put_user(reason) then kvm_inject_page_fault() with error code 0 and CR2 = token; false when
 * the area cannot be written. Before writing, note whether an unread reason is overwritten.
 */
function injectApfPf(vcpu: V, reason: number, token: number, guest: GuestCfg, signal: 'not-present' | 'ready'): boolean {
  const s = vcpu.state;
  if (s.areaGpa === null) return false;
  // apf_put_user() through the cache of the last successful enable: at `areaGpa`, not the guest's own area.
  const gpa = s.areaGpa + PF2010_REASON;
  if (s.memory.read32(gpa) !== 0) vcpu.hazard(PF2010_HAZARDS.reasonClobbered);
  s.memory.write32(gpa, reason);
  s.cr2 = token;
  // Both signals are a #PF through the IDT: entry code first (arches/x86/code-layout.ts).
  vcpu.injectEvent({ name: '#PF', token, signal, exception: 'sync', handler: () => pf2010AsyncPageFault(vcpu, guest) });
  return true;
}

/**
 * kvm_arch_async_page_not_present(): `reason = 1` and the #PF. A failed area write leaves the
 * vCPU neither told nor halted in 2010; it re-enters, faults again and halts as a repeated fault
 * (caps.notInjectedWait 'retry', arches/x86/mechanisms.ts).
 */
export function asyncPageNotPresent(vcpu: V, work: AsyncPfWork, guest: GuestCfg): boolean {
  return injectApfPf(vcpu, KVM_PV_REASON_PAGE_NOT_PRESENT, work.token, guest, 'not-present');
}

/**
 * 2010 had no present_queued hook: async_pf_execute() only woke a vCPU blocked in the host
 * (`wake_up_interruptible(&vcpu->wq)`, af585b921e5d), and a running one saw the completion at its
 * next entry. PROTOCOLS.md §4.2 counts a kick per completion instead: knob kickOnCompletion.
 */
export function asyncPagePresentQueued(vcpu: V, kick: boolean): void {
  vcpu.requestApfReady();
  if (kick) vcpu.kick();
  else vcpu.wakeUp();
}

/**
 * kvm_arch_can_inject_async_page_present(): disabled → dequeue (and drop), else no event to
 * re-inject and interrupt_allowed(). No interrupt window is requested: a refusal waits for a
 * later entry, which the re-raised request stands for (2.6.38 checks at every __vcpu_run() pass).
 */
export function canDequeueAsyncPagePresent(vcpu: V): Verdict {
  if (!pf2010Enabled(vcpu.state)) return YES;
  let verdict: Verdict = YES;
  if (vcpu.cpu.eventPending) verdict = no('event-needs-reinjection');
  else if (vcpu.cpu.irqsMasked) verdict = no('irqs-masked');
  if (!verdict.ok) vcpu.requestApfReady();
  return verdict;
}

/** kvm_arch_async_page_ready(): prefault, skipped for a wake-all. */
export function asyncPageReady(_vcpu: V, work: AsyncPfWork): boolean {
  return !work.wakeupAll;
}

/**
 * kvm_arch_async_page_present(): `reason = 2` and the #PF with CR2 = token (~0 for a wake-all),
 * whether or not not-present went out; `apf.halted = false` either way.
 */
export function asyncPagePresent(vcpu: V, work: AsyncPfWork, guest: GuestCfg): boolean {
  const injected = pf2010Enabled(vcpu.state) && putPageReady(vcpu, work, guest);
  vcpu.setRunnable();
  return injected;
}

function putPageReady(vcpu: V, work: AsyncPfWork, guest: GuestCfg): boolean {
  const token = work.wakeupAll ? WAKE_ALL_TOKEN : work.token;
  if (!injectApfPf(vcpu, KVM_PV_REASON_PAGE_READY, token, guest, 'ready')) return false;
  if (vcpu.cpu.privilege === 'kernel') vcpu.hazard(PF2010_HAZARDS.cr2Window);
  if (!work.notPresentInjected && !work.wakeupAll) {
    vcpu.state.readyUnannounced++;
    vcpu.countEvent(READY_UNANNOUNCED);
  }
  return true;
}
