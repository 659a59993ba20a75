import type { ApfGuestMemory } from './guest-memory.js';

/**
 * Per-vCPU x86 APF state: the host's struct kvm_vcpu_arch.apf, the guest memory its 64-byte shared
 * areas live in (struct kvm_vcpu_pv_apf_data: u32 flags @0, u32 token @4; facts/x86.md §1), and
 * the guest's private per-CPU bookkeeping. The host reaches an area at `areaGpa`, the guest at
 * `guest.apfReasonGpa` (arches/x86/guest-memory.ts).
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
   * after a failed kvm_gfn_to_hva_cache_init(), when every host access to the area fails. The
   * host reads and writes the area here, whatever the guest's own per-CPU area is.
   */
  areaGpa: bigint | null;
  /** The VM's guest memory as the async-PF areas use it, shared with the other vCPUs. */
  readonly memory: ApfGuestMemory;
  /** The last async #PF injected: vector, error code and CR2 (for tests and traces). */
  lastPf: { vector: number; errorCode: number; cr2: number } | null;
  readonly guest: {
    /** The GPA of this CPU's `apf_reason` (per-CPU, __aligned(64)): where its init points EN and its handlers read. */
    readonly apfReasonGpa: bigint;
    asyncPfEnabled: boolean;
    irqHvCallbackCount: number;
    unknownFlags: number;
  };
}

/** Where a vCPU's state sits in its VM: the VM's guest memory and the GPA of this CPU's `apf_reason`. */
export interface X86VmPlace {
  readonly memory: ApfGuestMemory;
  readonly apfReasonGpa: bigint;
}

export function createX86State(vcpuId: number, knobs: Readonly<Record<string, number>>, place: X86VmPlace): X86VcpuState {
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
    ...hostApfAtCreate(),
    memory: place.memory,
    lastPf: null,
    guest: { apfReasonGpa: place.apfReasonGpa, asyncPfEnabled: false, irqHvCallbackCount: 0, unknownFlags: 0 },
  };
}

/**
 * The host's vcpu->arch.apf as kvm_arch_vcpu_create() leaves it: disabled, no vector, no area,
 * the token counter at 0 (apf.id is not migrated state: the destination's first token is its
 * own 0x1000 again, not the source's next). A migration's destination starts so too
 * (arches/x86/migration.ts).
 */
export function hostApfAtCreate(): Pick<X86VcpuState, 'msrEnVal' | 'msrIntVal' | 'vec' | 'sendAlways' | 'deliveryAsPfVmexit' | 'pagereadyPending' | 'areaGpa' | 'id'> {
  return { msrEnVal: 0n, msrIntVal: 0n, vec: 0, sendAlways: false, deliveryAsPfVmexit: false, pagereadyPending: false, areaGpa: null, id: 0 };
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
