import type { GuestCallResult, KvmVcpu } from '../../core/backend.js';
import { ARM_SMCCC_VENDOR_HYP_KVM_ASYNC_PF_FUNC_ID, ASYNC_PF_ENABLE, SDEI_PE_MASK, SDEI_PE_UNMASK, SMCCC_RET_SUCCESS } from './constants.js';
import { v4Enable } from './guest.js';

/**
 * CPU hotplug of the guests on v4's ABI (a scenario `offline` / `online` event,
 * core/sim/cpu-hotplug.ts). v4's arch/arm64/kernel/kvm.c registers kvm_async_pf_cpu_offline() and
 * kvm_async_pf_cpu_online() as a CPUHP_AP_ONLINE_DYN state: down is disable_percpu_irq() and
 * kvm_async_pf_disable() (ENABLE with 0, which drops the host's queue: arches/arm64/smccc.ts
 * enable()), and nothing wakes the tasks asleep in this CPU's table: only this CPU's page-ready
 * PPI does, so they sleep until the CPU comes back and its enable queues a wake-all (gwshan/linux,
 * v4 series, kvm_async_pf_cpu_disable()/kvm_async_pf_cpu_enable()). The SDEI driver's own hotplug
 * state masks and unmasks the PE (drivers/firmware/arm_sdei.c sdei_cpuhp_down()/_up()); torn down
 * after the later-registered kvm state, brought up before it. PSCI CPU_ON's vCPU reset
 * (kvm_reset_vcpu()) touches no async-PF state (Backend.vcpuReset() does nothing here).
 */
type V = KvmVcpu<{ guest: { readonly apfDataGpa: bigint; enabled: boolean; readonly hotplugCallbacks: boolean } }>;

const hvc = (v: V, fn: number, ...args: bigint[]): GuestCallResult => v.guest.call({ kind: 'hvc', fn, args });
const ok = (r: GuestCallResult): boolean => r.kind === 'ok' && r.regs[0] === SMCCC_RET_SUCCESS;

/** kvm_async_pf_cpu_offline(), then the SDEI driver's PE mask where the design uses SDEI. */
export function v4GuestCpuOffline(v: V, sdei: boolean): void {
  const g = v.state.guest;
  // The callbacks exist only where the boot-time init got that far.
  if (!g.hotplugCallbacks) return;
  if (g.enabled && ok(hvc(v, ARM_SMCCC_VENDOR_HYP_KVM_ASYNC_PF_FUNC_ID, BigInt(ASYNC_PF_ENABLE), 0n, 0n))) g.enabled = false;
  if (sdei) hvc(v, SDEI_PE_MASK);
}

/** The SDEI PE unmask where the design uses SDEI, then kvm_async_pf_cpu_online(): enable again at this CPU's own `apf_data`. */
export function v4GuestCpuOnline(v: V, sdei: boolean): void {
  const g = v.state.guest;
  if (!g.hotplugCallbacks) return;
  if (sdei) hvc(v, SDEI_PE_UNMASK);
  g.enabled = v4Enable(v, g.apfDataGpa);
}
