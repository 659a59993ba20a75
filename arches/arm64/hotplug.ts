import type { GuestCallResult, KvmVcpu } from '../../core/backend.js';
import type { BackendFragment } from '../spec.js';
import { ARM_SMCCC_VENDOR_HYP_KVM_ASYNC_PF_FUNC_ID, ASYNC_PF_ENABLE, SDEI_EVENT_UNREGISTER, SDEI_PE_MASK, SDEI_PE_UNMASK, SMCCC_RET_SUCCESS } from './constants.js';
import { sdeiRegisterAndEnable, v4Enable } from './guest.js';

/**
 * CPU hotplug of the guests on v4's ABI (a scenario `offline` / `online` event,
 * core/sim/cpu-hotplug.ts). v4's arch/arm64/kernel/kvm.c registers kvm_async_pf_cpu_offline() and
 * kvm_async_pf_cpu_online() as a CPUHP_AP_ONLINE_DYN state (gwshan/linux, v4 series,
 * kvm_async_pf_cpu_disable()/kvm_async_pf_cpu_enable()):
 * - down is disable_percpu_irq() of the page-ready PPI — a redistributor write, which traps with a
 *   vGICv3: the stretch where the host may still send a page-ready, interrupts on — then
 *   kvm_async_pf_disable() (ENABLE with 0, which drops the host's queue but leaves an unacked
 *   page-ready pending: arches/arm64/smccc.ts enable()). A page-ready sent in that stretch stays
 *   pending on the disabled line; nothing wakes the tasks asleep in this CPU's table, so they sleep
 *   until the CPU comes back;
 * - up is enable_percpu_irq() — the pending page-ready, if any, is taken, its sleeper woken and
 *   acknowledged — then the enable, whose wake-all empties the table.
 * The SDEI driver's own hotplug state unregisters the CPU's private events and masks the PE on the
 * way down, and registers, enables and unmasks them again on the way up (drivers/firmware/arm_sdei.c
 * sdei_cpuhp_down()/_up()); torn down after the later-registered kvm state, brought up before it.
 * PSCI CPU_ON's vCPU reset (kvm_reset_vcpu()) touches no async-PF or vGIC line state
 * (Backend.vcpuReset() does nothing here). The redistributor write's exit is priced as a
 * hypercall round trip (an assumption: an MMIO emulation exit, I/O kernel, is dearer).
 */
type V = KvmVcpu<{ guest: { readonly apfDataGpa: bigint; enabled: boolean; readonly hotplugCallbacks: boolean; readonly ppi: number; readonly sdeiNum: number } }>;

const hvc = (v: V, fn: number, ...args: bigint[]): GuestCallResult => v.guest.call({ kind: 'hvc', fn, args });
const ok = (r: GuestCallResult): boolean => r.kind === 'ok' && r.regs[0] === SMCCC_RET_SUCCESS;

/** The hotplug part of a v4-based design's backend: `sdei` where the design uses the SDEI event. */
export function v4HotplugFragment(sdei: boolean): BackendFragment {
  return {
    guestCpuDownPrepare: (v: V) => v4GuestCpuDownPrepare(v),
    guestCpuOffline: (v: V) => v4GuestCpuOffline(v, sdei),
    guestCpuOnline: (v: V) => v4GuestCpuOnline(v, sdei),
    caps: { offlineWindow: { exits: 1, irqsMasked: false } },
  };
}

/** disable_percpu_irq() of the page-ready PPI, as the vGIC sees the redistributor write (its exit is caps.offlineWindow). */
export function v4GuestCpuDownPrepare(v: V): void {
  if (v.state.guest.hotplugCallbacks) v.setIrqEnabled(v.state.guest.ppi, false);
}

/** kvm_async_pf_disable(), then the SDEI driver's CPU-down callback where the design uses SDEI. */
export function v4GuestCpuOffline(v: V, sdei: boolean): void {
  const g = v.state.guest;
  // The callbacks exist only where the boot-time init got that far.
  if (!g.hotplugCallbacks) return;
  if (g.enabled && ok(hvc(v, ARM_SMCCC_VENDOR_HYP_KVM_ASYNC_PF_FUNC_ID, BigInt(ASYNC_PF_ENABLE), 0n, 0n))) g.enabled = false;
  if (!sdei) return;
  hvc(v, SDEI_EVENT_UNREGISTER, BigInt(g.sdeiNum));
  hvc(v, SDEI_PE_MASK);
}

/**
 * The SDEI driver's CPU-up callback where the design uses SDEI (the event registered and enabled
 * again, the PE unmasked), then kvm_async_pf_cpu_online(): enable_percpu_irq()
 * (a page-ready left pending is taken at the next entry) and the enable at this CPU's own `apf_data`.
 */
export function v4GuestCpuOnline(v: V, sdei: boolean): void {
  const g = v.state.guest;
  if (!g.hotplugCallbacks) return;
  if (sdei) {
    sdeiRegisterAndEnable(v, g.sdeiNum);
    hvc(v, SDEI_PE_UNMASK);
  }
  v.setIrqEnabled(g.ppi, true);
  g.enabled = v4Enable(v, g.apfDataGpa);
}
