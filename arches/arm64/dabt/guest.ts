import type { GuestCallResult, KvmVcpu } from '../../../core/backend.js';
import { ARM_SMCCC_VENDOR_HYP_KVM_FEATURES_FUNC_ID, KVM_ASYNC_PF_ENABLED, KVM_ASYNC_PF_SEND_ALWAYS, KVM_PV_REASON_PAGE_NOT_PRESENT, KVM_PV_REASON_PAGE_READY, SMCCC_RET_SUCCESS } from '../constants.js';
import { ARM64_MAX_HANDLER_OFFSET } from '../code-layout.js';
import { APF_OP_ENABLE, APF_OP_RANGE, ARM_SMCCC_KVM_FUNC_APF_RFCV2, ARM_SMCCC_VENDOR_HYP_KVM_APF_FUNC_ID, SYS_ASYNC_PF_EL1 } from './constants.js';
import { guestClearReason, guestReason } from '../control-block.js';
import type { DabtVcpuState } from './state.js';

/**
 * The Linux guest of the data-abort designs: RFCv2 9/9 (seed 003: kvm_async_pf_enable(),
 * do_async_pf(), kvm_async_pf_wait(), kvm_async_pf_wake()) and RFCv1 7/7 (do_lockdown(),
 * kvm_pv_async_pf_enable(); 20200410085820.758686-8-gshan@redhat.com).
 */
type V = KvmVcpu<DabtVcpuState>;

export interface DabtGuestConfig {
  /** do_mem_abort() → do_async_pf(): read the reason, hash the sleeper or wake it. */
  readonly handlerNs: number;
}

const x0 = (r: GuestCallResult): bigint => (r.kind === 'ok' ? (r.regs[0] ?? 0n) : -1n);

function apfCall(vcpu: V, val: bigint): bigint {
  return x0(vcpu.guest.call({ kind: 'hvc', fn: ARM_SMCCC_VENDOR_HYP_KVM_APF_FUNC_ID, args: [val & 0xffffffffn, val >> 32n] }));
}

/**
 * RFCv2 kvm_async_pf_enable(): the feature bit, then BIT(62) | (the largest of the 16
 * `__exception_handlers_offset` entries + 4096, "the assumped maximal length for individual
 * handler"), then BIT(63) | PA | ENABLED with `enabled` set first and cleared if refused.
 * SEND_ALWAYS is a FIXME in the posting; the `rfcSendAlways` knob sets it.
 */
export function rfcv2GuestInit(vcpu: V): void {
  const g = vcpu.state.guest;
  const features = x0(vcpu.guest.call({ kind: 'hvc', fn: ARM_SMCCC_VENDOR_HYP_KVM_FEATURES_FUNC_ID, args: [] }));
  if (((features >> BigInt(ARM_SMCCC_KVM_FUNC_APF_RFCV2)) & 1n) === 0n) return;
  g.range = BigInt(ARM64_MAX_HANDLER_OFFSET) + 4096n;
  rfcv2Enable(vcpu);
}

/** RFCv2 kvm_async_pf_enable(true), at boot and at every CPU-up: the range, then the enable. */
function rfcv2Enable(vcpu: V): void {
  const g = vcpu.state.guest;
  if (apfCall(vcpu, APF_OP_RANGE | g.range) !== SMCCC_RET_SUCCESS) return;
  g.enabled = true;
  const flags = KVM_ASYNC_PF_ENABLED | (g.sendAlways ? KVM_ASYNC_PF_SEND_ALWAYS : 0n);
  if (apfCall(vcpu, APF_OP_ENABLE | g.apfDataGpa | flags) !== SMCCC_RET_SUCCESS) g.enabled = false;
}

/**
 * RFCv1 kvm_pv_async_pf_enable(): the DT `para-features` say the feature exists (the `apfCapability`
 * knob stands for the VMM's DT node); `enabled = 1`, then write the IMPDEF register. A host without
 * it makes the write UNDEF.
 */
export function rfcv1GuestInit(vcpu: V): void {
  const g = vcpu.state.guest;
  if (!vcpu.state.offered) return;
  g.enabled = true;
  const flags = KVM_ASYNC_PF_ENABLED | (g.sendAlways ? KVM_ASYNC_PF_SEND_ALWAYS : 0n);
  const r = vcpu.guest.call({ kind: 'sysreg', reg: SYS_ASYNC_PF_EL1, value: g.apfDataGpa | flags });
  if (r.kind === 'fault') g.enabled = false;
}

