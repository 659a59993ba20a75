import type { KvmVcpu } from '../../../core/backend.js';
import {
  KVM_ASYNC_PF_ENABLED,
  KVM_ASYNC_PF_SEND_ALWAYS,
  KVM_PV_REASON_PAGE_NOT_PRESENT,
  KVM_PV_REASON_PAGE_READY,
  MSR_KVM_ASYNC_PF_EN,
} from '../constants.js';
import { PF2010_ENABLED, PF2010_REASON, type Pf2010VcpuState } from './state.js';

/**
 * The 2010 Linux guest (631bc4878220, fc5f06fac6fb; arch/x86/kernel/kvm.c as of 2.6.38): one
 * EN write per CPU, and do_async_page_fault() handling both reasons on the #PF vector.
 */
type V = KvmVcpu<Pf2010VcpuState>;

/**
 * kvm_guest_cpu_init(): only with KVM_FEATURE_ASYNC_PF; `pa | KVM_ASYNC_PF_ENABLED`, plus SEND_ALWAYS under CONFIG_PREEMPT once
 * fc5f06fac6fb is in; then `apf_reason.enabled = 1`. No INT and no ACK MSR exist yet.
 */
export function pf2010GuestCpuInit(vcpu: V): void {
  const s = vcpu.state;
  if (!s.featureAsyncPf) return; // kvm_para_has_feature(KVM_FEATURE_ASYNC_PF) && kvmapf
  let pa = s.guest.apfReasonGpa | KVM_ASYNC_PF_ENABLED;
  if (s.sendAlwaysSeries) pa |= KVM_ASYNC_PF_SEND_ALWAYS;
  vcpu.guest.call({ kind: 'wrmsr', index: MSR_KVM_ASYNC_PF_EN, value: pa });
  // wrmsrl(), not the _safe form: enabled is set whatever the host answered.
  s.memory.write32(s.guest.apfReasonGpa + PF2010_ENABLED, 1);
}

/**
 * do_async_page_fault(): kvm_read_and_reset_pf_reason() (read `reason`, write 0, only while
 * `enabled`), then CR2 as the token: 1 → kvm_async_pf_task_wait(), 2 → kvm_async_pf_task_wake(),
 * anything else → an ordinary do_page_fault(), which the lab does not model.
 */
export function pf2010AsyncPageFault(vcpu: V, cfg: { pfHandlerNs: number }): void {
  const s = vcpu.state;
  vcpu.guest.charge(cfg.pfHandlerNs);
  const reason = kvmReadAndResetPfReason(s);
  const token = s.cr2 >>> 0;
  if (reason === KVM_PV_REASON_PAGE_NOT_PRESENT) return taskWait(vcpu, token);
  if (reason === KVM_PV_REASON_PAGE_READY) return vcpu.guest.asyncPfTaskWake(token);
  s.guest.ordinaryPf++;
}

/**
 * kvm_async_pf_task_wait(): `n.halted = idle || preempt_count() > 1` — a not-present taken where the
 * task may not sleep (the idle task, or preemption off: possible only with SEND_ALWAYS) halts the
 * vCPU in the guest's own loop (native_safe_halt()) until the token is woken; otherwise the task
 * sleeps and another runs. The 2010 wake unhashes a halted entry and sends a reschedule IPI to its
 * CPU (apf_task_wake_one()), with no delay (WakeSemantics.delayedWake false).
 */
function taskWait(vcpu: V, token: number): void {
  const c = vcpu.cpu;
  if (c.pcRegion === 'idle' || (c.privilege === 'kernel' && c.preemptDisabled)) return vcpu.guest.asyncPfTaskWaitHalt(token);
  vcpu.guest.asyncPfTaskWaitSchedule(token);
}

/**
 * kvm_read_and_reset_pf_reason() (2.6.38): only while this CPU's `apf_reason.enabled` is set,
 * read its own `apf_reason.reason` and write 0 there, wherever the host's last enable pointed.
 */
function kvmReadAndResetPfReason(s: Pf2010VcpuState): number {
  const own = s.guest.apfReasonGpa;
  if (s.memory.read32(own + PF2010_ENABLED) === 0) return 0;
  const reason = s.memory.read32(own + PF2010_REASON);
  s.memory.write32(own + PF2010_REASON, 0);
  return reason;
}
