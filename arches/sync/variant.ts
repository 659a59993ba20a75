import { no, type Backend, type CostTable, type GuestCall, type GuestCallExit, type IpiCaps, type KvmVcpu, type Variant } from '../../core/backend.js';
import { exitCostsFromTable, type CostKeys, type ExitNames } from '../../core/costs.js';
import { ARM64_COST_KEYS, ARM64_COSTS, ARM64_EXIT_NAMES } from '../arm64/costs.js';
import { ARM64_IPI_CAPS } from '../arm64/ipi.js';
import { noApfGuestCall as noApfArm64GuestCall } from '../arm64/smccc.js';
import { ARM64_SDEI_KNOBS, checkArm64Knobs } from '../arm64/variant.js';
import { X86_COST_KEYS, X86_COSTS, X86_EXIT_NAMES } from '../x86/costs.js';
import { x86IpiCaps } from '../x86/ipi.js';
import { noApfGuestCall as noApfX86GuestCall } from '../x86/msr.js';
import { checkX86Knobs, X86_KNOBS } from '../x86/variant.js';
import type { CodeLayout } from '../../core/guest/code-layout.js';
import { arm64CodeLayout } from '../arm64/code-layout.js';
import { x86CodeLayout } from '../x86/code-layout.js';

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
 * architecture's costs and exits (issue 5, item 6), so each architecture has its own: `sync-<arch>`.
 */
export function noApfVariant(spec: NoApfSpec): Variant {
  return {
    id: `sync-${spec.arch}`,
    arch: spec.arch,
    baseline: true,
    title: `no APF on ${spec.arch}: the vCPU blocks in the host on every host-missing page`,
    origin: 'baseline ("master" in Gleb Natapov, v7 cover, 2010; facts/anchors.md §A1)',
    mechanisms: {
      enable: 'none',
      notPresent: 'none (vCPU blocks in the host)',
      ready: 'none',
      token: 'none',
      eligibility: 'never asynchronous',
      wake: 'none',
      ack: 'none',
    },
    defaultCosts: spec.costs,
    knobs: spec.knobs,
    createBackend: (ctx) => createNoApfBackend(spec, ctx.costOverrides, ctx.knobs),
  };
}

function createNoApfBackend(
  spec: NoApfSpec,
  costs: Readonly<Record<string, number>>,
  knobs: Readonly<Record<string, number>>,
): Backend<null, null> {
  const unused = () => {
    throw new Error(`sync-${spec.arch}: an APF hook was called although APF never starts`);
  };
  spec.checkKnobs(knobs);
  return {
    arch: spec.arch,
    caps: {
      asyncPfPerVcpu: 64,
      ackRequired: false,
      undeliveredWait: 'halt',
      readyOnlyIfNotPresentInjected: true,
      irqOrder: spec.irqOrder,
      // Nothing is ever announced: the guest's wake path is never used.
      guestWake: { dummyOnEarlyWake: true, entryAtFlag: false, delayedWake: false },
      irqVsRefault: null,
      forbiddenNotPresent: [],
      ipi: spec.ipi(knobs),
      codeLayout: spec.codeLayout(costs.clockMHz),
    },
    costs: exitCostsFromTable(costs, spec.costKeys),
    findings: [],
    exitNames: spec.exitNames,
    createVcpuState: () => null,
    guestInit: () => {},
    // The fault always exits: the hardware cannot raise it in the guest.
    faultInGuest: () => false,
    canDoAsyncPf: () => no('no-apf'),
    setupAsyncPf: unused,
    canDeliverAsyncPf: unused,
    asyncPageNotPresent: unused,
    asyncPagePresentQueued: unused,
    canDequeueAsyncPagePresent: unused,
    asyncPageReady: unused,
    asyncPagePresent: unused,
    guestCall: spec.guestCall,
    conditions: () => [],
  };
}

/** x86 without APF: the x86 table, VMX exit names and x86 knobs; the LAPIC serves the highest vector first. */
export const syncX86Variant: Variant = noApfVariant({
  arch: 'x86',
  costs: X86_COSTS,
  costKeys: X86_COST_KEYS,
  exitNames: X86_EXIT_NAMES,
  knobs: X86_KNOBS,
  irqOrder: 'highest-first',
  guestCall: (_v, call) => noApfX86GuestCall(call),
  ipi: x86IpiCaps,
  codeLayout: x86CodeLayout,
  checkKnobs: checkX86Knobs,
});

/** arm64 without APF: the arm64 (VHE) table, ESR exit names and arm64 knobs; the GIC serves the lowest INTID first. */
export const syncArm64Variant: Variant = noApfVariant({
  arch: 'arm64',
  costs: ARM64_COSTS,
  costKeys: ARM64_COST_KEYS,
  exitNames: ARM64_EXIT_NAMES,
  knobs: ARM64_SDEI_KNOBS,
  irqOrder: 'lowest-first',
  guestCall: noApfArm64GuestCall,
  ipi: () => ARM64_IPI_CAPS,
  codeLayout: arm64CodeLayout,
  checkKnobs: checkArm64Knobs,
});

/**
 * The library name of the single `sync` of earlier versions, now the x86 baseline.
 * @deprecated use `syncX86Variant` or `syncArm64Variant`: a baseline belongs to one architecture.
 */
export const syncVariant: Variant = syncX86Variant;
