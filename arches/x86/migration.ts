import type { KvmVcpu } from '../../core/backend.js';
import { MSR_KVM_ASYNC_PF_EN, MSR_KVM_ASYNC_PF_INT } from './constants.js';
import { writeMsr } from './msr.js';
import { writeMsr as writeMsr2010 } from './pf2010/msr.js';
import { pf2010HostApfAtCreate, type Pf2010VcpuState } from './pf2010/state.js';
import { hostApfAtCreate, type X86VcpuState } from './state.js';

/**
 * Backend.vcpuMigrated() of the x86 hosts since 5.8: pageready_pending is in-kernel state no ioctl
 * saves, and QEMU's kvm_put_msrs() writes MSR_KVM_ASYNC_PF_INT, then MSR_KVM_ASYNC_PF_EN, on the
 * fresh destination vCPU (target/i386/kvm/kvm.c; the order since
 * 20200917102316.814804-1-vkuznets@redhat.com), each only where the VM has the feature. The writes
 * are the VMM's, not the guest's (no exit); EN runs kvm_pv_enable_async_pf(), whose enable queues a
 * wake-all (arch/x86/kvm/x86.c). A guest that never enabled gets EN = 0 back: nothing.
 */
export function x86VcpuMigrated(vcpu: KvmVcpu<X86VcpuState>, guestMemoryBytes: number): void {
  const s = vcpu.state;
  const { msrEnVal: en, msrIntVal: int } = s;
  // The destination's apf starts as created; what QEMU does not write stays so (`featureAsyncPf: 0`
  // kept the source's EN: every later fault still went async, with no enable on the destination).
  Object.assign(s, hostApfAtCreate());
  if (s.features.asyncPfInt) writeMsr(vcpu, MSR_KVM_ASYNC_PF_INT, int, guestMemoryBytes);
  if (s.features.asyncPf) writeMsr(vcpu, MSR_KVM_ASYNC_PF_EN, en, guestMemoryBytes);
}

/**
 * The 2010 host's: qemu-kvm restored MSR_KVM_ASYNC_PF_EN alone (there was no INT), and the 2010
 * kvm_pv_enable_async_pf() queued the wake-all, which the guest took as reason 2 with token ~0
 * ("Support migration by restarting all guest processes after migration", seed 002).
 */
export function pf2010VcpuMigrated(vcpu: KvmVcpu<Pf2010VcpuState>, guestMemoryBytes: number): void {
  const s = vcpu.state;
  const en = s.msrVal;
  Object.assign(s, pf2010HostApfAtCreate());
  if (s.featureAsyncPf) writeMsr2010(vcpu, MSR_KVM_ASYNC_PF_EN, en, guestMemoryBytes);
}
