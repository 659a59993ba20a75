import type { Backend, Finding, Variant, VariantContext } from '../../../core/backend.js';
import { composeVariant, type VariantSpec } from '../../spec.js';
import { ARM64_ARCH } from '../mechanisms.js';
import type { Arm64VcpuState } from '../state.js';

/** Review status of the IRQ design (facts/arm64.md §2 James Morse; §5 PPIs; open question 6). */
const FINDINGS: readonly Finding[] = [
  {
    id: 'irq-rfc-only',
    severity: 'blocker',
    text: 'Only the host helper was posted ("KVM: arm64: vgic: Allow an injected IRQ to be taken synchronously by the vcpu", marked NAK-bait); no guest side or ABI exists, and no reply from the maintainers was found.',
    cite: 'James Morse 2020-10-23, 20201023165108.15061-1-james.morse@arm.com (facts/arm64.md §2, open question 6)',
  },
  {
    id: 'ppi-per-vm',
    severity: 'concern',
    text: 'The PPI number is implementation defined: the VMM picks it per VM and must describe it to the guest.',
    cite: 'Marc Zyngier 2020-05-28 on RFCv2 9/9; facts/arm64.md §5',
  },
  {
    id: 'user-only',
    severity: 'note',
    text: 'Not-present only where the IRQ is taken at once (PSTATE.I clear) and acted on at return to user: "you really don\'t need an NMI"; no in-kernel SDEI state to migrate.',
    cite: 'James Morse 2020-10-23, 4dcaea7a-a4d1-9bf3-eb95-ea9d8826ad99@arm.com',
  },
];

/** `arm64-irq`: James Morse's RFC (PROTOCOLS.md §4.8), as a spec over the arm64 catalogue. */
export const ARM64_IRQ_SPEC: VariantSpec = {
  id: 'arm64-irq',
  arch: 'arm64',
  title: 'arm64 IRQ: not-present as a PPI taken at once (PSTATE.I clear), the task sleeps at return to user; PPI + IRQ_ACK page-ready',
  origin: 'James Morse, RFC 2020-10-23, not merged; hypothetical guest side (facts/arm64.md §2)',
  mechanisms: {
    enable: 'smccc-apf-v4-irq',
    notPresent: 'ppi-taken-at-once',
    ready: 'ppi-same-line',
    token: 'shared-memory',
    eligibility: 'user-mode-irqs-unmasked',
    wake: 'tif-irq-handler',
    ack: 'irq-ack-hypercall',
  },
  findings: FINDINGS,
};

export const arm64IrqVariant: Variant = composeVariant(ARM64_IRQ_SPEC, ARM64_ARCH);

export function createArm64IrqBackend(ctx: VariantContext): Backend<Arm64VcpuState, { gfn: number }> {
  return arm64IrqVariant.createBackend(ctx);
}
