import type { ApfGuestMemory } from '../guest-memory.js';
import type { X86VmPlace } from '../state.js';

/**
 * Per-vCPU state of the 2010 design (seed 001; facts/x86.md §1 "struct kvm_vcpu_pv_apf_data",
 * 2010–5.7 row): the host's apf.msr_val / apf.id / send_user_only, and the guest memory its
 * 68-byte per-CPU areas `{u32 reason; u8 pad[60]; u32 enabled}` live in. One `reason` word
 * carries both signals; the token travels in CR2, so the area has no token slot. The host
 * writes `reason` at `areaGpa`, the guest reads its own at `guest.apfReasonGpa`
 * (arches/x86/guest-memory.ts).
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
  /** The VM's guest memory as the areas use it (u32 reason @0, u32 enabled @64), shared with the other vCPUs. */
  readonly memory: ApfGuestMemory;
  /** CR2 as the host last set it for an async #PF (vcpu->arch.cr2 = token). */
  cr2: number;
  /** Lab-only: page-ready #PFs sent for a fault whose not-present never went out (the dummy leak). */
  readyUnannounced: number;
  /** Guest-side counters: #PFs the guest's handler read with an unknown reason (an ordinary #PF). */
  readonly guest: {
    /** The GPA of this CPU's `apf_reason`: where its init points EN and its #PF handler reads. */
    readonly apfReasonGpa: bigint;
    ordinaryPf: number;
  };
}

/** The 2010 area's words: `u32 reason` @0 and the guest's `u32 enabled` after `u8 pad[60]`, @64 (facts/x86.md §1). */
export const PF2010_REASON = 0n;
export const PF2010_ENABLED = 64n;

/** The 2010 host's apf as vCPU creation leaves it: disabled, no area (a migration's destination too). */
export function pf2010HostApfAtCreate(): Pick<Pf2010VcpuState, 'msrVal' | 'sendAlways' | 'areaGpa' | 'id'> {
  return { msrVal: 0n, sendAlways: false, areaGpa: null, id: 0 };
}

export function createPf2010State(vcpuId: number, knobs: Readonly<Record<string, number>>, place: X86VmPlace): Pf2010VcpuState {
  return {
    vcpuId,
    featureAsyncPf: knobs.featureAsyncPf !== 0,
    lapicInKernel: knobs.lapicInKernel !== 0,
    sendAlwaysSeries: knobs.sendAlways === 1,
    ...pf2010HostApfAtCreate(),
    memory: place.memory,
    cr2: 0,
    readyUnannounced: 0,
    guest: { apfReasonGpa: place.apfReasonGpa, ordinaryPf: 0 },
  };
}

/** `apf.msr_val & KVM_ASYNC_PF_ENABLED`: the 2010 host needs only bit 0 (no DELIVERY_AS_INT yet). */
export function pf2010Enabled(s: Pf2010VcpuState): boolean {
  return (s.msrVal & 1n) !== 0n;
}
