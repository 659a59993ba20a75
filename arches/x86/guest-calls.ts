import type { GuestCall, GuestCallExit, GuestCallResult, KvmVcpu } from '../../core/backend.js';
import { MSR_NAMES, readMsr, VMCALL_ENOSYS, writeMsr, type X86GuestCall } from './msr.js';
import { readMsr as readPf2010Msr, writeMsr as writePf2010Msr } from './pf2010/msr.js';
import type { Pf2010VcpuState } from './pf2010/state.js';
import type { X86VcpuState } from './state.js';
import {
  KVM_HC_LAB_ASYNC_PF_FETCH,
  MSR_KVM_LAB_VE_INFO,
  vmcall,
  writeVeInfoMsr,
  type VmcallGuestCall,
  type X86VeVcpuState,
} from './ve.js';

/**
 * The x86 guest-facing ABI of each enable channel: MSR accesses, each an exit priced as a
 * hypercall (a PV MSR access is the guest's call to the host: arches/x86/costs.ts).
 */
type CallHandler<S> = (v: KvmVcpu<S>, call: GuestCall) => GuestCallExit;

/** Exit labels, built once per MSR and looked up by its number: a guest call is on the hot path. */
const EXIT_LABELS = { MSR_WRITE: new Map<number, string>(), MSR_READ: new Map<number, string>() };
function msrExit(kind: 'MSR_WRITE' | 'MSR_READ', index: number): string {
  const labels = EXIT_LABELS[kind];
  let label = labels.get(index);
  if (label === undefined) {
    label = `${kind}(${MSR_NAMES[index] ?? `0x${index.toString(16)}`})`;
    labels.set(index, label);
  }
  return label;
}

const UD: GuestCallExit = { result: { kind: 'fault', vector: '#UD' }, exit: 'EXCEPTION_NMI(#UD)', kind: 'trap' };

type MsrWrite<S> = (v: KvmVcpu<S>, index: number, value: bigint, guestMemoryBytes: number) => GuestCallResult;
type MsrRead<S> = (v: KvmVcpu<S>, index: number) => GuestCallResult;

/** WRMSR / RDMSR through a host's MSR handlers; a VMCALL is -KVM_ENOSYS; anything else #UD. */
function msrGuestCall<S>(write: MsrWrite<S>, read: MsrRead<S>, guestMemoryBytes: number): CallHandler<S> {
  return (v, anyCall) => {
    const call = anyCall as X86GuestCall;
    if (call.kind === 'wrmsr') return { result: write(v, call.index, call.value, guestMemoryBytes), exit: msrExit('MSR_WRITE', call.index), kind: 'hypercall' };
    if (call.kind === 'rdmsr') return { result: read(v, call.index), exit: msrExit('MSR_READ', call.index), kind: 'hypercall' };
    if (anyCall.kind === 'vmcall') return VMCALL_ENOSYS;
    return UD;
  };
}

/** Linux 5.8+: MSR_KVM_ASYNC_PF_EN / _INT / _ACK with KVM's validation (arches/x86/msr.ts). */
export function x86GuestCall(guestMemoryBytes: number): CallHandler<X86VcpuState> {
  return msrGuestCall(writeMsr, readMsr, guestMemoryBytes);
}

/** The 2010 host: MSR_KVM_ASYNC_PF_EN only (arches/x86/pf2010/msr.ts). */
export function pf2010GuestCall(guestMemoryBytes: number): CallHandler<Pf2010VcpuState> {
  return msrGuestCall(writePf2010Msr, readPf2010Msr, guestMemoryBytes);
}

/** x86's ABI plus the lab's #VE information MSR and fetch hypercall (arches/x86/ve.ts). */
export function veGuestCall(guestMemoryBytes: number): CallHandler<X86VeVcpuState> {
  const base = x86GuestCall(guestMemoryBytes);
  return (v, anyCall) => {
    const call = anyCall as X86GuestCall | VmcallGuestCall;
    if (call.kind === 'vmcall') {
      const exit = call.nr === KVM_HC_LAB_ASYNC_PF_FETCH ? 'VMCALL(LAB_ASYNC_PF_FETCH)' : 'VMCALL';
      return { result: vmcall(v, call, guestMemoryBytes), exit, kind: 'hypercall' };
    }
    if (call.kind === 'wrmsr' && call.index === MSR_KVM_LAB_VE_INFO) {
      return { result: writeVeInfoMsr(v, call.value, guestMemoryBytes), exit: 'MSR_WRITE(LAB_VE_INFO)', kind: 'hypercall' };
    }
    if (call.kind === 'rdmsr' && call.index === MSR_KVM_LAB_VE_INFO) {
      return { result: { kind: 'ok', regs: [v.state.ve.msrVal] }, exit: 'MSR_READ(LAB_VE_INFO)', kind: 'hypercall' };
    }
    return base(v, anyCall);
  };
}