/**
 * CPU hotplug (a scenario `offline` / `online` event, core/sim/cpu-hotplug.ts). RFCv2's
 * kvm_async_pf_cpu_offline() is kvm_async_pf_enable(false): BIT(63) with no ENABLED bit, then
 * `enabled = 0`; nothing wakes the tasks hashed on this CPU (seed 003, 2355ff). Its
 * kvm_async_pf_cpu_online() re-inits the bucket lock (the list stays) and calls
 * kvm_async_pf_enable(true), the same function as at boot: BIT(62) | range first (a refusal
 * leaves it disabled), then `enabled = 1` and BIT(63) | PA | ENABLED — two calls, two exits.
 * Only the FEATURES probe is boot-only (kvm_async_pf_cpu_init()).
 */
export function rfcv2GuestCpuOffline(vcpu: V): void {
  const g = vcpu.state.guest;
  if (g.enabled && apfCall(vcpu, APF_OP_ENABLE) === SMCCC_RET_SUCCESS) g.enabled = false;
}

export function rfcv2GuestCpuOnline(vcpu: V): void {
  const g = vcpu.state.guest;
  if (g.range === 0n || g.enabled) return; // no callbacks registered (no FEATURES bit); `enable == enabled`
  rfcv2Enable(vcpu);
}

/**
 * RFCv1's hotplug (RFCv1 7/7, 20200410085820.758686-8-gshan@redhat.com, arch/arm64/kernel/smp.c):
 * kvm_cpu_offline() → kvm_pv_async_pf_disable() writes 0 to the register and clears `enabled`,
 * waking nothing; kvm_cpu_online() → kvm_pv_async_pf_enable(), as at boot.
 */
export function rfcv1GuestCpuOffline(vcpu: V): void {
  const g = vcpu.state.guest;
  if (!g.enabled) return;
  if (vcpu.guest.call({ kind: 'sysreg', reg: SYS_ASYNC_PF_EL1, value: 0n }).kind !== 'fault') g.enabled = false;
}

export function rfcv1GuestCpuOnline(vcpu: V): void {
  if (vcpu.state.offered) rfcv1GuestInit(vcpu);
}

/**
 * do_async_pf() / do_lockdown(), taken on the injected abort: with `enabled` and a reason set,
 * FAR is the token; 1 waits, 2 wakes; the reason word is cleared (RFCv1 first thing, RFCv2 when
 * it unlocks: either way inside this handler). Anything else goes to the ordinary fault handler,
 * which the lab does not model (counted). The reason word is this CPU's own `apf_data.reason`
 * (seed 003 do_async_pf(): `__this_cpu_read(apf_data.reason)`), wherever the host writes its own.
 */
export function doAsyncPf(vcpu: V, cfg: DabtGuestConfig, onWake?: () => void): void {
  const s = vcpu.state;
  vcpu.guest.charge(cfg.handlerNs);
  const reason = s.guest.enabled ? guestReason(s) : 0;
  const token = s.regs.far >>> 0;
  if (reason !== 0) guestClearReason(s); // only a guest with APF enabled reads (and clears) it
  if (reason === KVM_PV_REASON_PAGE_NOT_PRESENT) return asyncPfWait(vcpu, token);
  if (reason === KVM_PV_REASON_PAGE_READY) {
    onWake?.();
    return vcpu.guest.asyncPfTaskWake(token);
  }
  s.guest.unknownReason++;
  vcpu.countEvent('abort not for APF (ordinary fault path, not modelled)');
}

/**
 * kvm_async_pf_wait(): `halted = is_idle_task(current) || in_kernel` (the branch for a kernel
 * built without PREEMPT_COUNT, as distribution kernels with voluntary preemption are; with it,
 * `preempt_count() > 1`). Halted, the task stays on the CPU in a `dsb(sy); wfi()` loop until its
 * entry is unhashed; otherwise it sleeps and the CPU schedules another task. A kernel-mode
 * not-present exists only with SEND_ALWAYS.
 */
function asyncPfWait(vcpu: V, token: number): void {
  const c = vcpu.cpu;
  if (c.pcRegion === 'idle' || c.privilege === 'kernel') return vcpu.guest.asyncPfTaskWaitHalt(token);
  vcpu.guest.asyncPfTaskWaitSchedule(token);
}
