import type { GuestCall, GuestCallExit, KvmVcpu } from '../../core/backend.js';
import {
  ARM_SMCCC_VENDOR_HYP_KVM_ASYNC_PF_FUNC_ID,
  ARM_SMCCC_VENDOR_HYP_KVM_FEATURES_FUNC_ID,
  ASYNC_PF_SUBFN_NAMES,
  SDEI_EVENT_COMPLETE_AND_RESUME,
  SDEI_NAMES,
} from './constants.js';
import { trappedSysregWrite } from './ipi.js';
import { ARM_SMCCC_VENDOR_HYP_KVM_LAB_S2_FETCH_FUNC_ID, s2FetchCall, type Arm64S2VcpuState } from './s2.js';
import { sdeiCall } from './sdei.js';
import { asyncPfCall, asyncPfSubfunction, kvmFeatures, type Arm64GuestCall } from './smccc.js';
import type { Arm64VcpuState } from './state.js';

/**
 * The arm64 guest-facing ABI of each enable channel: HVCs (SMCCC vendor-hyp and SDEI calls, each
 * an exit priced as a hypercall) and trapped system-register writes.
 */
type CallHandler<S> = (v: KvmVcpu<S>, call: GuestCall) => GuestCallExit;

/** Exit labels, built once: a guest call is on the hot path. */
const ASYNC_PF_EXITS = ASYNC_PF_SUBFN_NAMES.map((n) => `HVC64(ASYNC_PF_${n})`);
const SDEI_EXITS = new Map(Object.entries(SDEI_NAMES).map(([fn, n]) => [Number(fn), `HVC64(${n})`]));

/**
 * Gavin Shan's v4 ABI (arches/arm64/smccc.ts) and, with `resumeNs`, the virtual SDEI dispatcher
 * (arches/arm64/sdei.ts); without it the ENABLE call does not ask for an SDEI event.
 */
export function v4GuestCall(guestMemoryBytes: number, sdei: { readonly resumeNs: number } | null): CallHandler<Arm64VcpuState> {
  return (v, anyCall) => {
    const call = anyCall as Arm64GuestCall;
    if (call.kind === 'sysreg') return trappedSysregWrite(v, call.reg, call.value);
    if (call.kind !== 'hvc') return { result: { kind: 'fault', vector: 'UNDEF' }, exit: 'UNKNOWN', kind: 'trap' };
    if (call.fn === ARM_SMCCC_VENDOR_HYP_KVM_ASYNC_PF_FUNC_ID) {
      const exit = ASYNC_PF_EXITS[asyncPfSubfunction(call.args)] ?? 'HVC64(ASYNC_PF_UNKNOWN)';
      return { result: asyncPfCall(v, call.args, guestMemoryBytes, sdei !== null), exit, kind: 'hypercall' };
    }
    if (call.fn === ARM_SMCCC_VENDOR_HYP_KVM_FEATURES_FUNC_ID) return { result: kvmFeatures(v), exit: 'HVC64(KVM_FEATURES)', kind: 'hypercall' };
    const sdeiExit = sdei === null ? undefined : SDEI_EXITS.get(call.fn);
    if (sdei !== null && sdeiExit) {
      const result = sdeiCall(v, call.fn, call.args);
      // Restoring the interrupted context and emulating the IRQ entry is host work of its own.
      if (call.fn === SDEI_EVENT_COMPLETE_AND_RESUME && result.kind === 'ok' && result.regs[0] === 0n) v.chargeHost(sdei.resumeNs);
      return { result, exit: sdeiExit, kind: 'hypercall' };
    }
    return { result: { kind: 'ok', regs: [-1n] }, exit: `HVC64(0x${call.fn.toString(16)})`, kind: 'hypercall' };
  };
}

/** The v4 ABI with the SDEI dispatcher, plus the lab's stage-2 fetch call (arches/arm64/s2.ts). */
export function s2GuestCall(guestMemoryBytes: number, resumeNs: number): CallHandler<Arm64S2VcpuState> {
  const base = v4GuestCall(guestMemoryBytes, { resumeNs });
  return (v, anyCall) => {
    const call = anyCall as Arm64GuestCall;
    if (call.kind === 'hvc' && call.fn === ARM_SMCCC_VENDOR_HYP_KVM_LAB_S2_FETCH_FUNC_ID) {
      return { result: s2FetchCall(v, call.args, guestMemoryBytes), exit: 'HVC64(LAB_S2_FETCH)', kind: 'hypercall' };
    }
    return base(v, anyCall);
  };
}
