import type { IpiCaps } from '../../core/backend.js';
import { SGI_CALL_FUNC } from './constants.js';

/**
 * smp_call_function_single() in an arm64 guest: arch_send_call_function_single_ipi() sends SGI
 * IPI_CALL_FUNC (arch/arm64/kernel/smp.c, enum ipi_msg_type) by writing ICC_SGI1R_EL1, which
 * traps to KVM without GICv4.1 vSGIs (PROTOCOLS.md §4.7 counts the same trapped write for the
 * SDEI design's self-IPI; priced as a trapped register, arches/arm64/costs.ts). KVM queues the
 * SGI in the vGIC and kicks a target that is running guest code (kvm_vcpu_kick()), since
 * list registers are written only at entry.
 */
export const ARM64_IPI_CAPS: IpiCaps = {
  line: SGI_CALL_FUNC,
  sendExit: { name: 'SYS64(ICC_SGI1R_EL1)', kind: 'trap' },
  kickRunningTarget: true,
};
