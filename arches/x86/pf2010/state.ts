/**
 * Per-vCPU state of the 2010 design (seed 001; facts/x86.md §1 "struct kvm_vcpu_pv_apf_data",
 * 2010–5.7 row): the host's apf.msr_val / apf.id / send_user_only, and the guest's 68-byte
 * per-CPU area `{u32 reason; u8 pad[60]; u32 enabled}`. One `reason` word carries both signals;
 * the token travels in CR2, so the area has no token slot.
 */
export interface Pf2010VcpuState {
  readonly vcpuId: number;
  /** CPUID 0x40000001 KVM_FEATURE_ASYNC_PF, which the 2010 guest checks before enabling. */
  readonly featureAsyncPf: boolean;
  readonly lapicInKernel: boolean;
  /** The host has fc5f06fac6fb ("send in kernel too") and the guest, built with CONFIG_PREEMPT, sets SEND_ALWAYS. */
  readonly sendAlwaysSeries: boolean;
  /** apf.msr_val: stored before the gfn→hva cache init, as kvm_pv_enable_async_pf() does. */
  msrVal: bigint;
  /** !apf.send_user_only: the guest set SEND_ALWAYS on a host that knows the bit. */
  sendAlways: boolean;
  /** apf.id, a u32; no zero guard in 2010 (6f3c1fc53d86 is 2022, facts/x86.md §1 "Token"). */
  id: number;
  /** The area's GPA while the gfn→hva cache is valid; null before enable or after a failed init. */
  areaGpa: bigint | null;
  /** The shared word (u32 reason @0) and the guest-private `enabled` (@64). */
  readonly area: { reason: number; enabled: number };
  /** CR2 as the host last set it for an async #PF (vcpu->arch.cr2 = token). */
  cr2: number;
  /** Lab-only: page-ready #PFs sent for a fault whose not-present never went out (the dummy leak). */
  readyUnannounced: number;
  /** Guest-side counters: #PFs the guest's handler read with an unknown reason (an ordinary #PF). */
  readonly guest: { ordinaryPf: number };
}

export function createPf2010State(vcpuId: number, knobs: Readonly<Record<string, number>>): Pf2010VcpuState {
  return {
    vcpuId,
    featureAsyncPf: knobs.featureAsyncPf !== 0,
    lapicInKernel: knobs.lapicInKernel !== 0,
    sendAlwaysSeries: knobs.sendAlways === 1,
    msrVal: 0n,
    sendAlways: false,
    id: 0,
    areaGpa: null,
    area: { reason: 0, enabled: 0 },
    cr2: 0,
    readyUnannounced: 0,
    guest: { ordinaryPf: 0 },
  };
}

/** `apf.msr_val & KVM_ASYNC_PF_ENABLED`: the 2010 host needs only bit 0 (no DELIVERY_AS_INT yet). */
export function pf2010Enabled(s: Pf2010VcpuState): boolean {
  return (s.msrVal & 1n) !== 0n;
}
