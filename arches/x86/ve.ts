import type { GuestCallResult, KvmVcpu } from '../../core/backend.js';
import { KVM_ENOSYS } from './constants.js';
import { createX86State, pvAsyncPfEnabled, type X86VcpuState, type X86VmPlace } from './state.js';

/**
 * `x86-ve`: the "#VE before populate" design (PROTOCOLS.md §4.4), never built. Paolo Bonzini
 * 2020-05-28 (8ab64c6a-582b-691d-79ab-21cdc0455cd3@redhat.com) and Vitaly Kuznetsov's "Grand
 * Plan … #VE for 'page not present'" (facts/arm64.md §2, §8). The CPU raises #VE in the guest for
 * an EPT violation on an entry whose suppress-#VE bit (63) is clear, with no exit; the guest's
 * handler reads the faulting GPA from the #VE information area, asks the host by hypercall, and
 * sleeps the task on the token the host returns. Page-ready is x86's interrupt + ACK (PROTOCOLS.md §4.1).
 *
 * Everything below that is not x86's is lab-defined and hypothetical: the MSR, the hypercall
 * number and its answers.
 */

/** #VE, the virtualization exception (arch/x86/include/asm/trapnr.h X86_TRAP_VE). */
export const VE_VECTOR = 20;
/** Basic exit reason the CPU writes into the #VE information area: EPT violation. */
export const EXIT_REASON_EPT_VIOLATION = 48;
/**
 * The CPU writes 0xFFFFFFFF into `delivery` when it delivers #VE; "another #VE can occur only if
 * software clears the field" — until then an EPT violation exits (Isaku Yamahata, "KVM: VMX:
 * Introduce test mode related to EPT violation VE", 2022-08-07,
 * 4783140a61f278e7ed6969e36bb8f9272ed40aa8.1659854790.git.isaku.yamahata@intel.com).
 */
export const VE_DELIVERY_BUSY = 0xffffffff;

/**
 * Lab-defined, hypothetical: the guest registers its per-CPU #VE information page here (GPA,
 * 4 KiB aligned, | 1 to enable); the host puts it in the VMCS (VE_INFORMATION_ADDRESS) and sets
 * SECONDARY_EXEC_EPT_VIOLATION_VE. Not a KVM MSR: KVM's PV MSRs end at 0x4b564d08.
 */
export const MSR_KVM_LAB_VE_INFO = 0x4b564dfe;
/** Bits 11:1 of the MSR are reserved (the page is 4 KiB aligned). */
export const VE_INFO_RESERVED = 0xffen;
export const VE_INFO_ENABLE = 1n;
/** Lab-defined, hypothetical hypercall: rbx = faulting GPA; rax = token, or 0 to re-execute. */
export const KVM_HC_LAB_ASYNC_PF_FETCH = 0x1000;
/** KVM hypercall errors (include/uapi/linux/kvm_para.h), returned negated in rax. */
export { KVM_ENOSYS } from './constants.js';
export const KVM_EINVAL = 22n;
export const KVM_EOPNOTSUPP = 95n;

/** The part of struct vmx_ve_information the design uses (arch/x86/include/asm/vmx.h). */
export interface VeInformation {
  exitReason: number;
  delivery: number;
  guestPhysicalAddress: bigint;
}

export interface VeState {
  msrVal: bigint;
  /** The registered #VE information page; null while EPT-violation #VE is off for this vCPU. */
  infoGpa: bigint | null;
  readonly info: VeInformation;
  readonly guest: { veTaken: number; fetchRefused: number };
}

export type X86VeVcpuState = X86VcpuState & { readonly ve: VeState };

export function createX86VeState(vcpuId: number, knobs: Readonly<Record<string, number>>, place: X86VmPlace): X86VeVcpuState {
  const ve: VeState = {
    msrVal: 0n,
    infoGpa: null,
    info: { exitReason: 0, delivery: 0, guestPhysicalAddress: 0n },
    guest: { veTaken: 0, fetchRefused: 0 },
  };
  return { ...createX86State(vcpuId, knobs, place), ve };
}

/** The x86-ve guest calls: x86's MSR accesses plus VMCALL (nr in rax, args in rbx, rcx, rdx, rsi). */
export type VmcallGuestCall = { readonly kind: 'vmcall'; readonly nr: number; readonly args: readonly bigint[] };

type V = KvmVcpu<X86VeVcpuState>;
const OK: GuestCallResult = { kind: 'ok', regs: [0n] };
const GP: GuestCallResult = { kind: 'fault', vector: '#GP' };
const rax = (value: bigint): GuestCallResult => ({ kind: 'ok', regs: [value] });

/**
 * Whether the CPU raises #VE for this access. The hardware does not look at CPL; the design's
 * choice is to route user-mode faults only, because the handler must sleep the task (tglx,
 * "x86/kvm: Restrict ASYNC_PF to user space": "The CPL3 injection is well defined", facts/x86.md
 * §3). Lab assumption: the guest keeps `delivery` non-zero while in the kernel (a store at kernel
 * entry, cleared on return to user), so a kernel-mode access — IF=0 included — exits as an EPT
 * violation and follows x86's flow (PROTOCOLS.md §4.1).
 */
