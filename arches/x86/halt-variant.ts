import type { Finding, Variant } from '../../core/backend.js';
import { composeVariant, type VariantSpec } from '../spec.js';
import { X86_ARCH } from './mechanisms.js';

/**
 * `x86-halt`: Gleb Natapov's "nonpv" row (PROTOCOLS.md §4.3). The host is today's x86 KVM; the
 * guest never writes MSR_KVM_ASYNC_PF_EN, so kvm_can_deliver_async_pf() always says no: a
 * host-missing fault with IF=1 starts the async work and takes the synthetic halt
 * (KVM_REQ_APF_HALT), one with IF=0 is synchronous (kvm_can_do_async_pf()). Nothing is injected;
 * the halt ends when the page is in, or for a while when a guest interrupt (a tick, an IPI)
 * arrives, after which the re-executed access faults again and halts again.
 */
const FINDINGS: readonly Finding[] = [
  {
    id: 'nonpv-host-only',
    severity: 'note',
    text: 'Works with an unmodified guest: "artificial halt state… if an interrupt arrives… perhaps the guest will schedule another process". The gain comes only from interrupts a halted vCPU can take (ticks, IPIs) and a synchronously blocked one cannot.',
    cite: 'Gleb Natapov, "KVM: Halt vcpu if page it tries to access is swapped out", af585b921e5d, 2010-10-14 (facts/x86.md §2 "Synthetic halt")',
  },
  {
    id: 'nonpv-published',
    severity: 'note',
    text: 'Published, 4-vCPU 2G guest in a 512M cgroup, mean of 10 runs: master 122,789,420,615, nonpv 138,455,939,001 (+12.8%), pv 234,351,846,135 (+91%) total work.',
    cite: 'Gleb Natapov, v6/v7 cover, https://lkml.org/lkml/2010/10/14/115; quoted in 20101018153402.GA2067@amt.cnet (facts/x86.md §7)',
  },
  {
    id: 'nonpv-hlt-in-guest',
    severity: 'note',
    text: 'With HLT passthrough (kvm_hlt_in_guest()) KVM does not use the synthetic halt: every fault the guest cannot be told about is synchronous, and this variant becomes the baseline (knob hltInGuest).',
    cite: 'arch/x86/kvm/x86.c kvm_can_do_async_pf(), Linux 6.12 (facts/x86.md §2a)',
  },
];

export const X86_HALT_SPEC: VariantSpec = {
  id: 'x86-halt',
  arch: 'x86',
  title: 'x86 non-PV guest: host-side async fault-in, synthetic halt only',
  origin: 'Gleb Natapov 2010, "nonpv" (af585b921e5d; facts/x86.md §2 "Synthetic halt", §7)',
  mechanisms: {
    enable: 'no-guest-enable',
    notPresent: 'synthetic-halt',
    ready: 'halt-cleared',
    token: 'host-only',
    eligibility: 'if-halt',
    wake: 'halt-interrupts',
    ack: 'none',
  },
  findings: FINDINGS,
};

export const x86HaltVariant: Variant = composeVariant(X86_HALT_SPEC, X86_ARCH);
