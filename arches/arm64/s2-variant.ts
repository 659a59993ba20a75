import type { Backend, Finding, GuestCall, GuestCallExit, KvmVcpu, Variant, VariantContext } from '../../core/backend.js';
import { cyclesToNs } from '../../core/costs.js';
import { ARM64_COSTS } from './costs.js';
import {
  ARM_SMCCC_VENDOR_HYP_KVM_LAB_S2_FETCH_FUNC_ID,
  createArm64S2State,
  reflectS2Abort,
  s2FetchCall,
  s2GuestInit,
  s2Routed,
  type Arm64S2VcpuState,
} from './s2.js';
import type { Arm64GuestCall } from './smccc.js';
import { ARM64_SDEI_KNOBS, createArm64SdeiBackend } from './variant.js';

const AREA_BASE = 0x100000n;

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

function guestCall(v: KvmVcpu<Arm64S2VcpuState>, anyCall: GuestCall, ctx: VariantContext, base: Backend<Arm64S2VcpuState>): GuestCallExit {
  const call = anyCall as Arm64GuestCall;
  if (call.kind === 'hvc' && call.fn === ARM_SMCCC_VENDOR_HYP_KVM_LAB_S2_FETCH_FUNC_ID) {
    return { result: s2FetchCall(v, call.args, ctx.guestMemoryBytes), exit: 'HVC64(LAB_S2_FETCH)', kind: 'hypercall' };
  }
  return base.guestCall(v, anyCall);
}

/**
 * arm64-sdei's host (control block, PPI + IRQ_ACK, v4's gate for faults that exit) with the
 * stage-2 fault reflected in front of the exit, and no SDEI: the host never signals not-present.
 */
export function createArm64S2Backend(ctx: VariantContext): Backend<Arm64S2VcpuState, { gfn: number }> {
  const c = ctx.costOverrides;
  const ns = (cycles: number) => cyclesToNs(cycles, c.clockMHz);
  const base = createArm64SdeiBackend(ctx) as Backend<Arm64S2VcpuState, { gfn: number }>;
  // Costs: arm64's table and keys unchanged, since a variant shares its table with the no-APF
  // baseline it is compared against (DESIGN.md "Costs"; test/arches/sync/baseline.test.ts). So
  // the reflected abort is priced at the table's event entry (sdeiDispatchCycles, 2,000 cycles)
  // where the guest's own EL0→EL1 entry would be nearer injectIrqCycles (500): the lower bound is,
  // if anything, pessimistic by ≈1,500 cycles a routed fault. The abort handler (read the
  // syndrome, queue a sleeper) is priced as the SDEI handler's table insert.
  const abortHandlerNs = ns(c.guestSdeiHandlerCycles);
  const cfg = (id: number) => ({ areaGpa: AREA_BASE + BigInt(id) * 64n, sdeiHandlerNs: 0, irqHandlerNs: ns(c.guestIrqHandlerCycles) });
  return {
    ...base,
    caps: {
      ...base.caps,
      // A request for a gfn already outstanding blocks in the host until it is in, as James Morse
      // asked ("only ever block in the stage2 fault handler", facts/arm64.md §2), not a re-fault loop.
      undeliveredWait: 'halt',
      // Work starts only when the guest asks, so it always knows: page-ready only for those (and wake-all).
      readyOnlyIfNotPresentInjected: true,
      // The task sleeps in the abort handler itself, as x86's does: a wake that came first leaves a dummy.
      guestWake: { dummyOnEarlyWake: true, entryAtFlag: false, delayedWake: false },
      forbiddenNotPresent: ['kernel-mode', 'irqs-masked'],
    },
    findings: FINDINGS,
    createVcpuState: (id) => createArm64S2State(id, ctx.knobs),
    guestInit: (v) => s2GuestInit(v, cfg(v.id)),
    faultInGuest: (v, gfn) => {
      if (!s2Routed(v)) return false;
      reflectS2Abort(v, gfn, abortHandlerNs);
      return true;
    },
    // No host→guest not-present channel: a user-mode fault that exits (an event was pending)
    // waits in the host; kernel-mode faults never get here (v4's gate makes them synchronous).
    asyncPageNotPresent: () => false,
    guestCall: (v, call) => guestCall(v, call, ctx, base),
    conditions: () => [],
  };
}

export const arm64S2Variant: Variant = {
  id: 'arm64-s2',
  arch: 'arm64',
  title: 'arm64 stage-2 fault routed to the guest (hypothetical lower bound): no exit, guest asks by HVC, PPI + IRQ_ACK page-ready',
  origin: 'Paolo Bonzini 2020-05-28/29; no hardware path (Marc Zyngier 2020-05-29; PROTOCOLS.md §4.10, facts/arm64.md §2, §6)',
  mechanisms: {
    enable: 'SMCCC 0x86000002 (v4 ABI): VERSION, SLOTS, IRQ, ENABLE; no SDEI',
    notPresent: 'stage-2 fault reflected to EL1 as a data abort from EL0 (hypothetical), no exit; guest HVC 0xC6000040 (lab) with the IPA returns the token',
    ready: 'level-high PPI chosen per VM, token and reason in control block (as arm64-sdei)',
    token: '(id++ << 12) | vcpu_id, u16 id, returned in x1',
    eligibility: 'reflected from EL0 only; an EL1 fault exits and is synchronous (v4 gate)',
    wake: 'the abort handler sleeps the task; woken from the PPI handler; dummy if the wake comes first',
    ack: 'SMCCC IRQ_ACK; one page-ready outstanding',
  },
  defaultCosts: ARM64_COSTS,
  knobs: ARM64_SDEI_KNOBS,
  createBackend: createArm64S2Backend,
};
