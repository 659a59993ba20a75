import type { GuestCallExit, IpiCaps, KvmVcpu } from '../../core/backend.js';
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
  // A pending virtual interrupt sits in a list register and is taken once PSTATE.I clears: no exit.
  irqWindowExit: null,
};

/**
 * A trapped system-register write (ESR_ELx EC 0x18). KVM emulates the three GICv3 SGI generation
 * registers on every VM with a vGICv3, whatever the APF design (arch/arm64/kvm/sys_regs.c
 * access_gic_sgi() → vgic_v3_dispatch_sgi()): ICC_SGI1R_EL1 sends a Group 1 SGI, INTID in bits
 * 27:24 (the lab delivers it to the sender, as the guests here use it); ICC_ASGI1R_EL1 and
 * ICC_SGI0R_EL1 send Group 0 ones, and KVM configures every vGICv3 interrupt Group 1, so they
 * reach nobody. A register KVM does not emulate is UNDEF (kvm_handle_sys_reg()).
 */
export function trappedSysregWrite(v: KvmVcpu, reg: string, value: bigint): GuestCallExit {
  const exit = `SYS64(${reg})`;
  if (reg === 'ICC_SGI1R_EL1') v.raiseIrq(Number((value >> 24n) & 0xfn), 'other', false);
  else if (reg !== 'ICC_ASGI1R_EL1' && reg !== 'ICC_SGI0R_EL1') return { result: { kind: 'fault', vector: 'UNDEF' }, exit, kind: 'trap' };
  return { result: { kind: 'ok', regs: [] }, exit, kind: 'trap' };
}
