import { no, YES, type AsyncPfWork, type KvmVcpu, type Verdict } from '../../../core/backend.js';
import { KVM_PV_REASON_PAGE_NOT_PRESENT } from '../constants.js';
import { hostBlockInUse, hostWriteBlock } from '../control-block.js';
import type { Arm64VcpuState } from '../state.js';

/**
 * The host hooks of the IRQ design (PROTOCOLS.md §4.8). Not-present goes out only where James
 * Morse's kvm_vgic_inject_taken_irq() would take it at once: PSTATE.I clear (and the PPI enabled,
 * which the booted guest did); anywhere else the vCPU halts. Page-ready is v4's level-high PPI
 * with IRQ_ACK (arches/arm64/async-pf.ts).
 */
type V = KvmVcpu<Arm64VcpuState>;

/** May an APF start: enabled, an in-kernel irqchip, and the control block free (one signal at a time). */
export function canDoAsyncPf(v: V): Verdict {
  const s = v.state;
  if (!s.apfAllocated || !s.enabled) return no('apf-disabled');
  if (!s.irqchipInKernel) return no('no-irqchip');
  // v4's read_cache() of the block of the last ENABLE (kvm_arch_async_not_present_allowed()).
  if (hostBlockInUse(s)) return no('signal-pending');
  return YES;
}

/** A PPI taken synchronously needs PSTATE.I clear; the flag is acted on only on the way to EL0. */
export function canDeliverAsyncPf(v: V): Verdict {
  if (v.cpu.privilege === 'kernel') return no('kernel-mode');
  if (v.cpu.irqsMasked) return no('irqs-masked');
  return YES;
}

/**
 * Write token then reason = 1, make the PPI pending and have the guest take it at this entry
 * (kvm_vgic_inject_taken_irq() emulates the IRQ exception: DDI0487F.a D1.13.4 cannot reorder it).
 */
export function asyncPageNotPresent(v: V, work: AsyncPfWork): boolean {
  const s = v.state;
  if (!hostWriteBlock(s, work.token, KVM_PV_REASON_PAGE_NOT_PRESENT)) return false;
  v.raiseIrq(s.vmm.irq, 'not-present', false, work.token);
  v.injectIrqException();
  return true;
}
