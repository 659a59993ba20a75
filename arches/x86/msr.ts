import type { GuestCall, GuestCallExit, GuestCallResult, KvmVcpu } from '../../core/backend.js';
import {
  ASYNC_PF_EN_GPA_MASK,
  ASYNC_PF_EN_RESERVED,
  KVM_ASYNC_PF_DELIVERY_AS_INT,
  KVM_ASYNC_PF_DELIVERY_AS_PF_VMEXIT,
  KVM_ASYNC_PF_SEND_ALWAYS,
  KVM_ENOSYS,
  MSR_KVM_ASYNC_PF_ACK,
  MSR_KVM_ASYNC_PF_EN,
  MSR_KVM_ASYNC_PF_INT,
  MSR_X2APIC_EOI,
} from './constants.js';
import { guestPvHas, pvAsyncPfEnabled, type X86VcpuState } from './state.js';

/**
 * The host side of the PV MSRs, with KVM's validation in KVM's order (facts/x86.md §1
 * "Current EN write path", "Feature gating"; arch/x86/kvm/x86.c kvm_set_msr_common()).
 * A refused access is #GP in the guest, never an error of the lab.
 */
/** The x86 guest calls: MSR writes and reads (the guest-facing ABI of the PV async-PF feature). */
export type X86GuestCall =
  | { readonly kind: 'wrmsr'; readonly index: number; readonly value: bigint }
  | { readonly kind: 'rdmsr'; readonly index: number };

const OK: GuestCallResult = { kind: 'ok', regs: [0n] };
const GP: GuestCallResult = { kind: 'fault', vector: '#GP' };

/**
 * A VMCALL to a host whose design adds no hypercall: kvm_emulate_hypercall() completes it with
 * -KVM_ENOSYS in rax for an nr it does not implement (arch/x86/kvm/x86.c; 2.6.38 alike). The
 * guest is told in a register, never with #UD.
 */
export const VMCALL_ENOSYS: GuestCallExit = { result: { kind: 'ok', regs: [-KVM_ENOSYS] }, exit: 'VMCALL', kind: 'hypercall' };

export const MSR_NAMES: Readonly<Record<number, string>> = {
  [MSR_KVM_ASYNC_PF_EN]: 'ASYNC_PF_EN',
  [MSR_KVM_ASYNC_PF_INT]: 'ASYNC_PF_INT',
  [MSR_KVM_ASYNC_PF_ACK]: 'ASYNC_PF_ACK',
  [MSR_X2APIC_EOI]: 'X2APIC_EOI',
};

export function writeMsr(vcpu: KvmVcpu<X86VcpuState>, index: number, data: bigint, guestMemoryBytes: number): GuestCallResult {
  const s = vcpu.state;
  switch (index) {
    case MSR_KVM_ASYNC_PF_EN:
      if (!guestPvHas(s, 'asyncPf')) return GP;
      return enableAsyncPf(vcpu, data, guestMemoryBytes);
    case MSR_KVM_ASYNC_PF_INT:
      if (!guestPvHas(s, 'asyncPfInt')) return GP;
      return enableAsyncPfInt(s, data);
    case MSR_KVM_ASYNC_PF_ACK:
      if (!guestPvHas(s, 'asyncPfInt')) return GP;
      if (data & 1n) {
        // A lab tracepoint (KVM has none for the ACK write): arm64's IRQ_ACK emits the same one.
        if (vcpu.traced) vcpu.trace('kvm_async_pf_ack', {});
        s.pagereadyPending = false;
        vcpu.noteReadyAcked();
        vcpu.checkCompletion();
      }
      return OK;
    case MSR_X2APIC_EOI:
      return OK;
    default:
      return GP;
  }
}

