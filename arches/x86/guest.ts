import type { KvmVcpu } from '../../core/backend.js';
import {
  KVM_ASYNC_PF_DELIVERY_AS_INT,
  KVM_ASYNC_PF_DELIVERY_AS_PF_VMEXIT,
  KVM_ASYNC_PF_ENABLED,
  KVM_PV_REASON_PAGE_NOT_PRESENT,
  MSR_KVM_ASYNC_PF_ACK,
  MSR_KVM_ASYNC_PF_EN,
  MSR_KVM_ASYNC_PF_INT,
  MSR_X2APIC_EOI,
} from './constants.js';
import { APF_DATA_FLAGS, APF_DATA_TOKEN } from './guest-memory.js';
import type { X86VcpuState } from './state.js';

/**
 * The Linux guest's half (arch/x86/kernel/kvm.c, facts/x86.md §3): per-CPU enable, the #PF
 * path for not-present, and sysvec_kvm_asyncpf_interrupt() for page-ready. The guest reads and
 * clears its own per-CPU `apf_reason` (`guest.apfReasonGpa`), wherever the host last wrote.
 */
type V = KvmVcpu<X86VcpuState>;

export interface X86GuestConfig {
  readonly vector: number;
  readonly pfHandlerNs: number;
  readonly irqHandlerNs: number;
  /**
   * The handler's EOI (facts/x86.md §2a; arches/x86/eoi.ts): virtualised with APICv; with PV EOI
   * a flag in memory, unless another interrupt was pending at entry; else a trapped write.
   */
  readonly eoi: 'virtualised' | 'pv-eoi' | 'exits';
}

/**
 * kvm_guest_init() + kvm_guest_cpu_init(): nothing without KVM_FEATURE_ASYNC_PF_INT (a guest newer
 * than 5.8 gets no APF from a legacy-only host), and KVM_FEATURE_ASYNC_PF is not looked at
 * (facts/x86.md §2a); INT before EN, as the MSR documentation asks; PF_VMEXIT when the host
 * offers it; SEND_ALWAYS never (facts/x86.md §3 "Boot", "Per-CPU init").
 */
export function kvmGuestCpuInit(vcpu: V, cfg: X86GuestConfig): void {
  const f = vcpu.state.features; // what the guest reads from CPUID 0x40000001
  if (!f.asyncPfInt) return;
  vcpu.guest.requestIrq(cfg.vector, () => sysvecKvmAsyncpfInterrupt(vcpu, cfg));
  vcpu.guest.call({ kind: 'wrmsr', index: MSR_KVM_ASYNC_PF_INT, value: BigInt(cfg.vector) });
  let pa = vcpu.state.guest.apfReasonGpa | KVM_ASYNC_PF_ENABLED | KVM_ASYNC_PF_DELIVERY_AS_INT;
  if (f.asyncPfVmexit) pa |= KVM_ASYNC_PF_DELIVERY_AS_PF_VMEXIT;
  vcpu.guest.call({ kind: 'wrmsr', index: MSR_KVM_ASYNC_PF_EN, value: pa });
  // wrmsrl(), not the _safe form: a #GP is an "unchecked MSR access" that the kernel skips, and
  // async_pf_enabled is set all the same (arch/x86/kernel/kvm.c kvm_guest_cpu_init()).
  vcpu.state.guest.asyncPfEnabled = true;
}

/** exc_page_fault() → kvm_handle_async_pf(): read and clear `flags`, then sleep on CR2. */
export function guestAsyncPageFault(vcpu: V, cfg: { pfHandlerNs: number }): void {
  const s = vcpu.state;
  vcpu.guest.charge(cfg.pfHandlerNs);
  const flags = kvmReadAndResetApfFlags(s);
  if (flags === 0) return; // an ordinary #PF: not modelled
  const token = s.lastPf?.cr2 ?? 0;
  if (flags !== KVM_PV_REASON_PAGE_NOT_PRESENT) {
    s.guest.unknownFlags++;
    return;
  }
  // The guest panics on these (facts/x86.md §3 "#PF path"); the lab records it and goes on.
  if (vcpu.cpu.irqsMasked) return vcpu.hazard('guest panic: async #PF in interrupt disabled region');
  if (vcpu.cpu.privilege === 'kernel') return vcpu.hazard('guest panic: async #PF in kernel mode');
  vcpu.guest.asyncPfTaskWaitSchedule(token);
}

/**
 * sysvec_kvm_asyncpf_interrupt(): EOI, then wake the token, clear the slot, ACK. The EOI exits
 * without APICv where PV EOI (kvm_guest_apic_eoi_write()) is off or was left unarmed, another
 * interrupt pending (facts/x86.md §2a; arches/x86/eoi.ts).
 */
export function sysvecKvmAsyncpfInterrupt(vcpu: V, cfg: X86GuestConfig): void {
  const s = vcpu.state;
  if (cfg.eoi === 'exits' || (cfg.eoi === 'pv-eoi' && vcpu.cpu.irqPending)) vcpu.guest.call({ kind: 'wrmsr', index: MSR_X2APIC_EOI, value: 0n });
  vcpu.guest.charge(cfg.irqHandlerNs);
  s.guest.irqHvCallbackCount++;
  if (!s.guest.asyncPfEnabled) return;
  const token = s.memory.read32(s.guest.apfReasonGpa + APF_DATA_TOKEN); // __this_cpu_read(apf_reason.token)
  vcpu.guest.asyncPfTaskWake(token);
  s.memory.write32(s.guest.apfReasonGpa + APF_DATA_TOKEN, 0);
  vcpu.guest.call({ kind: 'wrmsr', index: MSR_KVM_ASYNC_PF_ACK, value: 1n });
}

/**
 * kvm_read_and_reset_apf_flags(): only while this CPU's async_pf_enabled is set, read its own
 * `apf_reason.flags` and write 0 there; otherwise 0 (an ordinary #PF).
 */
function kvmReadAndResetApfFlags(s: X86VcpuState): number {
  if (!s.guest.asyncPfEnabled) return 0;
  const gpa = s.guest.apfReasonGpa + APF_DATA_FLAGS;
  const flags = s.memory.read32(gpa);
  s.memory.write32(gpa, 0);
  return flags;
}
