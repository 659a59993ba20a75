import type { GuestCall, GuestCallExit, GuestCallResult, KvmVcpu } from '../../../core/backend.js';
import {
  ARM_SMCCC_VENDOR_HYP_KVM_ASYNC_PF_FUNC_ID,
  ASYNC_PF_ENABLE,
  KVM_ASYNC_PF_ENABLED,
  SMCCC_OWNER_VENDOR_HYP,
  SMCCC_RET_INVALID_PARAMETER,
  SMCCC_RET_NOT_SUPPORTED,
  SMCCC_RET_SUCCESS,
  smcccCallVal,
} from '../constants.js';
import { asyncPfSubfunction, type Arm64GuestCall } from '../smccc.js';
import type { PvvecVcpuState } from './state.js';

/**
 * The guest-facing ABI of `arm64-pvvec` (PROTOCOLS.md §4.9), Paolo Bonzini's "completely
 * paravirtualized exception vector that doesn't use ESR at all" (2020-06-01,
 * 5c72c597-732e-7dbf-d056-665674ec1792@redhat.com). Never posted as code: everything below that is
 * not Gavin Shan's v4 ABI (arches/arm64/smccc.ts, reused for VERSION, SLOTS, IRQ, ENABLE and
 * IRQ_ACK) is the lab's reading, hypothetical.
 */

/**
 * Lab-defined, hypothetical: KVM vendor-hyp SMC64 fast call 0x41 (0xC6000041), next to the lab's
 * stage-2 fetch call (0x40, arches/arm64/s2.ts). x1 = the guest's PV entry point (a kernel VA),
 * x2 = the GPA of its save area. SMC64 because both are 64-bit addresses. Mark Rutland: "for
 * prototyping you can just choose an arbitrary number in that range" (facts/arm64.md §2, §3).
 */
export const ARM_SMCCC_KVM_FUNC_LAB_PV_VECTOR = 0x41;
export const ARM_SMCCC_VENDOR_HYP_KVM_LAB_PV_VECTOR_FUNC_ID = smcccCallVal(true, true, SMCCC_OWNER_VENDOR_HYP, ARM_SMCCC_KVM_FUNC_LAB_PV_VECTOR);

/**
 * The save area, lab-defined: `struct { u32 mask; u32 reason; u32 token; u32 pad; u64 pc; u64
 * pstate; }`, 32 bytes. It must be 64-byte aligned, as x86's MSR_KVM_ASYNC_PF_EN area is
 * (PROTOCOLS.md §4.1), so that it never crosses a page and one gfn→hva cache covers it.
 */
export const PV_SAVE_AREA_BYTES = 32n;
export const PV_SAVE_AREA_ALIGN = 64n;

/** PSTATE as SPSR_EL1 would hold it (facts/arm64.md §6): M[3:0] EL0t = 0b0000, EL1h = 0b0101; I = bit 7. */
export const PSR_MODE_EL0T = 0x0;
export const PSR_MODE_EL1H = 0x5;
export const PSR_MODE_MASK = 0xf;
export const PSR_I_BIT = 0x80;

const ret = (x0: bigint): GuestCallResult => ({ kind: 'ok', regs: [x0] });
const U64_MASK = (1n << 64n) - 1n;

/**
 * The registration call, with the checks KVM makes of a guest-supplied area: no capability →
 * NOT_SUPPORTED; an entry of 0 or not 4-byte aligned (an A64 instruction; a branch there takes a PC
 * alignment fault), or a save area outside guest memory or not 64-byte aligned →
 * INVALID_PARAMETER. Lab rule: the entry and area change only while async PF is disabled, like
 * RFCv2's range (facts/arm64.md §1 RFCv2 `BIT(62)`), because an enabled host may be writing the
 * old area.
 */
export function pvRegisterCall(vcpu: KvmVcpu<PvvecVcpuState>, args: readonly bigint[], guestMemoryBytes: number): GuestCallResult {
  const s = vcpu.state;
  if (!s.apfAllocated) return ret(SMCCC_RET_NOT_SUPPORTED);
  const entry = (args[0] ?? 0n) & U64_MASK;
  const gpa = (args[1] ?? 0n) & U64_MASK;
  if (entry === 0n || (entry & 3n) !== 0n) return ret(SMCCC_RET_INVALID_PARAMETER);
  if ((gpa & (PV_SAVE_AREA_ALIGN - 1n)) !== 0n || gpa + PV_SAVE_AREA_BYTES > BigInt(guestMemoryBytes)) return ret(SMCCC_RET_INVALID_PARAMETER);
  if (s.enabled) return ret(SMCCC_RET_INVALID_PARAMETER);
  s.pv.entry = entry;
  s.pv.areaGpa = gpa;
  Object.assign(s.pv.area, { mask: 0, reason: 0, token: 0, pc: null, pstate: 0 });
  return ret(SMCCC_RET_SUCCESS);
}

/**
 * v4's ENABLE asks for the SDEI event and the PPI before it enables (INVALID_PARAMETER otherwise,
 * facts/arm64.md §1 v1); here the not-present channel is the PV vector, so an ENABLE that would
 * turn async PF on before one is registered gets the same answer. v4's earlier checks (no
 * capability, no irqchip, unchanged state) keep their own answers.
 */
function enableWithoutVector(vcpu: KvmVcpu<PvvecVcpuState>, args: readonly bigint[]): boolean {
  const s = vcpu.state;
  if (!s.apfAllocated || !s.irqchipInKernel || s.enabled || s.pv.areaGpa !== null) return false;
  // ENABLE's value is (x3 << 32) | x2 (args[0] is x1): its ENABLED bit is bit 0 of x2.
  return ((args[1] ?? 0n) & KVM_ASYNC_PF_ENABLED) !== 0n;
}

type CallHandler = (v: KvmVcpu<PvvecVcpuState>, call: GuestCall) => GuestCallExit;

/** The v4 ABI without SDEI (`base`), plus the registration call and ENABLE's extra requirement. */
export function pvvecGuestCall(guestMemoryBytes: number, base: CallHandler): CallHandler {
  return (v, anyCall) => {
    const call = anyCall as Arm64GuestCall;
    if (call.kind === 'hvc' && call.fn === ARM_SMCCC_VENDOR_HYP_KVM_LAB_PV_VECTOR_FUNC_ID) {
      return { result: pvRegisterCall(v, call.args, guestMemoryBytes), exit: 'HVC64(LAB_PV_VECTOR)', kind: 'hypercall' };
    }
    if (
      call.kind === 'hvc' &&
      call.fn === ARM_SMCCC_VENDOR_HYP_KVM_ASYNC_PF_FUNC_ID &&
      asyncPfSubfunction(call.args) === ASYNC_PF_ENABLE &&
      enableWithoutVector(v, call.args)
    ) {
      return { result: ret(SMCCC_RET_INVALID_PARAMETER), exit: 'HVC64(ASYNC_PF_ENABLE)', kind: 'hypercall' };
    }
    return base(v, anyCall);
  };
}
