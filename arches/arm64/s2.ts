import type { GuestCallResult, KvmVcpu } from '../../core/backend.js';
import {
  SMCCC_OWNER_VENDOR_HYP,
  SMCCC_RET_INVALID_PARAMETER,
  SMCCC_RET_NOT_REQUIRED,
  SMCCC_RET_NOT_SUPPORTED,
  SMCCC_RET_SUCCESS,
  smcccCallVal,
} from './constants.js';
import { kvmAsyncPfIrqHandler, v4DiscoverPpi, v4Enable, type Arm64GuestConfig } from './guest.js';
import type { Arm64VmPlace } from './control-block.js';
import { createArm64State, type Arm64VcpuState } from './state.js';

/**
 * `arm64-s2`: Paolo Bonzini's "inject stage2 page faults into the guest even before the host
 * starts populates the page. The guest then invokes a hypercall … and inject the 'page ready'
 * event (interrupt)" (2020-05-28, 8ab64c6a-582b-691d-79ab-21cdc0455cd3@redhat.com; PROTOCOLS.md
 * §4.10). Hypothetical: "Exception caused by a S2 fault are always routed to EL2" (Marc Zyngier
 * 2020-05-29, 6965aaf641a23fab64fbe2ceeb790272@kernel.org; facts/arm64.md §2, §6), so the
 * routing, the syndrome and the fetch call below are the lab's, labelled as such. Enable and
 * page-ready (control block, PPI, IRQ_ACK) reuse Gavin Shan's v4 ABI (arches/arm64/smccc.ts).
 */

/**
 * Lab-defined, hypothetical: KVM vendor-hyp SMC64 fast call 0x40 (0xC6000040), x1 = IPA;
 * answers x0 = SUCCESS and x1 = token, or NOT_REQUIRED (re-execute). Mark Rutland: "for
 * prototyping you can just choose an arbitrary number in that range" (facts/arm64.md §2, §3).
 */
export const ARM_SMCCC_KVM_FUNC_LAB_S2_FETCH = 0x40;
export const ARM_SMCCC_VENDOR_HYP_KVM_LAB_S2_FETCH_FUNC_ID = smcccCallVal(true, true, SMCCC_OWNER_VENDOR_HYP, ARM_SMCCC_KVM_FUNC_LAB_S2_FETCH);

/** ESR_ELx: EC DABT_LOW (0x24) at bit 26, IL (bit 25), DFSC translation fault level 3 (0x07) (facts/arm64.md §6). */
export const ESR_ELX_EC_DABT_LOW = 0x24;
export const ESR_S2_ABORT = ((ESR_ELX_EC_DABT_LOW << 26) | (1 << 25) | 0x07) >>> 0;

/**
 * The reflected abort as the guest sees it. No architecture defines it: the IPA would need an
 * EL1 view of HPFAR_EL2, and the syndrome an Arm-approved way to say "stage 2" (Paolo
 * 2020-05-29, d0bfb944-b50a-608a-7dcc-5a409cdc4524@redhat.com) — the lab carries both here.
 */
export interface ReflectedAbort {
  readonly esr: number;
  readonly ipa: bigint;
}

export type Arm64S2VcpuState = Arm64VcpuState & {
  readonly s2: { abort: ReflectedAbort | null; readonly guest: { abortsTaken: number; fetchRefused: number } };
};

export function createArm64S2State(vcpuId: number, knobs: Readonly<Record<string, number>>, place: Arm64VmPlace): Arm64S2VcpuState {
  return { ...createArm64State(vcpuId, knobs, place), s2: { abort: null, guest: { abortsTaken: 0, fetchRefused: 0 } } };
}

type V = KvmVcpu<Arm64S2VcpuState>;
const ret = (...regs: bigint[]): GuestCallResult => ({ kind: 'ok', regs });
const x = (r: GuestCallResult, i: number): bigint => (r.kind === 'ok' ? (r.regs[i] ?? 0n) : -1n);

