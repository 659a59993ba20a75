/**
 * Per-vCPU x86 APF state: the host's struct kvm_vcpu_arch.apf, the guest's 64-byte shared area
 * (struct kvm_vcpu_pv_apf_data: u32 flags @0, u32 token @4; facts/x86.md §1), and the guest's
 * private per-CPU bookkeeping. The area lives in guest memory: both halves read and write it.
 */
export interface X86VcpuState {
  readonly vcpuId: number;
  /** CPUID 0x40000001 as the VMM set it: what the guest reads, and what the host enforces if asked. */
  readonly features: { readonly asyncPf: boolean; readonly asyncPfInt: boolean; readonly asyncPfVmexit: boolean };
  /** pv_cpuid.enforce: the VMM enabled KVM_CAP_ENFORCE_PV_FEATURE_CPUID (facts/x86.md §2a). */
  readonly enforcePvCpuid: boolean;
  /** kvm_hlt_in_guest(): HLT does not exit (facts/x86.md §2a). */
  readonly hltInGuest: boolean;
  readonly lapicInKernel: boolean;
  msrEnVal: bigint;
  msrIntVal: bigint;
  vec: number;
  sendAlways: boolean;
  deliveryAsPfVmexit: boolean;
  pagereadyPending: boolean;
  /** apf.id, a u32 that feeds the token. */
  id: number;
  /**
   * The area's GPA while the gfn→hva cache (apf.data) is valid; null before the first enable and
   * after a failed kvm_gfn_to_hva_cache_init(), when every host access to the area fails.
   */
  areaGpa: bigint | null;
  readonly area: { flags: number; token: number };
  /** The last async #PF injected: vector, error code and CR2 (for tests and traces). */
  lastPf: { vector: number; errorCode: number; cr2: number } | null;
  readonly guest: { asyncPfEnabled: boolean; irqHvCallbackCount: number; unknownFlags: number };
}

export function createX86State(vcpuId: number, knobs: Readonly<Record<string, number>>): X86VcpuState {
  return {
    vcpuId,
    features: {
      asyncPf: knobs.featureAsyncPf !== 0,
      asyncPfInt: knobs.featureAsyncPfInt !== 0,
      asyncPfVmexit: knobs.featureAsyncPfVmexit !== 0,
    },
    enforcePvCpuid: knobs.enforcePvCpuid === 1,
    hltInGuest: knobs.hltInGuest === 1,
    lapicInKernel: knobs.lapicInKernel !== 0,
    msrEnVal: 0n,
    msrIntVal: 0n,
    vec: 0,
    sendAlways: false,
    deliveryAsPfVmexit: false,
    pagereadyPending: false,
    id: 0,
    areaGpa: null,
    area: { flags: 0, token: 0 },
    lastPf: null,
    guest: { asyncPfEnabled: false, irqHvCallbackCount: 0, unknownFlags: 0 },
  };
}

/** kvm_pv_async_pf_enabled(): both ENABLED and DELIVERY_AS_INT (facts/x86.md §1). */
export function pvAsyncPfEnabled(s: X86VcpuState): boolean {
  return (s.msrEnVal & 1n) !== 0n && (s.msrEnVal & 8n) !== 0n;
}

/** CPUID 0x40000001 feature bits (KVM_FEATURE_*), as guest_pv_has() names them. */
export type PvFeature = keyof X86VcpuState['features'];

/**
 * guest_pv_has() (arch/x86/kvm/cpuid.h): every PV feature passes unless the VMM asked for
 * enforcement, which QEMU does not by default (facts/x86.md §2a).
 */
export function guestPvHas(s: X86VcpuState, feature: PvFeature): boolean {
  return !s.enforcePvCpuid || s.features[feature];
}
