import type { Finding, Variant } from '../../../core/backend.js';
import { composeVariant, type VariantSpec } from '../../spec.js';
import { ARM64_ARCH } from '../mechanisms.js';

/**
 * `arm64-pvvec` (PROTOCOLS.md §4.9) as a spec over the arm64 catalogue (its own mechanisms are in
 * arches/arm64/pvvec/mechanisms.ts), with what the review thread said of it and of the idea.
 */
const FINDINGS: readonly Finding[] = [
  {
    id: 'pvvec-never-posted',
    severity: 'blocker',
    text: 'Only named in review, never posted: Paolo saw "a completely paravirtualized exception vector that doesn\'t use ESR at all" as "the only way to implement this" short of reusing the stage-2 syndromes. The registration call 0xC6000041, the save area {mask, reason, token, pc, pstate}, the mask flag and the EL0-only gate are the lab\'s (hypothetical); enable and page-ready reuse Gavin Shan\'s v4 ABI.',
    cite: 'Paolo Bonzini 2020-06-01 on RFCv2 9/9, 5c72c597-732e-7dbf-d056-665674ec1792@redhat.com; lab assumption (arches/arm64/pvvec/abi.ts)',
  },
  {
    id: 'pvvec-exception-model',
    severity: 'concern',
    text: 'A new, Linux-specific exception model: its own entry, save area, masking and nesting rules that no architecture defines and every guest would have to implement. Paolo\'s own condition was to "design the exception model first", given "the problems with a poor design" in x86.',
    cite: 'Paolo Bonzini 2020-05-27, eb2a2291-85b0-a39a-96d1-58e4652771ba@redhat.com',
  },
  {
    id: 'pvvec-is-sdei',
    severity: 'concern',
    text: 'Paolo later called the synchronous interruption wanted "exactly the same as a SDEI", and preferred not to "invent new paravirtualized mechanisms … especially in the host->guest direction": the PV vector is that invention, SDEI the existing one. Gavin Shan read SDEI as the same idea: "it could be regarded as exception, which doesn\'t use ESR at all".',
    cite: 'Paolo Bonzini 2020-10-31, ae863cb3-4faf-555d-c34d-04b97d3ef486@redhat.com; Gavin Shan 2020-06-02, fca52ea1-294a-6011-45f1-d0df30069800@redhat.com',
  },
  {
    id: 'linux-specific',
    severity: 'blocker',
    text: 'KVM/arm64 is meant to be an architectural hypervisor: a PV exception entry is "Linux specific behaviour in an otherwise architectural hypervisor", the ground on which arm64 async PF was rejected.',
    cite: 'Marc Zyngier 2022-06-24, 87iloq2oke.wl-maz@kernel.org; 2020-04-10, d2882e806ad2f9793437160093c8d3fa@kernel.org (facts/arm64.md §1 "Outcome", §2)',
  },
  {
    id: 'ppi-per-vm',
    severity: 'concern',
    text: 'The page-ready PPI number is implementation defined: the VMM picks it per VM and must describe it to the guest (Paolo: "assigning a PPI seems complicated but doable").',
    cite: 'Marc Zyngier 2020-05-28 on RFCv2 9/9; Paolo Bonzini 2020-06-01, 5c72c597-732e-7dbf-d056-665674ec1792@redhat.com; facts/arm64.md §5',
  },
  {
    id: 'zero-token',
    severity: 'note',
    text: 'v4\'s token allocator is reused, with its missing zero guard: vCPU 0 is handed token 0 once per 65,536 faults. As in v4 it loses no page-ready (the free test reads the reason word and pageready_pending too).',
    cite: 'facts/arm64.md §1a; gwshan/linux arch/arm64/kvm/async_pf.c kvm_arch_can_dequeue_async_page_present()',
  },
];

export const ARM64_PVVEC_SPEC: VariantSpec = {
  id: 'arm64-pvvec',
  arch: 'arm64',
  title: 'arm64 PV vector (hypothetical): not-present through a paravirtual exception entry, interrupted PC/PSTATE in a save area (no ELR/ESR), masked by a flag in shared memory; PPI + IRQ_ACK page-ready',
  origin: 'Paolo Bonzini 2020-06-01 (5c72c597-732e-7dbf-d056-665674ec1792@redhat.com), never posted; lab-defined ABI (PROTOCOLS.md §4.9)',
  mechanisms: {
    enable: 'smccc-pvvec',
    notPresent: 'pv-vector',
    ready: 'ppi-level-as-sdei',
    token: 'save-area',
    eligibility: 'user-mode-pv-unmasked',
    wake: 'pv-handler-sleeps',
    ack: 'irq-ack-hypercall',
  },
  findings: FINDINGS,
};

export const arm64PvvecVariant: Variant = composeVariant(ARM64_PVVEC_SPEC, ARM64_ARCH);
