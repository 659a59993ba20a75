import type { GuestCallResult, KvmVcpu } from '../../../core/backend.js';
import {
  KVM_PV_REASON_PAGE_NOT_PRESENT,
  SMCCC_RET_SUCCESS,
} from '../constants.js';
import { kvmAsyncPfIrqHandler, v4DiscoverPpi, v4Enable, type Arm64GuestConfig } from '../guest.js';
import { ARM_SMCCC_VENDOR_HYP_KVM_LAB_PV_VECTOR_FUNC_ID, PSR_MODE_EL0T, PSR_MODE_MASK } from './abi.js';
import type { PvvecVcpuState } from './state.js';

/**
 * The guest half of `arm64-pvvec` (PROTOCOLS.md §4.9), the lab's reading: v4's discovery and
 * page-ready handler (arches/arm64/guest.ts) with the PV vector registered in place of the SDEI
 * event, and the PV entry code. Hypothetical: no guest was ever written for it.
 */
type V = KvmVcpu<PvvecVcpuState>;

export interface PvvecGuestConfig {
  /** v4's control block (page-ready) and the PPI handler's price. */
  readonly v4: Arm64GuestConfig;
  readonly saveAreaGpa: bigint;
  /** The PV entry point: a kernel VA, opaque to the host, which only jumps to it. */
  readonly entry: bigint;
  /** The PV entry code: read the area, enter the task in the sleep table. */
  readonly handlerNs: number;
}

/** Where the lab's guest keeps its PV entry code (4-byte aligned; the host never reads it). */
export const PV_ENTRY_VA = 0xffff800010020000n;

const hvc = (v: V, fn: number, ...args: bigint[]): GuestCallResult => v.guest.call({ kind: 'hvc', fn, args });
const x = (r: GuestCallResult, i: number): bigint => (r.kind === 'ok' ? (r.regs[i] ?? 0n) : -1n);

/**
 * Discovery and enable: FEATURES, VERSION, SLOTS, IRQ and the PPI handler as v4, then the PV vector
 * (entry and save area), then ENABLE with the control block. Any refusal leaves async PF off.
 */
export function pvvecGuestInit(v: V, cfg: PvvecGuestConfig): void {
  const g = v.state.guest;
  const found = v4DiscoverPpi(v, () => kvmAsyncPfIrqHandler(v, cfg.v4), true);
  if (found === null) return;
  g.slots = found.slots;
  g.ppi = found.ppi;
  if (x(hvc(v, ARM_SMCCC_VENDOR_HYP_KVM_LAB_PV_VECTOR_FUNC_ID, cfg.entry, cfg.saveAreaGpa), 0) !== SMCCC_RET_SUCCESS) return;
  g.hotplugCallbacks = true;
  g.enabled = v4Enable(v, g.apfDataGpa);
}

/**
 * The PV entry code. It holds the mask while it copies token and interrupted context out of the
 * area and frees it, then drops the mask and, for a fault from EL0, sleeps the task on the token
 * (kvm_async_pf_task_wait_schedule(), as x86's #PF handler does): the mask is dropped before
 * schedule(), not after, or the vector would stay masked for the whole sleep. A bogus reason, or an
 * entry from EL1 (which the host never sends), is counted and returns to re-execute.
 */
export function pvEntry(v: V, handlerNs: number): void {
  const { area, guest } = v.state.pv;
  v.guest.charge(handlerNs);
  guest.entries++;
  area.mask = 1;
  const { reason, token, pstate } = area;
  area.reason = 0;
  area.token = 0;
  area.pc = null;
  area.mask = 0;
  if (reason !== KVM_PV_REASON_PAGE_NOT_PRESENT || (pstate & PSR_MODE_MASK) !== PSR_MODE_EL0T) {
    guest.warnings++;
    return;
  }
  v.guest.asyncPfTaskWaitSchedule(token);
}
