import type { GuestCallResult, KvmVcpu } from '../../core/backend.js';
import {
  ARM_SMCCC_KVM_FUNC_ASYNC_PF,
  ARM_SMCCC_VENDOR_HYP_KVM_ASYNC_PF_FUNC_ID,
  ARM_SMCCC_VENDOR_HYP_KVM_FEATURES_FUNC_ID,
  ASYNC_PF_ENABLE,
  ASYNC_PF_IRQ,
  ASYNC_PF_IRQ_ACK,
  ASYNC_PF_SDEI,
  ASYNC_PF_SLOTS,
  ASYNC_PF_VERSION,
  KVM_ASYNC_PF_ENABLED,
  KVM_PV_REASON_PAGE_NOT_PRESENT,
  KVM_PV_REASON_PAGE_READY,
  SDEI_EVENT_COMPLETE,
  SDEI_EVENT_COMPLETE_AND_RESUME,
  SDEI_EVENT_ENABLE,
  SDEI_EVENT_REGISTER,
  SDEI_PE_UNMASK,
  SGI_RESCHEDULE,
  SMCCC_RET_SUCCESS,
  VECTOR_IRQ_EL0_64,
  VECTOR_IRQ_EL1H,
} from './constants.js';
import { guestClearBlock, guestReason, guestToken } from './control-block.js';
import type { InterruptedContext } from './sdei.js';
import type { Arm64VcpuState } from './state.js';

/**
 * The Linux guest's half of the SDEI design (gwshan/linux arch/arm64/kernel/kvm.c, v4 13–14/15;
 * facts/arm64.md §1 v2–v4): discovery and enable, the SDEI handler that flags the task, and
 * the PPI handler that wakes it and acknowledges. Each CPU enables with its own per-CPU
 * `apf_data` (`guest.apfDataGpa`) and its handlers read and clear that block only
 * (arches/arm64/control-block.ts).
 */
type V = KvmVcpu<Arm64VcpuState>;

export interface Arm64GuestConfig {
  readonly sdeiHandlerNs: number;
  readonly irqHandlerNs: number;
}

const SDEI_HANDLER_ENTRY = 0xffff800010000000n; // where the guest's handler lives: opaque to the host
/** The guest's VBAR_EL1 (2 KiB aligned): opaque to the host, which only jumps to what it is given. */
const SDEI_GUEST_VBAR = 0xffff800010010800n;

function hvc(vcpu: V, fn: number, ...args: bigint[]): GuestCallResult {
  return vcpu.guest.call({ kind: 'hvc', fn, args });
}
const a = (r: GuestCallResult, i: number): bigint => (r.kind === 'ok' ? r.regs[i] ?? 0n : -1n);

/** kvm_async_pf_init() and the per-CPU enable, in v4's order; any refusal leaves APF off. */
export function kvmAsyncPfInit(vcpu: V, cfg: Arm64GuestConfig): void {
  const g = vcpu.state.guest;
  const F = ARM_SMCCC_VENDOR_HYP_KVM_ASYNC_PF_FUNC_ID;
  if (((a(hvc(vcpu, ARM_SMCCC_VENDOR_HYP_KVM_FEATURES_FUNC_ID), 0) >> BigInt(ARM_SMCCC_KVM_FUNC_ASYNC_PF)) & 1n) === 0n) return;
  const ver = hvc(vcpu, F, BigInt(ASYNC_PF_VERSION));
  if (a(ver, 0) !== SMCCC_RET_SUCCESS || a(ver, 1) >> 24n !== 0n || ((a(ver, 1) >> 16n) & 0xffn) < 1n) return;
  g.slots = Number(a(hvc(vcpu, F, BigInt(ASYNC_PF_SLOTS)), 1));
  g.sdeiNum = Number(a(hvc(vcpu, F, BigInt(ASYNC_PF_SDEI)), 1));
  g.ppi = Number(a(hvc(vcpu, F, BigInt(ASYNC_PF_IRQ)), 1));
  if (!sdeiRegisterAndEnable(vcpu, g.sdeiNum)) return;
  vcpu.guest.requestIrq(g.ppi, () => kvmAsyncPfIrqHandler(vcpu, cfg));
  vcpu.guest.requestIrq(SGI_RESCHEDULE, () => vcpu.guest.charge(cfg.irqHandlerNs));
  // The generic SDEI driver unmasks each CPU as it comes online (sdei_cpuhp_up()).
  hvc(vcpu, SDEI_PE_UNMASK);
  g.hotplugCallbacks = true;
  g.enabled = v4Enable(vcpu, g.apfDataGpa);
}

/**
 * sdei_event_register() and sdei_event_enable() of the async-PF event on this CPU (a private
 * event): at init, and again by the SDEI driver's CPU-up callback (sdei_cpuhp_up() re-registers
 * and re-enables the private events it unregistered on the way down). False if the host refused.
 */
