import type { Backend, CostTable, GuestCall, GuestCallExit, IpiCaps, KvmVcpu, Variant } from '../../core/backend.js';
import type { CostKeys, ExitNames } from '../../core/costs.js';
import { ARM64_ARCH } from '../arm64/mechanisms.js';
import { composeVariant, NEVER_ASYNC, type ArchDefinition, type VariantSpec } from '../spec.js';
import { NO_APF_MECHANISMS, NO_APF_RULES } from './mechanisms.js';
import { X86_ARCH } from '../x86/mechanisms.js';
import type { CodeLayout } from '../../core/guest/code-layout.js';

/**
 * What a no-APF baseline takes from its architecture: the cost table and what prices each exit,
 * the exit names, the knobs a scenario may set for that architecture (accepted, unused: the
 * baseline must take the same scenario as the variants it is compared with), the interrupt
 * order, and the architectural answer to a guest call it never expects: what a host of that
 * architecture without async PF answers (never a lab error, DESIGN.md "The backend contract").
 */
export interface NoApfSpec {
  readonly arch: string;
  readonly costs: CostTable;
  readonly costKeys: CostKeys;
  readonly exitNames: ExitNames;
  readonly knobs: Readonly<Record<string, number>>;
  readonly irqOrder: Backend['caps']['irqOrder'];
  readonly guestCall: (vcpu: KvmVcpu, call: GuestCall) => GuestCallExit;
  /** The architecture's call-function IPI, as its APF variants send it (the knobs may change its delivery). */
  readonly ipi: (knobs: Readonly<Record<string, number>>) => IpiCaps;
  /** The architecture's exception code, timed at the cost table's clock. */
  readonly codeLayout: (clockMHz: number) => CodeLayout;
  /** The architecture's own knob checks, so that the baseline refuses what its variants refuse. */
  readonly checkKnobs: (knobs: Readonly<Record<string, number>>) => void;
}

/**
 * A no-APF baseline on one architecture: every fault on a host-missing page blocks the vCPU until
 * the page is in, taking no guest interrupts meanwhile ("master" in Gleb Natapov's tables,
 * facts/x86.md §7). A ratio "vs sync" is only meaningful against the baseline priced with the same
 * architecture's costs and exits (DESIGN.md "The backend contract"), so each architecture has its
 * own: `sync-<arch>`. The built-in baselines are specs (below); this builds one for an
 * architecture of your own.
 */
export function noApfVariant(spec: NoApfSpec): Variant {
  const arch: ArchDefinition = {
    arch: spec.arch,
    costs: spec.costs,
    costKeys: spec.costKeys,
    exitNames: spec.exitNames,
    knobs: spec.knobs,
    checkKnobs: spec.checkKnobs,
    asyncPfPerVcpu: 64,
    irqOrder: spec.irqOrder,
    // No async PF, no done list.
    apfRunnable: () => false,
    ipi: spec.ipi,
    // No async-PF line: the only interrupts are the IPIs and the tick, whose EOIs do not exit.
    eoiExit: () => null,
    codeLayout: spec.codeLayout,
    noApfGuestCall: spec.guestCall,
    catalogue: NO_APF_MECHANISMS,
    rules: NO_APF_RULES,
    missing: {},
  };
  return composeVariant(noApfSpec(spec.arch), arch);
}

/** A no-APF baseline as a spec: every dimension's no-APF mechanism (arches/sync/mechanisms.ts). */
export function noApfSpec(arch: string): VariantSpec {
  return {
    id: `sync-${arch}`,
    arch,
    baseline: true,
    title: `no APF on ${arch}: the vCPU blocks in the host on every host-missing page`,
    origin: 'baseline ("master" in Gleb Natapov, v7 cover, 2010; facts/anchors.md §A1)',
    mechanisms: { enable: 'none', notPresent: 'vcpu-blocks', ready: 'none', token: 'none', eligibility: NEVER_ASYNC, wake: 'none', ack: 'none' },
  };
}

export const SYNC_X86_SPEC: VariantSpec = noApfSpec('x86');
export const SYNC_ARM64_SPEC: VariantSpec = noApfSpec('arm64');

/** x86 without APF: the x86 table, VMX exit names and x86 knobs; the LAPIC serves the highest vector first. */
export const syncX86Variant: Variant = composeVariant(SYNC_X86_SPEC, X86_ARCH);

/** arm64 without APF: the arm64 (VHE) table, ESR exit names and arm64 knobs; the GIC serves the lowest INTID first. */
export const syncArm64Variant: Variant = composeVariant(SYNC_ARM64_SPEC, ARM64_ARCH);

/**
 * The library name of the single `sync` of earlier versions, now the x86 baseline.
 * @deprecated use `syncX86Variant` or `syncArm64Variant`: a baseline belongs to one architecture.
 */
export const syncVariant: Variant = syncX86Variant;
