import type { GuestCall, GuestCallExit, GuestCallResult, KvmVcpu } from '../../core/backend.js';
import {
  ARM_SMCCC_KVM_FUNC_ASYNC_PF,
  ARM_SMCCC_VENDOR_HYP_KVM_FEATURES_FUNC_ID,
  ASYNC_PF_ENABLE,
  ASYNC_PF_GPA_MASK,
  ASYNC_PF_IRQ,
  ASYNC_PF_IRQ_ACK,
  ASYNC_PF_PER_VCPU,
  ASYNC_PF_SDEI,
  ASYNC_PF_SLOTS,
  ASYNC_PF_VERSION,
  ASYNC_PF_VERSION_1_0_0,
  KVM_ASYNC_PF_ENABLED,
  KVM_ASYNC_PF_SEND_ALWAYS,
  SMCCC_RET_INVALID_PARAMETER,
  SMCCC_RET_NOT_REQUIRED,
  SMCCC_RET_NOT_SUPPORTED,
  SMCCC_RET_SUCCESS,
} from './constants.js';
import { trappedSysregWrite } from './ipi.js';
import type { Arm64VcpuState } from './state.js';

/**
 * The host side of the KVM vendor-hyp calls the async-PF guest makes (v3/v4: function 2,
 * 0x86000002, sub-function in x1; facts/arm64.md §1 v2–v4, §3). Results come back in x0 (a0)
 * and x1 (a1); every refusal is an SMCCC return code.
 */
type V = KvmVcpu<Arm64VcpuState>;

/** The arm64 guest calls: SMCCC/SDEI through HVC (fn in w0, args in x1…), and a trapped MSR write. */
export type Arm64GuestCall =
  | { readonly kind: 'hvc'; readonly fn: number; readonly args: readonly bigint[] }
  | { readonly kind: 'sysreg'; readonly reg: string; readonly value: bigint };
const ret = (...regs: bigint[]): GuestCallResult => ({ kind: 'ok', regs });

/** ARM_SMCCC_VENDOR_HYP_KVM_FEATURES_FUNC_ID: bit 2 advertises async PF when the VMM enabled it. */
export function kvmFeatures(vcpu: V): GuestCallResult {
  return ret(vcpu.state.apfAllocated ? 1n << BigInt(ARM_SMCCC_KVM_FUNC_ASYNC_PF) : 0n);
}

const U64_MASK = (1n << 64n) - 1n;

/**
 * The sub-function in x1, as v4 reads it: `u32 func = smccc_get_arg1(vcpu)`, so only the low 32
 * bits count (gwshan/linux arch/arm64/kvm/async_pf.c kvm_arch_async_pf_hypercall()).
 */
export function asyncPfSubfunction(args: readonly bigint[]): number {
  return Number((args[0] ?? U64_MASK) & 0xffffffffn);
}

/**
 * `needsSdei`: ENABLE requires the SDEI event the VMM set (the SDEI design, v4); a design that
 * announces not-present otherwise (arm64-irq) enables without one.
 */
export function asyncPfCall(vcpu: V, args: readonly bigint[], guestMemoryBytes: number, needsSdei = true): GuestCallResult {
  const s = vcpu.state;
  if (!s.apfAllocated) return ret(SMCCC_RET_NOT_SUPPORTED);
  switch (asyncPfSubfunction(args)) {
    case ASYNC_PF_VERSION:
      return ret(SMCCC_RET_SUCCESS, ASYNC_PF_VERSION_1_0_0);
    case ASYNC_PF_SLOTS:
      return ret(SMCCC_RET_SUCCESS, BigInt(ASYNC_PF_PER_VCPU));
    case ASYNC_PF_SDEI:
      return ret(SMCCC_RET_SUCCESS, BigInt(s.vmm.sdeiNum));
    case ASYNC_PF_IRQ:
      return ret(SMCCC_RET_SUCCESS, BigInt(s.vmm.irq));
    case ASYNC_PF_ENABLE:
      // `(smccc_get_arg3() << 32) | smccc_get_arg2()` in u64: x3's upper half falls off, x2's is kept.
      return ret(enable(vcpu, (((args[2] ?? 0n) << 32n) | (args[1] ?? 0n)) & U64_MASK, guestMemoryBytes, needsSdei));
    case ASYNC_PF_IRQ_ACK:
      irqAck(vcpu);
      return ret(SMCCC_RET_SUCCESS);
    default:
      return ret(SMCCC_RET_NOT_SUPPORTED);
  }
}

