import type { Backend, Variant, VariantContext } from '../../../core/backend.js';
import { composeVariant, type VariantSpec } from '../../spec.js';
import { X86_KNOBS } from '../knobs.js';
import { X86_ARCH, X86_CATALOGUE } from '../mechanisms.js';
import { PF2010_FINDINGS } from './findings.js';
import type { Pf2010VcpuState } from './state.js';

/**
 * `x86-pf`: Gleb Natapov's 2010 design, seed 001 (PROTOCOLS.md §4.2): not-present and page-ready
 * both as #PF, token in CR2, reason 1 or 2 in the 2010 area; no interrupt, no ACK.
 */

/**
 * The x86 knobs, which a scenario's `arch.x86` sets for every x86 variant alike (so all x86
 * variants accept the same keys, test/arches/sync/baseline.test.ts), plus this design's own two,
 * sendAlways and kickOnCompletion (arches/x86/mechanisms.ts, `msr-pv-en-2010` and `pf-cr2-2010`).
 * Of the x86 ones only featureAsyncPf, lapicInKernel and apicv mean anything in 2010; the INT
 * vector, PV EOI, PF_VMEXIT, enforcement and HLT passthrough came later. apicv stays 1 as in the
 * x86 variant, so a comparison isolates the APF protocol (2010 hardware had none). The two extra
 * keys are not scenario knobs (X86_KNOBS lacks them): set them through the harness's `knobs` or
 * the `knobs` of a variant spec of your own (`knobs: { sendAlways: 1 }`).
 */
export const X86_PF_KNOBS: Readonly<Record<string, number>> = {
  ...X86_KNOBS,
  ...X86_CATALOGUE.enable['msr-pv-en-2010'].knobs,
  ...X86_CATALOGUE.ready['pf-cr2-2010'].knobs,
};

export const X86_PF_SPEC: VariantSpec = {
  id: 'x86-pf',
  arch: 'x86',
  title: 'x86 2010 PV async PF: not-present and page-ready both as #PF (token in CR2, reason word), no ACK',
  origin: 'seed 001: Gleb Natapov, "KVM: Inject asynchronous page fault into a PV guest if page is swapped out", 7c90705bf2a3, 2010-10-14; merged 2.6.38',
  mechanisms: {
    enable: 'msr-pv-en-2010',
    notPresent: 'pf-cr2-2010',
    ready: 'pf-cr2-2010',
    token: 'cr2-unguarded',
    eligibility: 'user-mode-if-2010',
    wake: 'pf-handler-2010',
    ack: 'none',
  },
  findings: PF2010_FINDINGS,
};

export const x86PfVariant: Variant = composeVariant(X86_PF_SPEC, X86_ARCH);

export function createX86PfBackend(ctx: VariantContext): Backend<Pf2010VcpuState, { gfn: number }> {
  return x86PfVariant.createBackend(ctx);
}
