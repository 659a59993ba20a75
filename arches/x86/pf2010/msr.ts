import type { GuestCallResult, KvmVcpu } from '../../../core/backend.js';
import { ASYNC_PF_EN_GPA_MASK, KVM_ASYNC_PF_SEND_ALWAYS, MSR_KVM_ASYNC_PF_EN } from '../constants.js';
import { pf2010Enabled, type Pf2010VcpuState } from './state.js';

/**
 * The 2010 host's MSR_KVM_ASYNC_PF_EN (344d9588a9df, and fc5f06fac6fb for SEND_ALWAYS; facts/x86.md
 * §1 "Reserved-bit mask … over time"). MSR_KVM_ASYNC_PF_INT and _ACK did not exist: like any MSR
 * kvm_set_msr_common() does not know, they are #GP (2.6.38 without ignore_msrs).
 */
const OK: GuestCallResult = { kind: 'ok', regs: [0n] };
const GP: GuestCallResult = { kind: 'fault', vector: '#GP' };

/** Bits 1:5 reserved in the first version (0x3e); bits 2:5 once SEND_ALWAYS exists (0x3c). */
export const PF2010_EN_RESERVED = 0x3en;
export const PF2010_EN_RESERVED_SEND_ALWAYS = 0x3cn;
/** The 2010 area: u32 reason, u8 pad[60], u32 enabled (facts/x86.md §1 layout table). */
export const PF2010_AREA_BYTES = 68n;

export function writeMsr(vcpu: KvmVcpu<Pf2010VcpuState>, index: number, data: bigint, guestMemoryBytes: number): GuestCallResult {
  if (index !== MSR_KVM_ASYNC_PF_EN) return GP;
  return enableAsyncPf(vcpu, data, guestMemoryBytes);
}

export function readMsr(vcpu: KvmVcpu<Pf2010VcpuState>, index: number): GuestCallResult {
  return index === MSR_KVM_ASYNC_PF_EN ? { kind: 'ok', regs: [vcpu.state.msrVal] } : GP;
}

/** kvm_pv_enable_async_pf(), 2010: reserved bits, store, disable path, cache init, wake-all. */
function enableAsyncPf(vcpu: KvmVcpu<Pf2010VcpuState>, data: bigint, guestMemoryBytes: number): GuestCallResult {
  const s = vcpu.state;
  const reserved = s.sendAlwaysSeries ? PF2010_EN_RESERVED_SEND_ALWAYS : PF2010_EN_RESERVED;
  if (data & reserved) return GP;
  s.msrVal = data;
  if (!pf2010Enabled(s)) {
    // kvm_clear_async_pf_completion_queue() + kvm_async_pf_hash_reset().
    vcpu.clearCompletionQueue();
    s.areaGpa = null;
    return OK;
  }
  const gpa = data & ASYNC_PF_EN_GPA_MASK;
  // kvm_gfn_to_hva_cache_init() fails outside guest memory: #GP, msr_val already stored.
  if (gpa + PF2010_AREA_BYTES > BigInt(guestMemoryBytes)) {
    s.areaGpa = null;
    return GP;
  }
  s.areaGpa = gpa;
  s.sendAlways = s.sendAlwaysSeries && (data & KVM_ASYNC_PF_SEND_ALWAYS) !== 0n;
  vcpu.wakeupAll();
  return OK;
}
