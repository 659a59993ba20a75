import type { Backend, Finding, GuestCall, GuestCallExit, Variant, VariantContext } from '../../../core/backend.js';
import { BadInputError } from '../../../core/errors.js';
import { cyclesToNs, exitCostsFromTable } from '../../../core/costs.js';
import * as apf from '../async-pf.js';
import {
  ARM_SMCCC_VENDOR_HYP_KVM_ASYNC_PF_FUNC_ID,
  ARM_SMCCC_VENDOR_HYP_KVM_FEATURES_FUNC_ID,
  ASYNC_PF_PER_VCPU,
  ASYNC_PF_SUBFN_NAMES,
  PPI_MAX,
  PPI_MIN,
} from '../constants.js';
import { ARM64_COST_KEYS, ARM64_COSTS, ARM64_EXIT_NAMES } from '../costs.js';
import { ARM64_IPI_CAPS, trappedSysregWrite } from '../ipi.js';
import { asyncPfCall, asyncPfSubfunction, kvmFeatures, type Arm64GuestCall } from '../smccc.js';
import { createArm64State, type Arm64VcpuState } from '../state.js';
import { ARM64_SDEI_KNOBS, checkArm64Knobs, knobShare } from '../variant.js';
import { irqGuestInit, type IrqGuestConfig } from './guest.js';
import * as host from './host.js';
import { arm64CodeLayout } from '../code-layout.js';

const AREA_BASE = 0x100000n;

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

const EXITS = ASYNC_PF_SUBFN_NAMES.map((n) => `HVC64(ASYNC_PF_${n})`);

function guestCall(v: Parameters<Backend<Arm64VcpuState>['guestCall']>[0], anyCall: GuestCall, guestMemoryBytes: number): GuestCallExit {
  const call = anyCall as Arm64GuestCall;
  if (call.kind === 'sysreg') return trappedSysregWrite(v, call.reg, call.value);
  if (call.kind !== 'hvc') return { result: { kind: 'fault', vector: 'UNDEF' }, exit: 'UNKNOWN', kind: 'trap' };
  if (call.fn === ARM_SMCCC_VENDOR_HYP_KVM_ASYNC_PF_FUNC_ID) {
    // The v4 ABI without its SDEI requirement (the design has no SDEI event).
    const exit = EXITS[asyncPfSubfunction(call.args)] ?? 'HVC64(ASYNC_PF_UNKNOWN)';
    return { result: asyncPfCall(v, call.args, guestMemoryBytes, false), exit, kind: 'hypercall' };
  }
  if (call.fn === ARM_SMCCC_VENDOR_HYP_KVM_FEATURES_FUNC_ID) return { result: kvmFeatures(v), exit: 'HVC64(KVM_FEATURES)', kind: 'hypercall' };
  return { result: { kind: 'ok', regs: [-1n] }, exit: `HVC64(0x${call.fn.toString(16)})`, kind: 'hypercall' };
}

export function createArm64IrqBackend(ctx: VariantContext): Backend<Arm64VcpuState, { gfn: number }> {
  const c = ctx.costOverrides;
  checkArm64Knobs(ctx.knobs);
  const ppi = ctx.knobs.ppi;
  if (!Number.isInteger(ppi) || ppi < PPI_MIN || ppi > PPI_MAX) {
    throw new BadInputError(`scenario arch.arm64.ppi: ${ppi} is not a PPI INTID (16–31, facts/arm64.md §5)`);
  }
  const guestCfg = (vcpuId: number): IrqGuestConfig => ({
    areaGpa: AREA_BASE + BigInt(vcpuId) * 64n,
    irqHandlerNs: cyclesToNs(c.guestIrqHandlerCycles, c.clockMHz),
  });
  return {
    arch: 'arm64',
    caps: {
      asyncPfPerVcpu: ASYNC_PF_PER_VCPU,
      ackRequired: true,
      // PROTOCOLS.md §4.8: where the PPI cannot be taken at once, the vCPU halts.
      undeliveredWait: 'halt',
      readyOnlyIfNotPresentInjected: true,
      irqOrder: 'lowest-first',
      guestWake: { dummyOnEarlyWake: false, entryAtFlag: true, delayedWake: false },
      // Page-ready is a plain pending PPI: D1.13.4 applies to it (not to the not-present, taken at once).
      irqVsRefault: { hazard: apf.D1_13_4_HAZARD, faultFirstShare: knobShare(ctx.knobs.d1134FaultFirstPercent) },
      forbiddenNotPresent: ['kernel-mode', 'irqs-masked'],
      ipi: ARM64_IPI_CAPS,
      codeLayout: arm64CodeLayout(c.clockMHz),
    },
    costs: exitCostsFromTable(c, ARM64_COST_KEYS),
    findings: FINDINGS,
    exitNames: ARM64_EXIT_NAMES,
    createVcpuState: (id) => createArm64State(id, ctx.knobs),
    guestInit: (v) => irqGuestInit(v, guestCfg(v.id)),
    faultInGuest: () => false,
    canDoAsyncPf: host.canDoAsyncPf,
    setupAsyncPf: apf.setupAsyncPf,
    canDeliverAsyncPf: host.canDeliverAsyncPf,
    asyncPageNotPresent: host.asyncPageNotPresent,
    asyncPagePresentQueued: apf.asyncPagePresentQueued,
    canDequeueAsyncPagePresent: apf.canDequeueAsyncPagePresent,
    asyncPageReady: apf.asyncPageReady,
    asyncPagePresent: (v, w) => apf.asyncPagePresent(v, w).delivered,
    guestCall: (v, call) => guestCall(v, call, ctx.guestMemoryBytes),
    conditions: () => [],
  };
}

export const arm64IrqVariant: Variant = {
  id: 'arm64-irq',
  arch: 'arm64',
  title: 'arm64 IRQ: not-present as a PPI taken at once (PSTATE.I clear), the task sleeps at return to user; PPI + IRQ_ACK page-ready',
  origin: 'James Morse, RFC 2020-10-23, not merged; hypothetical guest side (facts/arm64.md §2)',
  mechanisms: {
    enable: 'SMCCC 0x86000002: VERSION, IRQ, ENABLE (v4 ABI, no SDEI)',
    notPresent: 'PPI made pending and taken at once (emulated IRQ exception), only with PSTATE.I clear; reason 1 in control block',
    ready: 'the same PPI, level-high, reason 2 in control block',
    token: '(id++ << 12) | vcpu_id, u16 id',
    eligibility: 'user mode with IRQs unmasked to deliver, else halt; control block free to start, else synchronous',
    wake: 'TIF flag from the IRQ handler, the task sleeps at return to user; woken from the PPI handler',
    ack: 'SMCCC IRQ_ACK; one page-ready outstanding',
  },
  defaultCosts: ARM64_COSTS,
  knobs: ARM64_SDEI_KNOBS,
  createBackend: createArm64IrqBackend,
};
