import { no, YES, type AsyncPfWork, type KvmVcpu, type Verdict } from '../../core/backend.js';
import { KVM_PV_REASON_PAGE_NOT_PRESENT, KVM_PV_REASON_PAGE_READY, WAKE_ALL_TOKEN } from './constants.js';
import { hostBlockInUse, hostReason, hostToken, hostWriteBlock } from './control-block.js';
import { sdeiCancel, sdeiInject, type InterruptedContext } from './sdei.js';
import type { Arm64VcpuState } from './state.js';
import { allocToken, ARM64_V4_TOKEN } from '../token.js';

/**
 * The arm64 async-PF hooks of the SDEI design (v4; facts/arm64.md §1 v2–v4; gwshan/linux
 * arch/arm64/kvm/async_pf.c). v4 has one gate, kvm_arch_async_not_present_allowed(), checked
 * before anything starts: when it says no the fault is synchronous — there is no halt. Every
 * hook reads and writes the control block through apf->cache, at the GPA of the last successful
 * ENABLE (read_cache()/write_cache(); arches/arm64/control-block.ts), not the guest's own block.
 */
type V = KvmVcpu<Arm64VcpuState>;

export const D1_13_4_HAZARD = 'IRQ pending while the resumed instruction stage-2 faults (Arm ARM D1.13.4)';

/** kvm_arch_async_not_present_allowed(): a failed read_cache() refuses as a block in use does. */
export function notPresentAllowed(vcpu: V): Verdict {
  const s = vcpu.state;
  if (!s.apfAllocated || !s.enabled) return no('apf-disabled');
  if (!s.sendAlways && vcpu.cpu.privilege === 'kernel') return no('kernel-mode');
  if (!s.irqchipInKernel) return no('no-irqchip');
  if (s.sdei.running !== null) return no('sdei-running');
  if (hostBlockInUse(s)) return no('signal-pending');
  return YES;
}

/**
 * kvm_arch_setup_async_pf(): `(id++ << 12) | vcpu_id` with a u16 id and no zero guard, so vCPU 0
 * is handed token 0 once per 65,536 faults (facts/arm64.md §1a). Unlike x86 before 6f3c1fc53d86
 * (facts/x86.md §6 "Zero token") that loses nothing: the host's free test reads the reason word
 * and pageready_pending as well as the token (kvm_arch_can_dequeue_async_page_present() below), and
 * the guest's table finds a sleeper by its token among occupied slots (gwshan/linux
 * arch/arm64/kernel/kvm.c kvm_async_pf_remove_task()). `apf-lab check` finds no lost page-ready.
 */
export function setupAsyncPf(vcpu: V, gfn: number): { token: number; arch: { gfn: number } } {
  return { token: allocToken(vcpu.state, ARM64_V4_TOKEN), arch: { gfn } };
}

/**
 * kvm_arch_async_page_not_present(): token, then reason = 1, into the control block, and queue
 * the SDEI event. Its return is whether the event was queued; a refused inject leaves the block
 * written (blocking the next not-present until page-present overwrites it).
 */
export function asyncPageNotPresent(
  vcpu: V,
  work: AsyncPfWork,
  onDispatch: (interrupted: InterruptedContext) => void,
  dispatchNs: number,
): boolean {
  const s = vcpu.state;
  if (!hostWriteBlock(s, work.token, KVM_PV_REASON_PAGE_NOT_PRESENT)) return false;
  s.notpresentPending = true;
  s.notpresentToken = work.token;
  return sdeiInject(vcpu, s.vmm.sdeiNum, work.token, onDispatch, dispatchNs);
}

/** kvm_arch_async_page_present_queued(): request; kick only if no page-ready awaits IRQ_ACK. */
export function asyncPagePresentQueued(vcpu: V): void {
  vcpu.requestApfReady();
  if (!vcpu.state.pagereadyPending) vcpu.kick();
}

/**
 * kvm_arch_can_dequeue_async_page_present(): not while a page-ready is unacknowledged or the
 * block is in use — except the completion of the very not-present still waiting to be
 * dispatched, which may go through to cancel it. A refusal re-raises the request.
 */
export function canDequeueAsyncPagePresent(vcpu: V): Verdict {
  const s = vcpu.state;
  if (!s.apfAllocated || !s.enabled) return YES;
  const head = vcpu.doneHead;
  const cancelling =
    s.notpresentPending &&
    head !== null &&
    head.token === s.notpresentToken &&
    hostReason(s) === KVM_PV_REASON_PAGE_NOT_PRESENT &&
    hostToken(s) === s.notpresentToken;
  let verdict: Verdict = YES;
  if (s.pagereadyPending) verdict = no('ready-unacked');
  else if (hostBlockInUse(s) && !cancelling) verdict = no('signal-pending');
  if (!verdict.ok) vcpu.requestApfReady();
  return verdict;
}

/**
 * v4's terms in kvm_arch_vcpu_runnable() (v4 08/15, 20210815005947.83699-9-gshan@redhat.com):
 * while async PF is enabled, a completion on the done list, a not-present not yet delivered or a
 * page-ready not yet acknowledged makes the vCPU runnable. notpresent_pending is cleared only by the
 * event's DELIVERED notifier or a cancel: one left by a refused inject (asyncPageNotPresent()) keeps
 * every WFI returning at once until then.
 */
export function vcpuRunnable(vcpu: V): boolean {
  const s = vcpu.state;
  return s.apfAllocated && s.enabled && (vcpu.doneHead !== null || s.notpresentPending || s.pagereadyPending);
}

/** kvm_arch_async_page_ready(): prefault, skipped for a wake-all. */
export function asyncPageReady(_vcpu: V, work: AsyncPfWork): boolean {
  return !work.wakeupAll;
}

/**
 * kvm_arch_async_page_present(): cancel a not-present that was never dispatched (no signal at
 * all then), else token, then reason = 2, and raise the PPI level-high until IRQ_ACK.
 */
export function asyncPagePresent(vcpu: V, work: AsyncPfWork): { delivered: boolean; cancelled: boolean } {
  const s = vcpu.state;
  if (!s.enabled || s.areaGpa === null) return { delivered: false, cancelled: false };
  if (!work.wakeupAll && s.notpresentPending && s.notpresentToken === work.token && sdeiCancel(vcpu, s.vmm.sdeiNum)) {
    s.notpresentPending = false;
    s.notpresentToken = 0;
    hostWriteBlock(s, 0, 0);
    return { delivered: false, cancelled: true };
  }
  hostWriteBlock(s, work.wakeupAll ? WAKE_ALL_TOKEN : work.token, KVM_PV_REASON_PAGE_READY);
  s.pagereadyPending = true;
  vcpu.raiseIrq(s.vmm.irq, 'ready', true);
  return { delivered: true, cancelled: false };
}
