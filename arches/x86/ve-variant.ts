import type { Backend, Finding, Variant, VariantContext } from '../../core/backend.js';
import { composeVariant, type VariantSpec } from '../spec.js';
import { X86_ARCH } from './mechanisms.js';
import type { X86VeVcpuState } from './ve.js';

/**
 * `x86-ve` (PROTOCOLS.md §4.4): x86's host flow, page-ready and ACK unchanged, with #VE routing in
 * front of the exit (arches/x86/ve.ts).
 */
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

export const X86_VE_SPEC: VariantSpec = {
  id: 'x86-ve',
  arch: 'x86',
  title: 'x86 #VE before populate (hypothetical): #VE in user mode with no exit, guest asks by hypercall, interrupt + ACK page-ready',
  origin: 'Paolo Bonzini 2020-05-28 and Vitaly Kuznetsov\'s "grand plan"; never built (PROTOCOLS.md §4.4, facts/arm64.md §2, §8)',
  mechanisms: {
    enable: 'msr-pv-en-int-ve',
    notPresent: 've-hypercall',
    ready: 'apic-vector-as-x86',
    token: 'hypercall-rax',
    eligibility: 've-user-mode',
    wake: 've-handler',
    ack: 'apic-vector-ack-msr',
  },
  findings: FINDINGS,
};

export const x86VeVariant: Variant = composeVariant(X86_VE_SPEC, X86_ARCH);

export function createX86VeBackend(ctx: VariantContext): Backend<X86VeVcpuState, { gfn: number }> {
  return x86VeVariant.createBackend(ctx);
}