/**
 * ENABLE, with v4's checks in v4's order: no irqchip → NOT_SUPPORTED; no change → NOT_REQUIRED;
 * disable → clear the queue; SDEI event or PPI not set by the VMM → INVALID_PARAMETER; an event
 * the VM does not define or a bad GPA → NOT_SUPPORTED. No alignment or reserved-bit check.
 */
export function enable(vcpu: V, data: bigint, guestMemoryBytes: number, needsSdei: boolean): bigint {
  const s = vcpu.state;
  if (!s.irqchipInKernel) return SMCCC_RET_NOT_SUPPORTED;
  const wantEnabled = (data & KVM_ASYNC_PF_ENABLED) !== 0n;
  if (wantEnabled === s.enabled) return SMCCC_RET_NOT_REQUIRED;
  if (!wantEnabled) {
    vcpu.clearCompletionQueue();
    s.controlBlock = data;
    s.enabled = false;
    s.areaGpa = null;
    return SMCCC_RET_SUCCESS;
  }
  if ((needsSdei && s.vmm.sdeiNum === 0) || s.vmm.irq === 0) return SMCCC_RET_INVALID_PARAMETER;
  if (needsSdei && !s.sdei.events.has(s.vmm.sdeiNum)) return SMCCC_RET_NOT_SUPPORTED;
  const gpa = data & ASYNC_PF_GPA_MASK;
  if (gpa + 8n > BigInt(guestMemoryBytes)) return SMCCC_RET_NOT_SUPPORTED;
  s.areaGpa = gpa;
  s.sendAlways = (data & KVM_ASYNC_PF_SEND_ALWAYS) !== 0n;
  s.controlBlock = data;
  s.enabled = true;
  vcpu.wakeupAll();
  return SMCCC_RET_SUCCESS;
}

/** IRQ_ACK: lower the PPI, clear pageready_pending and drain the next completion inside the call. */
function irqAck(vcpu: V): void {
  const s = vcpu.state;
  if (!s.pagereadyPending) return;
  // A lab tracepoint (no upstream one): the token is gone from the block by now, and there is only one page-ready to ack.
  if (vcpu.traced) vcpu.trace('kvm_async_pf_ack', {});
  vcpu.lowerIrq(s.vmm.irq);
  s.pagereadyPending = false;
  vcpu.noteReadyAcked();
  vcpu.checkCompletion();
}

/**
 * The guest-facing ABI of an arm64 KVM host that offers no async PF (the no-APF baseline): an HVC
 * from EL1 always returns, FEATURES with no async-PF bit and any other function NOT_SUPPORTED in
 * x0 (arch/arm64/kvm/hypercalls.c kvm_smccc_call_handler(): `default: val[0] =
 * SMCCC_RET_NOT_SUPPORTED`; facts/arm64.md §3); trapped registers as on any vGICv3 VM.
 */
export function noApfGuestCall(v: KvmVcpu, anyCall: GuestCall): GuestCallExit {
  const call = anyCall as Arm64GuestCall;
  if (call.kind === 'sysreg') return trappedSysregWrite(v, call.reg, call.value);
  if (call.kind !== 'hvc') return { result: { kind: 'fault', vector: 'UNDEF' }, exit: 'UNKNOWN', kind: 'trap' };
  if (call.fn === ARM_SMCCC_VENDOR_HYP_KVM_FEATURES_FUNC_ID) return { result: ret(0n), exit: 'HVC64(KVM_FEATURES)', kind: 'hypercall' };
  return { result: ret(SMCCC_RET_NOT_SUPPORTED), exit: `HVC64(0x${call.fn.toString(16)})`, kind: 'hypercall' };
}
