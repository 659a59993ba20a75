/**
 * arm64 ABI numbers for Gavin Shan's SDEI + PPI async-PF series, v2–v4 (facts/arm64.md §1, §3,
 * §4, §5; notes from gwshan/linux arch/arm64/kvm/async_pf.c and the v4 patches 07–14/15).
 */

/** SMCCC function-ID fields (include/linux/arm-smccc.h, facts/arm64.md §3). */
export const SMCCC_FAST_CALL = 1 << 31;
export const SMCCC_OWNER_VENDOR_HYP = 6;
export const smcccCallVal = (fast: boolean, smc64: boolean, owner: number, fn: number): number =>
  ((fast ? SMCCC_FAST_CALL : 0) | (smc64 ? 1 << 30 : 0) | ((owner & 0x3f) << 24) | (fn & 0xffff)) >>> 0;

/** KVM vendor-hyp function 0 (FEATURES bitmap) and the async-PF function, number 2 in v3/v4. */
export const ARM_SMCCC_VENDOR_HYP_KVM_FEATURES_FUNC_ID = smcccCallVal(true, false, SMCCC_OWNER_VENDOR_HYP, 0);
export const ARM_SMCCC_KVM_FUNC_ASYNC_PF = 2;
export const ARM_SMCCC_VENDOR_HYP_KVM_ASYNC_PF_FUNC_ID = smcccCallVal(true, false, SMCCC_OWNER_VENDOR_HYP, ARM_SMCCC_KVM_FUNC_ASYNC_PF);

/** Sub-functions in x1. */
export const ASYNC_PF_VERSION = 0;
export const ASYNC_PF_SLOTS = 1;
export const ASYNC_PF_SDEI = 2;
export const ASYNC_PF_IRQ = 3;
export const ASYNC_PF_ENABLE = 4;
export const ASYNC_PF_IRQ_ACK = 5;
export const ASYNC_PF_SUBFN_NAMES = ['VERSION', 'SLOTS', 'SDEI', 'IRQ', 'ENABLE', 'IRQ_ACK'];
/** VERSION answers v1.0.0. */
export const ASYNC_PF_VERSION_1_0_0 = 0x010000n;

/** SMCCC return codes, as the signed values the guest sees in x0. */
export const SMCCC_RET_SUCCESS = 0n;
export const SMCCC_RET_NOT_SUPPORTED = -1n;
export const SMCCC_RET_NOT_REQUIRED = -2n;
export const SMCCC_RET_INVALID_PARAMETER = -3n;

/** ENABLE value: GPA in 63:6, bit 0 ENABLED, bit 1 SEND_ALWAYS; bits 5:2 ignored. */
export const KVM_ASYNC_PF_ENABLED = 1n;
export const KVM_ASYNC_PF_SEND_ALWAYS = 2n;
export const ASYNC_PF_GPA_MASK = ~0x3fn;

export const KVM_PV_REASON_PAGE_NOT_PRESENT = 1;
export const KVM_PV_REASON_PAGE_READY = 2;
export const ASYNC_PF_PER_VCPU = 64;
export const WAKE_ALL_TOKEN = 0xffffffff;

/** SDEI (DEN0054; facts/arm64.md §4): SDEI_1_0_FN(n) = 0xC4000020 + n. */
export const SDEI_VERSION = 0xc4000020;
export const SDEI_EVENT_REGISTER = 0xc4000021;
export const SDEI_EVENT_ENABLE = 0xc4000022;
export const SDEI_EVENT_DISABLE = 0xc4000023;
export const SDEI_EVENT_COMPLETE = 0xc4000025;
export const SDEI_EVENT_COMPLETE_AND_RESUME = 0xc4000026;
export const SDEI_EVENT_UNREGISTER = 0xc4000027;
export const SDEI_PE_MASK = 0xc400002b;
export const SDEI_PE_UNMASK = 0xc400002c;
export const SDEI_NAMES: Readonly<Record<number, string>> = {
  [SDEI_VERSION]: 'SDEI_VERSION',
  [SDEI_EVENT_REGISTER]: 'SDEI_EVENT_REGISTER',
  [SDEI_EVENT_ENABLE]: 'SDEI_EVENT_ENABLE',
  [SDEI_EVENT_DISABLE]: 'SDEI_EVENT_DISABLE',
  [SDEI_EVENT_COMPLETE]: 'SDEI_EVENT_COMPLETE',
  [SDEI_EVENT_COMPLETE_AND_RESUME]: 'SDEI_EVENT_COMPLETE_AND_RESUME',
  [SDEI_EVENT_UNREGISTER]: 'SDEI_EVENT_UNREGISTER',
  [SDEI_PE_MASK]: 'SDEI_PE_MASK',
  [SDEI_PE_UNMASK]: 'SDEI_PE_UNMASK',
};
export const SDEI_SUCCESS = 0n;
export const SDEI_NOT_SUPPORTED = -1n;
export const SDEI_INVALID_PARAMETERS = -2n;
export const SDEI_DENIED = -3n;
export const SDEI_PENDING = -5n;

/** KVM-private events of SDEI-virt v2–v4: the default event and the async-PF one (private, critical). */
export const KVM_SDEI_DEFAULT_NUM = 0x40400000;
export const KVM_SDEI_ASYNC_PF_NUM = 0x40400001;

/** GIC INTIDs: SGI 0–15, PPI 16–31 (facts/arm64.md §5). Linux's IPI_RESCHEDULE is SGI 0. */
export const PPI_MIN = 16;
export const PPI_MAX = 31;
export const SGI_RESCHEDULE = 0;
/** Linux's IPI_CALL_FUNC, the SGI smp_call_function_single() sends (arch/arm64/kernel/smp.c enum ipi_msg_type). */
export const SGI_CALL_FUNC = 1;
/**
 * PPIs QEMU's bsa.h assigns architecturally (19, 20, 23, 25–30): the lab's default APF PPI
 * avoids them. No published default exists (facts/arm64.md, open question 3).
 */
export const ARCHITECTED_PPIS: readonly number[] = [19, 20, 23, 25, 26, 27, 28, 29, 30];
export const LAB_DEFAULT_APF_PPI = 16;

/**
 * Where do_sdei_event() resumes an event that did not interrupt EL1 with IRQs masked: the IRQ
 * vector of the interrupted level, VBAR_EL1 + 0x280 from EL1, + 0x480 from AArch64 EL0
 * (facts/arm64.md §4 "How Linux finishes an event", §6 "Vector table").
 */
export const VECTOR_IRQ_EL1H = 0x280n;
export const VECTOR_IRQ_EL0_64 = 0x480n;
