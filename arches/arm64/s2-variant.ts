import type { Backend, Finding, Variant, VariantContext } from '../../core/backend.js';
import { composeVariant, type VariantSpec } from '../spec.js';
import { ARM64_ARCH } from './mechanisms.js';
import type { Arm64S2VcpuState } from './s2.js';

/**
 * `arm64-s2` (PROTOCOLS.md §4.10): arm64-sdei's host (control block, PPI + IRQ_ACK, v4's gate for
 * faults that exit) with the stage-2 fault reflected in front of the exit, and no SDEI: the host
 * never signals not-present.
 */
const FINDINGS: readonly Finding[] = [
  {
    id: 's2-no-hardware-path',
    severity: 'blocker',
    text: 'No hardware path: a stage-2 fault cannot be delivered to EL1. The lab runs it as a lower bound on exits, not as something a host could do.',
    cite: 'Marc Zyngier 2020-05-29, "Exception caused by a S2 fault are always routed to EL2.", 6965aaf641a23fab64fbe2ceeb790272@kernel.org (facts/arm64.md §2, §6)',
  },
  {
    id: 's2-syndrome',
    severity: 'blocker',
    text: 'The guest would need an architected syndrome saying "stage 2, page absent in the host" and the IPA (an EL1 view of HPFAR_EL2); Paolo asked for an Arm-approved way to reuse the S2 fault syndromes, and a SW-owned ESR encoding was judged "somewhat unlikely to happen".',
    cite: 'Paolo Bonzini 2020-05-29, d0bfb944-b50a-608a-7dcc-5a409cdc4524@redhat.com; Marc Zyngier 2020-05-28 on RFCv2 9/9 (facts/arm64.md §2)',
  },
  {
    id: 's2-origin',
    severity: 'note',
    text: 'Paolo\'s idea: inject the stage-2 fault before populating, the guest asks by hypercall, page-ready is an interrupt; only faults on pages absent in the host (MMU notifier) would be routed.',
    cite: 'Paolo Bonzini 2020-05-28, 8ab64c6a-582b-691d-79ab-21cdc0455cd3@redhat.com; 2020-05-29, d0bfb944-b50a-608a-7dcc-5a409cdc4524@redhat.com (facts/arm64.md §2)',
  },
  {
    id: 'ppi-per-vm',
    severity: 'concern',
    text: 'The page-ready PPI number is implementation defined: the VMM picks it per VM and must describe it to the guest.',
    cite: 'Marc Zyngier 2020-05-28 on RFCv2 9/9; facts/arm64.md §5',
  },
  {
    id: 's2-lab-abi',
    severity: 'note',
    text: 'Routing from EL0 only, the reflected syndrome (DABT_LOW, DFSC 0x07, IPA carried by the lab) and the fetch call 0xC6000040 are lab-defined and hypothetical; enable and page-ready reuse Gavin Shan\'s v4 ABI (whose ENABLE still checks the VMM\'s SDEI event number, never dispatched here).',
    cite: 'lab assumption (arches/arm64/s2.ts); Mark Rutland 2020-04-16, 20200416091621.GA4987@lakrids.cambridge.arm.com (facts/arm64.md §2)',
  },
];

export const ARM64_S2_SPEC: VariantSpec = {
  id: 'arm64-s2',
  arch: 'arm64',
  title: 'arm64 stage-2 fault routed to the guest (hypothetical lower bound): no exit, guest asks by HVC, PPI + IRQ_ACK page-ready',
  origin: 'Paolo Bonzini 2020-05-28/29; no hardware path (Marc Zyngier 2020-05-29; PROTOCOLS.md §4.10, facts/arm64.md §2, §6)',
  mechanisms: {
    enable: 'smccc-apf-v4-s2',
    notPresent: 's2-reflected',
    ready: 'ppi-level-as-sdei',
    token: 'hypercall-x1',
    eligibility: 'el0-reflected',
    wake: 'abort-handler-sleeps',
    ack: 'irq-ack-hypercall',
  },
  findings: FINDINGS,
};

export const arm64S2Variant: Variant = composeVariant(ARM64_S2_SPEC, ARM64_ARCH);

export function createArm64S2Backend(ctx: VariantContext): Backend<Arm64S2VcpuState, { gfn: number }> {
  return arm64S2Variant.createBackend(ctx);
}
