import { no, YES, type AsyncPfWork, type GuestCpuState, type KvmVcpu, type Verdict } from '../../../core/backend.js';
import { KVM_PV_REASON_PAGE_NOT_PRESENT } from '../constants.js';
import { PSR_I_BIT, PSR_MODE_EL0T, PSR_MODE_EL1H } from './abi.js';
import type { PvvecVcpuState } from './state.js';

/**
 * The host hooks of `arm64-pvvec` (PROTOCOLS.md §4.9): who gets a not-present, and its delivery
 * through the PV vector. Page-ready is v4's PPI + IRQ_ACK (arches/arm64/async-pf.ts), unchanged.
 * The lab's reading of a design that was only named, never posted (hypothetical).
 */
type V = KvmVcpu<PvvecVcpuState>;

/**
 * One gate, asked before the work starts and again before delivery, as v4's
 * kvm_arch_async_not_present_allowed() (facts/arm64.md §1 v2–v4): when it says no, the fault is
 * synchronous. arm64 KVM has no APF halt — v4 re-enters the guest, which faults again — and the PV
 * vector changes only how not-present reaches the guest, so the lab keeps v4's host around it.
 *
 * The vector is masked while the guest's flag in the save area is set, and while the guest runs
 * exception entry code (its PC is in the code layout): that is where a Linux guest would hold the
 * flag, "around its critical code", and a delivery there is what sank RFCv2 (Mark Rutland
 * 2020-05-26, facts/arm64.md §2). From EL0 only: the handler sleeps the task, which it cannot do in
 * an arbitrary kernel context, and x86 sends not-present to user mode only since 5.8.
 */
export function pvNotPresentAllowed(vcpu: V): Verdict {
  const s = vcpu.state;
  if (!s.apfAllocated || !s.enabled) return no('apf-disabled');
  if (s.pv.areaGpa === null) return no('pv-unregistered');
  if (vcpu.cpu.privilege === 'kernel') return no('kernel-mode');
  if (!s.irqchipInKernel) return no('no-irqchip');
  if (s.pv.area.mask !== 0 || vcpu.cpu.pc !== null) return no('pv-masked');
  // One not-present at a time: the area holds one interrupted context.
  if (s.pv.area.reason !== 0) return no('signal-pending');
  if (vcpu.cpu.eventPending) return no('event-pending');
  return YES;
}

/** The interrupted PSTATE as SPSR would hold it: mode and PSTATE.I (DAIF otherwise clear). */
export function pstateOf(cpu: GuestCpuState): number {
  return (cpu.privilege === 'user' ? PSR_MODE_EL0T : PSR_MODE_EL1H) | (cpu.irqsMasked ? PSR_I_BIT : 0);
}

export const PV_VECTOR_EVENT = 'PV vector (not-present)';

/**
 * kvm_arch_async_page_not_present(): write token, reason 1 and the interrupted PC and PSTATE into
 * the save area — not ELR_EL1, SPSR_EL1 or ESR_EL1, which the interrupted code may still need —
 * and enter the guest at its PV entry point. It is not an exception through VBAR_EL1: the event
 * carries no `exception`, so no entry code of the layout runs and nothing counts as an unsafe
 * injection.
 */
export function asyncPageNotPresent(vcpu: V, work: AsyncPfWork, entry: () => void): boolean {
  const s = vcpu.state;
  if (!s.enabled || s.pv.areaGpa === null) return false;
  const a = s.pv.area;
  a.token = work.token;
  a.reason = KVM_PV_REASON_PAGE_NOT_PRESENT;
  a.pc = vcpu.cpu.pc;
  a.pstate = pstateOf(vcpu.cpu);
  vcpu.injectEvent({ name: PV_VECTOR_EVENT, token: work.token, signal: 'not-present', handler: entry });
  return true;
}
