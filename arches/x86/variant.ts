import type { Backend, Finding, Variant, VariantContext } from '../../core/backend.js';
import { composeVariant, type VariantSpec } from '../spec.js';
import { X86_ARCH } from './mechanisms.js';
import type { X86VcpuState } from './state.js';

export { checkX86Knobs, X86_KNOBS } from './knobs.js';

const FINDINGS: readonly Finding[] = [
  {
    id: 'x86-user-only',
    severity: 'note',
    text: 'Not-present goes to user mode only; a kernel-mode fault halts the vCPU instead (the halt-based wait in kernel was removed as "a hacky replacement for a proper hypercall").',
    cite: 'Thomas Gleixner, "x86/kvm: Restrict ASYNC_PF to user space", 3a7c8fafd1b4, 20200505134059.369802541@linutronix.de (facts/x86.md §3)',
  },
  {
    id: 'x86-vector',
    severity: 'note',
    text: 'The lab uses vector 0xec as the posted series did; merged Linux guests program HYPERVISOR_CALLBACK_VECTOR 0xf3 (scenario knob arch.x86.vector).',
    cite: 'b1d405751cd5; v1 7/8 20200511164752.2158645-8-vkuznets@redhat.com (facts/x86.md §1)',
  },
  {
    id: 'x86-ack',
    severity: 'note',
    text: 'One page-ready outstanding per vCPU until MSR_KVM_ASYNC_PF_ACK: backpressure that costs an exit per completion.',
    cite: 'Vitaly Kuznetsov v2, 20200525144125.143875-1-vkuznets@redhat.com (facts/anchors.md §A3)',
  },
  {
    id: 'x86-offline-stale-token',
    severity: 'concern',
    text: 'A page-ready sent while kvm_guest_cpu_offline() runs with interrupts off, before its EN = 0 write, leaves apf_reason.token set: its interrupt is taken once async_pf_enabled is false, and the handler neither clears the slot nor ACKs. When the CPU comes back, apf_pageready_slot_free() stays false and the vCPU never gets page-ready again; nor does it block any more: kvm_vcpu_has_events() is true while the done list holds a completion, so each HLT and APF halt returns at once and the vCPU thread spins in exits (in the lab one HLT exit per 0.68 µs round trip). Read in the code and reproduced by the lab (scenario offline/online events), not run on a kernel; VMMs have seen vCPU threads spin at 100 % with interrupt-based async PF (cloud-hypervisor PR #2498, libkrun PR #28), the cause not established there.',
    cite: 'arch/x86/kernel/kvm.c kvm_cpu_down_prepare(), kvm_guest_cpu_offline(), sysvec_kvm_asyncpf_interrupt(); arch/x86/kvm/x86.c kvm_arch_async_page_present(), apf_pageready_slot_free(), kvm_vcpu_has_events() (Linux 6.12); test/core/sim/cpu-hotplug.test.ts',
  },
];

/** `x86`: upstream since Linux 5.8 (PROTOCOLS.md §4.1), as a spec over the x86 catalogue. */
export const X86_SPEC: VariantSpec = {
  id: 'x86',
  arch: 'x86',
  title: 'x86 PV async PF: #PF not-present (user mode only), interrupt + ACK page-ready',
  origin: 'upstream since Linux 5.8 (Vitaly Kuznetsov, 2020; facts/x86.md §1–§3)',
  mechanisms: {
    enable: 'msr-pv-en-int',
    notPresent: 'pf-cr2',
    ready: 'apic-vector',
    token: 'cr2',
    eligibility: 'user-mode-if',
    wake: 'irq-handler',
    ack: 'apic-vector-ack-msr',
  },
  findings: FINDINGS,
};

export const x86Variant: Variant = composeVariant(X86_SPEC, X86_ARCH);

export function createX86Backend(ctx: VariantContext): Backend<X86VcpuState, { gfn: number }> {
  return x86Variant.createBackend(ctx);
}
