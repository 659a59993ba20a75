import type { GuestCallResult, KvmVcpu } from '../../../core/backend.js';
import {
  ARM_SMCCC_VENDOR_HYP_KVM_ASYNC_PF_FUNC_ID,
  ASYNC_PF_IRQ_ACK,
  KVM_PV_REASON_PAGE_NOT_PRESENT,
  KVM_PV_REASON_PAGE_READY,
} from '../constants.js';
import { guestClearBlock, guestReason, guestToken } from '../control-block.js';
import { v4DiscoverPpi, v4Enable } from '../guest.js';
import type { Arm64VcpuState } from '../state.js';

/**
 * The guest half of the IRQ design (James Morse's RFC, 2020-10-23, facts/arm64.md §2;
 * PROTOCOLS.md §4.8): one PPI carries both signals and the reason in the control block tells
 * them apart. Not-present flags the task, which sleeps at the IRQ's return to user — "you really
 * don't need an NMI"; page-ready wakes it and acknowledges. No SDEI. Hypothetical: only the host
 * vGIC helper was posted, so the guest side is the v4 guest with the SDEI handler's work moved
 * into the IRQ handler.
 */
type V = KvmVcpu<Arm64VcpuState>;

export interface IrqGuestConfig {
  readonly irqHandlerNs: number;
}

const hvc = (v: V, fn: number, ...args: bigint[]): GuestCallResult => v.guest.call({ kind: 'hvc', fn, args });

/** Discovery and enable, as v4's kvm_async_pf_init() without the SDEI event. */
export function irqGuestInit(v: V, cfg: IrqGuestConfig): void {
  const found = v4DiscoverPpi(v, () => irqHandler(v, cfg), false);
  if (found === null) return;
  v.state.guest.ppi = found.ppi;
  v.state.guest.hotplugCallbacks = true;
  v.state.guest.enabled = v4Enable(v, v.state.guest.apfDataGpa);
}

/** The PPI handler: reason 1 flags the current task; reason 2 wakes by token and sends IRQ_ACK. */
export function irqHandler(v: V, cfg: IrqGuestConfig): void {
  const s = v.state;
  v.guest.charge(cfg.irqHandlerNs);
  // Its own per-CPU apf_data, as v4's kvm_async_pf_irq_handler() reads it.
  const reason = guestReason(s);
  const token = guestToken(s);
  if (reason === KVM_PV_REASON_PAGE_NOT_PRESENT) {
    v.guest.flagAsyncPfAtReturnToUser(token);
  } else if (reason === KVM_PV_REASON_PAGE_READY) {
    v.guest.asyncPfTaskWake(token);
  } else {
    s.guest.warnings++;
    return;
  }
  guestClearBlock(s);
  if (reason === KVM_PV_REASON_PAGE_READY) hvc(v, ARM_SMCCC_VENDOR_HYP_KVM_ASYNC_PF_FUNC_ID, BigInt(ASYNC_PF_IRQ_ACK));
}