/**
 * Whether the (hypothetical) hardware reflects this stage-2 fault to the guest. Design choice:
 * from EL0 only, once the guest enabled async PF (a guest that never enabled it would not know
 * the abort). An exception from EL0 never lands in non-reentrant EL1 entry code (the objection
 * to RFCv2's DABT, Mark Rutland 2020-05-26, facts/arm64.md §2) and the handler may sleep the
 * task; an EL1 fault exits and follows arm64-sdei's flow (synchronous in kernel mode, PROTOCOLS.md §4.7).
 */
export function s2Routed(vcpu: V): boolean {
  if (!vcpu.state.enabled) return false;
  if (vcpu.cpu.privilege !== 'user' || vcpu.cpu.irqsMasked) return false;
  return !vcpu.cpu.eventPending;
}

/** Reflect the stage-2 fault: a data abort taken at EL1 from EL0, no exit, IPA for the handler. */
export function reflectS2Abort(vcpu: V, gfn: number, handlerNs: number): void {
  vcpu.state.s2.abort = { esr: ESR_S2_ABORT, ipa: BigInt(gfn) * 4096n };
  // A data abort at EL1: VBAR_EL1's synchronous vector and the entry code, as RFCv2's injected abort.
  vcpu.injectEvent({ name: 'DABT_LOW (stage-2, reflected)', token: null, signal: 'other', exception: 'sync', handler: () => doS2Abort(vcpu, handlerNs) });
}

/**
 * The guest's do_mem_abort() for the reflected syndrome: take the IPA, ask the host for the
 * page, sleep on the token. NOT_REQUIRED means the page is in or the host already waited for it
 * (repeated fault: halt; queue full: synchronous; its allocation stalled in reclaim: a wait there,
 * core/sim/host-async-pf.ts startAsyncPf()): return and re-execute.
 */
export function doS2Abort(vcpu: V, handlerNs: number): void {
  const s2 = vcpu.state.s2;
  vcpu.guest.charge(handlerNs);
  s2.guest.abortsTaken++;
  const ipa = s2.abort?.ipa ?? -1n;
  s2.abort = null;
  const r = vcpu.guest.call({ kind: 'hvc', fn: ARM_SMCCC_VENDOR_HYP_KVM_LAB_S2_FETCH_FUNC_ID, args: [ipa] });
  if (x(r, 0) === SMCCC_RET_SUCCESS) return vcpu.guest.asyncPfTaskWaitSchedule(Number(x(r, 1)));
  if (x(r, 0) !== SMCCC_RET_NOT_REQUIRED) s2.guest.fetchRefused++;
}

/** The host side of the fetch call: kvm_setup_async_pf() on the guest's behalf (KvmVcpu.startAsyncPf). */
export function s2FetchCall(vcpu: V, args: readonly bigint[], guestMemoryBytes: number): GuestCallResult {
  if (!vcpu.state.enabled) return ret(SMCCC_RET_NOT_SUPPORTED);
  const ipa = args[0] ?? -1n;
  if (ipa < 0n || ipa >= BigInt(guestMemoryBytes)) return ret(SMCCC_RET_INVALID_PARAMETER);
  const r = vcpu.startAsyncPf(Number(ipa >> 12n));
  return r.ok ? ret(SMCCC_RET_SUCCESS, BigInt(r.token)) : ret(SMCCC_RET_NOT_REQUIRED);
}

/**
 * The guest's enable, v4's discovery without SDEI: FEATURES, VERSION, SLOTS, IRQ, the PPI
 * handler (wake, clear, IRQ_ACK: arches/arm64/guest.ts), ENABLE. Any refusal leaves it off.
 */
export function s2GuestInit(vcpu: V, cfg: Arm64GuestConfig): void {
  const g = vcpu.state.guest;
  const found = v4DiscoverPpi(vcpu, () => kvmAsyncPfIrqHandler(vcpu, cfg), true);
  if (found === null) return;
  g.slots = found.slots;
  g.ppi = found.ppi;
  g.hotplugCallbacks = true;
  g.enabled = v4Enable(vcpu, g.apfDataGpa);
}
