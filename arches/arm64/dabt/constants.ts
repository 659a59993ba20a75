import { smcccCallVal, SMCCC_OWNER_VENDOR_HYP } from '../constants.js';

/**
 * ABI numbers of Gavin Shan's data-abort designs, RFCv1 (April 2020) and RFCv2 (May 2020)
 * (facts/arm64.md §1 RFCv1, RFCv2; RFCv2 7/9 20200508032919.52147-8-gshan@redhat.com,
 * 9/9 seed 003; RFCv1 6/7 20200410085820.758686-7-gshan@redhat.com, 7/7
 * 20200410085820.758686-8-gshan@redhat.com).
 */

/** RFCv2: ARM_SMCCC_KVM_FUNC_APF 1, a fast SMC32 vendor-hyp call: 0x86000001 (now PTP's upstream, §3). */
export const ARM_SMCCC_KVM_FUNC_APF_RFCV2 = 1;
export const ARM_SMCCC_VENDOR_HYP_KVM_APF_FUNC_ID = smcccCallVal(true, false, SMCCC_OWNER_VENDOR_HYP, ARM_SMCCC_KVM_FUNC_APF_RFCV2);

/** The operation in bits 63:56 of the 64-bit argument split over w1 (low) and w2 (high). */
export const APF_OP_MASK = 0xffn << 56n;
export const APF_OP_ENABLE = 1n << 63n;
export const APF_OP_RANGE = 1n << 62n;
/** kvm_arch_vcpu_create(): no_fault_inst_range starts at the size of the vector table. */
export const DEFAULT_NO_FAULT_INST_RANGE = 0x800n;

/** RFCv1: the IMPDEF system register SYS_ASYNC_PF_EL1 = sys_reg(3, 7, 15, 15, 7), written with GPA | flags. */
export const SYS_ASYNC_PF_EL1 = 'S3_7_C15_C15_7';
/** RFCv1's fixed excluded range: the vector table (`pc ∈ [VBAR_EL1, VBAR_EL1 + 0x800)`). */
export const RFCV1_NO_FAULT_INST_RANGE = 0x800n;

/** The control block's GPA is `data & ~0x3F`; bit 0 ENABLED, bit 1 SEND_ALWAYS. */
export const CONTROL_GPA_MASK = ~0x3fn;

/** FSC of the injected abort: RFCv2 kvm_inject_dabt() gives 0x10 (EXTABT); RFCv1 the IMPDEF 0x34 (facts/arm64.md §6). */
export const DFSC_EXTABT = 0x10;
export const DFSC_IMPDEF_LOCKDOWN = 0x34;
/** ESR EC of a data abort from a lower / the current EL (facts/arm64.md §6). */
export const ESR_ELX_EC_DABT_LOW = 0x24;
export const ESR_ELX_EC_DABT_CUR = 0x25;
