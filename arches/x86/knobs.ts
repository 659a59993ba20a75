import { BadInputError } from '../../core/errors.js';
import { CALL_FUNCTION_SINGLE_VECTOR, LAB_DEFAULT_APF_VECTOR } from './constants.js';

/** The knobs a scenario sets under `arch.x86` for every x86 variant, with their defaults. */
export const X86_KNOBS = {
  /** The page-ready vector the guest programs in MSR_KVM_ASYNC_PF_INT. */
  vector: LAB_DEFAULT_APF_VECTOR,
  /** CPUID 0x40000001 features the VMM exposes, and the in-kernel LAPIC (1 = present). */
  featureAsyncPf: 1,
  featureAsyncPfInt: 1,
  featureAsyncPfVmexit: 0,
  lapicInKernel: 1,
  /**
   * KVM_CAP_ENFORCE_PV_FEATURE_CPUID: 1 = the host refuses PV MSRs whose CPUID bit is clear.
   * Off by default, as in QEMU (facts/x86.md §2a; cpuid.h guest_pv_has()).
   */
  enforcePvCpuid: 0,
  /**
   * KVM_FEATURE_PV_EOI used by the guest (Linux does, kvm_guest_init()) and APIC virtualisation:
   * the page-ready EOI exits only when both are 0 (facts/x86.md §2a; lapic.c pv_eoi_*).
   */
  pvEoi: 1,
  apicv: 1,
  /** HLT passthrough (kvm_hlt_in_guest()): undeliverable faults go sync (facts/x86.md §2a). */
  hltInGuest: 0,
};

/** Knobs that are a feature or capability: on (1) or off (0), nothing else. */
const FLAG_KNOBS = [
  'featureAsyncPf',
  'featureAsyncPfInt',
  'featureAsyncPfVmexit',
  'lapicInKernel',
  'enforcePvCpuid',
  'pvEoi',
  'apicv',
  'hltInGuest',
] as const;

/**
 * The x86 knobs every x86 variant (and the x86 baseline) accepts, checked the same way whichever
 * variant runs, so that a scenario is refused or accepted as a whole.
 */
export function checkX86Knobs(knobs: Readonly<Record<string, number>>): void {
  const vector = knobs.vector;
  // 0–31 are exception vectors: a fixed interrupt there is an APIC "illegal vector" error (SDM 11.5.3).
  if (!Number.isInteger(vector) || vector < 32 || vector > 255) {
    throw new BadInputError(`scenario arch.x86.vector: ${vector} is not an interrupt vector (32–255; 0–31 are exceptions)`);
  }
  if (vector === CALL_FUNCTION_SINGLE_VECTOR) {
    throw new BadInputError(`scenario arch.x86.vector: 0x${vector.toString(16)} is CALL_FUNCTION_SINGLE_VECTOR, the guest's call-function IPI`);
  }
  for (const name of FLAG_KNOBS) {
    const value = knobs[name];
    if (value !== 0 && value !== 1) throw new BadInputError(`scenario arch.x86.${name}: ${value} is not 0 or 1`);
  }
}
