import type { Backend, Finding, GuestCall, GuestCallExit, KvmVcpu, Variant, VariantContext } from '../../core/backend.js';
import { cyclesToNs } from '../../core/costs.js';
import { X86_COSTS } from './costs.js';
import type { X86GuestCall } from './msr.js';
import { createX86Backend, X86_KNOBS } from './variant.js';
import {
  createX86VeState,
  KVM_HC_LAB_ASYNC_PF_FETCH,
  MSR_KVM_LAB_VE_INFO,
  raiseVe,
  VE_INFO_ENABLE,
  veRaised,
  vmcall,
  writeVeInfoMsr,
  type VmcallGuestCall,
  type X86VeVcpuState,
} from './ve.js';

/** Where each vCPU's 4 KiB #VE information page sits (after x86's 64-byte async-PF areas at 0x100000). */
const VE_INFO_BASE = 0x180000n;

const FINDINGS: readonly Finding[] = [
  {
    id: 've-never-built',
    severity: 'concern',
    text: 'Hypothetical: never implemented for async PF on x86 or arm64; not-present is still a synthetic #PF with the token in CR2 (msr.rst).',
    cite: 'Vitaly Kuznetsov 2020-05-25 "The Grand Plan is to switch to using e.g. #VE" (20200525144125.143875-1-vkuznets@redhat.com); Paolo Bonzini 2020-05-28, 8ab64c6a-582b-691d-79ab-21cdc0455cd3@redhat.com (facts/arm64.md §2, §8)',
  },
  {
    id: 've-intel-only',
    severity: 'concern',
    text: 'EPT-violation #VE is a VMX feature (SECONDARY_EXEC_EPT_VIOLATION_VE, VE_INFORMATION_ADDRESS, suppress-#VE in EPT bit 63): Intel only; AMD SVM has no equivalent, so an AMD host must keep the #PF design.',
    cite: 'PROTOCOLS.md §4.4; Isaku Yamahata, "KVM: VMX: Introduce test mode related to EPT violation VE", 2022-08-07, 4783140a61f278e7ed6969e36bb8f9272ed40aa8.1659854790.git.isaku.yamahata@intel.com',
  },
  {
    id: 've-sve-in-sync',
    severity: 'concern',
    text: 'The host must keep each EPT entry\'s suppress-#VE bit clear exactly while the page is absent in the host, in step with reclaim (MMU notifier): a clear bit on a page that is merely unmapped would hand the guest a #VE it cannot resolve.',
    cite: 'Paolo Bonzini 2020-05-29, "only faults on pages absent in the host (MMU notifier)", d0bfb944-b50a-608a-7dcc-5a409cdc4524@redhat.com (facts/arm64.md §2)',
  },
  {
    id: 've-user-only',
    severity: 'note',
    text: 'Design choice: #VE only from user mode, where the handler can sleep the task; the guest holds the #VE information area busy while in the kernel (lab assumption), so kernel-mode and IF=0 faults exit and follow x86 (halt, or synchronous). The CPU sets "delivery" to 0xFFFFFFFF on each #VE and raises no other until software clears it.',
    cite: 'Thomas Gleixner, "x86/kvm: Restrict ASYNC_PF to user space", 20200505134059.369802541@linutronix.de (facts/x86.md §3, facts/arm64.md §8); Yamahata 2022-08-07 (above)',
  },
  {
    id: 've-lab-abi',
    severity: 'note',
    text: 'MSR 0x4b564dfe (register the #VE page) and hypercall 0x1000 (fetch a GPA, token in rax) are lab-defined and hypothetical; each request is a VMCALL exit.',
    cite: 'lab assumption (arches/x86/ve.ts)',
  },
];

