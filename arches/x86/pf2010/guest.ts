import type { KvmVcpu } from '../../../core/backend.js';
import {
  KVM_ASYNC_PF_ENABLED,
  KVM_ASYNC_PF_SEND_ALWAYS,
  KVM_PV_REASON_PAGE_NOT_PRESENT,
  KVM_PV_REASON_PAGE_READY,
  MSR_KVM_ASYNC_PF_EN,
} from '../constants.js';
import type { Pf2010VcpuState } from './state.js';

/**
 * The 2010 Linux guest (631bc4878220, fc5f06fac6fb; arch/x86/kernel/kvm.c as of 2.6.38): one
 * EN write per CPU, and do_async_page_fault() handling both reasons on the #PF vector.
 */
type V = KvmVcpu<Pf2010VcpuState>;

export interface Pf2010GuestConfig {
  readonly areaGpa: bigint;
  readonly pfHandlerNs: number;
}

/**
 * kvm_guest_cpu_init(): only with KVM_FEATURE_ASYNC_PF; `pa | KVM_ASYNC_PF_ENABLED`, plus SEND_ALWAYS under CONFIG_PREEMPT once
 * fc5f06fac6fb is in; then `apf_reason.enabled = 1`. No INT and no ACK MSR exist yet.
 */
export function pf2010GuestCpuInit(vcpu: V, cfg: Pf2010GuestConfig): void {
  if (!vcpu.state.featureAsyncPf) return; // kvm_para_has_feature(KVM_FEATURE_ASYNC_PF) && kvmapf
  let pa = cfg.areaGpa | KVM_ASYNC_PF_ENABLED;
  if (vcpu.state.sendAlwaysSeries) pa |= KVM_ASYNC_PF_SEND_ALWAYS;
  vcpu.guest.call({ kind: 'wrmsr', index: MSR_KVM_ASYNC_PF_EN, value: pa });
  // wrmsrl(), not the _safe form: enabled is set whatever the host answered.
  vcpu.state.area.enabled = 1;
}

/**
 * do_async_page_fault(): kvm_read_and_reset_pf_reason() (read `reason`, write 0, only while
 * `enabled`), then CR2 as the token: 1 → kvm_async_pf_task_wait(), 2 → kvm_async_pf_task_wake(),
 * anything else → an ordinary do_page_fault(), which the lab does not model.
 */
export function pf2010AsyncPageFault(vcpu: V, cfg: { pfHandlerNs: number }): void {
  const s = vcpu.state;
  vcpu.guest.charge(cfg.pfHandlerNs);
  const reason = s.area.enabled ? s.area.reason : 0;
  if (s.area.enabled) s.area.reason = 0;
  const token = s.cr2 >>> 0;
  if (reason === KVM_PV_REASON_PAGE_NOT_PRESENT) return taskWait(vcpu, token);
  if (reason === KVM_PV_REASON_PAGE_READY) return vcpu.guest.asyncPfTaskWake(token);
  s.guest.ordinaryPf++;
}

/**
 * kvm_async_pf_task_wait(): sleep unless `idle || preempt_count() > 1`, where the 2010 guest
 * halts the vCPU in its own HLT loop instead. That branch needs a kernel-mode not-present
 * (SEND_ALWAYS) in a non-preemptible context; no lab workload touches memory there (irqoff steps
 * fault synchronously, IPI waits touch nothing), so it is counted, not modelled: the task goes on,
 * faults again and the host halts it (a repeated fault).
 */
function taskWait(vcpu: V, token: number): void {
  const c = vcpu.cpu;
  if (c.privilege === 'kernel' && (c.preemptDisabled || c.pcRegion === 'idle')) {
    return vcpu.countEvent('kvm_async_pf_task_wait() halt branch (not modelled)');
  }
  vcpu.guest.asyncPfTaskWaitSchedule(token);
}
