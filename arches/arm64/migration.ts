import type { KvmVcpu } from '../../core/backend.js';
import { KVM_ASYNC_PF_ENABLED } from './constants.js';
import { updateEnableReg } from './dabt/host.js';
import type { DabtVcpuState } from './dabt/state.js';
import { enable } from './smccc.js';
import type { Arm64VcpuState } from './state.js';

/**
 * Backend.vcpuMigrated() of the designs on v4's ABI (arm64-sdei, and the lab's arm64-irq,
 * arm64-s2, arm64-pvvec). notpresent_pending, its token and pageready_pending are in-kernel state
 * no ioctl carries. The VMM sets the SDEI event and the PPI again (KVM_ARM_ASYNC_PF_CMD_SET_SDEI,
 * _SET_IRQ: kept in `vmm`), then the control block (CMD_SET_CONTROL), whose enable queues a
 * wake-all (v4 09/15 and 10/15, 20210815005947.83699-10-gshan@redhat.com, -11-). Assumed: the
 * virtual SDEI state comes across too (v4 has no ioctl for it; the SDEI series' v3 had
 * KVM_SDEI_CMD_SET_VCPU_STATE), and a page-ready PPI pending in the vGIC comes across pending
 * (the VMM saves GICR_ISPENDR0) but no longer driven: the guest takes it once, and its IRQ_ACK
 * finds nothing pending on the destination.
 */
export function v4VcpuMigrated(vcpu: KvmVcpu<Arm64VcpuState>, guestMemoryBytes: number, needsSdei: boolean): void {
  const s = vcpu.state;
  if (s.pagereadyPending) {
    vcpu.lowerIrq(s.vmm.irq);
    vcpu.raiseIrq(s.vmm.irq, 'ready', false);
  }
  s.pagereadyPending = false;
  s.notpresentPending = false;
  s.notpresentToken = 0;
  // apf->id: kvm_arch_async_pf_create_vcpu() allocates vcpu->arch.apf zeroed at vCPU creation (v4
  // 08/15, 20210815005947.83699-9-gshan@redhat.com) and no ioctl of v4 10/15 (-11-) carries the
  // id, so the destination's `(id++ << 12) | vcpu_id` starts at 0 again (as x86's does). A token
  // may so be handed out again while a task still sleeps on the source's: v4's guest table is keyed
  // by task and keeps both (core/guest/sleep-table.ts), and the enable's wake-all wakes both.
  s.id = 0;
  const control = s.controlBlock;
  s.enabled = false;
  s.areaGpa = null;
  s.controlBlock = 0n;
  if (control & KVM_ASYNC_PF_ENABLED) enable(vcpu, control, guestMemoryBytes, needsSdei);
}

/**
 * Backend.vcpuMigrated() of RFCv1/RFCv2. The destination's vcpu->arch.apf starts as created:
 * disabled, with the default no-fault range. RFCv2 has no ioctl for it (RFCv2 7/9,
 * 20200508032919.52147-8-gshan@redhat.com): the guest's control block, in its memory, still says
 * enabled, and its kvm_async_pf_enable() returns early on that (seed 003), so no wake-all ever
 * comes, tasks asleep on a dropped work sleep on (invariant 7), and every later fault is
 * synchronous. RFCv1's register is restored (`guestMemoryBytes` given; dabt/mechanisms.ts
 * rfcEnable()): the write enables again and queues the wake-all.
 */
export function dabtVcpuMigrated(vcpu: KvmVcpu<DabtVcpuState>, defaultRange: bigint, guestMemoryBytes: number | null): void {
  const s = vcpu.state;
  const control = s.controlBlock;
  s.controlBlock = 0n;
  s.enabled = false;
  s.sendUserOnly = true;
  s.noFaultInstRange = defaultRange;
  s.areaGpa = null;
  if (guestMemoryBytes !== null && control & KVM_ASYNC_PF_ENABLED) updateEnableReg(vcpu, control, guestMemoryBytes);
}