export function sdeiRegisterAndEnable(vcpu: KvmVcpu<unknown>, num: number): boolean {
  if (a(hvc(vcpu as V, SDEI_EVENT_REGISTER, BigInt(num), SDEI_HANDLER_ENTRY, 0n), 0) !== 0n) return false;
  return a(hvc(vcpu as V, SDEI_EVENT_ENABLE, BigInt(num)), 0) === 0n;
}

/**
 * v4's discovery for a design without SDEI (arm64-irq, arm64-s2, arm64-pvvec): the FEATURES bit,
 * VERSION, optionally SLOTS, and IRQ, whose PPI gets `handler`. Null if the host refuses.
 */
export function v4DiscoverPpi(vcpu: KvmVcpu<unknown>, handler: () => void, withSlots: boolean): { slots: number; ppi: number } | null {
  const F = ARM_SMCCC_VENDOR_HYP_KVM_ASYNC_PF_FUNC_ID;
  if (((a(hvc(vcpu as V, ARM_SMCCC_VENDOR_HYP_KVM_FEATURES_FUNC_ID), 0) >> BigInt(ARM_SMCCC_KVM_FUNC_ASYNC_PF)) & 1n) === 0n) return null;
  if (a(hvc(vcpu as V, F, BigInt(ASYNC_PF_VERSION)), 0) !== SMCCC_RET_SUCCESS) return null;
  const slots = withSlots ? Number(a(hvc(vcpu as V, F, BigInt(ASYNC_PF_SLOTS)), 1)) : 0;
  const ppi = Number(a(hvc(vcpu as V, F, BigInt(ASYNC_PF_IRQ)), 1));
  vcpu.guest.requestIrq(ppi, handler);
  return { slots, ppi };
}

/** v4's ENABLE with the control block at `areaGpa` (the 64-bit value split over x2 and x3): true on success. */
export function v4Enable(vcpu: KvmVcpu<unknown>, areaGpa: bigint): boolean {
  const pa = areaGpa | KVM_ASYNC_PF_ENABLED;
  return a(hvc(vcpu as V, ARM_SMCCC_VENDOR_HYP_KVM_ASYNC_PF_FUNC_ID, BigInt(ASYNC_PF_ENABLE), pa & 0xffffffffn, pa >> 32n), 0) === SMCCC_RET_SUCCESS;
}

/**
 * kvm_async_pf_sdei_handler() (v4 13/15): enter current in the table with TIF_ASYNC_PF, clear
 * token then reason, send itself a reschedule IPI. A bogus reason or a refused entry fails the
 * handler (no IPI). Linux's SDEI core then finishes the event (do_sdei_event()).
 */
export function kvmAsyncPfSdeiHandler(vcpu: V, cfg: Arm64GuestConfig, interrupted: InterruptedContext): void {
  const s = vcpu.state;
  vcpu.guest.charge(cfg.sdeiHandlerNs);
  let handled = false;
  if (guestReason(s) !== KVM_PV_REASON_PAGE_NOT_PRESENT) {
    s.guest.warnings++;
  } else {
    handled = vcpu.guest.flagAsyncPfAtReturnToUser(guestToken(s));
    guestClearBlock(s);
    // smp_send_reschedule(smp_processor_id()): an SGI, whose ICC_SGI1R_EL1 write traps.
    if (handled) vcpu.guest.call({ kind: 'sysreg', reg: 'ICC_SGI1R_EL1', value: BigInt(SGI_RESCHEDULE) << 24n });
  }
  sdeiFinish(vcpu, interrupted, handled);
}

/**
 * do_sdei_event() and the entry code after it (arch/arm64/kernel/sdei.c, facts/arm64.md §4): an
 * event that interrupted EL1 with IRQs masked, or whose handler failed, completes back to where
 * it was; any other completes and resumes at the IRQ vector of the interrupted level, so the task
 * meets its flag at that IRQ's return to user without waiting for a real interrupt.
 */
function sdeiFinish(vcpu: V, interrupted: InterruptedContext, handled: boolean): void {
  if (!handled || (interrupted.el === 1 && interrupted.irqsMasked)) {
    hvc(vcpu, SDEI_EVENT_COMPLETE);
    return;
  }
  const vector = SDEI_GUEST_VBAR + (interrupted.el === 0 ? VECTOR_IRQ_EL0_64 : VECTOR_IRQ_EL1H);
  hvc(vcpu, SDEI_EVENT_COMPLETE_AND_RESUME, vector);
}

/** The page-ready PPI handler: wake by token (UINT_MAX wakes all), clear token then reason, IRQ_ACK. */
export function kvmAsyncPfIrqHandler(vcpu: V, cfg: Arm64GuestConfig): void {
  const s = vcpu.state;
  vcpu.guest.charge(cfg.irqHandlerNs);
  if (guestReason(s) !== KVM_PV_REASON_PAGE_READY) {
    s.guest.warnings++;
    return; // no ACK: the level-high line stays up
  }
  vcpu.guest.asyncPfTaskWake(guestToken(s));
  guestClearBlock(s);
  hvc(vcpu, ARM_SMCCC_VENDOR_HYP_KVM_ASYNC_PF_FUNC_ID, BigInt(ASYNC_PF_IRQ_ACK));
}