export function veRaised(vcpu: V): boolean {
  const ve = vcpu.state.ve;
  if (!readyChannelUp(vcpu.state) || ve.infoGpa === null || ve.info.delivery !== 0) return false;
  if (vcpu.cpu.privilege !== 'user' || vcpu.cpu.irqsMasked) return false;
  // An event already queued for this entry is delivered first; the access then exits.
  return !vcpu.cpu.eventPending;
}

/**
 * The host routes a fault to the guest, and accepts its request, only while it can tell the
 * guest page-ready: x86 async PF enabled with DELIVERY_AS_INT and a readable area (§4.1). Else
 * the sleeper would never be woken (invariant 7), so the fault exits and x86 decides.
 */
export function readyChannelUp(s: X86VcpuState): boolean {
  return pvAsyncPfEnabled(s) && s.areaGpa !== null;
}

/**
 * The CPU's #VE delivery: fill the information area and raise vector 20, no exit. Only pages the
 * host marked absent get here (suppress-#VE clear on exactly the entries the MMU notifier zapped:
 * Paolo 2020-05-29, d0bfb944-b50a-608a-7dcc-5a409cdc4524@redhat.com); core asks only for those.
 */
export function raiseVe(vcpu: V, gfn: number, handlerNs: number): void {
  const info = vcpu.state.ve.info;
  info.exitReason = EXIT_REASON_EPT_VIOLATION;
  info.delivery = VE_DELIVERY_BUSY;
  info.guestPhysicalAddress = BigInt(gfn) * 4096n;
  // Vector 20 through the IDT, entry code first, as a #PF (arches/x86/code-layout.ts).
  vcpu.injectEvent({ name: '#VE', token: null, signal: 'other', exception: 'sync', handler: () => excVirtualizationException(vcpu, handlerNs) });
}

/**
 * The guest's #VE handler: read the GPA, free the information area for the next #VE, ask the
 * host to fetch the page, sleep on the token. rax = 0 means the page is in or the host already
 * waited for it (repeated fault: halt; queue full: synchronous; its allocation stalled in reclaim:
 * a wait there, core/sim/host-async-pf.ts startAsyncPf()): re-execute the access.
 */
export function excVirtualizationException(vcpu: V, handlerNs: number): void {
  const ve = vcpu.state.ve;
  vcpu.guest.charge(handlerNs);
  ve.guest.veTaken++;
  const gpa = ve.info.guestPhysicalAddress;
  ve.info.delivery = 0;
  const r = vcpu.guest.call({ kind: 'vmcall', nr: KVM_HC_LAB_ASYNC_PF_FETCH, args: [gpa] });
  const token = r.kind === 'ok' ? r.regs[0] : -1n;
  if (token > 0n) return vcpu.guest.asyncPfTaskWaitSchedule(Number(token));
  if (token < 0n) ve.guest.fetchRefused++;
}

/**
 * The host side of the fetch hypercall: kvm_setup_async_pf() on the guest's behalf
 * (KvmVcpu.startAsyncPf). A refusal answers 0; core has already made the vCPU wait as the
 * refusal says (halt on a repeated fault, synchronous at the queue cap, a wait in reclaim where the
 * FOLL_NOWAIT try's allocation stalls).
 */
export function hcAsyncPfFetch(vcpu: V, gpa: bigint, guestMemoryBytes: number): GuestCallResult {
  if (vcpu.state.ve.infoGpa === null || !readyChannelUp(vcpu.state)) return rax(-KVM_EOPNOTSUPP);
  if (gpa < 0n || gpa >= BigInt(guestMemoryBytes)) return rax(-KVM_EINVAL);
  const r = vcpu.startAsyncPf(Number(gpa >> 12n));
  return rax(r.ok ? BigInt(r.token) : 0n);
}

export function vmcall(vcpu: V, call: VmcallGuestCall, guestMemoryBytes: number): GuestCallResult {
  if (call.nr !== KVM_HC_LAB_ASYNC_PF_FETCH) return rax(-KVM_ENOSYS);
  return hcAsyncPfFetch(vcpu, call.args[0] ?? -1n, guestMemoryBytes);
}

/**
 * MSR_KVM_LAB_VE_INFO write: reserved bits or a page outside guest memory → #GP; bit 0 clear
 * turns EPT-violation #VE off. Enabling frees the information area (delivery = 0).
 */
export function writeVeInfoMsr(vcpu: V, data: bigint, guestMemoryBytes: number): GuestCallResult {
  const ve = vcpu.state.ve;
  if (data & VE_INFO_RESERVED) return GP;
  const gpa = data & ~0xfffn;
  if ((data & VE_INFO_ENABLE) === 0n) {
    ve.msrVal = data;
    ve.infoGpa = null;
    return OK;
  }
  if (gpa + 4096n > BigInt(guestMemoryBytes)) return GP;
  ve.msrVal = data;
  ve.infoGpa = gpa;
  ve.info.delivery = 0;
  return OK;
}