/** The x86 guest, then the #VE page; a refused MSR leaves #VE off and the guest is plain x86. */
function guestInit(v: KvmVcpu<X86VeVcpuState>, ctx: VariantContext, base: Backend<X86VeVcpuState>): void {
  base.guestInit(v);
  const value = VE_INFO_BASE + BigInt(v.id) * 4096n;
  if (value + 4096n > BigInt(ctx.guestMemoryBytes)) return;
  v.guest.call({ kind: 'wrmsr', index: MSR_KVM_LAB_VE_INFO, value: value | VE_INFO_ENABLE });
}

function guestCall(v: KvmVcpu<X86VeVcpuState>, anyCall: GuestCall, ctx: VariantContext, base: Backend<X86VeVcpuState>): GuestCallExit {
  const call = anyCall as X86GuestCall | VmcallGuestCall;
  if (call.kind === 'vmcall') {
    const exit = call.nr === KVM_HC_LAB_ASYNC_PF_FETCH ? 'VMCALL(LAB_ASYNC_PF_FETCH)' : 'VMCALL';
    return { result: vmcall(v, call, ctx.guestMemoryBytes), exit, kind: 'hypercall' };
  }
  if (call.kind === 'wrmsr' && call.index === MSR_KVM_LAB_VE_INFO) {
    return { result: writeVeInfoMsr(v, call.value, ctx.guestMemoryBytes), exit: 'MSR_WRITE(LAB_VE_INFO)', kind: 'hypercall' };
  }
  if (call.kind === 'rdmsr' && call.index === MSR_KVM_LAB_VE_INFO) {
    return { result: { kind: 'ok', regs: [v.state.ve.msrVal] }, exit: 'MSR_READ(LAB_VE_INFO)', kind: 'hypercall' };
  }
  return base.guestCall(v, anyCall);
}

/** x86's backend (its host flow, page-ready and ACK unchanged) with #VE routing in front of the exit. */
export function createX86VeBackend(ctx: VariantContext): Backend<X86VeVcpuState, { gfn: number }> {
  const base = createX86Backend(ctx) as Backend<X86VeVcpuState, { gfn: number }>;
  // The #VE handler does what the async #PF handler does (read a shared area, queue a sleeper).
  const handlerNs = cyclesToNs(ctx.costOverrides.guestPfHandlerCycles, ctx.costOverrides.clockMHz);
  return {
    ...base,
    findings: FINDINGS,
    createVcpuState: (id) => createX86VeState(id, ctx.knobs),
    guestInit: (v) => guestInit(v, ctx, base),
    faultInGuest: (v, gfn) => {
      if (!veRaised(v)) return false;
      raiseVe(v, gfn, handlerNs);
      return true;
    },
    guestCall: (v, call) => guestCall(v, call, ctx, base),
  };
}

export const x86VeVariant: Variant = {
  id: 'x86-ve',
  arch: 'x86',
  title: 'x86 #VE before populate (hypothetical): #VE in user mode with no exit, guest asks by hypercall, interrupt + ACK page-ready',
  origin: 'Paolo Bonzini 2020-05-28 and Vitaly Kuznetsov\'s "grand plan"; never built (PROTOCOLS.md §4.4, facts/arm64.md §2, §8)',
  mechanisms: {
    enable: 'x86 (MSR_KVM_ASYNC_PF_INT, MSR_KVM_ASYNC_PF_EN) + lab MSR 0x4b564dfe = #VE information page | 1',
    notPresent: '#VE (vector 20) raised by the CPU, no exit, user mode only; GPA in the #VE information area; guest VMCALL 0x1000 (lab) returns the token',
    ready: 'fixed interrupt on the programmed vector, token in shared area (as x86)',
    token: '(id++ << 12) | vcpu_id, never 0, returned in rax',
    eligibility: '#VE from user mode with IF=1; a kernel-mode fault exits and follows x86 (halt, or synchronous with IF=0)',
    wake: 'the #VE handler sleeps the task; immediate wake in the IRQ handler; dummy if the wake comes first',
    ack: 'MSR_KVM_ASYNC_PF_ACK write; one page-ready outstanding',
  },
  defaultCosts: X86_COSTS,
  knobs: X86_KNOBS,
  createBackend: createX86VeBackend,
};