export function readMsr(vcpu: KvmVcpu<X86VcpuState>, index: number): GuestCallResult {
  const s = vcpu.state;
  switch (index) {
    case MSR_KVM_ASYNC_PF_EN:
      return guestPvHas(s, 'asyncPf') ? { kind: 'ok', regs: [s.msrEnVal] } : GP;
    case MSR_KVM_ASYNC_PF_INT:
      return guestPvHas(s, 'asyncPfInt') ? { kind: 'ok', regs: [s.msrIntVal] } : GP;
    case MSR_KVM_ASYNC_PF_ACK:
      // Reads of ACK return 0 (facts/x86.md §1 "MSRs").
      return guestPvHas(s, 'asyncPfInt') ? OK : GP;
    default:
      return GP;
  }
}

/** kvm_pv_enable_async_pf() */
function enableAsyncPf(vcpu: KvmVcpu<X86VcpuState>, data: bigint, guestMemoryBytes: number): GuestCallResult {
  const s = vcpu.state;
  if (data & ASYNC_PF_EN_RESERVED) return GP;
  if (data & KVM_ASYNC_PF_DELIVERY_AS_PF_VMEXIT && !guestPvHas(s, 'asyncPfVmexit')) return GP;
  if (data & KVM_ASYNC_PF_DELIVERY_AS_INT && !guestPvHas(s, 'asyncPfInt')) return GP;
  if (!s.lapicInKernel) return data ? GP : OK;
  // Stored before the cache init below can fail (facts/x86.md §2a): a refused enable still
  // reads back and still counts as enabled.
  s.msrEnVal = data;
  if (!pvAsyncPfEnabled(s)) {
    // Not both ENABLED and DELIVERY_AS_INT: treated as disabled; outstanding work is dropped.
    vcpu.clearCompletionQueue();
    s.areaGpa = null;
    return OK;
  }
  const gpa = data & ASYNC_PF_EN_GPA_MASK;
  // kvm_gfn_to_hva_cache_init() over the 8 bytes KVM writes fails outside guest memory and
  // leaves the cache invalid: later accesses to the area fail (facts/x86.md §2a). Nothing is
  // cleared, send_always is kept, and no wake-all is queued.
  if (gpa + 8n > BigInt(guestMemoryBytes)) {
    s.areaGpa = null;
    return GP;
  }
  s.areaGpa = gpa;
  s.sendAlways = (data & KVM_ASYNC_PF_SEND_ALWAYS) !== 0n;
  s.deliveryAsPfVmexit = (data & KVM_ASYNC_PF_DELIVERY_AS_PF_VMEXIT) !== 0n;
  vcpu.wakeupAll();
  return OK;
}

/** kvm_pv_enable_async_pf_int(): only bits 63:8 and a missing in-kernel LAPIC are refused. */
function enableAsyncPfInt(s: X86VcpuState, data: bigint): GuestCallResult {
  if (data >> 8n) return GP;
  if (!s.lapicInKernel) return GP;
  s.msrIntVal = data;
  s.vec = Number(data & 0xffn);
  return OK;
}

/**
 * The guest-facing ABI of an x86 KVM host that offers no async PF (the no-APF baseline): WRMSR and
 * RDMSR of an MSR it does not offer are #GP(0), as kvm_set_msr_common() refuses a PV MSR whose
 * feature is off (facts/x86.md §1 "Feature gating") and the SDM any unimplemented MSR; a VMCALL
 * is -KVM_ENOSYS in rax. Only an instruction that is not a call at all is #UD.
 */
export function noApfGuestCall(anyCall: GuestCall): GuestCallExit {
  const call = anyCall as X86GuestCall | { readonly kind: 'vmcall' };
  if (call.kind === 'wrmsr' || call.kind === 'rdmsr') {
    const exit = `${call.kind === 'wrmsr' ? 'MSR_WRITE' : 'MSR_READ'}(${MSR_NAMES[call.index] ?? `0x${call.index.toString(16)}`})`;
    return { result: GP, exit, kind: 'hypercall' };
  }
  if (call.kind === 'vmcall') return VMCALL_ENOSYS;
  return { result: { kind: 'fault', vector: '#UD' }, exit: 'EXCEPTION_NMI(#UD)', kind: 'trap' };
}
