import type { KvmVcpu } from '../../core/backend.js';
import { WAKE_ALL } from '../../core/guest/sleep-table.js';
import { MSR_KVM_ASYNC_PF_EN } from './constants.js';
import { PF2010_ENABLED, type Pf2010VcpuState } from './pf2010/state.js';
import type { X86VcpuState } from './state.js';

/**
 * x86 CPU hotplug (a scenario `offline` / `online` event, core/sim/cpu-hotplug.ts; facts/x86.md §3
 * "Offline / suspend / reboot / crash", §2 "Disable, reset, migration").
 *
 * Down: kvm_cpu_down_prepare() → kvm_guest_cpu_offline(false) on the dying CPU, interrupts off:
 * kvm_pv_disable_apf() (EN = 0 when this CPU had enabled, which drops the host's queue), then
 * apf_task_wake_all(), which wakes every sleeper of this CPU and frees its dummies (the same wake
 * a page-ready for token ~0 runs). Woken there, the tasks run on the CPUs that stay up. The other
 * PV MSR writes of that path (steal time, PV EOI, kvmclock) are not modelled.
 *
 * Up: INIT-SIPI runs kvm_vcpu_reset(), which zeroes the EN and INT values and drops the queue and
 * the gfn table (arch/x86/kvm/x86.c); the guest's online callback then enables again (guestInit()).
 */

/** kvm_guest_cpu_offline() of 5.8+ (arch/x86/kernel/kvm.c). */
export function x86GuestCpuOffline(vcpu: KvmVcpu<X86VcpuState>): void {
  const g = vcpu.state.guest;
  if (g.asyncPfEnabled) {
    vcpu.guest.call({ kind: 'wrmsr', index: MSR_KVM_ASYNC_PF_EN, value: 0n });
    g.asyncPfEnabled = false;
  }
  vcpu.guest.asyncPfTaskWake(WAKE_ALL);
}

/**
 * kvm_vcpu_reset(init_event) of the 5.8+ host (arch/x86/kvm/x86.c): kvm_lapic_reset() drops what
 * the IRR held (the page-ready vector among it), then EN and INT are zeroed, the queue and the gfn
 * table dropped and the halt cleared. pageready_pending is left as it was: it only spares a kick
 * until the next ACK (kvm_arch_async_page_present_queued()).
 */
export function x86VcpuReset(vcpu: KvmVcpu<X86VcpuState>): void {
  const s = vcpu.state;
  vcpu.resetIrqs();
  s.msrEnVal = 0n;
  s.msrIntVal = 0n;
  s.areaGpa = null;
  vcpu.clearCompletionQueue();
}

/**
 * The 2010 guest's CPU_DOWN_PREPARE (kvm_cpu_notify() → kvm_guest_cpu_offline(), 2.6.38): the same
 * two steps, with `apf_reason.enabled` as the guest's flag.
 */
export function pf2010GuestCpuOffline(vcpu: KvmVcpu<Pf2010VcpuState>): void {
  const s = vcpu.state;
  if (s.memory.read32(s.guest.apfReasonGpa + PF2010_ENABLED) !== 0) {
    vcpu.guest.call({ kind: 'wrmsr', index: MSR_KVM_ASYNC_PF_EN, value: 0n });
    s.memory.write32(s.guest.apfReasonGpa + PF2010_ENABLED, 0);
  }
  vcpu.guest.asyncPfTaskWake(WAKE_ALL);
}

/** The 2010 kvm_arch_vcpu_reset() after the LAPIC's: `apf.msr_val = 0`, the queue and the gfn table dropped. */
export function pf2010VcpuReset(vcpu: KvmVcpu<Pf2010VcpuState>): void {
  const s = vcpu.state;
  vcpu.resetIrqs();
  s.msrVal = 0n;
  s.areaGpa = null;
  vcpu.clearCompletionQueue();
}
